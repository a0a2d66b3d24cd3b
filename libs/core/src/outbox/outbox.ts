import { randomUUID } from 'node:crypto';

import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnModuleInit,
} from '@nestjs/common';
import { ROOT_CONTEXT, context, propagation } from '@opentelemetry/api';
import type { Logger as PinoLogger } from 'pino';
import { In, IsNull, LessThan, LessThanOrEqual } from 'typeorm';

import { AppConfig } from '../config/app-config';
import { TransactionRunner, type Transaction } from '../database/transaction-runner';
import { JobQueue } from '../jobs/job-queue';
import { Housekeeping } from '../lifecycle/housekeeping';
import { LifecycleService } from '../lifecycle/lifecycle.service';
import { ROOT_LOGGER } from '../logging/logging.constants';
import { currentRequestId, runWithJobLogger } from '../logging/request-logger';
import { OutboxEventEntity } from './outbox-event.entity';
import type { OutboxEvent } from './outbox.sql';

/**
 * Turns an event into the work it causes (a module's webhook deliveries, say), inside the
 * relay's transaction: whatever it writes through `tx` (rows, jobs) commits together with
 * the event's dispatch. It must be idempotent per event id: after a crash between its write
 * and the commit, the event is handed over again.
 */
export type OutboxSubscriber = (event: OutboxEvent, tx: Transaction) => Promise<void>;

/**
 * Dispatched events are kept this long, then deleted by housekeeping: longer than the
 * delivery retries (WEBHOOK_MAX_ATTEMPTS spread over about a day), so a dead delivery can
 * still be retried by hand for weeks.
 */
export const OUTBOX_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

/** Events handed over per relay transaction. */
const BATCH_SIZE = 100;
/** After failures the relay waits longer, up to this. */
const MAX_BACKOFF_MS = 30_000;

/**
 * The transactional outbox. A change writes its events in its own transaction
 * (`publish(tx, …)`, or `outboxInsertPart()` inside a one-statement write); the relay, in
 * every process that runs jobs, takes undispatched events (`FOR UPDATE SKIP LOCKED`, so
 * several workers share them), hands each to every subscriber in one transaction and marks it
 * dispatched. A process killed wherever it is leaves the event undispatched, so it is handed
 * over again: at least once, never lost, in no guaranteed order across workers.
 */
@Injectable()
export class Outbox implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(Outbox.name);
  private readonly subscribers: Array<{ name: string; handle: OutboxSubscriber }> = [];
  private running: Promise<void> | null = null;
  private stopped = false;
  private wake: (() => void) | null = null;
  private nudged = false;

  constructor(
    private readonly config: AppConfig,
    private readonly transactions: TransactionRunner,
    private readonly jobs: JobQueue,
    private readonly lifecycle: LifecycleService,
    private readonly housekeeping: Housekeeping,
    @Inject(ROOT_LOGGER) private readonly rootLogger: PinoLogger,
  ) {
    lifecycle.onShutdown(() => {
      this.stop();
    });
  }

  /** A new event of `type` about `data`, carrying the current request's id and trace. */
  event<T>(type: string, data: T): OutboxEvent<T> {
    const carrier: Record<string, string> = {};
    propagation.inject(context.active(), carrier);
    return {
      id: randomUUID(),
      type,
      data,
      createdAt: new Date(),
      requestId: currentRequestId(),
      traceContext: Object.keys(carrier).length === 0 ? null : carrier,
    };
  }

  /** Writes `events` in `tx`: they exist if, and only if, `tx` commits. */
  async publish(tx: Transaction, ...events: OutboxEvent[]): Promise<void> {
    if (events.length === 0) {
      return;
    }
    await tx.manager.insert(
      OutboxEventEntity,
      events.map((event) => ({ ...event, data: event.data as object, dispatchedAt: null })),
    );
  }

  /** Call after a commit that wrote events: this process's relay looks at once. */
  nudge(): void {
    this.nudged = true;
    this.wake?.();
  }

  /** Registers a subscriber; call in `onModuleInit`. */
  subscribe(name: string, handle: OutboxSubscriber): void {
    this.subscribers.push({ name, handle });
  }

  onModuleInit(): void {
    this.housekeeping.register({
      name: 'outbox.purge',
      run: () =>
        this.transactions.run(async (tx) => {
          const before = new Date(Date.now() - OUTBOX_RETENTION_MS);
          const result = await tx.manager.delete(OutboxEventEntity, {
            dispatchedAt: LessThan(before),
          });
          return result.affected ?? 0;
        }),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.app.runsJobs || this.lifecycle.isShuttingDown) {
      return;
    }
    // Subscribers write jobs: the relay starts once the queue has.
    await this.jobs.ready;
    this.running = this.relay();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stop();
    await this.running;
  }

  private stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  private async relay(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      this.nudged = false;
      let handed = 0;
      try {
        handed = await this.dispatchBatch();
        failures = 0;
      } catch (error: unknown) {
        failures += 1;
        this.logger.warn({
          msg: 'Outbox relay failed; the events stay queued and are retried',
          failures,
          reason: error instanceof Error ? error.message : String(error),
        });
      }
      if (handed < BATCH_SIZE || failures > 0) {
        const poll = this.config.jobs.outboxPollIntervalMs;
        await this.sleep(failures === 0 ? poll : Math.min(MAX_BACKOFF_MS, poll * 2 ** failures));
      }
    }
  }

  /**
   * Hands over the oldest available events in one transaction. If that fails, each is tried
   * in a transaction of its own, and one that fails alone is put back with a growing delay
   * (`attempts`, `last_error`): an event no subscriber can take never holds up the others.
   */
  private async dispatchBatch(): Promise<number> {
    let ids: string[] = [];
    try {
      return await this.transactions.run(async (tx) => {
        const events = await this.takeAvailable(tx, BATCH_SIZE);
        ids = events.map((event) => event.id);
        for (const event of events) {
          await this.handOver(event, tx);
        }
        await this.markDispatched(tx, ids);
        return events.length;
      });
    } catch (error: unknown) {
      if (ids.length <= 1) {
        await this.putBack(ids, error);
        throw error;
      }
    }
    for (const id of ids) {
      try {
        await this.transactions.run(async (tx) => {
          const [event] = await this.takeAvailable(tx, 1, id);
          if (event !== undefined) {
            await this.handOver(event, tx);
            await this.markDispatched(tx, [event.id]);
          }
        });
      } catch (error: unknown) {
        await this.putBack([id], error);
      }
    }
    return ids.length;
  }

  private takeAvailable(tx: Transaction, take: number, id?: string): Promise<OutboxEventEntity[]> {
    return tx.manager.find(OutboxEventEntity, {
      where: {
        ...(id === undefined ? {} : { id }),
        dispatchedAt: IsNull(),
        availableAt: LessThanOrEqual(new Date()),
      },
      order: { createdAt: 'ASC', id: 'ASC' },
      take,
      lock: { mode: 'pessimistic_write', onLocked: 'skip_locked' },
    });
  }

  private async markDispatched(tx: Transaction, ids: readonly string[]): Promise<void> {
    if (ids.length > 0) {
      await tx.manager.update(OutboxEventEntity, { id: In(ids) }, { dispatchedAt: () => 'now()' });
    }
  }

  /** Records a failed hand-over; the event is tried again after `2^attempts` seconds (≤ 1 h). */
  private async putBack(ids: readonly string[], error: unknown): Promise<void> {
    const reason = (error instanceof Error ? error.message : String(error)).slice(0, 500);
    for (const id of ids) {
      try {
        await this.transactions.run(async (tx) => {
          await tx.manager.update(
            OutboxEventEntity,
            { id },
            {
              attempts: () => 'attempts + 1',
              lastError: reason,
              availableAt: () =>
                `now() + least(interval '1 hour', interval '1 second' * power(2, attempts + 1))`,
            },
          );
        });
        this.logger.warn({
          msg: 'An outbox event could not be handed over; it is tried again later',
          eventId: id,
          reason,
        });
      } catch {
        // The database is what failed: the event stays as it was, and the relay backs off.
      }
    }
  }

  /** Every subscriber, in the event's request and trace context (their jobs carry both on). */
  private async handOver(event: OutboxEventEntity, tx: Transaction): Promise<void> {
    const traced =
      event.traceContext === null
        ? ROOT_CONTEXT
        : propagation.extract(ROOT_CONTEXT, event.traceContext);
    await context.with(traced, () =>
      runWithJobLogger(
        this.rootLogger,
        { jobId: event.id, queue: 'outbox', requestId: event.requestId },
        async () => {
          for (const subscriber of this.subscribers) {
            await subscriber.handle(event, tx);
          }
        },
      ),
    );
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped || this.nudged) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }
}
