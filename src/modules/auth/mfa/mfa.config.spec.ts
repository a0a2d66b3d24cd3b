import { randomBytes } from 'node:crypto';

import type { RawEnvironment } from '@app/core';

import { loadAppConfig } from '../../../config';
import { MfaConfig, encryptionKeyHex } from './mfa.config';

const PRODUCTION = { NODE_ENV: 'production', JWT_SECRET: 's'.repeat(32) } as const;
const mfaConfig = (env: RawEnvironment): MfaConfig => loadAppConfig(env).sections.get(MfaConfig);

describe('MfaConfig', () => {
  it('defaults: no key (the development key is used), the app as issuer, admins not forced, 5-minute mfaTokens', () => {
    expect(mfaConfig({})).toEqual({
      encryptionKeyHex: null,
      issuer: 'nest-enterprise-backend',
      requireAdminMfa: false,
      tokenTtlSeconds: 300,
    });
  });

  it('refuses to start in production without MFA_ENCRYPTION_KEY, and starts with one', () => {
    expect(() => loadAppConfig(PRODUCTION)).toThrow(
      /MFA_ENCRYPTION_KEY: required in production \(32 bytes: 64 hex characters, or base64\)/,
    );
    const key = randomBytes(32);
    expect(
      mfaConfig({ ...PRODUCTION, MFA_ENCRYPTION_KEY: key.toString('hex') }).encryptionKeyHex,
    ).toBe(key.toString('hex'));
  });

  it('reads a 32-byte key as 64 hex characters (either case) or base64 (either alphabet, padded or not)', () => {
    const key = randomBytes(32);
    const hex = key.toString('hex');
    for (const written of [
      hex,
      hex.toUpperCase(),
      key.toString('base64'),
      key.toString('base64').replace(/=$/, ''),
      key.toString('base64url'),
    ]) {
      expect(encryptionKeyHex(written)).toBe(hex);
    }
  });

  it('refuses keys of another length or form, without echoing them', () => {
    for (const bad of [
      randomBytes(16).toString('hex'),
      randomBytes(31).toString('base64'),
      randomBytes(33).toString('base64'),
      'g'.repeat(64),
      'correct horse battery staple correct horse battery staple',
    ]) {
      expect(encryptionKeyHex(bad)).toBeNull();
      let message = '';
      try {
        loadAppConfig({ MFA_ENCRYPTION_KEY: bad });
      } catch (error: unknown) {
        message = String(error);
      }
      expect(message).toContain(
        `MFA_ENCRYPTION_KEY=(${String(bad.length)} characters, not shown): MFA_ENCRYPTION_KEY must be 32 bytes: 64 hex characters, or base64`,
      );
      expect(message).not.toContain(bad);
    }
  });

  it('reads REQUIRE_ADMIN_MFA as a boolean, MFA_ISSUER without a colon, MFA_TOKEN_TTL_SECONDS within 30..900', () => {
    expect(
      mfaConfig({
        REQUIRE_ADMIN_MFA: 'true',
        MFA_ISSUER: 'Acme Shop',
        MFA_TOKEN_TTL_SECONDS: '30',
      }),
    ).toMatchObject({ requireAdminMfa: true, issuer: 'Acme Shop', tokenTtlSeconds: 30 });
    expect(() => loadAppConfig({ REQUIRE_ADMIN_MFA: 'yes' })).toThrow(
      /REQUIRE_ADMIN_MFA must be a boolean value/,
    );
    expect(() => loadAppConfig({ MFA_ISSUER: 'Acme:Shop' })).toThrow(
      /MFA_ISSUER must not contain ":"/,
    );
    expect(() => loadAppConfig({ MFA_TOKEN_TTL_SECONDS: '29' })).toThrow(
      /MFA_TOKEN_TTL_SECONDS must not be less than 30/,
    );
    expect(() => loadAppConfig({ MFA_TOKEN_TTL_SECONDS: '901' })).toThrow(
      /MFA_TOKEN_TTL_SECONDS must not be greater than 900/,
    );
  });
});
