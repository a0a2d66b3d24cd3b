import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { ArrayContains, Repository } from 'typeorm';

import { NEWEST_FIRST, pageAfter, type Keyset, type Transaction } from '@app/core';

import { WebhookEntity } from './webhook.entity';

export interface NewWebhook {
  readonly url: string;
  readonly events: readonly string[];
  readonly description: string | null;
  readonly secret: string;
}

export type WebhookChanges = Partial<
  Pick<WebhookEntity, 'url' | 'events' | 'enabled' | 'description'>
>;

@Injectable()
export class WebhooksRepository {
  constructor(
    @InjectRepository(WebhookEntity) private readonly webhooks: Repository<WebhookEntity>,
  ) {}

  insert(webhook: NewWebhook): Promise<WebhookEntity> {
    return this.webhooks.save(this.webhooks.create({ ...webhook, events: [...webhook.events] }));
  }

  findById(id: string): Promise<WebhookEntity | null> {
    return this.webhooks.findOneBy({ id });
  }

  /** Newest first; `limit + 1` rows. */
  listPage(after: Keyset | null, limit: number): Promise<WebhookEntity[]> {
    return this.webhooks.find({
      where: pageAfter<WebhookEntity>(after),
      order: NEWEST_FIRST,
      take: limit + 1,
    });
  }

  /** Returns false when the webhook does not exist. */
  async update(id: string, changes: WebhookChanges): Promise<boolean> {
    const result = await this.webhooks.update({ id }, changes);
    return (result.affected ?? 0) > 0;
  }

  /** Its deliveries go with it (ON DELETE CASCADE). Returns false when it did not exist. */
  async delete(id: string): Promise<boolean> {
    const result = await this.webhooks.delete({ id });
    return (result.affected ?? 0) > 0;
  }

  /** The enabled webhooks subscribed to `eventType`, in the outbox relay's transaction. */
  findSubscribed(tx: Transaction, eventType: string): Promise<WebhookEntity[]> {
    return tx.manager.find(WebhookEntity, {
      where: { enabled: true, events: ArrayContains([eventType]) },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
  }
}
