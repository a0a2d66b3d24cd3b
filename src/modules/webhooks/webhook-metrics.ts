import { Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';

import { MetricsService } from '@app/core';

export type AttemptOutcome = 'succeeded' | 'retrying' | 'dead';

/** The webhooks module's metric (`/metrics`): what each delivery attempt led to. */
@Injectable()
export class WebhookMetrics {
  private readonly attempts: Counter<'outcome'>;

  constructor(metrics: MetricsService) {
    this.attempts = metrics.counter(
      'webhook_deliveries_total',
      'Webhook delivery attempts by what followed: succeeded, retrying (failed, tried again later) or dead (given up)',
      ['outcome'],
    );
  }

  attempted(outcome: AttemptOutcome): void {
    this.attempts.inc({ outcome });
  }
}
