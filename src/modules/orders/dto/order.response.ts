import { ApiProperty, ApiSchema } from '@nestjs/swagger';

import { defineResponseHeader } from '@app/core';

import type { OrderEntity } from '../order.entity';
import { CANCEL_REASONS, type CancelReason, type OrderStatus } from '../order-status';
import { ORDER_STATUS_SCHEMA } from './change-status.dto';

const UUID_EXAMPLE = '0190c4b2-6c1e-7d2a-9a53-3f0c5e4b8a11';
const TIMESTAMP = { format: 'date-time', maxLength: 24, example: '2026-01-31T12:00:00.000Z' };

/** The response shapes; classes only so that the OpenAPI document can describe them. */
@ApiSchema({
  name: 'OrderItem',
  description: "A line of an order, with the product's SKU, name and price when it was placed.",
})
export class OrderItemResponse {
  @ApiProperty({ format: 'uuid', maxLength: 36, example: UUID_EXAMPLE })
  readonly productId!: string;

  @ApiProperty({ minLength: 1, maxLength: 64, pattern: '^[A-Z0-9-]{1,64}$', example: 'MUG-001' })
  readonly sku!: string;

  @ApiProperty({ minLength: 1, maxLength: 200, example: 'Enamel mug' })
  readonly name!: string;

  @ApiProperty({
    type: 'integer',
    format: 'int32',
    minimum: 0,
    maximum: 100_000_000,
    description: 'Catalog price when the order was placed, in minor units.',
    example: 1250,
  })
  readonly unitPriceCents!: number;

  @ApiProperty({ type: 'integer', format: 'int32', minimum: 1, maximum: 1000, example: 2 })
  readonly quantity!: number;

  @ApiProperty({
    type: 'integer',
    format: 'int64',
    minimum: 0,
    maximum: 100_000_000_000,
    description: '`unitPriceCents × quantity`.',
    example: 2500,
  })
  readonly lineTotalCents!: number;
}

@ApiSchema({ name: 'Order', description: 'An order and its lines.' })
export class OrderResponse {
  @ApiProperty({ format: 'uuid', maxLength: 36, example: UUID_EXAMPLE })
  readonly id!: string;

  @ApiProperty({ format: 'uuid', maxLength: 36, description: 'The owner.', example: UUID_EXAMPLE })
  readonly userId!: string;

  @ApiProperty({
    ...ORDER_STATUS_SCHEMA,
    description: 'New orders are `pending`; see `OrderStatus` for the transitions.',
    example: 'pending',
  })
  readonly status!: OrderStatus;

  @ApiProperty({
    type: 'string',
    // OpenAPI 3.0: a nullable enum lists null among its values.
    enum: [...CANCEL_REASONS, null],
    nullable: true,
    description:
      'Who cancelled the order: its owner (`customer`), an admin (`admin`), or the system, ' +
      'because it stayed `pending` too long (`expired`). `null` unless `status` is ' +
      '`cancelled`, and for orders cancelled before the reason was recorded.',
    example: null,
  })
  readonly cancelReason!: CancelReason | null;

  @ApiProperty({ minLength: 3, maxLength: 3, pattern: '^[A-Z]{3}$', example: 'EUR' })
  readonly currency!: string;

  @ApiProperty({
    type: 'integer',
    format: 'int64',
    minimum: 0,
    maximum: 5_000_000_000_000,
    description: 'Sum of `lineTotalCents`, in minor units.',
    example: 2500,
  })
  readonly totalCents!: number;

  @ApiProperty({
    type: () => OrderItemResponse,
    isArray: true,
    minItems: 1,
    maxItems: 50,
    description: 'In the order they were sent.',
  })
  readonly items!: readonly OrderItemResponse[];

  @ApiProperty({
    type: 'integer',
    format: 'int32',
    minimum: 1,
    maximum: 2_147_483_647,
    description: 'Incremented by every change; the `ETag` is `"<version>"`.',
    example: 1,
  })
  readonly version!: number;

  @ApiProperty(TIMESTAMP)
  readonly createdAt!: string;

  @ApiProperty(TIMESTAMP)
  readonly updatedAt!: string;
}

/** An order's version as its entity tag: what `If-Match` sends back. */
export const orderEtag = (order: OrderResponse): string => `"${String(order.version)}"`;

/** The `ETag` of the routes that answer one order. */
export const ORDER_ETAG = defineResponseHeader('ETag', {
  description:
    'The version of the order as a strong entity tag, e.g. `"3"`; send it back in `If-Match` ' +
    'to change the order only if nobody else did.',
  required: true,
  schema: { type: 'string', maxLength: 12, pattern: '^"[0-9]{1,10}"$', example: '"1"' },
});

export function toOrderResponse(order: OrderEntity): OrderResponse {
  return {
    id: order.id,
    userId: order.userId,
    status: order.status,
    cancelReason: order.cancelReason,
    currency: order.currency,
    totalCents: order.totalCents,
    items: [...order.items]
      .sort((a, b) => a.position - b.position)
      .map((item) => ({
        productId: item.productId,
        sku: item.sku,
        name: item.name,
        unitPriceCents: item.unitPriceCents,
        quantity: item.quantity,
        lineTotalCents: item.lineTotalCents,
      })),
    version: order.version,
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
  };
}
