import { Injectable } from '@nestjs/common';

import { AppConfig, decodeCursor, toPage, type Page, type Transaction } from '@app/core';

import {
  CurrencyMismatchError,
  InsufficientStockError,
  ProductNotFoundError,
  UnknownProductsError,
} from './catalog.errors';
import type { CreateProductDto } from './dto/create-product.dto';
import type { ListProductsQuery } from './dto/list-products.query';
import { toProductResponse, type ProductResponse } from './dto/product.response';
import type { UpdateProductDto } from './dto/update-product.dto';
import type { ProductEntity } from './product.entity';
import { ProductsRepository, type StockReservation } from './products.repository';

export type { StockReservation } from './products.repository';

export interface StockLine {
  readonly productId: string;
  readonly quantity: number;
}

/** What an order copies from the catalog at the moment it is placed. */
export interface QuotedLine {
  readonly productId: string;
  readonly sku: string;
  readonly name: string;
  readonly unitPriceCents: number;
  readonly quantity: number;
}

export interface Quote {
  readonly currency: string;
  readonly lines: readonly QuotedLine[];
}

/** The one order in which rows are locked, so concurrent transactions cannot deadlock. */
const byProductId = <T extends StockLine>(lines: readonly T[]): T[] =>
  [...lines].sort((a, b) => (a.productId < b.productId ? -1 : 1));

@Injectable()
export class CatalogService {
  constructor(
    private readonly products: ProductsRepository,
    private readonly config: AppConfig,
  ) {}

  async create(dto: CreateProductDto): Promise<ProductResponse> {
    return toProductResponse(await this.products.insert(dto));
  }

  async get(id: string): Promise<ProductResponse> {
    const product = await this.products.findById(id);
    if (product === null) {
      throw new ProductNotFoundError(id);
    }
    return toProductResponse(product);
  }

  async list(query: ListProductsQuery): Promise<Page<ProductResponse>> {
    const key = this.config.pagination;
    const rows = await this.products.listPage(
      query.q,
      decodeCursor(query.cursor, key),
      query.limit,
    );
    return toPage(rows, query.limit, toProductResponse, key);
  }

  async update(id: string, dto: UpdateProductDto): Promise<ProductResponse> {
    const changes = { name: dto.name, priceCents: dto.priceCents, stock: dto.stock };
    const defined = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
    if (!(await this.products.update(id, defined))) {
      throw new ProductNotFoundError(id);
    }
    return this.get(id);
  }

  /**
   * Step one of a placement, without a lock: every product must exist (422) and share one
   * currency (422); stock that is already too low fails fast (409) before anything is
   * written. Prices, SKUs and names are copied as they are now: the order is priced at
   * this snapshot, and `reservation()` takes the stock only if it still holds.
   */
  async quote(lines: readonly StockLine[]): Promise<Quote> {
    const rows = await this.products.findManyById(lines.map((line) => line.productId));
    const byId = new Map(rows.map((row) => [row.id, row]));
    const matched = lines.map((line) => ({ line, row: byId.get(line.productId) }));
    const found = matched.filter(
      (m): m is { line: StockLine; row: ProductEntity } => m.row !== undefined,
    );
    if (found.length < lines.length) {
      throw new UnknownProductsError(
        matched.filter((m) => m.row === undefined).map((m) => m.line.productId),
      );
    }
    const currencies = [...new Set(rows.map((row) => row.currency))];
    if (currencies.length > 1) {
      throw new CurrencyMismatchError(currencies);
    }
    for (const { line, row } of found) {
      if (row.stock < line.quantity) {
        throw new InsufficientStockError(row.id, row.sku, line.quantity, row.stock);
      }
    }
    return {
      currency: currencies[0] ?? 'EUR',
      lines: found.map(({ line, row }) => ({
        productId: row.id,
        sku: row.sku,
        name: row.name,
        unitPriceCents: row.priceCents,
        quantity: line.quantity,
      })),
    };
  }

  /**
   * Step two: the stock part of the caller's one-statement write. It locks the quoted
   * products in id order, checks that each still has the stock, price and name of the
   * quote, and takes the stock of every line when the statement's gate opens (all lines
   * or none). When the check fails, quoting again tells why: too little stock is a 409
   * naming the product; a price or name edited since the quote gives a new quote.
   */
  reservation(quote: Quote): StockReservation {
    return this.products.reservation(quote.lines);
  }

  /**
   * Gives reserved stock back (a cancelled order), in the caller's transaction: one
   * UPDATE per line, in the same id order as take(), so the two cannot deadlock.
   */
  async release(tx: Transaction, lines: readonly StockLine[]): Promise<void> {
    for (const line of byProductId(lines)) {
      await this.products.returnStock(tx, line.productId, line.quantity);
    }
  }
}
