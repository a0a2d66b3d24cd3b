import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';

import {
  EntityRows,
  PgErrorCode,
  SqlRunner,
  databaseErrorCode,
  type Keyset,
  type SqlParams,
  type StatementPart,
  type Transaction,
} from '@app/core';

import { SkuTakenError } from './catalog.errors';
import { ProductEntity } from './product.entity';

export interface NewProduct {
  readonly sku: string;
  readonly name: string;
  readonly priceCents: number;
  readonly currency: string;
  readonly stock: number;
}

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

export type ProductChanges = Partial<Pick<ProductEntity, 'name' | 'priceCents' | 'stock'>>;

/** `%`, `_` and `\` are literal in a search term, not wildcards. */
const escapeLike = (term: string): string => term.replace(/[\\%_]/g, (c) => `\\${c}`);

@Injectable()
export class ProductsRepository {
  private readonly rows: EntityRows<ProductEntity>;
  private readonly findByIdSql: string;
  private readonly findManyByIdSql: string;
  private readonly returnStockSql: string;

  constructor(
    @InjectRepository(ProductEntity) private readonly products: Repository<ProductEntity>,
    private readonly sql: SqlRunner,
  ) {
    this.rows = new EntityRows(products.metadata, 'p');
    this.findByIdSql = `SELECT ${this.rows.columns} FROM ${this.rows.table} p WHERE p.id = $1`;
    this.findManyByIdSql = `SELECT ${this.rows.columns} FROM ${this.rows.table} p
      WHERE p.id = ANY($1::uuid[])`;
    this.returnStockSql = `UPDATE ${this.rows.table} SET stock = stock + $2, updated_at = now()
      WHERE id = $1`;
  }

  async insert(product: NewProduct): Promise<ProductEntity> {
    try {
      return await this.products.save(this.products.create(product));
    } catch (error: unknown) {
      if (databaseErrorCode(error) === PgErrorCode.UNIQUE_VIOLATION) {
        throw new SkuTakenError(product.sku);
      }
      throw error;
    }
  }

  /** The hottest read of the service: one constant statement, no query building. */
  async findById(id: string): Promise<ProductEntity | null> {
    const found = await this.sql.rows('products_by_id', this.findByIdSql, [id]);
    const row = found[0];
    return row === undefined ? null : this.rows.hydrate(row);
  }

  listPage(
    search: string | undefined,
    after: Keyset | null,
    limit: number,
  ): Promise<ProductEntity[]> {
    const query = this.products
      .createQueryBuilder('p')
      .orderBy('p.createdAt', 'DESC')
      .addOrderBy('p.id', 'DESC')
      .limit(limit + 1);
    if (search !== undefined) {
      query.andWhere("(p.name ILIKE :pattern ESCAPE '\\' OR p.sku ILIKE :pattern ESCAPE '\\')", {
        pattern: `%${escapeLike(search)}%`,
      });
    }
    if (after !== null) {
      query.andWhere('(p.createdAt, p.id) < (:createdAt, :id)', after);
    }
    return query.getMany();
  }

  /** Returns false when the product does not exist. */
  async update(id: string, changes: ProductChanges): Promise<boolean> {
    const result = await this.products.update({ id }, changes);
    return (result.affected ?? 0) > 0;
  }

  /** Unlocked read of several products (a quote); missing ids are absent. */
  async findManyById(ids: readonly string[]): Promise<ProductEntity[]> {
    const found = await this.sql.rows('products_by_ids', this.findManyByIdSql, [[...ids]]);
    return found.map((row) => this.rows.hydrate(row));
  }

  /**
   * FOR UPDATE in a CTE returns the newest committed version of each row it waited for,
   * so the check sees what a concurrent placement left; the UPDATE re-reads the same
   * (now locked) rows. Every line is taken, or none.
   */
  reservation(lines: readonly ReservedLine[]): StockReservation {
    const table = this.rows.table;
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
            SELECT p.id, p.stock, p.price_cents, p.name FROM ${table} p
            WHERE p.id IN (SELECT product_id FROM stock_lines) ORDER BY p.id FOR UPDATE
          ), stock_checked AS (
            SELECT count(*) = (SELECT count(*) FROM stock_lines) AS ok
            FROM stock_locked k JOIN stock_lines l ON l.product_id = k.id
            WHERE k.stock >= l.quantity AND k.price_cents = l.price_cents AND k.name = l.name
          )`;
      },
      ok: '(SELECT ok FROM stock_checked)',
      take: (_params, gate) => `stock_taken AS (
          UPDATE ${table} p SET stock = p.stock - l.quantity, updated_at = now()
          FROM stock_lines l
          WHERE p.id = l.product_id AND EXISTS (SELECT 1 FROM ${gate})
          RETURNING p.id
        )`,
    };
  }

  /** Gives `quantity` back (a cancelled order); locks the row until the caller's transaction ends. */
  async returnStock(tx: Transaction, id: string, quantity: number): Promise<void> {
    await tx.manager.query(this.returnStockSql, [id, quantity]);
  }
}
