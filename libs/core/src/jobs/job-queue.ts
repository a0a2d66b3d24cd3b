import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool, PoolClient } from 'pg';
import { PgBoss, type ConstructorOptions, type Db, type JobWithMetadata } from 'pg-boss';
import type { Logger as PinoLogger } from 'pino';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { DataSource } from 'typeorm';

import { AppConfig } from '../config/app-config';
import type { Transaction } from '../database/transaction-runner';
import { LifecycleService } from '../lifecycle/lifecycle.service';
import { ROOT_LOGGER } from '../logging/logging.constants';
import { currentRequestId, runWithJobLogger } from '../logging/request-logger';
import { MetricsService } from '../observability/metrics.service';

/** One run of a job, as its handler sees it. */
export interface JobContext<T> {
  readonly id: string;
  readonly queue: string;
  readonly data: T;
  /** 1 for the first run, 2 for the first retry… */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** No retry follows if this run fails (the job is dead-lettered instead). */
  readonly isLastAttempt: boolean;
  /** Aborted when the job times out or the process stops before it finished. */
  readonly signal: AbortSignal;
}

/**
 * A queue of durable jobs and the handler that runs them. Each queue has a dead-letter queue,
 * `<name>.dead`, that receives a job whose last attempt failed.
 */
export interface JobDefinition<T> {
  /** `<module>.<what>`, e.g. `webhooks.deliver`. */
  readonly name: string;
  /** Idempotent: a job runs at least once, and again after a crash or a failed attempt. */
  readonly handle: (job: JobContext<T>) => Promise<void>;
  /** Runs before the job is dead-lettered (default 3). */
  readonly attempts?: number;
  /** Delay before the first retry, in seconds (default 5). */
  readonly retryDelaySeconds?: number;
  /** Exponential backoff with jitter from `retryDelaySeconds` (default true). */
  readonly backoff?: boolean;
  /** Longest delay between two attempts, in seconds (default: none). */
  readonly maxRetryDelaySeconds?: number;
  /** A run longer than this is aborted and counts as failed (default 60). */
  readonly timeoutSeconds?: number;
  /** Jobs of this queue one process runs at once (default JOBS_CONCURRENCY). */
  readonly concurrency?: number;
  /** Jobs of one `group` (see JobSendOptions) running at once across all processes. */
  readonly groupConcurrency?: number;
}

/** Scheduled work: one job per occurrence of `cron` across all processes and instances. */
export interface ScheduleDefinition {
  readonly name: string;
  /** Five-field cron, UTC. */
  readonly cron: string;
  readonly handle: (job: JobContext<Record<string, never>>) => Promise<void>;
  /** Default 300. */
  readonly timeoutSeconds?: number;
}

export interface JobSendOptions {
  /** Writes the job in this transaction: it exists only if the transaction commits. */
  readonly tx?: Transaction;
  /** Jobs of one group share the queue's `groupConcurrency` (e.g. one webhook endpoint). */
  readonly group?: string;
  /** Not before this time. */
  readonly startAfter?: Date;
}

/** What a job carries besides its data: the request that caused it, for its log lines. */
interface Envelope<T> {
  readonly data: T;
  readonly requestId: string | null;
}

const SCHEMA = 'pgboss';
const DEAD_LETTER_SUFFIX = '.dead';
/** Completed jobs are kept this long for inspection, then deleted by pg-boss's maintenance. */
const KEEP_COMPLETED_SECONDS = 24 * 60 * 60;
/** Dead-lettered jobs are kept for two weeks. */
const KEEP_DEAD_SECONDS = 14 * 24 * 60 * 60;
/** pg-boss's queue counts (jobs_queued) are refreshed this often by the supervising instances. */
const MONITOR_INTERVAL_SECONDS = 10;
/** A scrape never waits on the database longer than this for jobs_queued. */
const QUEUED_COLLECT_TIMEOUT_MS = 1_000;

type RunnableDefinition = JobDefinition<unknown> & { readonly policy: 'standard' | 'stately' };

/**
 * Durable background jobs in PostgreSQL (pg-boss): the one way work leaves a request.
 * Modules `define()` their queues and `schedule()` their periodic work in `onModuleInit`;
 * once the application has started, processes whose `APP_ROLE` runs jobs (`all`, `worker`)
 * work every queue and keep the schedules, and every process can `send()`.
 *
 * Shutdown: from the first moment of shutdown no new job is taken; at close, running jobs
 * get until the shutdown deadline to finish, and pg-boss fails (so retries) those that did not.
 * On embedded PGlite the queue shares the application's one connection, so a job sent in a
 * transaction must be sent through it (`tx`): a statement outside it would wait for the
 * transaction to end.
 */
@Injectable()
export class JobQueue implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(JobQueue.name);
  private readonly definitions = new Map<string, RunnableDefinition>();
  private readonly schedules: ScheduleDefinition[] = [];
  private readonly boss: PgBoss;
  private started = false;
  private markReady: () => void = () => undefined;
  /** Resolves once the queue has started (and its queues exist): `send()` works from then on. */
  readonly ready = new Promise<void>((resolve) => {
    this.markReady = resolve;
  });
  private readonly completed: Counter<'queue'>;
  private readonly failed: Counter<'queue'>;
  private readonly duration: Histogram<'queue'>;

  constructor(
    private readonly config: AppConfig,
    private readonly lifecycle: LifecycleService,
    @InjectDataSource() dataSource: DataSource,
    @Inject(ROOT_LOGGER) private readonly rootLogger: PinoLogger,
    metrics: MetricsService,
  ) {
    this.boss = new PgBoss(this.bossOptions(dataSource));
    this.boss.on('error', (error: unknown) => {
      this.logger.warn({
        msg: 'Job queue error',
        reason: error instanceof Error ? error.message : String(error),
      });
    });
    this.boss.on('warning', (warning: { message: string }) => {
      this.logger.warn({ msg: 'Job queue warning', warning: warning.message });
    });
    this.completed = new Counter({
      name: 'jobs_completed_total',
      help: 'Jobs that ran to completion, by queue',
      labelNames: ['queue'],
      registers: [metrics.registry],
    });
    this.failed = new Counter({
      name: 'jobs_failed_total',
      help: 'Job runs that failed (each is retried until its attempts are spent), by queue',
      labelNames: ['queue'],
      registers: [metrics.registry],
    });
    this.duration = new Histogram({
      name: 'job_duration_seconds',
      help: 'Duration of job runs, by queue',
      labelNames: ['queue'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [metrics.registry],
    });
    this.registerQueuedGauge(metrics);
    lifecycle.onShutdown(() => {
      this.stopTakingJobs();
    });
  }

  /** Declares a queue and its handler; call in `onModuleInit`. */
  define<T>(definition: JobDefinition<T>): void {
    this.add({ ...(definition as JobDefinition<unknown>), policy: 'standard' });
  }

  /** Declares scheduled work; call in `onModuleInit`. */
  schedule(definition: ScheduleDefinition): void {
    this.add({
      name: definition.name,
      handle: definition.handle as JobDefinition<unknown>['handle'],
      // A failed run is not retried: the next occurrence runs it again.
      attempts: 1,
      timeoutSeconds: definition.timeoutSeconds ?? 300,
      concurrency: 1,
      // One run queued and one running at most: a slow run never overlaps the next.
      policy: 'stately',
    });
    this.schedules.push(definition);
  }

  private add(definition: RunnableDefinition): void {
    if (this.definitions.has(definition.name) || definition.name.endsWith(DEAD_LETTER_SUFFIX)) {
      throw new Error(`Job queue ${definition.name} is defined twice or has a reserved name`);
    }
    this.definitions.set(definition.name, definition);
  }

  /**
   * Queues a job of a defined queue. With `tx` it is written in that transaction (the
   * transactional outbox: it exists if, and only if, the transaction commits). Returns its id.
   */
  async send(name: string, data: unknown, options: JobSendOptions = {}): Promise<string> {
    if (!this.definitions.has(name)) {
      throw new Error(`Job queue ${name} is not defined`);
    }
    const envelope: Envelope<unknown> = { data, requestId: currentRequestId() };
    const id = await this.boss.send(name, envelope, {
      ...(options.tx === undefined ? {} : { db: transactionDb(options.tx) }),
      ...(options.group === undefined ? {} : { group: { id: options.group } }),
      ...(options.startAfter === undefined ? {} : { startAfter: options.startAfter }),
    });
    if (id === null) {
      throw new Error(`Job queue ${name} refused the job`);
    }
    return id;
  }

  /** Stops the job `id` of `name` if it has not run yet (a run in progress finishes). */
  async cancel(name: string, id: string, tx?: Transaction): Promise<void> {
    await this.boss.cancel(name, id, tx === undefined ? {} : { db: transactionDb(tx) });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.boss.start();
    this.started = true;
    for (const definition of this.definitions.values()) {
      await this.createQueue(definition);
    }
    this.markReady();
    if (!this.config.app.runsJobs) {
      return;
    }
    for (const definition of this.definitions.values()) {
      await this.work(definition);
    }
    for (const schedule of this.schedules) {
      await this.boss.schedule(schedule.name, schedule.cron, {}, { tz: 'UTC' });
    }
    this.logger.log({
      msg: 'Working job queues',
      queues: [...this.definitions.keys()],
      schedules: this.schedules.map((s) => `${s.name} ${s.cron}`),
    });
  }

  /**
   * Running jobs get what is left of the shutdown deadline (less a margin for closing the
   * pool); pg-boss then fails those still running, so they are retried by another worker.
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (!this.started) {
      return;
    }
    this.started = false;
    const elapsed = Date.now() - (this.lifecycle.shutdownStartedAt ?? Date.now());
    const timeout = Math.max(100, this.config.shutdown.timeoutMs - elapsed - 2_000);
    await this.boss.stop({ graceful: true, timeout, close: true });
  }

  private stopTakingJobs(): void {
    if (!this.started) {
      return;
    }
    for (const name of this.definitions.keys()) {
      void this.boss.offWork(name, { wait: false }).catch(() => undefined);
    }
  }

  private async createQueue(definition: RunnableDefinition): Promise<void> {
    const deadLetter = `${definition.name}${DEAD_LETTER_SUFFIX}`;
    await this.boss.createQueue(deadLetter, {
      retentionSeconds: KEEP_DEAD_SECONDS,
      deleteAfterSeconds: KEEP_DEAD_SECONDS,
    });
    const attempts = definition.attempts ?? 3;
    const options = {
      retryLimit: attempts - 1,
      retryDelay: definition.retryDelaySeconds ?? 5,
      retryBackoff: definition.backoff ?? true,
      ...(definition.maxRetryDelaySeconds === undefined
        ? {}
        : { retryDelayMax: definition.maxRetryDelaySeconds }),
      expireInSeconds: definition.timeoutSeconds ?? 60,
      deleteAfterSeconds: KEEP_COMPLETED_SECONDS,
      deadLetter,
    };
    await this.boss.createQueue(definition.name, {
      ...options,
      policy: definition.policy,
    });
    // An existing queue keeps its options on createQueue: a release that changes them (say,
    // WEBHOOK_MAX_ATTEMPTS) updates them here. Jobs already queued keep theirs.
    await this.boss.updateQueue(definition.name, options);
  }

  private async work(definition: RunnableDefinition): Promise<void> {
    const options = {
      includeMetadata: true,
      localConcurrency: definition.concurrency ?? this.config.jobs.concurrency,
      pollingIntervalSeconds: this.config.jobs.pollIntervalMs / 1000,
      // With a backlog, each slot fetches its next job at once instead of waiting a poll.
      burstWhenReadyExceeds: 1,
      ...(definition.groupConcurrency === undefined
        ? {}
        : { groupConcurrency: definition.groupConcurrency }),
    } as const;
    await this.boss.work<Envelope<unknown>, unknown, typeof options>(
      definition.name,
      options,
      async ([job]) => {
        if (job !== undefined) {
          await this.run(definition, job);
        }
      },
    );
  }

  private async run(
    definition: RunnableDefinition,
    job: JobWithMetadata<Envelope<unknown>>,
  ): Promise<void> {
    const envelope = job.data as Partial<Envelope<unknown>> | null;
    const context: JobContext<unknown> = {
      id: job.id,
      queue: job.name,
      data: envelope?.data ?? {},
      attempt: job.retryCount + 1,
      maxAttempts: job.retryLimit + 1,
      isLastAttempt: job.retryCount >= job.retryLimit,
      signal: job.signal,
    };
    const requestId = typeof envelope?.requestId === 'string' ? envelope.requestId : null;
    const end = this.duration.startTimer({ queue: job.name });
    await runWithJobLogger(
      this.rootLogger,
      { jobId: job.id, queue: job.name, requestId },
      async () => {
        try {
          await definition.handle(context);
          this.completed.inc({ queue: job.name });
        } catch (error: unknown) {
          this.failed.inc({ queue: job.name });
          this.logger.warn({
            msg: context.isLastAttempt
              ? 'Job failed on its last attempt; dead-lettered'
              : 'Job failed; it will be retried',
            attempt: context.attempt,
            maxAttempts: context.maxAttempts,
            reason: error instanceof Error ? error.message : String(error),
          });
          throw error;
        } finally {
          end();
        }
      },
    );
  }

  private registerQueuedGauge(metrics: MetricsService): void {
    const boss = this.boss;
    const isStarted = (): boolean => this.started;
    const names = (): string[] => [...this.definitions.keys()];
    new Gauge({
      name: 'jobs_queued',
      help: 'Jobs waiting to run (created or retrying), by queue; refreshed every 10 s',
      labelNames: ['queue'],
      registers: [metrics.registry],
      async collect() {
        if (!isStarted()) {
          return;
        }
        const queues = await withTimeout(boss.getQueues(names()), QUEUED_COLLECT_TIMEOUT_MS);
        for (const queue of queues ?? []) {
          this.set({ queue: queue.name }, queue.queuedCount);
        }
      },
    });
  }

  private bossOptions(dataSource: DataSource): ConstructorOptions {
    const { config } = this;
    const runsJobs = config.app.runsJobs;
    const common: ConstructorOptions = {
      schema: SCHEMA,
      migrate: true,
      supervise: runsJobs,
      schedule: runsJobs,
      monitorIntervalSeconds: MONITOR_INTERVAL_SECONDS,
      // A job whose process died is failed (and retried) by the supervisor once its timeout has
      // passed: checked every 10 s instead of pg-boss's 60, and the ready counts that trigger
      // burst fetching are refreshed as often.
      superviseIntervalSeconds: MONITOR_INTERVAL_SECONDS,
      queueCacheIntervalSeconds: MONITOR_INTERVAL_SECONDS,
      cronMonitorIntervalSeconds: 10,
      instanceName: config.app.role,
      openTelemetry: { propagateContext: config.observability.otlpEndpoint !== null },
    };
    const target = config.database.target;
    if (target.kind === 'postgres') {
      return {
        ...common,
        connectionString: target.url,
        max: config.jobs.poolMax,
        application_name: 'nest-enterprise-backend:jobs',
        connectionTimeoutMillis: config.database.connectionTimeoutMs,
      };
    }
    // PGlite is one session: the queue goes through the application's pool of one connection,
    // so its statements wait their turn instead of landing inside another's transaction.
    const pool = (dataSource.driver as unknown as { master: Pool }).master;
    return {
      ...common,
      backend: 'pglite',
      db: { executeSql: (text, values) => pool.query(text, values) },
    };
  }
}

/** pg-boss statements run on the transaction's own connection (they commit or roll back with it). */
function transactionDb(tx: Transaction): Db {
  const runner = tx.manager.queryRunner as unknown as
    { databaseConnection?: PoolClient } | undefined;
  const client = runner?.databaseConnection;
  if (client === undefined) {
    throw new Error('A job sent in a transaction needs the transaction of a query runner');
  }
  return { executeSql: (text, values) => client.query(text, values) };
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => {
      resolve(null);
    }, ms);
  });
  try {
    return await Promise.race([work.catch(() => null), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
