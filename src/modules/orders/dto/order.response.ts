import type { OrderEntity } from '../order.entity';
import type { OrderStatus } from '../order-status';

export interface OrderItemResponse {
  readonly productId: string;
  readonly sku: string;
  readonly name: string;
  readonly unitPriceCents: number;
  readonly quantity: number;
  readonly lineTotalCents: number;
}

export interface OrderResponse {
  readonly id: string;
  readonly userId: string;
  readonly status: OrderStatus;
  readonly currency: string;
  readonly totalCents: number;
  readonly items: readonly OrderItemResponse[];
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export function toOrderResponse(order: OrderEntity): OrderResponse {
  return {
    id: order.id,
    userId: order.userId,
    status: order.status,
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
