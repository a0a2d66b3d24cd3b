import { asObject, inParallel } from '../../scripts/lib/loopback-http.ts';
import {
  processSuiteDatabase,
  sleep,
  within,
  type ServerEnv,
  type ServerProcess,
} from '../utils/server-process';
import { startWebhookReceiver, type ReceivedDelivery } from '../utils/webhook-receiver';
import {
  answered2xx,
  byEventId,
  deleteWebhook,
  deliveries,
  note,
  openShop,
  orderIdOf,
  placeOrder,
  registerWebhook,
  startRole,
} from './webhook-shop';
import { until } from '../utils/until';

/**
 * Webhook deliveries against the built server, split into its roles (an `api` process that
 * takes the orders, a `worker` process that delivers), with a real receiver on 127.0.0.1:
 * what a receiver sees when a worker is killed mid-delivery, when the receiver itself is down,
 * and when a worker drains on SIGTERM. Every test starts its own processes and registers its
 * own webhook (deleted at the end, so its leftover retries never reach the next test's
 * receiver). The cluster case is webhooks-cluster.process-spec.ts.
 */

describe('webhook deliveries by the built server, api and worker apart', () => {
  const suiteDb = processSuiteDatabase('process_webhooks');
  const startApi = (overrides: ServerEnv = {}): Promise<ServerProcess> =>
    startRole('api', suiteDb.url, overrides);
  const startWorker = (overrides: ServerEnv = {}): Promise<ServerProcess> =>
    startRole('worker', suiteDb.url, overrides);

  it('kill -9 of a worker mid-delivery: a new worker delivers it again, same webhook-id', async () => {
    const api = await startApi();
    const worker = await startWorker();
    const shop = await openShop(api.port);
    // The first request is held open (no answer) until the end of the test.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let first: ReceivedDelivery | undefined;
    const receiver = await startWebhookReceiver({
      respond: async (delivery) => {
        if (first === undefined || first === delivery) {
          first = delivery;
          await held;
        }
        return 200;
      },
    });
    try {
      const webhook = await registerWebhook(api.port, shop, receiver.url);
      const { orderId } = await placeOrder(api.port, shop);
      const arrived = await receiver.waitFor((d) => orderIdOf(d) === orderId, 30_000);
      expect(arrived.respondedWith).toBeUndefined();
      const killedAt = Date.now();
      worker.kill('SIGKILL');
      const exit = await within(worker.exited, 10_000, 'the worker did not die');
      expect(exit.signal).toBe('SIGKILL');
      // Not delivered as far as the service knows.
      const [pending] = await deliveries(api.port, shop, webhook);
      expect(pending).toMatchObject({ eventType: 'order.placed', deliveredAt: null });
      expect(pending?.status).not.toBe('succeeded');

      const replacement = await startWorker();
      const readyAt = Date.now();
      const eventId = arrived.headers['webhook-id'] ?? '';
      const again = await receiver.waitFor(
        (d) => d !== arrived && d.headers['webhook-id'] === eventId,
        150_000,
      );
      await until('the delivery answered', () => (answered2xx(again) ? true : undefined), 10_000);
      expect(receiver.verify(arrived, webhook.secret)).toBe(true);
      expect(receiver.verify(again, webhook.secret)).toBe(true);
      expect(again.json).toEqual(arrived.json);
      expect(asObject(again.json)).toMatchObject({ id: eventId, type: 'order.placed' });
      const done = await until(
        'the delivery to be succeeded',
        async () => {
          const [d] = await deliveries(api.port, shop, webhook);
          return d?.status === 'succeeded' ? d : undefined;
        },
        15_000,
      );
      expect(done).toMatchObject({ eventId, deliveredAt: expect.any(String) });
      expect(replacement.isRunning).toBe(true);
      note(
        `[webhooks] kill -9 mid-delivery: redelivered (same webhook-id) ${String(again.at - killedAt)} ms after the kill, ` +
          `${String(again.at - readyAt)} ms after the new worker was ready (WEBHOOK_TIMEOUT_MS=2000); ` +
          `deliveries of the event received: ${String(receiver.received.filter((d) => d.headers['webhook-id'] === eventId).length)}, ` +
          `attempts recorded ${String(done.attempts)}`,
      );
      await deleteWebhook(api.port, shop, webhook);
    } finally {
      release();
      await receiver.close();
    }
  }, 240_000);

  it('200 orders while the receiver is down: every order.placed is delivered once it is back', async () => {
    const N = 200;
    const api = await startApi();
    const worker = await startWorker();
    const shop = await openShop(api.port);
    const receiver = await startWebhookReceiver();
    try {
      const webhook = await registerWebhook(api.port, shop, receiver.url);
      await receiver.stop();
      const downAt = Date.now();
      const placed = await inParallel(
        8,
        Array.from({ length: N }, () => () => placeOrder(api.port, shop)),
      );
      const placedIn = Date.now() - downAt;
      const orderIds = new Set(placed.map((p) => p.orderId));
      expect(orderIds.size).toBe(N);
      // Down a while longer: every delivery has been tried and failed at least once.
      await until(
        'every delivery to have failed once',
        async () => {
          const all = await deliveries(api.port, shop, webhook);
          return all.length === N && all.every((d) => Number(d.attempts) >= 1) ? all : undefined;
        },
        60_000,
      );
      await sleep(Math.max(0, 15_000 - (Date.now() - downAt)));
      const whileDown = await deliveries(api.port, shop, webhook);
      expect(whileDown.filter((d) => d.status === 'succeeded' || d.status === 'dead')).toEqual([]);
      expect(receiver.received).toEqual([]);

      await receiver.start();
      const upAt = Date.now();
      await until(
        `all ${String(N)} events answered 2xx`,
        () => {
          const ok = new Set(
            receiver.received.filter(answered2xx).map((d) => d.headers['webhook-id']),
          );
          return ok.size >= N ? true : undefined;
        },
        120_000,
      );
      const deliveredIn = Date.now() - upAt;
      const events = byEventId(receiver, 'order.placed');
      expect(events.size).toBe(N);
      // One event per order, its webhook-id being the event's id, every one signed.
      const delivered = new Set([...events.values()].map((d) => orderIdOf(d[0]!)));
      expect([...delivered].sort()).toEqual([...orderIds].sort());
      for (const [id, copies] of events) {
        for (const copy of copies) {
          expect(asObject(copy.json).id).toBe(id);
          expect(receiver.verify(copy, webhook.secret)).toBe(true);
        }
      }
      const after = await until(
        'every delivery succeeded',
        async () => {
          const all = await deliveries(api.port, shop, webhook);
          return all.length === N && all.every((d) => d.status === 'succeeded') ? all : undefined;
        },
        30_000,
      );
      expect(new Set(after.map((d) => d.eventId))).toEqual(new Set(events.keys()));
      const duplicates = [...events.values()].filter((d) => d.length > 1).length;
      const attempts = after.map((d) => Number(d.attempts));
      expect(worker.isRunning).toBe(true);
      note(
        `[webhooks] receiver down: ${String(N)} orders placed in ${String(placedIn)} ms, receiver down ${String(upAt - downAt)} ms; ` +
          `all ${String(N)} delivered ${String(deliveredIn)} ms after it was back; ${String(duplicates)} delivered twice; ` +
          `attempts per delivery ${String(Math.min(...attempts))}..${String(Math.max(...attempts))}`,
      );
      await deleteWebhook(api.port, shop, webhook);
    } finally {
      await receiver.close();
    }
  }, 300_000);

  it('SIGTERM to a worker with deliveries running: exit 0, every event delivered in the end', async () => {
    const N = 6;
    const SLOW_MS = 3_000;
    const slow = { WEBHOOK_TIMEOUT_MS: '10000', SHUTDOWN_TIMEOUT_MS: '15000' };
    const api = await startApi(slow);
    const worker = await startWorker(slow);
    const shop = await openShop(api.port);
    const receiver = await startWebhookReceiver({
      respond: async () => {
        await sleep(SLOW_MS);
        return 200;
      },
    });
    try {
      const webhook = await registerWebhook(api.port, shop, receiver.url);
      const placed = await inParallel(
        N,
        Array.from({ length: N }, () => () => placeOrder(api.port, shop)),
      );
      // Both deliveries one endpoint may have at once (WEBHOOK_CONCURRENCY_PER_ENDPOINT=2) are
      // waiting on the receiver.
      const inFlight = await until(
        'two deliveries in flight',
        () => {
          const waiting = receiver.received.filter((d) => d.respondedWith === undefined);
          return waiting.length >= 2 ? waiting : undefined;
        },
        30_000,
      );
      expect(inFlight).toHaveLength(2);
      const signalAt = Date.now();
      worker.kill('SIGTERM');
      const exit = await within(worker.exited, 30_000, 'the worker did not exit');
      const exitedAt = Date.now();
      expect(exit).toMatchObject({ code: 0, signal: null });
      expect(worker.messages().filter((m) => m.startsWith('Shutdown deadline passed'))).toEqual([]);
      // The deliveries it had running were answered and recorded before it went...
      for (const d of inFlight) {
        expect(d.respondedWith).toBe(200);
      }
      const byOld = await deliveries(api.port, shop, webhook);
      const inFlightIds = new Set(inFlight.map((d) => d.headers['webhook-id']));
      expect(byOld.filter((d) => inFlightIds.has(String(d.eventId))).map((d) => d.status)).toEqual(
        inFlight.map(() => 'succeeded'),
      );
      // ...and it started none once told to stop.
      const startedAfter = receiver.received.filter((d) => d.at > signalAt + 1_000);
      expect(startedAfter).toEqual([]);

      const replacement = await startWorker(slow);
      await until(
        `all ${String(N)} events answered 2xx`,
        () => {
          const ok = new Set(
            receiver.received.filter(answered2xx).map((d) => d.headers['webhook-id']),
          );
          return ok.size >= N ? true : undefined;
        },
        120_000,
      );
      const events = byEventId(receiver, 'order.placed');
      expect([...events.values()].map((d) => orderIdOf(d[0]!)).sort()).toEqual(
        placed.map((p) => p.orderId).sort(),
      );
      const all = await until(
        'every delivery succeeded',
        async () => {
          const list = await deliveries(api.port, shop, webhook);
          return list.length === N && list.every((d) => d.status === 'succeeded')
            ? list
            : undefined;
        },
        30_000,
      );
      expect(all).toHaveLength(N);
      const duplicates = [...events.values()].filter((d) => d.length > 1).length;
      expect(replacement.isRunning).toBe(true);
      const beforeExit = receiver.received.filter((d) => d.at <= exitedAt);
      note(
        `[webhooks] SIGTERM mid-delivery: requests to the old worker's receiver at ${beforeExit.map((d) => `${String(d.at - signalAt)} ms`).join(', ')} from the signal; ` +
          `${String(inFlight.length)} in flight at the signal, all answered and recorded by the old worker; ` +
          `exit 0 after ${String(exitedAt - signalAt)} ms; ${String(byOld.filter((d) => d.status === 'succeeded').length)} of ${String(N)} ` +
          `delivered before it exited, the rest by the next worker; ${String(duplicates)} delivered twice`,
      );
      await deleteWebhook(api.port, shop, webhook);
    } finally {
      await receiver.close();
    }
  }, 240_000);
});
