import { randomUUID } from 'node:crypto';

import { Injectable, type OnModuleInit } from '@nestjs/common';

import { JobQueue, Outbox, type OutboxEvent, type Transaction } from '@app/core';

import { DELIVER_WEBHOOK_JOB, type DeliverWebhookJob } from './deliver-webhook';
import { WebhookDeliveriesRepository, type NewDelivery } from './webhook-deliveries.repository';
import { WebhooksRepository } from './webhooks.repository';

/**
 * Turns each outbox event into one delivery, and its job, per enabled webhook subscribed to
 * its type, in the relay's transaction: they commit with the event's dispatch, or neither
 * does. The relay holds the event's row lock, so an event handed over again (after a crash
 * before the commit) finds the deliveries it already has and adds none twice; the unique
 * (webhook_id, event_id) index is the last line of defence.
 */
@Injectable()
export class WebhookFanOut implements OnModuleInit {
  constructor(
    private readonly outbox: Outbox,
    private readonly jobs: JobQueue,
    private readonly webhooks: WebhooksRepository,
    private readonly deliveries: WebhookDeliveriesRepository,
  ) {}

  onModuleInit(): void {
    this.outbox.subscribe('webhooks', (event, tx) => this.fanOut(event, tx));
  }

  private async fanOut(event: OutboxEvent, tx: Transaction): Promise<void> {
    const targets = await this.webhooks.findSubscribed(tx, event.type);
    if (targets.length === 0) {
      return;
    }
    const already = await this.deliveries.webhookIdsWithEvent(tx, event.id);
    const created: NewDelivery[] = [];
    for (const webhook of targets) {
      if (already.has(webhook.id)) {
        continue;
      }
      const id = randomUUID();
      const job: DeliverWebhookJob = { deliveryId: id };
      const jobId = await this.jobs.send(DELIVER_WEBHOOK_JOB, job, { tx, group: webhook.id });
      created.push({
        id,
        webhookId: webhook.id,
        eventId: event.id,
        eventType: event.type,
        jobId,
        nextAttemptAt: new Date(),
      });
    }
    await this.deliveries.insertMany(tx, created);
  }
}
