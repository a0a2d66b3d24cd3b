import { createHmac } from 'node:crypto';

/**
 * TOTP codes for the tests (RFC 6238 over RFC 4226), written from the RFCs with node:crypto
 * only, so that the service's library is checked against an implementation it shares no
 * code with. src/modules/auth/mfa/totp.spec.ts checks this one against RFC 6238's
 * appendix B vectors.
 */

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32, upper or lower case, padding optional. */
export function base32Decode(text: string): Buffer {
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of text.toUpperCase().replace(/=+$/, '')) {
    const value = BASE32_ALPHABET.indexOf(char);
    if (value === -1) {
      throw new Error(`Not base32: ${JSON.stringify(char)}`);
    }
    buffer = ((buffer << 5) | value) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >>> bits) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

export type TotpAlgorithm = 'sha1' | 'sha256' | 'sha512';

/** RFC 4226 HOTP: HMAC of the 8-byte big-endian counter, dynamic truncation, `digits` digits. */
export function hotp(
  key: Buffer,
  counter: number,
  digits = 6,
  algorithm: TotpAlgorithm = 'sha1',
): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, key).update(message).digest();
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** The RFC 6238 time step of an instant (T0 = 0). */
export const timeStep = (atMs: number, periodSeconds = 30): number =>
  Math.floor(atMs / 1000 / periodSeconds);

/** RFC 6238 TOTP of a raw key, with every parameter the RFC's test vectors vary. */
export function totpOfKey(
  key: Buffer,
  atMs: number,
  options: { digits?: number; algorithm?: TotpAlgorithm; periodSeconds?: number } = {},
): string {
  return hotp(key, timeStep(atMs, options.periodSeconds), options.digits, options.algorithm);
}

/**
 * The code an authenticator app shows for `secretBase32` at `atMs`: SHA-1, 6 digits, 30 s,
 * as the service's otpauth URLs say. For the next or previous step, pass `atMs ± 30_000`.
 */
export function totp(secretBase32: string, atMs = Date.now()): string {
  return totpOfKey(base32Decode(secretBase32), atMs);
}
