import { inParallel } from '../../scripts/lib/loopback-http.ts';
import { TEST_REDIS_URL, uniqueRedisPrefix } from '../utils/database';
import {
  ServerProcess,
  httpRequest,
  metricValue,
  processSuiteDatabase,
  type ServerEnv,
} from '../utils/server-process';
import { startWebhookReceiver } from '../utils/webhook-receiver';
import {
  answered2xx,
  byEventId,
  deleteWebhook,
  note,
  openShop,
  orderIdOf,
  placeOrder,
  registerWebhook,
  webhookEnv,
} from './webhook-shop';
import { until } from '../utils/until';

/**
 * CLUSTER_WORKERS=2 with CLUSTER_JOB_WORKERS=1 against the built server: the HTTP children
 * take the orders (APP_ROLE=api), the job child (APP_ROLE=worker, no port) delivers the
 * webhooks, and /metrics on the HTTP port counts the job child's runs (aggregated over IPC).
 */

describe('webhook deliveries in a cluster with a job child', () => {
  const suiteDb = processSuiteDatabase('process_webhooks_cluster');
  const env = (overrides: ServerEnv): ServerEnv => webhookEnv(suiteDb.url, overrides);

  it('the job child delivers every event, and /metrics on the HTTP port counts its runs', async () => {
    const N = 5;
    const server = await ServerProcess.start({
      env: env({
        APP_ROLE: 'all',
        CLUSTER_WORKERS: '2',
        CLUSTER_JOB_WORKERS: '1',
        REDIS_URL: TEST_REDIS_URL,
        REDIS_KEY_PREFIX: uniqueRedisPrefix('webhooks'),
        RATE_LIMIT_TTL_MS: '60000',
      }),
      listening: 2,
      timeoutMs: 90_000,
    });
    const children = server
      .logsMatching((l) => l.msg === 'Worker started')
      .map((l) => ({ pid: Number(l.pid), kind: String(l.kind) }));
    expect(children.map((c) => c.kind).sort()).toEqual(['http', 'http', 'jobs']);
    const jobChild = children.find((c) => c.kind === 'jobs')!.pid;
    await server.waitForLog(
      (l) => l.msg === 'Working job queues' && Number(l.pid) === jobChild,
      30_000,
    );
    const shop = await openShop(server.port);
    // Each event's first attempt is answered 500: a success is not logged, a failed attempt is
    // (with its pid), so every event leaves a line saying which process delivered it.
    const seen = new Set<string>();
    const receiver = await startWebhookReceiver({
      respond: (delivery) => {
        const id = delivery.headers['webhook-id'] ?? '';
        if (seen.has(id)) {
          return 200;
        }
        seen.add(id);
        return 500;
      },
    });
    try {
      const webhook = await registerWebhook(server.port, shop, receiver.url);
      const before = await httpRequest(server.port, '/metrics');
      const count = (body: string, name: string): number =>
        metricValue(body, name, { queue: 'webhooks.deliver' }) ?? 0;
      const placed = await inParallel(
        N,
        Array.from({ length: N }, () => () => placeOrder(server.port, shop)),
      );
      // Polled: the receiver's own waits look at a request when it arrives, before it is answered.
      await until(
        `${String(N)} events answered 2xx`,
        () => (receiver.received.filter(answered2xx).length >= N ? true : undefined),
        60_000,
      );
      const events = byEventId(receiver, 'order.placed');
      expect([...events.values()].map((d) => orderIdOf(d[0]!)).sort()).toEqual(
        placed.map((p) => p.orderId).sort(),
      );
      for (const copies of events.values()) {
        expect(copies.map((d) => d.respondedWith)).toEqual([500, 200]);
        expect(copies.every((d) => receiver.verify(d, webhook.secret))).toBe(true);
      }
      // Every log line of a delivery job comes from the job child; none from an HTTP child.
      const failedAttempts = server.logsMatching(
        (l) => l.msg === 'Webhook delivery attempt failed; it will be retried',
      );
      expect(failedAttempts).toHaveLength(N);
      expect(new Set(failedAttempts.map((l) => l.eventId))).toEqual(new Set(events.keys()));
      const jobLines = server.logsMatching((l) => l.queue === 'webhooks.deliver');
      expect([...new Set(jobLines.map((l) => Number(l.pid)))]).toEqual([jobChild]);
      // The scrape, answered by an HTTP child, counts the job child's runs (over IPC).
      const after = await until(
        'jobs_completed_total for webhooks.deliver',
        async () => {
          const res = await httpRequest(server.port, '/metrics');
          const completed =
            count(res.body, 'jobs_completed_total') - count(before.body, 'jobs_completed_total');
          return completed >= N ? res : undefined;
        },
        15_000,
      );
      const delta = (name: string): number => count(after.body, name) - count(before.body, name);
      expect(after.status).toBe(200);
      // A delivery that finds its endpoint's slots taken is moved to a new job (a completed
      // run that spent no attempt), so completions can exceed N; failures cannot.
      expect(delta('jobs_completed_total')).toBeGreaterThanOrEqual(N);
      expect(delta('jobs_failed_total')).toBe(N);
      expect(delta('job_duration_seconds_count')).toBe(
        delta('jobs_completed_total') + delta('jobs_failed_total'),
      );
      // The HTTP port is the HTTP children's alone: the job child never listened.
      const listening = server.logsMatching((l) => l.msg === 'Listening').map((l) => Number(l.pid));
      expect(listening).toHaveLength(2);
      expect(listening).not.toContain(jobChild);
      await server.waitForLog(
        (l) =>
          l.msg === 'Running jobs (no HTTP port in a cluster job worker)' &&
          Number(l.pid) === jobChild,
        1_000,
      );
      note(
        `[webhooks] cluster: ${String(N)} events delivered (first attempt 500, then 200), every attempt by the job child ` +
          `(pid ${String(jobChild)}, no port); /metrics on the HTTP port: ` +
          `jobs_completed_total{queue="webhooks.deliver"} +${String(delta('jobs_completed_total'))}, ` +
          `jobs_failed_total +${String(delta('jobs_failed_total'))}`,
      );
      await deleteWebhook(server.port, shop, webhook);
    } finally {
      await receiver.close();
    }
  }, 180_000);
});
