import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { bearer, createUser, login, type TestUser } from '../factories/users';
import { parseMail, type ParsedMail } from '../utils/smtp-server';
import { useTestApp } from '../utils/test-app';
import { totp } from '../utils/totp';
import { until } from '../utils/until';

/**
 * The accounts flows as a new user runs them with no set-up at all: embedded PGlite (no
 * DATABASE_URL), no SMTP_URL, so mails are .eml files under MAIL_DIR whose path the log
 * gives, and the mail jobs run on PGlite's one connection.
 */
describe('accounts on embedded PGlite, mails as files (no SMTP_URL)', () => {
  const PUBLIC_URL = 'https://shop.example.test';
  const MAIL_WAIT_MS = 30_000;
  let root: string;
  let mailDir: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'accounts-pglite-'));
    // Not there yet: the first mail creates it.
    mailDir = join(root, 'mail');
  });

  const t = useTestApp(
    () => ({
      DATABASE_URL: 'pglite://memory',
      MAIL_DIR: mailDir,
      APP_PUBLIC_URL: PUBLIC_URL,
      JOBS_POLL_INTERVAL_MS: '500',
    }),
    { database: false, startTimeoutMs: 180_000, contract: true },
  );

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  interface MailFile {
    readonly file: string;
    readonly mail: ParsedMail;
  }

  /** The .eml files under MAIL_DIR, parsed as a mail reader would (none before the first). */
  const mailFiles = async (): Promise<MailFile[]> => {
    let names: string[];
    try {
      names = readdirSync(mailDir).filter((name) => name.endsWith('.eml'));
    } catch {
      return [];
    }
    return Promise.all(
      names.map(async (name) => {
        const file = join(mailDir, name);
        return { file, mail: await parseMail(readFileSync(file)) };
      }),
    );
  };

  /**
   * The one mail to `email` whose subject matches, once its file is there and the log has
   * named it; checks the file is private and returns the token of its one link.
   */
  const tokenFromMail = async (email: string, subject: RegExp, path: string): Promise<string> => {
    const found = await until(
      `a mail to ${email} in ${mailDir}`,
      async () => {
        const matching = (await mailFiles()).filter(
          ({ mail }) => mail.to.includes(email) && subject.test(mail.subject),
        );
        return matching.length > 0 ? matching : undefined;
      },
      MAIL_WAIT_MS,
    );
    expect(found).toHaveLength(1);
    const file = found[0]?.file ?? '';
    const mail = found[0]?.mail;
    expect(t.logs.lines).toContainEqual(
      expect.objectContaining({ level: 'info', msg: 'Mail written to a file', file }),
    );
    // It carries an account token: only its owner may read it.
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(mail?.links).toHaveLength(1);
    const link = new URL(mail?.links[0] ?? '');
    expect(`${link.origin}${link.pathname}`).toBe(`${PUBLIC_URL}${path}`);
    const token = link.searchParams.get('token') ?? '';
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The log names the file, never what is in it.
    expect(t.logs.text()).not.toContain(token);
    return token;
  };

  const me = (user: { accessToken: string }) =>
    t.http
      .get('/api/v1/users/me')
      .set(...bearer(user))
      .expect(200);

  it('mails a verification link on registration as a file; following it verifies the email', async () => {
    const user = await createUser(t.http);
    expect((await me(user)).body).toMatchObject({ email: user.email, emailVerified: false });

    const token = await tokenFromMail(user.email, /confirm your email/i, '/verify-email');
    await t.http.post('/api/v1/auth/verify-email').send({ token }).expect(204);
    expect((await me(user)).body).toMatchObject({ emailVerified: true });
    const again = await t.http.post('/api/v1/auth/verify-email').send({ token }).expect(400);
    expect(again.body).toMatchObject({ code: 'AUTH_TOKEN_INVALID', status: 400 });
  }, 60_000);

  it('resets a password through the mailed link: old sessions end, the new password logs in', async () => {
    const user = await createUser(t.http);
    await t.http.post('/api/v1/auth/password-reset').send({ email: user.email }).expect(202);
    const token = await tokenFromMail(user.email, /reset your password/i, '/reset-password');

    const password = 'a password from the file';
    await t.http.post('/api/v1/auth/password-reset/confirm').send({ token, password }).expect(204);
    const refused = await t.http
      .post('/api/v1/auth/refresh')
      .send({ refreshToken: user.refreshToken })
      .expect(401);
    expect(refused.body).toMatchObject({ code: 'AUTH_REFRESH_TOKEN_INVALID' });
    await t.http
      .get('/api/v1/users/me')
      .set(...bearer(user))
      .expect(401);
    await t.http
      .post('/api/v1/auth/login')
      .send({ email: user.email, password: user.password })
      .expect(401);
    const fresh = await login(t.http, user.email, password);
    expect((await me(fresh)).body).toMatchObject({ id: user.id, emailVerified: true });
  }, 60_000);

  it('logs in with a TOTP second factor: set up, enable, password then code', async () => {
    const user: TestUser = await createUser(t.http);
    const setup = await t.http
      .post('/api/v1/auth/mfa/setup')
      .set(...bearer(user))
      .expect(200);
    const { secret } = setup.body as { secret: string };
    const enabled = await t.http
      .post('/api/v1/auth/mfa/enable')
      .set(...bearer(user))
      .send({ code: totp(secret) })
      .expect(200);
    expect((enabled.body as { recoveryCodes: string[] }).recoveryCodes).toHaveLength(10);

    const first = await t.http
      .post('/api/v1/auth/login')
      .send({ email: user.email, password: user.password })
      .expect(200);
    expect(first.body).toMatchObject({ mfaRequired: true, expiresIn: 300 });
    const { mfaToken } = first.body as { mfaToken: string };
    // The code that enabled it was spent: the next step's code logs in, once.
    const code = totp(secret, Date.now() + 30_000);
    const pair = await t.http.post('/api/v1/auth/login/mfa').send({ mfaToken, code }).expect(200);
    expect((await me(pair.body as { accessToken: string })).body).toMatchObject({ id: user.id });
    const replay = await t.http.post('/api/v1/auth/login/mfa').send({ mfaToken, code }).expect(401);
    expect(replay.body).toMatchObject({ code: 'AUTH_MFA_CODE_INVALID' });
  }, 60_000);
});
