/** The orders module's public entry: the only file other modules (and the app) import. */
export { ORDER_EVENT_TYPES, type OrderEventType } from './order-events';
export { CancelReason, OrderStatus } from './order-status';
export { OrdersErrorCode } from './orders.errors';
export { OrdersModule } from './orders.module';
export { ChangeOrderStatus } from './change-order-status';
export { OrderQueries } from './order-queries';
export { PlaceOrder, type PlacementResult } from './place-order';
