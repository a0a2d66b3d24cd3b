import { Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';

import type { RedisBreaker } from '../redis/redis-breaker';
import { MemoryThrottlerStorage } from './memory-throttler.storage';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * Shared (Redis) counters first; when Redis fails, the same limits are enforced per
 * process in memory rather than not at all (degrade, don't fail open or closed).
 * Redis is reached through its client's circuit breaker: while the circuit is open the
 * memory counters answer at once, so a frozen Redis costs one command timeout, not one per
 * request. The switch is logged once per outage, not per request.
 */
export class ResilientThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger('RateLimitStorage');
  private readonly fallback = new MemoryThrottlerStorage();
  private degraded = false;

  constructor(
    private readonly shared: ThrottlerStorage,
    private readonly breaker: RedisBreaker,
  ) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    try {
      const record = await this.breaker.run(() =>
        this.shared.increment(key, ttl, limit, blockDuration, throttlerName),
      );
      if (this.degraded) {
        this.degraded = false;
        this.logger.log({ msg: 'Rate-limit storage recovered: counters are shared again' });
      }
      return record;
    } catch (error: unknown) {
      if (!this.degraded) {
        this.degraded = true;
        this.logger.warn({
          msg: 'Rate-limit storage unavailable: enforcing limits per process until it recovers',
          reason: error instanceof Error ? error.message : String(error),
        });
      }
      return this.fallback.increment(key, ttl, limit, blockDuration, throttlerName);
    }
  }
}
