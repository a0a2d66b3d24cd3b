import { setTimeout as sleep } from 'node:timers/promises';

import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';

import { isRetryableTransactionError } from './database-errors';

/**
 * A unit of work that may span modules (an order and the stock it reserves). Repositories
 * that take one run their queries through its manager: on embedded PGlite, with a single
 * connection, a query outside the open transaction would wait forever.
 */
export class Transaction {
  private readonly committed: (() => void)[] = [];

  /** @internal Repositories only; services pass the transaction through untouched. */
  constructor(readonly manager: EntityManager) {}

  /**
   * Runs `callback` once the transaction has committed (never after a rollback): dropping a
   * cache entry that the transaction's writes made stale, once no reader can see the old row.
   */
  afterCommit(callback: () => void): void {
    this.committed.push(callback);
  }

  /** @internal The runner, after COMMIT. */
  runCommitted(): void {
    for (const callback of this.committed.splice(0)) {
      callback();
    }
  }
}

/**
 * Takes the transaction-scoped advisory lock `key` (released at commit or rollback): work
 * that must not run twice at once across processes, such as creating the first admin.
 */
export async function advisoryTransactionLock(manager: EntityManager, key: number): Promise<void> {
  await manager.query('SELECT pg_advisory_xact_lock($1)', [key]);
}

export interface TransactionOptions {
  /** Attempts for serialization failures and deadlocks (default 3). */
  readonly attempts?: number;
}

@Injectable()
export class TransactionRunner {
  private readonly logger = new Logger(TransactionRunner.name);

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Runs `work` in one transaction, retrying it from the start (with jittered backoff)
   * when PostgreSQL aborts it for a serialization failure or deadlock.
   */
  async run<T>(
    work: (tx: Transaction) => Promise<T>,
    options: TransactionOptions = {},
  ): Promise<T> {
    const attempts = options.attempts ?? 3;
    for (let attempt = 1; ; attempt += 1) {
      try {
        let tx: Transaction | undefined;
        const result = await this.dataSource.transaction((manager) => {
          tx = new Transaction(manager);
          return work(tx);
        });
        tx?.runCommitted();
        return result;
      } catch (error: unknown) {
        if (attempt >= attempts || !isRetryableTransactionError(error)) {
          throw error;
        }
        this.logger.warn({ msg: 'Transaction aborted by the database; retrying', attempt });
        await sleep(Math.round(10 * 2 ** attempt * (0.5 + Math.random())));
      }
    }
  }
}
