import { TEST_REDIS_URL, uniqueRedisPrefix, useTestDatabase } from '../utils/database';
import { ProbeModule } from '../utils/probe.module';
import { useTestApp } from '../utils/test-app';

describe('global rate limit', () => {
  const database = useTestDatabase();

  describe('in memory (single process)', () => {
    const t = useTestApp(
      { RATE_LIMIT_MAX: '3', RATE_LIMIT_TTL_MS: '60000' },
      { database, imports: [ProbeModule] },
    );

    it('answers the request over the limit with 429 problem details and Retry-After', async () => {
      for (let i = 0; i < 3; i += 1) {
        await t.http.get('/api/v1/_probe/db').expect(200);
      }
      const res = await t.http.get('/api/v1/_probe/db').expect(429);
      const retryAfter = Number(res.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      expect(res.body).toEqual({
        type: 'https://errors.example.com/too-many-requests',
        title: 'Too Many Requests',
        status: 429,
        detail: `Too many requests; retry after ${retryAfter} seconds`,
        instance: '/api/v1/_probe/db',
        code: 'RATE_LIMITED',
        requestId: res.headers['x-request-id'],
      });
    });

    it('never throttles operational routes', async () => {
      for (let i = 0; i < 10; i += 1) {
        await t.http.get('/health').expect(200);
        await t.http.get('/ready').expect(200);
        await t.http.get('/metrics').expect(200);
      }
    });
  });

  describe('in Redis (shared by every process)', () => {
    const env = {
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: uniqueRedisPrefix('rl'),
      RATE_LIMIT_MAX: '4',
      RATE_LIMIT_TTL_MS: '60000',
    };
    const a = useTestApp(env, { database, imports: [ProbeModule] });
    const b = useTestApp(env, { database, imports: [ProbeModule] });

    it('holds the limit across two instances of the app', async () => {
      await a.http.get('/api/v1/_probe/db').expect(200);
      await b.http.get('/api/v1/_probe/db').expect(200);
      await a.http.get('/api/v1/_probe/db').expect(200);
      await b.http.get('/api/v1/_probe/db').expect(200);
      const res = await a.http.get('/api/v1/_probe/db').expect(429);
      expect(res.body.code).toBe('RATE_LIMITED');
      await b.http.get('/api/v1/_probe/db').expect(429);
    });

    it('reports Redis in readiness', async () => {
      const res = await a.http.get('/ready').expect(200);
      expect(res.body.details.redis).toEqual({ status: 'up' });
    });
  });

  describe('when Redis is unreachable', () => {
    const t = useTestApp(
      { REDIS_URL: 'redis://127.0.0.1:1', RATE_LIMIT_MAX: '2', RATE_LIMIT_TTL_MS: '60000' },
      { database, imports: [ProbeModule] },
    );

    it('keeps serving and still enforces the limit per process', async () => {
      await t.http.get('/api/v1/_probe/db').expect(200);
      await t.http.get('/api/v1/_probe/db').expect(200);
      await t.http.get('/api/v1/_probe/db').expect(429);
      const warned = t.logs.lines.filter((l) =>
        String(l.msg).startsWith('Rate-limit storage unavailable'),
      );
      expect(warned).toHaveLength(1);
    });

    it('says so in readiness', async () => {
      const res = await t.http.get('/ready').expect(503);
      expect(res.body.status).toBe('error');
      expect(res.body.error.redis.status).toBe('down');
      expect(res.body.info.database).toEqual({ status: 'up' });
    });
  });
});
