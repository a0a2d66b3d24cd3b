import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

import { CatalogModule } from '../catalog';
import { UsersModule } from '../users';
import { IdempotencyKeyEntity } from './idempotency-key.entity';
import { IdempotencyKeysRepository } from './idempotency-keys.repository';
import { OrderItemEntity } from './order-item.entity';
import { OrderEntity } from './order.entity';
import { OrdersController } from './orders.controller';
import { ChangeOrderStatus } from './change-order-status';
import { ExpirePendingOrders } from './expire-pending-orders';
import { OrderMetrics } from './order-metrics';
import { OrderQueries } from './order-queries';
import { OrdersRepository } from './orders.repository';
import { PlaceOrder } from './place-order';
import { PlacementIdempotency } from './placement-idempotency';

/**
 * Orders: placement with atomic stock reservation, the status machine, idempotency, their
 * events, and the expiry of abandoned pending orders.
 */
@Module({
  imports: [
    CatalogModule,
    UsersModule,
    TypeOrmModule.forFeature([OrderEntity, OrderItemEntity, IdempotencyKeyEntity]),
  ],
  controllers: [OrdersController],
  providers: [
    PlaceOrder,
    ChangeOrderStatus,
    ExpirePendingOrders,
    OrderQueries,
    PlacementIdempotency,
    OrderMetrics,
    OrdersRepository,
    IdempotencyKeysRepository,
  ],
  exports: [PlaceOrder, ChangeOrderStatus, OrderQueries],
})
export class OrdersModule {}
