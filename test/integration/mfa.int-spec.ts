import { AuthErrorCode, AuthModule, AuthService } from '../../src/modules/auth';
import { DEVELOPMENT_ENCRYPTION_KEY_HEX } from '../../src/modules/auth/mfa/mfa.config';
import { MfaErrorCode } from '../../src/modules/auth/mfa/mfa.errors';
import { MfaService } from '../../src/modules/auth/mfa/mfa.service';
import { SecretBox, SecretBoxOpenError } from '../../src/modules/auth/mfa/secret-box';
import { UsersService } from '../../src/modules/users';
import { buildUserInput } from '../factories/users';
import { noticesOf } from '../utils/notices';
import { useTestModule } from '../utils/test-module';
import { base32Decode, timeStep, totp } from '../utils/totp';
import { until } from '../utils/until';

/**
 * The TOTP second factor on its real repository and PostgreSQL, no HTTP: what must hold when
 * requests race with one code (a code, a time step, a recovery code is good once), the
 * ±1 step window, what a person may type as a recovery code, and the secret at rest.
 * Codes come from test/utils/totp.ts, an RFC 6238 that shares no code with the service's.
 */
describe('mfa: second factor on PostgreSQL (MfaService, AuthService)', () => {
  // No job workers: the clock is pinned in some tests, and nothing else should see it.
  const m = useTestModule([AuthModule], { APP_ROLE: 'api' });
  let mfa: MfaService;
  let auth: AuthService;
  let users: UsersService;

  beforeAll(() => {
    mfa = m.get(MfaService);
    auth = m.get(AuthService);
    users = m.get(UsersService);
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  const STEP_MS = 30_000;
  const CLIENT = { ipAddress: '127.0.0.1', userAgent: 'mfa.int-spec' } as const;
  const RACERS = 10;

  interface Account {
    readonly id: string;
    readonly email: string;
    readonly password: string;
  }

  interface Enabled extends Account {
    readonly secret: string;
    readonly recoveryCodes: string[];
    /** The time step of the code that enabled it (spent). */
    readonly enabledStep: number;
  }

  const signUp = async (): Promise<Account> => {
    const input = buildUserInput();
    const { id } = await users.register(input);
    return { id, email: input.email, password: input.password };
  };

  /** Signed up, set up and enabled with the code of `atMs` (now by default). */
  const signUpWithMfa = async (atMs = Date.now()): Promise<Enabled> => {
    const account = await signUp();
    const { secret } = await mfa.setup(account.id, account.email);
    const { recoveryCodes } = await mfa.enable(account.id, totp(secret, atMs));
    return { ...account, secret, recoveryCodes, enabledStep: timeStep(atMs) };
  };

  /** Pins the service's clock (Date.now) to `ms`; afterEach gives the real one back. */
  const pinClock = (ms: number): void => {
    jest.spyOn(Date, 'now').mockReturnValue(ms);
  };

  /** The middle of the step `step`: a code of it stays that step's for 15 s either side. */
  const midStep = (step: number): number => step * STEP_MS + STEP_MS / 2;

  /** How each of several racing calls ended: the value, or the code of the error it threw. */
  const settle = async <T>(calls: ReadonlyArray<Promise<T>>): Promise<Array<T | string>> =>
    (await Promise.allSettled(calls)).map((outcome) =>
      outcome.status === 'fulfilled'
        ? outcome.value
        : String((outcome.reason as { code?: unknown }).code ?? outcome.reason),
    );

  const rowOf = async (userId: string) => {
    const [row] = await m.sql<{ secret: string; lastUsedStep: string | null; enabled: boolean }>(
      `SELECT secret_ciphertext AS secret, last_used_step AS "lastUsedStep",
              enabled_at IS NOT NULL AS enabled
         FROM user_mfa WHERE user_id = $1`,
      [userId],
    );
    return row;
  };

  const recoveryCodesOf = (userId: string) =>
    m.sql<{ used: boolean }>(
      'SELECT used_at IS NOT NULL AS used FROM mfa_recovery_codes WHERE user_id = $1',
      [userId],
    );

  describe('races with one code', () => {
    it(`lets exactly one of ${String(RACERS)} concurrent verify() calls with one TOTP code pass`, async () => {
      // Several rounds: a race that is lost once in a while must still fail this test.
      for (let round = 0; round < 3; round += 1) {
        const user = await signUpWithMfa();
        // The next step's code: within the window, later than the step enable spent. Its step
        // is taken from the same instant (enable's may be a step earlier, across a boundary).
        const at = Date.now() + STEP_MS;
        const code = totp(user.secret, at);
        const outcomes = await settle(
          Array.from({ length: RACERS }, () => mfa.verify(user.id, code)),
        );
        expect(outcomes.filter((o) => o === 'totp')).toHaveLength(1);
        expect(outcomes.filter((o) => o === null)).toHaveLength(RACERS - 1);
        expect((await rowOf(user.id))?.lastUsedStep).toBe(String(timeStep(at)));
      }
    }, 30_000);

    it(`lets exactly one of ${String(RACERS)} concurrent uses of one recovery code pass`, async () => {
      for (let round = 0; round < 3; round += 1) {
        const user = await signUpWithMfa();
        const [code = ''] = user.recoveryCodes;
        const outcomes = await settle(
          Array.from({ length: RACERS }, () => mfa.verify(user.id, code)),
        );
        expect(outcomes.filter((o) => o === 'recovery')).toHaveLength(1);
        expect(outcomes.filter((o) => o === null)).toHaveLength(RACERS - 1);
        const codes = await recoveryCodesOf(user.id);
        expect(codes.filter((c) => c.used)).toHaveLength(1);
        expect(codes).toHaveLength(10);
      }
    }, 30_000);

    it(`gives one of ${String(RACERS)} concurrent logins with one code the pair, the rest AUTH_MFA_CODE_INVALID`, async () => {
      const user = await signUpWithMfa();
      const challenges = await Promise.all(
        Array.from({ length: RACERS }, async () => {
          const first = await auth.login(user.email, user.password, CLIENT);
          if (!('mfaRequired' in first)) {
            throw new Error('expected an MFA challenge');
          }
          return first.mfaToken;
        }),
      );
      const code = totp(user.secret, Date.now() + STEP_MS);
      const outcomes = await settle(
        challenges.map((mfaToken) => auth.loginWithMfa(mfaToken, code, CLIENT)),
      );
      const pairs = outcomes.filter((o) => typeof o === 'object');
      expect(pairs).toEqual([expect.objectContaining({ tokenType: 'Bearer' })]);
      expect(outcomes.filter((o) => o === AuthErrorCode.AUTH_MFA_CODE_INVALID)).toHaveLength(
        RACERS - 1,
      );
      // One login, one session: the losers left nothing behind.
      const [sessions] = await m.sql<{ n: string }>(
        'SELECT count(DISTINCT family_id) AS n FROM refresh_tokens WHERE user_id = $1',
        [user.id],
      );
      expect(sessions?.n).toBe('1');
    }, 30_000);

    it(`enables once under ${String(RACERS)} concurrent enable() calls with one code; the rest MFA_ALREADY_ENABLED`, async () => {
      for (let round = 0; round < 3; round += 1) {
        const user = await signUp();
        const { secret } = await mfa.setup(user.id, user.email);
        const code = totp(secret);
        const outcomes = await settle(
          Array.from({ length: RACERS }, () => mfa.enable(user.id, code)),
        );
        const enabled = outcomes.filter((o) => typeof o === 'object');
        expect(enabled).toEqual([{ recoveryCodes: expect.any(Array) }]);
        expect(outcomes.filter((o) => o === MfaErrorCode.MFA_ALREADY_ENABLED)).toHaveLength(
          RACERS - 1,
        );
        // Only the winner's ten codes are stored, and they are the ones it was shown.
        const codes = await recoveryCodesOf(user.id);
        expect(codes).toHaveLength(10);
        const [winner] = enabled as Array<{ recoveryCodes: string[] }>;
        await expect(mfa.verify(user.id, winner?.recoveryCodes[3] ?? '')).resolves.toBe('recovery');
        // The code that enabled it is spent: it does not log in.
        await expect(mfa.verify(user.id, code)).resolves.toBeNull();
      }
    }, 30_000);
  });

  describe('an operator reset racing the owner enabling', () => {
    // The enabling transaction is held open after its update (trigger), so the reset comes
    // while the factor is enabled but not yet committed.
    beforeAll(async () => {
      await m.sql(`
        CREATE FUNCTION slow_mfa_enable() RETURNS trigger AS $$
        BEGIN
          PERFORM pg_sleep(0.5);
          RETURN NEW;
        END $$ LANGUAGE plpgsql;
        CREATE TRIGGER user_mfa_slow_enable AFTER UPDATE ON user_mfa
          FOR EACH ROW WHEN (OLD.enabled_at IS NULL AND NEW.enabled_at IS NOT NULL)
          EXECUTE FUNCTION slow_mfa_enable();`);
    });

    afterAll(async () => {
      await m.sql(
        'DROP TRIGGER user_mfa_slow_enable ON user_mfa; DROP FUNCTION slow_mfa_enable();',
      );
    });

    it('removes the factor it waited for, and tells the owner it was removed', async () => {
      const account = await signUp();
      const { secret } = await mfa.setup(account.id, account.email);
      const enabling = mfa.enable(account.id, totp(secret));
      // Until the enabling transaction sleeps in its trigger, its row locked (bounded: 2 s).
      await until(
        'the enabling transaction held in its trigger',
        async () => {
          const [sleeping] = await m.sql<{ n: string }>(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND datname = current_database()",
          );
          return sleeping?.n === '0' ? undefined : true;
        },
        2_000,
      );
      const [enabled, removed] = await Promise.all([enabling, mfa.reset(account.id)]);
      expect(enabled.recoveryCodes).toHaveLength(10);
      expect(removed).toBe(true);
      expect(await rowOf(account.id)).toBeUndefined();
      expect(await noticesOf(m.sql, account.id)).toEqual(['mfa-enabled', 'mfa-reset']);
    });
  });

  describe('time steps', () => {
    it('accepts codes one step either side of now, refuses two steps away', async () => {
      const now = timeStep(Date.now());
      // Enabled three steps ago, so no step checked below is refused as already spent.
      pinClock(midStep(now - 3));
      const user = await signUpWithMfa(midStep(now - 3));
      pinClock(midStep(now));
      const at = (step: number): string => totp(user.secret, midStep(step));

      // Two steps away either side: outside the window (not a replay: later than enable's).
      const far = [at(now - 2), at(now + 2)].filter(
        // A code that happens to equal one inside the window proves nothing.
        (code) => ![at(now - 1), at(now), at(now + 1)].includes(code),
      );
      for (const code of far) {
        await expect(mfa.verify(user.id, code)).resolves.toBeNull();
      }
      expect((await rowOf(user.id))?.lastUsedStep).toBe(String(now - 3));
      await expect(mfa.verify(user.id, at(now - 1))).resolves.toBe('totp');
      await expect(mfa.verify(user.id, at(now))).resolves.toBe('totp');
      await expect(mfa.verify(user.id, at(now + 1))).resolves.toBe('totp');
      expect((await rowOf(user.id))?.lastUsedStep).toBe(String(now + 1));
    });

    it("refuses the previous step's code once a newer one was used, and a replay", async () => {
      const now = timeStep(Date.now());
      pinClock(midStep(now - 3));
      const user = await signUpWithMfa(midStep(now - 3));
      pinClock(midStep(now));
      const older = totp(user.secret, midStep(now));
      const newer = totp(user.secret, midStep(now + 1));

      await expect(mfa.verify(user.id, newer)).resolves.toBe('totp');
      // Still inside the window, but earlier than a step already used: refused.
      await expect(mfa.verify(user.id, older)).resolves.toBeNull();
      await expect(mfa.verify(user.id, newer)).resolves.toBeNull();
      // Same through the login's second step: 401 AUTH_MFA_CODE_INVALID, no pair.
      const first = await auth.login(user.email, user.password, CLIENT);
      if (!('mfaRequired' in first)) {
        throw new Error('expected an MFA challenge');
      }
      await expect(auth.loginWithMfa(first.mfaToken, older, CLIENT)).rejects.toMatchObject({
        code: AuthErrorCode.AUTH_MFA_CODE_INVALID,
        status: 401,
      });
      expect((await rowOf(user.id))?.lastUsedStep).toBe(String(now + 1));
    });

    it('takes a code typed with spaces (123 456)', async () => {
      const user = await signUpWithMfa();
      const code = totp(user.secret, Date.now() + STEP_MS);
      await expect(mfa.verify(user.id, ` ${code.slice(0, 3)} ${code.slice(3)} `)).resolves.toBe(
        'totp',
      );
    });
  });

  describe('recovery codes', () => {
    it('reads a code whatever its case, spaces and dashes, and spends it', async () => {
      const user = await signUpWithMfa();
      const codes = user.recoveryCodes;
      expect(codes).toHaveLength(10);
      for (const code of codes) {
        expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/);
      }
      const bare = (code: string | undefined): string => (code ?? '').replaceAll('-', '');
      const typed = [
        (codes[0] ?? '').toUpperCase(),
        bare(codes[1]),
        bare(codes[2]).toUpperCase(),
        (codes[3] ?? '').replaceAll('-', ' '),
        `  ${(codes[4] ?? '').toUpperCase().replaceAll('-', ' - ')}  `,
        bare(codes[5]).replace(/(.{2})/g, '$1 '),
      ];
      for (const code of typed) {
        await expect(mfa.verify(user.id, code)).resolves.toBe('recovery');
      }
      // Each of those was spent, in whatever form it comes back.
      await expect(mfa.verify(user.id, codes[0] ?? '')).resolves.toBeNull();
      await expect(mfa.verify(user.id, bare(codes[1]).toUpperCase())).resolves.toBeNull();
      expect((await recoveryCodesOf(user.id)).filter((c) => c.used)).toHaveLength(typed.length);
    });

    it("refuses a code with one symbol changed, an invented one and another account's", async () => {
      const user = await signUpWithMfa();
      const other = await signUpWithMfa();
      const [code = ''] = user.recoveryCodes;
      const last = code.at(-1) === 'z' ? 'y' : 'z';
      for (const wrong of [
        `${code.slice(0, -1)}${last}`,
        'zzzz-zzzz-zzzz-zzzz',
        code.slice(0, -1),
        other.recoveryCodes[0] ?? '',
      ]) {
        await expect(mfa.verify(user.id, wrong)).resolves.toBeNull();
      }
      expect((await recoveryCodesOf(user.id)).filter((c) => c.used)).toEqual([]);
      await expect(mfa.verify(user.id, code)).resolves.toBe('recovery');
    });
  });

  describe('the secret at rest', () => {
    const box = new SecretBox(Buffer.from(DEVELOPMENT_ENCRYPTION_KEY_HEX, 'hex'));

    it('stores only a sealed text that opens with the key and its owner, no other', async () => {
      const user = await signUpWithMfa();
      const other = await signUp();
      const row = await rowOf(user.id);
      const sealed = row?.secret ?? '';
      expect(sealed).toMatch(/^v1\.[\w-]{16}\.[\w-]+\.[\w-]{22}$/);
      const raw = base32Decode(user.secret);
      for (const form of [user.secret, raw.toString('hex'), raw.toString('base64url')]) {
        expect(sealed.toLowerCase()).not.toContain(form.toLowerCase());
      }
      expect(box.decrypt(sealed, user.id)).toBe(user.secret);
      expect(() => box.decrypt(sealed, other.id)).toThrow(SecretBoxOpenError);
      // A new setup seals again with a fresh IV: two sealings of a secret never look alike.
      expect(box.encrypt(user.secret, user.id)).not.toBe(sealed);
    });

    it('makes a sealed secret copied onto another account useless there', async () => {
      const victim = await signUpWithMfa();
      const attacker = await signUpWithMfa();
      const victimRow = await rowOf(victim.id);
      // Someone with write access to the table puts the victim's secret on their own row.
      await m.sql('UPDATE user_mfa SET secret_ciphertext = $1 WHERE user_id = $2', [
        victimRow?.secret,
        attacker.id,
      ]);
      const victimCode = totp(victim.secret, Date.now() + STEP_MS);
      const attackerCode = totp(attacker.secret, Date.now() + STEP_MS);
      // Neither the victim's codes nor the attacker's own pass on that row: the secret does
      // not open under another owner. It fails closed, with an error for the operator.
      for (const code of [victimCode, attackerCode]) {
        await expect(mfa.verify(attacker.id, code)).rejects.toBeInstanceOf(SecretBoxOpenError);
      }
      expect(m.logs.lines).toContainEqual(
        expect.objectContaining({
          level: 'error',
          msg: 'A TOTP secret does not decrypt: MFA_ENCRYPTION_KEY is not the key it was stored with',
          userId: attacker.id,
        }),
      );
      const first = await auth.login(attacker.email, attacker.password, CLIENT);
      if (!('mfaRequired' in first)) {
        throw new Error('expected an MFA challenge');
      }
      await expect(auth.loginWithMfa(first.mfaToken, victimCode, CLIENT)).rejects.toBeInstanceOf(
        SecretBoxOpenError,
      );
      expect((await rowOf(attacker.id))?.lastUsedStep).toBe(String(attacker.enabledStep));
      // The victim's own row is untouched and still works.
      await expect(mfa.verify(victim.id, victimCode)).resolves.toBe('totp');
    });
  });
});
