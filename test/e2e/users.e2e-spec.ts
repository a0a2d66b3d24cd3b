import { randomBytes } from 'node:crypto';

import type request from 'supertest';
import { DataSource } from 'typeorm';

import {
  bearer,
  buildUserInput,
  createAdmin,
  createUser,
  login,
  type TestUser,
} from '../factories/users';
import { useTestApp } from '../utils/test-app';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('users', () => {
  const t = useTestApp();
  let admin: TestUser;

  beforeAll(async () => {
    admin = await createAdmin(t.app);
  });

  const countUsers = async (email: string): Promise<number> => {
    const rows: Array<{ n: string }> = await t.app
      .get(DataSource)
      .query('SELECT count(*) AS n FROM users WHERE email = $1', [email]);
    return Number(rows[0]?.n);
  };

  const adminCount = async (): Promise<number> => {
    const rows = await t.sql<{ n: string }>("SELECT count(*) AS n FROM users WHERE role = 'admin'");
    return Number(rows[0]?.n);
  };

  const setRole = (by: TestUser, user: { id: string }, role: 'admin' | 'customer'): request.Test =>
    t.http
      .patch(`/api/v1/users/${user.id}/role`)
      .set(...bearer(by))
      .send({ role });

  describe('POST /api/v1/users', () => {
    it('registers a customer with a normalised email and returns only public fields', async () => {
      const input = buildUserInput({ email: '  Mixed.Case@Example.COM ', name: '  Ada  ' });
      const res = await t.http.post('/api/v1/users').send(input).expect(201);
      expect(res.body).toEqual({
        id: expect.stringMatching(UUID),
        email: 'mixed.case@example.com',
        name: 'Ada',
        role: 'customer',
        emailVerified: false,
        createdAt: expect.stringMatching(ISO),
        updatedAt: expect.stringMatching(ISO),
      });
      expect(res.text).not.toMatch(/argon2|password/i);
    });

    it('refuses a second account with the same email, whatever its case and spaces', async () => {
      const input = buildUserInput();
      await t.http.post('/api/v1/users').send(input).expect(201);
      const res = await t.http
        .post('/api/v1/users')
        .send({ ...input, email: ` ${input.email.toUpperCase()} ` })
        .expect(409);
      expect(res.body).toEqual({
        type: 'https://errors.example.com/conflict',
        title: 'Conflict',
        status: 409,
        detail: 'An account with this email already exists',
        instance: '/api/v1/users',
        code: 'USER_EMAIL_TAKEN',
        requestId: res.headers['x-request-id'],
      });
    });

    it('lets exactly one of ten concurrent registrations of one email win', async () => {
      const input = buildUserInput();
      const results = await Promise.all(
        Array.from({ length: 10 }, () => t.http.post('/api/v1/users').send(input)),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([201, ...Array.from({ length: 9 }, () => 409)]);
      expect(await countUsers(input.email)).toBe(1);
    });

    it.each([
      ['role', { role: 'admin' }],
      ['id', { id: '0190c4b2-7d3e-7a1b-8c2d-3e4f5a6b7c8d' }],
      ['createdAt', { createdAt: '2020-01-01T00:00:00.000Z' }],
    ])('refuses a client-set %s (mass assignment) and creates nothing', async (field, extra) => {
      const input = buildUserInput();
      const res = await t.http
        .post('/api/v1/users')
        .send({ ...input, ...extra })
        .expect(400);
      expect(res.body.errors).toEqual([{ field, message: `property ${field} should not exist` }]);
      expect(await countUsers(input.email)).toBe(0);
    });

    it('validates every field and names each failure', async () => {
      const res = await t.http
        .post('/api/v1/users')
        .send({ email: 'not-an-email', name: '   ', password: 'short' })
        .expect(400);
      expect(res.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
      expect(res.body.errors).toEqual([
        { field: 'email', message: 'email must be an email' },
        { field: 'name', message: 'name must be 1 to 100 characters' },
        { field: 'password', message: 'password must be 8 to 128 characters' },
      ]);
    });

    it('refuses an email over 255 characters and a name over 100', async () => {
      const res = await t.http
        .post('/api/v1/users')
        .send({
          email: `${'a'.repeat(250)}@example.com`,
          name: 'n'.repeat(101),
          password: 'long enough',
        })
        .expect(400);
      expect((res.body.errors as Array<{ field: string }>).map((e) => e.field)).toEqual([
        'email',
        'name',
      ]);
    });
  });

  describe('GET /api/v1/users/me', () => {
    it('returns the caller', async () => {
      const user = await createUser(t.http);
      const res = await t.http
        .get('/api/v1/users/me')
        .set(...bearer(user))
        .expect(200);
      expect(res.body).toMatchObject({ id: user.id, email: user.email, role: 'customer' });
    });

    it('needs credentials', async () => {
      const res = await t.http.get('/api/v1/users/me').expect(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
      expect(res.body).toEqual({
        type: 'https://errors.example.com/unauthorized',
        title: 'Unauthorized',
        status: 401,
        detail: 'Authentication required: send Authorization: Bearer <access token>',
        instance: '/api/v1/users/me',
        code: 'AUTH_TOKEN_MISSING',
        requestId: res.headers['x-request-id'],
      });
    });
  });

  describe('PATCH /api/v1/users/me', () => {
    it('renames the caller', async () => {
      const user = await createUser(t.http);
      const res = await t.http
        .patch('/api/v1/users/me')
        .set(...bearer(user))
        .send({ name: ' Grace ' })
        .expect(200);
      expect(res.body).toMatchObject({ id: user.id, name: 'Grace' });
    });

    it('refuses to let the caller set their own role', async () => {
      const user = await createUser(t.http);
      const res = await t.http
        .patch('/api/v1/users/me')
        .set(...bearer(user))
        .send({ role: 'admin' })
        .expect(400);
      expect(res.body.errors).toEqual([
        { field: 'role', message: 'property role should not exist' },
      ]);
      await t.http
        .get('/api/v1/users')
        .set(...bearer(user))
        .expect(403);
    });

    it('needs currentPassword to change the password', async () => {
      const user = await createUser(t.http);
      const res = await t.http
        .patch('/api/v1/users/me')
        .set(...bearer(user))
        .send({ password: 'a brand new password' })
        .expect(400);
      expect(res.body.errors).toEqual([
        { field: 'currentPassword', message: 'currentPassword is required to change the password' },
      ]);
    });

    it('refuses a wrong currentPassword with 401 and keeps the old password', async () => {
      const user = await createUser(t.http);
      const res = await t.http
        .patch('/api/v1/users/me')
        .set(...bearer(user))
        .send({ password: 'a brand new password', currentPassword: 'not my password' })
        .expect(401);
      expect(res.body).toMatchObject({ code: 'USER_CURRENT_PASSWORD_INVALID', status: 401 });
      await login(t.http, user.email, user.password);
    });

    it('changes the password and revokes every session of the user', async () => {
      const user = await createUser(t.http);
      const second = await login(t.http, user.email, user.password);
      await t.http
        .patch('/api/v1/users/me')
        .set(...bearer(user))
        .send({ password: 'a brand new password', currentPassword: user.password })
        .expect(200);

      for (const refreshToken of [user.refreshToken, second.refreshToken]) {
        const res = await t.http.post('/api/v1/auth/refresh').send({ refreshToken }).expect(401);
        expect(res.body.code).toBe('AUTH_REFRESH_TOKEN_INVALID');
      }
      const stale = await t.http
        .get('/api/v1/users/me')
        .set(...bearer(user))
        .expect(401);
      expect(stale.body.code).toBe('AUTH_TOKEN_REVOKED');

      await t.http
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: user.password })
        .expect(401);
      const fresh = await login(t.http, user.email, 'a brand new password');
      await t.http
        .get('/api/v1/users/me')
        .set(...bearer(fresh))
        .expect(200);
    });
  });

  describe('PATCH /api/v1/users/me when the name cannot be written', () => {
    // The name write fails (a trigger raises on this name) in a request that also changes
    // the password: the whole request must roll back, the password change included.
    beforeAll(async () => {
      await t.sql(`
        CREATE FUNCTION fail_poisoned_name() RETURNS trigger AS $$
        BEGIN
          RAISE EXCEPTION 'injected failure';
        END $$ LANGUAGE plpgsql;
        CREATE TRIGGER users_name_fail BEFORE UPDATE ON users
          FOR EACH ROW WHEN (NEW.name = 'POISON' AND NEW.name IS DISTINCT FROM OLD.name)
          EXECUTE FUNCTION fail_poisoned_name();`);
    });

    afterAll(async () => {
      await t.sql('DROP TRIGGER users_name_fail ON users; DROP FUNCTION fail_poisoned_name();');
    });

    it('changes nothing: the old password still works, the new one does not, sessions live', async () => {
      const user = await createUser(t.http);
      const res = await t.http
        .patch('/api/v1/users/me')
        .set(...bearer(user))
        .send({ name: 'POISON', password: 'a brand new password', currentPassword: user.password })
        .expect(500);
      expect(res.body).toEqual({
        type: 'https://errors.example.com/internal-server-error',
        title: 'Internal Server Error',
        status: 500,
        detail: 'Internal server error',
        instance: '/api/v1/users/me',
        code: 'INTERNAL',
        requestId: res.headers['x-request-id'],
      });
      expect(res.text).not.toContain('injected');

      const me = await t.http
        .get('/api/v1/users/me')
        .set(...bearer(user))
        .expect(200);
      expect(me.body).toMatchObject({ id: user.id, name: user.name });
      await t.http
        .post('/api/v1/auth/refresh')
        .send({ refreshToken: user.refreshToken })
        .expect(200);
      await login(t.http, user.email, user.password);
      const refused = await t.http
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: 'a brand new password' })
        .expect(401);
      expect(refused.body.code).toBe('AUTH_INVALID_CREDENTIALS');
    });
  });

  describe('GET /api/v1/users/:id', () => {
    it('shows a user to themselves and to an admin', async () => {
      const user = await createUser(t.http);
      await t.http
        .get(`/api/v1/users/${user.id}`)
        .set(...bearer(user))
        .expect(200);
      const res = await t.http
        .get(`/api/v1/users/${user.id}`)
        .set(...bearer(admin))
        .expect(200);
      expect(res.body.email).toBe(user.email);
    });

    it('answers 404, not 403, for another user', async () => {
      const alice = await createUser(t.http);
      const bob = await createUser(t.http);
      const res = await t.http
        .get(`/api/v1/users/${bob.id}`)
        .set(...bearer(alice))
        .expect(404);
      expect(res.body).toEqual({
        type: 'https://errors.example.com/not-found',
        title: 'Not Found',
        status: 404,
        detail: `User ${bob.id} not found`,
        instance: `/api/v1/users/${bob.id}`,
        code: 'USER_NOT_FOUND',
        requestId: res.headers['x-request-id'],
      });
    });

    it('answers 404 for an unknown id and 400 for a malformed one', async () => {
      await t.http
        .get('/api/v1/users/0190c4b2-7d3e-7a1b-8c2d-3e4f5a6b7c8d')
        .set(...bearer(admin))
        .expect(404);
      const res = await t.http
        .get('/api/v1/users/42')
        .set(...bearer(admin))
        .expect(400);
      expect(res.body.errors).toEqual([{ field: 'id', message: 'id must be a UUID' }]);
    });
  });

  describe('GET /api/v1/users', () => {
    it('is for admins only', async () => {
      const user = await createUser(t.http);
      const res = await t.http
        .get('/api/v1/users')
        .set(...bearer(user))
        .expect(403);
      expect(res.body).toEqual({
        type: 'https://errors.example.com/forbidden',
        title: 'Forbidden',
        status: 403,
        detail: 'Your role does not allow this',
        instance: '/api/v1/users',
        code: 'FORBIDDEN',
        requestId: res.headers['x-request-id'],
      });
    });

    it('pages newest first with an opaque cursor, without overlap', async () => {
      const made = [await createUser(t.http), await createUser(t.http), await createUser(t.http)];
      const first = await t.http
        .get('/api/v1/users?limit=2')
        .set(...bearer(admin))
        .expect(200);
      expect((first.body.data as Array<{ id: string }>).map((u) => u.id)).toEqual([
        made[2]?.id,
        made[1]?.id,
      ]);
      expect(typeof first.body.nextCursor).toBe('string');
      const second = await t.http
        .get(`/api/v1/users?limit=2&cursor=${first.body.nextCursor as string}`)
        .set(...bearer(admin))
        .expect(200);
      expect(second.body.data[0].id).toBe(made[0]?.id);

      const seen = new Set<string>();
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await t.http
          .get(`/api/v1/users?limit=3${cursor === null ? '' : `&cursor=${cursor}`}`)
          .set(...bearer(admin))
          .expect(200);
        for (const u of res.body.data as Array<{ id: string }>) {
          expect(seen.has(u.id)).toBe(false);
          seen.add(u.id);
        }
        cursor = res.body.nextCursor as string | null;
        pages += 1;
      } while (cursor !== null && pages < 100);
      const total: Array<{ n: string }> = await t.app
        .get(DataSource)
        .query('SELECT count(*) AS n FROM users');
      expect(seen.size).toBe(Number(total[0]?.n));
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['cursor=not-a-cursor', 'cursor'],
    ])('refuses ?%s with 400', async (query, field) => {
      const res = await t.http
        .get(`/api/v1/users?${query}`)
        .set(...bearer(admin))
        .expect(400);
      expect(res.body.errors[0].field).toBe(field);
    });
  });

  describe('PATCH /api/v1/users/:id/role', () => {
    it('lets an admin promote a user, effective on their next request', async () => {
      const user = await createUser(t.http);
      await t.http
        .get('/api/v1/users')
        .set(...bearer(user))
        .expect(403);
      const res = await t.http
        .patch(`/api/v1/users/${user.id}/role`)
        .set(...bearer(admin))
        .send({ role: 'admin' })
        .expect(200);
      expect(res.body).toMatchObject({ id: user.id, role: 'admin' });
      await t.http
        .get('/api/v1/users')
        .set(...bearer(user))
        .expect(200);
      await t.http
        .patch(`/api/v1/users/${user.id}/role`)
        .set(...bearer(admin))
        .send({ role: 'customer' })
        .expect(200);
      await t.http
        .get('/api/v1/users')
        .set(...bearer(user))
        .expect(403);
    });

    it('is refused to customers', async () => {
      const user = await createUser(t.http);
      await t.http
        .patch(`/api/v1/users/${user.id}/role`)
        .set(...bearer(user))
        .send({ role: 'admin' })
        .expect(403);
    });

    it('refuses an unknown role', async () => {
      const user = await createUser(t.http);
      const res = await t.http
        .patch(`/api/v1/users/${user.id}/role`)
        .set(...bearer(admin))
        .send({ role: 'root' })
        .expect(400);
      expect(res.body.errors).toEqual([
        { field: 'role', message: 'role must be one of: customer, admin' },
      ]);
    });

    it('never demotes the last admin', async () => {
      const res = await t.http
        .patch(`/api/v1/users/${admin.id}/role`)
        .set(...bearer(admin))
        .send({ role: 'customer' })
        .expect(409);
      expect(res.body).toMatchObject({
        code: 'USER_LAST_ADMIN',
        detail: 'The last admin cannot be demoted',
      });
    });

    it('answers every one of 8 concurrent role changes of one user, with several admins', async () => {
      // The old lock order (the admins by id, then the target) deadlocked when the target,
      // just promoted, sorts before every other admin: a transaction that sees it as an admin
      // locks it first, then waits for an admin held by one that waits for the target (503).
      const others = [await createUser(t.http), await createUser(t.http)];
      // The target must sort before every admin. Ids are random, so waiting for a registration
      // to draw one failed about one run in fifteen; the target is written with an id below
      // every random one instead (its first 32 bits zero), the rest of the row from defaults.
      const registered = buildUserInput();
      const changes = { id: `00000000-0000-4000-8000-${randomBytes(6).toString('hex')}` };
      await t.sql(
        "INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2, $3, 'unused')",
        [changes.id, registered.email, registered.name],
      );
      expect([admin, ...others].every((u) => changes.id < u.id)).toBe(true);
      let statuses: string[];
      try {
        for (const other of others) {
          await setRole(admin, other, 'admin').expect(200);
        }
        // 8 clients, each changing the role 6 times back to back: requests keep arriving while
        // others commit, so transactions see the target both as a customer and as an admin.
        const perClient = await Promise.all(
          Array.from({ length: 8 }, async (_, client) => {
            const seen: string[] = [];
            for (let i = 0; i < 6; i += 1) {
              const res = await setRole(
                admin,
                changes,
                (client + i) % 2 === 0 ? 'admin' : 'customer',
              );
              seen.push(res.status === 200 ? '200' : `${res.status} ${String(res.body.code)}`);
            }
            return seen;
          }),
        );
        statuses = perClient.flat();
      } finally {
        // Whatever happens, the next tests start with the suite's one admin again.
        await t.sql("UPDATE users SET role = 'customer' WHERE id = ANY($1)", [
          [...others, changes].map((u) => u.id),
        ]);
      }
      expect(statuses).toEqual(Array.from({ length: 48 }, () => '200'));
      expect(await adminCount()).toBe(1);
    }, 60_000);

    describe('two admins demoting each other at once', () => {
      // Each update is held open for a moment (trigger), so both requests are past the role
      // guard before either commits: the second must see the first and refuse.
      beforeAll(async () => {
        await t.sql(`
          CREATE FUNCTION slow_role() RETURNS trigger AS $$
          BEGIN
            PERFORM pg_sleep(0.3);
            RETURN NEW;
          END $$ LANGUAGE plpgsql;
          CREATE TRIGGER users_role_slow BEFORE UPDATE ON users
            FOR EACH ROW WHEN (NEW.role IS DISTINCT FROM OLD.role AND OLD.name = 'Slow')
            EXECUTE FUNCTION slow_role();`);
      });

      afterAll(async () => {
        await t.sql('DROP TRIGGER users_role_slow ON users; DROP FUNCTION slow_role();');
      });

      it('demotes exactly one: one 200, one 409, and an admin is left', async () => {
        const first = await createUser(t.http, { name: 'Slow' });
        const second = await createUser(t.http, { name: 'Slow' });
        await setRole(admin, first, 'admin').expect(200);
        await setRole(admin, second, 'admin').expect(200);
        await setRole(first, admin, 'customer').expect(200);
        // Whatever happens, the suite's admin is the one admin again afterwards.
        try {
          expect(await adminCount()).toBe(2);

          const results = await Promise.all([
            setRole(first, second, 'customer'),
            setRole(second, first, 'customer'),
          ]);
          expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
          // results[0] demoted `second`: when it won, `first` is the admin left, and vice versa.
          const survivor = results[0].status === 200 ? first : second;
          const refused = results.find((r) => r.status === 409);
          expect(refused?.body).toEqual({
            type: 'https://errors.example.com/conflict',
            title: 'Conflict',
            status: 409,
            detail: 'The last admin cannot be demoted',
            instance: `/api/v1/users/${survivor.id}/role`,
            code: 'USER_LAST_ADMIN',
            requestId: refused?.headers['x-request-id'],
          });
          expect(await adminCount()).toBe(1);

          await setRole(survivor, admin, 'admin').expect(200);
          await setRole(admin, survivor, 'customer').expect(200);
        } finally {
          await t.sql(
            "UPDATE users SET role = CASE WHEN id = $1 THEN 'admin' ELSE 'customer' END WHERE id = ANY($2)",
            [admin.id, [admin.id, first.id, second.id]],
          );
        }
        expect(await adminCount()).toBe(1);
      });
    });
  });
});
