import { randomUUID } from 'node:crypto';

import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository, type EntityManager } from 'typeorm';

import { EntityRows, type Keyset, type Transaction } from '@app/core';

import { OrderItemEntity } from './order-item.entity';
import { OrderEntity } from './order.entity';
import type { OrderStatus } from './order-status';
import type { PricedLine } from './pricing';

export interface NewOrder {
  readonly userId: string;
  readonly currency: string;
  readonly totalCents: number;
  readonly lines: readonly PricedLine[];
}

export interface OrderFilter {
  readonly userId?: string;
  readonly status?: OrderStatus;
}

type Row = Record<string, unknown>;

/**
 * Reads and the placement INSERT are constant SQL over `EntityRows` (the query builder
 * cost more than the queries on the order list and placement); the status update still
 * goes through TypeORM's query builder.
 */
@Injectable()
export class OrdersRepository {
  private readonly orderRows: EntityRows<OrderEntity>;
  private readonly itemRows: EntityRows<OrderItemEntity>;
  private readonly itemsSql: string;
  private readonly insertSql: string;

  constructor(
    @InjectRepository(OrderEntity) private readonly orders: Repository<OrderEntity>,
    @InjectRepository(OrderItemEntity) items: Repository<OrderItemEntity>,
  ) {
    this.orderRows = new EntityRows(orders.metadata, 'o');
    this.itemRows = new EntityRows(items.metadata, 'i');
    // The items' INSERT reads the order's id from the first; the foreign key is checked at
    // the end of the statement, when both rows exist.
    this.insertSql = `WITH o AS (
        INSERT INTO ${this.orderRows.table} (user_id, status, currency, total_cents)
        VALUES ($1, 'pending', $2, $3)
        RETURNING *
      ), i AS (
        INSERT INTO ${this.itemRows.table}
          (id, order_id, position, product_id, sku, name, unit_price_cents, quantity, line_total_cents)
        SELECT l.id, o.id, l.position, l.product_id, l.sku, l.name, l.unit_price_cents, l.quantity,
               l.line_total_cents
        FROM o, unnest($4::uuid[], $5::smallint[], $6::uuid[], $7::varchar[], $8::varchar[],
                       $9::integer[], $10::integer[], $11::bigint[])
          AS l(id, position, product_id, sku, name, unit_price_cents, quantity, line_total_cents)
      )
      SELECT ${this.orderRows.columns} FROM o`;
    this.itemsSql = `SELECT ${this.itemRows.columns} FROM ${this.itemRows.table} i
      WHERE i.order_id = ANY($1::uuid[]) ORDER BY i.order_id, i.position`;
  }

  /**
   * The order and its items in one statement, in the caller's transaction. Everything the
   * entity holds is either sent (item ids are minted here) or returned by the statement
   * (order id, timestamps, version): no re-read, one round trip.
   */
  async insert(tx: Transaction, order: NewOrder): Promise<OrderEntity> {
    const items = order.lines.map((line, position) => ({ ...line, id: randomUUID(), position }));
    const column = <K extends keyof (typeof items)[number]>(key: K) => items.map((i) => i[key]);
    const rows: Row[] = await tx.manager.query(this.insertSql, [
      order.userId,
      order.currency,
      order.totalCents,
      column('id'),
      column('position'),
      column('productId'),
      column('sku'),
      column('name'),
      column('unitPriceCents'),
      column('quantity'),
      column('lineTotalCents'),
    ]);
    const row = rows[0];
    if (row === undefined) {
      throw new Error('INSERT … RETURNING gave no order row');
    }
    const saved = this.orderRows.hydrate(row);
    saved.items = items.map((item) => ({ ...item, orderId: saved.id }) as OrderItemEntity);
    return saved;
  }

  /** Ownership-scoped read: another user's order is simply not found. */
  async findById(id: string, ownerId: string | null): Promise<OrderEntity | null> {
    const owner = ownerId === null ? '' : ' AND o.user_id = $2';
    const found = await this.selectOrders(
      this.orders.manager,
      `WHERE o.id = $1${owner}`,
      ownerId === null ? [id] : [id, ownerId],
    );
    return found[0] ?? null;
  }

  /** Locks the order row for a status change; items are loaded for stock release. */
  async lockById(tx: Transaction, id: string): Promise<OrderEntity | null> {
    const [order] = await this.selectOrders(tx.manager, 'WHERE o.id = $1 FOR UPDATE', [id]);
    return order ?? null;
  }

  /**
   * Conditional on the version read under lock, so a status change can never be lost
   * or applied twice. Returns the updated order, or null if the version moved.
   */
  async updateStatus(
    tx: Transaction,
    id: string,
    expectedVersion: number,
    status: OrderStatus,
  ): Promise<OrderEntity | null> {
    const result = await tx.manager
      .getRepository(OrderEntity)
      .createQueryBuilder()
      .update()
      .set({ status, version: () => 'version + 1' })
      .where('id = :id AND version = :expectedVersion', { id, expectedVersion })
      .execute();
    return (result.affected ?? 0) === 1 ? this.requireWithItems(tx, id) : null;
  }

  /** Newest first with items, `limit + 1` rows so the caller knows about a next page. */
  listPage(filter: OrderFilter, after: Keyset | null, limit: number): Promise<OrderEntity[]> {
    const params: unknown[] = [];
    const param = (value: unknown): string => `$${String(params.push(value))}`;
    const where: string[] = [];
    if (filter.userId !== undefined) {
      where.push(`o.user_id = ${param(filter.userId)}`);
    }
    if (filter.status !== undefined) {
      where.push(`o.status = ${param(filter.status)}`);
    }
    if (after !== null) {
      where.push(`(o.created_at, o.id) < (${param(after.createdAt)}, ${param(after.id)})`);
    }
    const clause = where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`;
    return this.selectOrders(
      this.orders.manager,
      `${clause} ORDER BY o.created_at DESC, o.id DESC LIMIT ${param(limit + 1)}`,
      params,
    );
  }

  /** Orders matching `tail` (a WHERE/ORDER/LIMIT over alias `o`), each with its items. */
  private async selectOrders(
    manager: EntityManager,
    tail: string,
    params: readonly unknown[],
  ): Promise<OrderEntity[]> {
    const rows: Row[] = await manager.query(
      `SELECT ${this.orderRows.columns} FROM ${this.orderRows.table} o ${tail}`,
      [...params],
    );
    const orders = rows.map((row) => this.orderRows.hydrate(row));
    if (orders.length === 0) {
      return orders;
    }
    const byOrder = new Map<string, OrderItemEntity[]>();
    for (const order of orders) {
      order.items = [];
      byOrder.set(order.id, order.items);
    }
    const items: Row[] = await manager.query(this.itemsSql, [[...byOrder.keys()]]);
    for (const row of items) {
      const item = this.itemRows.hydrate(row);
      byOrder.get(item.orderId)?.push(item);
    }
    return orders;
  }

  private async requireWithItems(tx: Transaction, id: string): Promise<OrderEntity> {
    const [order] = await this.selectOrders(tx.manager, 'WHERE o.id = $1', [id]);
    if (order === undefined) {
      throw new Error(`order ${id} vanished inside its own transaction`);
    }
    return order;
  }
}
