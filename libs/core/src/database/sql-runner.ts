import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool, QueryResultRow } from 'pg';
import type { DataSource } from 'typeorm';

/**
 * Constant statements on the hot paths (a product by id, a page of orders, a placement),
 * sent straight to the pg pool TypeORM opened, as named prepared statements.
 *
 * Named: each pooled connection parses and plans a statement once, then only binds and
 * executes it; on a placement that was 40 % more transactions per second from PostgreSQL
 * (pgbench, prepared against simple protocol, the same statements). Straight to the pool:
 * TypeORM's `manager.query()` wraps each call in a query runner, a logger and a broadcaster,
 * more work in Node than the one-row read it sends. The pool's client settings (query
 * timeout, close on timeout, keepalive) apply as for every other query.
 *
 * Outside a transaction only: a query inside one must use the transaction's manager (on
 * embedded PGlite, with one connection, anything else waits forever). `name` must be unique
 * to `text`; pg refuses a name reused with another text, so a clash fails loudly.
 */
/**
 * A hand-written statement, declared in its module's `*.sql.ts` file (the one place per
 * repository where SQL is written by hand: docs/ARCHITECTURE.md, Persistence).
 */
export interface Statement {
  /** The prepared-statement name; unique to `text`. */
  readonly name: string;
  readonly text: string;
}

@Injectable()
export class SqlRunner {
  private readonly pool: Pool;

  constructor(@InjectDataSource() dataSource: DataSource) {
    this.pool = (dataSource.driver as unknown as { master: Pool }).master;
  }

  async rows<T extends QueryResultRow>(
    statement: Statement,
    values: readonly unknown[],
  ): Promise<T[]> {
    const { name, text } = statement;
    const result = await this.pool.query<T>({ name, text, values: [...values] });
    return result.rows;
  }
}
