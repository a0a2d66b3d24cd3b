import { availableParallelism } from 'node:os';

import { ConfigValidationError } from './config-validation.error';
import { loadConfig } from './load-config';

describe('loadConfig', () => {
  it('starts on embedded PGlite with documented defaults when nothing is set', () => {
    const config = loadConfig({});
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
    const config = loadConfig({
      DATABASE_URL: 'postgres://u@db:5432/app',
      NODE_ENV: 'production',
      JWT_SECRET: 's'.repeat(32),
    });
    expect(config.database.target).toEqual({ kind: 'postgres', url: 'postgres://u@db:5432/app' });
    expect(config.database.migrateOnStart).toBe(false);
    expect(config.database.poolMax).toBe(20);
    expect(config.shutdown.readyDelayMs).toBe(5_000);
    expect(config.log.pretty).toBe(false);
  });

  it('reads pglite://memory as an in-memory database', () => {
    expect(loadConfig({ DATABASE_URL: 'pglite://memory' }).database.target).toEqual({
      kind: 'pglite',
      dataDir: null,
    });
  });

  it('parses numbers, booleans, lists and trust-proxy forms', () => {
    const config = loadConfig({
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
    expect(loadConfig({ PORT: '', DATABASE_URL: '' }).http.port).toBe(3000);
  });

  it('names every bad variable in one error', () => {
    let caught: unknown;
    try {
      loadConfig({
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
      loadConfig({ SHUTDOWN_READY_DELAY_MS: '5000', SHUTDOWN_TIMEOUT_MS: '3000' }),
    ).toThrow(/SHUTDOWN_READY_DELAY_MS=5000: must be less than SHUTDOWN_TIMEOUT_MS/);
  });

  it('refuses fault injection in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', FAULT_INJECTION: 'true' })).toThrow(
      /FAULT_INJECTION=true: refused when NODE_ENV=production/,
    );
  });
});

describe('loadConfig: auth settings', () => {
  it('refuses production without a JWT secret, and a short secret anywhere', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
      /JWT_SECRET: required in production/,
    );
    expect(() => loadConfig({ JWT_SECRET: 'short' })).toThrow(
      /JWT_SECRET must be at least 32 characters/,
    );
  });

  it('refuses argon2 parameters below the OWASP minimum', () => {
    expect(() => loadConfig({ ARGON2_MEMORY_KIB: '4096' })).toThrow(
      /ARGON2_MEMORY_KIB must be at least 19456/,
    );
    expect(() => loadConfig({ ARGON2_TIME_COST: '1' })).toThrow(/ARGON2_TIME_COST/);
  });

  it('needs both bootstrap admin variables or neither, and normalises the email', () => {
    expect(() => loadConfig({ BOOTSTRAP_ADMIN_EMAIL: 'a@example.com' })).toThrow(
      /set both or neither/,
    );
    expect(
      loadConfig({
        BOOTSTRAP_ADMIN_EMAIL: ' A@Example.com ',
        BOOTSTRAP_ADMIN_PASSWORD: 'long enough',
      }).auth.bootstrapAdmin,
    ).toEqual({ email: 'a@example.com', password: 'long enough' });
  });

  it('defaults to 15-minute access tokens, 7-day refresh tokens and 5 logins per 15 minutes', () => {
    const { auth, cache } = loadConfig({});
    expect(auth.accessTokenTtlSeconds).toBe(900);
    expect(auth.refreshTokenTtlSeconds).toBe(604_800);
    expect(auth.loginRateLimit).toEqual({ max: 5, ttlMs: 900_000 });
    expect(auth.argon2).toEqual({
      memoryKib: 19_456,
      timeCost: 2,
      parallelism: 1,
      concurrency: Math.max(1, availableParallelism() - 1),
    });
    expect(cache).toEqual({ max: 10_000, ttlMs: 30_000 });
  });
});
