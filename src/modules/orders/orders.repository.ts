import { randomUUID } from 'node:crypto';

import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, LessThan, Repository } from 'typeorm';

import { EntityRows, SqlRunner, type Keyset, type OutboxEvent, type Transaction } from '@app/core';

import type { StockReservation } from '../catalog';

import { OrderItemEntity } from './order-item.entity';
import { OrderEntity } from './order.entity';
import { OrderStatus, type CancelReason } from './order-status';
import {
  orderStatements,
  placementStatement,
  type OrderFilter,
  type OrderStatements,
  type PlacementGate,
  type PlacementRow,
} from './orders.sql';
import type { PricedLine } from './pricing';

export interface NewOrder {
  readonly userId: string;
  readonly currency: string;
  readonly totalCents: number;
  readonly lines: readonly PricedLine[];
}

export interface PlacementOutcome {
  /** Every line still had the quoted stock, price and name. */
  readonly stockOk: boolean;
  /** The order, its items and the stock were written (the gate opened). */
  readonly placed: boolean;
}

/**
 * Whose orders a caller may see: `ownerId` null is everyone's (an admin), otherwise only the
 * owner's. Every read and every transition applies it in the query, so another user's
 * order is simply not found.
 */
export interface OrderScope {
  readonly ownerId: string | null;
}

type Row = Record<string, unknown>;

/**
 * TypeORM's repository API, except the statements of orders.sql.ts (placement and the
 * reads after it), which run as named prepared statements through SqlRunner.
 */
@Injectable()
export class OrdersRepository {
  private readonly orderRows: EntityRows<OrderEntity>;
  private readonly itemRows: EntityRows<OrderItemEntity>;
  private readonly statements: OrderStatements;

  constructor(
    @InjectRepository(OrderEntity) orders: Repository<OrderEntity>,
    @InjectRepository(OrderItemEntity) items: Repository<OrderItemEntity>,
    private readonly sql: SqlRunner,
  ) {
    this.orderRows = new EntityRows(orders.metadata, 'o');
    this.itemRows = new EntityRows(items.metadata, 'i');
    this.statements = orderStatements(this.orderRows.columns, this.itemRows.columns);
  }

  /** A new pending order with every id and timestamp minted here, ready to place. */
  create(order: NewOrder): OrderEntity {
    const now = new Date();
    const id = randomUUID();
    return Object.assign(new OrderEntity(), {
      id,
      userId: order.userId,
      status: OrderStatus.PENDING,
      cancelReason: null,
      currency: order.currency,
      totalCents: order.totalCents,
      version: 1,
      createdAt: now,
      updatedAt: now,
      items: order.lines.map((line, position) =>
        Object.assign(new OrderItemEntity(), { ...line, id: randomUUID(), orderId: id, position }),
      ),
    });
  }

  /**
   * Places `order` in one autocommit statement (orders.sql.ts), with its `events`: they are
   * written if and only if the order is. Everything the response holds was minted by
   * create(), so nothing is read back.
   */
  async place(
    order: OrderEntity,
    stock: StockReservation,
    gate: PlacementGate,
    events: readonly OutboxEvent[],
  ): Promise<PlacementOutcome> {
    const statement = placementStatement(order, stock, gate, events);
    const [row] = await this.sql.rows<PlacementRow & Row>(statement, statement.values);
    return { stockOk: row?.stockOk === true, placed: row?.placed === true };
  }

  async findById(id: string, scope: OrderScope): Promise<OrderEntity | null> {
    const found =
      scope.ownerId === null
        ? await this.sql.rows(this.statements.byId, [id])
        : await this.sql.rows(this.statements.byIdOwned, [id, scope.ownerId]);
    const [order] = await this.withItems(found);
    return order ?? null;
  }

  /** Newest first with items, `limit + 1` rows so the caller knows about a next page. */
  async listPage(filter: OrderFilter, after: Keyset | null, limit: number): Promise<OrderEntity[]> {
    const statement = this.statements.page(filter, after, limit);
    return this.withItems(await this.sql.rows(statement, statement.values));
  }

  /** Locks the order row for a status change, within `scope`; items are loaded for stock release. */
  async lockById(tx: Transaction, id: string, scope: OrderScope): Promise<OrderEntity | null> {
    const order = await tx.manager.findOne(OrderEntity, {
      where: scope.ownerId === null ? { id } : { id, userId: scope.ownerId },
      lock: { mode: 'pessimistic_write' },
    });
    if (order === null) {
      return null;
    }
    order.items = await this.itemsOf(tx, id);
    return order;
  }

  /**
   * Locks up to `limit` pending orders placed before `before`, oldest first, with their
   * items. Orders another transaction holds (being cancelled or paid right now) are skipped,
   * not waited for: that transaction decides them, and a later run sees what it decided.
   */
  async lockPendingBefore(tx: Transaction, before: Date, limit: number): Promise<OrderEntity[]> {
    const orders = await tx.manager.find(OrderEntity, {
      where: { status: OrderStatus.PENDING, createdAt: LessThan(before) },
      order: { createdAt: 'ASC', id: 'ASC' },
      take: limit,
      lock: { mode: 'pessimistic_write', onLocked: 'skip_locked' },
    });
    if (orders.length === 0) {
      return orders;
    }
    const items = await tx.manager.find(OrderItemEntity, {
      where: { orderId: In(orders.map((order) => order.id)) },
      order: { orderId: 'ASC', position: 'ASC' },
    });
    return attachItems(orders, items);
  }

  /**
   * Conditional on the version read under lock, so a status change can never be lost
   * or applied twice. Returns the updated order (its items are the locked order's: a status
   * change does not touch them), or null if the version moved.
   */
  async updateStatus(
    tx: Transaction,
    locked: OrderEntity,
    status: OrderStatus,
    cancelReason: CancelReason | null,
  ): Promise<OrderEntity | null> {
    const result = await tx.manager.update(
      OrderEntity,
      { id: locked.id, version: locked.version },
      { status, cancelReason, version: () => 'version + 1' },
    );
    if ((result.affected ?? 0) !== 1) {
      return null;
    }
    const order = await tx.manager.findOneByOrFail(OrderEntity, { id: locked.id });
    order.items = locked.items;
    return order;
  }

  private itemsOf(tx: Transaction, orderId: string): Promise<OrderItemEntity[]> {
    return tx.manager.find(OrderItemEntity, { where: { orderId }, order: { position: 'ASC' } });
  }

  /** The hydrated orders of `rows`, each with its items (one more statement for all of them). */
  private async withItems(rows: Row[]): Promise<OrderEntity[]> {
    const orders = rows.map((row) => this.orderRows.hydrate(row));
    if (orders.length === 0) {
      return orders;
    }
    const items = await this.sql.rows(this.statements.itemsOf, [orders.map((order) => order.id)]);
    return attachItems(
      orders,
      items.map((row) => this.itemRows.hydrate(row)),
    );
  }
}

/** `orders` with their `items` (read in position order), each under its own order. */
function attachItems(orders: OrderEntity[], items: readonly OrderItemEntity[]): OrderEntity[] {
  const byOrder = new Map<string, OrderItemEntity[]>();
  for (const order of orders) {
    order.items = [];
    byOrder.set(order.id, order.items);
  }
  for (const item of items) {
    byOrder.get(item.orderId)?.push(item);
  }
  return orders;
}
