import { JwtService } from '@nestjs/jwt';
import { sign } from 'jsonwebtoken';

import { loadAppConfig } from '../../config';
import { AuthConfig } from './auth.config';
import { TokenExpiredError, TokenInvalidError } from './auth.errors';
import { TokenService } from './token.service';

const SECRET = 'unit-test-secret-unit-test-secret-123456';
const USER_ID = '0190c4b2-7d3e-7a1b-8c2d-3e4f5a6b7c8d';
const config = loadAppConfig({
  JWT_ISSUER: 'issuer',
  JWT_AUDIENCE: 'audience',
  JWT_ACCESS_TTL: '900',
  REFRESH_TOKEN_TTL: '3600',
}).sections.get(AuthConfig);

const SESSION_ID = '0190c4b2-6c1e-7d2a-9a53-3f0c5e4b8a22';

describe('TokenService', () => {
  const service = new TokenService(new JwtService({ secret: SECRET }), config);

  it('signs HS256 tokens with subject, role, issuer, audience and a 15-minute expiry', async () => {
    const token = await service.signAccessToken(
      { id: USER_ID, role: 'customer', tokenVersion: 3 },
      { sessionId: SESSION_ID, mfa: false },
    );
    const decode = (part: string | undefined): Record<string, number> =>
      JSON.parse(Buffer.from(part ?? '', 'base64url').toString()) as Record<string, number>;
    const [rawHeader, rawPayload] = token.split('.');
    const header = decode(rawHeader);
    const payload = decode(rawPayload);
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(payload).toMatchObject({
      sub: USER_ID,
      role: 'customer',
      ver: 3,
      iss: 'issuer',
      aud: 'audience',
    });
    expect(Number(payload.exp) - Number(payload.iat)).toBe(900);
    await expect(service.verifyAccessToken(token)).resolves.toMatchObject({
      sub: USER_ID,
      role: 'customer',
      ver: 3,
    });
  });

  it('refuses a validly signed token without exp, iat or a whole non-negative ver', async () => {
    const options = { issuer: 'issuer', audience: 'audience' };
    const claims = { sub: USER_ID, role: 'customer', ver: 0 };
    const refused = [
      sign(claims, SECRET, options),
      sign(claims, SECRET, { ...options, expiresIn: 60, noTimestamp: true }),
      sign({ ...claims, ver: undefined }, SECRET, { ...options, expiresIn: 60 }),
      sign({ ...claims, ver: '0' }, SECRET, { ...options, expiresIn: 60 }),
      sign({ ...claims, ver: 1.5 }, SECRET, { ...options, expiresIn: 60 }),
      sign({ ...claims, ver: -1 }, SECRET, { ...options, expiresIn: 60 }),
    ];
    for (const token of refused) {
      await expect(service.verifyAccessToken(token)).rejects.toBeInstanceOf(TokenInvalidError);
    }
    const accepted = sign(claims, SECRET, { ...options, expiresIn: 60 });
    await expect(service.verifyAccessToken(accepted)).resolves.toMatchObject({ ver: 0 });
  });

  it('refuses alg none, other algorithms, other keys and other audiences', async () => {
    const claims = { sub: USER_ID, role: 'admin' };
    const forged = [
      sign(claims, '', { algorithm: 'none', issuer: 'issuer', audience: 'audience' }),
      sign(claims, SECRET, { algorithm: 'HS384', issuer: 'issuer', audience: 'audience' }),
      sign(claims, 'x'.repeat(40), { issuer: 'issuer', audience: 'audience' }),
      sign(claims, SECRET, { issuer: 'issuer', audience: 'elsewhere' }),
      sign({ role: 'admin', sub: 'not-a-uuid' }, SECRET, {
        issuer: 'issuer',
        audience: 'audience',
      }),
    ];
    for (const token of forged) {
      await expect(service.verifyAccessToken(token)).rejects.toBeInstanceOf(TokenInvalidError);
    }
  });

  it('tells an expired token apart', async () => {
    const token = sign(
      { sub: USER_ID, role: 'customer', exp: Math.floor(Date.now() / 1000) - 5 },
      SECRET,
      {
        issuer: 'issuer',
        audience: 'audience',
      },
    );
    await expect(service.verifyAccessToken(token)).rejects.toBeInstanceOf(TokenExpiredError);
  });

  it('mints 256-bit refresh tokens and keeps only their SHA-256', () => {
    const a = service.newRefreshToken();
    const b = service.newRefreshToken();
    expect(a.token).toMatch(/^[\w-]{43}$/);
    expect(a.token).not.toBe(b.token);
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(service.hashRefreshToken(a.token)).toBe(a.hash);
    expect(a.expiresAt.getTime() - Date.now()).toBeGreaterThan(3_590_000);
  });
});
