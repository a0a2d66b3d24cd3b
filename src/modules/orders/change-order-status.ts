import { Injectable } from '@nestjs/common';

import { Outbox, TransactionRunner, type AuthenticatedUser, type Transaction } from '@app/core';

import { CatalogService } from '../catalog';
import { isAdmin } from '../users';
import { toOrderResponse, type OrderResponse } from './dto/order.response';
import { OrderEvent } from './order-events';
import type { OrderEntity } from './order.entity';
import { CancelReason, OrderStatus, canTransition, releasesStock } from './order-status';
import { scopeOf } from './order-scope';
import { IllegalTransitionError, OrderNotFoundError, VersionMismatchError } from './orders.errors';
import { OrdersRepository } from './orders.repository';

/** Where an order is going, and, when that is `cancelled`, who sends it there. */
export interface Transition {
  readonly to: OrderStatus;
  readonly cancelReason: CancelReason | null;
}

/**
 * Cancellation by an owner or an admin, any status change by an admin (the route decides who
 * may call which), and the system's expiry of pending orders. Every transition locks the order
 * (within the caller's scope), checks If-Match and the status table, returns stock when
 * cancelling, updates conditionally on the version it read and writes its event in the same
 * transaction: of two concurrent transitions, exactly one wins, with exactly one event.
 */
@Injectable()
export class ChangeOrderStatus {
  constructor(
    private readonly transactions: TransactionRunner,
    private readonly orders: OrdersRepository,
    private readonly catalog: CatalogService,
    private readonly outbox: Outbox,
  ) {}

  /** The owner's cancellation is the customer's; an admin's is the admin's. */
  cancel(
    id: string,
    viewer: AuthenticatedUser,
    expectedVersion: number | undefined,
  ): Promise<OrderResponse> {
    const cancelReason = isAdmin(viewer) ? CancelReason.ADMIN : CancelReason.CUSTOMER;
    return this.change(id, { to: OrderStatus.CANCELLED, cancelReason }, viewer, expectedVersion);
  }

  /** An admin's change (`PATCH /orders/:id/status`): a cancellation there is the admin's. */
  execute(
    id: string,
    to: OrderStatus,
    viewer: AuthenticatedUser,
    expectedVersion: number | undefined,
  ): Promise<OrderResponse> {
    const cancelReason = to === OrderStatus.CANCELLED ? CancelReason.ADMIN : null;
    return this.change(id, { to, cancelReason }, viewer, expectedVersion);
  }

  /**
   * Applies `transition` to `orders`, each locked by the caller in `tx` and at the version it
   * read: every check, one stock release for all of them (in product id order, so it cannot
   * deadlock with a placement), the conditional updates and one event each. The caller
   * nudges the outbox after `tx` commits.
   */
  async applyLocked(
    tx: Transaction,
    orders: readonly OrderEntity[],
    transition: Transition,
  ): Promise<OrderResponse[]> {
    const { to, cancelReason } = transition;
    for (const order of orders) {
      if (!canTransition(order.status, to)) {
        throw new IllegalTransitionError(order.status, to);
      }
    }
    if (releasesStock(to)) {
      await this.catalog.release(
        tx,
        orders.flatMap((order) =>
          order.items.map((item) => ({ productId: item.productId, quantity: item.quantity })),
        ),
      );
    }
    const changed: OrderResponse[] = [];
    for (const order of orders) {
      const updated = await this.orders.updateStatus(tx, order, to, cancelReason);
      if (updated === null) {
        throw new VersionMismatchError(order.version);
      }
      changed.push(toOrderResponse(updated));
    }
    const type = to === OrderStatus.CANCELLED ? OrderEvent.CANCELLED : OrderEvent.STATUS_CHANGED;
    await this.outbox.publish(tx, ...changed.map((order) => this.outbox.event(type, order)));
    return changed;
  }

  private async change(
    id: string,
    transition: Transition,
    viewer: AuthenticatedUser,
    expectedVersion: number | undefined,
  ): Promise<OrderResponse> {
    const changed = await this.transactions.run(async (tx) => {
      const order = await this.orders.lockById(tx, id, scopeOf(viewer));
      if (order === null) {
        throw new OrderNotFoundError(id);
      }
      if (expectedVersion !== undefined && expectedVersion !== order.version) {
        throw new VersionMismatchError(order.version);
      }
      const [updated] = await this.applyLocked(tx, [order], transition);
      if (updated === undefined) {
        throw new Error('A transition of one order changed none');
      }
      return updated;
    });
    this.outbox.nudge();
    return changed;
  }
}
