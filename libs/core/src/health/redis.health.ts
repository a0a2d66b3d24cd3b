import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { Redis } from 'ioredis';

import { REDIS_CLIENT } from '../redis/redis.constants';

@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    @Inject(REDIS_CLIENT) private readonly redis: Redis | null,
  ) {}

  get enabled(): boolean {
    return this.redis !== null;
  }

  async ping(key: string): Promise<HealthIndicatorResult> {
    const check = this.indicators.check(key);
    if (this.redis === null) {
      return check.up({ message: 'not configured' });
    }
    try {
      await this.redis.ping();
      return check.up();
    } catch (error: unknown) {
      return check.down({ message: error instanceof Error ? error.message : 'unreachable' });
    }
  }
}
