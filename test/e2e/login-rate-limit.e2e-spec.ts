import { createUser } from '../factories/users';
import { TEST_REDIS_URL, uniqueRedisPrefix, useTestDatabase } from '../utils/database';
import { useTestApp } from '../utils/test-app';

const LIMITED = {
  LOGIN_RATE_LIMIT_MAX: '5',
  LOGIN_RATE_LIMIT_TTL_MS: '900000',
  // Client addresses come from X-Forwarded-For, so one test can play many clients.
  TRUST_PROXY: 'true',
};

describe('login brute-force limit', () => {
  const database = useTestDatabase();

  describe('in one process', () => {
    const t = useTestApp(LIMITED, { database });

    it('answers the 6th attempt on one email with 429, even with the right password', async () => {
      const user = await createUser(t.http);
      // createUser logged in once from 127.0.0.1: four more attempts from other addresses.
      for (let i = 0; i < 4; i += 1) {
        await t.http
          .post('/api/v1/auth/login')
          .set('X-Forwarded-For', `203.0.113.${i + 1}`)
          .send({ email: user.email, password: 'wrong password' })
          .expect(401);
      }
      const res = await t.http
        .post('/api/v1/auth/login')
        .set('X-Forwarded-For', '203.0.113.99')
        .send({ email: user.email.toUpperCase(), password: user.password })
        .expect(429);
      const retryAfter = Number(res.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(800);
      expect(retryAfter).toBeLessThanOrEqual(900);
      expect(res.body).toEqual({
        type: 'https://errors.example.com/too-many-requests',
        title: 'Too Many Requests',
        status: 429,
        detail: `Too many requests; retry after ${retryAfter} seconds`,
        instance: '/api/v1/auth/login',
        code: 'RATE_LIMITED',
        requestId: res.headers['x-request-id'],
      });
    });

    it('answers the 6th attempt from one address with 429, whatever the emails', async () => {
      for (let i = 0; i < 5; i += 1) {
        await t.http
          .post('/api/v1/auth/login')
          .set('X-Forwarded-For', '198.51.100.7')
          .send({ email: `nobody${i}@example.com`, password: 'whatever password' })
          .expect(401);
      }
      await t.http
        .post('/api/v1/auth/login')
        .set('X-Forwarded-For', '198.51.100.7')
        .send({ email: 'someone-else@example.com', password: 'whatever password' })
        .expect(429);
      await t.http
        .post('/api/v1/auth/login')
        .set('X-Forwarded-For', '198.51.100.8')
        .send({ email: 'someone-else@example.com', password: 'whatever password' })
        .expect(401);
    });
  });

  describe('across processes (Redis)', () => {
    const env = {
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: uniqueRedisPrefix('login'),
      ...LIMITED,
    };
    const a = useTestApp(env, { database });
    const b = useTestApp(env, { database });

    it('counts attempts on both instances against one limit', async () => {
      const email = 'target@example.com';
      for (let i = 0; i < 5; i += 1) {
        await (i % 2 === 0 ? a : b).http
          .post('/api/v1/auth/login')
          .set('X-Forwarded-For', `192.0.2.${i + 1}`)
          .send({ email, password: 'guess number one' })
          .expect(401);
      }
      await b.http
        .post('/api/v1/auth/login')
        .set('X-Forwarded-For', '192.0.2.50')
        .send({ email, password: 'guess number six' })
        .expect(429);
      await a.http
        .post('/api/v1/auth/login')
        .set('X-Forwarded-For', '192.0.2.51')
        .send({ email, password: 'guess number seven' })
        .expect(429);
    });
  });
});
