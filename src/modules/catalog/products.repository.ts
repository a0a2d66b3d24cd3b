import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';

import {
  EntityRows,
  PgErrorCode,
  databaseErrorCode,
  type Keyset,
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

export type ProductChanges = Partial<Pick<ProductEntity, 'name' | 'priceCents' | 'stock'>>;

/** `%`, `_` and `\` are literal in a search term, not wildcards. */
const escapeLike = (term: string): string => term.replace(/[\\%_]/g, (c) => `\\${c}`);

@Injectable()
export class ProductsRepository {
  private readonly rows: EntityRows<ProductEntity>;
  private readonly findByIdSql: string;
  private readonly findManyByIdSql: string;
  private readonly takeStockSql: string;
  private readonly returnStockSql: string;

  constructor(
    @InjectRepository(ProductEntity) private readonly products: Repository<ProductEntity>,
  ) {
    this.rows = new EntityRows(products.metadata, 'p');
    this.findByIdSql = `SELECT ${this.rows.columns} FROM ${this.rows.table} p WHERE p.id = $1`;
    this.findManyByIdSql = `SELECT ${this.rows.columns} FROM ${this.rows.table} p
      WHERE p.id = ANY($1::uuid[])`;
    this.takeStockSql = `UPDATE ${this.rows.table} SET stock = stock - $2, updated_at = now()
      WHERE id = $1 AND stock >= $2 AND price_cents = $3 AND name = $4`;
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
    const found: Array<Record<string, unknown>> = await this.products.query(this.findByIdSql, [id]);
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

  /** Unlocked read of several products in the caller's transaction; missing ids are absent. */
  async findManyById(tx: Transaction, ids: readonly string[]): Promise<ProductEntity[]> {
    const found: Array<Record<string, unknown>> = await tx.manager.query(this.findManyByIdSql, [
      [...ids],
    ]);
    return found.map((row) => this.rows.hydrate(row));
  }

  /**
   * Takes `quantity` if the product has that much and still has the price and name the
   * caller quoted: one statement that locks the row (until the caller's transaction ends)
   * and checks both. False when it does not: the caller re-reads to tell which.
   */
  async takeStock(
    tx: Transaction,
    id: string,
    quantity: number,
    quoted: Pick<ProductEntity, 'priceCents' | 'name'>,
  ): Promise<boolean> {
    // TypeORM answers an UPDATE with [returned rows, affected count].
    const [, affected] = await tx.manager.query<[unknown[], number]>(this.takeStockSql, [
      id,
      quantity,
      quoted.priceCents,
      quoted.name,
    ]);
    return affected === 1;
  }

  /** Gives `quantity` back (a cancelled order); locks the row until the caller's transaction ends. */
  async returnStock(tx: Transaction, id: string, quantity: number): Promise<void> {
    await tx.manager.query(this.returnStockSql, [id, quantity]);
  }
}
