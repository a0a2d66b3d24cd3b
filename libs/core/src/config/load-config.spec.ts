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
    const config = loadConfig({ DATABASE_URL: 'postgres://u@db:5432/app', NODE_ENV: 'production' });
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
    expect(config.redis).toEqual({ url: 'redis://127.0.0.1:6379', keyPrefix: 'app:' });
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
