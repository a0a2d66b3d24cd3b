import { Injectable } from '@nestjs/common';

import { AppConfig, JobQueue, TransactionRunner, decodeCursor, toPage, type Page } from '@app/core';

import { DELIVER_WEBHOOK_JOB, type DeliverWebhookJob } from './deliver-webhook';
import { toDeliveryResponse, type DeliveryResponse } from './dto/delivery.response';
import type { ListDeliveriesQuery } from './dto/list-deliveries.query';
import { WebhookDeliveriesRepository, type DeliveryChanges } from './webhook-deliveries.repository';
import { RETRYABLE_STATUSES } from './webhook-delivery.entity';
import { WebhookDeliveryNotFoundError, WebhookDeliveryNotRetryableError } from './webhooks.errors';
import { WebhooksService } from './webhooks.service';

/** A webhook's deliveries: reading them, and queueing a failed or dead one again by hand. */
@Injectable()
export class WebhookDeliveriesService {
  constructor(
    private readonly webhooks: WebhooksService,
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly transactions: TransactionRunner,
    private readonly jobs: JobQueue,
    private readonly config: AppConfig,
  ) {}

  async list(webhookId: string, query: ListDeliveriesQuery): Promise<Page<DeliveryResponse>> {
    await this.webhooks.getEntity(webhookId);
    const key = this.config.pagination;
    const rows = await this.deliveries.listPage(
      webhookId,
      query.status,
      decodeCursor(query.cursor, key),
      query.limit,
    );
    return toPage(rows, query.limit, toDeliveryResponse, key);
  }

  /**
   * A new job with the full WEBHOOK_MAX_ATTEMPTS, in one transaction with the status change;
   * the old job is cancelled if it is still queued, and if it is running it finds the new
   * job's id on the delivery and records nothing.
   */
  async retry(webhookId: string, deliveryId: string): Promise<DeliveryResponse> {
    await this.webhooks.getEntity(webhookId);
    return this.transactions.run(async (tx) => {
      const delivery = await this.deliveries.lockForWebhook(tx, webhookId, deliveryId);
      if (delivery === null) {
        throw new WebhookDeliveryNotFoundError(deliveryId);
      }
      if (!RETRYABLE_STATUSES.includes(delivery.status)) {
        throw new WebhookDeliveryNotRetryableError(delivery.status);
      }
      if (delivery.jobId !== null) {
        await this.jobs.cancel(DELIVER_WEBHOOK_JOB, delivery.jobId, tx);
      }
      const job: DeliverWebhookJob = { deliveryId: delivery.id };
      const jobId = await this.jobs.send(DELIVER_WEBHOOK_JOB, job, { tx, group: webhookId });
      const changes = {
        status: 'pending',
        jobId,
        nextAttemptAt: new Date(),
      } as const satisfies DeliveryChanges;
      await this.deliveries.update(tx, delivery.id, changes);
      return toDeliveryResponse(Object.assign(delivery, changes));
    });
  }
}
