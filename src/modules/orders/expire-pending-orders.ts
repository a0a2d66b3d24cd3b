import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';

import { JobQueue, Outbox, TransactionRunner } from '@app/core';

import { ChangeOrderStatus } from './change-order-status';
import { CancelReason, OrderStatus } from './order-status';
import { OrdersConfig } from './orders.config';
import { OrdersRepository } from './orders.repository';

/** Orders expired per transaction: its locks and its stock updates stay short. */
const BATCH_SIZE = 100;
/** A run takes no new batch after this; the next occurrence goes on where it stopped. */
const TIME_BUDGET_MS = 60_000;

/**
 * The system's cancellation of abandoned orders (API.md, Background work): a `pending` order
 * older than `ORDER_PENDING_TTL_MS` is cancelled with `cancelReason: "expired"`, its stock
 * goes back and an `order.cancelled` event is written, through the same transition code as
 * a customer's cancellation. Orders locked by a concurrent change are skipped, not waited
 * for: if that change pays or cancels the order, it wins; if it fails, a later run expires it.
 */
@Injectable()
export class ExpirePendingOrders implements OnModuleInit {
  private readonly logger = new Logger(ExpirePendingOrders.name);

  constructor(
    private readonly transactions: TransactionRunner,
    private readonly orders: OrdersRepository,
    private readonly changeStatus: ChangeOrderStatus,
    private readonly outbox: Outbox,
    private readonly jobs: JobQueue,
    private readonly config: OrdersConfig,
  ) {}

  onModuleInit(): void {
    this.jobs.schedule({
      name: 'orders.expire-pending',
      cron: this.config.expiryCron,
      timeoutSeconds: (TIME_BUDGET_MS * 2) / 1000,
      handle: async (job) => {
        const expired = await this.execute(job.signal);
        if (expired > 0) {
          this.logger.log({ msg: 'Expired pending orders', expired });
        }
      },
    });
  }

  /** Expires every pending order older than the TTL, in batches; returns how many it expired. */
  async execute(signal?: AbortSignal): Promise<number> {
    const deadline = Date.now() + TIME_BUDGET_MS;
    let total = 0;
    while (signal?.aborted !== true && Date.now() < deadline) {
      const before = new Date(Date.now() - this.config.pendingTtlMs);
      const expired = await this.transactions.run(async (tx) => {
        const batch = await this.orders.lockPendingBefore(tx, before, BATCH_SIZE);
        await this.changeStatus.applyLocked(tx, batch, {
          to: OrderStatus.CANCELLED,
          cancelReason: CancelReason.EXPIRED,
        });
        return batch.length;
      });
      if (expired > 0) {
        this.outbox.nudge();
      }
      total += expired;
      if (expired < BATCH_SIZE) {
        break;
      }
    }
    return total;
  }
}
