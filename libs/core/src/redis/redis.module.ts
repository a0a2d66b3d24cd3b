import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';

import { AppConfig } from '../config/app-config';
import { RedisBreaker } from './redis-breaker';
import { REDIS_BREAKER, REDIS_CLIENT } from './redis.constants';

type RedisConfig = NonNullable<AppConfig['redis']>;

const logger = new Logger('Redis');

/**
 * Commands fail fast while Redis is unreachable (no offline queue, one retry), and a
 * command Redis does not answer (frozen, not refusing) fails after REDIS_COMMAND_TIMEOUT_MS,
 * so a Redis outage turns into a handled error instead of requests that hang. Users run
 * their commands through the client's `RedisBreaker`, so only the first one waits that long.
 */
export function createRedisClient({ url, keyPrefix, commandTimeoutMs }: RedisConfig): Redis {
  // Loaded only with REDIS_URL set: without it, ioredis is ~40 ms of start-up for nothing.
  const { Redis: Client } = module.require('ioredis') as typeof import('ioredis');
  const client = new Client(url, {
    keyPrefix,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: commandTimeoutMs,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    // Commands issued in one event-loop tick (the rate-limit checks of the requests parsed
    // together under load) go out in one write: a socket write per request was about 5 %
    // of a product GET's CPU.
    enableAutoPipelining: true,
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
        config.redis === null ? null : createRedisClient(config.redis),
    },
    {
      // One breaker for the one client: every user of Redis sees the same circuit.
      provide: REDIS_BREAKER,
      inject: [AppConfig],
      useFactory: (config: AppConfig): RedisBreaker | null =>
        config.redis === null ? null : new RedisBreaker(config.redis.breakerResetMs),
    },
  ],
  exports: [REDIS_CLIENT, REDIS_BREAKER],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(
    @Inject(REDIS_CLIENT) private readonly client: Redis | null,
    @Inject(REDIS_BREAKER) private readonly breaker: RedisBreaker | null,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    this.breaker?.shutdown();
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
