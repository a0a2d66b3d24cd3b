import { setTimeout as sleep } from 'node:timers/promises';

import type { Response } from 'supertest';

import { createOrder } from '../factories/orders';
import { createProduct, type TestProduct } from '../factories/products';
import { bearer, createAdmin, createUser, type TestUser } from '../factories/users';
import { until } from '../utils/until';
import { useTestApp, type SuiteApp } from '../utils/test-app';
import { startWebhookReceiver, type WebhookReceiver } from '../utils/webhook-receiver';

/** Fast queues and retries, and receivers on 127.0.0.1 over http. */
const ENV = {
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
  WEBHOOK_ALLOW_HTTP: 'true',
  WEBHOOK_RETRY_DELAY_MS: '1000',
  WEBHOOK_MAX_ATTEMPTS: '3',
  JOBS_POLL_INTERVAL_MS: '500',
  OUTBOX_POLL_INTERVAL_MS: '50',
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SECRET = /^whsec_[A-Za-z0-9+/]{43}=$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

interface WebhookBody {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
  description: string | null;
  createdAt: string;
  updatedAt: string;
  secret?: string;
}

interface DeliveryBody {
  id: string;
  eventId: string;
  eventType: string;
  status: 'pending' | 'succeeded' | 'failed' | 'dead';
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  createdAt: string;
}

/** The full problem body, with `detail` as given (a string, or a matcher). */
function expectProblem(res: Response, status: number, code: string, detail: unknown): void {
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toEqual({
    type: expect.any(String),
    title: expect.any(String),
    status,
    detail,
    instance: new URL(res.request.url).pathname,
    code,
    requestId: expect.any(String),
  });
}

describe('webhooks', () => {
  const t = useTestApp(ENV, { contract: true });
  let admin: TestUser;
  let customer: TestUser;
  let product: TestProduct;
  const receivers: WebhookReceiver[] = [];

  beforeAll(async () => {
    admin = await createAdmin(t.app);
    customer = await createUser(t.http);
    product = await createProduct(t.http, admin, { stock: 1_000_000 });
  });

  /** Every order event reaches every enabled webhook: each test starts with none. */
  afterEach(async () => {
    await deleteAllWebhooks(t, admin);
    await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
  });

  const receiver = async (
    options: Parameters<typeof startWebhookReceiver>[0] = {},
  ): Promise<WebhookReceiver> => {
    const started = await startWebhookReceiver(options);
    receivers.push(started);
    return started;
  };

  const register = async (
    url: string,
    events: string[] = ['order.placed'],
    description?: string,
  ): Promise<Required<WebhookBody>> => {
    const res = await t.http
      .post('/api/v1/webhooks')
      .set(...bearer(admin))
      .send({ url, events, ...(description === undefined ? {} : { description }) })
      .expect(201);
    return res.body as Required<WebhookBody>;
  };

  const deliveriesOf = async (webhookId: string, query = ''): Promise<DeliveryBody[]> => {
    const res = await t.http
      .get(`/api/v1/webhooks/${webhookId}/deliveries${query}`)
      .set(...bearer(admin))
      .expect(200);
    return (res.body as { data: DeliveryBody[] }).data;
  };

  /** The webhook's only delivery, once `done` says it is in the state waited for. */
  const deliveryWhen = (
    webhookId: string,
    done: (delivery: DeliveryBody) => boolean,
    timeoutMs = 20_000,
  ): Promise<DeliveryBody> =>
    until(
      `a delivery of ${webhookId} in the expected state`,
      async () => (await deliveriesOf(webhookId)).find(done),
      timeoutMs,
    );

  describe('POST /api/v1/webhooks', () => {
    it('registers a webhook for an admin: 201, Location, and the secret shown only here', async () => {
      const res = await t.http
        .post('/api/v1/webhooks')
        .set(...bearer(admin))
        .send({
          url: 'http://127.0.0.1:9/hook',
          events: ['order.placed', 'order.cancelled'],
          description: '  ERP sync  ',
        })
        .expect(201);
      const body = res.body as Required<WebhookBody>;
      expect(body).toEqual({
        id: expect.stringMatching(UUID),
        url: 'http://127.0.0.1:9/hook',
        events: ['order.placed', 'order.cancelled'],
        enabled: true,
        description: 'ERP sync',
        secret: expect.stringMatching(SECRET),
        createdAt: expect.stringMatching(ISO),
        updatedAt: expect.stringMatching(ISO),
      });
      expect(Buffer.from(body.secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
      expect(res.headers.location).toBe(`/api/v1/webhooks/${body.id}`);

      const { secret, ...shown } = body;
      const one = await t.http
        .get(`/api/v1/webhooks/${body.id}`)
        .set(...bearer(admin))
        .expect(200);
      expect(one.body).toEqual(shown);
      const list = await t.http
        .get('/api/v1/webhooks')
        .set(...bearer(admin))
        .expect(200);
      expect(list.body).toEqual({ data: [shown], nextCursor: null });
      expect(JSON.stringify(list.body)).not.toContain(secret);

      const other = await register('http://127.0.0.1:9/other');
      expect(other.secret).not.toBe(secret);
      expect(other.description).toBeNull();
    });

    it('pages webhooks newest first', async () => {
      const first = await register('http://127.0.0.1:9/a');
      const second = await register('http://127.0.0.1:9/b');
      const third = await register('http://127.0.0.1:9/c');
      const page1 = await t.http
        .get('/api/v1/webhooks?limit=2')
        .set(...bearer(admin))
        .expect(200);
      const body1 = page1.body as { data: WebhookBody[]; nextCursor: string };
      expect(body1.data.map((w) => w.id)).toEqual([third.id, second.id]);
      const page2 = await t.http
        .get(`/api/v1/webhooks?limit=2&cursor=${body1.nextCursor}`)
        .set(...bearer(admin))
        .expect(200);
      expect(page2.body).toMatchObject({ data: [{ id: first.id }], nextCursor: null });
    });

    it.each([
      { name: 'no events', input: { url: 'http://127.0.0.1:9/', events: [] }, field: 'events' },
      {
        name: 'an unknown type',
        input: { url: 'http://127.0.0.1:9/', events: ['order.shipped'] },
        field: 'events',
      },
      {
        name: 'a type twice',
        input: { url: 'http://127.0.0.1:9/', events: ['order.placed', 'order.placed'] },
        field: 'events',
      },
      {
        name: 'events not a list',
        input: { url: 'http://127.0.0.1:9/', events: 'order.placed' },
        field: 'events',
      },
      { name: 'no url', input: { events: ['order.placed'] }, field: 'url' },
      {
        name: 'a url that is not one',
        input: { url: 'not a url', events: ['order.placed'] },
        field: 'url',
      },
      { name: 'ftp', input: { url: 'ftp://127.0.0.1/', events: ['order.placed'] }, field: 'url' },
      {
        name: 'credentials',
        input: { url: 'http://user:pw@127.0.0.1:9/', events: ['order.placed'] },
        field: 'url',
      },
      {
        name: 'a fragment',
        input: { url: 'http://127.0.0.1:9/#x', events: ['order.placed'] },
        field: 'url',
      },
      {
        name: 'a url over 2048 characters',
        input: { url: `http://127.0.0.1:9/${'a'.repeat(2048)}`, events: ['order.placed'] },
        field: 'url',
      },
      {
        name: 'a description over 500 characters',
        input: {
          url: 'http://127.0.0.1:9/',
          events: ['order.placed'],
          description: 'x'.repeat(501),
        },
        field: 'description',
      },
    ])('refuses $name with 400 naming $field', async ({ input, field }) => {
      const res = await t.http
        .post('/api/v1/webhooks')
        .set(...bearer(admin))
        .send(input)
        .expect(400);
      expect(res.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
      const errors = (res.body as { errors: Array<{ field: string }> }).errors;
      expect(errors.map((e) => e.field)).toEqual([field]);
    });

    it('refuses fields the server owns (secret, enabled, id) with 400', async () => {
      const res = await t.http
        .post('/api/v1/webhooks')
        .set(...bearer(admin))
        .send({
          url: 'http://127.0.0.1:9/',
          events: ['order.placed'],
          secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw/jEe3D7Cz9s=',
        })
        .expect(400);
      expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    });

    it('refuses a host that does not resolve with 422 WEBHOOK_URL_FORBIDDEN', async () => {
      const res = await t.http
        .post('/api/v1/webhooks')
        .set(...bearer(admin))
        .send({ url: 'https://no-such-host.invalid/hook', events: ['order.placed'] })
        .expect(422);
      expectProblem(
        res,
        422,
        'WEBHOOK_URL_FORBIDDEN',
        'The webhook URL is refused: host does not resolve',
      );
    });

    it('is for admins only: 401 without a token, 403 for a customer', async () => {
      const input = { url: 'http://127.0.0.1:9/', events: ['order.placed'] };
      await t.http.post('/api/v1/webhooks').send(input).expect(401);
      const res = await t.http
        .post('/api/v1/webhooks')
        .set(...bearer(customer))
        .send(input)
        .expect(403);
      expect(res.body).toMatchObject({ code: 'FORBIDDEN' });
      await t.http
        .get('/api/v1/webhooks')
        .set(...bearer(customer))
        .expect(403);
    });
  });

  describe('GET /api/v1/webhooks/:id', () => {
    it('is 404 WEBHOOK_NOT_FOUND for an unknown id and 400 for a malformed one', async () => {
      const id = '0190c4b2-6c1e-7d2a-9a53-3f0c5e4b8a11';
      const res = await t.http
        .get(`/api/v1/webhooks/${id}`)
        .set(...bearer(admin))
        .expect(404);
      expectProblem(res, 404, 'WEBHOOK_NOT_FOUND', `Webhook ${id} not found`);
      const bad = await t.http
        .get('/api/v1/webhooks/nope')
        .set(...bearer(admin))
        .expect(400);
      expect(bad.body).toMatchObject({
        code: 'VALIDATION_FAILED',
        errors: [{ field: 'id', message: 'id must be a UUID' }],
      });
    });
  });

  describe('PATCH /api/v1/webhooks/:id', () => {
    it('changes the given fields, checks a new url, and refuses an empty body', async () => {
      const webhook = await register('http://127.0.0.1:9/a', ['order.placed'], 'note');
      const res = await t.http
        .patch(`/api/v1/webhooks/${webhook.id}`)
        .set(...bearer(admin))
        .send({ events: ['order.cancelled'], enabled: false, description: '' })
        .expect(200);
      expect(res.body).toEqual({
        id: webhook.id,
        url: webhook.url,
        events: ['order.cancelled'],
        enabled: false,
        description: null,
        createdAt: webhook.createdAt,
        updatedAt: expect.stringMatching(ISO),
      });
      const moved = await t.http
        .patch(`/api/v1/webhooks/${webhook.id}`)
        .set(...bearer(admin))
        .send({ url: 'http://127.0.0.1:9/b' })
        .expect(200);
      expect(moved.body).toMatchObject({ url: 'http://127.0.0.1:9/b', enabled: false });

      const badUrl = await t.http
        .patch(`/api/v1/webhooks/${webhook.id}`)
        .set(...bearer(admin))
        .send({ url: 'ftp://127.0.0.1/' })
        .expect(400);
      expect(badUrl.body).toMatchObject({
        code: 'VALIDATION_FAILED',
        errors: [{ field: 'url', message: 'url is refused: the URL must use https or http' }],
      });
      const forbidden = await t.http
        .patch(`/api/v1/webhooks/${webhook.id}`)
        .set(...bearer(admin))
        .send({ url: 'https://no-such-host.invalid/' })
        .expect(422);
      expect(forbidden.body).toMatchObject({ code: 'WEBHOOK_URL_FORBIDDEN' });
      await t.http
        .patch(`/api/v1/webhooks/${webhook.id}`)
        .set(...bearer(admin))
        .send({})
        .expect(400);
      await t.http
        .patch(`/api/v1/webhooks/${webhook.id}`)
        .set(...bearer(admin))
        .send({ secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw/jEe3D7Cz9s=' })
        .expect(400);
      await t.http
        .patch(`/api/v1/webhooks/${webhook.id}`)
        .set(...bearer(admin))
        .send({ enabled: null })
        .expect(400);
      const missing = await t.http
        .patch('/api/v1/webhooks/0190c4b2-6c1e-7d2a-9a53-3f0c5e4b8a11')
        .set(...bearer(admin))
        .send({ enabled: true })
        .expect(404);
      expect(missing.body).toMatchObject({ code: 'WEBHOOK_NOT_FOUND' });
    });
  });

  describe('DELETE /api/v1/webhooks/:id', () => {
    it('deletes a webhook: 204, then 404', async () => {
      const webhook = await register('http://127.0.0.1:9/a');
      await t.http
        .delete(`/api/v1/webhooks/${webhook.id}`)
        .set(...bearer(admin))
        .expect(204);
      await t.http
        .get(`/api/v1/webhooks/${webhook.id}`)
        .set(...bearer(admin))
        .expect(404);
      const again = await t.http
        .delete(`/api/v1/webhooks/${webhook.id}`)
        .set(...bearer(admin))
        .expect(404);
      expect(again.body).toMatchObject({ code: 'WEBHOOK_NOT_FOUND' });
    });
  });

  describe('deliveries', () => {
    it('delivers a placed order, signed, with the Standard Webhooks headers and the event body', async () => {
      const hook = await receiver();
      const webhook = await register(hook.url);
      const order = await createOrder(t.http, customer, product);

      const received = await hook.waitFor(() => true, 20_000);
      expect(hook.verify(received, webhook.secret)).toBe(true);
      expect(hook.verify(received, (await register('http://127.0.0.1:9/x')).secret)).toBe(false);
      expect(received.method).toBe('POST');
      expect(received.path).toBe('/webhook');
      expect(received.headers['content-type']).toBe('application/json');
      const body = received.json as {
        id: string;
        type: string;
        createdAt: string;
        data: Record<string, unknown>;
      };
      expect(Object.keys(body)).toEqual(['id', 'type', 'createdAt', 'data']);
      expect(body).toEqual({
        id: expect.stringMatching(UUID),
        type: 'order.placed',
        createdAt: expect.stringMatching(ISO),
        data: expect.objectContaining({ id: order.id, status: 'pending', userId: customer.id }),
      });
      expect(received.headers['webhook-id']).toBe(body.id);
      const timestamp = Number(received.headers['webhook-timestamp']);
      expect(Math.abs(timestamp - Date.now() / 1000)).toBeLessThan(60);

      const delivery = await deliveryWhen(webhook.id, (d) => d.status === 'succeeded');
      expect(delivery).toEqual({
        id: expect.stringMatching(UUID),
        eventId: body.id,
        eventType: 'order.placed',
        status: 'succeeded',
        attempts: 1,
        lastStatusCode: 200,
        lastError: null,
        nextAttemptAt: null,
        deliveredAt: expect.stringMatching(ISO),
        createdAt: expect.stringMatching(ISO),
      });
      // Only the subscribed type: a cancellation is not sent to an order.placed webhook.
      await t.http
        .post(`/api/v1/orders/${order.id}/cancel`)
        .set(...bearer(customer))
        .expect(200);
      await sleep(1_500);
      expect(hook.received).toHaveLength(1);
    }, 40_000);

    it('retries a failed attempt: 500, then 200, succeeded after 2 attempts with the same webhook-id', async () => {
      let calls = 0;
      const hook = await receiver({
        respond: () => {
          calls += 1;
          return calls === 1 ? 500 : 200;
        },
      });
      const webhook = await register(hook.url);
      await createOrder(t.http, customer, product);

      const [first, second] = await hook.waitForCount(2, 20_000);
      expect(first?.headers['webhook-id']).toBe(second?.headers['webhook-id']);
      expect(first?.body).toBe(second?.body);
      expect(hook.verify(second!, webhook.secret)).toBe(true);
      // Backoff from 1 s: the retry waited at least that long.
      expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(900);
      const delivery = await deliveryWhen(webhook.id, (d) => d.status === 'succeeded');
      expect(delivery).toMatchObject({ attempts: 2, lastStatusCode: 200, lastError: null });
    }, 40_000);

    it('gives up after WEBHOOK_MAX_ATTEMPTS: dead, filterable, then delivered by a manual retry', async () => {
      const hook = await receiver({ respond: () => 500 });
      const webhook = await register(hook.url);
      await createOrder(t.http, customer, product);

      const failed = await deliveryWhen(webhook.id, (d) => d.status === 'failed');
      expect(failed).toMatchObject({
        attempts: 1,
        lastStatusCode: 500,
        lastError: 'the receiver answered HTTP 500',
        nextAttemptAt: expect.stringMatching(ISO),
        deliveredAt: null,
      });
      const dead = await deliveryWhen(webhook.id, (d) => d.status === 'dead', 30_000);
      expect(dead).toMatchObject({ attempts: 3, lastStatusCode: 500, nextAttemptAt: null });
      expect(hook.received).toHaveLength(3);
      expect(await deliveriesOf(webhook.id, '?status=dead')).toEqual([dead]);
      expect(await deliveriesOf(webhook.id, '?status=succeeded')).toEqual([]);
      await t.http
        .get(`/api/v1/webhooks/${webhook.id}/deliveries?status=lost`)
        .set(...bearer(admin))
        .expect(400);

      hook.setResponder(() => 204);
      const retried = await t.http
        .post(`/api/v1/webhooks/${webhook.id}/deliveries/${dead.id}/retry`)
        .set(...bearer(admin))
        .expect(202);
      expect(retried.body).toMatchObject({ id: dead.id, status: 'pending', attempts: 3 });
      const delivered = await deliveryWhen(webhook.id, (d) => d.status === 'succeeded');
      expect(delivered).toMatchObject({ attempts: 4, lastStatusCode: 204, lastError: null });
      expect(hook.received).toHaveLength(4);

      const again = await t.http
        .post(`/api/v1/webhooks/${webhook.id}/deliveries/${dead.id}/retry`)
        .set(...bearer(admin))
        .expect(409);
      expectProblem(
        again,
        409,
        'WEBHOOK_DELIVERY_NOT_RETRYABLE',
        'Only a failed or dead delivery can be retried; this one is succeeded',
      );
      const other = await register('http://127.0.0.1:9/other');
      const foreign = await t.http
        .post(`/api/v1/webhooks/${other.id}/deliveries/${dead.id}/retry`)
        .set(...bearer(admin))
        .expect(404);
      expectProblem(foreign, 404, 'WEBHOOK_DELIVERY_NOT_FOUND', `Delivery ${dead.id} not found`);
      await t.http
        .post(`/api/v1/webhooks/${webhook.id}/deliveries/${dead.id}/retry`)
        .set(...bearer(customer))
        .expect(403);
    }, 60_000);

    it('loses nothing while a receiver is down: delivered once it is back', async () => {
      const hook = await receiver();
      const webhook = await register(hook.url);
      await hook.stop();
      await createOrder(t.http, customer, product);
      const failed = await deliveryWhen(webhook.id, (d) => d.status === 'failed');
      expect(failed.lastStatusCode).toBeNull();
      expect(failed.lastError).toMatch(/ECONNREFUSED|connect/);
      await hook.start();
      const delivered = await deliveryWhen(webhook.id, (d) => d.status === 'succeeded');
      expect(delivered.attempts).toBeGreaterThanOrEqual(2);
      expect(hook.verify(hook.received[0]!, webhook.secret)).toBe(true);
    }, 40_000);

    it('drops the pending deliveries of a deleted webhook', async () => {
      const hook = await receiver();
      const webhook = await register(hook.url);
      await hook.stop();
      await createOrder(t.http, customer, product);
      await deliveryWhen(webhook.id, (d) => d.status === 'failed');
      await t.http
        .delete(`/api/v1/webhooks/${webhook.id}`)
        .set(...bearer(admin))
        .expect(204);
      await hook.start();
      // Its retry was due within 1–2 s: it ran, found nothing, and sent nothing.
      await sleep(4_000);
      expect(hook.received).toHaveLength(0);
      const rows = await t.sql<{ n: number }>(
        'SELECT count(*)::int AS n FROM webhook_deliveries WHERE webhook_id = $1',
        [webhook.id],
      );
      expect(rows[0]?.n).toBe(0);
    }, 40_000);

    it('sends nothing to a disabled webhook, nor to one not subscribed to the type', async () => {
      const live = await receiver();
      const off = await receiver();
      const other = await receiver();
      const enabled = await register(live.url);
      const disabled = await register(off.url);
      const cancelsOnly = await register(other.url, ['order.cancelled']);
      await t.http
        .patch(`/api/v1/webhooks/${disabled.id}`)
        .set(...bearer(admin))
        .send({ enabled: false })
        .expect(200);
      await createOrder(t.http, customer, product);
      await deliveryWhen(enabled.id, (d) => d.status === 'succeeded');
      await sleep(1_000);
      expect(off.received).toHaveLength(0);
      expect(other.received).toHaveLength(0);
      expect(await deliveriesOf(disabled.id)).toEqual([]);
      expect(await deliveriesOf(cancelsOnly.id)).toEqual([]);
    }, 40_000);

    it('marks a queued delivery dead when its webhook is disabled before it is sent', async () => {
      const hook = await receiver();
      const webhook = await register(hook.url);
      await hook.stop();
      await createOrder(t.http, customer, product);
      await deliveryWhen(webhook.id, (d) => d.status === 'failed');
      await t.http
        .patch(`/api/v1/webhooks/${webhook.id}`)
        .set(...bearer(admin))
        .send({ enabled: false })
        .expect(200);
      await hook.start();
      const dead = await deliveryWhen(webhook.id, (d) => d.status === 'dead');
      expect(dead).toMatchObject({ lastError: 'webhook disabled', nextAttemptAt: null });
      expect(hook.received).toHaveLength(0);
    }, 40_000);

    it('retries a failed delivery by hand at once, and its queued retry does not send again', async () => {
      // pg-boss would queue the automatic retry 1–2 s after the failure, and on a slow machine
      // it could run before the retry by hand: it is queued an hour out instead, so that it
      // is still waiting when the retry by hand comes.
      await t.sql(`
        CREATE FUNCTION hold_webhook_retry() RETURNS trigger AS $$
        BEGIN
          NEW.start_after := now() + interval '1 hour';
          RETURN NEW;
        END $$ LANGUAGE plpgsql;
        CREATE TRIGGER hold_webhook_retry BEFORE UPDATE ON pgboss.job
          FOR EACH ROW WHEN (NEW.name = 'webhooks.deliver' AND NEW.state = 'retry')
          EXECUTE FUNCTION hold_webhook_retry();`);
      try {
        const hook = await receiver({ respond: () => 500 });
        const webhook = await register(hook.url);
        await createOrder(t.http, customer, product);
        const failed = await deliveryWhen(webhook.id, (d) => d.status === 'failed');
        hook.setResponder(() => 200);
        const res = await t.http
          .post(`/api/v1/webhooks/${webhook.id}/deliveries/${failed.id}/retry`)
          .set(...bearer(admin))
          .expect(202);
        expect(res.body).toEqual({
          ...failed,
          status: 'pending',
          nextAttemptAt: expect.stringMatching(ISO),
        });
        const delivered = await deliveryWhen(webhook.id, (d) => d.status === 'succeeded');
        expect(delivered.attempts).toBe(2);
        // The automatic retry, still queued, was cancelled with the retry by hand.
        const jobs = await t.sql<{ state: string }>(
          `SELECT state::text AS state FROM pgboss.job WHERE name = 'webhooks.deliver' AND data->'data'->>'deliveryId' = $1
            ORDER BY created_on`,
          [failed.id],
        );
        expect(jobs).toEqual([{ state: 'cancelled' }, { state: 'completed' }]);
        await sleep(1_500);
        expect(hook.received).toHaveLength(2);
        const pending = await t.http
          .post(`/api/v1/webhooks/${webhook.id}/deliveries/${failed.id}/retry`)
          .set(...bearer(admin))
          .expect(409);
        expect(pending.body).toMatchObject({ code: 'WEBHOOK_DELIVERY_NOT_RETRYABLE' });
      } finally {
        await t.sql(
          'DROP TRIGGER hold_webhook_retry ON pgboss.job; DROP FUNCTION hold_webhook_retry();',
        );
      }
    }, 40_000);

    it('delivers an event handed over again (at least once) only once per webhook', async () => {
      const hook = await receiver();
      const webhook = await register(hook.url);
      await createOrder(t.http, customer, product);
      const first = await deliveryWhen(webhook.id, (d) => d.status === 'succeeded');
      // What a relay killed before its commit leaves: the event undispatched, handed over again.
      await t.sql('UPDATE outbox_events SET dispatched_at = NULL WHERE id = $1', [first.eventId]);
      await until('the event dispatched again', async () => {
        const rows = await t.sql<{ dispatched: boolean }>(
          'SELECT dispatched_at IS NOT NULL AS dispatched FROM outbox_events WHERE id = $1',
          [first.eventId],
        );
        return rows[0]?.dispatched === true ? true : undefined;
      });
      await sleep(1_500);
      expect(await deliveriesOf(webhook.id)).toEqual([first]);
      expect(hook.received).toHaveLength(1);
      const metrics = await t.http.get('/metrics').expect(200);
      expect(metrics.text).toMatch(/webhook_deliveries_total\{outcome="succeeded"\} \d+/);
    }, 40_000);

    it('keeps a slow receiver from delaying another receiver and the API', async () => {
      const slow = await receiver({
        respond: async () => {
          // Unref'd: a reply still pending when the suite ends does not hold Jest open.
          await sleep(6_000, undefined, { ref: false });
          return 200;
        },
      });
      const fast = await receiver();
      const slowHook = await register(slow.url);
      const fastHook = await register(fast.url);

      const orders = 4;
      const placedAt = Date.now();
      for (let i = 0; i < orders; i += 1) {
        await createOrder(t.http, customer, product);
      }
      // Two of the slow receiver's deliveries are in flight (WEBHOOK_CONCURRENCY_PER_ENDPOINT).
      await slow.waitForCount(2, 15_000);
      const started = Date.now();
      await t.http
        .get('/api/v1/webhooks')
        .set(...bearer(admin))
        .expect(200);
      expect(Date.now() - started).toBeLessThan(1_000);
      const fastOnes = await fast.waitForCount(orders, 15_000);
      const lastFast = Math.max(...fastOnes.map((d) => d.at));
      // The fast receiver had all of them before the slow one answered its first.
      expect(lastFast - placedAt).toBeLessThan(6_000);
      expect(slow.received.filter((d) => d.respondedWith !== undefined)).toHaveLength(0);
      // The receiver counts a delivery when it arrives; the sender records it once it has
      // read the answer, a moment later: wait for that (bounded), well inside the slow
      // receiver's 6 s.
      const fastDeliveries = await until(
        "the fast receiver's deliveries recorded as succeeded",
        async () => {
          const deliveries = await deliveriesOf(fastHook.id);
          return deliveries.length === orders && deliveries.every((d) => d.status === 'succeeded')
            ? deliveries
            : undefined;
        },
        3_000,
      );
      expect(fastDeliveries).toHaveLength(orders);
      // No more than the limit reached the slow receiver, though all four were queued at once.
      expect(slow.received).toHaveLength(2);
      expect(await deliveriesOf(slowHook.id)).toHaveLength(orders);
    }, 40_000);
  });

  describe('GET /api/v1/webhooks/:id/deliveries', () => {
    it('is 404 for an unknown webhook and for customers 403', async () => {
      const id = '0190c4b2-6c1e-7d2a-9a53-3f0c5e4b8a11';
      const res = await t.http
        .get(`/api/v1/webhooks/${id}/deliveries`)
        .set(...bearer(admin))
        .expect(404);
      expectProblem(res, 404, 'WEBHOOK_NOT_FOUND', `Webhook ${id} not found`);
      await t.http
        .get(`/api/v1/webhooks/${id}/deliveries`)
        .set(...bearer(customer))
        .expect(403);
    });

    it('is 404 WEBHOOK_DELIVERY_NOT_FOUND when retrying an unknown delivery', async () => {
      const webhook = await register('http://127.0.0.1:9/a');
      const id = '0190c4b2-6c1e-7d2a-9a53-3f0c5e4b8a11';
      const res = await t.http
        .post(`/api/v1/webhooks/${webhook.id}/deliveries/${id}/retry`)
        .set(...bearer(admin))
        .expect(404);
      expectProblem(res, 404, 'WEBHOOK_DELIVERY_NOT_FOUND', `Delivery ${id} not found`);
      await t.http
        .post(`/api/v1/webhooks/${webhook.id}/deliveries/nope/retry`)
        .set(...bearer(admin))
        .expect(400);
    });
  });
});

describe('webhooks with the default address rules', () => {
  const t = useTestApp({ JOBS_POLL_INTERVAL_MS: '500' }, { contract: true });
  let admin: TestUser;

  beforeAll(async () => {
    admin = await createAdmin(t.app);
  });

  it.each([
    ['https://127.0.0.1/hook', "the URL's host is a loopback address (127.0.0.1)"],
    ['https://10.0.0.1/hook', "the URL's host is a private address (10.0.0.1)"],
    [
      'https://169.254.169.254/latest/meta-data',
      "the URL's host is a link-local address (169.254.169.254)",
    ],
    ['https://[::1]/hook', "the URL's host is a loopback address (::1)"],
    ['https://[::ffff:10.0.0.1]/hook', expect.stringContaining('a private address')],
    ['https://localhost/hook', 'the host resolves to a loopback address'],
  ])('refuses %s with 422 WEBHOOK_URL_FORBIDDEN', async (url, reason) => {
    const res = await t.http
      .post('/api/v1/webhooks')
      .set(...bearer(admin))
      .send({ url, events: ['order.placed'] })
      .expect(422);
    expectProblem(
      res,
      422,
      'WEBHOOK_URL_FORBIDDEN',
      typeof reason === 'string' ? `The webhook URL is refused: ${reason}` : reason,
    );
  });

  it('refuses http with 400 on url', async () => {
    const res = await t.http
      .post('/api/v1/webhooks')
      .set(...bearer(admin))
      .send({ url: 'http://example.com/hook', events: ['order.placed'] })
      .expect(400);
    expect(res.body).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'url', message: 'url is refused: the URL must use https' }],
    });
  });

  it('registered none of them', async () => {
    const list = await t.http
      .get('/api/v1/webhooks')
      .set(...bearer(admin))
      .expect(200);
    expect(list.body).toEqual({ data: [], nextCursor: null });
  });
});

async function deleteAllWebhooks(t: SuiteApp, admin: TestUser): Promise<void> {
  for (let page = 0; page < 10; page += 1) {
    const res = await t.http
      .get('/api/v1/webhooks?limit=100')
      .set(...bearer(admin))
      .expect(200);
    const { data } = res.body as { data: WebhookBody[] };
    if (data.length === 0) {
      return;
    }
    for (const webhook of data) {
      await t.http
        .delete(`/api/v1/webhooks/${webhook.id}`)
        .set(...bearer(admin))
        .expect(204);
    }
  }
}
