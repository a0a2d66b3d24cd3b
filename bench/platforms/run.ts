/**
 * `npm run bench:platforms`: one endpoint, one query, three HTTP stacks, side by side on
 * this machine, to tell what the HTTP platform itself costs under Nest:
 *  (a) bare   node:http + pg                         (bench/platforms/bare.ts)
 *  (b) nest-express  Nest 11 + @nestjs/platform-express (Express 5, what the service uses)
 *  (c) nest-fastify  Nest 11 + @nestjs/platform-fastify (Fastify 5)
 * All three answer GET /products/:id with
 * `SELECT id, sku, name, price_cents, stock, created_at FROM products WHERE id = $1`
 * through a pg Pool of 20 (bench/platforms/db.ts) and return the row as JSON (404 if none).
 *
 * What it does, in order:
 *  1. creates a PostgreSQL database `bench_platforms_<time>_<pid>` on 127.0.0.1 with a
 *     `products` table of 1000 rows;
 *  2. per round, per target (the order rotated by one each round, so a drift in the box's
 *     load does not favour one side): starts the server with this same node
 *     (process.execPath), checks its answers (200, 404, 400), warms up, measures with
 *     autocannon over the 1000 ids in rotation, reads the server's and the database
 *     backends' CPU (utime + stime from /proc/<pid>/stat) around the measured window, stops
 *     the server (one server at a time: at most 20 database connections in use);
 *  3. prints a markdown table and writes bench/results/platforms-<timestamp>.json;
 *  4. stops every child and drops the database, also on failure or Ctrl-C.
 *
 * Env knobs: BENCH_DURATION_S (10), BENCH_WARMUP_S (2), BENCH_CONNECTIONS (50),
 * BENCH_ROUNDS (3), BENCH_PG_URL (postgres://postgres@127.0.0.1:5432, must be loopback),
 * BENCH_TARGETS (comma list of bare, nest-express, nest-fastify; default all: share of bare
 * and the Fastify/Express ratio need their targets in the list).
 * The load generator runs in this process, on the same cores as the server and PostgreSQL:
 * only the ratios between targets of one run mean something, not the absolute figures.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';

import pg from 'pg';

import {
  Cleanups,
  errorStack,
  intFromEnv,
  listFromEnv,
  logger,
  round,
} from '../../scripts/lib/cli.ts';
import { assertLoopbackUrl, expectStatus, freePort } from '../../scripts/lib/loopback-http.ts';
import { killAllOnExit, launch, stopAll, type LaunchedServer } from '../../scripts/lib/server.ts';
import { cannon, runFigures, type RunFigures } from '../lib/load.ts';
import { cpuWindow } from '../lib/proc-cpu.ts';

const HERE = import.meta.dirname;
const REPO = resolve(HERE, '..', '..');
const env = process.env;

const cfg = {
  durationS: intFromEnv(env.BENCH_DURATION_S, 10, 1),
  warmupS: intFromEnv(env.BENCH_WARMUP_S, 2),
  connections: intFromEnv(env.BENCH_CONNECTIONS, 50, 1),
  rounds: intFromEnv(env.BENCH_ROUNDS, 3, 1),
  pgUrl: (env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432').replace(/\/+$/, ''),
};
const PRODUCTS = 1000;

interface Target {
  readonly name: string;
  readonly label: string;
  readonly entry: string;
  readonly args: readonly string[];
}

const ALL_TARGETS: readonly Target[] = [
  { name: 'bare', label: 'bare node:http + pg', entry: join(HERE, 'bare.ts'), args: [] },
  {
    name: 'nest-express',
    label: 'Nest + platform-express',
    entry: join(HERE, 'nest.ts'),
    args: ['express'],
  },
  {
    name: 'nest-fastify',
    label: 'Nest + platform-fastify',
    entry: join(HERE, 'nest.ts'),
    args: ['fastify'],
  },
];
const only = listFromEnv(env.BENCH_TARGETS);
const TARGETS = only.length > 0 ? ALL_TARGETS.filter((t) => only.includes(t.name)) : ALL_TARGETS;
if (TARGETS.length === 0) {
  throw new Error(`BENCH_TARGETS names none of ${ALL_TARGETS.map((t) => t.name).join(', ')}`);
}

// ------------------------------------------------------------------------------ helpers

const log = logger('bench:platforms');
const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
const fmtLoad = (la: readonly number[]): string => la.map((x) => x.toFixed(2)).join(' ');

/** The version of package `name` as `fromDir` would resolve it (node_modules lookup upwards). */
function pkgVersion(name: string, fromDir = REPO): string | null {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const file = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(file)) {
      return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    }
    if (dirname(dir) === dir) {
      return null;
    }
  }
}

function versions(): Record<string, string | null> {
  const platformExpress = join(REPO, 'node_modules', '@nestjs', 'platform-express');
  const platformFastify = join(REPO, 'node_modules', '@nestjs', 'platform-fastify');
  return {
    node: process.version,
    '@nestjs/core': pkgVersion('@nestjs/core'),
    '@nestjs/common': pkgVersion('@nestjs/common'),
    '@nestjs/platform-express': pkgVersion('@nestjs/platform-express'),
    express: pkgVersion('express', platformExpress),
    '@nestjs/platform-fastify': pkgVersion('@nestjs/platform-fastify'),
    fastify: pkgVersion('fastify', platformFastify),
    pg: pkgVersion('pg'),
    autocannon: pkgVersion('autocannon'),
  };
}

const cleanups = new Cleanups(log);
killAllOnExit();
cleanups.onSignals();
cleanups.addFirst(() => stopAll(5_000));

// ------------------------------------------------------------------------------ servers

interface Started {
  readonly server: LaunchedServer;
  readonly readyMs: number;
}

/** Starts `target` with this node on a free port and waits until it answers `readyPath` 200. */
async function startServer(
  target: Target,
  o: { databaseUrl: string; logDir: string; readyPath: string },
): Promise<Started> {
  const port = await freePort();
  const server = launch({
    entry: target.entry,
    args: target.args,
    cwd: REPO,
    port,
    env: {
      PATH: env.PATH ?? '',
      HOME: env.HOME ?? '',
      NODE_ENV: 'production',
      PORT: String(port),
      DATABASE_URL: o.databaseUrl,
    },
    capture: {
      kind: 'files',
      stdoutFile: join(o.logDir, `${target.name}.stdout.log`),
      stderrFile: join(o.logDir, `${target.name}.stderr.log`),
    },
  });
  try {
    const readyMs = await server.waitForReady({
      path: o.readyPath,
      timeoutMs: 30_000,
      intervalMs: 25,
    });
    return { server, readyMs: round(readyMs, 0) };
  } catch (error) {
    await server.stop(5_000);
    throw new Error(`${target.name} did not become ready: ${errorStack(error)}`);
  }
}

/**
 * The same answers from every target: the row for a known id, 404 for an unknown one, 400
 * for a malformed one. Returns the 200 body, to compare across targets.
 */
async function check(port: number, ids: readonly string[]): Promise<unknown> {
  const body = await expectStatus({ port, path: `/products/${ids[0] ?? ''}` }, 200);
  await expectStatus({ port, path: '/products/00000000-0000-4000-8000-000000000000' }, 404);
  await expectStatus({ port, path: '/products/not-a-uuid' }, 400);
  return body;
}

// ------------------------------------------------------------------------------ load

/** One bounded autocannon run of GET /products/:id over `ids` in rotation. */
function load(port: number, ids: readonly string[], seconds: number): ReturnType<typeof cannon> {
  let next = 0;
  return cannon(
    port,
    {
      requests: [
        {
          method: 'GET',
          setupRequest: (req) => {
            req.path = `/products/${ids[next % ids.length] ?? ''}`;
            next += 1;
            return req;
          },
        },
      ],
    },
    cfg.connections,
    seconds,
  );
}

/** Warm-up, then the measured run with CPU accounting around it. */
async function measure(
  started: Started,
  ids: readonly string[],
  dbPids: () => Promise<number[]>,
): Promise<Measured> {
  const { server } = started;
  if (cfg.warmupS > 0) {
    await load(server.port, ids, cfg.warmupS);
  }
  const spent = await cpuWindow(() => [server.pid], dbPids);
  const r = await load(server.port, ids, cfg.durationS);
  const cpu = await spent();
  const figures = runFigures(r, cpu, 4);
  return {
    ...figures,
    bytesPerResponse: r.requests.total > 0 ? round(r.throughput.total / r.requests.total, 0) : 0,
    otherCpuPct: round((figures.otherCpuMs / (r.duration * 1000)) * 100, 0),
  };
}

interface Measured extends RunFigures {
  readonly bytesPerResponse: number;
  /** Busy CPU not accounted for by the server, its DB backends or this process (% of one core). */
  readonly otherCpuPct: number;
}

interface Run extends Measured {
  readonly target: string;
  readonly round: number;
  readonly order: number;
  readonly readyMs: number;
}

// ------------------------------------------------------------------------------ report

interface TargetSummary {
  readonly label: string;
  readonly reqPerSec: number;
  readonly reqPerSecMin: number;
  readonly reqPerSecMax: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly shareOfBare: number | null;
  readonly serverCpuMsPerReq: number | null;
  readonly dbCpuMsPerReq: number | null;
  readonly readyMs: number;
}

interface Summary {
  readonly targets: Record<string, TargetSummary>;
  readonly fastifyOverExpress: {
    /** req/s of nest-fastify / req/s of nest-express, same round, averaged */
    readonly reqPerSec: number | null;
    /** server CPU ms/req of nest-express / that of nest-fastify, same round, averaged */
    readonly cpuMsPerReq: number | null;
    readonly perRound: ReadonlyArray<{
      round: number;
      reqPerSec: number;
      cpuMsPerReq: number | null;
    }>;
  };
}

/**
 * Per target: mean and range of req/s, mean p50/p99, summed non-2xx, the same round's
 * ratio to bare averaged over rounds, mean CPU ms per request.
 */
function summarise(runs: readonly Run[]): Summary {
  const find = (target: string, r: number): Run | undefined =>
    runs.find((x) => x.target === target && x.round === r);
  const targets: Record<string, TargetSummary> = {};
  for (const t of TARGETS) {
    const mine = runs.filter((r) => r.target === t.name);
    const rps = mine.map((r) => r.reqPerSec);
    const shares = mine.flatMap((r) => {
      const bare = find('bare', r.round);
      return bare !== undefined && bare.reqPerSec > 0 ? [r.reqPerSec / bare.reqPerSec] : [];
    });
    const cpu = mine.flatMap((r) => (r.serverCpuMsPerReq === null ? [] : [r.serverCpuMsPerReq]));
    const db = mine.flatMap((r) => (r.dbCpuMsPerReq === null ? [] : [r.dbCpuMsPerReq]));
    targets[t.name] = {
      label: t.label,
      reqPerSec: round(mean(rps), 0),
      reqPerSecMin: Math.min(...rps),
      reqPerSecMax: Math.max(...rps),
      p50Ms: round(mean(mine.map((r) => r.p50Ms)), 1),
      p99Ms: round(mean(mine.map((r) => r.p99Ms)), 1),
      non2xx: mine.reduce((s, r) => s + r.non2xx + r.errors + r.timeouts, 0),
      shareOfBare: shares.length > 0 ? round(mean(shares), 3) : null,
      serverCpuMsPerReq: cpu.length > 0 ? round(mean(cpu), 4) : null,
      dbCpuMsPerReq: db.length > 0 ? round(mean(db), 4) : null,
      readyMs: round(mean(mine.map((r) => r.readyMs)), 0),
    };
  }
  // The decision figure: Fastify over Express, per round, then averaged.
  const perRound: Array<{ round: number; reqPerSec: number; cpuMsPerReq: number | null }> = [];
  for (let r = 1; r <= cfg.rounds; r += 1) {
    const e = find('nest-express', r);
    const f = find('nest-fastify', r);
    if (e !== undefined && f !== undefined && e.reqPerSec > 0) {
      perRound.push({
        round: r,
        reqPerSec: round(f.reqPerSec / e.reqPerSec, 3),
        cpuMsPerReq:
          e.serverCpuMsPerReq !== null && f.serverCpuMsPerReq !== null && f.serverCpuMsPerReq > 0
            ? round(e.serverCpuMsPerReq / f.serverCpuMsPerReq, 3)
            : null,
      });
    }
  }
  const cpuRatios = perRound.flatMap((p) => (p.cpuMsPerReq === null ? [] : [p.cpuMsPerReq]));
  return {
    targets,
    fastifyOverExpress: {
      reqPerSec: perRound.length > 0 ? round(mean(perRound.map((p) => p.reqPerSec)), 3) : null,
      cpuMsPerReq: cpuRatios.length > 0 ? round(mean(cpuRatios), 3) : null,
      perRound,
    },
  };
}

function table(s: Summary): string {
  const lines = [
    '| target | req/s mean (range) | p50 ms | p99 ms | non-2xx | share of bare | server CPU ms/req | DB CPU ms/req |',
    '|---|---|---|---|---|---|---|---|',
  ];
  const fx = (v: number | null, d = 3): string => (v === null ? 'n/a' : v.toFixed(d));
  for (const t of TARGETS) {
    const x = s.targets[t.name];
    if (x === undefined) {
      continue;
    }
    lines.push(
      `| ${t.label} | ${x.reqPerSec} (${x.reqPerSecMin}–${x.reqPerSecMax}) | ${fx(x.p50Ms, 1)} | ${fx(x.p99Ms, 1)} | ${x.non2xx} | ${fx(x.shareOfBare, 2)} | ${fx(x.serverCpuMsPerReq)} | ${fx(x.dbCpuMsPerReq)} |`,
    );
  }
  return lines.join('\n');
}

// ------------------------------------------------------------------------------ steps

interface Database {
  readonly name: string;
  readonly url: string;
  /** The server processes of this database's sessions (the pool of the running target). */
  readonly pids: () => Promise<number[]>;
}

/** A fresh database with the `products` table of PRODUCTS rows; dropped by the cleanups. */
async function createDatabase(stamp: string): Promise<{ db: Database; ids: string[] }> {
  const name = `bench_platforms_${stamp.slice(0, 19).replace(/-/g, '').replace('T', '_')}_${process.pid}`;
  const admin = new pg.Client({ connectionString: `${cfg.pgUrl}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  log(`created database ${name}`);
  cleanups.add(async () => {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    log(`dropped database ${name}`);
    await admin.end();
  });
  const url = `${cfg.pgUrl}/${name}`;

  const seed = new pg.Client({ connectionString: url });
  await seed.connect();
  let ids: string[] = [];
  try {
    await seed.query(`CREATE TABLE products (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      sku text NOT NULL UNIQUE,
      name text NOT NULL,
      price_cents integer NOT NULL,
      stock integer NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await seed.query(
      `INSERT INTO products (sku, name, price_cents, stock, created_at)
       SELECT 'SKU-' || lpad(i::text, 5, '0'), 'Bench product ' || i, 100 + (i * 37) % 99900,
              (i * 13) % 1000, now() - make_interval(mins => i)
       FROM generate_series(1, $1::int) AS i`,
      [PRODUCTS],
    );
    await seed.query('ANALYZE products');
    const { rows } = await seed.query<{ id: string }>('SELECT id FROM products ORDER BY sku');
    ids = rows.map((r) => r.id);
  } finally {
    await seed.end();
  }
  log(`seeded ${ids.length} products`);
  const pids = async (): Promise<number[]> => {
    const { rows } = await admin.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [name],
    );
    return rows.map((r) => r.pid);
  };
  return { db: { name, url, pids }, ids };
}

/** One round: every target in this round's order, one server at a time. */
async function runRound(
  r: number,
  db: Database,
  ids: readonly string[],
  logDir: string,
  reference: { body: string | null },
): Promise<Run[]> {
  const runs: Run[] = [];
  const order = TARGETS.map((_, i) => TARGETS[(i + r - 1) % TARGETS.length]).filter(
    (t) => t !== undefined,
  );
  log(`round ${r}/${cfg.rounds}: ${order.map((t) => t.name).join(' → ')}`);
  for (const [i, target] of order.entries()) {
    const started = await startServer(target, {
      databaseUrl: db.url,
      logDir,
      readyPath: `/products/${ids[0] ?? ''}`,
    });
    try {
      const body = JSON.stringify(await check(started.server.port, ids));
      if (reference.body === null) {
        reference.body = body;
      } else if (body !== reference.body) {
        throw new Error(`${target.name} answers ${body}, another target ${reference.body}`);
      }
      const m = await measure(started, ids, db.pids);
      runs.push({ target: target.name, round: r, order: i + 1, readyMs: started.readyMs, ...m });
      log(
        `  ${target.name.padEnd(12)} ${String(m.reqPerSec).padStart(6)} req/s  p50 ${m.p50Ms} ms  p99 ${m.p99Ms} ms  ` +
          `non-2xx ${m.non2xx}  server ${String(m.serverCpuMsPerReq)} ms/req (${m.serverCpuPct}%)  ` +
          `db ${m.dbCpuPct}%  loadgen ${m.loadGenCpuPct}%  other ${m.otherCpuPct}%  ready ${started.readyMs} ms`,
      );
    } finally {
      await started.server.stop(5_000);
    }
  }
  return runs;
}

function printReport(
  meta: { versions: Record<string, string | null>; nproc: number; loadavgBefore: number[] },
  summary: Summary,
  runs: readonly Run[],
  loadavgAfter: readonly number[],
): void {
  const v = (name: string): string => meta.versions[name] ?? 'n/a';
  const fe = summary.fastifyOverExpress;
  const report = [
    '',
    `Node ${v('node')} | nproc ${meta.nproc} | loadavg before ${fmtLoad(meta.loadavgBefore)}, after ${fmtLoad(loadavgAfter)}`,
    `@nestjs/core ${v('@nestjs/core')} | @nestjs/platform-express ${v('@nestjs/platform-express')} (express ${v('express')}) | @nestjs/platform-fastify ${v('@nestjs/platform-fastify')} (fastify ${v('fastify')}) | pg ${v('pg')} | autocannon ${v('autocannon')}`,
    `GET /products/:id, one SELECT by primary key, pg Pool 20; ${cfg.connections} connections, ${cfg.rounds} rounds × (${cfg.warmupS} s warm-up + ${cfg.durationS} s), target order rotated per round`,
    '',
    table(summary),
    '',
    `Nest+Fastify vs Nest+Express: ${fe.reqPerSec ?? 'n/a'}× the req/s; Express spends ${fe.cpuMsPerReq ?? 'n/a'}× Fastify's server CPU per request ` +
      `(per round: ${fe.perRound.map((p) => `${p.reqPerSec}× / ${p.cpuMsPerReq ?? 'n/a'}×`).join(', ')})`,
    `CPU used by other processes during the measured windows (% of one core, run order): ${runs.map((x) => `${x.target} ${x.otherCpuPct}`).join(', ')}`,
    'Load generator, server and PostgreSQL share this machine: only the ratios within this run count.',
    '',
  ].join('\n');
  process.stdout.write(report);
}

// ------------------------------------------------------------------------------ main

async function main(): Promise<void> {
  assertLoopbackUrl(cfg.pgUrl, 'BENCH_PG_URL');
  const nodeMajor = Number(process.versions.node.split('.')[0]);
  if (nodeMajor !== 24) {
    log(`warning: running on Node ${process.version}, not 24 (use npm run bench:platforms)`);
  }
  const meta = {
    startedAt: new Date().toISOString(),
    versions: versions(),
    nproc: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    loadavgBefore: os.loadavg().map((x) => round(x, 2)),
    config: { ...cfg, pgUrl: undefined, products: PRODUCTS },
  };
  log(
    `node ${process.version}, nproc ${meta.nproc}, loadavg ${fmtLoad(meta.loadavgBefore)}, ` +
      `${cfg.rounds} rounds × ${TARGETS.length} targets × (${cfg.warmupS} s warm-up + ${cfg.durationS} s), ${cfg.connections} connections`,
  );
  log(
    `versions: ${Object.entries(meta.versions)
      .map(([k, v]) => `${k} ${v ?? 'n/a'}`)
      .join(', ')}`,
  );

  const logDir = mkdtempSync(join(os.tmpdir(), 'bench-platforms-'));
  cleanups.add(() => {
    rmSync(logDir, { recursive: true, force: true });
  });
  const stamp = meta.startedAt.replace(/[:.]/g, '-');
  const { db, ids } = await createDatabase(stamp);

  const runs: Run[] = [];
  const reference: { body: string | null } = { body: null };
  for (let r = 1; r <= cfg.rounds; r += 1) {
    runs.push(...(await runRound(r, db, ids, logDir, reference)));
  }

  const summary = summarise(runs);
  const loadavgAfter = os.loadavg().map((x) => round(x, 2));
  printReport(meta, summary, runs, loadavgAfter);

  const resultsDir = join(REPO, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `platforms-${stamp}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ ...meta, loadavgAfter, database: db.name, summary, runs }, null, 2)}\n`,
  );
  log(`wrote ${relative(REPO, file)}`);
}

try {
  await main();
  await cleanups.run();
} catch (error) {
  process.stderr.write(`[bench:platforms] failed: ${errorStack(error)}\n`);
  await cleanups.run();
  process.exitCode = 1;
}
