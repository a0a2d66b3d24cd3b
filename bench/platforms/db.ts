/**
 * What the three servers of `npm run bench:platforms` share, so they do the same database
 * work: the pg Pool (20 connections, like the service's default) and the one query, on the
 * table that bench/platforms/run.ts creates (its own, not the service's schema).
 * Env: DATABASE_URL.
 */
import pg from 'pg';

export const HOST = '127.0.0.1';

export const PRODUCT_BY_ID =
  'SELECT id, sku, name, price_cents, stock, created_at FROM products WHERE id = $1';

/** Nest's ParseUUIDPipe pattern for version 'all', so the bare server rejects the same ids. */
export const UUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/i;

export function createPool(): pg.Pool {
  const pool = new pg.Pool({
    connectionString: process.env.DATABASE_URL,
    max: 20,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 2_000,
    statement_timeout: 5_000,
    application_name: 'bench-platforms',
  });
  // An idle client's error (e.g. the database dropped at the end) must not crash the server.
  pool.on('error', () => undefined);
  return pool;
}

/** The row of the product `id` (a UUID), undefined when there is none. */
export async function findProduct(
  pool: pg.Pool,
  id: string,
): Promise<Record<string, unknown> | undefined> {
  const { rows } = await pool.query<Record<string, unknown>>(PRODUCT_BY_ID, [id]);
  return rows[0];
}
