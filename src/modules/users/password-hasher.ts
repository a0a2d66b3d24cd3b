import { Injectable, type OnModuleInit } from '@nestjs/common';
import argon2 from 'argon2';

import { AppConfig } from '@app/core';

/**
 * argon2id with the configured cost (at least OWASP's m=19 MiB, t=2, p=1). The work runs
 * on libuv's thread pool, off the event loop.
 */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  private readonly options: argon2.Options & { raw?: false };
  private dummyHash = '';

  constructor(config: AppConfig) {
    const { memoryKib, timeCost, parallelism } = config.auth.argon2;
    this.options = { type: argon2.argon2id, memoryCost: memoryKib, timeCost, parallelism };
  }

  async onModuleInit(): Promise<void> {
    // Verified against for unknown emails, so "no such user" costs what "wrong password" costs.
    this.dummyHash = await this.hash('dummy password for timing equalisation');
  }

  hash(password: string): Promise<string> {
    return argon2.hash(password, this.options);
  }

  /** False for a mismatch or a malformed hash; never throws for bad input. */
  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await argon2.verify(hash, password);
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
