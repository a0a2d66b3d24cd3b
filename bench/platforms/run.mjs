// @ts-check
/**
 * `npm run bench:platforms`: one endpoint, one query, three HTTP stacks, side by side on
 * this machine, to tell what the HTTP platform itself costs under Nest:
 *  (a) bare   node:http + pg                         (bench/platforms/bare.mjs)
 *  (b) nest-express  Nest 11 + @nestjs/platform-express (Express 5, what the service uses)
 *  (c) nest-fastify  Nest 11 + @nestjs/platform-fastify (Fastify 5)
 * All three answer GET /products/:id with
 * `SELECT id, sku, name, price_cents, stock, created_at FROM products WHERE id = $1`
 * through a pg Pool of 20 (bench/platforms/db.mjs) and return the row as JSON (404 if none).
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
import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

import autocannon from 'autocannon';
import pg from 'pg';

import { LOOPBACK, expectStatus, freePort } from '../../scripts/lib/loopback-http.mjs';
import { assertLoopbackUrl, stopProcess, waitUntilReady } from '../../scripts/lib/processes.mjs';
import { cpuDelta, cpuTimes, machineCpu } from '../lib/proc-cpu.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '..', '..');
const env = process.env;

/** @param {string | undefined} v @param {number} d */
const int = (v, d) => (v === undefined || v.trim() === '' ? d : Math.max(0, Math.trunc(Number(v))));

const cfg = {
  durationS: Math.max(1, int(env.BENCH_DURATION_S, 10)),
  warmupS: int(env.BENCH_WARMUP_S, 2),
  connections: Math.max(1, int(env.BENCH_CONNECTIONS, 50)),
  rounds: Math.max(1, int(env.BENCH_ROUNDS, 3)),
  pgUrl: (env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432').replace(/\/+$/, ''),
};
const PRODUCTS = 1000;

/**
 * @typedef {{ name: string, label: string, args: string[] }} Target
 * @type {Target[]}
 */
const ALL_TARGETS = [
  { name: 'bare', label: 'bare node:http + pg', args: [join(HERE, 'bare.mjs')] },
  {
    name: 'nest-express',
    label: 'Nest + platform-express',
    args: [join(HERE, 'nest.mjs'), 'express'],
  },
  {
    name: 'nest-fastify',
    label: 'Nest + platform-fastify',
    args: [join(HERE, 'nest.mjs'), 'fastify'],
  },
];
const only = (env.BENCH_TARGETS ?? '')
  .split(',')
  .map((x) => x.trim())
  .filter((x) => x !== '');
const TARGETS = only.length > 0 ? ALL_TARGETS.filter((t) => only.includes(t.name)) : ALL_TARGETS;
if (TARGETS.length === 0) {
  throw new Error(`BENCH_TARGETS names none of ${ALL_TARGETS.map((t) => t.name).join(', ')}`);
}

// ------------------------------------------------------------------------------ helpers

/** @param {string} msg */
const log = (msg) => process.stdout.write(`[bench:platforms] ${msg}\n`);
/** @param {number} n @param {number} [d] */
const round = (n, d = 1) => Math.round(n * 10 ** d) / 10 ** d;
/** @param {readonly number[]} xs */
const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
/** @param {unknown} error */
const message = (error) => (error instanceof Error ? error.message : String(error));
/** @param {number[]} la */
const fmtLoad = (la) => la.map((x) => x.toFixed(2)).join(' ');

/**
 * The version of package `name` as `fromDir` would resolve it (node_modules lookup upwards).
 * @param {string} name @param {string} [fromDir] @returns {string | null}
 */
function pkgVersion(name, fromDir = REPO) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const file = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(file)) {
      return /** @type {{version: string}} */ (JSON.parse(readFileSync(file, 'utf8'))).version;
    }
    if (dirname(dir) === dir) {
      return null;
    }
  }
}

function versions() {
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

// ------------------------------------------------------------------------------ cleanup

/** @type {Set<import('node:child_process').ChildProcess>} */
const children = new Set();
/** @type {Array<() => Promise<void> | void>} */
const cleanups = [];
let cleanedUp = false;

async function cleanup() {
  if (cleanedUp) {
    return;
  }
  cleanedUp = true;
  await Promise.all([...children].map((c) => stopChild(c).catch(() => undefined)));
  for (const fn of cleanups.reverse()) {
    try {
      await fn();
    } catch (error) {
      log(`cleanup step failed: ${message(error)}`);
    }
  }
}

process.on('exit', () => {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
    }
  }
});
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.on(signal, () => {
    log(`${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

/** @param {import('node:child_process').ChildProcess} child */
async function stopChild(child) {
  await stopProcess(child, 5_000);
  children.delete(child);
}

// ------------------------------------------------------------------------------ servers

/**
 * @typedef {{ child: import('node:child_process').ChildProcess, pid: number, port: number,
 *   readyMs: number }} Started
 */

/**
 * Starts `target` with this node on a free port and waits until it answers `readyPath` 200.
 * @param {Target} target @param {{databaseUrl: string, logDir: string, readyPath: string}} o
 * @returns {Promise<Started>}
 */
async function startServer(target, o) {
  const port = await freePort();
  const outFile = join(o.logDir, `${target.name}.stdout.log`);
  const errFile = join(o.logDir, `${target.name}.stderr.log`);
  const out = openSync(outFile, 'a');
  const err = openSync(errFile, 'a');
  const started = performance.now();
  const child = spawn(process.execPath, target.args, {
    cwd: REPO,
    env: {
      PATH: env.PATH ?? '',
      HOME: env.HOME ?? '',
      NODE_ENV: 'production',
      PORT: String(port),
      DATABASE_URL: o.databaseUrl,
    },
    stdio: ['ignore', out, err],
  });
  closeSync(out);
  closeSync(err);
  children.add(child);
  /** @type {string | null} */
  let exited = null;
  child.once('exit', (code, signal) => {
    exited = `exited (code ${code}, signal ${signal})`;
  });
  try {
    await waitUntilReady({
      port,
      path: o.readyPath,
      timeoutMs: 30_000,
      intervalMs: 25,
      exitReason: () => exited,
    });
  } catch (error) {
    await stopChild(child);
    const tail = (/** @type {string} */ f) =>
      existsSync(f) ? readFileSync(f, 'utf8').split('\n').slice(-30).join('\n') : '';
    throw new Error(
      `${target.name} did not become ready: ${message(error)}\n--- stderr\n${tail(errFile)}\n--- stdout\n${tail(outFile)}`,
    );
  }
  return {
    child,
    pid: /** @type {number} */ (child.pid),
    port,
    readyMs: round(performance.now() - started, 0),
  };
}

/**
 * The same answers from every target: the row for a known id, 404 for an unknown one, 400
 * for a malformed one. Returns the 200 body, to compare across targets.
 * @param {number} port @param {string[]} ids
 */
async function check(port, ids) {
  const body = await expectStatus({ port, method: 'GET', path: `/products/${ids[0]}` }, 200);
  await expectStatus(
    { port, method: 'GET', path: '/products/00000000-0000-4000-8000-000000000000' },
    404,
  );
  await expectStatus({ port, method: 'GET', path: '/products/not-a-uuid' }, 400);
  return body;
}

// ------------------------------------------------------------------------------ load

/**
 * One bounded autocannon run of GET /products/:id over `ids` in rotation.
 * @param {number} port @param {string[]} ids @param {number} seconds
 * @returns {Promise<autocannon.Result>}
 */
function cannon(port, ids, seconds) {
  let next = 0;
  return new Promise((resolveRun, reject) => {
    const instance = autocannon(
      {
        url: `http://${LOOPBACK}:${port}`,
        connections: cfg.connections,
        duration: seconds,
        timeout: 10,
        requests: [
          {
            method: 'GET',
            setupRequest: (req) => {
              req.path = `/products/${ids[next % ids.length]}`;
              next += 1;
              return req;
            },
          },
        ],
      },
      (error, result) => {
        clearTimeout(guard);
        if (error) {
          reject(error);
        } else {
          resolveRun(result);
        }
      },
    );
    // autocannon stops itself after `seconds`; this makes sure.
    const guard = setTimeout(() => instance.stop(), (seconds + 30) * 1000);
  });
}

/**
 * Warm-up, then the measured run with CPU accounting around it.
 * @param {Started} server @param {string[]} ids @param {() => Promise<number[]>} dbPids
 */
async function measure(server, ids, dbPids) {
  if (cfg.warmupS > 0) {
    await cannon(server.port, ids, cfg.warmupS);
  }
  const before = {
    server: cpuTimes([server.pid]),
    db: cpuTimes(await dbPids()),
    self: process.cpuUsage(),
    machine: machineCpu(),
  };
  const r = await cannon(server.port, ids, cfg.durationS);
  const serverCpu = cpuDelta(before.server, cpuTimes([server.pid]));
  const dbCpu = cpuDelta(before.db, cpuTimes(await dbPids()));
  const selfUsage = process.cpuUsage(before.self);
  const selfCpu = (selfUsage.user + selfUsage.system) / 1000;
  const m = machineCpu();
  const busy = m.busyMs - before.machine.busyMs;
  const total = m.totalMs - before.machine.totalMs;
  const ok = r['2xx'];
  const windowMs = r.duration * 1000;
  return {
    reqPerSec: round(r.requests.average, 0),
    okPerSec: round(ok / r.duration, 0),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    maxMs: r.latency.max,
    total: r.requests.total,
    ok,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    bytesPerResponse: r.requests.total > 0 ? round(r.throughput.total / r.requests.total, 0) : 0,
    durationS: r.duration,
    serverCpuMsPerReq: ok > 0 ? round(serverCpu / ok, 4) : null,
    dbCpuMsPerReq: ok > 0 ? round(dbCpu / ok, 4) : null,
    serverCpuPct: round((serverCpu / windowMs) * 100, 0),
    dbCpuPct: round((dbCpu / windowMs) * 100, 0),
    loadGenCpuPct: round((selfCpu / windowMs) * 100, 0),
    /** Busy CPU not accounted for by the server, its DB backends or this process (% of one core). */
    otherCpuPct: round((Math.max(0, busy - serverCpu - dbCpu - selfCpu) / windowMs) * 100, 0),
    machineBusyPct: total > 0 ? round((busy / total) * 100, 0) : null,
  };
}

/** @typedef {Awaited<ReturnType<typeof measure>> & {target: string, round: number, order: number, readyMs: number}} Run */

// ------------------------------------------------------------------------------ report

/**
 * Per target: mean and range of req/s, mean p50/p99, summed non-2xx, the same round's
 * ratio to bare averaged over rounds, mean CPU ms per request.
 * @param {Run[]} runs
 */
function summarise(runs) {
  /** @param {string} target @param {number} r */
  const find = (target, r) => runs.find((x) => x.target === target && x.round === r);
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const t of TARGETS) {
    const mine = runs.filter((r) => r.target === t.name);
    const rps = mine.map((r) => r.reqPerSec);
    const shares = mine.flatMap((r) => {
      const bare = find('bare', r.round);
      return bare !== undefined && bare.reqPerSec > 0 ? [r.reqPerSec / bare.reqPerSec] : [];
    });
    const cpu = mine.flatMap((r) => (r.serverCpuMsPerReq === null ? [] : [r.serverCpuMsPerReq]));
    const db = mine.flatMap((r) => (r.dbCpuMsPerReq === null ? [] : [r.dbCpuMsPerReq]));
    out[t.name] = {
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
  /** @type {{round: number, reqPerSec: number, cpuMsPerReq: number | null}[]} */
  const perRound = [];
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
  const fastifyOverExpress = {
    /** req/s of nest-fastify / req/s of nest-express, same round, averaged */
    reqPerSec: perRound.length > 0 ? round(mean(perRound.map((p) => p.reqPerSec)), 3) : null,
    /** server CPU ms/req of nest-express / that of nest-fastify, same round, averaged */
    cpuMsPerReq: cpuRatios.length > 0 ? round(mean(cpuRatios), 3) : null,
    perRound,
  };
  return { targets: out, fastifyOverExpress };
}

/** @param {ReturnType<typeof summarise>} s @returns {string} */
function table(s) {
  const lines = [
    '| target | req/s mean (range) | p50 ms | p99 ms | non-2xx | share of bare | server CPU ms/req | DB CPU ms/req |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const t of TARGETS) {
    const x = /** @type {Record<string, number | null>} */ (s.targets[t.name]);
    const fx = (/** @type {number | null | undefined} */ v, d = 3) =>
      v === null || v === undefined ? 'n/a' : v.toFixed(d);
    lines.push(
      `| ${t.label} | ${x.reqPerSec} (${x.reqPerSecMin}–${x.reqPerSecMax}) | ${fx(x.p50Ms, 1)} | ${fx(x.p99Ms, 1)} | ${x.non2xx} | ${fx(x.shareOfBare, 2)} | ${fx(x.serverCpuMsPerReq)} | ${fx(x.dbCpuMsPerReq)} |`,
    );
  }
  return lines.join('\n');
}

// ------------------------------------------------------------------------------ main

async function main() {
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
    `node ${meta.versions.node}, nproc ${meta.nproc}, loadavg ${fmtLoad(meta.loadavgBefore)}, ` +
      `${cfg.rounds} rounds × ${TARGETS.length} targets × (${cfg.warmupS} s warm-up + ${cfg.durationS} s), ${cfg.connections} connections`,
  );
  log(
    `versions: ${Object.entries(meta.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );

  const logDir = mkdtempSync(join(os.tmpdir(), 'bench-platforms-'));
  cleanups.push(() => rmSync(logDir, { recursive: true, force: true }));

  const stamp = meta.startedAt.replace(/[:.]/g, '-');
  const dbName = `bench_platforms_${stamp.slice(0, 19).replace(/-/g, '').replace('T', '_')}_${process.pid}`;
  const admin = new pg.Client({ connectionString: `${cfg.pgUrl}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${dbName}"`);
  log(`created database ${dbName}`);
  cleanups.push(async () => {
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    log(`dropped database ${dbName}`);
    await admin.end();
  });
  const databaseUrl = `${cfg.pgUrl}/${dbName}`;

  const seed = new pg.Client({ connectionString: databaseUrl });
  await seed.connect();
  /** @type {string[]} */
  let ids = [];
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
    const { rows } = await seed.query('SELECT id FROM products ORDER BY sku');
    ids = rows.map((r) => String(r.id));
  } finally {
    await seed.end();
  }
  log(`seeded ${ids.length} products`);

  /** The server processes of this database's sessions (the pool of the running target). */
  const dbPids = async () => {
    const { rows } = await admin.query(
      'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [dbName],
    );
    return rows.map((r) => Number(r.pid));
  };

  /** @type {Run[]} */
  const runs = [];
  /** @type {string | null} */
  let referenceBody = null;
  for (let r = 1; r <= cfg.rounds; r += 1) {
    const order = TARGETS.map((_, i) => TARGETS[(i + r - 1) % TARGETS.length]).filter(
      (t) => t !== undefined,
    );
    log(`round ${r}/${cfg.rounds}: ${order.map((t) => t.name).join(' → ')}`);
    for (const [i, target] of order.entries()) {
      const server = await startServer(target, {
        databaseUrl,
        logDir,
        readyPath: `/products/${ids[0]}`,
      });
      try {
        const body = JSON.stringify(await check(server.port, ids));
        if (referenceBody === null) {
          referenceBody = body;
        } else if (body !== referenceBody) {
          throw new Error(`${target.name} answers ${body}, another target ${referenceBody}`);
        }
        const m = await measure(server, ids, dbPids);
        runs.push({ target: target.name, round: r, order: i + 1, readyMs: server.readyMs, ...m });
        log(
          `  ${target.name.padEnd(12)} ${String(m.reqPerSec).padStart(6)} req/s  p50 ${m.p50Ms} ms  p99 ${m.p99Ms} ms  ` +
            `non-2xx ${m.non2xx}  server ${m.serverCpuMsPerReq} ms/req (${m.serverCpuPct}%)  ` +
            `db ${m.dbCpuPct}%  loadgen ${m.loadGenCpuPct}%  other ${m.otherCpuPct}%  ready ${server.readyMs} ms`,
        );
      } finally {
        await stopChild(server.child);
      }
    }
  }

  const summary = summarise(runs);
  const loadavgAfter = os.loadavg().map((x) => round(x, 2));
  const fe = summary.fastifyOverExpress;
  const report = [
    '',
    `Node ${meta.versions.node} | nproc ${meta.nproc} | loadavg before ${fmtLoad(meta.loadavgBefore)}, after ${fmtLoad(loadavgAfter)}`,
    `@nestjs/core ${meta.versions['@nestjs/core']} | @nestjs/platform-express ${meta.versions['@nestjs/platform-express']} (express ${meta.versions.express}) | @nestjs/platform-fastify ${meta.versions['@nestjs/platform-fastify']} (fastify ${meta.versions.fastify}) | pg ${meta.versions.pg} | autocannon ${meta.versions.autocannon}`,
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

  const resultsDir = join(REPO, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `platforms-${stamp}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ ...meta, loadavgAfter, database: dbName, summary, runs }, null, 2)}\n`,
  );
  log(`wrote ${relative(REPO, file)}`);
}

try {
  await main();
  await cleanup();
} catch (error) {
  process.stderr.write(
    `[bench:platforms] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  await cleanup();
  process.exitCode = 1;
}
