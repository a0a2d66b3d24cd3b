import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { Redis } from 'ioredis';

import { isCircuitOpenError, type RedisBreaker } from '../redis/redis-breaker';
import { REDIS_BREAKER, REDIS_CLIENT } from '../redis/redis.constants';

@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    @Inject(REDIS_CLIENT) private readonly redis: Redis | null,
    @Inject(REDIS_BREAKER) private readonly breaker: RedisBreaker | null,
  ) {}

  get enabled(): boolean {
    return this.redis !== null;
  }

  async ping(key: string): Promise<HealthIndicatorResult> {
    const check = this.indicators.check(key);
    const { redis, breaker } = this;
    if (redis === null || breaker === null) {
      return check.up({ message: 'not configured' });
    }
    // Through the shared breaker: while the circuit is open, "not ready" at once.
    try {
      await breaker.run(() => redis.ping());
      return check.up();
    } catch (error: unknown) {
      if (isCircuitOpenError(error)) {
        return check.down({ message: 'not answering; circuit open' });
      }
      return check.down({ message: error instanceof Error ? error.message : 'unreachable' });
    }
  }
}
