import { generateSecret, generateURI, verifySync } from 'otplib';

/**
 * RFC 6238 as every authenticator app does it by default: SHA-1, 6 digits, 30-second steps
 * from T0 = 0. A code is accepted one step either side of now (RFC 6238 §5.2: clock drift
 * and the time it takes to type).
 */
export const TOTP = {
  algorithm: 'sha1',
  digits: 6,
  periodSeconds: 30,
  windowSteps: 1,
  /** 160 bits, RFC 4226's recommended secret length. */
  secretBytes: 20,
} as const;

const CODE = new RegExp(`^\\d{${TOTP.digits}}$`);

/** A thin layer over otplib that fixes the parameters and says which time step matched. */
export class Totp {
  constructor(private readonly issuer: string) {}

  /** A new shared secret: 160 random bits, base32 (32 characters, no padding). */
  generateSecret(): string {
    return generateSecret({ length: TOTP.secretBytes });
  }

  /** The Key URI authenticator apps scan: `otpauth://totp/<issuer>:<account>?secret=…&issuer=…`. */
  otpauthUrl(accountName: string, secret: string): string {
    return generateURI({
      issuer: this.issuer,
      label: accountName,
      secret,
      algorithm: TOTP.algorithm,
      digits: TOTP.digits,
      period: TOTP.periodSeconds,
    });
  }

  /**
   * The time step (`floor(unix seconds / 30)`) whose code `code` is, within one step of
   * `nowMs`; null when it is none of them or not 6 digits. The caller refuses a step it has
   * already seen (replay).
   */
  matchStep(secret: string, code: string, nowMs = Date.now()): number | null {
    if (!CODE.test(code)) {
      return null;
    }
    const result = verifySync({
      strategy: 'totp',
      secret,
      token: code,
      algorithm: TOTP.algorithm,
      digits: TOTP.digits,
      period: TOTP.periodSeconds,
      epoch: Math.floor(nowMs / 1000),
      // In seconds: one period either side is exactly one step either side.
      epochTolerance: TOTP.windowSteps * TOTP.periodSeconds,
    });
    return result.valid && 'timeStep' in result ? result.timeStep : null;
  }
}
