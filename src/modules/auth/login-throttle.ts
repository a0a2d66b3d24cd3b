import { createHash } from 'node:crypto';

import { Injectable } from '@nestjs/common';
import { InjectThrottlerStorage, ThrottlerStorage } from '@nestjs/throttler';

import { RateLimitedError } from '@app/core';

import { normaliseEmail } from '../users';
import { AuthConfig } from './auth.config';

/**
 * Brute-force limit on login: LOGIN_RATE_LIMIT_MAX attempts per window per client
 * address and, separately, per normalised email, counted in the platform's throttler
 * storage (Redis when configured, so the limit holds across processes; while Redis fails or
 * its circuit is open, per process in memory without waiting on it). Every attempt counts,
 * right or wrong, and is checked before the password is.
 */
@Injectable()
export class LoginThrottle {
  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    private readonly config: AuthConfig,
  ) {}

  async consume(clientAddress: string, email: string): Promise<void> {
    const { max, ttlMs } = this.config.loginRateLimit;
    const emailKey = createHash('sha256').update(normaliseEmail(email)).digest('hex');
    const [byAddress, byEmail] = await Promise.all([
      this.storage.increment(`login:ip:${clientAddress}`, ttlMs, max, ttlMs, 'login'),
      this.storage.increment(`login:email:${emailKey}`, ttlMs, max, ttlMs, 'login'),
    ]);
    const blocked = [byAddress, byEmail].filter((record) => record.isBlocked);
    if (blocked.length > 0) {
      throw new RateLimitedError(Math.max(...blocked.map((record) => record.timeToBlockExpire)));
    }
  }
}
