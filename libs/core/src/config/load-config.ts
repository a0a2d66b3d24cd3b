import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';

import { parse as parseDotenv } from 'dotenv';

import type { AppConfig, DatabaseTarget } from './app-config';
import { ConfigValidationError } from './config-validation.error';
import { validateEnvironment, type EnvironmentVariables } from './environment';

export type RawEnvironment = Readonly<Record<string, string | undefined>>;

/**
 * The process environment, over the values of a `.env` file in the working directory
 * (real environment variables win). This is the only place that reads `process.env`.
 */
export function readEnvironment(overrides: RawEnvironment = {}): RawEnvironment {
  const file = resolve(process.cwd(), '.env');
  const fromFile = existsSync(file) ? parseDotenv(readFileSync(file)) : {};
  return { ...fromFile, ...process.env, ...overrides };
}

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

function trustProxy(value: string | undefined): boolean | number | string {
  if (value === undefined || value === 'false') {
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

/**
 * CURSOR_SECRET, else a key derived from JWT_SECRET (so every instance that shares the JWT
 * key accepts the others' cursors), else a random key per process (development only).
 */
function cursorSecret(env: EnvironmentVariables): string {
  if (env.CURSOR_SECRET !== undefined) {
    return env.CURSOR_SECRET;
  }
  if (env.JWT_SECRET !== undefined) {
    return createHmac('sha256', env.JWT_SECRET).update('pagination-cursor').digest('base64url');
  }
  return randomBytes(32).toString('base64url');
}

function build(env: EnvironmentVariables): AppConfig {
  const nodeEnv = env.NODE_ENV ?? 'development';
  const isProduction = nodeEnv === 'production';
  const target = databaseTarget(env.DATABASE_URL);
  return {
    nodeEnv,
    isProduction,
    http: {
      host: env.HOST ?? '0.0.0.0',
      port: env.PORT ?? 3000,
      trustProxy: trustProxy(env.TRUST_PROXY),
      corsOrigins: corsOrigins(env.CORS_ORIGINS),
      bodyLimitBytes: 100 * 1024,
      jsonMaxDepth: env.JSON_MAX_DEPTH ?? 32,
      headersTimeoutMs: env.HTTP_HEADERS_TIMEOUT_MS ?? 10_000,
      requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS ?? 30_000,
      keepAliveTimeoutMs: env.HTTP_KEEP_ALIVE_TIMEOUT_MS ?? 5_000,
    },
    database: {
      target,
      // PGlite is a single session: one connection, whatever is configured.
      poolMax: target.kind === 'pglite' ? 1 : (env.DB_POOL_MAX ?? 20),
      idleTimeoutMs: env.DB_IDLE_TIMEOUT_MS ?? 30_000,
      connectionTimeoutMs: env.DB_CONNECTION_TIMEOUT_MS ?? 2_000,
      statementTimeoutMs: env.DB_STATEMENT_TIMEOUT_MS ?? 5_000,
      queryTimeoutMs: env.DB_QUERY_TIMEOUT_MS ?? (env.DB_STATEMENT_TIMEOUT_MS ?? 5_000) + 1_000,
      migrateOnStart: env.DB_MIGRATE_ON_START ?? target.kind === 'pglite',
      connectRetries: target.kind === 'pglite' ? 0 : (env.DB_CONNECT_RETRIES ?? 9),
    },
    redis:
      env.REDIS_URL === undefined
        ? null
        : {
            url: env.REDIS_URL,
            keyPrefix: env.REDIS_KEY_PREFIX ?? 'app:',
            commandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS ?? 500,
            breakerResetMs: env.REDIS_BREAKER_RESET_MS ?? 5_000,
          },
    pagination: { cursorSecret: cursorSecret(env) },
    rateLimit: { ttlMs: env.RATE_LIMIT_TTL_MS ?? 900_000, max: env.RATE_LIMIT_MAX ?? 100 },
    log: {
      level: env.LOG_LEVEL ?? 'info',
      pretty: (env.LOG_FORMAT ?? (nodeEnv === 'development' ? 'pretty' : 'json')) === 'pretty',
    },
    shutdown: {
      readyDelayMs: env.SHUTDOWN_READY_DELAY_MS ?? (nodeEnv === 'development' ? 0 : 5_000),
      timeoutMs: env.SHUTDOWN_TIMEOUT_MS ?? 30_000,
    },
    docs: { enabled: env.DOCS_ENABLED ?? true },
    problemTypeBaseUri: env.PROBLEM_TYPE_BASE_URI ?? 'https://errors.example.com',
    faultInjection: env.FAULT_INJECTION ?? false,
    auth: {
      jwtSecret: env.JWT_SECRET ?? null,
      jwtIssuer: env.JWT_ISSUER ?? 'nest-enterprise-backend',
      jwtAudience: env.JWT_AUDIENCE ?? 'nest-enterprise-backend-api',
      accessTokenTtlSeconds: env.JWT_ACCESS_TTL ?? 900,
      refreshTokenTtlSeconds: env.REFRESH_TOKEN_TTL ?? 604_800,
      argon2: {
        memoryKib: env.ARGON2_MEMORY_KIB ?? 19_456,
        timeCost: env.ARGON2_TIME_COST ?? 2,
        parallelism: env.ARGON2_PARALLELISM ?? 1,
        concurrency: env.PASSWORD_HASH_CONCURRENCY ?? Math.max(1, availableParallelism() - 1),
      },
      loginRateLimit: {
        max: env.LOGIN_RATE_LIMIT_MAX ?? 5,
        ttlMs: env.LOGIN_RATE_LIMIT_TTL_MS ?? 900_000,
      },
      bootstrapAdmin:
        env.BOOTSTRAP_ADMIN_EMAIL !== undefined && env.BOOTSTRAP_ADMIN_PASSWORD !== undefined
          ? { email: env.BOOTSTRAP_ADMIN_EMAIL, password: env.BOOTSTRAP_ADMIN_PASSWORD }
          : null,
    },
    idempotency: { ttlMs: env.IDEMPOTENCY_TTL_MS ?? 86_400_000 },
    observability: {
      memoryLogIntervalMs: env.MEMORY_LOG_INTERVAL_MS ?? 30_000,
      otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT ?? null,
    },
    cluster: {
      workers:
        env.CLUSTER_WORKERS === undefined
          ? 1
          : env.CLUSTER_WORKERS === 'max'
            ? availableParallelism()
            : Number(env.CLUSTER_WORKERS),
    },
    cache: { max: env.CACHE_MAX ?? 10_000, ttlMs: env.CACHE_TTL_MS ?? 30_000 },
  };
}

function crossChecks(config: AppConfig, env: EnvironmentVariables): string[] {
  const problems: string[] = [];
  const { shutdown, http } = config;
  if (shutdown.readyDelayMs >= shutdown.timeoutMs) {
    problems.push(
      `SHUTDOWN_READY_DELAY_MS=${shutdown.readyDelayMs}: must be less than SHUTDOWN_TIMEOUT_MS (${shutdown.timeoutMs})`,
    );
  }
  if (http.headersTimeoutMs > http.requestTimeoutMs) {
    problems.push(
      `HTTP_HEADERS_TIMEOUT_MS=${http.headersTimeoutMs}: must not exceed HTTP_REQUEST_TIMEOUT_MS (${http.requestTimeoutMs})`,
    );
  }
  if (config.isProduction && config.auth.jwtSecret === null) {
    problems.push('JWT_SECRET: required in production (at least 32 characters)');
  }
  if (
    (config.auth.bootstrapAdmin === null) !==
    (env.BOOTSTRAP_ADMIN_EMAIL === undefined && env.BOOTSTRAP_ADMIN_PASSWORD === undefined)
  ) {
    problems.push('BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD: set both or neither');
  }
  if (config.cluster.workers > 1 && config.redis === null) {
    problems.push(
      `CLUSTER_WORKERS=${config.cluster.workers}: needs REDIS_URL, or every worker would keep its own rate-limit counters`,
    );
  }
  if (config.cluster.workers > 1 && config.database.target.kind === 'pglite') {
    problems.push(
      `CLUSTER_WORKERS=${config.cluster.workers}: the embedded database serves one process; set DATABASE_URL`,
    );
  }
  if (config.faultInjection && config.isProduction) {
    problems.push('FAULT_INJECTION=true: refused when NODE_ENV=production');
  }
  return problems;
}

/** Validates the environment into the typed config; throws one error listing every problem. */
export function loadConfig(raw: RawEnvironment = readEnvironment()): AppConfig {
  const env = validateEnvironment(raw);
  const config = build(env);
  const problems = crossChecks(config, env);
  if (problems.length > 0) {
    throw new ConfigValidationError(problems);
  }
  return config;
}
