import { createHash } from 'node:crypto';

import type { Response } from 'supertest';

import { bearer, buildUserInput, createAdmin, createUser, login } from '../factories/users';
import { createProduct } from '../factories/products';
import { startSmtpServer, type ReceivedMail, type TestSmtpServer } from '../utils/smtp-server';
import { until } from '../utils/until';
import { useTestApp, type SuiteApp } from '../utils/test-app';
import { totp } from '../utils/totp';
import { noticesOf } from '../utils/notices';

/** Links in mails point here, whatever Host a request came with. */
const PUBLIC_URL = 'https://shop.example.test/app';
const MAIL_WAIT_MS = 15_000;

/**
 * A suite's own SMTP server on 127.0.0.1, started before the app that mails through it and
 * closed after the suite; `extra` goes over the mail settings.
 */
function useMailSuite(extra: Record<string, string> = {}): {
  readonly t: SuiteApp;
  readonly smtp: () => TestSmtpServer;
} {
  let server: TestSmtpServer | undefined;
  beforeAll(async () => {
    server = await startSmtpServer();
  });
  afterAll(async () => {
    await server?.close();
  });
  const smtp = (): TestSmtpServer => {
    if (server === undefined) {
      throw new Error('the SMTP server starts in beforeAll');
    }
    return server;
  };
  const t = useTestApp(
    () => ({
      SMTP_URL: smtp().url,
      APP_PUBLIC_URL: PUBLIC_URL,
      MAIL_FROM: 'Shop <no-reply@shop.example.test>',
      JOBS_POLL_INTERVAL_MS: '500',
      TRUST_PROXY: 'true',
      ...extra,
    }),
    { contract: true },
  );
  return { t, smtp };
}

/** The token of the one link in the mail, checked to be the same in both bodies. */
function linkOf(mail: ReceivedMail, path: string): { url: URL; token: string } {
  const links = [...mail.text.matchAll(/https?:\/\/\S+/g)].map((match) => match[0]);
  expect(links).toHaveLength(1);
  const url = new URL(links[0] ?? '');
  expect(`${url.origin}${url.pathname}`).toBe(`${PUBLIC_URL}${path}`);
  const token = url.searchParams.get('token') ?? '';
  expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(mail.html).toContain(`href="${PUBLIC_URL}${path}?token=${token}"`);
  return { url, token };
}

/** A problem body without what differs per request, to compare two refusals. */
const comparable = (res: Response): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(res.body as Record<string, unknown>).filter(([key]) => key !== 'requestId'),
  );

const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');

async function waitForMailTo(
  smtp: TestSmtpServer,
  email: string,
  subject: RegExp,
): Promise<ReceivedMail> {
  return smtp.waitForMail(
    (mail) => mail.to.includes(email) && subject.test(mail.subject),
    MAIL_WAIT_MS,
  );
}

/** The first `count` mails that match, once that many have arrived. */
async function waitForMails(
  smtp: TestSmtpServer,
  predicate: (mail: ReceivedMail) => boolean,
  count: number,
  timeoutMs: number,
): Promise<ReceivedMail[]> {
  return until(
    `${String(count)} mails`,
    () => {
      const found = smtp.received.filter(predicate);
      return found.length >= count ? found.slice(0, count) : undefined;
    },
    timeoutMs,
  );
}

/** Nothing holds a token in the clear: only its hash is stored, and no job carries it. */
async function expectStoredOnlyAsHash(t: SuiteApp, token: string): Promise<void> {
  const [tokens] = await t.sql<{ raw: string; hashed: string }>(
    `SELECT count(*) FILTER (WHERE token_hash = $1) AS hashed,
            count(*) FILTER (WHERE token_hash = $2) AS raw
       FROM account_tokens`,
    [sha256(token), token],
  );
  expect(tokens).toEqual({ hashed: '1', raw: '0' });
  const [jobs] = await t.sql<{ n: string }>(
    `SELECT count(*) AS n FROM pgboss.job WHERE data::text LIKE '%' || $1 || '%'`,
    [token],
  );
  expect(jobs?.n).toBe('0');
}

describe('accounts: email verification', () => {
  const { t, smtp } = useMailSuite();

  it('mails a link on registration that verifies the email once', async () => {
    const user = await createUser(t.http);
    const me = await t.http
      .get('/api/v1/users/me')
      .set(...bearer(user))
      .expect(200);
    expect(me.body).toMatchObject({ email: user.email, emailVerified: false });

    const mail = await waitForMailTo(smtp(), user.email, /confirm your email/i);
    expect(mail.from).toEqual({ name: 'Shop', address: 'no-reply@shop.example.test' });
    expect(mail.text).toContain(`Hello ${user.name},`);
    const { token } = linkOf(mail, '/verify-email');
    await expectStoredOnlyAsHash(t, token);

    await t.http.post('/api/v1/auth/verify-email').send({ token }).expect(204);
    const after = await t.http
      .get('/api/v1/users/me')
      .set(...bearer(user))
      .expect(200);
    expect(after.body).toMatchObject({ emailVerified: true });

    const again = await t.http.post('/api/v1/auth/verify-email').send({ token }).expect(400);
    expect(again.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(again.body).toEqual({
      type: 'https://errors.example.com/bad-request',
      title: 'Bad Request',
      status: 400,
      detail: 'The link is invalid or has expired; ask for a new one',
      instance: '/api/v1/auth/verify-email',
      code: 'AUTH_TOKEN_INVALID',
      requestId: again.headers['x-request-id'],
    });
  });

  it('refuses a used, an expired and a forged token with the same body', async () => {
    const used = await createUser(t.http);
    const usedToken = linkOf(
      await waitForMailTo(smtp(), used.email, /confirm/i),
      '/verify-email',
    ).token;
    await t.http.post('/api/v1/auth/verify-email').send({ token: usedToken }).expect(204);

    const expiring = await createUser(t.http);
    const expiredToken = linkOf(
      await waitForMailTo(smtp(), expiring.email, /confirm/i),
      '/verify-email',
    ).token;
    await t.sql(
      `UPDATE account_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1`,
      [sha256(expiredToken)],
    );

    const refusals = await Promise.all(
      [usedToken, expiredToken, 'forged-token-forged-token-forged-token-0000', 'x'].map((token) =>
        t.http.post('/api/v1/auth/verify-email').send({ token }).expect(400),
      ),
    );
    const [first, ...rest] = refusals.map(comparable);
    for (const body of rest) {
      expect(body).toEqual(first);
    }
    const me = await t.http
      .get('/api/v1/users/me')
      .set(...bearer(expiring))
      .expect(200);
    expect(me.body).toMatchObject({ emailVerified: false });
  });

  it('mails a new link on request, and nothing once the email is verified', async () => {
    const user = await createUser(t.http);
    const first = await waitForMailTo(smtp(), user.email, /confirm/i);
    await t.http
      .post('/api/v1/users/me/verification-email')
      .set(...bearer(user))
      .expect(202);
    const second = await smtp().waitForMail(
      (mail) =>
        mail.to.includes(user.email) && mail.headers['message-id'] !== first.headers['message-id'],
      MAIL_WAIT_MS,
    );
    const { token } = linkOf(second, '/verify-email');
    expect(token).not.toBe(linkOf(first, '/verify-email').token);
    await t.http.post('/api/v1/auth/verify-email').send({ token }).expect(204);

    await t.http
      .post('/api/v1/users/me/verification-email')
      .set(...bearer(user))
      .expect(202);
    // Verified: the request queues no mail at all (and a job queued before the link was
    // followed would find the email verified and send nothing), so none can follow.
    const [jobs] = await t.sql<{ n: string }>(
      `SELECT count(*) AS n FROM pgboss.job
        WHERE name = 'auth.account-mail' AND data->'data'->>'userId' = $1`,
      [user.id],
    );
    expect(jobs?.n).toBe('2');
    expect(smtp().received.filter((mail) => mail.to.includes(user.email))).toHaveLength(2);
  }, 30_000);

  it('builds links from APP_PUBLIC_URL, never from the Host of the request', async () => {
    const input = buildUserInput();
    await t.http
      .post('/api/v1/users')
      .set('Host', 'evil.example.net')
      .set('X-Forwarded-Host', 'evil.example.net')
      .send(input)
      .expect(201);
    const mail = await waitForMailTo(smtp(), input.email, /confirm/i);
    expect(mail.text).not.toContain('evil');
    expect(mail.html).not.toContain('evil');
    linkOf(mail, '/verify-email');
  });
});

describe('accounts: REQUIRE_VERIFIED_EMAIL', () => {
  const { t, smtp } = useMailSuite({ REQUIRE_VERIFIED_EMAIL: 'true' });

  it('refuses placement with 403 EMAIL_NOT_VERIFIED until the link is followed', async () => {
    const product = await createProduct(t.http, await createAdmin(t.app), { stock: 5 });
    const user = await createUser(t.http);
    const order = { items: [{ productId: product.id, quantity: 2 }] };
    const refused = await t.http
      .post('/api/v1/orders')
      .set(...bearer(user))
      .send(order)
      .expect(403);
    expect(refused.body).toMatchObject({ code: 'EMAIL_NOT_VERIFIED', status: 403 });
    const [stock] = await t.sql<{ stock: number }>('SELECT stock FROM products WHERE id = $1', [
      product.id,
    ]);
    expect(stock?.stock).toBe(5);
    const [orders] = await t.sql<{ n: string }>(
      'SELECT count(*) AS n FROM orders WHERE user_id = $1',
      [user.id],
    );
    expect(orders?.n).toBe('0');

    const { token } = linkOf(await waitForMailTo(smtp(), user.email, /confirm/i), '/verify-email');
    await t.http.post('/api/v1/auth/verify-email').send({ token }).expect(204);
    await t.http
      .post('/api/v1/orders')
      .set(...bearer(user))
      .send(order)
      .expect(201);
  });
});

describe('accounts: password reset', () => {
  const { t, smtp } = useMailSuite();

  const requestReset = (email: string, address = '192.0.2.1') =>
    t.http
      .post('/api/v1/auth/password-reset')
      .set('X-Forwarded-For', address)
      .send({ email })
      .expect(202);

  it('mails a link whose confirm sets the password and ends every session', async () => {
    const user = await createUser(t.http);
    const other = await login(t.http, user.email, user.password);
    await requestReset(user.email.toUpperCase());
    const mail = await waitForMailTo(smtp(), user.email, /reset your password/i);
    const { token } = linkOf(mail, '/reset-password');
    await expectStoredOnlyAsHash(t, token);

    const password = 'a brand new password';
    await t.http.post('/api/v1/auth/password-reset/confirm').send({ token, password }).expect(204);

    // Every access token and every refresh token of the account is dead.
    for (const session of [user, other]) {
      const me = await t.http
        .get('/api/v1/users/me')
        .set(...bearer(session))
        .expect(401);
      expect(me.body).toMatchObject({ code: 'AUTH_TOKEN_REVOKED' });
      await t.http
        .post('/api/v1/auth/refresh')
        .send({ refreshToken: session.refreshToken })
        .expect(401);
    }
    await t.http
      .post('/api/v1/auth/login')
      .send({ email: user.email, password: user.password })
      .expect(401);
    const fresh = await login(t.http, user.email, password);
    const me = await t.http
      .get('/api/v1/users/me')
      .set('Authorization', `Bearer ${fresh.accessToken}`);
    // Following the link proved the mailbox.
    expect(me.body).toMatchObject({ emailVerified: true });

    const reused = await t.http
      .post('/api/v1/auth/password-reset/confirm')
      .send({ token, password: 'yet another password' })
      .expect(400);
    expect(reused.body).toMatchObject({ code: 'AUTH_TOKEN_INVALID' });
    await login(t.http, user.email, password);
  });

  it('refuses used, expired and forged tokens with one body and changes nothing', async () => {
    const user = await createUser(t.http);
    await requestReset(user.email);
    await requestReset(user.email);
    const mails = await waitForMails(
      smtp(),
      (mail) => mail.to.includes(user.email) && /reset your password/i.test(mail.subject),
      2,
      MAIL_WAIT_MS,
    );
    const [first, second] = mails.map((mail) => linkOf(mail, '/reset-password').token);
    // One reset spends every other link of the account.
    await t.http
      .post('/api/v1/auth/password-reset/confirm')
      .send({ token: first, password: 'the reset password' })
      .expect(204);

    const expiring = await createUser(t.http);
    await requestReset(expiring.email);
    const expired = linkOf(
      await waitForMailTo(smtp(), expiring.email, /reset your password/i),
      '/reset-password',
    ).token;
    await t.sql(
      `UPDATE account_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1`,
      [sha256(expired)],
    );

    const refusals = await Promise.all(
      [first, second, expired, 'forged-token-forged-token-forged-token-0000'].map((token) =>
        t.http
          .post('/api/v1/auth/password-reset/confirm')
          .send({ token, password: 'an attacker password' })
          .expect(400),
      ),
    );
    const [body, ...rest] = refusals.map(comparable);
    expect(body).toMatchObject({ code: 'AUTH_TOKEN_INVALID', status: 400 });
    for (const other of rest) {
      expect(other).toEqual(body);
    }
    await login(t.http, user.email, 'the reset password');
    await login(t.http, expiring.email, expiring.password);
  });

  it('answers an unknown email exactly like a known one, in about the same time', async () => {
    const user = await createUser(t.http);
    const timings = { known: [] as number[], unknown: [] as number[] };
    for (let i = 0; i < 6; i += 1) {
      for (const [kind, email] of [
        ['known', user.email],
        ['unknown', `nobody-${String(i)}-${user.email}`],
      ] as const) {
        const started = process.hrtime.bigint();
        const res = await requestReset(email, `192.0.2.${String(10 + i)}`);
        timings[kind].push(Number(process.hrtime.bigint() - started) / 1e6);
        expect(res.body).toEqual({});
        expect(res.text).toBe('');
      }
    }
    const median = (values: number[]): number =>
      [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
    const [known, unknown] = [median(timings.known), median(timings.unknown)];
    // Both take the same path (the limit, one queued job): a lookup or a hash for known
    // emails only would show as tens of milliseconds.
    expect(Math.abs(known - unknown)).toBeLessThan(Math.max(25, 0.5 * Math.max(known, unknown)));
    // Only the account's owner gets mail.
    await waitForMails(smtp(), (mail) => mail.to.includes(user.email), 6, MAIL_WAIT_MS);
    expect(
      smtp().received.filter((mail) => mail.to.some((to) => to.startsWith('nobody-'))),
    ).toEqual([]);
  });

  it('rejects a new password outside 8..128 characters before looking at the token', async () => {
    const res = await t.http
      .post('/api/v1/auth/password-reset/confirm')
      .send({ token: 'whatever', password: 'short' })
      .expect(400);
    expect(res.body).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'password', message: 'password must be 8 to 128 characters' }],
    });
  });
});

describe('accounts: security notices', () => {
  const { t, smtp } = useMailSuite();

  /** A notice says what happened and when, and carries no link to follow. */
  const expectNotice = (mail: ReceivedMail, what: RegExp, before: Date): void => {
    expect(mail.text).toMatch(what);
    expect(mail.text).not.toMatch(/https?:/);
    expect(mail.html).not.toMatch(/<a\b|https?:/);
    // The minute of the change, in UTC: "3 December 2026 at 09:41 UTC".
    const when = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'UTC',
      dateStyle: 'long',
      timeStyle: 'short',
    });
    const stated = [before, new Date()].map((at) => `${when.format(at)} UTC`);
    expect(stated.some((at) => mail.text.includes(at))).toBe(true);
  };

  it('tells the owner their password was changed, and nothing when the change was refused', async () => {
    const user = await createUser(t.http);
    await t.http
      .patch('/api/v1/users/me')
      .set(...bearer(user))
      .send({ password: 'a changed password', currentPassword: 'not the password' })
      .expect(401);
    expect(await noticesOf(t.sql, user.id)).toEqual([]);

    const before = new Date();
    await t.http
      .patch('/api/v1/users/me')
      .set(...bearer(user))
      .send({ password: 'a changed password', currentPassword: user.password })
      .expect(200);
    const mail = await waitForMailTo(smtp(), user.email, /^Your password was changed$/);
    expectNotice(mail, /The password of your account was changed on /, before);
    expect(mail.text).toMatch(/If it was not, reset your password at once/);
    expect(await noticesOf(t.sql, user.id)).toEqual(['password-change']);
  }, 30_000);

  it('tells the owner their password was reset through a mailed link', async () => {
    const user = await createUser(t.http);
    await t.http.post('/api/v1/auth/password-reset').send({ email: user.email }).expect(202);
    const { token } = linkOf(
      await waitForMailTo(smtp(), user.email, /reset your password/i),
      '/reset-password',
    );
    const before = new Date();
    await t.http
      .post('/api/v1/auth/password-reset/confirm')
      .send({ token, password: 'a reset password' })
      .expect(204);
    const mail = await waitForMailTo(smtp(), user.email, /^Your password was reset$/);
    expectNotice(mail, /was reset on .*, with a link mailed to this address/, before);
    expect(await noticesOf(t.sql, user.id)).toEqual(['password-reset']);
  }, 30_000);

  it('tells the owner when two-step verification goes on, is passed with a recovery code, and goes off; not when they log out everywhere', async () => {
    const user = await createUser(t.http);
    const setup = await t.http
      .post('/api/v1/auth/mfa/setup')
      .set(...bearer(user))
      .expect(200);
    const { secret } = setup.body as { secret: string };
    const enabledAt = new Date();
    const enabled = await t.http
      .post('/api/v1/auth/mfa/enable')
      .set(...bearer(user))
      .send({ code: totp(secret) })
      .expect(200);
    expectNotice(
      await waitForMailTo(smtp(), user.email, /^Two-step verification is on$/),
      /Two-step verification was turned on for your account on /,
      enabledAt,
    );

    // A login with a recovery code instead of the app's code: told, once per code.
    const { recoveryCodes } = enabled.body as { recoveryCodes: string[] };
    const first = await t.http
      .post('/api/v1/auth/login')
      .send({ email: user.email, password: user.password })
      .expect(200);
    const recoveredAt = new Date();
    await t.http
      .post('/api/v1/auth/login/mfa')
      .send({ mfaToken: (first.body as { mfaToken: string }).mfaToken, code: recoveryCodes[0] })
      .expect(200);
    const recovered = await waitForMailTo(
      smtp(),
      user.email,
      /^A recovery code was used to log in$/,
    );
    expectNotice(
      recovered,
      /Your password and one of your recovery codes were used on /,
      recoveredAt,
    );
    expect(recovered.text).not.toContain(recoveryCodes[0]);

    const disabledAt = new Date();
    await t.http
      .post('/api/v1/auth/mfa/disable')
      .set(...bearer(user))
      .send({ code: totp(secret, Date.now() + 30_000), currentPassword: user.password })
      .expect(204);
    expectNotice(
      await waitForMailTo(smtp(), user.email, /^Two-step verification is off$/),
      /Two-step verification was turned off for your account on .*Every device was logged out/s,
      disabledAt,
    );

    const again = await login(t.http, user.email, user.password);
    await t.http
      .post('/api/v1/auth/logout-all')
      .set(...bearer(again))
      .expect(204);
    // Disabling ended every session too: neither that nor logging out sends another notice.
    expect(await noticesOf(t.sql, user.id)).toEqual([
      'mfa-enabled',
      'recovery-code-login',
      'mfa-disabled',
    ]);
  }, 30_000);
});

describe('accounts: limits', () => {
  const { t } = useMailSuite({ LOGIN_RATE_LIMIT_MAX: '3' });

  it('limits reset requests per email, whatever the address', async () => {
    const email = `limited-${Date.now()}@example.com`;
    for (let i = 0; i < 3; i += 1) {
      await t.http
        .post('/api/v1/auth/password-reset')
        .set('X-Forwarded-For', `198.51.100.${String(i + 1)}`)
        .send({ email })
        .expect(202);
    }
    const res = await t.http
      .post('/api/v1/auth/password-reset')
      .set('X-Forwarded-For', '198.51.100.99')
      .send({ email: email.toUpperCase() })
      .expect(429);
    expect(res.body).toMatchObject({ code: 'RATE_LIMITED' });
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('limits reset requests per address, whatever the emails', async () => {
    for (let i = 0; i < 3; i += 1) {
      await t.http
        .post('/api/v1/auth/password-reset')
        .set('X-Forwarded-For', '198.51.100.200')
        .send({ email: `someone-${String(i)}@example.com` })
        .expect(202);
    }
    await t.http
      .post('/api/v1/auth/password-reset')
      .set('X-Forwarded-For', '198.51.100.200')
      .send({ email: 'someone-else@example.com' })
      .expect(429);
  });

  it('limits verification mails per account, and does not touch the login budget', async () => {
    const user = await createUser(t.http);
    for (let i = 0; i < 3; i += 1) {
      await t.http
        .post('/api/v1/users/me/verification-email')
        .set('X-Forwarded-For', `203.0.113.${String(i + 1)}`)
        .set(...bearer(user))
        .expect(202);
    }
    await t.http
      .post('/api/v1/users/me/verification-email')
      .set('X-Forwarded-For', '203.0.113.50')
      .set(...bearer(user))
      .expect(429);
    await t.http
      .post('/api/v1/auth/login')
      .set('X-Forwarded-For', '203.0.113.51')
      .send({ email: user.email, password: user.password })
      .expect(200);
  });
});
