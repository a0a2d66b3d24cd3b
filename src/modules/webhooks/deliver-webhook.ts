import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';

import { JobQueue, TransactionRunner, type JobContext } from '@app/core';

import {
  MAX_RETRY_DELAY_SECONDS,
  expectedNextAttemptAt,
  jobTimeoutSeconds,
} from './delivery-schedule';
import { EndpointSlots } from './endpoint-slots';
import {
  WebhookDeliveriesRepository,
  type DeliveredEvent,
  type DeliveryChanges,
} from './webhook-deliveries.repository';
import type { WebhookDeliveryEntity } from './webhook-delivery.entity';
import type { WebhookEntity } from './webhook.entity';
import { WebhookMetrics } from './webhook-metrics';
import { WebhookSender } from './webhook-sender';
import { WebhooksConfig } from './webhooks.config';
import { WebhooksRepository } from './webhooks.repository';

export const DELIVER_WEBHOOK_JOB = 'webhooks.deliver';

export interface DeliverWebhookJob {
  readonly deliveryId: string;
  /** Attempts made by the earlier jobs of this delivery that gave way to this one (see defer()). */
  readonly spent?: number;
}

/** A delivery whose webhook has no free slot here is tried again after 1–2 s. */
const DEFER_MS = 1_000;

/** Thrown so that pg-boss runs the job again later (or dead-letters it after the last attempt). */
class DeliveryAttemptFailedError extends Error {}

/**
 * The `webhooks.deliver` job: one attempt of one delivery per run. pg-boss owns the schedule
 * (exponential backoff with jitter, WEBHOOK_MAX_ATTEMPTS runs, then `webhooks.deliver.dead`)
 * and the isolation (jobs grouped by webhook, WEBHOOK_CONCURRENCY_PER_ENDPOINT at once across
 * processes). A run sends nothing when its delivery is gone (webhook deleted), already final,
 * or owned by a newer job (a manual retry); no transaction is open while the receiver answers.
 */
@Injectable()
export class DeliverWebhook implements OnModuleInit {
  private readonly logger = new Logger(DeliverWebhook.name);
  private readonly sender: WebhookSender;
  private readonly slots: EndpointSlots;

  constructor(
    private readonly jobs: JobQueue,
    private readonly transactions: TransactionRunner,
    private readonly webhooks: WebhooksRepository,
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly metrics: WebhookMetrics,
    private readonly config: WebhooksConfig,
  ) {
    this.sender = new WebhookSender({ timeoutMs: config.timeoutMs, rules: config.rules });
    this.slots = new EndpointSlots(config.concurrencyPerEndpoint);
  }

  onModuleInit(): void {
    this.jobs.define<DeliverWebhookJob>({
      name: DELIVER_WEBHOOK_JOB,
      handle: (job) => this.run(job),
      attempts: this.config.maxAttempts,
      retryDelaySeconds: this.config.retryDelaySeconds,
      backoff: true,
      maxRetryDelaySeconds: MAX_RETRY_DELAY_SECONDS,
      timeoutSeconds: jobTimeoutSeconds(this.config.timeoutMs),
      concurrency: this.config.concurrency,
      groupConcurrency: this.config.concurrencyPerEndpoint,
    });
  }

  private async run(job: JobContext<DeliverWebhookJob>): Promise<void> {
    const delivery = await this.deliveries.findById(job.data.deliveryId);
    if (delivery === null || delivery.jobId !== job.id) {
      return;
    }
    if (delivery.status === 'succeeded' || delivery.status === 'dead') {
      return;
    }
    const webhook = await this.webhooks.findById(delivery.webhookId);
    if (webhook === null) {
      return;
    }
    if (!webhook.enabled) {
      await this.giveUp(delivery, job, 'webhook disabled', delivery.lastStatusCode);
      return;
    }
    const event = await this.deliveries.findEvent(delivery.eventId);
    if (event === null) {
      await this.giveUp(delivery, job, 'the event is no longer kept', delivery.lastStatusCode);
      return;
    }
    if (!this.slots.tryAcquire(webhook.id)) {
      await this.defer(delivery, job);
      return;
    }
    try {
      await this.attempt(delivery, webhook, event, job);
    } finally {
      this.slots.release(webhook.id);
    }
  }

  private async attempt(
    delivery: WebhookDeliveryEntity,
    webhook: WebhookEntity,
    event: DeliveredEvent,
    job: JobContext<DeliverWebhookJob>,
  ): Promise<void> {
    const body = JSON.stringify({
      id: event.id,
      type: event.type,
      createdAt: event.createdAt.toISOString(),
      data: event.data,
    });
    const result = await this.sender.send(
      {
        url: webhook.url,
        secret: webhook.secret,
        messageId: event.id,
        body,
        timestamp: new Date(),
      },
      job.signal,
    );
    const attempts = delivery.attempts + 1;

    if (result.outcome === 'succeeded') {
      const now = new Date();
      if (
        await this.record(delivery, job, {
          status: 'succeeded',
          attempts,
          lastStatusCode: result.statusCode,
          lastError: null,
          nextAttemptAt: null,
          deliveredAt: now,
        })
      ) {
        this.metrics.attempted('succeeded');
      }
      return;
    }

    // Attempts of this delivery's current run of retries, the jobs it gave way to included.
    const attempt = (job.data.spent ?? 0) + job.attempt;
    const final = job.isLastAttempt || attempt >= this.config.maxAttempts || !result.retryable;
    const written = await this.record(delivery, job, {
      status: final ? 'dead' : 'failed',
      attempts,
      lastStatusCode: result.statusCode,
      lastError: result.error,
      nextAttemptAt: final
        ? null
        : expectedNextAttemptAt(this.config.retryDelaySeconds, attempt, new Date()),
    });
    if (!written) {
      return;
    }
    this.metrics.attempted(final ? 'dead' : 'retrying');
    this.logger.warn({
      msg: final
        ? 'Webhook delivery gave up'
        : 'Webhook delivery attempt failed; it will be retried',
      deliveryId: delivery.id,
      webhookId: webhook.id,
      eventId: event.id,
      attempt,
      maxAttempts: this.config.maxAttempts,
      statusCode: result.statusCode,
      reason: result.error,
    });
    // A failure that another attempt cannot fix (a secret that cannot sign, a URL the rules now
    // refuse) is final here: pg-boss is not asked to retry it. After the last attempt, the
    // throw has pg-boss dead-letter the job (webhooks.deliver.dead).
    if (result.retryable && (!final || job.isLastAttempt)) {
      throw new DeliveryAttemptFailedError(result.error);
    }
  }

  /**
   * Hands the delivery to a new job a moment later, without spending an attempt: this
   * process already sends as many deliveries to the webhook as it may. The new job carries the
   * attempts this one made, so the delivery still gets WEBHOOK_MAX_ATTEMPTS in all.
   */
  private async defer(
    delivery: WebhookDeliveryEntity,
    job: JobContext<DeliverWebhookJob>,
  ): Promise<void> {
    const spent = (job.data.spent ?? 0) + job.attempt - 1;
    const startAfter = new Date(Date.now() + DEFER_MS * (1 + Math.random()));
    await this.transactions.run(async (tx) => {
      const next: DeliverWebhookJob = { deliveryId: delivery.id, spent };
      const jobId = await this.jobs.send(DELIVER_WEBHOOK_JOB, next, {
        tx,
        group: delivery.webhookId,
        startAfter,
      });
      // Conditional on this job still owning it: a manual retry may have taken over meanwhile
      // (then the new job finds another id and does nothing).
      await this.deliveries.reassign(tx, delivery.id, job.id, jobId, startAfter);
    });
  }

  private async giveUp(
    delivery: WebhookDeliveryEntity,
    job: JobContext<DeliverWebhookJob>,
    reason: string,
    lastStatusCode: number | null,
  ): Promise<void> {
    if (
      await this.record(delivery, job, {
        status: 'dead',
        lastStatusCode,
        lastError: reason,
        nextAttemptAt: null,
      })
    ) {
      this.metrics.attempted('dead');
    }
  }

  /** False when the delivery is gone or another job owns it now: nothing more to do. */
  private record(
    delivery: WebhookDeliveryEntity,
    job: JobContext<DeliverWebhookJob>,
    changes: DeliveryChanges,
  ): Promise<boolean> {
    return this.deliveries.recordForJob(delivery.id, job.id, changes);
  }
}
