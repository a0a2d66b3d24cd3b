import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';

import { JobQueue, type JobContext } from '@app/core';

import {
  MAX_RETRY_DELAY_SECONDS,
  expectedNextAttemptAt,
  jobTimeoutSeconds,
} from './delivery-schedule';
import { WebhookDeliveriesRepository, type DeliveryChanges } from './webhook-deliveries.repository';
import type { WebhookDeliveryEntity } from './webhook-delivery.entity';
import { WebhookMetrics } from './webhook-metrics';
import { WebhookSender } from './webhook-sender';
import { WebhooksConfig } from './webhooks.config';
import { WebhooksRepository } from './webhooks.repository';

export const DELIVER_WEBHOOK_JOB = 'webhooks.deliver';

export interface DeliverWebhookJob {
  readonly deliveryId: string;
}

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

  constructor(
    private readonly jobs: JobQueue,
    private readonly webhooks: WebhooksRepository,
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly metrics: WebhookMetrics,
    private readonly config: WebhooksConfig,
  ) {
    this.sender = new WebhookSender({ timeoutMs: config.timeoutMs, rules: config.rules });
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

    const final = job.isLastAttempt || !result.retryable;
    const written = await this.record(delivery, job, {
      status: final ? 'dead' : 'failed',
      attempts,
      lastStatusCode: result.statusCode,
      lastError: result.error,
      nextAttemptAt: final
        ? null
        : expectedNextAttemptAt(this.config.retryDelaySeconds, job.attempt, new Date()),
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
      attempt: job.attempt,
      maxAttempts: job.maxAttempts,
      statusCode: result.statusCode,
      reason: result.error,
    });
    // A failure that another attempt cannot fix (a secret that cannot sign, a URL the rules now
    // refuse) is final here: pg-boss is not asked to retry it.
    if (result.retryable) {
      throw new DeliveryAttemptFailedError(result.error);
    }
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
