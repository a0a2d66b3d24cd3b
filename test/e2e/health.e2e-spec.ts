import { LifecycleService } from '@app/core';

import { ProbeModule } from '../utils/probe.module';
import { TcpProxy } from '../utils/tcp-proxy';
import { useTestApp } from '../utils/test-app';

async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) {
      return Date.now() - started;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

describe('GET /health and GET /ready', () => {
  const proxy = new TcpProxy('127.0.0.1', 5432);
  // The app reaches its database through the proxy, so a test can cut it off.
  const t = useTestApp(
    async (db) => {
      const url = new URL(db.url);
      url.host = `127.0.0.1:${await proxy.start()}`;
      return { DATABASE_URL: url.toString(), DB_CONNECTION_TIMEOUT_MS: '1000', DB_POOL_MAX: '4' };
    },
    { imports: [ProbeModule] },
  );

  afterAll(async () => {
    await proxy.cut();
  });

  it('both answer 200 while the database is up', async () => {
    await t.http.get('/health').expect(200, { status: 'ok', info: {}, error: {}, details: {} });
    const res = await t.http.get('/ready').expect(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.info.database).toEqual({ status: 'up' });
  });

  describe('when the database goes away', () => {
    beforeAll(async () => {
      await proxy.cut();
    });

    it('readiness turns 503 with the Terminus body, liveness stays 200', async () => {
      const res = await t.http.get('/ready').expect(503);
      expect(res.headers['content-type']).toContain('application/json');
      expect(res.headers['retry-after']).toBe('5');
      expect(res.body.status).toBe('error');
      expect(res.body.error.database.status).toBe('down');
      await t.http.get('/health').expect(200);
    });

    it('API calls answer 503 problem details instead of hanging', async () => {
      const started = Date.now();
      const res = await t.http.get('/api/v1/_probe/db').expect(503);
      expect(Date.now() - started).toBeLessThan(1000 + 1000 + 500);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.body).toMatchObject({
        code: 'DEPENDENCY_UNAVAILABLE',
        detail: 'Service unavailable; retry later',
      });
      expect(res.text).not.toMatch(/ECONN|timeout exceeded|127\.0\.0\.1/);
    });

    it('recovers by itself once the database is back', async () => {
      await proxy.restore();
      await eventually(async () => (await t.http.get('/ready')).status === 200, 10_000);
      await t.http.get('/api/v1/_probe/db').expect(200, { one: 1 });
    });
  });

  it('readiness is 503 from the first moment of shutdown, liveness still 200', async () => {
    t.app.get(LifecycleService).beginShutdown();
    const res = await t.http.get('/ready').expect(503);
    expect(res.body.error.lifecycle).toEqual({ status: 'down', message: 'shutting down' });
    await t.http.get('/health').expect(200);
    const served = await t.http.get('/api/v1/_probe/db').expect(200);
    expect(served.headers.connection).toBe('close');
  });
});
