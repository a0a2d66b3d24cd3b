import { Injectable } from '@nestjs/common';

import { TransactionRunner, type AuthenticatedUser } from '@app/core';

import { CatalogService } from '../catalog';
import { toOrderResponse, type OrderResponse } from './dto/order.response';
import { OrderStatus, canTransition, releasesStock } from './order-status';
import { scopeOf } from './order-scope';
import { IllegalTransitionError, OrderNotFoundError, VersionMismatchError } from './orders.errors';
import { OrdersRepository } from './orders.repository';

/**
 * Cancellation by an owner or an admin, and any status change by an admin (the route
 * decides who may call which). Every transition locks the order within the caller's scope,
 * checks If-Match and the status table, returns stock when cancelling, and updates
 * conditionally on the version it read: of two concurrent transitions, exactly one wins.
 */
@Injectable()
export class ChangeOrderStatus {
  constructor(
    private readonly transactions: TransactionRunner,
    private readonly orders: OrdersRepository,
    private readonly catalog: CatalogService,
  ) {}

  cancel(
    id: string,
    viewer: AuthenticatedUser,
    expectedVersion: number | undefined,
  ): Promise<OrderResponse> {
    return this.execute(id, OrderStatus.CANCELLED, viewer, expectedVersion);
  }

  execute(
    id: string,
    to: OrderStatus,
    viewer: AuthenticatedUser,
    expectedVersion: number | undefined,
  ): Promise<OrderResponse> {
    return this.transactions.run(async (tx) => {
      const order = await this.orders.lockById(tx, id, scopeOf(viewer));
      if (order === null) {
        throw new OrderNotFoundError(id);
      }
      if (expectedVersion !== undefined && expectedVersion !== order.version) {
        throw new VersionMismatchError(order.version);
      }
      if (!canTransition(order.status, to)) {
        throw new IllegalTransitionError(order.status, to);
      }
      if (releasesStock(to)) {
        await this.catalog.release(
          tx,
          order.items.map((item) => ({ productId: item.productId, quantity: item.quantity })),
        );
      }
      const updated = await this.orders.updateStatus(tx, id, order.version, to);
      if (updated === null) {
        throw new VersionMismatchError(order.version);
      }
      return toOrderResponse(updated);
    });
  }
}
