/**
 * The catalog's hand-written SQL: the one place in this module where SQL is written by hand
 * (docs/ARCHITECTURE.md, Persistence). Everything else in ProductsRepository goes through
 * TypeORM's repository API. Each statement is here because `npm run bench` showed TypeORM's
 * query building costing more than the query itself (docs/PERFORMANCE.md):
 *
 * - `productById`: `GET /products/:id`, the hottest read (bench `product-get`).
 * - `productsByIds`: the quote every placement starts with (bench `order-place`).
 * - `stockReservation`: the stock part of the one-statement placement (bench `order-place`);
 *   the bench's pgbench script sends this very statement (bench/lib/statements.ts).
 *
 * Reads select `columns`, the entity's select list (`EntityRows`), so they follow the entity.
 */
import type { SqlParams, Statement, StatementPart } from '@app/core';

/** A line to take stock for, with the price and name it was quoted at. */
export interface ReservedLine {
  readonly productId: string;
  readonly quantity: number;
  readonly unitPriceCents: number;
  readonly name: string;
}

/**
 * The stock half of a one-statement placement. `check` locks the products in id order
 * (concurrent placements cannot deadlock) and compares what it locked with the quote;
 * `ok` is true when every line still has the stock, price and name it was quoted with;
 * `take` subtracts the stock when the statement's gate lets the write through.
 */
export interface StockReservation {
  readonly check: (params: SqlParams) => string;
  readonly ok: string;
  readonly take: StatementPart;
}

export interface ProductStatements {
  readonly productById: Statement;
  readonly productsByIds: Statement;
}

export const productStatements = (columns: string): ProductStatements => ({
  productById: {
    name: 'products_by_id',
    text: `SELECT ${columns} FROM products p WHERE p.id = $1`,
  },
  productsByIds: {
    name: 'products_by_ids',
    text: `SELECT ${columns} FROM products p WHERE p.id = ANY($1::uuid[])`,
  },
});

/**
 * FOR UPDATE in a CTE returns the newest committed version of each row it waited for,
 * so the check sees what a concurrent placement left; the UPDATE re-reads the same
 * (now locked) rows. Every line is taken, or none.
 */
export function stockReservation(lines: readonly ReservedLine[]): StockReservation {
  return {
    check: (params) => {
      const ids = params.add(
        lines.map((l) => l.productId),
        'uuid[]',
      );
      const quantities = params.add(
        lines.map((l) => l.quantity),
        'integer[]',
      );
      const prices = params.add(
        lines.map((l) => l.unitPriceCents),
        'integer[]',
      );
      const names = params.add(
        lines.map((l) => l.name),
        'varchar[]',
      );
      return `stock_lines AS (
          SELECT * FROM unnest(${ids}, ${quantities}, ${prices}, ${names})
            AS l(product_id, quantity, price_cents, name)
        ), stock_locked AS (
          SELECT p.id, p.stock, p.price_cents, p.name FROM products p
          WHERE p.id IN (SELECT product_id FROM stock_lines) ORDER BY p.id FOR UPDATE
        ), stock_checked AS (
          SELECT count(*) = (SELECT count(*) FROM stock_lines) AS ok
          FROM stock_locked k JOIN stock_lines l ON l.product_id = k.id
          WHERE k.stock >= l.quantity AND k.price_cents = l.price_cents AND k.name = l.name
        )`;
    },
    ok: '(SELECT ok FROM stock_checked)',
    take: (_params, gate) => `stock_taken AS (
        UPDATE products p SET stock = p.stock - l.quantity, updated_at = now()
        FROM stock_lines l
        WHERE p.id = l.product_id AND EXISTS (SELECT 1 FROM ${gate})
        RETURNING p.id
      )`,
  };
}
