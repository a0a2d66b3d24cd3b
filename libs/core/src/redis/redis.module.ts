import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';

import { AppConfig } from '../config/app-config';
import { REDIS_CLIENT } from './redis.constants';

const logger = new Logger('Redis');

/**
 * Commands fail fast while Redis is unreachable (no offline queue, one retry), so a
 * Redis outage turns into a handled error instead of requests that hang.
 */
export function createRedisClient(url: string, keyPrefix: string): Redis {
  const client = new Redis(url, {
    keyPrefix,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: 1_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  let reachable = true;
  client.on('ready', () => {
    if (!reachable) {
      logger.log({ msg: 'Redis reachable again' });
    }
    reachable = true;
  });
  client.on('error', (error: Error) => {
    if (reachable) {
      logger.warn({ msg: 'Redis unreachable', reason: error.message });
    }
    reachable = false;
  });
  return client;
}

@Global()
@Module({
  providers: [
    {
      provide: REDIS_CLIENT,
      inject: [AppConfig],
      useFactory: (config: AppConfig): Redis | null =>
        config.redis === null ? null : createRedisClient(config.redis.url, config.redis.keyPrefix),
    },
  ],
  exports: [REDIS_CLIENT],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS_CLIENT) private readonly client: Redis | null) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.client === null) {
      return;
    }
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }
}
