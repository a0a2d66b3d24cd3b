export const OrderStatus = {
  PENDING: 'pending',
  PAID: 'paid',
  SHIPPED: 'shipped',
  DELIVERED: 'delivered',
  CANCELLED: 'cancelled',
} as const;

export type OrderStatus = (typeof OrderStatus)[keyof typeof OrderStatus];

export const ORDER_STATUSES: readonly OrderStatus[] = Object.values(OrderStatus);

/**
 * The one transition table, used by the service and the API description:
 * pending → paid → shipped → delivered; pending or paid → cancelled.
 */
export const ORDER_TRANSITIONS = {
  pending: ['paid', 'cancelled'],
  paid: ['shipped', 'cancelled'],
  shipped: ['delivered'],
  delivered: [],
  cancelled: [],
} as const satisfies Record<OrderStatus, readonly OrderStatus[]>;

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return (ORDER_TRANSITIONS[from] as readonly OrderStatus[]).includes(to);
}

/** Stock goes back to the catalog when an order reaches this state. */
export const releasesStock = (to: OrderStatus): boolean => to === OrderStatus.CANCELLED;

/** Who or what cancelled an order: its owner, an admin, or the system once it expired. */
export const CancelReason = {
  CUSTOMER: 'customer',
  ADMIN: 'admin',
  EXPIRED: 'expired',
} as const;

export type CancelReason = (typeof CancelReason)[keyof typeof CancelReason];

export const CANCEL_REASONS: readonly CancelReason[] = Object.values(CancelReason);
