/**
 * The bench's own database work around the targets: a client for one query, fresh planner
 * statistics, the hot product's stock, this run's Redis keys, and pgbench's raw-SQL
 * reference for order placement (its statements: bench/lib/statements.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import pg from 'pg';

import { errorMessage, round } from '../../scripts/lib/cli.ts';

import { POOL_CONNECTIONS, REDIS_URL, cfg } from './config.ts';
import { machineCpu } from './proc-cpu.ts';
import { pgbenchHotOrderScript } from './statements.ts';

/** A client on `url` for the time of `fn`. */
export async function withDb<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/**
 * Fresh planner statistics before each scenario. Order placement adds tens of thousands of
 * orders in seconds; until autovacuum's ANALYZE catches up (up to a minute) the order list
 * can be planned as a backward scan over every order, which is the previous scenario
 * showing through, not the code under test.
 */
export async function analyze(url: string): Promise<void> {
  await withDb(url, (c) => c.query('ANALYZE'));
}

/** The stock of product `id`. */
export async function hotStock(url: string, id: string): Promise<number> {
  return withDb(url, async (c) => {
    const { rows } = await c.query<{ stock: number }>('SELECT stock FROM products WHERE id = $1', [
      id,
    ]);
    return Number(rows[0]?.stock);
  });
}

/** The units of product `id` in order lines. */
export async function unitsOrdered(url: string, id: string): Promise<number> {
  return withDb(url, async (c) => {
    const { rows } = await c.query<{ q: string }>(
      'SELECT COALESCE(SUM(quantity), 0)::bigint AS q FROM order_items WHERE product_id = $1',
      [id],
    );
    return Number(rows[0]?.q);
  });
}

/** Removes this run's keys from the local Redis (ioredis is a dependency of the service). */
export async function deleteRedisKeys(prefix: string, log: (m: string) => void): Promise<void> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    let cursor = '0';
    let deleted = 0;
    // Bounded: a SCAN pass over a local Redis, in pages of 500.
    for (let page = 0; page < 1_000_000; page += 1) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) {
        deleted += await redis.del(...keys);
      }
      if (cursor === '0') {
        break;
      }
    }
    log(`deleted ${deleted} Redis key(s) under ${prefix}`);
  } finally {
    redis.disconnect();
  }
}

function findPgbench(): string | null {
  for (const dir of ['/usr/lib/postgresql', '/usr/local/pgsql']) {
    try {
      for (const v of readdirSync(dir).sort().reverse()) {
        const bin = join(dir, v, 'bin', 'pgbench');
        if (existsSync(bin)) {
          return bin;
        }
      }
    } catch {
      // not there
    }
    if (existsSync(join(dir, 'bin', 'pgbench'))) {
      return join(dir, 'bin', 'pgbench');
    }
  }
  try {
    return execFileSync('sh', ['-c', 'command -v pgbench'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

export interface PgbenchResult {
  readonly tool: 'pgbench';
  readonly clients: number;
  readonly tps: number;
  readonly latencyAvgMs: number;
  readonly failed: number;
  readonly machineBusyPct: number;
}

/**
 * pgbench running the service's order transaction on the hot product (read it, then the
 * one statement that locks, checks, takes the stock and inserts the order and its item)
 * with POOL_CONNECTIONS sessions for the run duration. Null when pgbench is not installed
 * or fails.
 */
export async function pgbenchHotRow(
  dbName: string,
  o: { hotProductId: string; buyerEmail: string; tmp: string },
  log: (m: string) => void,
): Promise<PgbenchResult | null> {
  const bin = findPgbench();
  if (bin === null) {
    log('pgbench not found: no raw-SQL reference for order-place');
    return null;
  }
  const buyerId = await withDb(`${cfg.pgUrl}/${dbName}`, async (c) => {
    const { rows } = await c.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [
      o.buyerEmail,
    ]);
    return String(rows[0]?.id);
  });
  const script = join(o.tmp, 'hot-order.sql');
  writeFileSync(script, pgbenchHotOrderScript({ hotProductId: o.hotProductId, buyerId }));
  const url = new URL(cfg.pgUrl);
  const args = [
    '-h',
    url.hostname,
    '-p',
    url.port || '5432',
    '-U',
    decodeURIComponent(url.username || 'postgres'),
    '-n',
    // The service sends these as named prepared statements (SqlRunner): so does pgbench.
    '-M',
    'prepared',
    '-f',
    script,
    '-c',
    String(POOL_CONNECTIONS),
    '-j',
    '1',
    '-T',
    String(cfg.durationS),
    dbName,
  ];
  const before = machineCpu();
  let out: string;
  try {
    out = execFileSync(bin, args, {
      encoding: 'utf8',
      timeout: (cfg.durationS + 60) * 1000,
      env: { ...process.env, PGPASSWORD: decodeURIComponent(url.password) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    log(`pgbench failed: ${errorMessage(error)}`);
    return null;
  }
  const m = machineCpu();
  const tps = Number(/tps = ([\d.]+)/.exec(out)?.[1] ?? NaN);
  const latency = Number(/latency average = ([\d.]+) ms/.exec(out)?.[1] ?? NaN);
  const failed = Number(/number of failed transactions: (\d+)/.exec(out)?.[1] ?? 0);
  const result: PgbenchResult = {
    tool: 'pgbench',
    clients: POOL_CONNECTIONS,
    tps: round(tps, 0),
    latencyAvgMs: round(latency, 1),
    failed,
    machineBusyPct: round(((m.busyMs - before.busyMs) / (m.totalMs - before.totalMs)) * 100, 0),
  };
  log(
    `order-place  raw SQL  pgbench -c ${POOL_CONNECTIONS}: ${result.tps} tps, latency avg ${result.latencyAvgMs} ms, failed ${failed}`,
  );
  return result;
}
