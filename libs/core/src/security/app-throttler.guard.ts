import { Injectable } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import type { ExecutionContext } from '@nestjs/common';

import { RateLimitedError } from '../errors/app-error';

/** The global rate limit: keyed by client address (honouring TRUST_PROXY), 429 as problem details. */
@Injectable()
export class AppThrottlerGuard extends ThrottlerGuard {
  protected override getTracker(req: Record<string, unknown>): Promise<string> {
    const ip = req.ip;
    return Promise.resolve(typeof ip === 'string' ? ip : 'unknown');
  }

  /**
   * The library's key is a SHA-256 of the same parts, computed on every request (about 1 %
   * of a product GET); the parts themselves are short and bounded (class and handler
   * names, the throttler's name, an address), so they are the key.
   */
  protected override generateKey(context: ExecutionContext, tracker: string, name: string): string {
    return `${context.getClass().name}:${context.getHandler().name}:${name}:${tracker}`;
  }

  protected override throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    throw new RateLimitedError(detail.timeToBlockExpire);
  }
}
