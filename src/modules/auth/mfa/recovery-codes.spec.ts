import { createHash } from 'node:crypto';

import {
  RECOVERY_CODE_COUNT,
  generateRecoveryCode,
  generateRecoveryCodes,
  hashRecoveryCode,
  newRecoveryCodes,
  normaliseRecoveryCode,
} from './recovery-codes';

const FORMAT = /^[0-9a-hjkmnp-tv-z]{4}(?:-[0-9a-hjkmnp-tv-z]{4}){3}$/;
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('recovery codes', () => {
  it('come ten at a time, distinct, as xxxx-xxxx-xxxx-xxxx without i, l, o or u', () => {
    const codes = generateRecoveryCodes();
    expect(codes).toHaveLength(RECOVERY_CODE_COUNT);
    expect(RECOVERY_CODE_COUNT).toBe(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) {
      expect(code).toMatch(FORMAT);
    }
  });

  it('carry 80 random bits: 16 symbols of 32, each used about equally often', () => {
    const counts = new Map<string, number>();
    const samples = 2_000;
    for (let i = 0; i < samples; i += 1) {
      for (const char of generateRecoveryCode().replaceAll('-', '')) {
        counts.set(char, (counts.get(char) ?? 0) + 1);
      }
    }
    expect(counts.size).toBe(32);
    // 32,000 symbols: 1,000 of each expected; 800..1,200 is more than 6 standard deviations.
    const extremes = [Math.min(...counts.values()), Math.max(...counts.values())];
    expect(extremes[0]).toBeGreaterThan(800);
    expect(extremes[1]).toBeLessThan(1_200);
  });

  it('read the same whatever the case, spaces and dashes, with o, i and l taken for 0, 1 and 1', () => {
    const expected = '0123456789abcdef';
    for (const typed of [
      '0123-4567-89ab-cdef',
      '0123456789ABCDEF',
      ' 0123 4567 89ab cdef ',
      'o123-4567-89AB-CDEF',
      'O12345678 9abcdef',
      '0i23-4567-89ab-cdef',
      '0L23--4567-89ab-cdef',
    ]) {
      expect(normaliseRecoveryCode(typed)).toBe(expected);
    }
  });

  it('refuse what cannot be one: wrong length, u, punctuation, a TOTP code', () => {
    for (const typed of [
      '',
      '0123-4567-89ab-cde',
      '0123-4567-89ab-cdef0',
      'u123-4567-89ab-cdef',
      '0123_4567_89ab_cdef',
      '123456',
    ]) {
      expect(normaliseRecoveryCode(typed)).toBeNull();
      expect(hashRecoveryCode(typed)).toBeNull();
    }
  });

  it('are stored as the SHA-256 hex of the normalised code, so any way of typing it finds it', () => {
    const code = generateRecoveryCode();
    const hash = hashRecoveryCode(code);
    expect(hash).toBe(sha256(code.replaceAll('-', '')));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hashRecoveryCode(code.toUpperCase().replaceAll('-', ' '))).toBe(hash);
    expect(hashRecoveryCode(generateRecoveryCode())).not.toBe(hash);
  });

  it('come as a set to show and the hashes to store, each hash the one its code is looked up by', () => {
    const { codes, hashes } = newRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(hashes).toEqual(codes.map((code) => hashRecoveryCode(code)));
    expect(new Set(hashes).size).toBe(10);
  });
});
