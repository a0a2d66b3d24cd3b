// @ts-check
/**
 * `npm run soak`: a bounded soak test of the built server, on this machine, loopback only.
 *
 *  1. needs dist/ (`npm run build`; this script builds nothing);
 *  2. creates a throwaway PostgreSQL database `soak_<time>_<pid>` on 127.0.0.1;
 *  3. starts dist/src/main.js as one process (production mode, migrations at start, a
 *     bootstrap admin, rate limits out of the way, FAULT_INJECTION off,
 *     MEMORY_LOG_INTERVAL_MS=5000) and seeds it through its API (products, customers);
 *  4. runs mixed keep-alive traffic with node:http for SOAK_DURATION_S: product reads,
 *     list pages (following the cursor), order placements, logins;
 *  5. reports memory (rss, heapUsed, heapTotal, external) at the start and the end of the
 *     traffic, from /metrics and from the server's own `Memory usage` log lines, the heap
 *     trend over the run, request and error counts, latencies, and the server's error logs;
 *  6. stops the server with SIGTERM (SIGKILL if it does not exit), drops the database,
 *     also on failure or Ctrl-C.
 *
 * Env: SOAK_DURATION_S (60), SOAK_CLIENTS (12: how many keep-alive loops, split across the
 * traffic kinds), SOAK_PRODUCTS (200), SOAK_PG_URL (TEST_DATABASE_URL or
 * postgres://postgres@127.0.0.1:5432/postgres; must be loopback), SOAK_REPORT (a path: also
 * write the report there as JSON), SOAK_KEEP_LOG (a path: keep the server's stdout there).
 * Every loop is bounded by the duration and by a request count; every request by a timeout.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

import pg from 'pg';

import { LOOPBACK, expectStatus, freePort, inParallel, request } from './lib/loopback-http.mjs';
import { assertLoopbackUrl, percentile, waitUntilReady } from './lib/processes.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ENTRY = join(REPO, 'dist', 'src', 'main.js');
const env = process.env;

/** @param {string | undefined} v @param {number} d */
const int = (v, d) => (v === undefined || v.trim() === '' ? d : Math.max(1, Math.trunc(Number(v))));

const cfg = {
  durationS: int(env.SOAK_DURATION_S, 60),
  clients: Math.max(4, int(env.SOAK_CLIENTS, 12)),
  products: int(env.SOAK_PRODUCTS, 200),
  pgUrl: env.SOAK_PG_URL ?? env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  report: env.SOAK_REPORT,
  keepLog: env.SOAK_KEEP_LOG,
};
/** Hard cap on requests per client loop, whatever the duration (a loop is bounded twice). */
const MAX_REQUESTS_PER_CLIENT = 2_000_000;
const ADMIN = {
  email: 'soak-admin@example.com',
  password: `soak-admin-${randomBytes(6).toString('hex')}`,
};
const PASSWORD = 'soak-password-123';

/** @param {string} msg */
const log = (msg) => process.stdout.write(`[soak] ${msg}\n`);
/** @param {number} ms */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** @param {number} n @param {number} [d] */
const round = (n, d = 1) => Math.round(n * 10 ** d) / 10 ** d;
const mb = (/** @type {number} */ bytes) => round(bytes / 1024 / 1024);

// ------------------------------------------------------------------------------ guards

if (!existsSync(ENTRY)) {
  process.stderr.write(`[soak] ${ENTRY} is missing: run \`npm run build\` first.\n`);
  process.exit(1);
}
try {
  assertLoopbackUrl(cfg.pgUrl, 'SOAK_PG_URL');
} catch (error) {
  process.stderr.write(`[soak] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}

// ------------------------------------------------------------------------------ helpers

/** @param {string} body @param {string} name */
function metric(body, name) {
  const line = body.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? NaN : Number(line.split(/\s+/)[1]);
}

/** @param {number} port */
async function scrapeMemory(port) {
  const res = await request({ port, method: 'GET', path: '/metrics' });
  const body = String(res.body);
  return {
    rssMb: mb(metric(body, 'process_resident_memory_bytes')),
    heapUsedMb: mb(metric(body, 'nodejs_heap_size_used_bytes')),
    heapTotalMb: mb(metric(body, 'nodejs_heap_size_total_bytes')),
    externalMb: mb(metric(body, 'nodejs_external_memory_bytes')),
    eventLoopLagP99Ms: round(metric(body, 'nodejs_eventloop_lag_p99_seconds') * 1000, 2),
  };
}

/** Least-squares slope of y over x. @param {number[]} xs @param {number[]} ys */
function slope(xs, ys) {
  const n = xs.length;
  if (n < 2) {
    return NaN;
  }
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i += 1) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

// ------------------------------------------------------------------------------ server

/**
 * @typedef {{ rssMb: number, heapUsedMb: number, heapTotalMb: number, externalMb: number, at: number }} MemorySample
 */

/** @param {number} port @param {string} databaseUrl */
function startServer(port, databaseUrl) {
  const child = spawn(process.execPath, ['--max-old-space-size=512', ENTRY], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: env.PATH,
      NODE_ENV: 'production',
      HOST: LOOPBACK,
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      DB_MIGRATE_ON_START: 'true',
      JWT_SECRET: randomBytes(32).toString('hex'),
      BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
      BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
      // Out of the way: the soak measures the service, not its limits.
      RATE_LIMIT_MAX: '1000000000',
      LOGIN_RATE_LIMIT_MAX: '1000000000',
      JWT_ACCESS_TTL: String(Math.min(86_400, Math.max(900, cfg.durationS + 600))),
      FAULT_INJECTION: 'false',
      MEMORY_LOG_INTERVAL_MS: '5000',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'info',
      DOCS_ENABLED: 'false',
      SHUTDOWN_READY_DELAY_MS: '500',
      SHUTDOWN_TIMEOUT_MS: '15000',
      TZ: 'UTC',
    },
  });
  const state = {
    child,
    /** @type {MemorySample[]} */
    memory: [],
    levels: /** @type {Record<string, number>} */ ({}),
    /** @type {string[]} */
    errorLines: [],
    listening: false,
    /** @type {{code: number | null, signal: string | null} | null} */
    exit: null,
    stderr: '',
  };
  const out = cfg.keepLog === undefined ? null : createWriteStream(cfg.keepLog);
  let partial = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (/** @type {string} */ chunk) => {
    out?.write(chunk);
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      // Cheap string checks first: thousands of access-log lines a second go through here.
      const level = /"level":"(\w+)"/.exec(line)?.[1] ?? 'unparsed';
      state.levels[level] = (state.levels[level] ?? 0) + 1;
      if (line.includes('"msg":"Memory usage"')) {
        const m = JSON.parse(line);
        state.memory.push({
          rssMb: m.rssMb,
          heapUsedMb: m.heapUsedMb,
          heapTotalMb: m.heapTotalMb,
          externalMb: m.externalMb,
          at: performance.now(),
        });
      } else if (level === 'error' || level === 'fatal') {
        if (state.errorLines.length < 20) {
          state.errorLines.push(line.slice(0, 600));
        }
      } else if (!state.listening && line.includes('"msg":"Listening"')) {
        state.listening = true;
      }
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (/** @type {string} */ chunk) => {
    state.stderr = (state.stderr + chunk).slice(-20_000);
  });
  const exited = new Promise((resolveExit) => {
    child.once('close', (code, signal) => {
      state.exit = { code, signal };
      out?.end();
      resolveExit(state.exit);
    });
  });
  return { state, exited };
}

/** @param {number} port @param {{state: {exit: unknown, stderr: string}}} server @param {number} timeoutMs */
async function waitReady(port, server, timeoutMs) {
  try {
    await waitUntilReady({
      port,
      timeoutMs,
      intervalMs: 200,
      exitReason: () => (server.state.exit === null ? null : 'exited'),
    });
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`${why}: ${server.state.stderr.slice(-2000)}`);
  }
}

// ------------------------------------------------------------------------------ traffic

/**
 * @typedef {{ requests: number, ok: number, statuses: Record<string, number>, errors: Record<string, number>, latencies: number[] }} KindStats
 */

/** @returns {KindStats} */
const newStats = () => ({ requests: 0, ok: 0, statuses: {}, errors: {}, latencies: [] });

/**
 * One keep-alive client: `next()` builds its next request; runs until `until`.
 * @param {number} port @param {number} until @param {KindStats} stats
 * @param {() => {method: string, path: string, body?: unknown, token?: string, expect: number, after?: (body: any) => void}} next
 */
async function clientLoop(port, until, stats, next) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < MAX_REQUESTS_PER_CLIENT && performance.now() < until; i += 1) {
      const r = next();
      const started = performance.now();
      stats.requests += 1;
      try {
        const res = await request({
          port,
          agent,
          method: r.method,
          path: r.path,
          body: r.body,
          token: r.token,
        });
        stats.latencies.push(performance.now() - started);
        stats.statuses[res.status] = (stats.statuses[res.status] ?? 0) + 1;
        if (res.status === r.expect) {
          stats.ok += 1;
          r.after?.(res.body);
        }
      } catch (error) {
        const code = /** @type {{code?: string}} */ (error).code ?? String(error);
        stats.errors[code] = (stats.errors[code] ?? 0) + 1;
        await sleep(50); // A broken connection: do not spin.
      }
    }
  } finally {
    agent.destroy();
  }
}

/** @param {number} port */
async function seed(port) {
  const admin = await expectStatus(
    { port, method: 'POST', path: '/api/v1/auth/login', body: ADMIN },
    200,
  );
  const products = await inParallel(
    4,
    Array.from(
      { length: cfg.products },
      (_, i) => () =>
        expectStatus(
          {
            port,
            method: 'POST',
            path: '/api/v1/products',
            token: admin.accessToken,
            body: {
              sku: `SOAK-${String(i).padStart(5, '0')}`,
              name: `Soak product ${i}`,
              priceCents: 100 + ((i * 7919) % 99_900),
              currency: 'EUR',
              stock: 100_000_000,
            },
          },
          201,
        ),
    ),
  );
  const customers = await inParallel(
    2,
    Array.from({ length: 4 }, (_, i) => async () => {
      const email = `soak-customer-${i}@example.com`;
      await expectStatus(
        {
          port,
          method: 'POST',
          path: '/api/v1/users',
          body: { email, name: `Soak ${i}`, password: PASSWORD },
        },
        201,
      );
      const tokens = await expectStatus(
        { port, method: 'POST', path: '/api/v1/auth/login', body: { email, password: PASSWORD } },
        200,
      );
      return { email, token: /** @type {string} */ (tokens.accessToken) };
    }),
  );
  return { productIds: products.map((p) => /** @type {string} */ (p.id)), customers };
}

// ------------------------------------------------------------------------------ main

/** @type {null | (() => Promise<void>)} */
let cleanup = null;
let interrupted = false;
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.once(signal, () => {
    interrupted = true;
    log(`${signal}: cleaning up`);
    void (cleanup ?? (async () => undefined))().finally(() => process.exit(130));
  });
}

async function main() {
  const dbName = `soak_${Date.now()}_${process.pid}`;
  /** @type {ReturnType<typeof startServer> | null} */
  let server = null;
  let created = false;
  let cleaned = false;
  // Set before anything is created, so a failure or Ctrl-C at any point cleans up.
  cleanup = async () => {
    if (cleaned) {
      return;
    }
    cleaned = true;
    if (server !== null && server.state.exit === null) {
      server.state.child.kill('SIGKILL');
      await Promise.race([server.exited, sleep(10_000)]);
    }
    if (!created) {
      return;
    }
    const c = new pg.Client({ connectionString: cfg.pgUrl });
    await c.connect();
    try {
      await c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
      log(`database ${dbName} dropped`);
    } finally {
      await c.end();
    }
  };

  const admin = new pg.Client({ connectionString: cfg.pgUrl });
  await admin.connect();
  try {
    created = true; // DROP ... IF EXISTS is harmless if CREATE fails.
    await admin.query(`CREATE DATABASE "${dbName}"`);
  } finally {
    await admin.end();
  }
  const dbUrl = new URL(cfg.pgUrl);
  dbUrl.pathname = `/${dbName}`;
  log(`database ${dbName} created`);

  const port = await freePort();
  server = startServer(port, dbUrl.toString());

  const bootStarted = performance.now();
  await waitReady(port, server, 90_000);
  const bootMs = performance.now() - bootStarted;
  log(
    `server pid ${server.state.child.pid} ready on 127.0.0.1:${port} in ${Math.round(bootMs)} ms; seeding`,
  );
  const ctx = await seed(port);
  log(`seeded ${ctx.productIds.length} products, ${ctx.customers.length} customers`);

  // The start figures: the next `Memory usage` line (every 5 s) and a scrape, before traffic.
  const linesBefore = server.state.memory.length;
  for (let i = 0; i < 70 && server.state.memory.length === linesBefore; i += 1) {
    await sleep(100);
  }
  const startMemory = await scrapeMemory(port);
  const startLog = server.state.memory.at(-1) ?? null;
  const memoryFrom = server.state.memory.length;

  // Client mix: half product reads, a quarter list pages, the rest orders, and one login loop
  // (argon2id costs ~100 ms of CPU a hash: one loop is already a real share of the machine).
  const reads = Math.max(1, Math.round(cfg.clients / 2));
  const lists = Math.max(1, Math.round(cfg.clients / 4));
  const logins = 1;
  const orders = Math.max(1, cfg.clients - reads - lists - logins);
  /** @type {Record<string, KindStats>} */
  const stats = {
    productRead: newStats(),
    listPage: newStats(),
    orderPlace: newStats(),
    login: newStats(),
  };
  const pick = () => ctx.productIds[Math.floor(Math.random() * ctx.productIds.length)];
  const loadAtStart = os.loadavg()[0];
  const trafficStarted = performance.now();
  const until = trafficStarted + cfg.durationS * 1000;
  log(
    `traffic for ${cfg.durationS} s: ${reads} read, ${lists} list, ${orders} order, ${logins} login loops`,
  );

  const progress = setInterval(() => {
    const total = Object.values(stats).reduce((a, s) => a + s.requests, 0);
    const m = server.state.memory.at(-1);
    log(
      `${Math.round((performance.now() - trafficStarted) / 1000)} s: ${total} requests` +
        (m === undefined ? '' : `, rss ${m.rssMb} MB, heapUsed ${m.heapUsedMb} MB`),
    );
  }, 10_000);
  try {
    await Promise.all([
      ...Array.from({ length: reads }, () =>
        clientLoop(port, until, stats.productRead, () => ({
          method: 'GET',
          path: `/api/v1/products/${pick()}`,
          expect: 200,
        })),
      ),
      ...Array.from({ length: lists }, () => {
        /** @type {string | null} */
        let cursor = null;
        return clientLoop(port, until, stats.listPage, () => ({
          method: 'GET',
          path: `/api/v1/products?limit=20${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
          expect: 200,
          after: (body) => {
            cursor = body?.nextCursor ?? null;
          },
        }));
      }),
      ...Array.from({ length: orders }, (_, i) => {
        const customer = ctx.customers[i % ctx.customers.length];
        return clientLoop(port, until, stats.orderPlace, () => {
          const a = pick();
          let b = pick();
          if (b === a) {
            b = ctx.productIds[(ctx.productIds.indexOf(a) + 1) % ctx.productIds.length];
          }
          return {
            method: 'POST',
            path: '/api/v1/orders',
            token: customer.token,
            body: {
              items: [
                { productId: a, quantity: 1 },
                { productId: b, quantity: 2 },
              ],
            },
            expect: 201,
          };
        });
      }),
      ...Array.from({ length: logins }, () =>
        clientLoop(port, until, stats.login, () => ({
          method: 'POST',
          path: '/api/v1/auth/login',
          body: { email: ctx.customers[0].email, password: PASSWORD },
          expect: 200,
        })),
      ),
    ]);
  } finally {
    clearInterval(progress);
  }
  const trafficMs = performance.now() - trafficStarted;

  // One more memory line after the traffic (the interval is 5 s), then the end state.
  const linesAtEnd = server.state.memory.length;
  for (let i = 0; i < 70 && server.state.memory.length === linesAtEnd; i += 1) {
    await sleep(100);
  }
  const endMemory = await scrapeMemory(port);
  const samples = server.state.memory.slice(memoryFrom);
  const endLog = samples.at(-1) ?? null;

  // Stop it the way an orchestrator does.
  const stopStarted = performance.now();
  server.state.child.kill('SIGTERM');
  const exit = await Promise.race([server.exited, sleep(30_000).then(() => null)]);
  const stopMs = performance.now() - stopStarted;

  const kinds = Object.fromEntries(
    Object.entries(stats).map(([kind, s]) => {
      const sorted = [...s.latencies].sort((a, b) => a - b);
      return [
        kind,
        {
          requests: s.requests,
          ok: s.ok,
          perSecond: round(s.requests / (trafficMs / 1000)),
          statuses: s.statuses,
          errors: s.errors,
          p50Ms: round(percentile(sorted, 50), 1),
          p99Ms: round(percentile(sorted, 99), 1),
          maxMs: round(sorted.at(-1) ?? NaN, 1),
        },
      ];
    }),
  );
  const total = Object.values(stats).reduce((a, s) => a + s.requests, 0);
  const ok = Object.values(stats).reduce((a, s) => a + s.ok, 0);
  const minutes = samples.map((s) => (s.at - trafficStarted) / 60_000);
  const report = {
    when: new Date().toISOString(),
    node: process.version,
    // Other work on the machine skews every figure: the 1-minute load average at both ends.
    loadAverage: {
      start: round(loadAtStart, 2),
      end: round(os.loadavg()[0], 2),
      cpus: os.availableParallelism(),
    },
    durationS: cfg.durationS,
    trafficMs: Math.round(trafficMs),
    bootMs: Math.round(bootMs),
    clients: { reads, lists, orders, logins },
    requests: { total, ok, failed: total - ok, perSecond: round(total / (trafficMs / 1000)) },
    kinds,
    memory: {
      metricsStart: startMemory,
      metricsEnd: endMemory,
      logStart: startLog,
      logEnd: endLog,
      samples: samples.length,
      rssMinMb: Math.min(...samples.map((s) => s.rssMb)),
      rssMaxMb: Math.max(...samples.map((s) => s.rssMb)),
      heapUsedSlopeMbPerMin: round(
        slope(
          minutes,
          samples.map((s) => s.heapUsedMb),
        ),
        2,
      ),
      // heapUsed saw-tooths with GC: its lowest point in the first and the last third of the
      // run is the better leak signal (a leak lifts the troughs).
      heapUsedTroughFirstThirdMb: Math.min(
        ...samples.slice(0, Math.max(1, Math.floor(samples.length / 3))).map((s) => s.heapUsedMb),
      ),
      heapUsedTroughLastThirdMb: Math.min(
        ...samples.slice(-Math.max(1, Math.floor(samples.length / 3))).map((s) => s.heapUsedMb),
      ),
      rssSlopeMbPerMin: round(
        slope(
          minutes,
          samples.map((s) => s.rssMb),
        ),
        2,
      ),
    },
    serverLogLevels: server.state.levels,
    serverErrorLines: server.state.errorLines,
    shutdown: { exit, ms: Math.round(stopMs) },
  };
  printReport(report);
  if (cfg.report !== undefined) {
    writeFileSync(cfg.report, `${JSON.stringify(report, null, 2)}\n`);
    log(`report written to ${cfg.report}`);
  }
  return report;
}

/** @param {any} r */
function printReport(r) {
  const row = (/** @type {string[]} */ cells) => `| ${cells.join(' | ')} |`;
  const lines = [
    '',
    `Soak: ${r.durationS} s of traffic on ${r.node}, single process, PostgreSQL on 127.0.0.1 ` +
      `(${r.loadAverage.cpus} CPUs, load average ${r.loadAverage.start} → ${r.loadAverage.end})`,
    '',
    row(['traffic', 'requests', 'ok', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'statuses', 'errors']),
    row(['---', '---', '---', '---', '---', '---', '---', '---', '---']),
    ...Object.entries(r.kinds).map(([kind, k]) =>
      row([
        kind,
        String(k.requests),
        String(k.ok),
        String(k.perSecond),
        String(k.p50Ms),
        String(k.p99Ms),
        String(k.maxMs),
        JSON.stringify(k.statuses),
        JSON.stringify(k.errors),
      ]),
    ),
    row([
      'total',
      String(r.requests.total),
      String(r.requests.ok),
      String(r.requests.perSecond),
      '',
      '',
      '',
      '',
      `${r.requests.failed} not as expected`,
    ]),
    '',
    row(['memory (MB)', 'rss', 'heapUsed', 'heapTotal', 'external']),
    row(['---', '---', '---', '---', '---']),
    ...[
      ['start (/metrics)', r.memory.metricsStart],
      ['end (/metrics)', r.memory.metricsEnd],
      ['start (Memory usage log)', r.memory.logStart],
      ['end (Memory usage log)', r.memory.logEnd],
    ].map(([label, m]) =>
      row([
        String(label),
        String(m?.rssMb ?? '-'),
        String(m?.heapUsedMb ?? '-'),
        String(m?.heapTotalMb ?? '-'),
        String(m?.externalMb ?? '-'),
      ]),
    ),
    '',
    `memory samples during traffic: ${r.memory.samples}, rss ${r.memory.rssMinMb}..${r.memory.rssMaxMb} MB, ` +
      `trend heapUsed ${r.memory.heapUsedSlopeMbPerMin} MB/min, rss ${r.memory.rssSlopeMbPerMin} MB/min, ` +
      `heapUsed troughs ${r.memory.heapUsedTroughFirstThirdMb} MB (first third) → ${r.memory.heapUsedTroughLastThirdMb} MB (last third)`,
    `server log lines by level: ${JSON.stringify(r.serverLogLevels)}`,
    `shutdown: ${JSON.stringify(r.shutdown)}`,
    ...(r.serverErrorLines.length > 0
      ? ['server error lines (first 20):', ...r.serverErrorLines]
      : []),
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

let code = 0;
try {
  const report = await main();
  if (report.requests.failed > 0 || report.shutdown.exit?.code !== 0) {
    code = 1;
  }
} catch (error) {
  process.stderr.write(`[soak] failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  code = 1;
} finally {
  if (!interrupted) {
    await cleanup?.().catch((error) => {
      process.stderr.write(`[soak] cleanup failed: ${String(error)}\n`);
      code = 1;
    });
  }
}
process.exit(code);
