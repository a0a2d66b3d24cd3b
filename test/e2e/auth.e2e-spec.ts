import { createHmac } from 'node:crypto';

import argon2 from 'argon2';
import { sign } from 'jsonwebtoken';

import { bearer, createUser, login } from '../factories/users';
import { TEST_JWT_SECRET, useTestApp } from '../utils/test-app';

describe('auth', () => {
  const t = useTestApp();

  describe('POST /api/v1/auth/login', () => {
    it('returns a token pair', async () => {
      const user = await createUser(t.http);
      const res = await t.http
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: user.password })
        .expect(200);
      expect(res.body).toEqual({
        accessToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
        refreshToken: expect.stringMatching(/^[\w-]{43}$/),
        tokenType: 'Bearer',
        expiresIn: 900,
      });
    });

    it('compares the email case-insensitively and trimmed', async () => {
      const user = await createUser(t.http);
      await t.http
        .post('/api/v1/auth/login')
        .send({ email: ` ${user.email.toUpperCase()} `, password: user.password })
        .expect(200);
    });

    it('gives a wrong password and an unknown email the same 401 body', async () => {
      const user = await createUser(t.http);
      const wrong = await t.http
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: 'not the password' })
        .expect(401);
      const unknown = await t.http
        .post('/api/v1/auth/login')
        .send({ email: 'nobody@example.com', password: 'not the password' })
        .expect(401);
      const strip = (body: Record<string, unknown>): Record<string, unknown> => ({
        ...body,
        requestId: null,
      });
      expect(strip(wrong.body)).toEqual(strip(unknown.body));
      expect(wrong.body).toMatchObject({
        status: 401,
        code: 'AUTH_INVALID_CREDENTIALS',
        detail: 'Invalid email or password',
      });
      expect(wrong.headers['www-authenticate']).toBe('Bearer realm="api"');
    });

    it('never logs passwords, hashes or tokens', async () => {
      const user = await createUser(t.http);
      const tokens = await login(t.http, user.email, user.password);
      const text = t.logs.text();
      expect(text).not.toContain(user.password);
      expect(text).not.toContain(tokens.refreshToken);
      expect(text).not.toContain(tokens.accessToken);
      expect(text).not.toContain('$argon2id$');
    });

    it('upgrades a hash made with weaker parameters on login', async () => {
      const user = await createUser(t.http);
      const weak = await argon2.hash(user.password, {
        type: argon2.argon2id,
        memoryCost: 19_456,
        timeCost: 3,
      });
      await t.sql('UPDATE users SET password_hash = $1 WHERE id = $2', [weak, user.id]);
      await login(t.http, user.email, user.password);
      const [row] = await t.sql<{ password_hash: string }>(
        'SELECT password_hash FROM users WHERE id = $1',
        [user.id],
      );
      expect(row?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      await login(t.http, user.email, user.password);
    });
  });

  describe('POST /api/v1/auth/refresh', () => {
    it('rotates: a new pair, and the old refresh token is dead', async () => {
      const user = await createUser(t.http);
      const res = await t.http
        .post('/api/v1/auth/refresh')
        .send({ refreshToken: user.refreshToken })
        .expect(200);
      expect(res.body.refreshToken).not.toBe(user.refreshToken);
      await t.http
        .get('/api/v1/users/me')
        .set(...bearer(res.body))
        .expect(200);
    });

    it('treats reuse of a rotated token as theft: 401 and the whole family is revoked', async () => {
      const user = await createUser(t.http);
      const rotated = await t.http
        .post('/api/v1/auth/refresh')
        .send({ refreshToken: user.refreshToken })
        .expect(200);
      const reuse = await t.http
        .post('/api/v1/auth/refresh')
        .send({ refreshToken: user.refreshToken })
        .expect(401);
      expect(reuse.body).toMatchObject({
        status: 401,
        code: 'AUTH_REFRESH_TOKEN_REUSED',
        detail: 'Refresh token was already used; every session of this login is revoked',
      });
      const descendant = await t.http
        .post('/api/v1/auth/refresh')
        .send({ refreshToken: rotated.body.refreshToken })
        .expect(401);
      expect(descendant.body.code).toBe('AUTH_REFRESH_TOKEN_INVALID');
    });

    it('revokes only the family of the reused token, not other logins', async () => {
      const user = await createUser(t.http);
      const otherLogin = await login(t.http, user.email, user.password);
      await t.http
        .post('/api/v1/auth/refresh')
        .send({ refreshToken: user.refreshToken })
        .expect(200);
      await t.http
        .post('/api/v1/auth/refresh')
        .send({ refreshToken: user.refreshToken })
        .expect(401);
      await t.http
        .post('/api/v1/auth/refresh')
        .send({ refreshToken: otherLogin.refreshToken })
        .expect(200);
    });

    it('lets only one of two concurrent uses of one token succeed', async () => {
      const user = await createUser(t.http);
      const results = await Promise.all([
        t.http.post('/api/v1/auth/refresh').send({ refreshToken: user.refreshToken }),
        t.http.post('/api/v1/auth/refresh').send({ refreshToken: user.refreshToken }),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
    });

    it('refuses an unknown token', async () => {
      const res = await t.http
        .post('/api/v1/auth/refresh')
        .send({ refreshToken: 'made-up' })
        .expect(401);
      expect(res.body).toMatchObject({ code: 'AUTH_REFRESH_TOKEN_INVALID', status: 401 });
    });

    it('refuses an expired token', async () => {
      const user = await createUser(t.http);
      await t.sql(
        "UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1",
        [user.id],
      );
      const res = await t.http
        .post('/api/v1/auth/refresh')
        .send({ refreshToken: user.refreshToken })
        .expect(401);
      expect(res.body.code).toBe('AUTH_REFRESH_TOKEN_INVALID');
    });

    it('stores refresh tokens only as hashes', async () => {
      const user = await createUser(t.http);
      const rows = await t.sql<{ token_hash: string }>(
        'SELECT token_hash FROM refresh_tokens WHERE user_id = $1',
        [user.id],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]?.token_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(rows)).not.toContain(user.refreshToken);
    });
  });

  describe('POST /api/v1/auth/logout', () => {
    it('answers 204 and ends the login', async () => {
      const user = await createUser(t.http);
      const res = await t.http
        .post('/api/v1/auth/logout')
        .send({ refreshToken: user.refreshToken })
        .expect(204);
      expect(res.text).toBe('');
      await t.http
        .post('/api/v1/auth/refresh')
        .send({ refreshToken: user.refreshToken })
        .expect(401);
    });

    it('is idempotent for unknown tokens', async () => {
      await t.http.post('/api/v1/auth/logout').send({ refreshToken: 'made-up' }).expect(204);
    });

    it('validates its body', async () => {
      const res = await t.http.post('/api/v1/auth/logout').send({}).expect(400);
      expect(res.body.errors[0].field).toBe('refreshToken');
    });
  });

  describe('access tokens', () => {
    const claims = (userId: string): Record<string, unknown> => ({
      role: 'admin',
      sub: userId,
      ver: 0,
    });
    const noExp = { issuer: 'nest-enterprise-backend', audience: 'nest-enterprise-backend-api' };
    const opts = { ...noExp, expiresIn: 60 };
    /** HS256 over any payload (jsonwebtoken's sign refuses a non-numeric iat). */
    const rawToken = (payload: Record<string, unknown>): string => {
      const part = (value: unknown): string =>
        Buffer.from(JSON.stringify(value)).toString('base64url');
      const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(payload)}`;
      const mac = createHmac('sha256', TEST_JWT_SECRET).update(unsigned).digest('base64url');
      return `${unsigned}.${mac}`;
    };
    const now = (): number => Math.floor(Date.now() / 1000);
    const registered = (id: string): Record<string, unknown> => ({
      ...claims(id),
      iss: opts.issuer,
      aud: opts.audience,
    });

    it.each([
      ['alg: none', (id: string) => sign(claims(id), '', { ...opts, algorithm: 'none' })],
      [
        'a wrong signature',
        (id: string) => sign(claims(id), 'another-secret-another-secret-1234', opts),
      ],
      [
        'another algorithm (HS512)',
        (id: string) => sign(claims(id), TEST_JWT_SECRET, { ...opts, algorithm: 'HS512' }),
      ],
      [
        'a wrong issuer',
        (id: string) => sign(claims(id), TEST_JWT_SECRET, { ...opts, issuer: 'evil' }),
      ],
      [
        'a wrong audience',
        (id: string) => sign(claims(id), TEST_JWT_SECRET, { ...opts, audience: 'evil' }),
      ],
      ['a non-JWT string', () => 'abc.def.ghi'],
      [
        'no exp (a token that never expires)',
        (id: string) => sign(claims(id), TEST_JWT_SECRET, noExp),
      ],
      ['no iat', (id: string) => sign(claims(id), TEST_JWT_SECRET, { ...opts, noTimestamp: true })],
      [
        'a non-numeric iat',
        (id: string) => rawToken({ ...registered(id), iat: 'now', exp: now() + 60 }),
      ],
      [
        'a non-numeric exp',
        (id: string) => rawToken({ ...registered(id), iat: now(), exp: 'never' }),
      ],
      ['no token version', (id: string) => sign({ role: 'admin', sub: id }, TEST_JWT_SECRET, opts)],
    ])('refuses %s with 401 AUTH_ACCESS_TOKEN_INVALID', async (_label, forge) => {
      const user = await createUser(t.http);
      const res = await t.http
        .get('/api/v1/users/me')
        .set('Authorization', `Bearer ${forge(user.id)}`)
        .expect(401);
      expect(res.body).toEqual({
        type: 'https://errors.example.com/unauthorized',
        title: 'Unauthorized',
        status: 401,
        detail: 'Access token is invalid',
        instance: '/api/v1/users/me',
        code: 'AUTH_ACCESS_TOKEN_INVALID',
        requestId: res.headers['x-request-id'],
      });
      expect(res.headers['www-authenticate']).toBe('Bearer realm="api", error="invalid_token"');
    });

    it('accepts a validly signed token with every claim the refusals above each lack', async () => {
      const user = await createUser(t.http);
      const token = sign({ ...claims(user.id), role: 'customer' }, TEST_JWT_SECRET, opts);
      await t.http.get('/api/v1/users/me').set('Authorization', `Bearer ${token}`).expect(200);
    });

    it('refuses an access token issued in the same second as the password change', async () => {
      const user = await createUser(t.http);
      // Start at the top of a second, so login and password change share it (the old,
      // second-resolution check let exactly this token through).
      await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000)));
      const old = await login(t.http, user.email, user.password);
      await t.http
        .patch('/api/v1/users/me')
        .set(...bearer(old))
        .send({ password: 'a brand new password', currentPassword: user.password })
        .expect(200);
      const res = await t.http
        .get('/api/v1/users/me')
        .set(...bearer(old))
        .expect(401);
      expect(res.body).toEqual({
        type: 'https://errors.example.com/unauthorized',
        title: 'Unauthorized',
        status: 401,
        detail: 'Access token has been revoked; log in again',
        instance: '/api/v1/users/me',
        code: 'AUTH_TOKEN_REVOKED',
        requestId: res.headers['x-request-id'],
      });
      const refreshed = await t.http
        .post('/api/v1/auth/refresh')
        .send({ refreshToken: old.refreshToken })
        .expect(401);
      expect(refreshed.body.code).toBe('AUTH_REFRESH_TOKEN_INVALID');
      const fresh = await login(t.http, user.email, 'a brand new password');
      await t.http
        .get('/api/v1/users/me')
        .set(...bearer(fresh))
        .expect(200);
    });

    it('accepts a token newer than the cached account (changed by another process)', async () => {
      const user = await createUser(t.http);
      await t.http
        .get('/api/v1/users/me')
        .set(...bearer(user))
        .expect(200);
      // Another process changed the password: the row moved on, this process's cache did not.
      await t.sql('UPDATE users SET token_version = token_version + 1 WHERE id = $1', [user.id]);
      const token = sign({ ...claims(user.id), role: 'customer', ver: 1 }, TEST_JWT_SECRET, opts);
      await t.http.get('/api/v1/users/me').set('Authorization', `Bearer ${token}`).expect(200);
      const stale = await t.http
        .get('/api/v1/users/me')
        .set(...bearer(user))
        .expect(401);
      expect(stale.body.code).toBe('AUTH_TOKEN_REVOKED');
    });

    it('refuses an edited payload (customer → admin)', async () => {
      const user = await createUser(t.http);
      const [header, payload, signature] = user.accessToken.split('.') as [string, string, string];
      const edited = Buffer.from(
        JSON.stringify({
          ...JSON.parse(Buffer.from(payload, 'base64url').toString()),
          role: 'admin',
        }),
      ).toString('base64url');
      const res = await t.http
        .get('/api/v1/users')
        .set('Authorization', `Bearer ${header}.${edited}.${signature}`)
        .expect(401);
      expect(res.body.code).toBe('AUTH_ACCESS_TOKEN_INVALID');
    });

    it('takes the role from the account, not from a (validly signed) claim', async () => {
      const user = await createUser(t.http);
      const token = sign(claims(user.id), TEST_JWT_SECRET, { ...opts, algorithm: 'HS256' });
      await t.http.get('/api/v1/users').set('Authorization', `Bearer ${token}`).expect(403);
    });

    it('refuses an expired token with AUTH_TOKEN_EXPIRED', async () => {
      const user = await createUser(t.http);
      const token = sign(
        { role: 'customer', sub: user.id, ver: 0, iat: Math.floor(Date.now() / 1000) - 1000 },
        TEST_JWT_SECRET,
        { ...opts, expiresIn: 10 },
      );
      const res = await t.http
        .get('/api/v1/users/me')
        .set('Authorization', `Bearer ${token}`)
        .expect(401);
      expect(res.body).toMatchObject({
        code: 'AUTH_TOKEN_EXPIRED',
        detail: 'Access token has expired',
      });
    });

    it.each([['Basic dXNlcjpwYXNz'], ['Bearer'], ['bearer  two  spaces']])(
      'refuses the header %j',
      async (header) => {
        const res = await t.http.get('/api/v1/users/me').set('Authorization', header).expect(401);
        expect(res.body.code).toBe('AUTH_ACCESS_TOKEN_INVALID');
      },
    );
  });
});
