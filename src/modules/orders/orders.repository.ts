import { randomUUID } from 'node:crypto';

import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';

import {
  EntityRows,
  SqlParams,
  SqlRunner,
  type Keyset,
  type StatementPart,
  type Transaction,
} from '@app/core';

import type { StockReservation } from '../catalog';

import { OrderItemEntity } from './order-item.entity';
import { OrderEntity } from './order.entity';
import { OrderStatus } from './order-status';
import type { PricedLine } from './pricing';

export interface NewOrder {
  readonly userId: string;
  readonly currency: string;
  readonly totalCents: number;
  readonly lines: readonly PricedLine[];
}

/**
 * What lets a placement write: `cte` builds the CTE named `name` that returns a row only
 * when `when` (all stock can be taken) holds and nothing else stands in the way (a live
 * idempotency key). `kind` names the statement it makes (one prepared statement per kind).
 */
export interface PlacementGate {
  readonly kind: string;
  readonly cte: (params: SqlParams, when: string, name: string) => string;
}

/** Without an idempotency key, the stock check alone opens the gate. */
export const STOCK_GATE: PlacementGate = {
  kind: 'stock',
  cte: (_params, when, name) => `${name} AS (SELECT 1 WHERE ${when})`,
};

export interface PlacementOutcome {
  /** Every line still had the quoted stock, price and name. */
  readonly stockOk: boolean;
  /** The order, its items and the stock were written (the gate opened). */
  readonly placed: boolean;
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

  constructor(
    @InjectRepository(OrderEntity) private readonly orders: Repository<OrderEntity>,
    @InjectRepository(OrderItemEntity) items: Repository<OrderItemEntity>,
    private readonly sql: SqlRunner,
  ) {
    this.orderRows = new EntityRows(orders.metadata, 'o');
    this.itemRows = new EntityRows(items.metadata, 'i');
    this.itemsSql = `SELECT ${this.itemRows.columns} FROM ${this.itemRows.table} i
      WHERE i.order_id = ANY($1::uuid[]) ORDER BY i.order_id, i.position`;
  }

  /** A new pending order with every id and timestamp minted here, ready to place. */
  create(order: NewOrder): OrderEntity {
    const now = new Date();
    const id = randomUUID();
    return Object.assign(new OrderEntity(), {
      id,
      userId: order.userId,
      status: OrderStatus.PENDING,
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
   * Places `order` in one autocommit statement: lock and check the stock, open the gate,
   * take the stock, insert the order and its items. Everything the response holds was
   * minted by create(), so nothing is read back. The row locks last from the check to the
   * end of this statement: no round trip to Node while other orders for the same product
   * wait on them.
   */
  async place(
    order: OrderEntity,
    stock: StockReservation,
    gate: PlacementGate,
  ): Promise<PlacementOutcome> {
    const params = new SqlParams();
    const name = 'placement_gate';
    const sql = `WITH ${stock.check(params)},
      ${gate.cte(params, stock.ok, name)},
      ${stock.take(params, name)},
      ${this.insertPart(order)(params, name)}
      SELECT ${stock.ok} AS "stockOk", EXISTS (SELECT 1 FROM ${name}) AS "placed"`;
    const rows = await this.sql.rows<{ stockOk: boolean | null; placed: boolean }>(
      `orders_place_${gate.kind}`,
      sql,
      params.values,
    );
    const row = rows[0];
    return { stockOk: row?.stockOk === true, placed: row?.placed === true };
  }

  /** The order row and its items, written when the gate opens. */
  private insertPart(order: OrderEntity): StatementPart {
    return (params, gate) => {
      const column = (key: keyof OrderItemEntity, cast: string): string =>
        params.add(
          order.items.map((item) => item[key]),
          cast,
        );
      const id = params.add(order.id, 'uuid');
      const at = params.add(order.createdAt, 'timestamptz');
      return `order_row AS (
          INSERT INTO ${this.orderRows.table}
            (id, user_id, status, currency, total_cents, version, created_at, updated_at)
          SELECT ${id}, ${params.add(order.userId, 'uuid')}, ${params.add(order.status, 'varchar')},
            ${params.add(order.currency, 'char(3)')}, ${params.add(order.totalCents, 'bigint')},
            ${params.add(order.version, 'integer')}, ${at}, ${at}
          WHERE EXISTS (SELECT 1 FROM ${gate})
        ), order_lines AS (
          INSERT INTO ${this.itemRows.table}
            (id, order_id, position, product_id, sku, name, unit_price_cents, quantity, line_total_cents)
          SELECT l.id, ${id}, l.position, l.product_id, l.sku, l.name, l.unit_price_cents,
            l.quantity, l.line_total_cents
          FROM unnest(${column('id', 'uuid[]')}, ${column('position', 'smallint[]')},
            ${column('productId', 'uuid[]')}, ${column('sku', 'varchar[]')},
            ${column('name', 'varchar[]')}, ${column('unitPriceCents', 'integer[]')},
            ${column('quantity', 'integer[]')}, ${column('lineTotalCents', 'bigint[]')})
            AS l(id, position, product_id, sku, name, unit_price_cents, quantity, line_total_cents)
          WHERE EXISTS (SELECT 1 FROM ${gate})
        )`;
    };
  }

  /** Ownership-scoped read: another user's order is simply not found. */
  async findById(id: string, ownerId: string | null): Promise<OrderEntity | null> {
    const owner = ownerId === null ? '' : ' AND o.user_id = $2';
    const found = await this.selectOrders(
      ownerId === null ? 'orders_by_id' : 'orders_by_id_owner',
      `WHERE o.id = $1${owner}`,
      ownerId === null ? [id] : [id, ownerId],
    );
    return found[0] ?? null;
  }

  /** Locks the order row for a status change; items are loaded for stock release. */
  async lockById(tx: Transaction, id: string): Promise<OrderEntity | null> {
    const [order] = await this.selectOrders(tx, 'WHERE o.id = $1 FOR UPDATE', [id]);
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
    const variant = `${filter.userId === undefined ? '' : 'u'}${filter.status === undefined ? '' : 's'}${after === null ? '' : 'a'}`;
    return this.selectOrders(
      `orders_page_${variant}`,
      `${clause} ORDER BY o.created_at DESC, o.id DESC LIMIT ${param(limit + 1)}`,
      params,
    );
  }

  /**
   * Orders matching `tail` (a WHERE/ORDER/LIMIT over alias `o`), each with its items: in
   * `source`'s transaction, or else as the prepared statement `source` names.
   */
  private async selectOrders(
    source: Transaction | string,
    tail: string,
    params: readonly unknown[],
  ): Promise<OrderEntity[]> {
    const query = (name: string, text: string, values: readonly unknown[]): Promise<Row[]> =>
      typeof source === 'string'
        ? this.sql.rows<Row>(name, text, values)
        : source.manager.query(text, [...values]);
    const rows = await query(
      typeof source === 'string' ? source : '',
      `SELECT ${this.orderRows.columns} FROM ${this.orderRows.table} o ${tail}`,
      params,
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
    const items = await query('order_items_of', this.itemsSql, [[...byOrder.keys()]]);
    for (const row of items) {
      const item = this.itemRows.hydrate(row);
      byOrder.get(item.orderId)?.push(item);
    }
    return orders;
  }

  private async requireWithItems(tx: Transaction, id: string): Promise<OrderEntity> {
    const [order] = await this.selectOrders(tx, 'WHERE o.id = $1', [id]);
    if (order === undefined) {
      throw new Error(`order ${id} vanished inside its own transaction`);
    }
    return order;
  }
}
