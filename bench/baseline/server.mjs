// @ts-check
/**
 * The baseline for `npm run bench`: the same four routes as the service, answered with the
 * same SQL through a plain `pg` Pool and `node:http`, with no framework, no ORM, no
 * validation library, no access log, no security headers and no rate limiting.
 * It is what "the database work plus the bare minimum of HTTP and auth" costs on this box,
 * so the service's numbers can be read as a ratio of it.
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
 * JWT_ACCESS_TTL, DB_POOL_MAX (default 20, the service's default).
 */
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import http from 'node:http';

import argon2 from 'argon2';
import pg from 'pg';

import { sendJson as send } from '../lib/send-json.mjs';

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
  /** @param {number} status @param {string} code */
  constructor(status, code) {
    super(code);
    this.status = status;
    this.code = code;
  }
}

/** @param {http.IncomingMessage} req @returns {Promise<any>} */
function readJson(req) {
  return new Promise((resolve, reject) => {
    /** @type {Buffer[]} */
    const chunks = [];
    let size = 0;
    req.on('data', (/** @type {Buffer} */ chunk) => {
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
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new HttpError(400, 'MALFORMED_JSON'));
      }
    });
    req.on('error', reject);
  });
}

// ---------------------------------------------------------------- JWT (HS256)

/** @param {string} s */
const b64url = (s) => Buffer.from(s, 'utf8').toString('base64url');
const JWT_HEADER = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

/** @param {string} userId @param {string} role */
function signAccessToken(userId, role) {
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

/** @type {Map<string, {role: string, revokedAtMs: number, until: number}>} */
const principals = new Map();

/**
 * Verifies the bearer token (alg pinned, HMAC, exp, iss, aud, sub), then the principal
 * (cached 30 s) and the sessions-revoked instant.
 * @param {http.IncomingMessage} req
 * @returns {Promise<{id: string, role: string}>}
 */
async function authenticate(req) {
  const header = req.headers.authorization;
  if (header === undefined || header === '') {
    throw new HttpError(401, 'TOKEN_MISSING');
  }
  const m = BEARER.exec(header);
  if (m === null) {
    throw new HttpError(401, 'TOKEN_INVALID');
  }
  const [, h, p, s] = /** @type {[string, string, string, string]} */ (/** @type {unknown} */ (m));
  let head;
  let claims;
  try {
    head = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  } catch {
    throw new HttpError(401, 'TOKEN_INVALID');
  }
  if (head?.alg !== 'HS256') {
    throw new HttpError(401, 'TOKEN_INVALID');
  }
  const expected = createHmac('sha256', SECRET).update(`${h}.${p}`).digest();
  const given = Buffer.from(s, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new HttpError(401, 'TOKEN_INVALID');
  }
  const now = Math.floor(Date.now() / 1000);
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (typeof claims.exp !== 'number' || claims.exp <= now) {
    throw new HttpError(401, 'TOKEN_EXPIRED');
  }
  if (
    claims.iss !== JWT_ISSUER ||
    !aud.includes(JWT_AUDIENCE) ||
    typeof claims.sub !== 'string' ||
    !UUID.test(claims.sub) ||
    typeof claims.role !== 'string' ||
    typeof claims.iat !== 'number'
  ) {
    throw new HttpError(401, 'TOKEN_INVALID');
  }
  let principal = principals.get(claims.sub);
  if (principal === undefined || principal.until < Date.now()) {
    const { rows } = await pool.query('SELECT role, sessions_revoked_at FROM users WHERE id = $1', [
      claims.sub,
    ]);
    if (rows.length === 0) {
      throw new HttpError(401, 'TOKEN_INVALID');
    }
    principal = {
      role: rows[0].role,
      revokedAtMs: rows[0].sessions_revoked_at?.getTime() ?? 0,
      until: Date.now() + PRINCIPAL_TTL_MS,
    };
    principals.set(claims.sub, principal);
  }
  if (claims.iat < Math.floor(principal.revokedAtMs / 1000)) {
    throw new HttpError(401, 'TOKEN_REVOKED');
  }
  return { id: claims.sub, role: principal.role };
}

/** @type {Map<string, string>} */
const statementNames = new Map();
/**
 * The hot statements as named prepared statements, as the service sends them (SqlRunner).
 * @param {string} text @param {unknown[]} values
 */
const prepared = (text, values) => {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `s${statementNames.size}`;
    statementNames.set(text, name);
  }
  return pool.query({ name, text, values });
};

// ---------------------------------------------------------------- mapping

/** @param {any} r */
const toProduct = (r) => ({
  id: r.id,
  sku: r.sku,
  name: r.name,
  priceCents: r.price_cents,
  currency: r.currency,
  stock: r.stock,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

/** @param {any} o @param {any[]} items */
const toOrder = (o, items) => ({
  id: o.id,
  userId: o.user_id,
  status: o.status,
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

const PRODUCT_COLUMNS = 'id, sku, name, price_cents, currency, stock, created_at, updated_at';
const ORDER_COLUMNS = 'id, user_id, status, currency, total_cents, version, created_at, updated_at';
const ITEM_COLUMNS =
  'order_id, position, product_id, sku, name, unit_price_cents, quantity, line_total_cents';

// ---------------------------------------------------------------- routes

/** @param {string} id */
async function getProduct(id) {
  if (!UUID.test(id)) {
    throw new HttpError(400, 'VALIDATION_FAILED');
  }
  const { rows } = await prepared(`SELECT ${PRODUCT_COLUMNS} FROM products WHERE id = $1`, [id]);
  if (rows.length === 0) {
    throw new HttpError(404, 'PRODUCT_NOT_FOUND');
  }
  return toProduct(rows[0]);
}

/** @param {{id: string}} user @param {URLSearchParams} query */
async function listOrders(user, query) {
  const limit = Number(query.get('limit') ?? 20);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new HttpError(400, 'VALIDATION_FAILED');
  }
  const { rows: orders } = await prepared(
    `SELECT ${ORDER_COLUMNS} FROM orders WHERE user_id = $1
     ORDER BY created_at DESC, id DESC LIMIT $2`,
    [user.id, limit + 1],
  );
  const hasMore = orders.length > limit;
  const page = hasMore ? orders.slice(0, limit) : orders;
  /** @type {Map<string, any[]>} */
  const itemsByOrder = new Map(page.map((o) => [o.id, []]));
  if (page.length > 0) {
    const { rows: items } = await prepared(
      `SELECT ${ITEM_COLUMNS} FROM order_items WHERE order_id = ANY($1::uuid[]) ORDER BY position`,
      [page.map((o) => o.id)],
    );
    for (const item of items) {
      itemsByOrder.get(item.order_id)?.push(item);
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

/**
 * The service's placement, statement for statement: with an Idempotency-Key, a read of the
 * live key first (a replay returns the stored response); then the products without a lock;
 * then one statement that locks them in id order, checks stock, price and name, and, when
 * they hold, stores the key, takes the stock and inserts the order and its items.
 * @param {any} user @param {any} body @param {string | undefined} key
 * @returns {Promise<{status: number, order: any, replayed: boolean}>}
 */
async function placeOrder(user, body, key) {
  const items = body?.items;
  if (
    !Array.isArray(items) ||
    items.length < 1 ||
    items.length > 50 ||
    !items.every(
      (l) =>
        typeof l?.productId === 'string' &&
        UUID.test(l.productId) &&
        Number.isInteger(l.quantity) &&
        l.quantity >= 1 &&
        l.quantity <= 1000,
    ) ||
    new Set(items.map((l) => l.productId.toLowerCase())).size !== items.length ||
    (key !== undefined && !/^[\x20-\x7e]{1,255}$/.test(key))
  ) {
    throw new HttpError(400, 'VALIDATION_FAILED');
  }
  /** @type {Map<string, number>} */
  const wanted = new Map(items.map((l) => [l.productId.toLowerCase(), l.quantity]));
  const requestHash = createHash('sha256')
    .update(JSON.stringify(items.map((l) => [l.productId, l.quantity])))
    .digest('hex');
  for (let attempt = 1; attempt <= 3; attempt += 1) {
    if (key !== undefined) {
      const { rows: found } = await prepared(
        `SELECT request_hash, response_status, response_body FROM idempotency_keys
         WHERE user_id = $1 AND key = $2 AND expires_at > now()`,
        [user.id, key],
      );
      if (found[0] !== undefined) {
        if (found[0].request_hash !== requestHash) {
          throw new HttpError(422, 'IDEMPOTENCY_KEY_REUSED');
        }
        return { status: found[0].response_status, order: found[0].response_body, replayed: true };
      }
    }
    const { rows: products } = await prepared(
      `SELECT id, sku, name, price_cents, currency, stock FROM products WHERE id = ANY($1::uuid[])`,
      [[...wanted.keys()]],
    );
    if (products.length !== wanted.size) {
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
    const orderRow = {
      id: randomUUID(),
      user_id: user.id,
      status: 'pending',
      currency: products[0].currency,
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
    const params = [
      lines.map((l) => l.id),
      lines.map((l) => l.qty),
      lines.map((l) => l.price),
      lines.map((l) => l.name),
      lines.length,
      orderRow.id,
      user.id,
      orderRow.currency,
      orderRow.total_cents,
      now,
      lines.map((l) => l.itemId),
      lines.map((l) => l.position),
      lines.map((l) => l.sku),
    ];
    const gate =
      key === undefined
        ? 'gate AS (SELECT 1 WHERE (SELECT ok FROM checked))'
        : `gate AS (
            INSERT INTO idempotency_keys (user_id, key, request_hash, response_status, response_body, expires_at)
            SELECT $7::uuid, $14::varchar, $15::char(64), 201, $16::jsonb, now() + interval '24 hours'
            WHERE (SELECT ok FROM checked)
            ON CONFLICT (user_id, key) DO UPDATE
              SET request_hash = EXCLUDED.request_hash, response_status = EXCLUDED.response_status,
                  response_body = EXCLUDED.response_body, created_at = now(), expires_at = EXCLUDED.expires_at
              WHERE idempotency_keys.expires_at <= now()
            RETURNING 1)`;
    if (key !== undefined) {
      params.push(key, requestHash, JSON.stringify(order));
    }
    const { rows } = await prepared(
      `WITH lines AS (
         SELECT * FROM unnest($1::uuid[], $2::integer[], $3::integer[], $4::varchar[])
           AS l(product_id, quantity, price_cents, name)
       ), locked AS (
         SELECT p.id, p.stock, p.price_cents, p.name FROM products p
         WHERE p.id IN (SELECT product_id FROM lines) ORDER BY p.id FOR UPDATE
       ), checked AS (
         SELECT count(*) = $5::integer AS ok FROM locked k JOIN lines l ON l.product_id = k.id
         WHERE k.stock >= l.quantity AND k.price_cents = l.price_cents AND k.name = l.name
       ), ${gate}, taken AS (
         UPDATE products p SET stock = p.stock - l.quantity, updated_at = now() FROM lines l
         WHERE p.id = l.product_id AND EXISTS (SELECT 1 FROM gate) RETURNING p.id
       ), o AS (
         INSERT INTO orders (id, user_id, status, currency, total_cents, version, created_at, updated_at)
         SELECT $6::uuid, $7::uuid, 'pending', $8::char(3), $9::bigint, 1, $10::timestamptz, $10::timestamptz
         WHERE EXISTS (SELECT 1 FROM gate)
       ), i AS (
         INSERT INTO order_items
           (id, order_id, position, product_id, sku, name, unit_price_cents, quantity, line_total_cents)
         SELECT l.id, $6::uuid, l.position, l.product_id, l.sku, l.name, l.price, l.qty, l.price::bigint * l.qty
         FROM unnest($11::uuid[], $12::smallint[], $1::uuid[], $13::varchar[], $4::varchar[], $3::integer[], $2::integer[])
           AS l(id, position, product_id, sku, name, price, qty)
         WHERE EXISTS (SELECT 1 FROM gate)
       )
       SELECT (SELECT ok FROM checked) AS stock_ok, EXISTS (SELECT 1 FROM gate) AS placed`,
      params,
    );
    if (rows[0]?.placed === true) {
      return { status: 201, order, replayed: false };
    }
  }
  throw new HttpError(503, 'CONCURRENT_CHANGE');
}

let dummyHash = '';

/** @param {any} body */
async function login(body) {
  const email = typeof body?.email === 'string' ? body.email.trim().toLowerCase() : '';
  const password = typeof body?.password === 'string' ? body.password : '';
  if (email === '' || password.length < 8 || password.length > 128) {
    throw new HttpError(400, 'VALIDATION_FAILED');
  }
  const { rows } = await pool.query('SELECT id, role, password_hash FROM users WHERE email = $1', [
    email,
  ]);
  const user = rows[0];
  const ok = await argon2.verify(user?.password_hash ?? dummyHash, password).catch(() => false);
  if (user === undefined || !ok) {
    throw new HttpError(401, 'INVALID_CREDENTIALS');
  }
  const refreshToken = randomBytes(32).toString('base64url');
  await pool.query(
    `INSERT INTO refresh_tokens (token_hash, user_id, family_id, expires_at)
     VALUES ($1, $2, $3, $4)`,
    [
      createHash('sha256').update(refreshToken).digest('hex'),
      user.id,
      randomUUID(),
      new Date(Date.now() + REFRESH_TTL * 1000),
    ],
  );
  return {
    accessToken: signAccessToken(user.id, user.role),
    refreshToken,
    tokenType: 'Bearer',
    expiresIn: ACCESS_TTL,
  };
}

// ---------------------------------------------------------------- server

const PRODUCT_PATH = /^\/api\/v1\/products\/([^/]+)$/;

/** @param {http.IncomingMessage} req @param {http.ServerResponse} res */
async function route(req, res) {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const method = req.method ?? 'GET';

  if (method === 'GET') {
    const m = PRODUCT_PATH.exec(path);
    if (m !== null) {
      return send(res, 200, await getProduct(/** @type {string} */ (m[1])));
    }
    if (path === '/api/v1/orders') {
      const user = await authenticate(req);
      return send(
        res,
        200,
        await listOrders(user, new URLSearchParams(q === -1 ? '' : url.slice(q + 1))),
      );
    }
    if (path === '/ready' || path === '/health') {
      await pool.query('SELECT 1');
      return send(res, 200, { status: 'ok' });
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
      res.setHeader('location', `/api/v1/orders/${placed.order.id}`);
      if (placed.replayed) {
        res.setHeader('idempotent-replayed', 'true');
      }
      return send(res, placed.status, placed.order);
    }
    if (path === '/api/v1/auth/login') {
      return send(res, 200, await login(await readJson(req)));
    }
  }
  throw new HttpError(404, 'NOT_FOUND');
}

const server = http.createServer((req, res) => {
  route(req, res).catch((/** @type {any} */ error) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (error instanceof HttpError) {
      send(res, error.status, { status: error.status, code: error.code });
    } else {
      process.stderr.write(`baseline: ${error?.stack ?? String(error)}\n`);
      send(res, 500, { status: 500, code: 'INTERNAL' });
    }
  });
});
server.keepAliveTimeout = 5_000;

async function main() {
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

/** @param {string} signal */
function stop(signal) {
  server.close();
  server.closeAllConnections();
  void pool.end().finally(() => process.exit(signal === 'SIGTERM' ? 0 : 1));
  setTimeout(() => process.exit(1), 3_000).unref();
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));

main().catch((error) => {
  process.stderr.write(`baseline failed to start: ${error?.stack ?? String(error)}\n`);
  process.exit(1);
});
