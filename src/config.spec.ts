import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

import { ConfigValidationError, renderEnvExample, withConfigTable } from '@app/core';

import { CONFIG_SECTIONS, loadAppConfig } from './config';
import { AuthConfig } from './modules/auth/auth.config';
import { OrdersConfig } from './modules/orders/orders.config';
import { UsersConfig } from './modules/users/users.config';

describe('loadAppConfig', () => {
  it('starts on embedded PGlite with documented defaults when nothing is set', () => {
    const config = loadAppConfig({});
    expect(config.nodeEnv).toBe('development');
    expect(config.http.port).toBe(3000);
    expect(config.database.target.kind).toBe('pglite');
    expect(config.database.migrateOnStart).toBe(true);
    expect(config.database.poolMax).toBe(1);
    expect(config.rateLimit).toEqual({ ttlMs: 900_000, max: 100 });
    expect(config.shutdown).toEqual({ readyDelayMs: 0, timeoutMs: 30_000 });
    expect(config.http.trustProxy).toBe(false);
    expect(config.http.corsOrigins).toEqual([]);
    expect(config.redis).toBeNull();
  });

  it('uses PostgreSQL with a URL, and does not migrate on start unless asked', () => {
    const config = loadAppConfig({
      DATABASE_URL: 'postgres://u@db:5432/app',
      NODE_ENV: 'production',
      JWT_SECRET: 's'.repeat(32),
      MFA_ENCRYPTION_KEY: 'a'.repeat(64),
    });
    expect(config.database.target).toEqual({ kind: 'postgres', url: 'postgres://u@db:5432/app' });
    expect(config.database.migrateOnStart).toBe(false);
    expect(config.database.poolMax).toBe(20);
    expect(config.shutdown.readyDelayMs).toBe(5_000);
    expect(config.log.pretty).toBe(false);
  });

  it('reads pglite://memory as an in-memory database', () => {
    expect(loadAppConfig({ DATABASE_URL: 'pglite://memory' }).database.target).toEqual({
      kind: 'pglite',
      dataDir: null,
    });
  });

  it('parses numbers, booleans, lists and trust-proxy forms', () => {
    const config = loadAppConfig({
      PORT: '8080',
      DB_MIGRATE_ON_START: 'false',
      CORS_ORIGINS: 'https://a.example.com, http://localhost:5173',
      TRUST_PROXY: '2',
      REDIS_URL: 'redis://127.0.0.1:6379',
    });
    expect(config.http.port).toBe(8080);
    expect(config.database.migrateOnStart).toBe(false);
    expect(config.http.corsOrigins).toEqual(['https://a.example.com', 'http://localhost:5173']);
    expect(config.http.trustProxy).toBe(2);
    expect(config.redis).toEqual({
      url: 'redis://127.0.0.1:6379',
      keyPrefix: 'app:',
      commandTimeoutMs: 500,
      breakerResetMs: 5_000,
    });
  });

  it('treats an empty variable as unset', () => {
    expect(loadAppConfig({ PORT: '', DATABASE_URL: '' }).http.port).toBe(3000);
  });

  it('names every bad variable in one error', () => {
    let caught: unknown;
    try {
      loadAppConfig({
        PORT: 'abc',
        DB_POOL_MAX: '0',
        CORS_ORIGINS: '*',
        DATABASE_URL: 'mysql://x',
        LOG_LEVEL: 'loud',
      });
    } catch (error: unknown) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigValidationError);
    const message = (caught as Error).message;
    expect(message).toContain('5 problems');
    for (const name of [
      'PORT="abc"',
      'DB_POOL_MAX=0',
      'CORS_ORIGINS="*"',
      'DATABASE_URL=',
      'LOG_LEVEL=',
    ]) {
      expect(message).toContain(name);
    }
  });

  it('refuses a ready delay that does not fit in the shutdown deadline', () => {
    expect(() =>
      loadAppConfig({ SHUTDOWN_READY_DELAY_MS: '5000', SHUTDOWN_TIMEOUT_MS: '3000' }),
    ).toThrow(/SHUTDOWN_READY_DELAY_MS=5000: must be less than SHUTDOWN_TIMEOUT_MS/);
  });

  it('refuses fault injection in production', () => {
    expect(() => loadAppConfig({ NODE_ENV: 'production', FAULT_INJECTION: 'true' })).toThrow(
      /FAULT_INJECTION=true: refused when NODE_ENV=production/,
    );
  });
});

describe("loadAppConfig: the modules' sections", () => {
  it('refuses production without a JWT secret, and a short secret anywhere', () => {
    expect(() => loadAppConfig({ NODE_ENV: 'production' })).toThrow(
      /JWT_SECRET: required in production/,
    );
    expect(() => loadAppConfig({ JWT_SECRET: 'short' })).toThrow(
      /JWT_SECRET must be at least 32 characters/,
    );
  });

  it('refuses argon2 parameters below the OWASP minimum', () => {
    expect(() => loadAppConfig({ ARGON2_MEMORY_KIB: '4096' })).toThrow(
      /ARGON2_MEMORY_KIB must be at least 19456/,
    );
    expect(() => loadAppConfig({ ARGON2_TIME_COST: '1' })).toThrow(/ARGON2_TIME_COST/);
  });

  it('needs both bootstrap admin variables or neither, and normalises the email', () => {
    expect(() => loadAppConfig({ BOOTSTRAP_ADMIN_EMAIL: 'a@example.com' })).toThrow(
      /set both or neither/,
    );
    expect(
      loadAppConfig({
        BOOTSTRAP_ADMIN_EMAIL: ' A@Example.com ',
        BOOTSTRAP_ADMIN_PASSWORD: 'long enough',
      }).sections.get(UsersConfig).bootstrapAdmin,
    ).toEqual({ email: 'a@example.com', password: 'long enough' });
  });

  it('defaults to 15-minute access tokens, 7-day refresh tokens and 5 logins per 15 minutes', () => {
    const { sections, cache } = loadAppConfig({});
    const auth = sections.get(AuthConfig);
    expect(auth.accessTokenTtlSeconds).toBe(900);
    expect(auth.refreshTokenTtlSeconds).toBe(604_800);
    expect(auth.loginRateLimit).toEqual({ max: 5, ttlMs: 900_000 });
    expect(sections.get(UsersConfig).argon2).toEqual({
      memoryKib: 19_456,
      timeCost: 2,
      parallelism: 1,
      concurrency: Math.max(1, availableParallelism() - 1),
    });
    expect(cache).toEqual({ max: 10_000, ttlMs: 30_000 });
  });

  it("checks the bootstrap password against the users module's password bounds, without echoing it", () => {
    const attempt = (): unknown =>
      loadAppConfig({
        BOOTSTRAP_ADMIN_EMAIL: 'a@example.com',
        BOOTSTRAP_ADMIN_PASSWORD: 'hunter2',
      });
    expect(attempt).toThrow(/BOOTSTRAP_ADMIN_PASSWORD must be 8 to 128 characters/);
    expect(attempt).not.toThrow(/hunter2/);
    expect(() =>
      loadAppConfig({
        BOOTSTRAP_ADMIN_EMAIL: 'a@example.com',
        BOOTSTRAP_ADMIN_PASSWORD: 'x'.repeat(129),
      }),
    ).toThrow(/BOOTSTRAP_ADMIN_PASSWORD must be 8 to 128 characters/);
  });

  it('takes front-end link paths under APP_PUBLIC_URL, and refuses one that climbs out', () => {
    expect(
      loadAppConfig({
        EMAIL_VERIFICATION_PATH: '/app/verify',
        PASSWORD_RESET_PATH: '/',
      }).sections.get(AuthConfig),
    ).toMatchObject({ emailVerification: { path: '/app/verify' }, passwordReset: { path: '/' } });
    // Each would pass start-up and then fail every mail at send time, for hours of retries.
    for (const path of ['/a/../reset', '/..', '/a/./b', 'reset', '/a b']) {
      expect(() => loadAppConfig({ PASSWORD_RESET_PATH: path })).toThrow(
        /PASSWORD_RESET_PATH must be a path such as \/reset-password/,
      );
    }
    expect(() => loadAppConfig({ EMAIL_VERIFICATION_PATH: '/../verify' })).toThrow(
      /EMAIL_VERIFICATION_PATH must be a path/,
    );
  });

  it('keeps Idempotency-Key records 24 h by default, and never less', () => {
    expect(loadAppConfig({}).sections.get(OrdersConfig)).toMatchObject({
      idempotencyTtlMs: 86_400_000,
    });
    expect(() => loadAppConfig({ IDEMPOTENCY_TTL_MS: '3600000' })).toThrow(
      /IDEMPOTENCY_TTL_MS=3600000: IDEMPOTENCY_TTL_MS must be at least 86400000 \(24 hours\)/,
    );
  });

  it('expires pending orders after a day by default, checked every minute', () => {
    expect(loadAppConfig({}).sections.get(OrdersConfig)).toMatchObject({
      pendingTtlMs: 86_400_000,
      expiryCron: '* * * * *',
    });
    expect(() => loadAppConfig({ ORDER_EXPIRY_CRON: 'every minute' })).toThrow(/ORDER_EXPIRY_CRON/);
  });

  it('runs jobs in every process by default, and splits the roles only in a cluster', () => {
    expect(loadAppConfig({}).app).toEqual({ role: 'all', servesApi: true, runsJobs: true });
    expect(loadAppConfig({ APP_ROLE: 'worker' }).app).toMatchObject({
      servesApi: false,
      runsJobs: true,
    });
    expect(loadAppConfig({ APP_ROLE: 'api' }).app).toMatchObject({
      servesApi: true,
      runsJobs: false,
    });
    expect(() => loadAppConfig({ APP_ROLE: 'both' })).toThrow(/APP_ROLE/);
    expect(() => loadAppConfig({ CLUSTER_JOB_WORKERS: '1' })).toThrow(
      /CLUSTER_JOB_WORKERS=1: only with CLUSTER_WORKERS > 1/,
    );
    const cluster = {
      CLUSTER_WORKERS: '2',
      CLUSTER_JOB_WORKERS: '1',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/x',
      REDIS_URL: 'redis://127.0.0.1:6379',
    };
    expect(loadAppConfig(cluster).cluster).toEqual({ workers: 2, jobWorkers: 1 });
    expect(() => loadAppConfig({ ...cluster, APP_ROLE: 'worker' })).toThrow(
      /CLUSTER_JOB_WORKERS=1: only with APP_ROLE=all/,
    );
  });

  it('names every bad variable of every section in one error', () => {
    let caught: unknown;
    try {
      loadAppConfig({
        PORT: 'abc',
        JWT_ACCESS_TTL: '1',
        ARGON2_TIME_COST: '1',
        IDEMPOTENCY_TTL_MS: '1000',
        NODE_ENV: 'production',
      });
    } catch (error: unknown) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigValidationError);
    expect((caught as ConfigValidationError).problems).toEqual([
      'PORT="abc": PORT must be an integer number',
      'JWT_ACCESS_TTL=1: JWT_ACCESS_TTL must not be less than 30',
      'MFA_ENCRYPTION_KEY: required in production (32 bytes: 64 hex characters, or base64)',
      'ARGON2_TIME_COST=1: ARGON2_TIME_COST must not be less than 2',
      'IDEMPOTENCY_TTL_MS=1000: IDEMPOTENCY_TTL_MS must be at least 86400000 (24 hours)',
    ]);
  });

  it('derives the cursor key from JWT_SECRET when CURSOR_SECRET is unset, so instances agree', () => {
    const jwt = { JWT_SECRET: 'j'.repeat(32) };
    const derived = loadAppConfig(jwt).pagination.cursorSecret;
    expect(loadAppConfig(jwt).pagination.cursorSecret).toBe(derived);
    expect(derived).not.toBe(jwt.JWT_SECRET);
    expect(loadAppConfig({ ...jwt, CURSOR_SECRET: 'c'.repeat(32) }).pagination.cursorSecret).toBe(
      'c'.repeat(32),
    );
    expect(loadAppConfig({}).pagination.cursorSecret).not.toBe(
      loadAppConfig({}).pagination.cursorSecret,
    );
  });
});

/** The generated files that differ from what the declarations generate. */
function staleConfigDocs(): string[] {
  const root = join(__dirname, '..');
  const read = (file: string): string => readFileSync(join(root, file), 'utf8');
  const readme = read('README.md');
  return [
    ...(withConfigTable(readme, CONFIG_SECTIONS) === readme ? [] : ['README.md']),
    ...(renderEnvExample(CONFIG_SECTIONS) === read('.env.example') ? [] : ['.env.example']),
  ];
}

describe('README.md and .env.example', () => {
  it('document every variable as the config sections declare it', () => {
    const stale = staleConfigDocs();
    expect(
      stale.length === 0
        ? 'up to date'
        : `${stale.join(' and ')}: out of date with the config declarations; run \`npm run config:docs\` (edit the declarations, not the generated text)`,
    ).toBe('up to date');
  });
});
