import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';

import { NODE_ENVS, defineConfigSection } from './config-section';
import { bool, int, oneOf, text } from './config-variable';

/**
 * The platform's sections: what libs/core itself reads. Their values together make
 * `AppConfig` (app-config.ts); each domain module declares its own section next to its code.
 */

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type DatabaseTarget =
  | { readonly kind: 'postgres'; readonly url: string }
  /** Embedded PGlite; `dataDir` null means in memory. */
  | { readonly kind: 'pglite'; readonly dataDir: string | null };

const DEFAULT_PGLITE_DIR = './data/pglite';

function databaseTarget(url: string | undefined): DatabaseTarget {
  if (url === undefined) {
    return { kind: 'pglite', dataDir: resolve(DEFAULT_PGLITE_DIR) };
  }
  if (url.startsWith('pglite://')) {
    const where = url.slice('pglite://'.length);
    return where === 'memory'
      ? { kind: 'pglite', dataDir: null }
      : { kind: 'pglite', dataDir: resolve(where) };
  }
  return { kind: 'postgres', url };
}

function trustProxy(value: string): boolean | number | string {
  if (value === 'false') {
    return false;
  }
  if (value === 'true') {
    return true;
  }
  return /^\d+$/.test(value) ? Number(value) : value;
}

function corsOrigins(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o.length > 0);
}

/** Read first: every section's `runtime` comes from it. */
export const RuntimeSection = defineConfigSection({
  title: 'Runtime',
  variables: {
    NODE_ENV: oneOf(NODE_ENVS, {
      default: 'development',
      doc: '`development`, `test` or `production`',
    }),
  },
  build: (v) => ({ nodeEnv: v.NODE_ENV, isProduction: v.NODE_ENV === 'production' }),
});

export const HttpSection = defineConfigSection({
  title: 'HTTP',
  variables: {
    PORT: int({ default: 3000, min: 0, max: 65535, doc: 'port to listen on' }),
    HOST: text({ default: '0.0.0.0', minLength: 1, doc: 'address to listen on' }),
    CORS_ORIGINS: text({
      pattern: /^\s*(https?:\/\/[^\s,/]+\s*)?(,\s*https?:\/\/[^\s,/]+\s*)*$/,
      message:
        'CORS_ORIGINS must be a comma-separated list of origins such as https://app.example.com (no paths, no *)',
      defaultDoc: 'empty (no CORS)',
      doc: 'comma-separated allowed origins, e.g. `https://app.example.com`; never `*`',
    }),
    TRUST_PROXY: text({
      default: 'false',
      pattern: /^(true|false|\d+|[0-9a-fA-F.:/,\s]+|loopback|linklocal|uniquelocal)$/,
      message:
        'TRUST_PROXY must be true, false, a hop count, or a comma-separated list of addresses',
      doc: 'Express `trust proxy`: `true`, hop count or proxy addresses',
    }),
    JSON_MAX_DEPTH: int({
      default: 32,
      min: 1,
      max: 1000,
      doc: 'deeper JSON bodies are a 400 (`JSON_TOO_DEEP`)',
    }),
    HTTP_HEADERS_TIMEOUT_MS: int({
      default: 10_000,
      min: 1000,
      doc: "time to receive a request's headers (slow-loris guard)",
    }),
    HTTP_REQUEST_TIMEOUT_MS: int({
      default: 30_000,
      min: 1000,
      doc: 'time to receive a whole request',
    }),
    HTTP_KEEP_ALIVE_TIMEOUT_MS: int({
      default: 5_000,
      min: 1000,
      doc: 'idle keep-alive sockets are closed after this',
    }),
    DOCS_ENABLED: bool({
      default: true,
      doc: 'Swagger UI at `/docs`, the OpenAPI document at `/docs-json`',
    }),
    PROBLEM_TYPE_BASE_URI: text({
      default: 'https://errors.example.com',
      pattern: /^https?:\/\/\S+[^/]$/,
      message: 'PROBLEM_TYPE_BASE_URI must be an http(s) URI without a trailing slash',
      maxLength: 200,
      doc: 'base of problem `type` URIs',
    }),
  },
  build: (v) => ({
    http: {
      host: v.HOST,
      port: v.PORT,
      /** Express `trust proxy`: false, true, a hop count, or a list of addresses/subnets. */
      trustProxy: trustProxy(v.TRUST_PROXY),
      corsOrigins: corsOrigins(v.CORS_ORIGINS),
      bodyLimitBytes: 100 * 1024,
      jsonMaxDepth: v.JSON_MAX_DEPTH,
      headersTimeoutMs: v.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: v.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: v.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    },
    docs: { enabled: v.DOCS_ENABLED },
    problemTypeBaseUri: v.PROBLEM_TYPE_BASE_URI,
  }),
  check: ({ http }) =>
    http.headersTimeoutMs > http.requestTimeoutMs
      ? [
          `HTTP_HEADERS_TIMEOUT_MS=${http.headersTimeoutMs}: must not exceed HTTP_REQUEST_TIMEOUT_MS (${http.requestTimeoutMs})`,
        ]
      : [],
});

export const DatabaseSection = defineConfigSection({
  title: 'Database',
  variables: {
    DATABASE_URL: text({
      pattern: /^(postgres|postgresql):\/\/.+|^pglite:\/\/.+/,
      message:
        'DATABASE_URL must be a postgres:// or postgresql:// URL, pglite://memory or pglite://<dir>',
      defaultDoc: 'embedded PGlite in `./data/pglite`',
      example: 'postgres://postgres@127.0.0.1:5432/app',
      doc: '`postgres://…`, `pglite://memory` (a throwaway database) or `pglite://<dir>`',
    }),
    DB_POOL_MAX: int({
      default: 20,
      min: 1,
      max: 1000,
      defaultDoc: '`20` (PGlite: 1)',
      doc: 'pg pool size',
    }),
    DB_IDLE_TIMEOUT_MS: int({
      default: 30_000,
      min: 0,
      doc: 'idle connections are closed after this',
    }),
    DB_CONNECTION_TIMEOUT_MS: int({
      default: 2_000,
      min: 1,
      doc: 'waiting longer for a connection is a 503',
    }),
    DB_STATEMENT_TIMEOUT_MS: int({
      default: 5_000,
      min: 0,
      doc: 'longer statements are cancelled (503)',
    }),
    DB_QUERY_TIMEOUT_MS: int({
      min: 100,
      defaultDoc: 'statement timeout + `1000`',
      doc: 'client-side bound per query: a stalled network (nothing refused) answers 503 within it',
    }),
    DB_MIGRATE_ON_START: bool({
      defaultDoc: '`true` on PGlite, `false` with a URL',
      doc: 'apply pending migrations at start (under an advisory lock)',
    }),
    DB_CONNECT_RETRIES: int({
      default: 9,
      min: 0,
      max: 100,
      doc: 'attempts to reach PostgreSQL at start, 3 s apart (then exit 1)',
    }),
  },
  build: (v) => {
    const target = databaseTarget(v.DATABASE_URL);
    return {
      database: {
        target,
        // PGlite is a single session: one connection, whatever is configured.
        poolMax: target.kind === 'pglite' ? 1 : v.DB_POOL_MAX,
        idleTimeoutMs: v.DB_IDLE_TIMEOUT_MS,
        connectionTimeoutMs: v.DB_CONNECTION_TIMEOUT_MS,
        statementTimeoutMs: v.DB_STATEMENT_TIMEOUT_MS,
        /**
         * Client-side bound on one query (pg `query_timeout`): answers even when the network,
         * not the server, stalls. Longer than the statement timeout so the server cancels first.
         */
        queryTimeoutMs: v.DB_QUERY_TIMEOUT_MS ?? v.DB_STATEMENT_TIMEOUT_MS + 1_000,
        migrateOnStart: v.DB_MIGRATE_ON_START ?? target.kind === 'pglite',
        /** Attempts to reach PostgreSQL at start (3 s apart) before giving up. */
        connectRetries: target.kind === 'pglite' ? 0 : v.DB_CONNECT_RETRIES,
      },
    };
  },
});

export const RedisSection = defineConfigSection({
  title: 'Redis (shared rate-limit counters; optional)',
  variables: {
    REDIS_URL: text({
      pattern: /^rediss?:\/\/.+/,
      message: 'REDIS_URL must be a redis:// or rediss:// URL',
      example: 'redis://127.0.0.1:6379',
      doc: 'shared rate-limit counters; readiness checks it',
    }),
    REDIS_KEY_PREFIX: text({
      default: 'app:',
      pattern: /^[A-Za-z0-9:_.-]{0,64}$/,
      message: 'REDIS_KEY_PREFIX must be at most 64 characters of [A-Za-z0-9:_.-]',
      doc: 'prefix of every Redis key',
    }),
    REDIS_COMMAND_TIMEOUT_MS: int({
      default: 500,
      min: 10,
      max: 60_000,
      doc: 'a Redis command not answered in time fails',
    }),
    REDIS_BREAKER_RESET_MS: int({
      default: 5_000,
      min: 100,
      max: 600_000,
      doc: 'after a failure Redis is not waited on for this long (circuit breaker); limits fall back to per-process counters',
    }),
  },
  build: (v) => ({
    redis:
      v.REDIS_URL === undefined
        ? null
        : {
            url: v.REDIS_URL,
            keyPrefix: v.REDIS_KEY_PREFIX,
            /** A command not answered within this is failed (ioredis `commandTimeout`). */
            commandTimeoutMs: v.REDIS_COMMAND_TIMEOUT_MS,
            /** After a failure, Redis is not waited on for this long (circuit open), then probed. */
            breakerResetMs: v.REDIS_BREAKER_RESET_MS,
          },
  }),
});

export const RateLimitSection = defineConfigSection({
  title: 'Rate limit',
  variables: {
    RATE_LIMIT_TTL_MS: int({
      default: 900_000,
      min: 1,
      doc: 'window of the global `/api` limit, per client address',
    }),
    RATE_LIMIT_MAX: int({
      default: 100,
      min: 1,
      doc: 'requests per window of the global `/api` limit',
    }),
  },
  build: (v) => ({ rateLimit: { ttlMs: v.RATE_LIMIT_TTL_MS, max: v.RATE_LIMIT_MAX } }),
});

/** Its value is the configured secret; loadConfig() derives one when it is unset. */
export const PaginationSection = defineConfigSection({
  title: 'Pagination',
  variables: {
    CURSOR_SECRET: text({
      minLength: 32,
      lengthMessage: 'CURSOR_SECRET must be at least 32 characters',
      secret: true,
      defaultDoc: 'derived from `JWT_SECRET`',
      doc: '≥ 32 chars; HMAC key of pagination cursors (a cursor the server did not issue is a 400)',
    }),
  },
  build: (v) => ({ cursorSecret: v.CURSOR_SECRET ?? null }),
});

export const CacheSection = defineConfigSection({
  title: 'Caches',
  variables: {
    CACHE_MAX: int({
      default: 10_000,
      min: 1,
      max: 10_000_000,
      doc: 'entries of every in-process LRU cache',
    }),
    CACHE_TTL_MS: int({ default: 30_000, min: 1, doc: 'lifetime of an entry of those caches' }),
  },
  build: (v) => ({
    /** Every in-process cache is an LRU with these bounds. */
    cache: { max: v.CACHE_MAX, ttlMs: v.CACHE_TTL_MS },
  }),
});

export const LifecycleSection = defineConfigSection({
  title: 'Logging and lifecycle',
  variables: {
    LOG_LEVEL: oneOf(LOG_LEVELS, {
      default: 'info',
      doc: 'pino level: `fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`',
    }),
    LOG_FORMAT: oneOf(['json', 'pretty'], {
      defaultDoc: '`pretty` in development, else `json`',
      doc: '`json` or `pretty`',
    }),
    SHUTDOWN_READY_DELAY_MS: int({
      min: 0,
      defaultDoc: '`0` in development, else `5000`',
      doc: 'readiness is 503 this long before the server stops accepting',
    }),
    SHUTDOWN_TIMEOUT_MS: int({
      default: 30_000,
      min: 100,
      doc: 'hard deadline of a graceful shutdown (then exit 1)',
    }),
    FAULT_INJECTION: bool({
      default: false,
      doc: 'failure-drill routes under `/api/v1/_faults` (refused in production)',
    }),
  },
  build: (v, { nodeEnv }) => ({
    log: {
      level: v.LOG_LEVEL,
      pretty: (v.LOG_FORMAT ?? (nodeEnv === 'development' ? 'pretty' : 'json')) === 'pretty',
    },
    shutdown: {
      readyDelayMs: v.SHUTDOWN_READY_DELAY_MS ?? (nodeEnv === 'development' ? 0 : 5_000),
      timeoutMs: v.SHUTDOWN_TIMEOUT_MS,
    },
    /** Mounts the failure-drill routes (never in production). */
    faultInjection: v.FAULT_INJECTION,
  }),
  check: ({ shutdown, faultInjection }, _values, { isProduction }) => [
    ...(shutdown.readyDelayMs >= shutdown.timeoutMs
      ? [
          `SHUTDOWN_READY_DELAY_MS=${shutdown.readyDelayMs}: must be less than SHUTDOWN_TIMEOUT_MS (${shutdown.timeoutMs})`,
        ]
      : []),
    ...(faultInjection && isProduction
      ? ['FAULT_INJECTION=true: refused when NODE_ENV=production']
      : []),
  ],
});

/** What a process does: serve HTTP, run background jobs, or both. */
export const APP_ROLES = ['all', 'api', 'worker'] as const;
export type AppRole = (typeof APP_ROLES)[number];

export const ProcessSection = defineConfigSection({
  title: 'Processes and observability',
  variables: {
    APP_ROLE: oneOf(APP_ROLES, {
      default: 'all',
      doc: '`all` (HTTP and jobs), `api` (HTTP only) or `worker` (jobs, plus `/health`, `/ready`, `/metrics`)',
    }),
    CLUSTER_WORKERS: text({
      default: '1',
      pattern: /^(max|[1-9]\d{0,2})$/,
      message: 'CLUSTER_WORKERS must be a number of workers (1-999) or max',
      doc: 'worker processes (`max` = one per core); more than 1 needs `REDIS_URL` and `DATABASE_URL`',
    }),
    CLUSTER_JOB_WORKERS: int({
      default: 0,
      min: 0,
      max: 64,
      doc: 'with `CLUSTER_WORKERS` > 1: extra processes that only run jobs (`APP_ROLE=worker`, no HTTP port), the HTTP ones then run `APP_ROLE=api`',
    }),
    MEMORY_LOG_INTERVAL_MS: int({
      default: 30_000,
      min: 0,
      doc: 'log rss/heap/external this often (`0` = off)',
    }),
    NODE_MAX_OLD_SPACE_MB: int({
      default: 512,
      min: 64,
      doc: 'V8 old-space limit set by `npm start` and the image',
    }),
    OTEL_EXPORTER_OTLP_ENDPOINT: text({
      pattern: /^https?:\/\/\S+$/,
      message: 'OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL',
      example: 'http://otel-collector:4318',
      doc: 'OpenTelemetry traces (HTTP, Express, Nest, pg) over OTLP/HTTP; off when unset',
    }),
    OTEL_SERVICE_NAME: text({
      default: 'nest-enterprise-backend',
      pattern: /^[A-Za-z0-9._-]{1,100}$/,
      message: 'OTEL_SERVICE_NAME must be 1-100 characters of [A-Za-z0-9._-]',
      doc: 'service name of the traces',
    }),
  },
  build: (v) => ({
    app: {
      role: v.APP_ROLE,
      /** This process serves the business routes (`all`, `api`). */
      servesApi: v.APP_ROLE !== 'worker',
      /** This process runs jobs, schedules and the outbox relay (`all`, `worker`). */
      runsJobs: v.APP_ROLE !== 'api',
    },
    /** Worker processes: 1 = a single process (no primary). */
    cluster: {
      workers: v.CLUSTER_WORKERS === 'max' ? availableParallelism() : Number(v.CLUSTER_WORKERS),
      jobWorkers: v.CLUSTER_JOB_WORKERS,
    },
    observability: {
      /** 0 = memory usage is not logged. */
      memoryLogIntervalMs: v.MEMORY_LOG_INTERVAL_MS,
      /** OpenTelemetry tracing is on only when an OTLP endpoint is configured. */
      otlpEndpoint: v.OTEL_EXPORTER_OTLP_ENDPOINT ?? null,
    },
  }),
});

export const JobsSection = defineConfigSection({
  title: 'Background jobs',
  variables: {
    JOBS_POLL_INTERVAL_MS: int({
      default: 2_000,
      min: 500,
      max: 60_000,
      doc: 'how often an idle worker looks for new jobs in each queue',
    }),
    JOBS_CONCURRENCY: int({
      default: 4,
      min: 1,
      max: 100,
      doc: 'jobs of one queue a process runs at once',
    }),
    JOBS_DB_POOL_MAX: int({
      default: 4,
      min: 1,
      max: 100,
      defaultDoc: '`4` (PGlite: shares its one connection)',
      doc: "connections of the job queue's own pool",
    }),
    HOUSEKEEPING_CRON: text({
      default: '*/10 * * * *',
      pattern: /^\S+( \S+){4}$/,
      message: 'HOUSEKEEPING_CRON must be a five-field cron expression such as */10 * * * *',
      doc: 'when clean-up runs (expired keys, tokens, old events): once per occurrence across all instances, UTC',
    }),
    OUTBOX_POLL_INTERVAL_MS: int({
      default: 500,
      min: 10,
      max: 60_000,
      doc: 'how often a worker looks for events not yet handed to their subscribers',
    }),
  },
  build: (v) => ({
    jobs: {
      pollIntervalMs: v.JOBS_POLL_INTERVAL_MS,
      concurrency: v.JOBS_CONCURRENCY,
      poolMax: v.JOBS_DB_POOL_MAX,
      outboxPollIntervalMs: v.OUTBOX_POLL_INTERVAL_MS,
      housekeepingCron: v.HOUSEKEEPING_CRON,
    },
  }),
});

/** Every platform section, in the order they are read and documented. */
export const PLATFORM_SECTIONS = [
  RuntimeSection,
  HttpSection,
  DatabaseSection,
  RedisSection,
  RateLimitSection,
  PaginationSection,
  CacheSection,
  LifecycleSection,
  ProcessSection,
  JobsSection,
] as const;

type SectionValue = <S extends (typeof PLATFORM_SECTIONS)[number]>(section: S) => InstanceType<S>;

/** The platform's values as one object (AppConfig); the cursor key is resolved by the loader. */
export function mergePlatformValues(value: SectionValue, cursorSecret: string) {
  return {
    ...value(RuntimeSection),
    ...value(HttpSection),
    ...value(DatabaseSection),
    ...value(RedisSection),
    ...value(RateLimitSection),
    /** HMAC key for pagination cursors: a cursor the server did not issue is a 400. */
    pagination: { cursorSecret } as const,
    ...value(CacheSection),
    ...value(LifecycleSection),
    ...value(ProcessSection),
    ...value(JobsSection),
  };
}

/** Rules across the platform's sections, run when each of them is valid. */
export function platformChecks(value: SectionValue): string[] {
  const { workers } = value(ProcessSection).cluster;
  const problems: string[] = [];
  if (workers > 1 && value(RedisSection).redis === null) {
    problems.push(
      `CLUSTER_WORKERS=${workers}: needs REDIS_URL, or every worker would keep its own rate-limit counters`,
    );
  }
  if (workers > 1 && value(DatabaseSection).database.target.kind === 'pglite') {
    problems.push(
      `CLUSTER_WORKERS=${workers}: the embedded database serves one process; set DATABASE_URL`,
    );
  }
  const { jobWorkers } = value(ProcessSection).cluster;
  if (jobWorkers > 0 && workers < 2) {
    problems.push(
      `CLUSTER_JOB_WORKERS=${jobWorkers}: only with CLUSTER_WORKERS > 1 (a single process runs its jobs itself with APP_ROLE=all)`,
    );
  }
  const { role } = value(ProcessSection).app;
  if (jobWorkers > 0 && role !== 'all') {
    problems.push(
      `CLUSTER_JOB_WORKERS=${jobWorkers}: only with APP_ROLE=all (the primary then splits the roles between its children)`,
    );
  }
  return problems;
}
