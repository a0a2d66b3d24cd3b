import { setTimeout as sleep } from 'node:timers/promises';

import { createProduct, type TestProduct } from '../factories/products';
import { bearer, createAdmin, createUser, type TestUser } from '../factories/users';
import { useTestApp, type SuiteApp } from '../utils/test-app';

interface OrderBody {
  readonly id: string;
  readonly status: string;
  readonly cancelReason: string | null;
  readonly version: number;
}

interface EventRow {
  readonly id: string;
  readonly type: string;
  readonly data: unknown;
  readonly request_id: string | null;
}

/** The outbox events about one order, oldest first. */
const eventsOf = (t: SuiteApp, orderId: string): Promise<EventRow[]> =>
  t.sql<EventRow>(
    `SELECT id, type, data, request_id FROM outbox_events WHERE data->>'id' = $1
     ORDER BY created_at, id`,
    [orderId],
  );

const countOf = async (t: SuiteApp, table: 'orders' | 'outbox_events'): Promise<number> => {
  const [row] = await t.sql<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
  return Number(row?.n);
};

const stockOf = async (t: SuiteApp, product: TestProduct): Promise<number> =>
  ((await t.http.get(`/api/v1/products/${product.id}`).expect(200)).body as { stock: number })
    .stock;

/**
 * Every change of an order writes exactly one event in the same transaction (API.md, Events
 * and webhooks): `data` is the order as the response shows it after the change, and the
 * event carries the request's id. A failure while writing the event leaves neither the
 * change nor the event.
 */
describe('order events', () => {
  const t = useTestApp({}, { contract: true });
  let admin: TestUser;
  let alice: TestUser;

  beforeAll(async () => {
    admin = await createAdmin(t.app);
    alice = await createUser(t.http);
  });

  const place = (user: TestUser, product: TestProduct, quantity: number, requestId?: string) => {
    const req = t.http.post('/api/v1/orders').set(...bearer(user));
    return (requestId === undefined ? req : req.set('X-Request-Id', requestId)).send({
      items: [{ productId: product.id, quantity }],
    });
  };

  describe('one event per change, with the order after it and the request id', () => {
    it('POST /api/v1/orders writes order.placed; a replayed Idempotency-Key writes nothing', async () => {
      const mug = await createProduct(t.http, admin, { stock: 5 });
      const res = await t.http
        .post('/api/v1/orders')
        .set(...bearer(alice))
        .set('X-Request-Id', 'req-place-1')
        .set('Idempotency-Key', 'events-key-1')
        .send({ items: [{ productId: mug.id, quantity: 2 }] })
        .expect(201);
      const order = res.body as OrderBody;
      const [placed, ...more] = await eventsOf(t, order.id);
      expect(more).toEqual([]);
      expect(placed).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        type: 'order.placed',
        data: res.body,
        request_id: 'req-place-1',
      });

      const replay = await t.http
        .post('/api/v1/orders')
        .set(...bearer(alice))
        .set('Idempotency-Key', 'events-key-1')
        .send({ items: [{ productId: mug.id, quantity: 2 }] })
        .expect(201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(await eventsOf(t, order.id)).toEqual([placed]);
    });

    it('PATCH /api/v1/orders/:id/status writes order.status_changed for each step', async () => {
      const mug = await createProduct(t.http, admin, { stock: 5 });
      const order = (await place(alice, mug, 1).expect(201)).body as OrderBody;
      const bodies: unknown[] = [];
      for (const status of ['paid', 'shipped', 'delivered']) {
        const res = await t.http
          .patch(`/api/v1/orders/${order.id}/status`)
          .set(...bearer(admin))
          .set('X-Request-Id', `req-${status}`)
          .send({ status })
          .expect(200);
        bodies.push(res.body);
      }
      const events = await eventsOf(t, order.id);
      expect(
        events.slice(1).map(({ type, data, request_id }) => ({ type, data, request_id })),
      ).toEqual([
        { type: 'order.status_changed', data: bodies[0], request_id: 'req-paid' },
        { type: 'order.status_changed', data: bodies[1], request_id: 'req-shipped' },
        { type: 'order.status_changed', data: bodies[2], request_id: 'req-delivered' },
      ]);
      expect(bodies.map((body) => (body as OrderBody).cancelReason)).toEqual([null, null, null]);
    });

    it('cancelling writes order.cancelled, saying who cancelled: customer or admin', async () => {
      const mug = await createProduct(t.http, admin, { stock: 10 });
      const byOwner = (await place(alice, mug, 1).expect(201)).body as OrderBody;
      const byAdmin = (await place(alice, mug, 1).expect(201)).body as OrderBody;
      const byStatus = (await place(alice, mug, 1).expect(201)).body as OrderBody;

      const owner = await t.http
        .post(`/api/v1/orders/${byOwner.id}/cancel`)
        .set(...bearer(alice))
        .set('X-Request-Id', 'req-cancel-owner')
        .expect(200);
      const adminCancel = await t.http
        .post(`/api/v1/orders/${byAdmin.id}/cancel`)
        .set(...bearer(admin))
        .set('X-Request-Id', 'req-cancel-admin')
        .expect(200);
      const patch = await t.http
        .patch(`/api/v1/orders/${byStatus.id}/status`)
        .set(...bearer(admin))
        .set('X-Request-Id', 'req-cancel-patch')
        .send({ status: 'cancelled' })
        .expect(200);

      expect(
        [owner, adminCancel, patch].map((res) => (res.body as OrderBody).cancelReason),
      ).toEqual(['customer', 'admin', 'admin']);
      for (const [res, requestId] of [
        [owner, 'req-cancel-owner'],
        [adminCancel, 'req-cancel-admin'],
        [patch, 'req-cancel-patch'],
      ] as const) {
        const body = res.body as OrderBody;
        const events = await eventsOf(t, body.id);
        expect(events.map(({ type, data, request_id }) => ({ type, data, request_id }))).toEqual([
          {
            type: 'order.placed',
            data: expect.objectContaining({ status: 'pending' }),
            request_id: expect.any(String),
          },
          { type: 'order.cancelled', data: res.body, request_id: requestId },
        ]);
      }
      // The order as read back is what the event says.
      const read = await t.http
        .get(`/api/v1/orders/${byOwner.id}`)
        .set(...bearer(alice))
        .expect(200);
      expect(read.body).toEqual(owner.body);
    });

    it('a refused change or placement writes no event', async () => {
      const mug = await createProduct(t.http, admin, { stock: 1 });
      const order = (await place(alice, mug, 1).expect(201)).body as OrderBody;
      const before = await countOf(t, 'outbox_events');
      await place(alice, mug, 1).expect(409);
      await t.http
        .patch(`/api/v1/orders/${order.id}/status`)
        .set(...bearer(admin))
        .send({ status: 'shipped' })
        .expect(409);
      await t.http
        .post(`/api/v1/orders/${order.id}/cancel`)
        .set(...bearer(alice))
        .set('If-Match', '"7"')
        .expect(412);
      expect(await countOf(t, 'outbox_events')).toBe(before);
    });
  });

  describe('a failure while writing the event', () => {
    // A real fault inside the write: the outbox insert itself raises. The placement's one
    // statement and the cancellation's transaction must then leave nothing of the change.
    const installFault = () =>
      t.sql(`
        CREATE FUNCTION fail_outbox_insert() RETURNS trigger AS $$
        BEGIN
          RAISE EXCEPTION 'injected outbox failure';
        END $$ LANGUAGE plpgsql;
        CREATE TRIGGER outbox_insert_fail BEFORE INSERT ON outbox_events
          FOR EACH ROW EXECUTE FUNCTION fail_outbox_insert();`);
    const removeFault = () =>
      t.sql(
        'DROP TRIGGER outbox_insert_fail ON outbox_events; DROP FUNCTION fail_outbox_insert();',
      );

    const internal = (
      res: { headers: Record<string, string>; body: unknown },
      path: string,
    ): void => {
      expect(res.body).toEqual({
        type: 'https://errors.example.com/internal-server-error',
        title: 'Internal Server Error',
        status: 500,
        detail: 'Internal server error',
        instance: path,
        code: 'INTERNAL',
        requestId: res.headers['x-request-id'],
      });
    };

    it('leaves neither order nor event, nor a cancellation; once fixed, exactly one event', async () => {
      const mug = await createProduct(t.http, admin, { stock: 5 });
      const pending = (await place(alice, mug, 2).expect(201)).body as OrderBody;
      const before = {
        orders: await countOf(t, 'orders'),
        events: await countOf(t, 'outbox_events'),
      };

      await installFault();
      try {
        const placing = await place(alice, mug, 1).expect(500);
        internal(placing, '/api/v1/orders');
        expect(placing.text).not.toContain('injected');
        const cancelling = await t.http
          .post(`/api/v1/orders/${pending.id}/cancel`)
          .set(...bearer(alice))
          .expect(500);
        internal(cancelling, `/api/v1/orders/${pending.id}/cancel`);

        expect({
          orders: await countOf(t, 'orders'),
          events: await countOf(t, 'outbox_events'),
        }).toEqual(before);
        expect(await stockOf(t, mug)).toBe(3);
        const read = await t.http
          .get(`/api/v1/orders/${pending.id}`)
          .set(...bearer(alice))
          .expect(200);
        expect(read.body).toEqual(pending);
      } finally {
        await removeFault();
      }

      const placed = await place(alice, mug, 1).expect(201);
      const events = await eventsOf(t, (placed.body as OrderBody).id);
      expect(events.map(({ type, data }) => ({ type, data }))).toEqual([
        { type: 'order.placed', data: placed.body },
      ]);
      expect(await countOf(t, 'outbox_events')).toBe(before.events + 1);
      expect(await stockOf(t, mug)).toBe(2);
    });
  });
});

/**
 * The real schedule (ORDER_EXPIRY_CRON's default, every minute) expires a pending order once
 * it is older than ORDER_PENDING_TTL_MS. pg-boss sends a scheduled job at most once per
 * minute, so this waits for up to about 70 s: the one slow test of the orders suites.
 */
describe('order expiry on its schedule', () => {
  const TTL_MS = 1_000;
  const t = useTestApp({ ORDER_PENDING_TTL_MS: String(TTL_MS) });
  const WAIT_MS = 100_000;

  it('cancels a pending order older than the TTL: expired, stock back, order.cancelled', async () => {
    const admin = await createAdmin(t.app);
    const alice = await createUser(t.http);
    const mug = await createProduct(t.http, admin, { stock: 5 });
    const order = (
      await t.http
        .post('/api/v1/orders')
        .set(...bearer(alice))
        .send({ items: [{ productId: mug.id, quantity: 2 }] })
        .expect(201)
    ).body as OrderBody;
    expect(await stockOf(t, mug)).toBe(3);

    const deadline = Date.now() + WAIT_MS;
    let current = order;
    while (current.status === 'pending' && Date.now() < deadline) {
      await sleep(500);
      current = (
        await t.http
          .get(`/api/v1/orders/${order.id}`)
          .set(...bearer(alice))
          .expect(200)
      ).body as OrderBody;
    }

    expect(current).toMatchObject({ status: 'cancelled', cancelReason: 'expired', version: 2 });
    expect(await stockOf(t, mug)).toBe(5);
    const events = await eventsOf(t, order.id);
    expect(events.map(({ type, data, request_id }) => ({ type, data, request_id }))).toEqual([
      { type: 'order.placed', data: order, request_id: expect.any(String) },
      { type: 'order.cancelled', data: current, request_id: null },
    ]);
  }, 120_000);
});
