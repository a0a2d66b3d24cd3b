/**
 * The baseline for `npm run bench`: the same four routes as the service, answered with the
 * same SQL (bench/lib/statements.ts) through a plain `pg` Pool and `node:http`, with no
 * framework, no ORM, no validation library, no access log, no security headers and no
 * rate limiting. It is what "the database work plus the bare minimum of HTTP and auth"
 * costs on this box, so the service's numbers can be read as a ratio of it.
 *
 * What it does do, so the comparison stays honest:
 * - bearer tokens are real HS256 JWTs (the service's own tokens, same secret, issuer and
 *   audience), verified with node:crypto HMAC + timingSafeEqual, expiry checked;
 * - the principal (role, sessions_revoked_at) is read from `users` and cached for 30 s,
 *   like the service's LRU cache;
 * - login is SELECT by email + argon2.verify + sign an access token + INSERT a refresh
 *   token row, as the service does;
 * - order placement sends the service's statements: with an Idempotency-Key a read of the
 *   live key, then the products without a lock, then one statement that locks and checks
 *   them, stores the key, takes the stock and inserts the order and its items.
 *
 * Env: PORT, HOST (default 127.0.0.1), DATABASE_URL, JWT_SECRET, JWT_ISSUER, JWT_AUDIENCE,
 * JWT_ACCESS_TTL, DB_POOL_MAX (default 20, the service's default), SERVICE_DIST (the build
 * under test, whose own statements this server sends: bench/lib/statements.ts).
 */
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import http from 'node:http';

import argon2 from 'argon2';
import pg from 'pg';

import { errorStack } from '../../scripts/lib/cli.ts';
import { sendJson as send } from '../lib/send-json.ts';
import {
  IDEMPOTENCY_KEY_LOOKUP,
  INSERT_REFRESH_TOKEN,
  PRINCIPAL_BY_ID,
  USER_BY_EMAIL,
  useServiceBuild,
} from '../lib/statements.ts';

const env = process.env;
const PORT = Number(env.PORT ?? 3001);
const HOST = env.HOST ?? '127.0.0.1';
const JWT_SECRET = env.JWT_SECRET ?? '';
const JWT_ISSUER = env.JWT_ISSUER ?? 'nest-enterprise-backend';
const JWT_AUDIENCE = env.JWT_AUDIENCE ?? 'nest-enterprise-backend-api';
const ACCESS_TTL = Number(env.JWT_ACCESS_TTL ?? 900);
const REFRESH_TTL = 604_800;
const PRINCIPAL_TTL_MS = 30_000;
const BODY_LIMIT = 100 * 1024;

if (env.SERVICE_DIST === undefined || env.SERVICE_DIST === '') {
  process.stderr.write('SERVICE_DIST (the service build whose statements to send) is required\n');
  process.exit(1);
}
const sql = useServiceBuild(env.SERVICE_DIST);

if (JWT_SECRET.length < 32) {
  process.stderr.write('JWT_SECRET (>= 32 chars) is required\n');
  process.exit(1);
}

const pool = new pg.Pool({
  connectionString: env.DATABASE_URL,
  max: Number(env.DB_POOL_MAX ?? 20),
  idleTimeoutMillis: 30_000,
  connectionTimeoutMillis: 2_000,
  statement_timeout: 5_000,
  application_name: 'bench-baseline',
});
pool.on('error', () => undefined);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BEARER = /^Bearer ([A-Za-z0-9\-_]+)\.([A-Za-z0-9\-_]+)\.([A-Za-z0-9\-_]*)$/;
const SECRET = Buffer.from(JWT_SECRET, 'utf8');

class HttpError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string) {
    super(code);
    this.status = status;
    this.code = code;
  }
}

// ---------------------------------------------------------------- rows

interface ProductRow {
  readonly id: string;
  readonly sku: string;
  readonly name: string;
  readonly price_cents: number;
  readonly currency: string;
  readonly stock: number;
  readonly created_at: Date;
  readonly updated_at: Date;
}

interface OrderRow {
  readonly id: string;
  readonly user_id: string;
  readonly status: string;
  readonly cancel_reason: string | null;
  readonly currency: string;
  /** bigint: a string from pg. */
  readonly total_cents: string | number;
  readonly version: number;
  readonly created_at: Date;
  readonly updated_at: Date;
}

interface ItemRow {
  readonly order_id?: string;
  readonly product_id: string;
  readonly sku: string;
  readonly name: string;
  readonly unit_price_cents: number;
  readonly quantity: number;
  readonly line_total_cents: string | number;
}

interface IdempotencyRow {
  readonly request_hash: string;
  readonly response_body: unknown;
}

interface UserRow {
  readonly id: string;
  readonly role: string;
  readonly password_hash: string;
}

interface PrincipalRow {
  readonly role: string;
  readonly sessions_revoked_at: Date | null;
}

interface Claims {
  readonly sub?: unknown;
  readonly role?: unknown;
  readonly iat?: unknown;
  readonly exp?: unknown;
  readonly iss?: unknown;
  readonly aud?: unknown;
}

interface User {
  readonly id: string;
  readonly role: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

function readJson(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT) {
        reject(new HttpError(413, 'PAYLOAD_TOO_LARGE'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown);
      } catch {
        reject(new HttpError(400, 'MALFORMED_JSON'));
      }
    });
    req.on('error', reject);
  });
}

// ---------------------------------------------------------------- JWT (HS256)

const b64url = (s: string): string => Buffer.from(s, 'utf8').toString('base64url');
const JWT_HEADER = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

function signAccessToken(userId: string, role: string): string {
  const iat = Math.floor(Date.now() / 1000);
  const payload = b64url(
    JSON.stringify({
      role,
      iat,
      exp: iat + ACCESS_TTL,
      aud: JWT_AUDIENCE,
      iss: JWT_ISSUER,
      sub: userId,
    }),
  );
  const signature = createHmac('sha256', SECRET)
    .update(`${JWT_HEADER}.${payload}`)
    .digest('base64url');
  return `${JWT_HEADER}.${payload}.${signature}`;
}

const principals = new Map<string, { role: string; revokedAtMs: number; until: number }>();

/**
 * Verifies the bearer token (alg pinned, HMAC, exp, iss, aud, sub), then the principal
 * (cached 30 s) and the sessions-revoked instant.
 */
async function authenticate(req: http.IncomingMessage): Promise<User> {
  const header = req.headers.authorization;
  if (header === undefined || header === '') {
    throw new HttpError(401, 'TOKEN_MISSING');
  }
  const m = BEARER.exec(header);
  if (m === null) {
    throw new HttpError(401, 'TOKEN_INVALID');
  }
  const [, h = '', p = '', s = ''] = m;
  let head: unknown;
  let claims: Claims;
  try {
    head = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    const parsed: unknown = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    claims = isRecord(parsed) ? parsed : {};
  } catch {
    throw new HttpError(401, 'TOKEN_INVALID');
  }
  if (!isRecord(head) || head.alg !== 'HS256') {
    throw new HttpError(401, 'TOKEN_INVALID');
  }
  const expected = createHmac('sha256', SECRET).update(`${h}.${p}`).digest();
  const given = Buffer.from(s, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new HttpError(401, 'TOKEN_INVALID');
  }
  const now = Math.floor(Date.now() / 1000);
  const aud: unknown[] = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (typeof claims.exp !== 'number' || claims.exp <= now) {
    throw new HttpError(401, 'TOKEN_EXPIRED');
  }
  const { sub, role, iat } = claims;
  if (
    claims.iss !== JWT_ISSUER ||
    !aud.includes(JWT_AUDIENCE) ||
    typeof sub !== 'string' ||
    !UUID.test(sub) ||
    typeof role !== 'string' ||
    typeof iat !== 'number'
  ) {
    throw new HttpError(401, 'TOKEN_INVALID');
  }
  let principal = principals.get(sub);
  if (principal === undefined || principal.until < Date.now()) {
    const { rows } = await pool.query<PrincipalRow>(PRINCIPAL_BY_ID, [sub]);
    const row = rows[0];
    if (row === undefined) {
      throw new HttpError(401, 'TOKEN_INVALID');
    }
    principal = {
      role: row.role,
      revokedAtMs: row.sessions_revoked_at?.getTime() ?? 0,
      until: Date.now() + PRINCIPAL_TTL_MS,
    };
    principals.set(sub, principal);
  }
  if (iat < Math.floor(principal.revokedAtMs / 1000)) {
    throw new HttpError(401, 'TOKEN_REVOKED');
  }
  return { id: sub, role: principal.role };
}

const statementNames = new Map<string, string>();
/** The hot statements as named prepared statements, as the service sends them (SqlRunner). */
async function prepared(text: string, values: unknown[]): Promise<unknown[]> {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `s${statementNames.size}`;
    statementNames.set(text, name);
  }
  const result = await pool.query({ name, text, values });
  return result.rows as unknown[];
}

// ---------------------------------------------------------------- mapping

const toProduct = (r: ProductRow): Record<string, unknown> => ({
  id: r.id,
  sku: r.sku,
  name: r.name,
  priceCents: r.price_cents,
  currency: r.currency,
  stock: r.stock,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

interface Order {
  readonly id: string;
  readonly [field: string]: unknown;
}

const toOrder = (o: OrderRow, items: readonly ItemRow[]): Order => ({
  id: o.id,
  userId: o.user_id,
  status: o.status,
  cancelReason: o.cancel_reason,
  currency: o.currency,
  totalCents: Number(o.total_cents),
  items: items.map((i) => ({
    productId: i.product_id,
    sku: i.sku,
    name: i.name,
    unitPriceCents: i.unit_price_cents,
    quantity: i.quantity,
    lineTotalCents: Number(i.line_total_cents),
  })),
  version: o.version,
  createdAt: o.created_at.toISOString(),
  updatedAt: o.updated_at.toISOString(),
});

// ---------------------------------------------------------------- routes

async function getProduct(id: string): Promise<Record<string, unknown>> {
  if (!UUID.test(id)) {
    throw new HttpError(400, 'VALIDATION_FAILED');
  }
  const [row] = (await prepared(sql.productById.text, [id])) as ProductRow[];
  if (row === undefined) {
    throw new HttpError(404, 'PRODUCT_NOT_FOUND');
  }
  return toProduct(row);
}

async function listOrders(user: User, query: URLSearchParams): Promise<Record<string, unknown>> {
  const limit = Number(query.get('limit') ?? 20);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new HttpError(400, 'VALIDATION_FAILED');
  }
  const pageOf = sql.ordersPage(user.id, limit);
  const orders = (await prepared(pageOf.text, [...pageOf.values])) as OrderRow[];
  const hasMore = orders.length > limit;
  const page = hasMore ? orders.slice(0, limit) : orders;
  const itemsByOrder = new Map<string, ItemRow[]>(page.map((o) => [o.id, []]));
  if (page.length > 0) {
    const items = (await prepared(sql.orderItemsOf.text, [page.map((o) => o.id)])) as ItemRow[];
    for (const item of items) {
      itemsByOrder.get(item.order_id ?? '')?.push(item);
    }
  }
  const last = page[page.length - 1];
  return {
    data: page.map((o) => toOrder(o, itemsByOrder.get(o.id) ?? [])),
    nextCursor:
      hasMore && last !== undefined
        ? Buffer.from(JSON.stringify([last.created_at.toISOString(), last.id])).toString(
            'base64url',
          )
        : null,
  };
}

interface Line {
  readonly productId: string;
  readonly quantity: number;
}

const isLine = (l: unknown): l is Line =>
  isRecord(l) &&
  typeof l.productId === 'string' &&
  UUID.test(l.productId) &&
  typeof l.quantity === 'number' &&
  Number.isInteger(l.quantity) &&
  l.quantity >= 1 &&
  l.quantity <= 1000;

/**
 * The service's placement, statement for statement: with an Idempotency-Key, a read of the
 * live key first (a replay returns the stored response); then the products without a lock;
 * then one statement that locks them in id order, checks stock, price and name, and, when
 * they hold, stores the key, takes the stock and inserts the order and its items.
 */
async function placeOrder(
  user: User,
  body: unknown,
  key: string | undefined,
): Promise<{ status: number; order: unknown; replayed: boolean }> {
  const items: unknown = isRecord(body) ? body.items : undefined;
  if (
    !Array.isArray(items) ||
    items.length < 1 ||
    items.length > 50 ||
    !items.every(isLine) ||
    new Set(items.map((l) => l.productId.toLowerCase())).size !== items.length ||
    (key !== undefined && !/^[\x20-\x7e]{1,255}$/.test(key))
  ) {
    throw new HttpError(400, 'VALIDATION_FAILED');
  }
  const wanted = new Map<string, number>(items.map((l) => [l.productId.toLowerCase(), l.quantity]));
  const requestHash = createHash('sha256')
    .update(JSON.stringify(items.map((l) => [l.productId, l.quantity])))
    .digest('hex');
  for (let attempt = 1; attempt <= 3; attempt += 1) {
    if (key !== undefined) {
      const [found] = (await prepared(IDEMPOTENCY_KEY_LOOKUP, [user.id, key])) as IdempotencyRow[];
      if (found !== undefined) {
        if (found.request_hash !== requestHash) {
          throw new HttpError(422, 'IDEMPOTENCY_KEY_REUSED');
        }
        return { status: 201, order: found.response_body, replayed: true };
      }
    }
    const products = (await prepared(sql.productsByIds.text, [[...wanted.keys()]])) as ProductRow[];
    const first = products[0];
    if (products.length !== wanted.size || first === undefined) {
      throw new HttpError(422, 'UNKNOWN_PRODUCTS');
    }
    if (new Set(products.map((p) => p.currency)).size > 1) {
      throw new HttpError(422, 'CURRENCY_MISMATCH');
    }
    for (const p of products) {
      if (p.stock < (wanted.get(p.id) ?? 0)) {
        throw new HttpError(409, 'INSUFFICIENT_STOCK');
      }
    }
    const byId = new Map(products.map((p) => [p.id, p]));
    const lines = [...wanted].map(([id, qty], position) => {
      const p = byId.get(id);
      if (p === undefined) {
        throw new HttpError(422, 'UNKNOWN_PRODUCTS');
      }
      return {
        itemId: randomUUID(),
        position,
        id,
        sku: p.sku,
        name: p.name,
        price: p.price_cents,
        qty,
      };
    });
    const now = new Date();
    const orderRow: OrderRow = {
      id: randomUUID(),
      user_id: user.id,
      status: 'pending',
      cancel_reason: null,
      currency: first.currency,
      total_cents: lines.reduce((sum, l) => sum + l.price * l.qty, 0),
      version: 1,
      created_at: now,
      updated_at: now,
    };
    const order = toOrder(
      orderRow,
      lines.map((l) => ({
        product_id: l.id,
        sku: l.sku,
        name: l.name,
        unit_price_cents: l.price,
        quantity: l.qty,
        line_total_cents: l.price * l.qty,
      })),
    );
    const placement = sql.placement(
      {
        id: orderRow.id,
        userId: user.id,
        status: 'pending',
        currency: orderRow.currency,
        totalCents: Number(orderRow.total_cents),
        version: 1,
        createdAt: now,
        items: lines.map((l) => ({
          id: l.itemId,
          position: l.position,
          productId: l.id,
          sku: l.sku,
          name: l.name,
          unitPriceCents: l.price,
          quantity: l.qty,
          lineTotalCents: l.price * l.qty,
        })),
      },
      lines.map((l) => ({
        productId: l.id,
        quantity: l.qty,
        unitPriceCents: l.price,
        name: l.name,
      })),
      { id: randomUUID(), data: order },
      key === undefined ? undefined : { key, requestHash, responseBody: order },
    );
    const [outcome] = (await prepared(placement.text, [...placement.values])) as Array<{
      placed: boolean;
    }>;
    if (outcome?.placed === true) {
      return { status: 201, order, replayed: false };
    }
  }
  throw new HttpError(503, 'CONCURRENT_CHANGE');
}

let dummyHash = '';

async function login(body: unknown): Promise<Record<string, unknown>> {
  const given = isRecord(body) ? body : {};
  const email = typeof given.email === 'string' ? given.email.trim().toLowerCase() : '';
  const password = typeof given.password === 'string' ? given.password : '';
  if (email === '' || password.length < 8 || password.length > 128) {
    throw new HttpError(400, 'VALIDATION_FAILED');
  }
  const { rows } = await pool.query<UserRow>(USER_BY_EMAIL, [email]);
  const user = rows[0];
  const ok = await argon2.verify(user?.password_hash ?? dummyHash, password).catch(() => false);
  if (user === undefined || !ok) {
    throw new HttpError(401, 'INVALID_CREDENTIALS');
  }
  const refreshToken = randomBytes(32).toString('base64url');
  await pool.query(INSERT_REFRESH_TOKEN, [
    createHash('sha256').update(refreshToken).digest('hex'),
    user.id,
    randomUUID(),
    new Date(Date.now() + REFRESH_TTL * 1000),
  ]);
  return {
    accessToken: signAccessToken(user.id, user.role),
    refreshToken,
    tokenType: 'Bearer',
    expiresIn: ACCESS_TTL,
  };
}

// ---------------------------------------------------------------- server

const PRODUCT_PATH = /^\/api\/v1\/products\/([^/]+)$/;

async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const method = req.method ?? 'GET';

  if (method === 'GET') {
    const m = PRODUCT_PATH.exec(path);
    if (m !== null) {
      send(res, 200, await getProduct(m[1] ?? ''));
      return;
    }
    if (path === '/api/v1/orders') {
      const user = await authenticate(req);
      send(res, 200, await listOrders(user, new URLSearchParams(q === -1 ? '' : url.slice(q + 1))));
      return;
    }
    if (path === '/ready' || path === '/health') {
      await pool.query('SELECT 1');
      send(res, 200, { status: 'ok' });
      return;
    }
  } else if (method === 'POST') {
    if (path === '/api/v1/orders') {
      const user = await authenticate(req);
      const key = req.headers['idempotency-key'];
      const placed = await placeOrder(
        user,
        await readJson(req),
        typeof key === 'string' ? key : undefined,
      );
      const id = isRecord(placed.order) ? placed.order.id : undefined;
      res.setHeader('location', `/api/v1/orders/${typeof id === 'string' ? id : ''}`);
      if (placed.replayed) {
        res.setHeader('idempotent-replayed', 'true');
      }
      send(res, placed.status, placed.order);
      return;
    }
    if (path === '/api/v1/auth/login') {
      send(res, 200, await login(await readJson(req)));
      return;
    }
  }
  throw new HttpError(404, 'NOT_FOUND');
}

const server = http.createServer((req, res) => {
  route(req, res).catch((error: unknown) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (error instanceof HttpError) {
      send(res, error.status, { status: error.status, code: error.code });
    } else {
      process.stderr.write(`baseline: ${errorStack(error)}\n`);
      send(res, 500, { status: 500, code: 'INTERNAL' });
    }
  });
});
server.keepAliveTimeout = 5_000;

async function main(): Promise<void> {
  dummyHash = await argon2.hash('dummy password for timing equalisation', {
    type: argon2.argon2id,
    memoryCost: 19_456,
    timeCost: 2,
    parallelism: 1,
  });
  await pool.query('SELECT 1');
  server.listen(PORT, HOST, () => {
    process.stdout.write(`baseline listening on http://${HOST}:${PORT}\n`);
  });
}

function stop(signal: NodeJS.Signals): void {
  server.close();
  server.closeAllConnections();
  void pool.end().finally(() => process.exit(signal === 'SIGTERM' ? 0 : 1));
  setTimeout(() => process.exit(1), 3_000).unref();
}
process.on('SIGTERM', () => {
  stop('SIGTERM');
});
process.on('SIGINT', () => {
  stop('SIGINT');
});

main().catch((error: unknown) => {
  process.stderr.write(`baseline failed to start: ${errorStack(error)}\n`);
  process.exit(1);
});
