import { spawn } from 'node:child_process';
import { join } from 'node:path';

import { Client } from 'pg';

import { buildUserInput } from '../factories/users';
import { createTestDatabase, type TestDatabase } from '../utils/database';
import { createTestApp, type TestApp } from '../utils/test-app';
import { totp } from '../utils/totp';

const CLI_DIR = join(__dirname, '..', '..', 'dist', 'src', 'cli');
const CLI = join(CLI_DIR, 'create-admin.js');
const RESET_MFA_CLI = join(CLI_DIR, 'reset-mfa.js');

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(
  args: string[],
  env: Record<string, string>,
  stdin?: string,
  script = CLI,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_FORMAT: 'json', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(stdin ?? '');
  });
}

describe('npm run admin:create (dist/src/cli/create-admin.js)', () => {
  let db: TestDatabase;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase('admincli');
    env = { DATABASE_URL: db.url, DB_MIGRATE_ON_START: 'true' };
  });

  afterAll(async () => {
    await db.drop();
  });

  it('creates an admin from a password on stdin, normalising the email', async () => {
    const result = await runCli(
      ['--email', ' Ops@Example.com ', '--name', 'Ops', '--password-stdin'],
      env,
      'a long password\n',
    );
    expect(result).toMatchObject({ code: 0, stdout: 'Admin ops@example.com created.\n' });
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ role: string; name: string; password_hash: string }>(
        'SELECT role, name, password_hash FROM users WHERE email = $1',
        ['ops@example.com'],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ role: 'admin', name: 'Ops' });
      expect(rows[0]?.password_hash).toMatch(/^\$argon2id\$/);
    } finally {
      await client.end();
    }
  }, 90_000);

  it('refuses an email that already has an account, changing nothing', async () => {
    const result = await runCli(['--email', 'ops@example.com'], {
      ...env,
      ADMIN_PASSWORD: 'another password',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('An account with the email ops@example.com already exists');
  }, 90_000);

  it('refuses a missing email or a short password with usage, before touching the database', async () => {
    const noEmail = await runCli([], env);
    expect(noEmail.code).toBe(1);
    expect(noEmail.stderr).toContain('usage: npm run admin:create');
    const short = await runCli(['--email', 'x@example.com'], { ...env, ADMIN_PASSWORD: 'short' });
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('The password must be 8 to 128 characters');
  }, 30_000);
});

describe('npm run admin:reset-mfa (dist/src/cli/reset-mfa.js)', () => {
  let db: TestDatabase;
  let env: Record<string, string>;

  interface Account {
    readonly email: string;
    readonly password: string;
    /** The refresh tokens of its logins: one before MFA, one through the second step. */
    readonly refreshTokens: readonly string[];
    readonly accessToken: string;
  }
  let locked: Account;
  let bystander: Account;

  const runResetMfa = (args: string[]): Promise<CliResult> =>
    runCli(args, env, undefined, RESET_MFA_CLI);

  /** The app in this process on the suite's database, for set-up and to see what a user sees. */
  const withApp = async <T>(work: (app: TestApp) => Promise<T>): Promise<T> => {
    const app = await createTestApp({ DATABASE_URL: db.url, APP_ROLE: 'api' });
    try {
      return await work(app);
    } finally {
      await app.close();
    }
  };

  /** Registers, enables MFA with a code of an independent RFC 6238, logs in with it. */
  const accountWithMfa = async (app: TestApp): Promise<Account> => {
    const input = buildUserInput();
    await app.http.post('/api/v1/users').send(input).expect(201);
    const credentials = { email: input.email, password: input.password };
    const first = await app.http.post('/api/v1/auth/login').send(credentials).expect(200);
    const { accessToken, refreshToken } = first.body as {
      accessToken: string;
      refreshToken: string;
    };
    const auth = ['Authorization', `Bearer ${accessToken}`] as const;
    const setup = await app.http
      .post('/api/v1/auth/mfa/setup')
      .set(...auth)
      .expect(200);
    const { secret } = setup.body as { secret: string };
    await app.http
      .post('/api/v1/auth/mfa/enable')
      .set(...auth)
      .send({ code: totp(secret) })
      .expect(200);
    const challenge = await app.http.post('/api/v1/auth/login').send(credentials).expect(200);
    const { mfaToken } = challenge.body as { mfaToken: string };
    const second = await app.http
      .post('/api/v1/auth/login/mfa')
      .send({ mfaToken, code: totp(secret, Date.now() + 30_000) })
      .expect(200);
    const pair = second.body as { accessToken: string; refreshToken: string };
    return {
      email: input.email,
      password: input.password,
      refreshTokens: [refreshToken, pair.refreshToken],
      accessToken: pair.accessToken,
    };
  };

  interface MfaRows {
    readonly factors: number;
    readonly codes: number;
    /** "Two-step verification was removed" mails queued for the owner. */
    readonly notices: number;
  }

  const mfaRowsOf = async (email: string): Promise<MfaRows> => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<MfaRows>(
        `SELECT (SELECT count(*)::int FROM user_mfa WHERE user_id = u.id) AS factors,
                (SELECT count(*)::int FROM mfa_recovery_codes WHERE user_id = u.id) AS codes,
                (SELECT count(*)::int FROM pgboss.job
                  WHERE name = 'auth.security-notice' AND data->'data'->>'notice' = 'mfa-reset'
                    AND data->'data'->>'userId' = u.id::text) AS notices
           FROM users u WHERE u.email = $1`,
        [email],
      );
      return rows[0] ?? { factors: -1, codes: -1, notices: -1 };
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    db = await createTestDatabase('adminresetmfa');
    env = { DATABASE_URL: db.url, DB_MIGRATE_ON_START: 'true' };
    [locked, bystander] = await withApp(async (app) => [
      await accountWithMfa(app),
      await accountWithMfa(app),
    ]);
  }, 90_000);

  afterAll(async () => {
    await db.drop();
  });

  it('removes the second factor of the account named in any case, and ends its sessions', async () => {
    expect(await mfaRowsOf(locked.email)).toEqual({ factors: 1, codes: 10, notices: 0 });
    const result = await runResetMfa(['--email', ` ${locked.email.toUpperCase()} `]);
    expect(result).toMatchObject({
      code: 0,
      stdout: `MFA of ${locked.email} removed; every session ended.\n`,
    });
    // The owner is told, by a mail queued with the change.
    expect(await mfaRowsOf(locked.email)).toEqual({ factors: 0, codes: 0, notices: 1 });
    // The other account keeps its factor.
    expect(await mfaRowsOf(bystander.email)).toEqual({ factors: 1, codes: 10, notices: 0 });

    await withApp(async (app) => {
      for (const refreshToken of locked.refreshTokens) {
        const refused = await app.http
          .post('/api/v1/auth/refresh')
          .send({ refreshToken })
          .expect(401);
        expect(refused.body).toMatchObject({ code: 'AUTH_REFRESH_TOKEN_INVALID' });
      }
      const revoked = await app.http
        .get('/api/v1/users/me')
        .set('Authorization', `Bearer ${locked.accessToken}`)
        .expect(401);
      expect(revoked.body).toMatchObject({ code: 'AUTH_TOKEN_REVOKED' });
      // The password alone logs in again: no second step is asked for.
      const login = await app.http
        .post('/api/v1/auth/login')
        .send({ email: locked.email, password: locked.password })
        .expect(200);
      expect(login.body).toMatchObject({ tokenType: 'Bearer' });
      expect(login.body).not.toHaveProperty('mfaRequired');
      // The other account's sessions live on.
      await app.http
        .post('/api/v1/auth/refresh')
        .send({ refreshToken: bystander.refreshTokens[1] })
        .expect(200);
    });
  }, 90_000);

  it('says nothing changed for an account without MFA, and exits 0', async () => {
    const result = await runResetMfa(['--email', locked.email]);
    expect(result).toMatchObject({
      code: 0,
      stdout: `${locked.email} has no MFA; nothing changed.\n`,
    });
    expect(await mfaRowsOf(locked.email)).toEqual({ factors: 0, codes: 0, notices: 1 });
  }, 90_000);

  it('removes a setup never enabled without telling the owner of a change they never had', async () => {
    const pending = await withApp(async (app) => {
      const input = buildUserInput();
      await app.http.post('/api/v1/users').send(input).expect(201);
      const res = await app.http
        .post('/api/v1/auth/login')
        .send({ email: input.email, password: input.password })
        .expect(200);
      await app.http
        .post('/api/v1/auth/mfa/setup')
        .set('Authorization', `Bearer ${(res.body as { accessToken: string }).accessToken}`)
        .expect(200);
      return input.email;
    });
    expect(await mfaRowsOf(pending)).toEqual({ factors: 1, codes: 0, notices: 0 });
    const result = await runResetMfa(['--email', pending]);
    expect(result).toMatchObject({
      code: 0,
      stdout: `MFA of ${pending} removed; every session ended.\n`,
    });
    expect(await mfaRowsOf(pending)).toEqual({ factors: 0, codes: 0, notices: 0 });
  }, 90_000);

  it('exits 1 naming an unknown email, changing nothing', async () => {
    const result = await runResetMfa(['--email', 'Nobody@Example.com']);
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toContain('No account with the email nobody@example.com.');
    expect(await mfaRowsOf(bystander.email)).toEqual({ factors: 1, codes: 10, notices: 0 });
  }, 90_000);

  it('prints its usage and exits 1 without --email', async () => {
    const result = await runResetMfa([]);
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toContain('usage: npm run admin:reset-mfa -- --email user@example.com');
  }, 30_000);
});
