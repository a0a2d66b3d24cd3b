/**
 * The SQL of the bench's references: the framework-free baseline (bench/baseline/server.ts)
 * and pgbench's order-placement run (bench/lib/database.ts).
 *
 * The service's hand-written statements are not copied here: they are loaded from the build
 * under test (`useServiceBuild()`), from the module files that declare them
 * (src/modules/catalog/products.sql.ts, src/modules/orders/orders.sql.ts). So the baseline
 * and pgbench send, text for text, the placement statement, the quote, the product read and
 * the order page the service sends; only the select lists are the baseline's own (it reads
 * snake_case rows, the service reads its entities' property names).
 *
 * The rest below is what TypeORM generates for the repository calls the service makes there
 * (login, refresh token, principal, live idempotency key): the baseline writes the same
 * queries plainly.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';

// ------------------------------------------------------------------------------ the service's

/** `$n` parameters of one statement (src: libs/core/src/database/sql-params.ts). */
interface SqlParams {
  readonly values: unknown[];
  add(value: unknown, cast?: string): string;
}

interface Statement {
  readonly name: string;
  readonly text: string;
}

interface StatementWithValues extends Statement {
  readonly values: readonly unknown[];
}

export interface ReservedLine {
  readonly productId: string;
  readonly quantity: number;
  readonly unitPriceCents: number;
  readonly name: string;
}

interface StockReservation {
  readonly check: (params: SqlParams) => string;
  readonly ok: string;
  readonly take: (params: SqlParams, gate: string) => string;
}

/** An outbox event (src: libs/core/src/outbox/outbox.sql.ts). */
interface OutboxEvent {
  readonly id: string;
  readonly type: string;
  readonly data: unknown;
  readonly createdAt: Date;
  readonly requestId: string | null;
  readonly traceContext: Record<string, string> | null;
}

interface PlacementGate {
  readonly kind: string;
  readonly cte: (params: SqlParams, when: string, name: string) => string;
}

export interface OrderToInsert {
  readonly id: string;
  readonly userId: string;
  readonly status: string;
  readonly currency: string;
  readonly totalCents: number;
  readonly version: number;
  readonly createdAt: Date;
  readonly items: ReadonlyArray<{
    readonly id: string;
    readonly position: number;
    readonly productId: string;
    readonly sku: string;
    readonly name: string;
    readonly unitPriceCents: number;
    readonly quantity: number;
    readonly lineTotalCents: number;
  }>;
}

/** What products.sql.js exports (typed here: the tooling does not type-check src/). */
interface ProductsSql {
  productStatements(columns: string): { productById: Statement; productsByIds: Statement };
  stockReservation(lines: readonly ReservedLine[]): StockReservation;
}

/** What orders.sql.js exports. */
interface OrdersSql {
  readonly STOCK_GATE: PlacementGate;
  rememberKeyPart(entry: {
    userId: string;
    key: string;
    requestHash: string;
    responseBody: unknown;
    ttlMs: number;
  }): PlacementGate;
  placementStatement(
    order: OrderToInsert,
    stock: StockReservation,
    gate: PlacementGate,
    events: readonly OutboxEvent[],
  ): StatementWithValues;
  orderStatements(
    columns: string,
    itemColumns: string,
  ): {
    itemsOf: Statement;
    page(
      filter: { userId?: string; status?: string },
      after: null,
      limit: number,
    ): StatementWithValues;
  };
}

/** The service's statements, as the build under test declares them. */
export interface ServiceStatements {
  readonly productById: Statement;
  readonly productsByIds: Statement;
  readonly orderItemsOf: Statement;
  ordersPage(userId: string, limit: number): StatementWithValues;
  /**
   * The one placement statement, writing `placed` (the `order.placed` event: its id and the
   * order's response) with the order; with `key`, the gate also remembers the key (24 h).
   */
  placement(
    order: OrderToInsert,
    lines: readonly ReservedLine[],
    placed: PlacedEvent,
    key?: { readonly key: string; readonly requestHash: string; readonly responseBody: unknown },
  ): StatementWithValues;
}

/** What the placement's `order.placed` event carries: its id and the order as answered. */
export interface PlacedEvent {
  readonly id: string;
  readonly data: unknown;
}

const PRODUCT_COLUMNS =
  'p.id, p.sku, p.name, p.price_cents, p.currency, p.stock, p.created_at, p.updated_at';
const ORDER_COLUMNS =
  'o.id, o.user_id, o.status, o.cancel_reason, o.currency, o.total_cents, o.version, o.created_at, o.updated_at';
const ITEM_COLUMNS =
  'i.order_id, i.position, i.product_id, i.sku, i.name, i.unit_price_cents, i.quantity, i.line_total_cents';
const IDEMPOTENCY_TTL_MS = 86_400_000;

let loaded: ServiceStatements | null = null;

/** Loads the statements of the service built into `distDir` (the dir holding src/main.js). */
export function useServiceBuild(distDir: string): ServiceStatements {
  const require = createRequire(import.meta.url);
  const products = require(join(distDir, 'src/modules/catalog/products.sql.js')) as ProductsSql;
  const orders = require(join(distDir, 'src/modules/orders/orders.sql.js')) as OrdersSql;
  const productReads = products.productStatements(PRODUCT_COLUMNS);
  const orderReads = orders.orderStatements(ORDER_COLUMNS, ITEM_COLUMNS);
  loaded = {
    productById: productReads.productById,
    productsByIds: productReads.productsByIds,
    orderItemsOf: orderReads.itemsOf,
    ordersPage: (userId, limit) => orderReads.page({ userId }, null, limit),
    placement: (order, lines, placed, key) =>
      orders.placementStatement(
        order,
        products.stockReservation(lines),
        key === undefined
          ? orders.STOCK_GATE
          : orders.rememberKeyPart({ ...key, userId: order.userId, ttlMs: IDEMPOTENCY_TTL_MS }),
        [
          {
            ...placed,
            type: 'order.placed',
            createdAt: order.createdAt,
            requestId: null,
            traceContext: null,
          },
        ],
      ),
  };
  return loaded;
}

/** The statements loaded by `useServiceBuild()`. */
export function service(): ServiceStatements {
  if (loaded === null) {
    throw new Error(
      'bench: useServiceBuild(distDir) must run before the service statements are used',
    );
  }
  return loaded;
}

// ------------------------------------------------------------------------------ TypeORM's, plainly

/** The principal behind a token (role, sessions revoked), cached by the caller. */
export const PRINCIPAL_BY_ID = 'SELECT role, sessions_revoked_at FROM users WHERE id = $1';

/** Login: the user by normalised email. */
export const USER_BY_EMAIL = 'SELECT id, role, password_hash FROM users WHERE email = $1';

/** Login: the refresh token row ($1 sha256 of the token, $2 user, $3 family, $4 expiry). */
export const INSERT_REFRESH_TOKEN = `INSERT INTO refresh_tokens (token_hash, user_id, family_id, expires_at)
     VALUES ($1, $2, $3, $4)`;

/** With an Idempotency-Key: the live key of this user, if any (a replay). */
export const IDEMPOTENCY_KEY_LOOKUP = `SELECT request_hash, response_body FROM idempotency_keys
         WHERE user_id = $1 AND key = $2 AND expires_at > now()`;

// ------------------------------------------------------------------------------ pgbench

const ORDER_ID = '00000000-0000-4000-8000-00000000000a';
const ITEM_ID = '00000000-0000-4000-8000-00000000000b';
const EVENT_ID = '00000000-0000-4000-8000-00000000000c';
const NOW = new Date(0);

/** A statement's `$n` value as SQL text for pgbench, with fresh ids per transaction. */
function literal(value: unknown): string {
  if (value === ORDER_ID) {
    return "md5('o' || :r1 || '-' || :r2)::uuid";
  }
  if (value === NOW) {
    return 'now()';
  }
  if (Array.isArray(value)) {
    if (value.length === 1 && value[0] === ITEM_ID) {
      return "ARRAY[md5('i' || :r1 || '-' || :r2)::uuid]";
    }
    if (value.length === 1 && value[0] === EVENT_ID) {
      return "ARRAY[md5('e' || :r1 || '-' || :r2)::uuid]";
    }
    if (value.length === 1 && value[0] === NOW) {
      return 'ARRAY[now()]';
    }
    const elements = value.map((v) =>
      v === null ? 'NULL' : `"${String(v).replace(/["\\]/g, (c) => `\\${c}`)}"`,
    );
    return `'${`{${elements.join(',')}}`.replace(/'/g, "''")}'`;
  }
  if (typeof value === 'number') {
    return String(value);
  }
  return `'${String(value).replace(/'/g, "''")}'`;
}

/**
 * `text` with every `$n` replaced by the literal of its value. pgbench reads `:name` as a
 * variable anywhere in a script, so a JSON value's `"key":null` gets a space after the colon
 * (same JSON, no variable).
 */
const inline = (text: string, values: readonly unknown[]): string =>
  text.replace(/\$(\d+)/g, (_match, n: string) =>
    literal(values[Number(n) - 1]).replace(/":(?=[A-Za-z_])/g, '": '),
  );

/**
 * pgbench's script for the order-placement reference: the service's two statements (the
 * unlocked quote, then the one statement that locks, checks, takes the stock and writes the
 * order), for one unit of the hot product at 19.99 EUR bought by `buyerId`, with the values
 * as literals and fresh order and item ids per transaction.
 */
export function pgbenchHotOrderScript(o: {
  readonly hotProductId: string;
  readonly buyerId: string;
}): string {
  const statements = service();
  const line: ReservedLine = {
    productId: o.hotProductId,
    quantity: 1,
    unitPriceCents: 1999,
    name: 'Hot product',
  };
  const item = {
    productId: o.hotProductId,
    sku: 'BENCH-HOT',
    name: 'Hot product',
    unitPriceCents: 1999,
    quantity: 1,
    lineTotalCents: 1999,
  };
  const order = {
    id: ORDER_ID,
    userId: o.buyerId,
    status: 'pending',
    currency: 'EUR',
    totalCents: 1999,
    version: 1,
  };
  // The event's data is the order as the service answers it: about as many bytes per row.
  const at = new Date().toISOString();
  const data = {
    ...order,
    cancelReason: null,
    items: [item],
    createdAt: at,
    updatedAt: at,
  };
  const placement = statements.placement(
    { ...order, createdAt: NOW, items: [{ ...item, id: ITEM_ID, position: 0 }] },
    [line],
    { id: EVENT_ID, data },
  );
  const oneLine = (sql: string): string => sql.replace(/\s+/g, ' ').trim();
  return [
    '\\set r1 random(1, 1000000000000)',
    '\\set r2 random(1, 1000000000000)',
    `${oneLine(inline(statements.productsByIds.text, [[o.hotProductId]]))};`,
    `${oneLine(inline(placement.text, placement.values))};`,
    '',
  ].join('\n');
}
