import { createHash } from 'node:crypto';

import { Injectable } from '@nestjs/common';
import { InjectThrottlerStorage, ThrottlerStorage } from '@nestjs/throttler';

import { RateLimitedError } from '@app/core';

import { normaliseEmail } from '../users';
import { AuthConfig } from './auth.config';

/**
 * What is limited like login, each counted on its own: password attempts and second-factor
 * codes (`login`: a wrong code spends the same budget as a wrong password), password reset
 * requests, verification mails.
 */
export type ThrottledAction = 'login' | 'password-reset' | 'verification-email';

/**
 * Brute-force limit on login: LOGIN_RATE_LIMIT_MAX attempts per window per client
 * address and, separately, per normalised email, counted in the platform's throttler
 * storage (Redis when configured, so the limit holds across processes; while Redis fails or
 * its circuit is open, per process in memory without waiting on it). Every attempt counts,
 * right or wrong, and is checked before the password is. The other `ThrottledAction`s are
 * limited the same way, each with its own counters.
 */
@Injectable()
export class LoginThrottle {
  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    private readonly config: AuthConfig,
  ) {}

  /** One attempt of `action` by this client address for this email; 429 once over the limit. */
  async consume(
    clientAddress: string,
    email: string,
    action: ThrottledAction = 'login',
  ): Promise<void> {
    const { max, ttlMs } = this.config.loginRateLimit;
    const emailKey = createHash('sha256').update(normaliseEmail(email)).digest('hex');
    // The login keys keep their names: counters in Redis survive a deploy.
    const prefix = action === 'login' ? 'login' : `login:${action}`;
    const [byAddress, byEmail] = await Promise.all([
      this.storage.increment(`${prefix}:ip:${clientAddress}`, ttlMs, max, ttlMs, 'login'),
      this.storage.increment(`${prefix}:email:${emailKey}`, ttlMs, max, ttlMs, 'login'),
    ]);
    const blocked = [byAddress, byEmail].filter((record) => record.isBlocked);
    if (blocked.length > 0) {
      throw new RateLimitedError(Math.max(...blocked.map((record) => record.timeToBlockExpire)));
    }
  }
}
