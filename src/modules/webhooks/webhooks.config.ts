import { bool, defineConfigSection, int } from '@app/core';

/** The webhooks module's settings. */
export class WebhooksConfig extends defineConfigSection({
  title: 'Webhooks',
  variables: {
    WEBHOOK_TIMEOUT_MS: int({
      default: 10_000,
      min: 100,
      max: 60_000,
      doc: 'a delivery attempt without a 2xx answer within this (connecting, sending and the status line included) has failed and is retried',
    }),
    WEBHOOK_MAX_ATTEMPTS: int({
      default: 10,
      min: 1,
      max: 20,
      doc: 'attempts per delivery before it is `dead` (a manual retry queues it again with as many)',
    }),
    WEBHOOK_RETRY_DELAY_MS: int({
      default: 120_000,
      min: 1_000,
      max: 3_600_000,
      doc: 'base of the exponential backoff between attempts, in whole seconds: retry n waits between base × 2^(n-1) and base × 2^n (jitter), at most a day; the default spreads 10 attempts over about a day (17 to 34 hours)',
    }),
    WEBHOOK_CONCURRENCY_PER_ENDPOINT: int({
      default: 2,
      min: 1,
      max: 50,
      doc: 'deliveries to one webhook in flight at once: at most this many per process, and about this many across processes (a slow receiver holds no more of the workers)',
    }),
    WEBHOOK_CONCURRENCY: int({
      default: 10,
      min: 1,
      max: 100,
      doc: 'deliveries one worker process sends at once (they mostly wait on receivers)',
    }),
    WEBHOOK_ALLOW_HTTP: bool({
      default: false,
      doc: 'accept `http` webhook URLs besides `https` (development and tests only)',
    }),
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: bool({
      default: false,
      doc: 'let webhook URLs reach loopback, private, link-local and metadata addresses (development and tests only: it opens SSRF)',
    }),
  },
  build: (v) => ({
    /** One attempt's whole budget. */
    timeoutMs: v.WEBHOOK_TIMEOUT_MS,
    maxAttempts: v.WEBHOOK_MAX_ATTEMPTS,
    /** pg-boss counts retry delays in whole seconds. */
    retryDelaySeconds: v.WEBHOOK_RETRY_DELAY_MS / 1000,
    concurrencyPerEndpoint: v.WEBHOOK_CONCURRENCY_PER_ENDPOINT,
    concurrency: v.WEBHOOK_CONCURRENCY,
    rules: {
      allowHttp: v.WEBHOOK_ALLOW_HTTP,
      allowPrivateNetworks: v.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
    },
  }),
  check: (_value, v) =>
    v.WEBHOOK_RETRY_DELAY_MS % 1000 === 0
      ? []
      : [
          `WEBHOOK_RETRY_DELAY_MS=${String(v.WEBHOOK_RETRY_DELAY_MS)}: must be a whole number of seconds (a multiple of 1000)`,
        ],
}) {}
