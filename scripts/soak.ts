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
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

import pg from 'pg';

import {
  Cleanups,
  errorMessage,
  errorStack,
  intFromEnv,
  logger,
  percentile,
  round,
  sleep,
} from './lib/cli.ts';
import {
  LOOPBACK,
  assertLoopbackUrl,
  asObject,
  errorCode,
  expectStatus,
  loginToken,
  registerCustomer,
  freePort,
  inParallel,
  parseBody,
  request,
  stringField,
} from './lib/loopback-http.ts';
import { killAllOnExit, launch, type LaunchedServer, type ProcessExit } from './lib/server.ts';

const REPO = resolve(import.meta.dirname, '..');
const ENTRY = join(REPO, 'dist', 'src', 'main.js');
const env = process.env;

const cfg = {
  durationS: intFromEnv(env.SOAK_DURATION_S, 60, 1),
  clients: Math.max(4, intFromEnv(env.SOAK_CLIENTS, 12, 1)),
  products: intFromEnv(env.SOAK_PRODUCTS, 200, 1),
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

const log = logger('soak');
const mb = (bytes: number): number => round(bytes / 1024 / 1024);

// ------------------------------------------------------------------------------ helpers

function metric(body: string, name: string): number {
  const line = body.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? NaN : Number(line.split(/\s+/)[1]);
}

interface ScrapedMemory {
  readonly rssMb: number;
  readonly heapUsedMb: number;
  readonly heapTotalMb: number;
  readonly externalMb: number;
  readonly eventLoopLagP99Ms: number;
}

async function scrapeMemory(port: number): Promise<ScrapedMemory> {
  const { body } = await request({ port, path: '/metrics', timeoutMs: 10_000 });
  return {
    rssMb: mb(metric(body, 'process_resident_memory_bytes')),
    heapUsedMb: mb(metric(body, 'nodejs_heap_size_used_bytes')),
    heapTotalMb: mb(metric(body, 'nodejs_heap_size_total_bytes')),
    externalMb: mb(metric(body, 'nodejs_external_memory_bytes')),
    eventLoopLagP99Ms: round(metric(body, 'nodejs_eventloop_lag_p99_seconds') * 1000, 2),
  };
}

/** Least-squares slope of y over x. */
function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) {
    return NaN;
  }
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i += 1) {
    const dx = (xs[i] ?? mx) - mx;
    num += dx * ((ys[i] ?? my) - my);
    den += dx ** 2;
  }
  return den === 0 ? NaN : num / den;
}

// ------------------------------------------------------------------------------ server

interface MemorySample {
  readonly rssMb: number;
  readonly heapUsedMb: number;
  readonly heapTotalMb: number;
  readonly externalMb: number;
  readonly at: number;
}

/** What the soak reads from the server's log lines while it runs. */
interface ServerWatch {
  readonly server: LaunchedServer;
  readonly memory: MemorySample[];
  readonly levels: Record<string, number>;
  readonly errorLines: string[];
}

function startServer(port: number, databaseUrl: string): ServerWatch {
  const memory: MemorySample[] = [];
  const levels: Record<string, number> = {};
  const errorLines: string[] = [];
  const out = cfg.keepLog === undefined ? null : createWriteStream(cfg.keepLog);
  const onLine = (line: string): void => {
    out?.write(`${line}\n`);
    // Cheap string checks first: thousands of access-log lines a second go through here.
    const level = /"level":"(\w+)"/.exec(line)?.[1] ?? 'unparsed';
    levels[level] = (levels[level] ?? 0) + 1;
    if (line.includes('"msg":"Memory usage"')) {
      const m = asObject(parseBody(line), 'Memory usage line');
      memory.push({
        rssMb: Number(m.rssMb),
        heapUsedMb: Number(m.heapUsedMb),
        heapTotalMb: Number(m.heapTotalMb),
        externalMb: Number(m.externalMb),
        at: performance.now(),
      });
    } else if ((level === 'error' || level === 'fatal') && errorLines.length < 20) {
      errorLines.push(line.slice(0, 600));
    }
  };
  const server = launch({
    entry: ENTRY,
    nodeArgs: ['--max-old-space-size=512'],
    cwd: REPO,
    port,
    capture: { kind: 'pipe' },
    stderrLimit: 20_000,
    onStdoutLine: onLine,
    env: {
      PATH: env.PATH,
      NODE_ENV: 'production',
      HOST: LOOPBACK,
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      DB_MIGRATE_ON_START: 'true',
      JWT_SECRET: randomBytes(32).toString('hex'),
      MFA_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
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
  void server.exited.then(() => out?.end());
  return { server, memory, levels, errorLines };
}

/** The next `Memory usage` line (they come every 5 s), waited for at most 7 s. */
async function nextMemoryLine(watch: ServerWatch): Promise<void> {
  const seen = watch.memory.length;
  for (let i = 0; i < 70 && watch.memory.length === seen; i += 1) {
    await sleep(100);
  }
}

// ------------------------------------------------------------------------------ traffic

interface KindStats {
  requests: number;
  ok: number;
  readonly statuses: Record<string, number>;
  readonly errors: Record<string, number>;
  readonly latencies: number[];
}

const newStats = (): KindStats => ({ requests: 0, ok: 0, statuses: {}, errors: {}, latencies: [] });

interface NextRequest {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  readonly token?: string;
  readonly expect: number;
  readonly after?: (body: unknown) => void;
}

/** One keep-alive client: `next()` builds its next request; runs until `until`. */
async function clientLoop(
  port: number,
  until: number,
  stats: KindStats,
  next: () => NextRequest,
): Promise<void> {
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
          headers: { accept: 'application/json' },
          timeoutMs: 10_000,
        });
        stats.latencies.push(performance.now() - started);
        stats.statuses[res.status] = (stats.statuses[res.status] ?? 0) + 1;
        if (res.status === r.expect) {
          stats.ok += 1;
          r.after?.(parseBody(res.body));
        }
      } catch (error) {
        const code = errorCode(error);
        stats.errors[code] = (stats.errors[code] ?? 0) + 1;
        await sleep(50); // A broken connection: do not spin.
      }
    }
  } finally {
    agent.destroy();
  }
}

interface Seeded {
  readonly productIds: readonly string[];
  readonly customers: ReadonlyArray<{ email: string; token: string }>;
}

async function seed(port: number): Promise<Seeded> {
  const adminToken = await loginToken(port, ADMIN);
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
            token: adminToken,
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
    Array.from(
      { length: 4 },
      (_, i) => () =>
        registerCustomer(port, {
          email: `soak-customer-${i}@example.com`,
          name: `Soak ${i}`,
          password: PASSWORD,
        }),
    ),
  );
  return { productIds: products.map((p) => stringField(p, 'id')), customers };
}

/** The traffic mix for SOAK_DURATION_S; the stats per kind. */
async function traffic(
  port: number,
  ctx: Seeded,
  watch: ServerWatch,
): Promise<{
  stats: Record<string, KindStats>;
  clients: Record<string, number>;
  startedAt: number;
  ms: number;
}> {
  // Client mix: half product reads, a quarter list pages, the rest orders, and one login loop
  // (argon2id costs ~100 ms of CPU a hash: one loop is already a real share of the machine).
  const reads = Math.max(1, Math.round(cfg.clients / 2));
  const lists = Math.max(1, Math.round(cfg.clients / 4));
  const logins = 1;
  const orders = Math.max(1, cfg.clients - reads - lists - logins);
  const stats = {
    productRead: newStats(),
    listPage: newStats(),
    orderPlace: newStats(),
    login: newStats(),
  };
  const ids = ctx.productIds;
  const pick = (): string => ids[Math.floor(Math.random() * ids.length)] ?? '';
  const [firstCustomer] = ctx.customers;
  if (firstCustomer === undefined || ids.length === 0) {
    throw new Error('nothing seeded');
  }
  const startedAt = performance.now();
  const until = startedAt + cfg.durationS * 1000;
  log(
    `traffic for ${cfg.durationS} s: ${reads} read, ${lists} list, ${orders} order, ${logins} login loops`,
  );

  const progress = setInterval(() => {
    const total = Object.values(stats).reduce((a, s) => a + s.requests, 0);
    const m = watch.memory.at(-1);
    log(
      `${Math.round((performance.now() - startedAt) / 1000)} s: ${total} requests` +
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
        let cursor: string | null = null;
        return clientLoop(port, until, stats.listPage, () => ({
          method: 'GET',
          path: `/api/v1/products?limit=20${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
          expect: 200,
          after: (body) => {
            const nextCursor = asObject(body).nextCursor;
            cursor = typeof nextCursor === 'string' ? nextCursor : null;
          },
        }));
      }),
      ...Array.from({ length: orders }, (_, i) => {
        const customer = ctx.customers[i % ctx.customers.length] ?? firstCustomer;
        return clientLoop(port, until, stats.orderPlace, () => {
          const a = pick();
          let b = pick();
          if (b === a) {
            b = ids[(ids.indexOf(a) + 1) % ids.length] ?? b;
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
          body: { email: firstCustomer.email, password: PASSWORD },
          expect: 200,
        })),
      ),
    ]);
  } finally {
    clearInterval(progress);
  }
  return {
    stats,
    clients: { reads, lists, orders, logins },
    startedAt,
    ms: performance.now() - startedAt,
  };
}

// ------------------------------------------------------------------------------ report

interface KindReport {
  readonly requests: number;
  readonly ok: number;
  readonly perSecond: number;
  readonly statuses: Record<string, number>;
  readonly errors: Record<string, number>;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

function kindReport(s: KindStats, trafficMs: number): KindReport {
  const sorted = [...s.latencies].sort((a, b) => a - b);
  return {
    requests: s.requests,
    ok: s.ok,
    perSecond: round(s.requests / (trafficMs / 1000)),
    statuses: s.statuses,
    errors: s.errors,
    p50Ms: round(percentile(sorted, 50), 1),
    p99Ms: round(percentile(sorted, 99), 1),
    maxMs: round(sorted.at(-1) ?? NaN, 1),
  };
}

function memoryReport(
  samples: readonly MemorySample[],
  trafficStarted: number,
): Record<string, number> {
  const minutes = samples.map((s) => (s.at - trafficStarted) / 60_000);
  const third = Math.max(1, Math.floor(samples.length / 3));
  return {
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
    heapUsedTroughFirstThirdMb: Math.min(...samples.slice(0, third).map((s) => s.heapUsedMb)),
    heapUsedTroughLastThirdMb: Math.min(...samples.slice(-third).map((s) => s.heapUsedMb)),
    rssSlopeMbPerMin: round(
      slope(
        minutes,
        samples.map((s) => s.rssMb),
      ),
      2,
    ),
  };
}

interface MemoryFigures {
  readonly rssMb: number;
  readonly heapUsedMb: number;
  readonly heapTotalMb: number;
  readonly externalMb: number;
}

interface Report {
  readonly when: string;
  readonly node: string;
  readonly loadAverage: { start: number; end: number; cpus: number };
  readonly durationS: number;
  readonly trafficMs: number;
  readonly bootMs: number;
  readonly clients: Record<string, number>;
  readonly requests: { total: number; ok: number; failed: number; perSecond: number };
  readonly kinds: Record<string, KindReport>;
  readonly memory: {
    readonly metricsStart: ScrapedMemory;
    readonly metricsEnd: ScrapedMemory;
    readonly logStart: MemorySample | null;
    readonly logEnd: MemorySample | null;
  } & Record<string, unknown>;
  readonly serverLogLevels: Record<string, number>;
  readonly serverErrorLines: readonly string[];
  readonly shutdown: {
    exit: Pick<ProcessExit, 'code' | 'signal'> | null;
    ms: number;
  };
}

function printReport(r: Report, m: Record<string, number>): void {
  const row = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  const figures: Array<[string, MemoryFigures | null]> = [
    ['start (/metrics)', r.memory.metricsStart],
    ['end (/metrics)', r.memory.metricsEnd],
    ['start (Memory usage log)', r.memory.logStart],
    ['end (Memory usage log)', r.memory.logEnd],
  ];
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
    ...figures.map(([label, f]) =>
      row([
        label,
        String(f?.rssMb ?? '-'),
        String(f?.heapUsedMb ?? '-'),
        String(f?.heapTotalMb ?? '-'),
        String(f?.externalMb ?? '-'),
      ]),
    ),
    '',
    `memory samples during traffic: ${m.samples}, rss ${m.rssMinMb}..${m.rssMaxMb} MB, ` +
      `trend heapUsed ${m.heapUsedSlopeMbPerMin} MB/min, rss ${m.rssSlopeMbPerMin} MB/min, ` +
      `heapUsed troughs ${m.heapUsedTroughFirstThirdMb} MB (first third) → ${m.heapUsedTroughLastThirdMb} MB (last third)`,
    `server log lines by level: ${JSON.stringify(r.serverLogLevels)}`,
    `shutdown: ${JSON.stringify(r.shutdown)}`,
    ...(r.serverErrorLines.length > 0
      ? ['server error lines (first 20):', ...r.serverErrorLines]
      : []),
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

// ------------------------------------------------------------------------------ main

const cleanups = new Cleanups(log);

/** A throwaway database on SOAK_PG_URL's server; dropped by the cleanups. */
async function createDatabase(): Promise<string> {
  const dbName = `soak_${Date.now()}_${process.pid}`;
  // Registered before CREATE: DROP ... IF EXISTS is harmless if CREATE fails.
  cleanups.add(async () => {
    const c = new pg.Client({ connectionString: cfg.pgUrl });
    await c.connect();
    try {
      await c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
      log(`database ${dbName} dropped`);
    } finally {
      await c.end();
    }
  });
  const admin = new pg.Client({ connectionString: cfg.pgUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${dbName}"`);
  } finally {
    await admin.end();
  }
  log(`database ${dbName} created`);
  const dbUrl = new URL(cfg.pgUrl);
  dbUrl.pathname = `/${dbName}`;
  return dbUrl.toString();
}

async function main(): Promise<Report> {
  const databaseUrl = await createDatabase();
  const port = await freePort();
  const watch = startServer(port, databaseUrl);
  // Registered after the database's drop, so it runs first: the server goes before its database.
  cleanups.add(async () => {
    await watch.server.stop(0, 10_000);
  });

  let bootMs: number;
  try {
    bootMs = await watch.server.waitForReady({ timeoutMs: 90_000, intervalMs: 200 });
  } catch (error) {
    throw new Error(`${errorMessage(error)}: ${watch.server.stderr.slice(-2000)}`);
  }
  log(
    `server pid ${watch.server.pid} ready on 127.0.0.1:${port} in ${Math.round(bootMs)} ms; seeding`,
  );
  const ctx = await seed(port);
  log(`seeded ${ctx.productIds.length} products, ${ctx.customers.length} customers`);

  // The start figures: the next `Memory usage` line (every 5 s) and a scrape, before traffic.
  await nextMemoryLine(watch);
  const startMemory = await scrapeMemory(port);
  const startLog = watch.memory.at(-1) ?? null;
  const memoryFrom = watch.memory.length;
  const loadAtStart = os.loadavg()[0] ?? NaN;

  const run = await traffic(port, ctx, watch);

  // One more memory line after the traffic (the interval is 5 s), then the end state.
  await nextMemoryLine(watch);
  const endMemory = await scrapeMemory(port);
  const samples = watch.memory.slice(memoryFrom);
  const endLog = samples.at(-1) ?? null;

  // Stop it the way an orchestrator does.
  const stopStarted = performance.now();
  const exit = await watch.server
    .stop(30_000)
    .then(() => watch.server.exit)
    .then((e) => (e === null ? null : { code: e.code, signal: e.signal }))
    .catch(() => null);
  const stopMs = performance.now() - stopStarted;

  const kinds = Object.fromEntries(
    Object.entries(run.stats).map(([kind, s]) => [kind, kindReport(s, run.ms)]),
  );
  const total = Object.values(run.stats).reduce((a, s) => a + s.requests, 0);
  const ok = Object.values(run.stats).reduce((a, s) => a + s.ok, 0);
  const memoryTrend = memoryReport(samples, run.startedAt);
  const report: Report = {
    when: new Date().toISOString(),
    node: process.version,
    // Other work on the machine skews every figure: the 1-minute load average at both ends.
    loadAverage: {
      start: round(loadAtStart, 2),
      end: round(os.loadavg()[0] ?? NaN, 2),
      cpus: os.availableParallelism(),
    },
    durationS: cfg.durationS,
    trafficMs: Math.round(run.ms),
    bootMs: Math.round(bootMs),
    clients: run.clients,
    requests: { total, ok, failed: total - ok, perSecond: round(total / (run.ms / 1000)) },
    kinds,
    memory: {
      metricsStart: startMemory,
      metricsEnd: endMemory,
      logStart: startLog,
      logEnd: endLog,
      ...memoryTrend,
    },
    serverLogLevels: watch.levels,
    serverErrorLines: watch.errorLines,
    shutdown: { exit, ms: Math.round(stopMs) },
  };
  printReport(report, memoryTrend);
  if (cfg.report !== undefined) {
    writeFileSync(cfg.report, `${JSON.stringify(report, null, 2)}\n`);
    log(`report written to ${cfg.report}`);
  }
  return report;
}

if (!existsSync(ENTRY)) {
  process.stderr.write(`[soak] ${ENTRY} is missing: run \`npm run build\` first.\n`);
  process.exit(1);
}
try {
  assertLoopbackUrl(cfg.pgUrl, 'SOAK_PG_URL');
} catch (error) {
  process.stderr.write(`[soak] ${errorMessage(error)}\n`);
  process.exit(1);
}
killAllOnExit();
cleanups.onSignals();

let code = 0;
try {
  const report = await main();
  if (report.requests.failed > 0 || report.shutdown.exit?.code !== 0) {
    code = 1;
  }
} catch (error) {
  process.stderr.write(`[soak] failed: ${errorStack(error)}\n`);
  code = 1;
}
if (!(await cleanups.run())) {
  code = 1;
}
process.exit(code);
