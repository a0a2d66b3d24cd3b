import { randomBytes } from 'node:crypto';

import { SecretBox, SecretBoxOpenError } from './secret-box';

const KEY = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');
const OWNER = '0190c4b2-6c1e-7d2a-9a53-3f0c5e4b8a11';
const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

/** Replaces one base64url character of part `index` (1: iv, 2: ciphertext, 3: tag) with another. */
function tamper(sealed: string, index: number): string {
  const parts = sealed.split('.');
  const part = parts[index] ?? '';
  // The first character carries 6 whole bits: changing it always changes the bytes.
  parts[index] = `${part.startsWith('A') ? 'B' : 'A'}${part.slice(1)}`;
  return parts.join('.');
}

describe('SecretBox', () => {
  const box = new SecretBox(KEY);

  it('round-trips a secret through the versioned text form v1.<iv>.<ciphertext>.<tag>', () => {
    const sealed = box.encrypt(SECRET, OWNER);
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{22}$/);
    expect(sealed).not.toContain(SECRET);
    expect(box.decrypt(sealed, OWNER)).toBe(SECRET);
  });

  it('draws a new IV every time: the same secret never encrypts to the same text', () => {
    const sealed = Array.from({ length: 20 }, () => box.encrypt(SECRET, OWNER));
    expect(new Set(sealed).size).toBe(20);
    expect(new Set(sealed.map((text) => text.split('.')[1])).size).toBe(20);
    expect(sealed.map((text) => box.decrypt(text, OWNER))).toEqual(Array(20).fill(SECRET));
  });

  it('refuses another key', () => {
    const sealed = box.encrypt(SECRET, OWNER);
    const other = new SecretBox(randomBytes(32));
    expect(() => other.decrypt(sealed, OWNER)).toThrow(SecretBoxOpenError);
    expect(() => other.decrypt(sealed, OWNER)).toThrow(
      'Cannot decrypt: wrong key or context, or the data was changed',
    );
  });

  it('refuses the ciphertext of another owner (the context is authenticated)', () => {
    const sealed = box.encrypt(SECRET, OWNER);
    expect(() => box.decrypt(sealed, '0190c4b2-6c1e-7d2a-9a53-3f0c5e4b8a12')).toThrow(
      SecretBoxOpenError,
    );
  });

  it.each([
    ['the IV', 1],
    ['the ciphertext', 2],
    ['the tag', 3],
  ])('refuses a change to %s', (_part, index) => {
    const sealed = box.encrypt(SECRET, OWNER);
    expect(() => box.decrypt(tamper(sealed, index), OWNER)).toThrow(SecretBoxOpenError);
  });

  it('refuses a changed last character even where base64url leaves bits unused', () => {
    const sealed = box.encrypt(SECRET, OWNER);
    const parts = sealed.split('.');
    const tag = parts[3] ?? '';
    // The tag's 22nd character holds 2 bits of the tag and 4 unused ones: Node's decoder would
    // read "…A" and "…B" as the same bytes, so only the canonical form is accepted.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = alphabet[alphabet.indexOf(tag.slice(-1)) ^ 1] ?? '';
    parts[3] = `${tag.slice(0, -1)}${sibling}`;
    expect(Buffer.from(parts[3], 'base64url')).toEqual(Buffer.from(tag, 'base64url'));
    expect(() => box.decrypt(parts.join('.'), OWNER)).toThrow(SecretBoxOpenError);
  });

  it.each([
    ['an empty string', ''],
    ['another version', 'v2.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA'],
    ['a missing part', 'v1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA'],
    ['an extra part', 'v1.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA.AAAA'],
    ['a short IV', 'v1.AAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA'],
    ['a short tag', 'v1.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAA'],
    ['characters outside base64url', 'v1.AAAAAAAAAAAAAAA+.AAAA.AAAAAAAAAAAAAAAAAAAAAA'],
  ])('refuses %s before trying to decrypt', (_what, sealed) => {
    expect(() => box.decrypt(sealed, OWNER)).toThrow(SecretBoxOpenError);
  });

  it('takes only 32-byte keys', () => {
    expect(() => new SecretBox(randomBytes(16))).toThrow('A SecretBox key is 32 bytes, not 16');
  });
});
