/**
 * The orders module's hand-written SQL: the one place in this module where SQL is written
 * by hand (docs/ARCHITECTURE.md, Persistence). Everything else in the orders repositories
 * goes through TypeORM's repository API. Each statement is here because `npm run bench`
 * showed TypeORM's query building costing more than the query itself (docs/PERFORMANCE.md):
 *
 * - `placementStatement`: `POST /orders` in one autocommit statement (bench `order-place`
 *   and `order-place-keyed`); the bench's pgbench script sends this very statement.
 * - `rememberKeyPart`: the idempotency key of a keyed placement, inside that statement.
 * - `orderStatements`: an order by id and a page of orders with their items (bench
 *   `order-list`, and the read after every placement a client makes).
 *
 * Reads select `columns`, the entity's select list (`EntityRows`), so they follow the entity.
 */
// SqlParams by its own path: the bench loads this file into its framework-free baseline, which
// must not pull in the rest of core (Nest, TypeORM) with it.
import type { Keyset, Statement, StatementPart } from '@app/core';
import { SqlParams } from '@app/core/database/sql-params';
import { outboxInsertPart, type OutboxEvent } from '@app/core/outbox/outbox.sql';

import type { StockReservation } from '../catalog';

import type { OrderStatus } from './order-status';

/** The row and items of a new order, every id and timestamp minted by the service. */
export interface OrderToInsert {
  readonly id: string;
  readonly userId: string;
  readonly status: OrderStatus;
  readonly currency: string;
  readonly totalCents: number;
  readonly version: number;
  readonly createdAt: Date;
  readonly items: ReadonlyArray<{
    readonly id: string;
    readonly position: number;
    readonly productId: string;
    readonly sku: string;
    readonly name: string;
    readonly unitPriceCents: number;
    readonly quantity: number;
    readonly lineTotalCents: number;
  }>;
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

/** What a keyed placement remembers, and for how long. */
export interface KeyToRemember {
  readonly userId: string;
  readonly key: string;
  readonly requestHash: string;
  readonly responseBody: unknown;
  readonly ttlMs: number;
}

/**
 * A gate CTE that stores the response under the key when `when` holds, taking over an
 * expired key, and returns a row only if it stored one. A live key stops it (no row: the
 * caller replays the stored response). A concurrent statement holding the same new key
 * makes it wait for that statement's end, then see the key: of concurrent requests with
 * one key, exactly one writes.
 */
export const rememberKeyPart = (entry: KeyToRemember): PlacementGate => ({
  kind: 'keyed',
  cte: (params, when, name) => `${name} AS (
      INSERT INTO idempotency_keys (user_id, key, request_hash, response_body, expires_at)
      SELECT ${params.add(entry.userId, 'uuid')}, ${params.add(entry.key, 'varchar')},
        ${params.add(entry.requestHash, 'char(64)')},
        ${params.add(JSON.stringify(entry.responseBody), 'jsonb')},
        now() + make_interval(secs => ${params.add(entry.ttlMs, 'double precision')} / 1000)
      WHERE ${when}
      ON CONFLICT (user_id, key) DO UPDATE
        SET request_hash = EXCLUDED.request_hash, response_body = EXCLUDED.response_body,
            created_at = now(), expires_at = EXCLUDED.expires_at
        WHERE idempotency_keys.expires_at <= now()
      RETURNING 1
    )`,
});

/** The order row and its items, written when the gate opens. */
const insertOrderPart =
  (order: OrderToInsert): StatementPart =>
  (params, gate) => {
    const column = (key: keyof OrderToInsert['items'][number], cast: string): string =>
      params.add(
        order.items.map((item) => item[key]),
        cast,
      );
    const id = params.add(order.id, 'uuid');
    const at = params.add(order.createdAt, 'timestamptz');
    return `order_row AS (
        INSERT INTO orders
          (id, user_id, status, currency, total_cents, version, created_at, updated_at)
        SELECT ${id}, ${params.add(order.userId, 'uuid')}, ${params.add(order.status, 'varchar')},
          ${params.add(order.currency, 'char(3)')}, ${params.add(order.totalCents, 'bigint')},
          ${params.add(order.version, 'integer')}, ${at}, ${at}
        WHERE EXISTS (SELECT 1 FROM ${gate})
      ), order_lines AS (
        INSERT INTO order_items
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

/** The statement a placement sends, its values, and the prepared-statement name it runs as. */
export interface PlacementStatement extends Statement {
  readonly values: readonly unknown[];
}

/** The row a placement statement returns. */
export interface PlacementRow {
  /** Every line still had the quoted stock, price and name. */
  readonly stockOk: boolean | null;
  /** The order, its items and the stock were written (the gate opened). */
  readonly placed: boolean;
}

/**
 * One autocommit statement: lock and check the stock, open the gate, take the stock,
 * insert the order, its items and its `events` (the outbox: `order.placed`). The row locks
 * last from the check to the end of this statement: no round trip to Node while other
 * orders for the same product wait on them. A closed gate (no stock, a live idempotency key)
 * writes none of it.
 */
export function placementStatement(
  order: OrderToInsert,
  stock: StockReservation,
  gate: PlacementGate,
  events: readonly OutboxEvent[],
): PlacementStatement {
  const params = new SqlParams();
  const name = 'placement_gate';
  const text = `WITH ${stock.check(params)},
      ${gate.cte(params, stock.ok, name)},
      ${stock.take(params, name)},
      ${insertOrderPart(order)(params, name)},
      ${outboxInsertPart(events)(params, name)}
      SELECT ${stock.ok} AS "stockOk", EXISTS (SELECT 1 FROM ${name}) AS "placed"`;
  return { name: `orders_place_${gate.kind}`, text, values: params.values };
}

export interface OrderFilter {
  /** Only this user's orders (an owner's view, or an admin's filter). */
  readonly userId?: string;
  readonly status?: OrderStatus;
}

export interface OrderStatements {
  readonly byId: Statement;
  readonly byIdOwned: Statement;
  readonly itemsOf: Statement;
  page(filter: OrderFilter, after: Keyset | null, limit: number): PlacementStatement;
}

export function orderStatements(columns: string, itemColumns: string): OrderStatements {
  const select = `SELECT ${columns} FROM orders o`;
  return {
    byId: { name: 'orders_by_id', text: `${select} WHERE o.id = $1` },
    byIdOwned: { name: 'orders_by_id_owner', text: `${select} WHERE o.id = $1 AND o.user_id = $2` },
    itemsOf: {
      name: 'order_items_of',
      text: `SELECT ${itemColumns} FROM order_items i
        WHERE i.order_id = ANY($1::uuid[]) ORDER BY i.order_id, i.position`,
    },
    page(filter, after, limit) {
      const params = new SqlParams();
      const where: string[] = [];
      if (filter.userId !== undefined) {
        where.push(`o.user_id = ${params.add(filter.userId)}`);
      }
      if (filter.status !== undefined) {
        where.push(`o.status = ${params.add(filter.status)}`);
      }
      if (after !== null) {
        where.push(
          `(o.created_at, o.id) < (${params.add(after.createdAt)}, ${params.add(after.id)})`,
        );
      }
      const clause = where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`;
      const variant = `${filter.userId === undefined ? '' : 'u'}${filter.status === undefined ? '' : 's'}${after === null ? '' : 'a'}`;
      return {
        name: `orders_page_${variant}`,
        text: `${select}${clause} ORDER BY o.created_at DESC, o.id DESC LIMIT ${params.add(limit + 1)}`,
        values: params.values,
      };
    },
  };
}
