/**
 * The events the orders module writes to the outbox, in the same transaction as the change
 * (API.md, Events and webhooks). `data` of each is the `Order` after the change.
 */
export const ORDER_EVENT_TYPES = [
  'order.placed',
  'order.status_changed',
  'order.cancelled',
] as const;
export type OrderEventType = (typeof ORDER_EVENT_TYPES)[number];

/** The event types by name, for the code that writes them. */
export const OrderEvent = {
  PLACED: 'order.placed',
  STATUS_CHANGED: 'order.status_changed',
  CANCELLED: 'order.cancelled',
} as const satisfies Record<string, OrderEventType>;
