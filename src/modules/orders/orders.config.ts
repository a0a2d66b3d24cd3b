import { defineConfigSection, int } from '@app/core';

/** The orders module's settings. */
export class OrdersConfig extends defineConfigSection({
  title: 'Orders',
  variables: {
    IDEMPOTENCY_TTL_MS: int({
      default: 86_400_000,
      min: 86_400_000,
      minMessage: 'IDEMPOTENCY_TTL_MS must be at least 86400000 (24 hours)',
      doc: 'how long `Idempotency-Key` responses are kept (≥ 24 h)',
    }),
  },
  build: (v) => ({
    /** How long an Idempotency-Key and its response are kept (at least 24 h). */
    idempotencyTtlMs: v.IDEMPOTENCY_TTL_MS,
  }),
}) {}
