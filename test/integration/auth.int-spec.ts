import { createHash } from 'node:crypto';

import type { Request } from 'express';
import { Client } from 'pg';

import { Authenticator } from '@app/core';

import {
  AuthErrorCode,
  AuthModule,
  AuthService,
  type TokenPairResponse,
} from '../../src/modules/auth';
import { UsersService } from '../../src/modules/users';
import { buildUserInput } from '../factories/users';
import { waitForLockWaiter } from '../utils/locks';
import { useTestModule } from '../utils/test-module';

/**
 * Refresh-token rotation through AuthService, with its repository on PostgreSQL: the rules
 * that keep a stolen refresh token from living on (rotation, reuse, races, password changes).
 */
describe('auth: refresh-token rotation (service + PostgreSQL)', () => {
  const m = useTestModule([AuthModule]);
  let auth: AuthService;
  let users: UsersService;

  beforeAll(() => {
    auth = m.get(AuthService);
    users = m.get(UsersService);
  });

  interface Session {
    readonly id: string;
    readonly email: string;
    readonly password: string;
    readonly accessToken: string;
    readonly refreshToken: string;
  }

  const signUp = async (): Promise<Session> => {
    const input = buildUserInput();
    const { id } = await users.register(input);
    const { accessToken, refreshToken } = await login(input.email, input.password);
    return { id, ...input, accessToken, refreshToken };
  };

  const CLIENT = { ipAddress: '127.0.0.1', userAgent: 'auth.int-spec' } as const;

  /** A login of an account without a second factor: always a token pair. */
  const login = async (email: string, password: string): Promise<TokenPairResponse> => {
    const result = await auth.login(email, password, CLIENT);
    if ('mfaRequired' in result) {
      throw new Error('unexpected MFA challenge');
    }
    return result;
  };

  const refresh = (token: string): Promise<TokenPairResponse> => auth.refresh(token, CLIENT);

  const hashOf = (token: string): string => createHash('sha256').update(token).digest('hex');

  /** Every refresh token of the login `token` belongs to: issued, used and revoked or not. */
  const familyOf = (token: string) =>
    m.sql<{ used: boolean; revoked: boolean }>(
      `SELECT used_at IS NOT NULL AS used, revoked_at IS NOT NULL AS revoked
         FROM refresh_tokens
        WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1)
        ORDER BY created_at, used_at NULLS LAST`,
      [hashOf(token)],
    );

  const authenticate = (accessToken: string) =>
    m.get(Authenticator).authenticate(
      {
        headers: { authorization: `Bearer ${accessToken}` },
      } as Pick<Request, 'headers'> as Request,
      { isPublic: false, roles: undefined },
    );

  const invalid = { code: AuthErrorCode.AUTH_REFRESH_TOKEN_INVALID };
  const reused = { code: AuthErrorCode.AUTH_REFRESH_TOKEN_REUSED };

  it('rotates a token once: a new pair whose tokens work, the old one marked used', async () => {
    const session = await signUp();
    const next = await refresh(session.refreshToken);
    expect(next).toEqual({
      accessToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      refreshToken: expect.stringMatching(/^[\w-]{43}$/),
      tokenType: 'Bearer',
      expiresIn: 900,
    });
    expect(next.refreshToken).not.toBe(session.refreshToken);
    // The rotated token belongs to the same login (session) as the first.
    const [login] = await m.sql<{ familyId: string }>(
      'SELECT family_id AS "familyId" FROM refresh_tokens WHERE token_hash = $1',
      [hashOf(session.refreshToken)],
    );
    await expect(authenticate(next.accessToken)).resolves.toEqual({
      id: session.id,
      role: 'customer',
      sessionId: login?.familyId,
    });
    expect(await familyOf(session.refreshToken)).toEqual([
      { used: true, revoked: false },
      { used: false, revoked: false },
    ]);
    await expect(refresh(next.refreshToken)).resolves.toMatchObject({ tokenType: 'Bearer' });
  });

  it('revokes the whole family, the newest token too, when a used token comes back', async () => {
    const session = await signUp();
    const other = await login(session.email, session.password);
    const next = await refresh(session.refreshToken);

    await expect(refresh(session.refreshToken)).rejects.toMatchObject(reused);
    await expect(refresh(next.refreshToken)).rejects.toMatchObject(invalid);
    expect(await familyOf(session.refreshToken)).toEqual([
      { used: true, revoked: true },
      { used: false, revoked: true },
    ]);
    expect(m.logs.lines.find((l) => l.msg === 'Refresh token reuse: family revoked')).toEqual(
      expect.objectContaining({ level: 'warn', userId: session.id }),
    );
    // Another login of the same user is another family: it lives on.
    await expect(refresh(other.refreshToken)).resolves.toMatchObject({ tokenType: 'Bearer' });
  });

  it('lets exactly one of two concurrent rotations of one token succeed', async () => {
    // Several rounds: a race that is lost once in a while must still fail this test.
    for (let round = 0; round < 5; round += 1) {
      const session = await signUp();
      const results = await Promise.allSettled([
        refresh(session.refreshToken),
        refresh(session.refreshToken),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      const refused = results.find((r) => r.status === 'rejected');
      expect(refused?.reason).toMatchObject(reused);
      // The loser saw a used token: the winner's new token died with the family.
      const won = results.find((r) => r.status === 'fulfilled');
      await expect(refresh(won?.value.refreshToken ?? '')).rejects.toMatchObject(invalid);
    }
  });

  /**
   * `end` (a revoke or a logout) called while a refresh of the session's live token is in
   * flight: the refresh takes the token's lock first and `end` queues behind it, the lock held
   * by another session until both wait, so they run in that order every time. Returns both
   * outcomes, the refresh's new token if it got one.
   */
  const endDuringRefresh = async (
    session: Session,
    end: () => Promise<void>,
  ): Promise<{ ended: PromiseSettledResult<void>; next: string | null }> => {
    const holder = new Client({ connectionString: m.db.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE', [
        hashOf(session.refreshToken),
      ]);
      const refreshing = refresh(session.refreshToken);
      await waitForLockWaiter(holder, 1);
      const ending = end();
      await waitForLockWaiter(holder, 2);
      await holder.query('COMMIT');
      const [refreshed, ended] = await Promise.allSettled([refreshing, ending]);
      return {
        ended,
        next: refreshed.status === 'fulfilled' ? refreshed.value.refreshToken : null,
      };
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
    }
  };

  it('ends a session whose refresh was in flight when the revoke came, its new token too', async () => {
    const session = await signUp();
    const [login] = await m.sql<{ familyId: string }>(
      'SELECT family_id AS "familyId" FROM refresh_tokens WHERE token_hash = $1',
      [hashOf(session.refreshToken)],
    );
    const { ended, next } = await endDuringRefresh(session, () =>
      auth.revokeSession(session.id, login?.familyId ?? ''),
    );
    // The revoke found the login it was asked to end, live when asked: no 404.
    expect(ended).toEqual({ status: 'fulfilled', value: undefined });
    // The refresh won the lock and rotated, and its new token died with the session.
    expect(next).not.toBeNull();
    expect(await familyOf(session.refreshToken)).toEqual([
      { used: true, revoked: true },
      { used: false, revoked: true },
    ]);
    await expect(refresh(next ?? '')).rejects.toMatchObject(invalid);
    await expect(auth.listSessions(session.id, undefined)).resolves.toEqual([]);
  });

  it('logs out a session whose refresh was in flight, its new token too', async () => {
    const session = await signUp();
    const { ended, next } = await endDuringRefresh(session, () =>
      auth.logout(session.refreshToken),
    );
    expect(ended.status).toBe('fulfilled');
    expect(await familyOf(session.refreshToken)).toEqual([
      { used: true, revoked: true },
      { used: false, revoked: true },
    ]);
    await expect(refresh(next ?? '')).rejects.toMatchObject(invalid);
  });

  it('refuses every token issued before a password change, access and refresh alike', async () => {
    const session = await signUp();
    const rotated = await refresh(session.refreshToken);
    await users.updateMe(session.id, {
      password: 'a brand new password',
      currentPassword: session.password,
    });

    await expect(refresh(rotated.refreshToken)).rejects.toMatchObject(invalid);
    await expect(authenticate(rotated.accessToken)).rejects.toMatchObject({
      code: AuthErrorCode.AUTH_TOKEN_REVOKED,
    });
    const fresh = await login(session.email, 'a brand new password');
    await expect(authenticate(fresh.accessToken)).resolves.toMatchObject({ id: session.id });
    await expect(refresh(fresh.refreshToken)).resolves.toMatchObject({ tokenType: 'Bearer' });
  });

  it('refuses a refresh token of an older token version, and revokes its family', async () => {
    // A token the password change's revocation missed (issued in the same instant): only
    // its version tells it apart.
    const session = await signUp();
    const next = await refresh(session.refreshToken);
    await m.sql('UPDATE users SET token_version = token_version + 1 WHERE id = $1', [session.id]);

    await expect(refresh(next.refreshToken)).rejects.toMatchObject(invalid);
    expect(await familyOf(next.refreshToken)).toEqual([
      { used: true, revoked: true },
      { used: false, revoked: true },
    ]);
  });

  it('refuses an expired token, a logged-out one and an unknown one', async () => {
    const expired = await signUp();
    await m.sql(
      "UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1",
      [hashOf(expired.refreshToken)],
    );
    await expect(refresh(expired.refreshToken)).rejects.toMatchObject(invalid);

    // Logout ends the login: the token presented and every other token of its family.
    const loggedOut = await signUp();
    const next = await refresh(loggedOut.refreshToken);
    await auth.logout(next.refreshToken);
    await expect(refresh(next.refreshToken)).rejects.toMatchObject(invalid);
    expect(await familyOf(loggedOut.refreshToken)).toEqual([
      { used: true, revoked: true },
      { used: false, revoked: true },
    ]);

    await expect(refresh('A'.repeat(43))).rejects.toMatchObject(invalid);
  });
});
