import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { ILike, Repository } from 'typeorm';

import {
  EntityRows,
  NEWEST_FIRST,
  PgErrorCode,
  SqlRunner,
  databaseErrorCode,
  pageAfter,
  type Keyset,
  type Transaction,
} from '@app/core';

import { SkuTakenError } from './catalog.errors';
import { ProductEntity } from './product.entity';
import {
  productStatements,
  stockReservation,
  type ProductStatements,
  type ReservedLine,
  type StockReservation,
} from './products.sql';

export type { ReservedLine, StockReservation } from './products.sql';

export interface NewProduct {
  readonly sku: string;
  readonly name: string;
  readonly priceCents: number;
  readonly currency: string;
  readonly stock: number;
}

export type ProductChanges = Partial<Pick<ProductEntity, 'name' | 'priceCents' | 'stock'>>;

/** `%`, `_` and `\` are literal in a search term, not wildcards (`\` is LIKE's escape). */
const escapeLike = (term: string): string => term.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * TypeORM's repository API, except the statements of products.sql.ts (hot reads and the
 * stock part of a placement), which run as named prepared statements through SqlRunner.
 */
@Injectable()
export class ProductsRepository {
  private readonly rows: EntityRows<ProductEntity>;
  private readonly statements: ProductStatements;

  constructor(
    @InjectRepository(ProductEntity) private readonly products: Repository<ProductEntity>,
    private readonly sql: SqlRunner,
  ) {
    this.rows = new EntityRows(products.metadata, 'p');
    this.statements = productStatements(this.rows.columns);
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

  async findById(id: string): Promise<ProductEntity | null> {
    const [row] = await this.sql.rows(this.statements.productById, [id]);
    return row === undefined ? null : this.rows.hydrate(row);
  }

  /** Newest first, optionally matching `search` in name or SKU; `limit + 1` rows. */
  listPage(
    search: string | undefined,
    after: Keyset | null,
    limit: number,
  ): Promise<ProductEntity[]> {
    const pattern = search === undefined ? undefined : ILike(`%${escapeLike(search)}%`);
    return this.products.find({
      where: pageAfter<ProductEntity>(
        after,
        pattern === undefined ? [] : [{ name: pattern }, { sku: pattern }],
      ),
      order: NEWEST_FIRST,
      take: limit + 1,
    });
  }

  /** Returns false when the product does not exist. */
  async update(id: string, changes: ProductChanges): Promise<boolean> {
    const result = await this.products.update({ id }, changes);
    return (result.affected ?? 0) > 0;
  }

  /** Unlocked read of several products (a quote); missing ids are absent. */
  async findManyById(ids: readonly string[]): Promise<ProductEntity[]> {
    const found = await this.sql.rows(this.statements.productsByIds, [[...ids]]);
    return found.map((row) => this.rows.hydrate(row));
  }

  reservation(lines: readonly ReservedLine[]): StockReservation {
    return stockReservation(lines);
  }

  /** Gives `quantity` back (a cancelled order); locks the row until the caller's transaction ends. */
  async returnStock(tx: Transaction, id: string, quantity: number): Promise<void> {
    await tx.manager.increment(ProductEntity, { id }, 'stock', quantity);
  }
}
