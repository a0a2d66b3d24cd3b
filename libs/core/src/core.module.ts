import { Global, Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { ThrottlerModule, type ThrottlerStorage } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

import { AppConfig } from './config/app-config';
import type { LoadedConfig } from './config/load-config';
import { DatabaseModule } from './database/database.module';
import type { SchemaSources } from './database/data-source.factory';
import { SqlRunner } from './database/sql-runner';
import { TransactionRunner } from './database/transaction-runner';
import { ProblemDetailsFilter } from './errors/problem-details.filter';
import { FaultsModule } from './faults/faults.module';
import { HealthModule } from './health/health.module';
import { AppValidationPipe } from './http/validation';
import { JobQueue } from './jobs/job-queue';
import { Housekeeping } from './lifecycle/housekeeping';
import { LifecycleService } from './lifecycle/lifecycle.service';
import { MemoryReporter } from './observability/memory-reporter';
import { MetricsController } from './observability/metrics.controller';
import { MetricsService } from './observability/metrics.service';
import { ROOT_LOGGER } from './logging/logging.constants';
import { MailTransport } from './mail/mail-transport';
import { Mailer } from './mail/mailer';
import { MAIL_PROVIDERS } from './mail/mail.providers';
import { Outbox } from './outbox/outbox';
import { OutboxEventEntity } from './outbox/outbox-event.entity';
import type { RedisBreaker } from './redis/redis-breaker';
import { REDIS_BREAKER, REDIS_CLIENT } from './redis/redis.constants';
import { RedisModule } from './redis/redis.module';
import { AccessGuard } from './security/access.guard';
import { AppThrottlerGuard } from './security/app-throttler.guard';
import { MemoryThrottlerStorage } from './security/memory-throttler.storage';
import { ResilientThrottlerStorage } from './security/resilient-throttler.storage';

export interface CoreModuleOptions {
  /** The platform's config and every module section (`loadConfig()`). */
  readonly config: LoadedConfig;
  readonly migrations: SchemaSources['migrations'];
  /** The process's root pino logger (createApp builds it before Nest starts). */
  readonly rootLogger: Logger;
}

function throttlerStorage(redis: Redis | null, breaker: RedisBreaker | null): ThrottlerStorage {
  if (redis === null || breaker === null) {
    return new MemoryThrottlerStorage();
  }
  // Loaded with Redis only (it loads ioredis).
  const { ThrottlerStorageRedisService } = module.require(
    '@nest-lab/throttler-storage-redis',
  ) as typeof import('@nest-lab/throttler-storage-redis');
  return new ResilientThrottlerStorage(new ThrottlerStorageRedisService(redis), breaker);
}

/**
 * The domain-agnostic platform: typed config, logging, database, Redis, rate limits,
 * health, background jobs and the outbox, the global validation pipe and the one
 * problem-details filter.
 */
@Global()
@Module({})
export class CoreModule {
  static forRoot(options: CoreModuleOptions): DynamicModule {
    const { config } = options;
    const configProviders = [
      { provide: AppConfig, useValue: config },
      ...config.sections.providers(),
    ];
    const rootLogger = { provide: ROOT_LOGGER, useValue: options.rootLogger };
    return {
      module: CoreModule,
      imports: [
        RedisModule,
        DatabaseModule.forRoot(config, options.migrations),
        TypeOrmModule.forFeature([OutboxEventEntity]),
        ThrottlerModule.forRootAsync({
          inject: [REDIS_CLIENT, REDIS_BREAKER],
          useFactory: (redis: Redis | null, breaker: RedisBreaker | null) => ({
            throttlers: [
              { name: 'default', ttl: config.rateLimit.ttlMs, limit: config.rateLimit.max },
            ],
            storage: throttlerStorage(redis, breaker),
          }),
        }),
        HealthModule,
        ...(config.faultInjection ? [FaultsModule] : []),
      ],
      providers: [
        ...configProviders,
        rootLogger,
        JobQueue,
        Outbox,
        Housekeeping,
        LifecycleService,
        TransactionRunner,
        SqlRunner,
        MetricsService,
        MemoryReporter,
        ...MAIL_PROVIDERS,
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        { provide: APP_PIPE, useClass: AppValidationPipe },
        // Order matters: rate limit first, then authentication and roles.
        { provide: APP_GUARD, useClass: AppThrottlerGuard },
        { provide: APP_GUARD, useClass: AccessGuard },
      ],
      controllers: [MetricsController],
      exports: [
        ...configProviders,
        rootLogger,
        JobQueue,
        Outbox,
        Housekeeping,
        LifecycleService,
        TransactionRunner,
        SqlRunner,
        MetricsService,
        Mailer,
        MailTransport,
        ThrottlerModule,
      ],
    };
  }
}
