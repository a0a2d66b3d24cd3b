import argon2 from 'argon2';

import type { RawEnvironment } from '@app/core';

import { loadAppConfig } from '../../config';
import { ConcurrencyLimit, PasswordHasher } from './password-hasher';
import { UsersConfig } from './users.config';

const usersConfig = (env: RawEnvironment): UsersConfig =>
  loadAppConfig(env).sections.get(UsersConfig);

/** Counts the argon2 calls in progress (real argon2 underneath) and records the peak. */
function trackArgon2(): { peak: () => number; restore: () => void } {
  let running = 0;
  let peak = 0;
  const counted =
    <A extends unknown[], R>(original: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      running += 1;
      peak = Math.max(peak, running);
      try {
        return await original(...args);
      } finally {
        running -= 1;
      }
    };
  const realHash = argon2.hash.bind(argon2);
  const realVerify = argon2.verify.bind(argon2);
  const hash = jest.spyOn(argon2, 'hash').mockImplementation(counted(realHash));
  const verify = jest.spyOn(argon2, 'verify').mockImplementation(counted(realVerify));
  return {
    peak: () => peak,
    restore: () => {
      hash.mockRestore();
      verify.mockRestore();
    },
  };
}

describe('PasswordHasher', () => {
  it('runs at most PASSWORD_HASH_CONCURRENCY hashes and verifications at once; the rest queue and all complete', async () => {
    const hasher = new PasswordHasher(usersConfig({ PASSWORD_HASH_CONCURRENCY: '2' }));
    const stored = await hasher.hash('correct-horse-battery');
    const tracked = trackArgon2();
    try {
      const results = await Promise.all([
        ...Array.from({ length: 4 }, (_, i) => hasher.hash(`password-${i}`)),
        hasher.verify(stored, 'correct-horse-battery'),
        hasher.verify(stored, 'wrong-password'),
        hasher.verifyDummy('anything'),
      ]);
      expect(tracked.peak()).toBe(2);
      expect(
        results.slice(0, 4).every((h) => typeof h === 'string' && h.startsWith('$argon2id$')),
      ).toBe(true);
      expect(results.slice(4)).toEqual([true, false, false]);
    } finally {
      tracked.restore();
    }
  }, 60_000);

  it('verifies unknown emails against a well-formed hash of the configured cost (full effort, no match)', async () => {
    const hasher = new PasswordHasher(usersConfig({ PASSWORD_HASH_CONCURRENCY: '1' }));
    const verify = jest.spyOn(argon2, 'verify');
    try {
      await expect(hasher.verifyDummy('anything')).resolves.toBe(false);
      const dummy = verify.mock.calls[0]?.[0];
      expect(typeof dummy).toBe('string');
      // needsRehash parses the string and compares its cost: a malformed dummy would throw
      // (and verify would fail fast, giving away that the email is unknown).
      expect(hasher.needsRehash(String(dummy))).toBe(false);
      expect(() => argon2.needsRehash(String(dummy))).not.toThrow();
    } finally {
      verify.mockRestore();
    }
  });

  it('a malformed hash is a mismatch, and frees its slot for the next verification', async () => {
    const hasher = new PasswordHasher(usersConfig({ PASSWORD_HASH_CONCURRENCY: '1' }));
    const stored = await hasher.hash('correct-horse-battery');
    await expect(hasher.verify('not-a-hash', 'x')).resolves.toBe(false);
    await expect(hasher.verify(stored, 'correct-horse-battery')).resolves.toBe(true);
  }, 60_000);
});

describe('ConcurrencyLimit', () => {
  it('starts queued tasks in arrival order as slots free up, after a failure too', async () => {
    const limit = new ConcurrencyLimit(1);
    const order: string[] = [];
    const task =
      (name: string, fail = false) =>
      async (): Promise<string> => {
        order.push(`start ${name}`);
        await new Promise((resolve) => setImmediate(resolve));
        order.push(`end ${name}`);
        if (fail) {
          throw new Error(name);
        }
        return name;
      };
    const results = await Promise.allSettled([
      limit.run(task('a', true)),
      limit.run(task('b')),
      limit.run(task('c')),
    ]);
    expect(order).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
  });
});
