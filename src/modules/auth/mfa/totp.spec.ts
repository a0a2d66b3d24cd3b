import { randomBytes } from 'node:crypto';

import {
  base32Decode,
  timeStep,
  totp,
  totpOfKey,
  type TotpAlgorithm,
} from '../../../../test/utils/totp';
import { TOTP, Totp } from './totp';

/** RFC 6238 appendix B: 8 digits, 30 s, one ASCII seed per algorithm. */
const SEEDS: Readonly<Record<TotpAlgorithm, Buffer>> = {
  sha1: Buffer.from('12345678901234567890', 'ascii'),
  sha256: Buffer.from('12345678901234567890123456789012', 'ascii'),
  sha512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234', 'ascii'),
};
const APPENDIX_B: ReadonlyArray<[number, string, TotpAlgorithm]> = [
  [59, '94287082', 'sha1'],
  [59, '46119246', 'sha256'],
  [59, '90693936', 'sha512'],
  [1111111109, '07081804', 'sha1'],
  [1111111109, '68084774', 'sha256'],
  [1111111109, '25091201', 'sha512'],
  [1111111111, '14050471', 'sha1'],
  [1111111111, '67062674', 'sha256'],
  [1111111111, '99943326', 'sha512'],
  [1234567890, '89005924', 'sha1'],
  [1234567890, '91819424', 'sha256'],
  [1234567890, '93441116', 'sha512'],
  [2000000000, '69279037', 'sha1'],
  [2000000000, '90698825', 'sha256'],
  [2000000000, '38618901', 'sha512'],
  [20000000000, '65353130', 'sha1'],
  [20000000000, '77737706', 'sha256'],
  [20000000000, '47863826', 'sha512'],
];
/** The SHA-1 seed in base32, as an otpauth URL would carry it. */
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

/** A random 160-bit secret in base32, written without the library. */
function randomSecret(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bytes = randomBytes(20);
  let bits = '';
  for (const byte of bytes) {
    bits += byte.toString(2).padStart(8, '0');
  }
  return (bits.match(/.{5}/g) ?? []).map((group) => alphabet[parseInt(group, 2)]).join('');
}

describe('the tests’ own TOTP (test/utils/totp.ts)', () => {
  it.each(APPENDIX_B)(
    'matches RFC 6238 appendix B at T=%i: %s (%s)',
    (seconds, code, algorithm) => {
      expect(totpOfKey(SEEDS[algorithm], seconds * 1000, { digits: 8, algorithm })).toBe(code);
    },
  );

  it('decodes base32 as RFC 4648 does, in either case and with padding', () => {
    expect(base32Decode(RFC_SECRET)).toEqual(SEEDS.sha1);
    expect(base32Decode('MZXW6YTBOI======').toString()).toBe('foobar');
    expect(base32Decode('mzxw6ytboi').toString()).toBe('foobar');
    expect(() => base32Decode('MZXW6YTB0I')).toThrow('Not base32: "0"');
  });

  it('gives 6-digit SHA-1 codes of 30-second steps by default', () => {
    expect(totp(RFC_SECRET, 59_000)).toBe('287082');
    expect(totp(RFC_SECRET, 1_111_111_109_000)).toBe('081804');
    expect(timeStep(59_000)).toBe(1);
  });
});

describe('Totp', () => {
  const totpOf = new Totp('nest-enterprise-backend');

  it('makes 160-bit base32 secrets, different every time', () => {
    const secrets = Array.from({ length: 50 }, () => totpOf.generateSecret());
    expect(new Set(secrets).size).toBe(50);
    for (const secret of secrets) {
      expect(secret).toMatch(/^[A-Z2-7]{32}$/);
      expect(base32Decode(secret)).toHaveLength(TOTP.secretBytes);
    }
  });

  it('accepts the code of the current step and says which step it was', () => {
    const now = 1_111_111_111_000;
    expect(totpOf.matchStep(RFC_SECRET, '050471', now)).toBe(timeStep(now));
    expect(totpOf.matchStep(RFC_SECRET, '050471', now)).toBe(37_037_037);
  });

  it('agrees with the independent implementation on random secrets at random instants', () => {
    for (let i = 0; i < 200; i += 1) {
      const secret = randomSecret();
      const at = Math.floor(Math.random() * 4_000_000_000_000);
      const code = totp(secret, at);
      // One draw in about 500 000 has a neighbour step with the same code, and otplib may then
      // name either step: such a draw is skipped.
      if (code === totp(secret, at - 30_000) || code === totp(secret, at + 30_000)) {
        continue;
      }
      expect(totpOf.matchStep(secret, code, at)).toBe(timeStep(at));
    }
  });

  it('accepts one step either side of now, at any point of the current step, and no further', () => {
    // Fixed secret and instants: the far codes below are known to differ from the near ones.
    const stepStart = 1_800_000_000_000 - (1_800_000_000_000 % 30_000);
    for (const offset of [0, 1_000, 15_000, 29_999]) {
      const now = stepStart + offset;
      const step = timeStep(now);
      const codeAt = (steps: number): string => totp(RFC_SECRET, now + steps * 30_000);
      expect([-1, 0, 1].map((steps) => totpOf.matchStep(RFC_SECRET, codeAt(steps), now))).toEqual([
        step - 1,
        step,
        step + 1,
      ]);
      const far = [-3, -2, 2, 3].map(codeAt);
      expect(far.filter((code) => [-1, 0, 1].map(codeAt).includes(code))).toEqual([]);
      expect(far.map((code) => totpOf.matchStep(RFC_SECRET, code, now))).toEqual([
        null,
        null,
        null,
        null,
      ]);
    }
  });

  it('refuses a wrong code, a code of another secret, and anything that is not 6 digits', () => {
    const now = 1_800_000_015_000;
    const code = totp(RFC_SECRET, now);
    const near = [-1, 0, 1].map((steps) => totp(RFC_SECRET, now + steps * 30_000));
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    expect(near).not.toContain(wrong);
    expect(totpOf.matchStep(RFC_SECRET, wrong, now)).toBeNull();
    const other = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    expect([-1, 0, 1].map((steps) => totp(other, now + steps * 30_000))).not.toContain(code);
    expect(totpOf.matchStep(other, code, now)).toBeNull();
    for (const malformed of [
      '',
      '12345',
      '1234567',
      'abcdef',
      ` ${code}`,
      `${code.slice(0, 5)}x`,
    ]) {
      expect(totpOf.matchStep(RFC_SECRET, malformed, now)).toBeNull();
    }
  });

  it('writes the otpauth URL authenticator apps scan, with the issuer and the account', () => {
    const url = new URL(totpOf.otpauthUrl('ada+mfa@example.com', RFC_SECRET));
    expect(url.protocol).toBe('otpauth:');
    expect(url.host).toBe('totp');
    expect(decodeURIComponent(url.pathname)).toBe('/nest-enterprise-backend:ada+mfa@example.com');
    expect(url.searchParams.get('secret')).toBe(RFC_SECRET);
    expect(url.searchParams.get('issuer')).toBe('nest-enterprise-backend');
    // SHA1, 6 digits and 30 s are the Key URI defaults: said or left out, never anything else.
    expect(url.searchParams.get('algorithm') ?? 'SHA1').toBe('SHA1');
    expect(url.searchParams.get('digits') ?? '6').toBe('6');
    expect(url.searchParams.get('period') ?? '30').toBe('30');
  });
});
