import { bool, defineConfigSection, int, text } from '@app/core';

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
    ORDER_PENDING_TTL_MS: int({
      default: 86_400_000,
      min: 1_000,
      doc: 'a `pending` order older than this is cancelled by the system (`cancelReason: "expired"`) and its stock goes back',
    }),
    ORDER_EXPIRY_CRON: text({
      default: '* * * * *',
      pattern: /^\S+( \S+){4}$/,
      message: 'ORDER_EXPIRY_CRON must be a five-field cron expression such as * * * * *',
      doc: 'when pending orders older than `ORDER_PENDING_TTL_MS` are cancelled: once per occurrence across all instances, UTC',
    }),
    REQUIRE_VERIFIED_EMAIL: bool({
      default: false,
      doc: 'placing an order needs a verified email (403 `EMAIL_NOT_VERIFIED` until the link in the verification mail is followed)',
    }),
  },
  build: (v) => ({
    /** Placement is refused (403 EMAIL_NOT_VERIFIED) until the customer's email is verified. */
    requireVerifiedEmail: v.REQUIRE_VERIFIED_EMAIL,
    /** How long an Idempotency-Key and its response are kept (at least 24 h). */
    idempotencyTtlMs: v.IDEMPOTENCY_TTL_MS,
    /** A pending order older than this is expired (cancelled by the system). */
    pendingTtlMs: v.ORDER_PENDING_TTL_MS,
    /** When the expiry job runs (five-field cron, UTC). */
    expiryCron: v.ORDER_EXPIRY_CRON,
  }),
}) {}
