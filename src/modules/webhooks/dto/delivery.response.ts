import { ApiProperty, ApiSchema } from '@nestjs/swagger';

import type { DeliveryStatus, WebhookDeliveryEntity } from '../webhook-delivery.entity';
import { DELIVERY_STATUS_SCHEMA, WEBHOOK_EVENT_TYPE_SCHEMA } from './webhook-fields';

const UUID_EXAMPLE = '0190c4b2-6c1e-7d2a-9a53-3f0c5e4b8a11';
const DATE_TIME = { format: 'date-time', maxLength: 24, example: '2026-01-31T12:00:00.000Z' };

@ApiSchema({
  name: 'WebhookDelivery',
  description: 'One event for one webhook, and how its attempts went.',
})
export class DeliveryResponse {
  @ApiProperty({ format: 'uuid', maxLength: 36, example: UUID_EXAMPLE })
  readonly id!: string;

  @ApiProperty({
    format: 'uuid',
    maxLength: 36,
    description: 'The event; also the `webhook-id` header, the same on every attempt.',
    example: UUID_EXAMPLE,
  })
  readonly eventId!: string;

  @ApiProperty({ ...WEBHOOK_EVENT_TYPE_SCHEMA, example: 'order.placed' })
  readonly eventType!: string;

  @ApiProperty({ ...DELIVERY_STATUS_SCHEMA, example: 'succeeded' })
  readonly status!: DeliveryStatus;

  @ApiProperty({
    type: 'integer',
    format: 'int32',
    minimum: 0,
    maximum: 2_147_483_647,
    description: 'Attempts made so far, manual retries included.',
    example: 1,
  })
  readonly attempts!: number;

  @ApiProperty({
    type: 'integer',
    format: 'int32',
    nullable: true,
    minimum: 100,
    maximum: 999,
    description: 'The HTTP status of the last attempt; `null` when none came back.',
    example: 200,
  })
  readonly lastStatusCode!: number | null;

  @ApiProperty({
    type: String,
    nullable: true,
    maxLength: 500,
    description: 'Why the last attempt failed; `null` after a success.',
    example: null,
  })
  readonly lastError!: string | null;

  @ApiProperty({
    ...DATE_TIME,
    type: String,
    nullable: true,
    description:
      'About when the next attempt runs (retries wait with jitter); `null` unless `pending` or `failed`.',
    example: null,
  })
  readonly nextAttemptAt!: string | null;

  @ApiProperty({
    ...DATE_TIME,
    type: String,
    nullable: true,
    description: 'When a 2xx came back; `null` until then.',
    example: null,
  })
  readonly deliveredAt!: string | null;

  @ApiProperty(DATE_TIME)
  readonly createdAt!: string;
}

export function toDeliveryResponse(delivery: WebhookDeliveryEntity): DeliveryResponse {
  return {
    id: delivery.id,
    eventId: delivery.eventId,
    eventType: delivery.eventType,
    status: delivery.status,
    attempts: delivery.attempts,
    lastStatusCode: delivery.lastStatusCode,
    lastError: delivery.lastError,
    nextAttemptAt: delivery.nextAttemptAt?.toISOString() ?? null,
    deliveredAt: delivery.deliveredAt?.toISOString() ?? null,
    createdAt: delivery.createdAt.toISOString(),
  };
}
