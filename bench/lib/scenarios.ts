/**
 * The load scenarios of `npm run bench` and the seed they read: each scenario checks that
 * a target answers it correctly before it is measured, then gives autocannon its requests.
 */
import { randomBytes } from 'node:crypto';

import {
  arrayField,
  asObject,
  expectStatus,
  loginToken,
  registerCustomer,
  inParallel,
  stringField,
} from '../../scripts/lib/loopback-http.ts';

import { ADMIN, PASSWORD, SEED, cfg } from './config.ts';
import type { LoadOptions } from './load.ts';

export interface Customer {
  readonly email: string;
  readonly token: string;
}

/** What the seed made: the customers, the products and the hot product. */
export interface Ctx {
  readonly reader: Customer;
  readonly buyer: Customer;
  readonly productIds: readonly string[];
  readonly hotProductId: string;
}

export interface Scenario {
  readonly name: string;
  readonly title: string;
  readonly connections: number;
  readonly options: (ctx: Ctx) => LoadOptions;
  /** Throws unless the target on `port` answers the scenario as the service does. */
  readonly check: (port: number, ctx: Ctx) => Promise<void>;
}

const randomId = (ids: readonly string[]): string =>
  ids[Math.floor(Math.random() * ids.length)] ?? '';

const hotOrder = (ctx: Ctx): unknown => ({ items: [{ productId: ctx.hotProductId, quantity: 1 }] });

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'product-get',
    title: 'GET /api/v1/products/:id',
    connections: cfg.connections,
    options: (ctx) => ({
      requests: [
        {
          method: 'GET',
          setupRequest: (req) => {
            req.path = `/api/v1/products/${randomId(ctx.productIds)}`;
            return req;
          },
        },
      ],
    }),
    check: async (port, ctx) => {
      const id = ctx.productIds[0] ?? '';
      const body = await expectStatus({ port, path: `/api/v1/products/${id}` }, 200);
      if (asObject(body).id !== id) {
        throw new Error(`product-get on :${port}: wrong body`);
      }
    },
  },
  {
    name: 'orders-list',
    title: 'GET /api/v1/orders?limit=20 (20 orders x 3 items, bearer)',
    connections: cfg.connections,
    options: (ctx) => ({
      method: 'GET',
      path: '/api/v1/orders?limit=20',
      headers: { authorization: `Bearer ${ctx.reader.token}` },
    }),
    check: async (port, ctx) => {
      const body = await expectStatus(
        { port, path: '/api/v1/orders?limit=20', token: ctx.reader.token },
        200,
      );
      const orders = arrayField(body, 'data');
      const items = orders.reduce<number>((n, o) => n + arrayField(o, 'items').length, 0);
      if (
        orders.length !== 20 ||
        items !== 20 * SEED.linesPerOrder ||
        asObject(body).nextCursor === null
      ) {
        throw new Error(
          `orders-list on :${port}: expected a full page, got ${JSON.stringify(body).slice(0, 200)}`,
        );
      }
    },
  },
  {
    name: 'order-place',
    title: 'POST /api/v1/orders (1 line, single hot product)',
    connections: cfg.connections,
    options: (ctx) => ({
      method: 'POST',
      path: '/api/v1/orders',
      headers: { authorization: `Bearer ${ctx.buyer.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(hotOrder(ctx)),
    }),
    check: async (port, ctx) => {
      const body = await expectStatus(
        {
          port,
          method: 'POST',
          path: '/api/v1/orders',
          body: hotOrder(ctx),
          token: ctx.buyer.token,
        },
        201,
      );
      const [item] = arrayField(body, 'items');
      if (asObject(item).productId !== ctx.hotProductId) {
        throw new Error(`order-place on :${port}: wrong body`);
      }
    },
  },
  {
    // What a client that retries safely sends: a fresh Idempotency-Key on every placement.
    name: 'order-place-keyed',
    title: 'POST /api/v1/orders with an Idempotency-Key (1 line, single hot product)',
    connections: cfg.connections,
    options: (ctx) => ({
      requests: [
        {
          method: 'POST',
          path: '/api/v1/orders',
          headers: {
            authorization: `Bearer ${ctx.buyer.token}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify(hotOrder(ctx)),
          setupRequest: (req) => {
            req.headers = { ...req.headers, 'idempotency-key': randomBytes(12).toString('hex') };
            return req;
          },
        },
      ],
    }),
    check: async (port, ctx) => {
      const request = {
        port,
        method: 'POST',
        path: '/api/v1/orders',
        body: hotOrder(ctx),
        token: ctx.buyer.token,
        headers: { 'idempotency-key': randomBytes(12).toString('hex') },
      };
      const first = stringField(await expectStatus(request, 201), 'id');
      const again = stringField(await expectStatus(request, 201), 'id');
      if (again !== first) {
        throw new Error(`order-place-keyed on :${port}: the retry was not a replay`);
      }
    },
  },
  {
    name: 'login',
    title: 'POST /api/v1/auth/login (argon2id m=19MiB t=2 p=1)',
    connections: cfg.loginConnections,
    options: (ctx) => ({
      method: 'POST',
      path: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: ctx.reader.email, password: PASSWORD }),
    }),
    check: async (port, ctx) => {
      const body = await expectStatus(
        {
          port,
          method: 'POST',
          path: '/api/v1/auth/login',
          body: { email: ctx.reader.email, password: PASSWORD },
        },
        200,
      );
      stringField(body, 'accessToken');
    },
  },
];

/** The scenarios BENCH_SCENARIOS names (all when it is empty). */
export function selectedScenarios(): Scenario[] {
  const unknown = cfg.scenarios.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length > 0) {
    throw new Error(
      `BENCH_SCENARIOS: unknown ${unknown.join(', ')} (known: ${SCENARIOS.map((s) => s.name).join(', ')})`,
    );
  }
  return SCENARIOS.filter((s) => cfg.scenarios.length === 0 || cfg.scenarios.includes(s.name));
}

/** Seeds through the service's own API (SEED: customers, products, the reader's orders). */
export async function seed(port: number): Promise<Ctx> {
  const adminToken = await loginToken(port, ADMIN);
  const customer = (who: string): Promise<Customer> =>
    registerCustomer(port, {
      email: `bench-${who}@example.com`,
      name: `Bench ${who}`,
      password: PASSWORD,
    });
  const [reader, buyer] = await Promise.all([customer('reader'), customer('buyer')]);

  const hot = await expectStatus(
    {
      port,
      method: 'POST',
      path: '/api/v1/products',
      body: {
        sku: 'BENCH-HOT',
        name: 'Hot product',
        priceCents: 1999,
        currency: 'EUR',
        stock: SEED.hotStock,
      },
      token: adminToken,
    },
    201,
  );
  const products = await inParallel(
    8,
    Array.from(
      { length: SEED.readProducts },
      (_, i) => () =>
        expectStatus(
          {
            port,
            method: 'POST',
            path: '/api/v1/products',
            body: {
              sku: `BENCH-${String(i).padStart(5, '0')}`,
              name: `Bench product ${i}`,
              priceCents: 100 + ((i * 7919) % 99_900),
              currency: 'EUR',
              stock: 1_000_000,
            },
            token: adminToken,
          },
          201,
        ),
    ),
  );
  const productIds = products.map((p) => stringField(p, 'id'));
  await inParallel(
    4,
    Array.from(
      { length: SEED.readerOrders },
      (_, i) => () =>
        expectStatus(
          {
            port,
            method: 'POST',
            path: '/api/v1/orders',
            body: {
              items: Array.from({ length: SEED.linesPerOrder }, (_, k) => ({
                productId: productIds[(i * SEED.linesPerOrder + k) % productIds.length],
                quantity: 1 + k,
              })),
            },
            token: reader.token,
          },
          201,
        ),
    ),
  );
  return { reader, buyer, productIds, hotProductId: stringField(hot, 'id') };
}
