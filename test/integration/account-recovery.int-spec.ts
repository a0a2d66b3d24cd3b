import { createHash, randomBytes } from 'node:crypto';

import { Client } from 'pg';

import { JobQueue } from '@app/core';

import {
  AuthErrorCode,
  AuthModule,
  AuthService,
  type TokenPairResponse,
} from '../../src/modules/auth';
import { AccountRecovery } from '../../src/modules/auth/recovery/account-recovery';
import { UsersService } from '../../src/modules/users';
import { buildUserInput } from '../factories/users';
import { waitForLockWaiter } from '../utils/locks';
import type { LogLine } from '../utils/log-capture';
import { useTestModule } from '../utils/test-module';
import { until } from '../utils/until';

/**
 * The mailed-link tokens under concurrency, on PostgreSQL without HTTP: a link presented twice
 * at once is spent once (the other presenter gets AUTH_TOKEN_INVALID, the HTTP 400), a reset
 * leaves the winner's password, and the housekeeping purge deletes only what can no longer be
 * asked about. Tokens are written as the mail job writes them (only their SHA-256, a raw
 * token known to the test), so no mail is needed.
 */
describe('account recovery: mailed tokens on PostgreSQL (AccountRecovery)', () => {
  // Jobs run here: the purge is a housekeeping job, run as the scheduler runs it.
  const m = useTestModule([AuthModule], { APP_ROLE: 'all', JOBS_POLL_INTERVAL_MS: '500' });
  let recovery: AccountRecovery;
  let users: UsersService;
  let auth: AuthService;

  beforeAll(() => {
    recovery = m.get(AccountRecovery);
    users = m.get(UsersService);
    auth = m.get(AuthService);
  });

  const CLIENT = { ipAddress: '127.0.0.1', userAgent: 'account-recovery.int-spec' } as const;
  const HOUR_MS = 60 * 60 * 1000;
  type Purpose = 'email_verification' | 'password_reset';

  const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');

  interface Account {
    readonly id: string;
    readonly email: string;
    readonly password: string;
    readonly session: TokenPairResponse;
  }

  const signUp = async (): Promise<Account> => {
    const input = buildUserInput();
    const { id } = await users.register(input);
    const session = await auth.login(input.email, input.password, CLIENT);
    if ('mfaRequired' in session) {
      throw new Error('unexpected MFA challenge');
    }
    return { id, email: input.email, password: input.password, session };
  };

  /** A token as the mail job stores it (its hash); returns the raw token and the row's id. */
  const insertToken = async (
    userId: string,
    purpose: Purpose,
    expiresInMs: number,
    used = false,
  ): Promise<{ token: string; id: string }> => {
    const token = randomBytes(32).toString('base64url');
    const [row] = await m.sql<{ id: string }>(
      `INSERT INTO account_tokens (token_hash, user_id, purpose, expires_at, used_at)
       VALUES ($1, $2, $3, now() + make_interval(secs => $4::float8 / 1000),
               CASE WHEN $5::boolean THEN now() END)
       RETURNING id`,
      [sha256(token), userId, purpose, expiresInMs, used],
    );
    return { token, id: row?.id ?? '' };
  };

  /** How each of several racing calls ended: 'ok', or the code of the error it threw. */
  const settle = async (calls: ReadonlyArray<Promise<void>>): Promise<string[]> =>
    (await Promise.allSettled(calls)).map((outcome) =>
      outcome.status === 'fulfilled'
        ? 'ok'
        : String((outcome.reason as { code?: unknown }).code ?? outcome.reason),
    );

  type LockedRow = { readonly table: 'account_tokens' | 'users'; readonly id: string };

  /**
   * `settle()` of `calls`, started while another session holds `row` (`FOR UPDATE`) and let
   * go once `waiters` sessions wait behind it: the calls then race from the same point every
   * time, whatever else (the password's hashing) would have put between them.
   */
  const settleBehindLock = async (
    row: LockedRow,
    waiters: number,
    calls: () => ReadonlyArray<Promise<void>>,
  ): Promise<string[]> => {
    const holder = new Client({ connectionString: m.db.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM ${row.table} WHERE id = $1 FOR UPDATE`, [row.id]);
      const racing = settle(calls());
      await waitForLockWaiter(holder, waiters);
      await holder.query('COMMIT');
      return await racing;
    } finally {
      await holder.end();
    }
  };

  /** Transactions PostgreSQL aborted (deadlock, serialization) and the runner ran again. */
  const retried = (): number =>
    m.logs.lines.filter((line) => line.msg === 'Transaction aborted by the database; retrying')
      .length;

  const canLogIn = async (email: string, password: string): Promise<boolean> =>
    (await users.verifyCredentials(email, password)) !== null;

  const usedAtOf = async (tokenId: string): Promise<Date | null | undefined> => {
    const [row] = await m.sql<{ usedAt: Date | null }>(
      'SELECT used_at AS "usedAt" FROM account_tokens WHERE id = $1',
      [tokenId],
    );
    return row?.usedAt;
  };

  describe('password reset confirm', () => {
    it("spends one token once under two concurrent confirms; the password is the winner's", async () => {
      for (let round = 0; round < 3; round += 1) {
        const user = await signUp();
        const { token, id } = await insertToken(user.id, 'password_reset', 30 * 60_000);
        const passwords = [`first password ${String(round)}`, `second password ${String(round)}`];
        const outcomes = await settleBehindLock({ table: 'account_tokens', id }, 2, () =>
          passwords.map((password) => recovery.confirmPasswordReset(token, password)),
        );
        expect([...outcomes].sort()).toEqual([AuthErrorCode.AUTH_TOKEN_INVALID, 'ok']);
        const winner = outcomes.indexOf('ok');
        expect(await canLogIn(user.email, passwords[winner] ?? '')).toBe(true);
        expect(await canLogIn(user.email, passwords[1 - winner] ?? '')).toBe(false);
        expect(await canLogIn(user.email, user.password)).toBe(false);
        expect(await usedAtOf(id)).toBeInstanceOf(Date);
        // The reset ended the session opened before it.
        await expect(auth.refresh(user.session.refreshToken, CLIENT)).rejects.toMatchObject({
          code: AuthErrorCode.AUTH_REFRESH_TOKEN_INVALID,
        });
      }
    }, 60_000);

    it('lets one of two live links of one account win when both are confirmed at once', async () => {
      // One reset spends every other link of the account: the second confirm must lose, even
      // though its token was live when it started. Both take the account's row before any
      // token, so they queue there (no deadlock, no retried transaction) and the second finds
      // its link dead.
      const retriedBefore = retried();
      for (let round = 0; round < 2; round += 1) {
        const user = await signUp();
        const links = await Promise.all([
          insertToken(user.id, 'password_reset', 30 * 60_000),
          insertToken(user.id, 'password_reset', 30 * 60_000),
        ]);
        const passwords = [`link one ${String(round)}`, `link two ${String(round)}`];
        const outcomes = await settleBehindLock({ table: 'users', id: user.id }, 2, () =>
          links.map(({ token }, i) => recovery.confirmPasswordReset(token, passwords[i] ?? '')),
        );
        expect([...outcomes].sort()).toEqual([AuthErrorCode.AUTH_TOKEN_INVALID, 'ok']);
        const winner = outcomes.indexOf('ok');
        expect(await canLogIn(user.email, passwords[winner] ?? '')).toBe(true);
        expect(await canLogIn(user.email, passwords[1 - winner] ?? '')).toBe(false);
        for (const link of links) {
          expect(await usedAtOf(link.id)).toBeInstanceOf(Date);
        }
      }
      expect(retried()).toBe(retriedBefore);
    }, 60_000);

    it('refuses a verification token as a reset token, and leaves it live', async () => {
      const user = await signUp();
      const { token, id } = await insertToken(user.id, 'email_verification', HOUR_MS);
      await expect(
        recovery.confirmPasswordReset(token, 'a password from the wrong link'),
      ).rejects.toMatchObject({ code: AuthErrorCode.AUTH_TOKEN_INVALID, status: 400 });
      expect(await usedAtOf(id)).toBeNull();
      expect(await canLogIn(user.email, user.password)).toBe(true);
      await recovery.verifyEmail(token);
    });
  });

  describe('email verification', () => {
    const isVerified = async (userId: string): Promise<boolean> =>
      (await users.findContact(userId))?.emailVerified ?? false;

    it('spends one token once under two concurrent verifications', async () => {
      for (let round = 0; round < 3; round += 1) {
        const user = await signUp();
        const { token, id } = await insertToken(user.id, 'email_verification', HOUR_MS);
        expect(await isVerified(user.id)).toBe(false);
        const outcomes = await settleBehindLock({ table: 'account_tokens', id }, 2, () => [
          recovery.verifyEmail(token),
          recovery.verifyEmail(token),
        ]);
        expect([...outcomes].sort()).toEqual([AuthErrorCode.AUTH_TOKEN_INVALID, 'ok']);
        expect(await isVerified(user.id)).toBe(true);
        expect(await usedAtOf(id)).toBeInstanceOf(Date);
      }
    }, 30_000);

    it('refuses a reset token as a verification token, and leaves it live', async () => {
      const user = await signUp();
      const { token, id } = await insertToken(user.id, 'password_reset', 30 * 60_000);
      await expect(recovery.verifyEmail(token)).rejects.toMatchObject({
        code: AuthErrorCode.AUTH_TOKEN_INVALID,
        status: 400,
      });
      expect(await isVerified(user.id)).toBe(false);
      expect(await usedAtOf(id)).toBeNull();
    });
  });

  describe('housekeeping: account-tokens.purge', () => {
    const purgeRuns = (): LogLine[] =>
      m.logs.lines.filter(
        (l) => l.msg === 'Housekeeping task ran' && l.task === 'account-tokens.purge',
      );

    it('deletes only tokens expired more than a day ago, used or not', async () => {
      const user = await signUp();
      const rows = {
        expiredTwoDaysAgo: await insertToken(user.id, 'password_reset', -48 * HOUR_MS),
        expiredADayAndAnHourAgo: await insertToken(user.id, 'email_verification', -25 * HOUR_MS),
        usedAndExpiredADayAndAnHourAgo: await insertToken(
          user.id,
          'password_reset',
          -25 * HOUR_MS,
          true,
        ),
        expiredTwentyThreeHoursAgo: await insertToken(user.id, 'password_reset', -23 * HOUR_MS),
        expiredAMinuteAgo: await insertToken(user.id, 'email_verification', -60_000),
        usedButNotExpired: await insertToken(user.id, 'password_reset', 30 * 60_000, true),
        live: await insertToken(user.id, 'email_verification', HOUR_MS),
      };
      const before = purgeRuns().length;

      // What the schedule does at HOUSEKEEPING_CRON: one run of the task's job.
      await m.get(JobQueue).send('account-tokens.purge', {});
      const run = await until('the account-tokens purge to run', () => purgeRuns()[before], 15_000);

      expect(run).toMatchObject({ level: 'info', cleaned: 3 });
      const names = Object.fromEntries(Object.entries(rows).map(([name, row]) => [row.id, name]));
      const left = await m.sql<{ id: string }>(
        'SELECT id FROM account_tokens WHERE id = ANY($1::uuid[])',
        [Object.keys(names)],
      );
      expect(left.map((row) => names[row.id]).sort()).toEqual([
        'expiredAMinuteAgo',
        'expiredTwentyThreeHoursAgo',
        'live',
        'usedButNotExpired',
      ]);
      // What is left still answers as before: the live link works.
      await recovery.verifyEmail(rows.live.token);
    }, 30_000);
  });
});
