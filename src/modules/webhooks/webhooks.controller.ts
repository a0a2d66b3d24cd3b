import { Body, Controller, Query, Res } from '@nestjs/common';
import type { Response } from 'express';

import {
  ApiTag,
  IdParam,
  PageQueryDto,
  Route,
  formatDuration,
  locationOf,
  type DocContext,
  type Page,
} from '@app/core';

import { UserRole } from '../users';
import { CreateWebhookDto } from './dto/create-webhook.dto';
import { DeliveryResponse } from './dto/delivery.response';
import { ListDeliveriesQuery } from './dto/list-deliveries.query';
import { UpdateWebhookDto } from './dto/update-webhook.dto';
import { CreatedWebhookResponse, WebhookResponse } from './dto/webhook.response';
import { WebhookDeliveriesService } from './webhook-deliveries.service';
import { WebhooksConfig } from './webhooks.config';
import { WebhooksErrorCode } from './webhooks.errors';
import { WebhooksService } from './webhooks.service';

const ADMIN = [UserRole.ADMIN] as const;

function deliveryRules({ config }: DocContext): string {
  const webhooks = config(WebhooksConfig);
  return (
    'Admins only. Every event of a subscribed type is POSTed to `url` as ' +
    '`{id, type, createdAt, data}` (`data`: the `Order` after the change), signed per ' +
    'Standard Webhooks (`webhook-id`: the event id, the same on every attempt; ' +
    '`webhook-timestamp`; `webhook-signature: v1,<base64 HMAC-SHA256>` keyed by the ' +
    `secret's decoded bytes). Any 2xx within ${formatDuration(webhooks.timeoutMs)} is a success; ` +
    `anything else is retried with exponential backoff and jitter, ${String(webhooks.maxAttempts)} ` +
    'attempts in all, then the delivery is `dead`. Redirects are not followed. The URL must be ' +
    '`https`; a host that is, or resolves to, a loopback, private, link-local or metadata ' +
    'address is a 422 `WEBHOOK_URL_FORBIDDEN`, checked here and again before every delivery. ' +
    'The response carries the signing `secret`, which no other response shows.'
  );
}

@ApiTag('Webhooks', 'Order events POSTed to receivers that admins register, signed and retried.')
@Controller('webhooks')
export class WebhooksController {
  constructor(
    private readonly webhooks: WebhooksService,
    private readonly deliveries: WebhookDeliveriesService,
  ) {}

  @Route.Post({
    operationId: 'createWebhook',
    summary: 'Register a webhook',
    description: deliveryRules,
    roles: ADMIN,
    response: {
      type: CreatedWebhookResponse,
      description: 'The new webhook with its secret; `Location` is its path.',
      headers: ['Location'],
    },
    errors: [WebhooksErrorCode.WEBHOOK_URL_FORBIDDEN],
  })
  async create(
    @Body() dto: CreateWebhookDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<CreatedWebhookResponse> {
    const webhook = await this.webhooks.create(dto);
    res.location(locationOf(res, webhook.id));
    return webhook;
  }

  @Route.Get({
    operationId: 'listWebhooks',
    summary: 'List webhooks',
    description: 'Admins only. Newest first; secrets are never shown.',
    roles: ADMIN,
    response: {
      page: WebhookResponse,
      schema: 'WebhookPage',
      description: 'A page of webhooks, newest first.',
    },
  })
  list(@Query() query: PageQueryDto): Promise<Page<WebhookResponse>> {
    return this.webhooks.list(query);
  }

  @Route.Get(':id', {
    operationId: 'getWebhook',
    summary: 'Get a webhook',
    description: 'Admins only. The secret is not shown.',
    roles: ADMIN,
    response: { type: WebhookResponse, description: 'The webhook.' },
    errors: [WebhooksErrorCode.WEBHOOK_NOT_FOUND],
  })
  get(@IdParam('The webhook.') id: string): Promise<WebhookResponse> {
    return this.webhooks.get(id);
  }

  @Route.Patch(':id', {
    operationId: 'updateWebhook',
    summary: 'Update a webhook',
    description:
      'Admins only. Sets the given fields; a new `url` is checked as at registration. ' +
      'Disabling stops new deliveries, and the queued ones go `dead` when their turn comes ' +
      '(retry them by hand after enabling it again). An empty body is a 400.',
    roles: ADMIN,
    response: { type: WebhookResponse, description: 'The updated webhook.' },
    errors: [WebhooksErrorCode.WEBHOOK_NOT_FOUND, WebhooksErrorCode.WEBHOOK_URL_FORBIDDEN],
  })
  update(
    @IdParam('The webhook.') id: string,
    @Body() dto: UpdateWebhookDto,
  ): Promise<WebhookResponse> {
    return this.webhooks.update(id, dto);
  }

  @Route.Delete(':id', {
    operationId: 'deleteWebhook',
    summary: 'Delete a webhook',
    description: 'Admins only. Its deliveries go with it; those still queued are dropped unsent.',
    status: 204,
    roles: ADMIN,
    response: { description: 'Deleted.' },
    errors: [WebhooksErrorCode.WEBHOOK_NOT_FOUND],
  })
  delete(@IdParam('The webhook.') id: string): Promise<void> {
    return this.webhooks.delete(id);
  }

  @Route.Get(':id/deliveries', {
    operationId: 'listWebhookDeliveries',
    summary: "List a webhook's deliveries",
    description: 'Admins only. Newest first; `status` filters.',
    roles: ADMIN,
    response: {
      page: DeliveryResponse,
      schema: 'WebhookDeliveryPage',
      description: 'A page of deliveries, newest first.',
    },
    errors: [WebhooksErrorCode.WEBHOOK_NOT_FOUND],
  })
  listDeliveries(
    @IdParam('The webhook.') id: string,
    @Query() query: ListDeliveriesQuery,
  ): Promise<Page<DeliveryResponse>> {
    return this.deliveries.list(id, query);
  }

  @Route.Post(':id/deliveries/:deliveryId/retry', {
    operationId: 'retryWebhookDelivery',
    summary: 'Retry a delivery',
    description: ({ config }) =>
      'Admins only. Queues a `failed` or `dead` delivery again at once, with ' +
      `${String(config(WebhooksConfig).maxAttempts)} attempts; a \`pending\` or \`succeeded\` ` +
      'one is a 409 `WEBHOOK_DELIVERY_NOT_RETRYABLE`. A delivery of another webhook is a 404.',
    status: 202,
    roles: ADMIN,
    response: { type: DeliveryResponse, description: 'The delivery, `pending` again.' },
    errors: [
      WebhooksErrorCode.WEBHOOK_NOT_FOUND,
      WebhooksErrorCode.WEBHOOK_DELIVERY_NOT_FOUND,
      WebhooksErrorCode.WEBHOOK_DELIVERY_NOT_RETRYABLE,
    ],
  })
  retry(
    @IdParam('The webhook.') id: string,
    @IdParam('The delivery.', 'deliveryId') deliveryId: string,
  ): Promise<DeliveryResponse> {
    return this.deliveries.retry(id, deliveryId);
  }
}
