/**
 * The typed, validated configuration every part of the service reads.
 * It is built once from the environment by `loadConfig()` and injected as `AppConfig`.
 */
export type NodeEnv = 'development' | 'test' | 'production';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export type DatabaseTarget =
  | { readonly kind: 'postgres'; readonly url: string }
  /** Embedded PGlite; `dataDir` null means in memory. */
  | { readonly kind: 'pglite'; readonly dataDir: string | null };

export abstract class AppConfig {
  abstract readonly nodeEnv: NodeEnv;
  abstract readonly isProduction: boolean;
  abstract readonly http: {
    readonly host: string;
    readonly port: number;
    /** Express `trust proxy`: false, true, a hop count, or a list of addresses/subnets. */
    readonly trustProxy: boolean | number | string;
    readonly corsOrigins: readonly string[];
    readonly bodyLimitBytes: number;
    readonly jsonMaxDepth: number;
    readonly headersTimeoutMs: number;
    readonly requestTimeoutMs: number;
    readonly keepAliveTimeoutMs: number;
  };
  abstract readonly database: {
    readonly target: DatabaseTarget;
    readonly poolMax: number;
    readonly idleTimeoutMs: number;
    readonly connectionTimeoutMs: number;
    readonly statementTimeoutMs: number;
    /**
     * Client-side bound on one query (pg `query_timeout`): answers even when the network,
     * not the server, stalls. Longer than the statement timeout so the server cancels first.
     */
    readonly queryTimeoutMs: number;
    readonly migrateOnStart: boolean;
    /** Attempts to reach PostgreSQL at start (3 s apart) before giving up. */
    readonly connectRetries: number;
  };
  abstract readonly redis: {
    readonly url: string;
    readonly keyPrefix: string;
    /** A command not answered within this is failed (ioredis `commandTimeout`). */
    readonly commandTimeoutMs: number;
    /** After a failure, Redis is not waited on for this long (circuit open), then probed. */
    readonly breakerResetMs: number;
  } | null;
  /** HMAC key for pagination cursors: a cursor the server did not issue is a 400. */
  abstract readonly pagination: { readonly cursorSecret: string };
  abstract readonly rateLimit: { readonly ttlMs: number; readonly max: number };
  abstract readonly log: { readonly level: LogLevel; readonly pretty: boolean };
  abstract readonly shutdown: { readonly readyDelayMs: number; readonly timeoutMs: number };
  abstract readonly docs: { readonly enabled: boolean };
  abstract readonly auth: {
    /** HS256 key; null outside production means a random per-process key (dev only). */
    readonly jwtSecret: string | null;
    readonly jwtIssuer: string;
    readonly jwtAudience: string;
    readonly accessTokenTtlSeconds: number;
    readonly refreshTokenTtlSeconds: number;
    readonly argon2: {
      readonly memoryKib: number;
      readonly timeCost: number;
      readonly parallelism: number;
      /** Hashes computed at once; the rest wait, so a login flood cannot starve the loop. */
      readonly concurrency: number;
    };
    readonly loginRateLimit: { readonly max: number; readonly ttlMs: number };
    readonly bootstrapAdmin: { readonly email: string; readonly password: string } | null;
  };
  /** How long an Idempotency-Key and its response are kept (at least 24 h). */
  abstract readonly idempotency: { readonly ttlMs: number };
  abstract readonly observability: {
    /** 0 = memory usage is not logged. */
    readonly memoryLogIntervalMs: number;
    /** OpenTelemetry tracing is on only when an OTLP endpoint is configured. */
    readonly otlpEndpoint: string | null;
  };
  /** Worker processes: 1 = a single process (no primary). */
  abstract readonly cluster: { readonly workers: number };
  /** Every in-process cache is an LRU with these bounds. */
  abstract readonly cache: { readonly max: number; readonly ttlMs: number };
  abstract readonly problemTypeBaseUri: string;
  /** Mounts the failure-drill routes (never in production). */
  abstract readonly faultInjection: boolean;
}
