import { randomBytes } from 'node:crypto';

import { Injectable } from '@nestjs/common';
import argon2 from 'argon2';

import { UsersConfig } from './users.config';

/** At most `limit` tasks run at once; the others wait their turn in arrival order. */
export class ConcurrencyLimit {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running < this.limit) {
      this.running += 1;
    } else {
      // The slot is handed over by the task that finishes (see below): `running` stays put.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next === undefined) {
        this.running -= 1;
      } else {
        next();
      }
    }
  }
}

/**
 * argon2id with the configured cost (at least OWASP's m=19 MiB, t=2, p=1). The work runs
 * on libuv's thread pool, off the event loop, but that pool (4 threads) is shared with file
 * and DNS work and, on a small box, the CPU with the event loop itself: so at most
 * PASSWORD_HASH_CONCURRENCY hashes (default: cores - 1) run at once, hash and verify alike,
 * and a login flood queues here instead of starving every other request.
 */
@Injectable()
export class PasswordHasher {
  private readonly options: argon2.Options & { raw?: false };
  private readonly limit: ConcurrencyLimit;
  /**
   * Verified against for unknown emails, so "no such user" costs what "wrong password"
   * costs: a well-formed argon2id string with the configured cost and random salt and
   * digest. Verifying runs the full derivation, then never matches; unlike a hash made at
   * start-up, it costs no start-up time and leaves no 19 MiB block behind in an idle process.
   */
  private readonly dummyHash: string;

  constructor(config: UsersConfig) {
    const { memoryKib, timeCost, parallelism, concurrency } = config.argon2;
    this.options = { type: argon2.argon2id, memoryCost: memoryKib, timeCost, parallelism };
    this.limit = new ConcurrencyLimit(concurrency);
    const b64 = (bytes: number): string => randomBytes(bytes).toString('base64').replace(/=+$/, '');
    this.dummyHash = `$argon2id$v=19$m=${String(memoryKib)},t=${String(timeCost)},p=${String(parallelism)}$${b64(16)}$${b64(32)}`;
  }

  hash(password: string): Promise<string> {
    return this.limit.run(() => argon2.hash(password, this.options));
  }

  /** False for a mismatch or a malformed hash; never throws for bad input. */
  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await this.limit.run(() => argon2.verify(hash, password));
    } catch {
      return false;
    }
  }

  /** Spends the same effort as a real verification, and always fails. */
  async verifyDummy(password: string): Promise<false> {
    await this.verify(this.dummyHash, password);
    return false;
  }

  /** True when the hash was made with other parameters than the configured ones. */
  needsRehash(hash: string): boolean {
    try {
      return argon2.needsRehash(hash, this.options);
    } catch {
      return true;
    }
  }
}
