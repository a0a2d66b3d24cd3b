/**
 * Every SQL statement of the bench that copies one of the service's: the framework-free
 * baseline (bench/baseline/server.ts) sends these, and pgbench's order-placement reference
 * (bench/run.ts) runs the placement pair with literals.
 *
 * They MIRROR the service's own statements (the repositories of src/modules: products,
 * orders with the idempotency key, users and refresh tokens), text for text where the
 * service's is fixed, so that the baseline does the same database work. They are copies:
 * when the service's statements change, these must change with them, and they are kept
 * here, in one file, so that they can be replaced by imports of the service's own
 * statements in one place.
 *
 * The bench's own queries (seeding checks, the stock invariant, pg_stat_activity) and the
 * platform bench's table (bench/platforms/db.ts) are not copies and live where they are used.
 */

// ------------------------------------------------------------------------------ auth

/** The principal behind a token (role, sessions revoked), cached by the caller. */
export const PRINCIPAL_BY_ID = 'SELECT role, sessions_revoked_at FROM users WHERE id = $1';

/** Login: the user by normalised email. */
export const USER_BY_EMAIL = 'SELECT id, role, password_hash FROM users WHERE email = $1';

/** Login: the refresh token row ($1 sha256 of the token, $2 user, $3 family, $4 expiry). */
export const INSERT_REFRESH_TOKEN = `INSERT INTO refresh_tokens (token_hash, user_id, family_id, expires_at)
     VALUES ($1, $2, $3, $4)`;

// ------------------------------------------------------------------------------ reads

export const PRODUCT_COLUMNS =
  'id, sku, name, price_cents, currency, stock, created_at, updated_at';
export const ORDER_COLUMNS =
  'id, user_id, status, currency, total_cents, version, created_at, updated_at';
export const ITEM_COLUMNS =
  'order_id, position, product_id, sku, name, unit_price_cents, quantity, line_total_cents';

/** GET /products/:id. */
export const PRODUCT_BY_ID = `SELECT ${PRODUCT_COLUMNS} FROM products WHERE id = $1`;

/** GET /orders: one page of a customer's orders, newest first ($2 = limit + 1). */
export const ORDERS_PAGE = `SELECT ${ORDER_COLUMNS} FROM orders WHERE user_id = $1
     ORDER BY created_at DESC, id DESC LIMIT $2`;

/** GET /orders: the items of the orders of a page. */
export const ORDER_ITEMS_OF = `SELECT ${ITEM_COLUMNS} FROM order_items WHERE order_id = ANY($1::uuid[]) ORDER BY position`;

// ------------------------------------------------------------------------------ placement

/** With an Idempotency-Key: the live key of this user, if any (a replay). */
export const IDEMPOTENCY_KEY_LOOKUP = `SELECT request_hash, response_status, response_body FROM idempotency_keys
         WHERE user_id = $1 AND key = $2 AND expires_at > now()`;

/** The quote: the products of the order, without a lock. */
export const PLACEMENT_QUOTE =
  'SELECT id, sku, name, price_cents, currency, stock FROM products WHERE id = ANY($1::uuid[])';

/**
 * The one statement that locks the products in id order, checks stock, price and name,
 * and, when they hold, (stores the idempotency key,) takes the stock and inserts the order
 * and its items. Parameters: $1 product ids, $2 quantities, $3 prices, $4 names, $5 line
 * count, $6 order id, $7 user id, $8 currency, $9 total, $10 now, $11 item ids, $12
 * positions, $13 skus; keyed: $14 key, $15 request hash, $16 response body.
 */
export function placementStatement(keyed: boolean): string {
  const gate = keyed
    ? `gate AS (
            INSERT INTO idempotency_keys (user_id, key, request_hash, response_status, response_body, expires_at)
            SELECT $7::uuid, $14::varchar, $15::char(64), 201, $16::jsonb, now() + interval '24 hours'
            WHERE (SELECT ok FROM checked)
            ON CONFLICT (user_id, key) DO UPDATE
              SET request_hash = EXCLUDED.request_hash, response_status = EXCLUDED.response_status,
                  response_body = EXCLUDED.response_body, created_at = now(), expires_at = EXCLUDED.expires_at
              WHERE idempotency_keys.expires_at <= now()
            RETURNING 1)`
    : 'gate AS (SELECT 1 WHERE (SELECT ok FROM checked))';
  return `WITH lines AS (
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
       SELECT (SELECT ok FROM checked) AS stock_ok, EXISTS (SELECT 1 FROM gate) AS placed`;
}

/**
 * pgbench's script for the order-placement reference: the service's two statements with
 * literals for its parameters (the unlocked quote, then the one statement that locks,
 * checks, takes the stock and writes the order) for one unit of the hot product, 19.99 EUR,
 * bought by `buyerId`. Ids are UUIDs read from the bench's own database.
 */
export function pgbenchHotOrderScript(o: {
  readonly hotProductId: string;
  readonly buyerId: string;
}): string {
  const hot = o.hotProductId;
  return [
    `SELECT id, sku, name, price_cents, currency, stock FROM products WHERE id = ANY(ARRAY['${hot}']::uuid[]);`,
    [
      `WITH stock_lines AS (SELECT * FROM unnest(ARRAY['${hot}']::uuid[], ARRAY[1]::integer[], ARRAY[1999]::integer[], ARRAY['Hot product']::varchar[]) AS l(product_id, quantity, price_cents, name)),`,
      `stock_locked AS (SELECT p.id, p.stock, p.price_cents, p.name FROM products p WHERE p.id IN (SELECT product_id FROM stock_lines) ORDER BY p.id FOR UPDATE),`,
      `stock_checked AS (SELECT count(*) = 1 AS ok FROM stock_locked k JOIN stock_lines l ON l.product_id = k.id WHERE k.stock >= l.quantity AND k.price_cents = l.price_cents AND k.name = l.name),`,
      `placement_gate AS (SELECT 1 WHERE (SELECT ok FROM stock_checked)),`,
      `stock_taken AS (UPDATE products p SET stock = p.stock - l.quantity, updated_at = now() FROM stock_lines l WHERE p.id = l.product_id AND EXISTS (SELECT 1 FROM placement_gate) RETURNING p.id),`,
      `order_row AS (INSERT INTO orders (id, user_id, status, currency, total_cents, version, created_at, updated_at) SELECT gen_random_uuid(), '${o.buyerId}', 'pending', 'EUR', 1999, 1, now(), now() WHERE EXISTS (SELECT 1 FROM placement_gate) RETURNING id),`,
      `order_lines AS (INSERT INTO order_items (id, order_id, position, product_id, sku, name, unit_price_cents, quantity, line_total_cents) SELECT gen_random_uuid(), o.id, 0, '${hot}', 'BENCH-HOT', 'Hot product', 1999, 1, 1999 FROM order_row o)`,
      `SELECT (SELECT ok FROM stock_checked) AS "stockOk", EXISTS (SELECT 1 FROM placement_gate) AS "placed";`,
    ].join(' '),
    '',
  ].join('\n');
}
