import { createProduct } from '../factories/products';
import { bearer, createAdmin, createUser, type TestUser } from '../factories/users';
import { useTestApp, type SuiteApp } from '../utils/test-app';
import { totp } from '../utils/totp';

interface Pair {
  readonly accessToken: string;
  readonly refreshToken: string;
}

interface Challenge {
  readonly mfaRequired: true;
  readonly mfaToken: string;
  readonly expiresIn: number;
}

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const STEP_MS = 30_000;

/**
 * The code of the step `stepsAhead` from now. The server takes ±1 step, so a code of now
 * survives one step boundary between here and the check, and +1 (what logins send, later
 * than the step enable spent) survives it too; -1 would be refused past one boundary.
 */
const codeOf = (secret: string, stepsAhead = 0): string =>
  totp(secret, Date.now() + stepsAhead * STEP_MS);

/** Sets up and enables MFA for `user` through the API; returns the secret and the recovery codes. */
async function enableMfa(
  t: SuiteApp,
  user: Pair,
): Promise<{ secret: string; recoveryCodes: string[] }> {
  const setup = await t.http
    .post('/api/v1/auth/mfa/setup')
    .set('Authorization', `Bearer ${user.accessToken}`)
    .expect(200);
  const { secret } = setup.body as { secret: string };
  const enabled = await t.http
    .post('/api/v1/auth/mfa/enable')
    .set('Authorization', `Bearer ${user.accessToken}`)
    .send({ code: codeOf(secret) })
    .expect(200);
  return { secret, recoveryCodes: (enabled.body as { recoveryCodes: string[] }).recoveryCodes };
}

async function challenge(t: SuiteApp, user: TestUser, address = '127.0.0.1'): Promise<Challenge> {
  const res = await t.http
    .post('/api/v1/auth/login')
    .set('X-Forwarded-For', address)
    .send({ email: user.email, password: user.password })
    .expect(200);
  expect(res.body).toEqual({
    mfaRequired: true,
    mfaToken: expect.stringMatching(JWT),
    expiresIn: 300,
  });
  return res.body as Challenge;
}

const secondStep = (t: SuiteApp, mfaToken: string, code: string, address = '127.0.0.1') =>
  t.http.post('/api/v1/auth/login/mfa').set('X-Forwarded-For', address).send({ mfaToken, code });

describe('auth: TOTP second factor', () => {
  const t = useTestApp({ TRUST_PROXY: 'true' }, { contract: true });

  it('sets up with a secret and an otpauth URL, and enables with a code from it', async () => {
    const user = await createUser(t.http);
    const setup = await t.http
      .post('/api/v1/auth/mfa/setup')
      .set(...bearer(user))
      .expect(200);
    const { secret, otpauthUrl } = setup.body as { secret: string; otpauthUrl: string };
    expect(setup.headers['cache-control']).toBe('no-store');
    expect(secret).toMatch(/^[A-Z2-7]{32,}$/);
    const url = new URL(otpauthUrl);
    expect(url.protocol).toBe('otpauth:');
    expect(url.host).toBe('totp');
    expect(url.searchParams.get('secret')).toBe(secret);
    expect(decodeURIComponent(url.pathname)).toContain(user.email);

    // Stored encrypted: the secret is nowhere in the table.
    const rows = await t.sql<{ secret: string }>(
      'SELECT secret_ciphertext AS secret FROM user_mfa WHERE user_id = $1',
      [user.id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.secret).not.toContain(secret);

    const wrong = await t.http
      .post('/api/v1/auth/mfa/enable')
      .set(...bearer(user))
      .send({ code: codeOf(secret) === '000000' ? '111111' : '000000' });
    expect(wrong.status).toBeGreaterThanOrEqual(400);
    expect(wrong.body).toMatchObject({ code: 'MFA_CODE_INVALID' });

    const enabled = await t.http
      .post('/api/v1/auth/mfa/enable')
      .set(...bearer(user))
      .send({ code: codeOf(secret) })
      .expect(200);
    const { recoveryCodes } = enabled.body as { recoveryCodes: string[] };
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    const stored = await t.sql<{ hash: string }>(
      'SELECT code_hash AS hash FROM mfa_recovery_codes WHERE user_id = $1',
      [user.id],
    );
    expect(stored).toHaveLength(10);
    for (const code of recoveryCodes) {
      expect(stored.map((row) => row.hash)).not.toContain(code);
    }

    // Already on: setup again is a conflict.
    const again = await t.http
      .post('/api/v1/auth/mfa/setup')
      .set(...bearer(user))
      .expect(409);
    expect(again.body).toMatchObject({ code: 'MFA_ALREADY_ENABLED' });
  });

  it('logs in in two steps: the password gives an mfaToken, a code gives the pair', async () => {
    const user = await createUser(t.http);
    const { secret } = await enableMfa(t, user);
    const { mfaToken } = await challenge(t, user);

    // The mfaToken is not an access token, and an access token is not an mfaToken.
    await t.http.get('/api/v1/users/me').set('Authorization', `Bearer ${mfaToken}`).expect(401);
    const swapped = await secondStep(t, user.accessToken, codeOf(secret, 1));
    expect(swapped.status).toBe(401);
    expect(swapped.body).toMatchObject({ code: 'AUTH_MFA_TOKEN_INVALID' });

    const code = codeOf(secret, 1);
    const res = await secondStep(t, mfaToken, code).expect(200);
    const pair = res.body as Pair;
    expect(pair.accessToken).toMatch(JWT);
    expect(res.headers['cache-control']).toBe('no-store');
    await t.http
      .get('/api/v1/users/me')
      .set('Authorization', `Bearer ${pair.accessToken}`)
      .expect(200);
    // A refresh keeps the login's second factor.
    await t.http.post('/api/v1/auth/refresh').send({ refreshToken: pair.refreshToken }).expect(200);

    // The same code again, in the same window: refused.
    const next = await challenge(t, user);
    const replay = await secondStep(t, next.mfaToken, code).expect(401);
    expect(replay.body).toMatchObject({ code: 'AUTH_MFA_CODE_INVALID', status: 401 });
  });

  it('takes each recovery code once', async () => {
    const user = await createUser(t.http);
    const { recoveryCodes } = await enableMfa(t, user);
    const [code] = recoveryCodes;
    const first = await challenge(t, user);
    await secondStep(t, first.mfaToken, (code ?? '').toUpperCase()).expect(200);
    const second = await challenge(t, user);
    const reused = await secondStep(t, second.mfaToken, code ?? '').expect(401);
    expect(reused.body).toMatchObject({ code: 'AUTH_MFA_CODE_INVALID' });
    await secondStep(t, second.mfaToken, recoveryCodes[1] ?? '').expect(200);
  });

  it('refuses an mfaToken issued before a password change', async () => {
    const user = await createUser(t.http);
    const { secret } = await enableMfa(t, user);
    const { mfaToken } = await challenge(t, user);
    const fresh = await secondStep(
      t,
      (await challenge(t, user)).mfaToken,
      codeOf(secret, 1),
    ).expect(200);
    await t.http
      .patch('/api/v1/users/me')
      .set('Authorization', `Bearer ${(fresh.body as Pair).accessToken}`)
      .send({ password: 'another password 1', currentPassword: user.password })
      .expect(200);
    const res = await secondStep(t, mfaToken, codeOf(secret, 1)).expect(401);
    expect(res.body).toMatchObject({ code: 'AUTH_MFA_TOKEN_INVALID' });
  });

  it('disables with a code and the password; logins are one step again', async () => {
    const user = await createUser(t.http);
    const { secret } = await enableMfa(t, user);
    const wrongPassword = await t.http
      .post('/api/v1/auth/mfa/disable')
      .set(...bearer(user))
      .send({ code: codeOf(secret, 1), currentPassword: 'not the password' })
      .expect(401);
    expect(wrongPassword.body).toMatchObject({ code: 'USER_CURRENT_PASSWORD_INVALID' });
    await t.http
      .post('/api/v1/auth/mfa/disable')
      .set(...bearer(user))
      .send({ code: codeOf(secret, 1), currentPassword: user.password })
      .expect(204);
    // Every login passed a factor that is gone: each ends, the caller's too.
    const ended = await t.http
      .get('/api/v1/users/me')
      .set(...bearer(user))
      .expect(401);
    expect(ended.body).toMatchObject({ code: 'AUTH_TOKEN_REVOKED' });
    await t.http.post('/api/v1/auth/refresh').send({ refreshToken: user.refreshToken }).expect(401);
    const res = await t.http
      .post('/api/v1/auth/login')
      .send({ email: user.email, password: user.password })
      .expect(200);
    expect(res.body).toMatchObject({ tokenType: 'Bearer' });
    const rows = await t.sql('SELECT 1 FROM user_mfa WHERE user_id = $1', [user.id]);
    expect(rows).toEqual([]);
  });
});

describe('auth: wrong second-factor codes count against the login limit', () => {
  const t = useTestApp({ TRUST_PROXY: 'true', LOGIN_RATE_LIMIT_MAX: '5' }, { contract: true });

  it('answers 429 once password and code attempts together pass the limit', async () => {
    const user = await createUser(t.http);
    const { secret } = await enableMfa(t, user);
    // createUser's login and the enabling code counted for this email; the password step is
    // the third.
    const { mfaToken } = await challenge(t, user, '198.51.100.1');
    const right = codeOf(secret, 1);
    const wrong = right === '000000' ? '111111' : '000000';
    await secondStep(t, mfaToken, wrong, '198.51.100.2').expect(401);
    await secondStep(t, mfaToken, wrong, '198.51.100.3').expect(401);
    const limited = await secondStep(t, mfaToken, right, '198.51.100.4').expect(429);
    expect(limited.body).toMatchObject({ code: 'RATE_LIMITED' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('limits disabling like a login: a stolen access token buys no extra password guesses', async () => {
    const user = await createUser(t.http);
    const { secret } = await enableMfa(t, user);
    const disable = (currentPassword: string, address: string) =>
      t.http
        .post('/api/v1/auth/mfa/disable')
        .set('Authorization', `Bearer ${user.accessToken}`)
        .set('X-Forwarded-For', address)
        .send({ code: codeOf(secret, 1), currentPassword });
    // Two attempts spent (the login, the enabling code): three guesses are left, from
    // anywhere, since the email is counted too.
    for (const address of ['198.51.100.11', '198.51.100.12', '198.51.100.13']) {
      await disable('wrong password 1', address).expect(401);
    }
    const limited = await disable(user.password, '198.51.100.14').expect(429);
    expect(limited.body).toMatchObject({ code: 'RATE_LIMITED' });
    // The factor is still on, and the login budget of the email is the one that was spent.
    expect(await t.sql('SELECT 1 FROM user_mfa WHERE user_id = $1', [user.id])).toHaveLength(1);
    await t.http
      .post('/api/v1/auth/login')
      .set('X-Forwarded-For', '198.51.100.15')
      .send({ email: user.email, password: user.password })
      .expect(429);
  });

  it('limits enabling codes like a login', async () => {
    const user = await createUser(t.http);
    const setup = await t.http
      .post('/api/v1/auth/mfa/setup')
      .set('Authorization', `Bearer ${user.accessToken}`)
      .expect(200);
    const right = codeOf((setup.body as { secret: string }).secret);
    const wrong = right === '000000' ? '111111' : '000000';
    // From a new address each time: the email's own count is what runs out.
    let address = 20;
    const enable = (code: string) =>
      t.http
        .post('/api/v1/auth/mfa/enable')
        .set('Authorization', `Bearer ${user.accessToken}`)
        .set('X-Forwarded-For', `198.51.100.${String((address += 1))}`)
        .send({ code });
    // createUser's login spent one attempt of five.
    for (let attempt = 0; attempt < 4; attempt += 1) {
      await enable(wrong).expect(400);
    }
    await enable(right).expect(429);
  });
});

describe('auth: REQUIRE_ADMIN_MFA', () => {
  const t = useTestApp({ REQUIRE_ADMIN_MFA: 'true', TRUST_PROXY: 'true' }, { contract: true });

  it('refuses admin routes to an admin without a second factor, until it logs in with one', async () => {
    const admin = await createAdmin(t.app);
    const customer = await createUser(t.http);
    // A second admin, with a second factor, makes the customer's product.
    const adminWithMfa = await createUser(t.http);
    await t.sql("UPDATE users SET role = 'admin' WHERE id = $1", [adminWithMfa.id]);
    const adminSecret = (await enableMfa(t, adminWithMfa)).secret;
    const adminLogin = await secondStep(
      t,
      (await challenge(t, adminWithMfa)).mfaToken,
      codeOf(adminSecret, 1),
    ).expect(200);
    Object.assign(adminWithMfa, adminLogin.body);
    const refused = await t.http
      .get('/api/v1/users')
      .set(...bearer(admin))
      .expect(403);
    expect(refused.body).toMatchObject({ code: 'MFA_REQUIRED', status: 403 });
    // Routes open to every caller still work, MFA set-up included, but with a customer's
    // reach: no other user's account or orders.
    await t.http
      .get('/api/v1/users/me')
      .set(...bearer(admin))
      .expect(200);
    await t.http
      .get(`/api/v1/users/${customer.id}`)
      .set(...bearer(admin))
      .expect(404);
    const product = await createProduct(t.http, adminWithMfa, { stock: 5 });
    await t.http
      .post('/api/v1/orders')
      .set(...bearer(customer))
      .send({ items: [{ productId: product.id, quantity: 1 }] })
      .expect(201);
    const orders = await t.http
      .get('/api/v1/orders')
      .set(...bearer(admin))
      .expect(200);
    expect(orders.body).toEqual({ data: [], nextCursor: null });
    const filtered = await t.http
      .get(`/api/v1/orders?userId=${customer.id}`)
      .set(...bearer(admin))
      .expect(403);
    expect(filtered.body).toMatchObject({ code: 'ORDER_FILTER_FORBIDDEN' });
    // A customer on an admin route is refused for its role, as before.
    const forbidden = await t.http
      .get('/api/v1/users')
      .set(...bearer(customer))
      .expect(403);
    expect(forbidden.body).toMatchObject({ code: 'FORBIDDEN' });

    const { secret } = await enableMfa(t, admin);
    // The old login had no second factor.
    await t.http
      .get('/api/v1/users')
      .set(...bearer(admin))
      .expect(403);
    const { mfaToken } = await challenge(t, admin);
    const res = await secondStep(t, mfaToken, codeOf(secret, 1)).expect(200);
    const pair = res.body as Pair;
    await t.http
      .get(`/api/v1/users/${customer.id}`)
      .set('Authorization', `Bearer ${pair.accessToken}`)
      .expect(200);
    await t.http
      .get('/api/v1/users')
      .set('Authorization', `Bearer ${pair.accessToken}`)
      .expect(200);
    const refreshed = await t.http
      .post('/api/v1/auth/refresh')
      .send({ refreshToken: pair.refreshToken })
      .expect(200);
    await t.http
      .get('/api/v1/users')
      .set('Authorization', `Bearer ${(refreshed.body as Pair).accessToken}`)
      .expect(200);
  });
});
