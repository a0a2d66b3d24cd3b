import { ApiProperty, ApiSchema } from '@nestjs/swagger';

import type { WebhookEntity } from '../webhook.entity';
import { WEBHOOK_FIELDS } from './webhook-fields';

const UUID_EXAMPLE = '0190c4b2-6c1e-7d2a-9a53-3f0c5e4b8a11';
const DATE_TIME = { format: 'date-time', maxLength: 24, example: '2026-01-31T12:00:00.000Z' };

/** The response shape (never the secret); a class only so that the OpenAPI document can describe it. */
@ApiSchema({ name: 'Webhook', description: 'A receiver of events, signed per Standard Webhooks.' })
export class WebhookResponse {
  @ApiProperty({ format: 'uuid', maxLength: 36, example: UUID_EXAMPLE })
  readonly id!: string;

  @ApiProperty(WEBHOOK_FIELDS.url())
  readonly url!: string;

  @ApiProperty(WEBHOOK_FIELDS.events())
  readonly events!: string[];

  @ApiProperty(WEBHOOK_FIELDS.enabled())
  readonly enabled!: boolean;

  @ApiProperty({ ...WEBHOOK_FIELDS.description(), nullable: true })
  readonly description!: string | null;

  @ApiProperty(DATE_TIME)
  readonly createdAt!: string;

  @ApiProperty(DATE_TIME)
  readonly updatedAt!: string;
}

@ApiSchema({
  name: 'CreatedWebhook',
  description: 'The new webhook with its signing secret, which no other response shows.',
})
export class CreatedWebhookResponse extends WebhookResponse {
  @ApiProperty({
    type: String,
    pattern: '^whsec_[A-Za-z0-9+/]{43}=$',
    maxLength: 50,
    description:
      'The signing secret: `whsec_` + base64 of 32 random bytes. Shown only here; keep it to ' +
      'verify `webhook-signature` (HMAC-SHA256 over `<webhook-id>.<webhook-timestamp>.<body>`, ' +
      'keyed by the decoded bytes).',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw/jEe3D7Cz9s=',
  })
  readonly secret!: string;
}

export function toWebhookResponse(webhook: WebhookEntity): WebhookResponse {
  return {
    id: webhook.id,
    url: webhook.url,
    events: [...webhook.events],
    enabled: webhook.enabled,
    description: webhook.description,
    createdAt: webhook.createdAt.toISOString(),
    updatedAt: webhook.updatedAt.toISOString(),
  };
}

export function toCreatedWebhookResponse(webhook: WebhookEntity): CreatedWebhookResponse {
  const { id, url, events, enabled, description, createdAt, updatedAt } =
    toWebhookResponse(webhook);
  return { id, url, events, enabled, description, createdAt, updatedAt, secret: webhook.secret };
}
