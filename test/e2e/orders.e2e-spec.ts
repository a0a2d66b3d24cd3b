import { Client } from 'pg';
import { DataSource } from 'typeorm';

import { createProduct, type TestProduct } from '../factories/products';
import { bearer, createAdmin, createUser, type TestUser } from '../factories/users';
import { waitForLockWaiter } from '../utils/locks';
import { useTestApp } from '../utils/test-app';

interface OrderBody {
  id: string;
  userId: string;
  status: string;
  version: number;
  totalCents: number;
  items: Array<{ productId: string; quantity: number }>;
}

describe('orders', () => {
  const t = useTestApp();
  let admin: TestUser;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    admin = await createAdmin(t.app);
    alice = await createUser(t.http);
    bob = await createUser(t.http);
  });

  const stockOf = async (product: TestProduct): Promise<number> =>
    ((await t.http.get(`/api/v1/products/${product.id}`).expect(200)).body as { stock: number })
      .stock;

  const count = async (table: string): Promise<number> => {
    const rows: Array<{ n: string }> = await t.app
      .get(DataSource)
      .query(`SELECT count(*) AS n FROM ${table}`);
    return Number(rows[0]?.n);
  };

  const place = (
    user: TestUser,
    items: Array<{ productId: string; quantity: number }>,
    key?: string,
  ) => {
    const req = t.http.post('/api/v1/orders').set(...bearer(user));
    return (key === undefined ? req : req.set('Idempotency-Key', key)).send({ items });
  };

  describe('POST /api/v1/orders', () => {
    it('copies prices from the catalog, totals in cents, reserves stock, 201 with Location', async () => {
      const mug = await createProduct(t.http, admin, { name: 'Mug', priceCents: 1250, stock: 5 });
      const tea = await createProduct(t.http, admin, { name: 'Tea', priceCents: 399, stock: 10 });
      const res = await place(alice, [
        { productId: tea.id, quantity: 3 },
        { productId: mug.id, quantity: 2 },
      ]).expect(201);
      expect(res.headers.location).toBe(`/api/v1/orders/${res.body.id as string}`);
      expect(res.body).toEqual({
        id: expect.any(String),
        userId: alice.id,
        status: 'pending',
        cancelReason: null,
        currency: 'EUR',
        totalCents: 3 * 399 + 2 * 1250,
        items: [
          {
            productId: tea.id,
            sku: tea.sku,
            name: 'Tea',
            unitPriceCents: 399,
            quantity: 3,
            lineTotalCents: 1197,
          },
          {
            productId: mug.id,
            sku: mug.sku,
            name: 'Mug',
            unitPriceCents: 1250,
            quantity: 2,
            lineTotalCents: 2500,
          },
        ],
        version: 1,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      expect(await stockOf(mug)).toBe(3);
      expect(await stockOf(tea)).toBe(7);
    });

    it('keeps the price it was placed at when the catalog price changes later', async () => {
      const product = await createProduct(t.http, admin, { priceCents: 1000 });
      const order = (await place(alice, [{ productId: product.id, quantity: 1 }]).expect(201))
        .body as OrderBody;
      await t.http
        .patch(`/api/v1/products/${product.id}`)
        .set(...bearer(admin))
        .send({ priceCents: 5000 })
        .expect(200);
      const res = await t.http
        .get(`/api/v1/orders/${order.id}`)
        .set(...bearer(alice))
        .expect(200);
      expect(res.body.totalCents).toBe(1000);
    });

    it('refuses a client-sent price or status (mass assignment)', async () => {
      const product = await createProduct(t.http, admin);
      const res = await t.http
        .post('/api/v1/orders')
        .set(...bearer(alice))
        .send({
          items: [{ productId: product.id, quantity: 1, unitPriceCents: 1 }],
          status: 'paid',
        })
        .expect(400);
      expect(res.body.errors).toEqual([
        { field: 'status', message: 'property status should not exist' },
        { field: 'items.0.unitPriceCents', message: 'property unitPriceCents should not exist' },
      ]);
    });

    it('takes all or nothing: one short line leaves every stock untouched, 409 naming the product', async () => {
      const plenty = await createProduct(t.http, admin, { stock: 100 });
      const scarce = await createProduct(t.http, admin, { stock: 1 });
      const res = await place(alice, [
        { productId: plenty.id, quantity: 5 },
        { productId: scarce.id, quantity: 2 },
      ]).expect(409);
      expect(res.body).toEqual({
        type: 'https://errors.example.com/conflict',
        title: 'Conflict',
        status: 409,
        detail: `Insufficient stock for product ${scarce.id} (${scarce.sku}): requested 2, available 1`,
        instance: '/api/v1/orders',
        code: 'ORDER_INSUFFICIENT_STOCK',
        requestId: res.headers['x-request-id'],
      });
      expect(await stockOf(plenty)).toBe(100);
      expect(await stockOf(scarce)).toBe(1);
    });

    it('answers 422 for an unknown product', async () => {
      const product = await createProduct(t.http, admin);
      const ghost = '0190c4b2-7d3e-7a1b-8c2d-3e4f5a6b7c8d';
      const res = await place(alice, [
        { productId: product.id, quantity: 1 },
        { productId: ghost, quantity: 1 },
      ]).expect(422);
      expect(res.body).toMatchObject({
        status: 422,
        code: 'ORDER_UNKNOWN_PRODUCT',
        detail: `Unknown product: ${ghost}`,
      });
      expect(await stockOf(product)).toBe(10);
    });

    it.each([
      ['no items', { items: [] }, 'items', 'items must contain 1 to 50 entries'],
      [
        '51 items',
        {
          items: Array.from({ length: 51 }, (_, i) => ({
            productId: `0190c4b2-7d3e-7a1b-8c2d-${String(i).padStart(12, '0')}`,
            quantity: 1,
          })),
        },
        'items',
        'items must contain 1 to 50 entries',
      ],
      [
        'a repeated productId',
        {
          items: [
            { productId: '0190c4b2-7d3e-7a1b-8c2d-3e4f5a6b7c8d', quantity: 1 },
            { productId: '0190c4b2-7d3e-7a1b-8c2d-3e4f5a6b7c8d', quantity: 2 },
          ],
        },
        'items',
        'items must not name the same productId twice',
      ],
      [
        'a zero quantity',
        { items: [{ productId: '0190c4b2-7d3e-7a1b-8c2d-3e4f5a6b7c8d', quantity: 0 }] },
        'items.0.quantity',
        'quantity must not be less than 1',
      ],
      [
        'a quantity over 1000',
        { items: [{ productId: '0190c4b2-7d3e-7a1b-8c2d-3e4f5a6b7c8d', quantity: 1001 }] },
        'items.0.quantity',
        'quantity must not be greater than 1000',
      ],
      [
        'a fractional quantity',
        { items: [{ productId: '0190c4b2-7d3e-7a1b-8c2d-3e4f5a6b7c8d', quantity: 1.5 }] },
        'items.0.quantity',
        'quantity must be an integer',
      ],
      [
        'a malformed productId',
        { items: [{ productId: 'abc', quantity: 1 }] },
        'items.0.productId',
        'productId must be a UUID',
      ],
    ])('refuses %s with 400', async (_label, body, field, message) => {
      const res = await t.http
        .post('/api/v1/orders')
        .set(...bearer(alice))
        .send(body)
        .expect(400);
      expect(res.body.errors).toContainEqual({ field, message });
    });

    it('needs authentication', async () => {
      await t.http.post('/api/v1/orders').send({ items: [] }).expect(401);
    });

    it('sells 20 units exactly once under 60 concurrent orders', async () => {
      const hot = await createProduct(t.http, admin, { stock: 20 });
      const before = await count('orders');
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          place(i % 2 === 0 ? alice : bob, [{ productId: hot.id, quantity: 1 }]),
        ),
      );
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(20);
      expect(statuses.filter((s) => s === 409)).toHaveLength(40);
      expect(await stockOf(hot)).toBe(0);
      expect((await count('orders')) - before).toBe(20);
    });

    it('cannot deadlock when orders lock the same products in opposite request order', async () => {
      const a = await createProduct(t.http, admin, { stock: 1000 });
      const b = await createProduct(t.http, admin, { stock: 1000 });
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          place(
            alice,
            i % 2 === 0
              ? [
                  { productId: a.id, quantity: 1 },
                  { productId: b.id, quantity: 1 },
                ]
              : [
                  { productId: b.id, quantity: 1 },
                  { productId: a.id, quantity: 1 },
                ],
          ),
        ),
      );
      expect(results.every((r) => r.status === 201)).toBe(true);
      expect(await stockOf(a)).toBe(970);
      expect(await stockOf(b)).toBe(970);
    });
  });

  describe('Idempotency-Key', () => {
    it('replays the first response for a retry with the same body, creating nothing', async () => {
      const product = await createProduct(t.http, admin, { stock: 10 });
      const first = await place(
        alice,
        [{ productId: product.id, quantity: 2 }],
        'key-replay-1',
      ).expect(201);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      const ordersBefore = await count('orders');
      const retry = await place(
        alice,
        [{ productId: product.id, quantity: 2 }],
        'key-replay-1',
      ).expect(201);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.headers.location).toBe(first.headers.location);
      expect(retry.body).toEqual(first.body);
      expect(await count('orders')).toBe(ordersBefore);
      expect(await stockOf(product)).toBe(8);
    });

    it('stays readable by the previous release during a rolling update, both ways', async () => {
      // The previous release writes response_status and replays it: this release's keys
      // must give it 201, and a key it wrote must replay here.
      const product = await createProduct(t.http, admin, { stock: 10 });
      const first = await place(alice, [{ productId: product.id, quantity: 1 }], 'key-roll-1');
      expect(first.status).toBe(201);
      const rows = await t.sql<{ response_status: number }>(
        "SELECT response_status FROM idempotency_keys WHERE key = 'key-roll-1'",
      );
      expect(rows).toEqual([{ response_status: 201 }]);
      await t.sql(
        `INSERT INTO idempotency_keys (user_id, key, request_hash, response_status, response_body, expires_at)
         SELECT user_id, 'key-roll-2', request_hash, 201, response_body, expires_at
         FROM idempotency_keys WHERE key = 'key-roll-1'`,
      );
      const replay = await place(alice, [{ productId: product.id, quantity: 1 }], 'key-roll-2');
      expect({ status: replay.status, replayed: replay.headers['idempotent-replayed'] }).toEqual({
        status: 201,
        replayed: 'true',
      });
      expect(replay.body).toEqual(first.body);
    });

    it('refuses the same key with a different body (422)', async () => {
      const product = await createProduct(t.http, admin);
      await place(alice, [{ productId: product.id, quantity: 1 }], 'key-diff-1').expect(201);
      const res = await place(alice, [{ productId: product.id, quantity: 2 }], 'key-diff-1').expect(
        422,
      );
      expect(res.body).toMatchObject({
        status: 422,
        code: 'IDEMPOTENCY_KEY_REUSED',
        detail: 'This Idempotency-Key was already used with a different request body',
      });
    });

    it('scopes keys to the user', async () => {
      const product = await createProduct(t.http, admin);
      const a = await place(alice, [{ productId: product.id, quantity: 1 }], 'shared-key').expect(
        201,
      );
      const b = await place(bob, [{ productId: product.id, quantity: 1 }], 'shared-key').expect(
        201,
      );
      expect(b.headers['idempotent-replayed']).toBeUndefined();
      expect(b.body.id).not.toBe(a.body.id);
    });

    it('answers ten concurrent requests with one key with one order, replayed to the other nine', async () => {
      const product = await createProduct(t.http, admin, { stock: 100 });
      const before = await count('orders');
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          place(alice, [{ productId: product.id, quantity: 1 }], 'key-concurrent-1'),
        ),
      );
      // A request that finds the key held by a running placement waits for it (one
      // statement, milliseconds) and gets its response: no 409 to retry on.
      expect(results.map((r) => r.status)).toEqual(Array.from({ length: 10 }, () => 201));
      expect(new Set(results.map((r) => (r.body as OrderBody).id)).size).toBe(1);
      expect(results.filter((r) => r.headers['idempotent-replayed'] === undefined)).toHaveLength(1);
      expect((await count('orders')) - before).toBe(1);
      expect(await stockOf(product)).toBe(99);
    });

    it('replays a placement that took the last unit, instead of refusing it for want of stock', async () => {
      const product = await createProduct(t.http, admin, { stock: 1 });
      const first = await place(alice, [{ productId: product.id, quantity: 1 }], 'key-last-unit');
      expect(first.status).toBe(201);
      const retry = await place(alice, [{ productId: product.id, quantity: 1 }], 'key-last-unit');
      expect(retry.status).toBe(201);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect((retry.body as OrderBody).id).toBe((first.body as OrderBody).id);
      expect(await stockOf(product)).toBe(0);
    });

    it('does not remember a failed attempt: the retry runs again', async () => {
      const product = await createProduct(t.http, admin, { stock: 0 });
      await place(alice, [{ productId: product.id, quantity: 1 }], 'key-after-failure').expect(409);
      await t.http
        .patch(`/api/v1/products/${product.id}`)
        .set(...bearer(admin))
        .send({ stock: 1 })
        .expect(200);
      await place(alice, [{ productId: product.id, quantity: 1 }], 'key-after-failure').expect(201);
    });

    it('refuses a key that is too long or not printable', async () => {
      const product = await createProduct(t.http, admin);
      const res = await place(
        alice,
        [{ productId: product.id, quantity: 1 }],
        'k'.repeat(256),
      ).expect(400);
      expect(res.body.errors).toEqual([
        {
          field: 'Idempotency-Key',
          message: 'Idempotency-Key must be 1 to 255 printable ASCII characters',
        },
      ]);
    });
  });

  describe('reading orders', () => {
    it('GET /orders/:id gives the owner the order with an ETag of its version', async () => {
      const product = await createProduct(t.http, admin);
      const order = (await place(alice, [{ productId: product.id, quantity: 1 }]).expect(201))
        .body as OrderBody;
      const res = await t.http
        .get(`/api/v1/orders/${order.id}`)
        .set(...bearer(alice))
        .expect(200);
      expect(res.headers.etag).toBe('"1"');
      expect(res.body).toEqual(order);
      await t.http
        .get(`/api/v1/orders/${order.id}`)
        .set(...bearer(admin))
        .expect(200);
    });

    it('GET /orders/:id is 404 for anyone else', async () => {
      const product = await createProduct(t.http, admin);
      const order = (await place(alice, [{ productId: product.id, quantity: 1 }]).expect(201))
        .body as OrderBody;
      const res = await t.http
        .get(`/api/v1/orders/${order.id}`)
        .set(...bearer(bob))
        .expect(404);
      expect(res.body).toMatchObject({
        code: 'ORDER_NOT_FOUND',
        detail: `Order ${order.id} not found`,
      });
    });

    it('GET /orders lists only the caller’s orders, newest first, filtered by status', async () => {
      const carol = await createUser(t.http);
      const product = await createProduct(t.http, admin);
      const first = (await place(carol, [{ productId: product.id, quantity: 1 }]).expect(201))
        .body as OrderBody;
      const second = (await place(carol, [{ productId: product.id, quantity: 1 }]).expect(201))
        .body as OrderBody;
      await place(bob, [{ productId: product.id, quantity: 1 }]).expect(201);
      await t.http
        .post(`/api/v1/orders/${first.id}/cancel`)
        .set(...bearer(carol))
        .expect(200);

      const all = await t.http
        .get('/api/v1/orders')
        .set(...bearer(carol))
        .expect(200);
      expect((all.body.data as OrderBody[]).map((o) => o.id)).toEqual([second.id, first.id]);
      expect(all.body.data[0].items).toHaveLength(1);
      const cancelled = await t.http
        .get('/api/v1/orders?status=cancelled')
        .set(...bearer(carol))
        .expect(200);
      expect((cancelled.body.data as OrderBody[]).map((o) => o.id)).toEqual([first.id]);
      const page = await t.http
        .get('/api/v1/orders?limit=1')
        .set(...bearer(carol))
        .expect(200);
      expect(page.body.data).toHaveLength(1);
      const next = await t.http
        .get(`/api/v1/orders?limit=1&cursor=${page.body.nextCursor as string}`)
        .set(...bearer(carol))
        .expect(200);
      expect(next.body.data[0].id).toBe(first.id);
      expect(next.body.nextCursor).toBeNull();
    });

    it('lets admins see everyone’s orders and filter by userId; customers may not', async () => {
      const dave = await createUser(t.http);
      const product = await createProduct(t.http, admin);
      const order = (await place(dave, [{ productId: product.id, quantity: 1 }]).expect(201))
        .body as OrderBody;
      const res = await t.http
        .get(`/api/v1/orders?userId=${dave.id}`)
        .set(...bearer(admin))
        .expect(200);
      expect((res.body.data as OrderBody[]).map((o) => o.id)).toEqual([order.id]);
      const refused = await t.http
        .get(`/api/v1/orders?userId=${dave.id}`)
        .set(...bearer(alice))
        .expect(403);
      expect(refused.body.code).toBe('ORDER_FILTER_FORBIDDEN');
      await t.http
        .get('/api/v1/orders?status=lost')
        .set(...bearer(alice))
        .expect(400);
    });
  });

  describe('status changes', () => {
    const newOrder = async (quantity = 2): Promise<{ order: OrderBody; product: TestProduct }> => {
      const product = await createProduct(t.http, admin, { stock: 10 });
      const order = (await place(alice, [{ productId: product.id, quantity }]).expect(201))
        .body as OrderBody;
      return { order, product };
    };
    const setStatus = (id: string, status: string, ifMatch?: string) => {
      const req = t.http.patch(`/api/v1/orders/${id}/status`).set(...bearer(admin));
      return (ifMatch === undefined ? req : req.set('If-Match', ifMatch)).send({ status });
    };

    it('walks pending → paid → shipped → delivered, bumping the version and ETag', async () => {
      const { order } = await newOrder();
      let version = 1;
      for (const status of ['paid', 'shipped', 'delivered']) {
        const res = await setStatus(order.id, status, `"${String(version)}"`).expect(200);
        version += 1;
        expect(res.body).toMatchObject({ status, version });
        expect(res.headers.etag).toBe(`"${String(version)}"`);
      }
    });

    it('refuses an illegal transition with 409', async () => {
      const { order } = await newOrder();
      const res = await setStatus(order.id, 'shipped').expect(409);
      expect(res.body).toMatchObject({
        status: 409,
        code: 'ORDER_ILLEGAL_TRANSITION',
        detail: 'An order cannot go from pending to shipped',
      });
    });

    it('refuses a stale If-Match with 412 and changes nothing', async () => {
      const { order } = await newOrder();
      await setStatus(order.id, 'paid', '"1"').expect(200);
      const res = await setStatus(order.id, 'shipped', '"1"').expect(412);
      expect(res.body).toMatchObject({ status: 412, code: 'ORDER_VERSION_MISMATCH' });
      const current = await t.http
        .get(`/api/v1/orders/${order.id}`)
        .set(...bearer(alice))
        .expect(200);
      expect(current.body).toMatchObject({ status: 'paid', version: 2 });
    });

    it('never loses an update when two different transitions race', async () => {
      const { order } = await newOrder();
      const results = await Promise.all([
        setStatus(order.id, 'paid'),
        setStatus(order.id, 'cancelled'),
      ]);
      const statuses = results.map((r) => r.status).sort();
      // Paid then cancelled is legal, so both may succeed in sequence; what can never happen
      // is a lost update: the final version counts every success.
      const final = await t.http
        .get(`/api/v1/orders/${order.id}`)
        .set(...bearer(admin))
        .expect(200);
      expect(final.body.version).toBe(1 + statuses.filter((s) => s === 200).length);
      const same = await Promise.all([
        setStatus(order.id, 'shipped'),
        setStatus(order.id, 'shipped'),
      ]);
      expect(same.map((r) => r.status).filter((s) => s === 200).length).toBeLessThanOrEqual(1);
    });

    it('lets exactly one of two concurrent identical transitions win', async () => {
      const { order } = await newOrder();
      const results = await Promise.all([setStatus(order.id, 'paid'), setStatus(order.id, 'paid')]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    });

    it('is admin-only', async () => {
      const { order } = await newOrder();
      await t.http
        .patch(`/api/v1/orders/${order.id}/status`)
        .set(...bearer(alice))
        .send({ status: 'paid' })
        .expect(403);
    });

    it('cancelling gives the stock back, once', async () => {
      const { order, product } = await newOrder(3);
      expect(await stockOf(product)).toBe(7);
      const res = await t.http
        .post(`/api/v1/orders/${order.id}/cancel`)
        .set(...bearer(alice))
        .expect(200);
      expect(res.body).toMatchObject({ status: 'cancelled', version: 2 });
      expect(await stockOf(product)).toBe(10);
      await t.http
        .post(`/api/v1/orders/${order.id}/cancel`)
        .set(...bearer(alice))
        .expect(409);
      expect(await stockOf(product)).toBe(10);
    });

    it('lets an admin cancel a paid order, but nobody a shipped one', async () => {
      const { order, product } = await newOrder(1);
      await setStatus(order.id, 'paid').expect(200);
      await t.http
        .post(`/api/v1/orders/${order.id}/cancel`)
        .set(...bearer(admin))
        .expect(200);
      expect(await stockOf(product)).toBe(10);
      const shipped = await newOrder(1);
      await setStatus(shipped.order.id, 'paid').expect(200);
      await setStatus(shipped.order.id, 'shipped').expect(200);
      await t.http
        .post(`/api/v1/orders/${shipped.order.id}/cancel`)
        .set(...bearer(alice))
        .expect(409);
    });

    describe('POST /api/v1/orders/:id/cancel with If-Match', () => {
      const cancel = (user: TestUser, id: string, ifMatch?: string) => {
        const req = t.http.post(`/api/v1/orders/${id}/cancel`).set(...bearer(user));
        return ifMatch === undefined ? req : req.set('If-Match', ifMatch);
      };

      it('refuses a stale version with 412 and changes neither the order nor the stock', async () => {
        const { order, product } = await newOrder(3);
        await setStatus(order.id, 'paid', '"1"').expect(200);
        const res = await cancel(alice, order.id, '"1"').expect(412);
        expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
        expect(res.body).toEqual({
          type: 'https://errors.example.com/precondition-failed',
          title: 'Precondition Failed',
          status: 412,
          detail: 'If-Match does not match the current version ("2"); reload and retry',
          instance: `/api/v1/orders/${order.id}/cancel`,
          code: 'ORDER_VERSION_MISMATCH',
          requestId: res.headers['x-request-id'],
        });
        const current = await t.http
          .get(`/api/v1/orders/${order.id}`)
          .set(...bearer(alice))
          .expect(200);
        expect(current.body).toMatchObject({ status: 'paid', version: 2 });
        expect(current.headers.etag).toBe('"2"');
        expect(await stockOf(product)).toBe(7);
      });

      it('cancels at the matching version (strong or weak ETag), and without If-Match', async () => {
        const { order, product } = await newOrder(3);
        await setStatus(order.id, 'paid', '"1"').expect(200);
        const res = await cancel(alice, order.id, '"2"').expect(200);
        expect(res.body).toMatchObject({ id: order.id, status: 'cancelled', version: 3 });
        expect(res.headers.etag).toBe('"3"');
        expect(await stockOf(product)).toBe(10);

        const weak = await newOrder(1);
        await cancel(admin, weak.order.id, 'W/"1"').expect(200);
        expect(await stockOf(weak.product)).toBe(10);

        const unconditional = await newOrder(2);
        const plain = await cancel(alice, unconditional.order.id).expect(200);
        expect(plain.body).toMatchObject({ status: 'cancelled', version: 2 });
        expect(await stockOf(unconditional.product)).toBe(10);
      });
    });

    it('answers 404 when someone else tries to cancel', async () => {
      const { order } = await newOrder();
      await t.http
        .post(`/api/v1/orders/${order.id}/cancel`)
        .set(...bearer(bob))
        .expect(404);
    });
  });

  describe('a price edited while an order is being placed', () => {
    // The products are quoted without a lock; the test holds the product's row lock so
    // that the placement's statement waits on it, and commits a price change meanwhile.
    it('prices the order at the new price: the placement quotes again', async () => {
      const product = await createProduct(t.http, admin, { priceCents: 1000, stock: 5 });
      const holder = new Client({ connectionString: t.db.url });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query('SELECT 1 FROM products WHERE id = $1 FOR UPDATE', [product.id]);
        const placing = place(alice, [{ productId: product.id, quantity: 2 }]).then((r) => r);
        await waitForLockWaiter(holder);
        await holder.query('UPDATE products SET price_cents = 1500 WHERE id = $1', [product.id]);
        await holder.query('COMMIT');
        const res = await placing;
        expect(res.status).toBe(201);
        expect(res.body).toMatchObject({
          totalCents: 3000,
          items: [{ productId: product.id, unitPriceCents: 1500, quantity: 2 }],
        });
        expect(await stockOf(product)).toBe(3);
      } finally {
        await holder.end();
      }
    });
  });

  describe('a failure at the last step of placement', () => {
    // The stock is taken in the same statement that writes the order, its items and the
    // idempotency key: failing the take of one line proves that all of them roll back,
    // the stock of the other line included.
    beforeAll(async () => {
      await t.app.get(DataSource).query(`
        CREATE FUNCTION fail_poisoned_take() RETURNS trigger AS $$
        BEGIN
          RAISE EXCEPTION 'injected failure';
        END $$ LANGUAGE plpgsql;
        CREATE TRIGGER products_take_fail BEFORE UPDATE ON products
          FOR EACH ROW WHEN (NEW.name LIKE 'POISON%' AND NEW.stock < OLD.stock)
          EXECUTE FUNCTION fail_poisoned_take();`);
    });

    afterAll(async () => {
      await t.app
        .get(DataSource)
        .query('DROP TRIGGER products_take_fail ON products; DROP FUNCTION fail_poisoned_take();');
    });

    it('leaves nothing behind: no order, no items, no stock taken, no key', async () => {
      const pair = [
        await createProduct(t.http, admin, { stock: 5 }),
        await createProduct(t.http, admin, { stock: 5 }),
      ].sort((a, b) => (a.id < b.id ? -1 : 1));
      const [fine, poisoned] = pair as [TestProduct, TestProduct];
      await t.http
        .patch(`/api/v1/products/${poisoned.id}`)
        .set(...bearer(admin))
        .send({ name: 'POISON' })
        .expect(200);
      const before = {
        orders: await count('orders'),
        items: await count('order_items'),
        keys: await count('idempotency_keys'),
      };
      const res = await place(
        alice,
        [
          { productId: poisoned.id, quantity: 1 },
          { productId: fine.id, quantity: 1 },
        ],
        'key-poisoned',
      ).expect(500);
      expect(res.body).toMatchObject({ code: 'INTERNAL', detail: 'Internal server error' });
      expect(res.text).not.toContain('injected');
      expect({
        orders: await count('orders'),
        items: await count('order_items'),
        keys: await count('idempotency_keys'),
      }).toEqual(before);
      expect(await stockOf(fine)).toBe(5);
      expect(await stockOf(poisoned)).toBe(5);
    });
  });
});
