import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

import { CatalogModule } from '../catalog';
import { IdempotencyKeyEntity } from './idempotency-key.entity';
import { IdempotencyKeysRepository } from './idempotency-keys.repository';
import { OrderItemEntity } from './order-item.entity';
import { OrderEntity } from './order.entity';
import { OrdersController } from './orders.controller';
import { OrdersRepository } from './orders.repository';
import { OrdersService } from './orders.service';

/** Orders: placement with atomic stock reservation, the status machine, idempotency. */
@Module({
  imports: [
    CatalogModule,
    TypeOrmModule.forFeature([OrderEntity, OrderItemEntity, IdempotencyKeyEntity]),
  ],
  controllers: [OrdersController],
  providers: [OrdersService, OrdersRepository, IdempotencyKeysRepository],
  exports: [OrdersService],
})
export class OrdersModule {}
