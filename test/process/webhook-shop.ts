import {
  arrayField,
  asObject,
  expectStatus,
  loginToken,
  registerCustomer,
  stringField,
} from '../../scripts/lib/loopback-http.ts';
import { ServerProcess, type ServerEnv } from '../utils/server-process';
import type { ReceivedDelivery, WebhookReceiver } from '../utils/webhook-receiver';

/**
 * What the webhook process suites share: the environment of their servers, a shop to place
 * orders in (admin, customer, product), webhooks registered and listed through the admin API,
 * and the receiver's view of what arrived. Not a suite itself (no `.process-spec.ts`).
 */

const ADMIN = { email: 'webhooks-admin@example.com', password: 'Webhooks-admin-password-1' };
const PASSWORD = 'Webhooks-customer-password-1';

/** Measured figures, printed with the test run. */
export const note = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

export interface Placed {
  readonly orderId: string;
}

export interface Shop {
  readonly admin: string;
  readonly customer: string;
  readonly productId: string;
}

export interface Registered {
  readonly id: string;
  readonly secret: string;
}

/** The receiver's view: deliveries of `type`, by webhook-id (the event id). */
export function byEventId(
  receiver: WebhookReceiver,
  type: string,
): Map<string, ReceivedDelivery[]> {
  const out = new Map<string, ReceivedDelivery[]>();
  for (const delivery of receiver.received) {
    const body = delivery.json as { type?: unknown } | undefined;
    if (body?.type !== type) {
      continue;
    }
    const id = delivery.headers['webhook-id'] ?? '';
    out.set(id, [...(out.get(id) ?? []), delivery]);
  }
  return out;
}

export const orderIdOf = (delivery: ReceivedDelivery): string =>
  String((delivery.json as { data?: { id?: unknown } }).data?.id);

export const answered2xx = (d: ReceivedDelivery): boolean =>
  d.respondedWith !== undefined && d.respondedWith >= 200 && d.respondedWith < 300;

/** Every process of a webhook suite: one database, loopback receivers allowed, short timings. */
export function webhookEnv(databaseUrl: string, overrides: ServerEnv = {}): ServerEnv {
  return {
    DATABASE_URL: databaseUrl,
    DB_MIGRATE_ON_START: 'true',
    // One key for every process: a token from one HTTP process is valid on another.
    JWT_SECRET: 'webhooks-process-suite-jwt-secret-0123456789abcdef',
    BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
    BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
    RATE_LIMIT_MAX: '1000000',
    LOGIN_RATE_LIMIT_MAX: '1000000',
    WEBHOOK_ALLOW_HTTP: 'true',
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
    // A job's expiry is WEBHOOK_TIMEOUT_MS (rounded up to seconds) + 30 s: kept short.
    WEBHOOK_TIMEOUT_MS: '2000',
    WEBHOOK_RETRY_DELAY_MS: '1000',
    JOBS_POLL_INTERVAL_MS: '500',
    OUTBOX_POLL_INTERVAL_MS: '100',
    SHUTDOWN_READY_DELAY_MS: '0',
    SHUTDOWN_TIMEOUT_MS: '15000',
    ...overrides,
  };
}

/** A process of one role on the suite's database. */
export function startRole(
  role: 'api' | 'worker',
  databaseUrl: string,
  overrides: ServerEnv = {},
): Promise<ServerProcess> {
  return ServerProcess.start({
    env: webhookEnv(databaseUrl, { APP_ROLE: role, ...overrides }),
    timeoutMs: 60_000,
  });
}

let seq = 0;

/** An admin, a customer of this test and a product with plenty of stock. */
export async function openShop(port: number): Promise<Shop> {
  seq += 1;
  const admin = await loginToken(port, ADMIN);
  const product = await expectStatus(
    {
      port,
      method: 'POST',
      path: '/api/v1/products',
      token: admin,
      body: {
        sku: `WEBHOOKS-${String(seq)}-${String(Date.now())}`,
        name: `Webhooks product ${String(seq)}`,
        priceCents: 1_000,
        currency: 'EUR',
        stock: 1_000_000,
      },
    },
    201,
  );
  const customer = await registerCustomer(port, {
    email: `webhooks-${String(seq)}-${String(Date.now())}@example.com`,
    name: `Webhooks customer ${String(seq)}`,
    password: PASSWORD,
  });
  return { admin, customer: customer.token, productId: stringField(product, 'id') };
}

export async function registerWebhook(
  port: number,
  shop: Shop,
  url: string,
  events: readonly string[] = ['order.placed'],
): Promise<Registered> {
  const created = await expectStatus(
    {
      port,
      method: 'POST',
      path: '/api/v1/webhooks',
      token: shop.admin,
      body: { url, events, description: 'process suite' },
    },
    201,
  );
  return { id: stringField(created, 'id'), secret: stringField(created, 'secret') };
}

export async function deleteWebhook(port: number, shop: Shop, webhook: Registered): Promise<void> {
  await expectStatus(
    { port, method: 'DELETE', path: `/api/v1/webhooks/${webhook.id}`, token: shop.admin },
    204,
  );
}

export async function placeOrder(port: number, shop: Shop): Promise<Placed> {
  const order = await expectStatus(
    {
      port,
      method: 'POST',
      path: '/api/v1/orders',
      token: shop.customer,
      body: { items: [{ productId: shop.productId, quantity: 1 }] },
    },
    201,
  );
  return { orderId: stringField(order, 'id') };
}

/** Every delivery of the webhook (all pages), as the admin API lists them. */
export async function deliveries(
  port: number,
  shop: Shop,
  webhook: Registered,
): Promise<Array<Readonly<Record<string, unknown>>>> {
  const out: Array<Readonly<Record<string, unknown>>> = [];
  let cursor: string | null = null;
  for (let page = 0; page < 50; page += 1) {
    const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
    const body = await expectStatus(
      {
        port,
        path: `/api/v1/webhooks/${webhook.id}/deliveries?limit=100${query}`,
        token: shop.admin,
      },
      200,
    );
    out.push(...arrayField(body, 'data').map((d) => asObject(d, 'delivery')));
    const next = asObject(body).nextCursor;
    if (typeof next !== 'string') {
      break;
    }
    cursor = next;
  }
  return out;
}
