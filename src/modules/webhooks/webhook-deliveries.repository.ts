import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';

import {
  NEWEST_FIRST,
  OutboxEventEntity,
  pageAfter,
  type Keyset,
  type Transaction,
} from '@app/core';

import { WebhookDeliveryEntity, type DeliveryStatus } from './webhook-delivery.entity';

export interface NewDelivery {
  readonly id: string;
  readonly webhookId: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly jobId: string;
  readonly nextAttemptAt: Date;
}

export type DeliveryChanges = Partial<
  Pick<
    WebhookDeliveryEntity,
    | 'status'
    | 'attempts'
    | 'lastStatusCode'
    | 'lastError'
    | 'nextAttemptAt'
    | 'deliveredAt'
    | 'jobId'
  >
>;

/** The outbox event a delivery sends, as it was written. */
export interface DeliveredEvent {
  readonly id: string;
  readonly type: string;
  readonly data: unknown;
  readonly createdAt: Date;
}

@Injectable()
export class WebhookDeliveriesRepository {
  constructor(
    @InjectRepository(WebhookDeliveryEntity)
    private readonly deliveries: Repository<WebhookDeliveryEntity>,
    @InjectRepository(OutboxEventEntity)
    private readonly events: Repository<OutboxEventEntity>,
  ) {}

  /** The webhooks that already have a delivery of `eventId` (an event handed over again). */
  async webhookIdsWithEvent(tx: Transaction, eventId: string): Promise<Set<string>> {
    const rows = await tx.manager.find(WebhookDeliveryEntity, {
      select: { webhookId: true },
      where: { eventId },
    });
    return new Set(rows.map((row) => row.webhookId));
  }

  async insertMany(tx: Transaction, deliveries: readonly NewDelivery[]): Promise<void> {
    if (deliveries.length > 0) {
      await tx.manager.insert(
        WebhookDeliveryEntity,
        deliveries.map((delivery) => ({ ...delivery, status: 'pending' as const })),
      );
    }
  }

  findById(id: string): Promise<WebhookDeliveryEntity | null> {
    return this.deliveries.findOneBy({ id });
  }

  /** The delivery of that webhook, locked until `tx` ends (a manual retry). */
  lockForWebhook(
    tx: Transaction,
    webhookId: string,
    id: string,
  ): Promise<WebhookDeliveryEntity | null> {
    return tx.manager.findOne(WebhookDeliveryEntity, {
      where: { id, webhookId },
      lock: { mode: 'pessimistic_write' },
    });
  }

  /** Newest first, optionally in one status; `limit + 1` rows. */
  listPage(
    webhookId: string,
    status: DeliveryStatus | undefined,
    after: Keyset | null,
    limit: number,
  ): Promise<WebhookDeliveryEntity[]> {
    return this.deliveries.find({
      where: pageAfter<WebhookDeliveryEntity>(after, [
        status === undefined ? { webhookId } : { webhookId, status },
      ]),
      order: NEWEST_FIRST,
      take: limit + 1,
    });
  }

  /**
   * Writes what an attempt of job `jobId` found, unless another job owns the delivery now (a
   * manual retry took over) or the delivery is gone. Returns whether it was written.
   */
  async recordForJob(id: string, jobId: string, changes: DeliveryChanges): Promise<boolean> {
    const result = await this.deliveries.update({ id, jobId }, changes);
    return (result.affected ?? 0) > 0;
  }

  /** Moves the delivery from job `from` to job `to`, if `from` still owns it. */
  async reassign(
    tx: Transaction,
    id: string,
    from: string,
    to: string,
    nextAttemptAt: Date,
  ): Promise<void> {
    await tx.manager.update(
      WebhookDeliveryEntity,
      { id, jobId: from },
      { jobId: to, nextAttemptAt },
    );
  }

  async update(tx: Transaction, id: string, changes: DeliveryChanges): Promise<void> {
    await tx.manager.update(WebhookDeliveryEntity, { id }, changes);
  }

  /** Null once housekeeping has deleted it (OUTBOX_RETENTION_MS after its dispatch). */
  async findEvent(id: string): Promise<DeliveredEvent | null> {
    const event = await this.events.findOne({
      select: { id: true, type: true, data: true, createdAt: true },
      where: { id },
    });
    return event === null
      ? null
      : { id: event.id, type: event.type, data: event.data, createdAt: event.createdAt };
  }
}
