import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

import { OutboxEventEntity } from '@app/core';

import { DeliverWebhook } from './deliver-webhook';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WebhookDeliveriesService } from './webhook-deliveries.service';
import { WebhookDeliveryEntity } from './webhook-delivery.entity';
import { WebhookFanOut } from './webhook-fan-out';
import { WebhookMetrics } from './webhook-metrics';
import { WebhookUrlCheck } from './webhook-url-check';
import { WebhookEntity } from './webhook.entity';
import { WebhooksController } from './webhooks.controller';
import { WebhooksRepository } from './webhooks.repository';
import { WebhooksService } from './webhooks.service';

/**
 * Webhooks: admins register receivers; every outbox event of a subscribed type becomes one
 * signed delivery per enabled webhook, sent by durable jobs with retries, isolated per
 * endpoint, and checked against SSRF at registration and at every attempt. Exports nothing:
 * other modules reach it only through the events they write.
 */
@Module({
  imports: [TypeOrmModule.forFeature([WebhookEntity, WebhookDeliveryEntity, OutboxEventEntity])],
  controllers: [WebhooksController],
  providers: [
    WebhooksService,
    WebhookDeliveriesService,
    WebhookUrlCheck,
    WebhookFanOut,
    DeliverWebhook,
    WebhookMetrics,
    WebhooksRepository,
    WebhookDeliveriesRepository,
  ],
})
export class WebhooksModule {}
