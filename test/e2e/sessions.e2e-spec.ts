import { randomUUID } from 'node:crypto';

import { bearer, createUser, type TestUser } from '../factories/users';
import { useTestApp } from '../utils/test-app';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

interface Session {
  readonly id: string;
  readonly createdAt: string;
  readonly lastUsedAt: string;
  readonly userAgent: string | null;
  readonly ipAddress: string | null;
  readonly current: boolean;
}

interface Pair {
  readonly accessToken: string;
  readonly refreshToken: string;
}

describe('auth: sessions', () => {
  // Client addresses come from X-Forwarded-For, so one test can play several devices.
  const t = useTestApp({ TRUST_PROXY: 'true' }, { contract: true });

  const loginFrom = async (user: TestUser, userAgent: string, address: string): Promise<Pair> => {
    const res = await t.http
      .post('/api/v1/auth/login')
      .set('User-Agent', userAgent)
      .set('X-Forwarded-For', address)
      .send({ email: user.email, password: user.password })
      .expect(200);
    return res.body as Pair;
  };

  const sessionsOf = async (pair: Pair): Promise<Session[]> => {
    const res = await t.http
      .get('/api/v1/auth/sessions')
      .set('Authorization', `Bearer ${pair.accessToken}`)
      .expect(200);
    return res.body as Session[];
  };

  it('lists own logins newest first, with the client and which one is current', async () => {
    const user = await createUser(t.http);
    const laptop = await loginFrom(user, 'Laptop/1.0', '203.0.113.10');
    await new Promise((resolve) => setTimeout(resolve, 5));
    const phone = await loginFrom(user, 'Phone/2.0', '2001:db8::7');

    const sessions = await sessionsOf(phone);
    // createUser's own login, then the laptop, then the phone.
    expect(sessions).toHaveLength(3);
    const [newest, second] = sessions;
    expect(newest).toEqual({
      id: expect.any(String),
      createdAt: expect.stringMatching(ISO),
      lastUsedAt: expect.stringMatching(ISO),
      userAgent: 'Phone/2.0',
      ipAddress: '2001:db8::7',
      current: true,
    });
    expect(second).toMatchObject({
      userAgent: 'Laptop/1.0',
      ipAddress: '203.0.113.10',
      current: false,
    });
    expect(sessions.filter((session) => session.current)).toHaveLength(1);
    expect(sessions.map((s) => s.createdAt)).toEqual(
      [...sessions.map((s) => s.createdAt)].sort().reverse(),
    );

    // From the laptop's token, the laptop is current.
    const fromLaptop = await sessionsOf(laptop);
    expect(fromLaptop.find((session) => session.current)?.userAgent).toBe('Laptop/1.0');
  });

  it('moves lastUsedAt and the client on a refresh, keeping the session and its start', async () => {
    const user = await createUser(t.http);
    const pair = await loginFrom(user, 'Tablet/1.0', '198.51.100.1');
    const [before] = (await sessionsOf(pair)).filter((session) => session.current);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const refreshed = await t.http
      .post('/api/v1/auth/refresh')
      .set('User-Agent', 'Tablet/1.1')
      .set('X-Forwarded-For', '198.51.100.2')
      .send({ refreshToken: pair.refreshToken })
      .expect(200);
    const sessions = await sessionsOf(refreshed.body as Pair);
    expect(sessions).toHaveLength(2);
    const after = sessions.find((session) => session.current);
    expect(after).toMatchObject({
      id: before?.id,
      createdAt: before?.createdAt,
      userAgent: 'Tablet/1.1',
      ipAddress: '198.51.100.2',
    });
    expect(Date.parse(after?.lastUsedAt ?? '')).toBeGreaterThan(
      Date.parse(before?.lastUsedAt ?? ''),
    );
  });

  it('keeps no address that is not one: a forged X-Forwarded-For logs in, and is not listed', async () => {
    // Behind TRUST_PROXY the address is what the client says; a long or made-up one must not
    // fail the login (the column is 64 wide) or show up in the list as if it were an address.
    const user = await createUser(t.http);
    const forged = `${'9'.repeat(80)}, 203.0.113.1`;
    const pair = await loginFrom(user, 'Forger/1.0', forged);
    const refreshed = await t.http
      .post('/api/v1/auth/refresh')
      .set('X-Forwarded-For', 'not-an-address')
      .send({ refreshToken: pair.refreshToken })
      .expect(200);
    const [current] = (await sessionsOf(refreshed.body as Pair)).filter((s) => s.current);
    expect(current).toMatchObject({ userAgent: null, ipAddress: null });
    const fromMapped = await loginFrom(user, 'Mapped/1.0', '::ffff:198.51.100.2');
    const [mapped] = (await sessionsOf(fromMapped)).filter((s) => s.current);
    expect(mapped?.ipAddress).toBe('::ffff:198.51.100.2');
  });

  it('ends one session: its refresh token dies, the others live', async () => {
    const user = await createUser(t.http);
    const laptop = await loginFrom(user, 'Laptop/1.0', '203.0.113.20');
    const phone = await loginFrom(user, 'Phone/2.0', '203.0.113.21');
    const target = (await sessionsOf(phone)).find((session) => session.userAgent === 'Laptop/1.0');
    await t.http
      .delete(`/api/v1/auth/sessions/${target?.id ?? ''}`)
      .set('Authorization', `Bearer ${phone.accessToken}`)
      .expect(204);

    const refused = await t.http
      .post('/api/v1/auth/refresh')
      .send({ refreshToken: laptop.refreshToken })
      .expect(401);
    expect(refused.body).toMatchObject({ code: 'AUTH_REFRESH_TOKEN_INVALID' });
    await t.http
      .post('/api/v1/auth/refresh')
      .send({ refreshToken: phone.refreshToken })
      .expect(200);
    expect((await sessionsOf(phone)).map((session) => session.userAgent)).not.toContain(
      'Laptop/1.0',
    );

    // Ending it again: it is gone.
    const again = await t.http
      .delete(`/api/v1/auth/sessions/${target?.id ?? ''}`)
      .set('Authorization', `Bearer ${phone.accessToken}`)
      .expect(404);
    expect(again.body).toMatchObject({ code: 'AUTH_SESSION_NOT_FOUND', status: 404 });
  });

  it("answers another user's session id, an unknown and a malformed one like nothing is there", async () => {
    const owner = await createUser(t.http);
    const intruder = await createUser(t.http);
    const [ownSession] = await sessionsOf(owner);
    const theirs = await t.http
      .delete(`/api/v1/auth/sessions/${ownSession?.id ?? ''}`)
      .set(...bearer(intruder))
      .expect(404);
    const unknown = await t.http
      .delete(`/api/v1/auth/sessions/${randomUUID()}`)
      .set(...bearer(intruder))
      .expect(404);
    expect(theirs.body).toMatchObject({ code: 'AUTH_SESSION_NOT_FOUND' });
    expect(unknown.body).toMatchObject({ code: 'AUTH_SESSION_NOT_FOUND' });
    await t.http
      .delete('/api/v1/auth/sessions/not-a-uuid')
      .set(...bearer(intruder))
      .expect(400);
    // The owner's session still works.
    await t.http
      .post('/api/v1/auth/refresh')
      .send({ refreshToken: owner.refreshToken })
      .expect(200);
  });

  it('logs out everywhere: every refresh token and every access token dies', async () => {
    const user = await createUser(t.http);
    const laptop = await loginFrom(user, 'Laptop/1.0', '203.0.113.30');
    const bystander = await createUser(t.http);

    await t.http
      .post('/api/v1/auth/logout-all')
      .set(...bearer(user))
      .expect(204);

    for (const pair of [user, laptop]) {
      const me = await t.http
        .get('/api/v1/users/me')
        .set('Authorization', `Bearer ${pair.accessToken}`)
        .expect(401);
      expect(me.body).toMatchObject({ code: 'AUTH_TOKEN_REVOKED' });
      await t.http
        .post('/api/v1/auth/refresh')
        .send({ refreshToken: pair.refreshToken })
        .expect(401);
    }
    const fresh = await loginFrom(user, 'Laptop/1.0', '203.0.113.31');
    expect(await sessionsOf(fresh)).toHaveLength(1);
    // Nobody else was logged out.
    await t.http
      .get('/api/v1/users/me')
      .set(...bearer(bystander))
      .expect(200);
  });

  it('needs authentication for the session routes', async () => {
    await t.http.get('/api/v1/auth/sessions').expect(401);
    await t.http.post('/api/v1/auth/logout-all').expect(401);
    await t.http.delete(`/api/v1/auth/sessions/${randomUUID()}`).expect(401);
  });
});
