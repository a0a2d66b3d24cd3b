import { bool, defineConfigSection, int, text } from '@app/core';

const KEY_BYTES = 32;
const HEX_KEY = /^[0-9a-fA-F]{64}$/;
const BASE64_KEY = /^(?:[A-Za-z0-9+/]{43}|[A-Za-z0-9_-]{43})=?$/;

/** A 32-byte key written as 64 hex characters or as base64 (either alphabet), as hex; else null. */
export function encryptionKeyHex(value: string): string | null {
  if (HEX_KEY.test(value)) {
    return value.toLowerCase();
  }
  if (!BASE64_KEY.test(value)) {
    return null;
  }
  // Node's base64 decoder reads both alphabets.
  const key = Buffer.from(value, 'base64');
  return key.length === KEY_BYTES ? key.toString('hex') : null;
}

/**
 * Outside production without `MFA_ENCRYPTION_KEY`: a fixed, public key (MFA secrets of a
 * development database survive restarts), with a warning at start. Production refuses to
 * start without a key of its own.
 */
export const DEVELOPMENT_ENCRYPTION_KEY_HEX =
  '6e6573742d656e74657270726973652d6465762d6d66612d6b65792d30303031';

/** The second factor's settings: the key MFA secrets are encrypted with, otpauth labels, policy. */
export class MfaConfig extends defineConfigSection({
  title: 'MFA',
  variables: {
    MFA_ENCRYPTION_KEY: text({
      test: (value) => encryptionKeyHex(value) !== null,
      message: 'MFA_ENCRYPTION_KEY must be 32 bytes: 64 hex characters, or base64',
      secret: true,
      defaultDoc: 'a fixed development key (dev only)',
      doc: 'AES-256-GCM key of TOTP secrets at rest: 32 bytes as 64 hex chars or base64 (`openssl rand -hex 32`), the same everywhere, **required in production**; another key voids enabled MFA',
    }),
    MFA_ISSUER: text({
      default: 'nest-enterprise-backend',
      minLength: 1,
      maxLength: 100,
      pattern: /^[^:]+$/,
      message:
        'MFA_ISSUER must not contain ":" (it separates the issuer from the account in otpauth labels)',
      doc: 'the issuer authenticator apps show beside the account (otpauth URLs)',
    }),
    REQUIRE_ADMIN_MFA: bool({
      default: false,
      doc: 'an admin whose login passed no second factor gets 403 `MFA_REQUIRED` on admin routes and is served as a customer elsewhere, until it enables MFA and logs in with a code',
    }),
    MFA_TOKEN_TTL_SECONDS: int({
      default: 300,
      min: 30,
      max: 900,
      doc: 'lifetime of the `mfaToken` a login with MFA returns, for its second step',
    }),
  },
  build: (v) => ({
    /** 64 hex characters; null when unset (refused in production; the development key elsewhere). */
    encryptionKeyHex:
      v.MFA_ENCRYPTION_KEY === undefined ? null : encryptionKeyHex(v.MFA_ENCRYPTION_KEY),
    issuer: v.MFA_ISSUER,
    requireAdminMfa: v.REQUIRE_ADMIN_MFA,
    tokenTtlSeconds: v.MFA_TOKEN_TTL_SECONDS,
  }),
  check: ({ encryptionKeyHex: key }, _values, { isProduction }) =>
    isProduction && key === null
      ? ['MFA_ENCRYPTION_KEY: required in production (32 bytes: 64 hex characters, or base64)']
      : [],
}) {}
