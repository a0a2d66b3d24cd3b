/** The orders module's public entry: the only file other modules (and the app) import. */
export { OrderStatus } from './order-status';
export { OrdersErrorCode } from './orders.errors';
export { OrdersModule } from './orders.module';
export { OrdersService } from './orders.service';
