import { Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';

import { AppError, MetricsService } from '@app/core';

/** The orders module's business metrics (`/metrics`, docs/API.md). */
@Injectable()
export class OrderMetrics {
  private readonly placedTotal: Counter;
  private readonly failedTotal: Counter<'reason'>;

  constructor(metrics: MetricsService) {
    this.placedTotal = metrics.counter('orders_placed_total', 'Orders placed', []);
    this.failedTotal = metrics.counter(
      'orders_failed_total',
      'Order placements that failed, by error code',
      ['reason'],
    );
  }

  placed(): void {
    this.placedTotal.inc();
  }

  /** Counted by the error's code; anything that is not an AppError is `INTERNAL`. */
  failed(error: unknown): void {
    this.failedTotal.inc({ reason: error instanceof AppError ? error.code : 'INTERNAL' });
  }
}
