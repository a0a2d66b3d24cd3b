import { createHash, randomBytes } from 'node:crypto';

/**
 * Recovery codes: the way in when the authenticator is lost. Ten per enablement, each
 * single-use, shown once; only their SHA-256 is stored (80 random bits each leave nothing
 * for a slow hash to add). Written `xxxx-xxxx-xxxx-xxxx` in Crockford's base32 alphabet,
 * lower case: no i, l, o or u to confuse, and a code typed with them still works.
 */

export const RECOVERY_CODE_COUNT = 10;

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const SYMBOLS = 16;
const GROUP = 4;
/** 16 symbols of 5 bits: 80 bits, exactly the random bytes drawn. */
const RANDOM_BYTES = (SYMBOLS * 5) / 8;
/** As Crockford decodes: what a reader may take a missing letter for. */
const LOOK_ALIKES: Readonly<Record<string, string>> = { o: '0', i: '1', l: '1' };
const NORMALISED = new RegExp(`^[${ALPHABET}]{${SYMBOLS}}$`);

const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

/** One code, `xxxx-xxxx-xxxx-xxxx`. */
export function generateRecoveryCode(): string {
  const bytes = randomBytes(RANDOM_BYTES);
  let bits = 0n;
  for (const byte of bytes) {
    bits = (bits << 8n) | BigInt(byte);
  }
  let symbols = '';
  for (let i = SYMBOLS - 1; i >= 0; i -= 1) {
    symbols += ALPHABET[Number((bits >> BigInt(i * 5)) & 31n)] ?? '';
  }
  return symbols.match(new RegExp(`.{${GROUP}}`, 'g'))?.join('-') ?? symbols;
}

/** A fresh set: ten distinct codes. */
export function generateRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  const codes = new Set<string>();
  // Bounded: two equal codes of 80 random bits do not happen, but the loop need not trust that.
  for (let drawn = 0; codes.size < count && drawn < count * 2; drawn += 1) {
    codes.add(generateRecoveryCode());
  }
  if (codes.size < count) {
    throw new Error('The random source repeats itself');
  }
  return [...codes];
}

/** A fresh set to show once, and what to store of it. */
export function newRecoveryCodes(): { readonly codes: string[]; readonly hashes: string[] } {
  const codes = generateRecoveryCodes();
  return { codes, hashes: codes.map((code) => sha256Hex(code.replaceAll('-', ''))) };
}

/**
 * What a person typed, as stored before hashing: case, spaces and dashes do not matter, and
 * o, i and l are read as 0, 1 and 1. Null when it cannot be a recovery code.
 */
export function normaliseRecoveryCode(input: string): string | null {
  const normalised = input
    .toLowerCase()
    .replace(/[\s-]+/g, '')
    .replace(/[oil]/g, (char) => LOOK_ALIKES[char] ?? char);
  return NORMALISED.test(normalised) ? normalised : null;
}

/** SHA-256 (hex) of the normalised code: what the database keeps. */
export function hashRecoveryCode(code: string): string | null {
  const normalised = normaliseRecoveryCode(code);
  return normalised === null ? null : sha256Hex(normalised);
}
