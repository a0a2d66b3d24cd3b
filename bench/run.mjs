// @ts-check
/**
 * `npm run bench`: load-tests the service against a framework-free baseline on the same
 * database, on this machine, and reports throughput, latency, CPU per request, start-up
 * time and memory.
 *
 * What it does, in order (everything under a temp dir; `dist/` is never touched):
 *  1. builds the service into a temp outDir (`nest build --path <temp tsconfig>`);
 *  2. creates a fresh PostgreSQL database `bench_<time>_<pid>` on 127.0.0.1;
 *  3. starts the service (migrations run, bootstrap admin created) and times it to
 *     `/ready` 200, seeds it through its API (customers, 1000 products + 1 hot product,
 *     40 orders of 3 lines for the reading customer), stops it;
 *  4. starts it again (schema in place: the start-up time a rolling deploy sees) and the
 *     baseline (bench/baseline/server.mjs) on another port, reads their idle RSS;
 *  5. per scenario, per round, runs autocannon against both (warm-up first, then the
 *     measured run); rounds alternate the order (service first, then baseline first) so a
 *     drift in the machine's load does not always favour the same target;
 *  6. if the service honours CLUSTER_WORKERS, repeats the service runs with 2 workers;
 *  7. prints a table, writes bench/results/<timestamp>.json, kills every child, drops the
 *     database and removes the temp dir, also on failure or Ctrl-C.
 *
 * Env knobs: BENCH_DURATION_S (10), BENCH_WARMUP_S (2), BENCH_CONNECTIONS (50),
 * BENCH_LOGIN_CONNECTIONS (10), BENCH_ROUNDS (2), BENCH_LOG_LEVEL (info: the production
 * default), BENCH_SCENARIOS (comma list, default all), BENCH_PG_URL
 * (postgres://postgres@127.0.0.1:5432, must be loopback), BENCH_CPU_PROF=1 (profile the
 * service process over the whole load phase; numbers are then not comparable),
 * BENCH_SOURCE=head (build the last commit, via git archive, instead of the working tree),
 * BENCH_KEEP=1 (keep the temp dir and database for inspection), BENCH_ENTRY=<main.js of a
 * build kept with BENCH_KEEP> (skip the build; never point it at dist/, another build may
 * delete it mid-run).
 * All traffic goes to 127.0.0.1 only; every load run is bounded by its duration.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  readdirSync,
} from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

import autocannon from 'autocannon';
import pg from 'pg';

import { LOOPBACK, expectStatus, freePort, inParallel } from '../scripts/lib/loopback-http.mjs';
import { assertLoopbackUrl, stopProcess, waitUntilReady } from '../scripts/lib/processes.mjs';

import { cpuDelta, cpuTimes, machineCpu, processTree } from './lib/proc-cpu.mjs';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(BENCH_DIR, '..');
const env = process.env;

/** @param {string | undefined} v @param {number} d */
const int = (v, d) => (v === undefined || v.trim() === '' ? d : Math.max(0, Math.trunc(Number(v))));

const cfg = {
  durationS: int(env.BENCH_DURATION_S, 10),
  warmupS: int(env.BENCH_WARMUP_S, 2),
  connections: int(env.BENCH_CONNECTIONS, 50),
  loginConnections: int(env.BENCH_LOGIN_CONNECTIONS, 10),
  rounds: Math.max(1, int(env.BENCH_ROUNDS, 2)),
  logLevel: env.BENCH_LOG_LEVEL ?? 'info',
  scenarios: (env.BENCH_SCENARIOS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== ''),
  pgUrl: (env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432').replace(/\/+$/, ''),
  cpuProf: env.BENCH_CPU_PROF === '1',
  keep: env.BENCH_KEEP === '1',
  /** @type {'worktree' | 'head'} */
  source: env.BENCH_SOURCE === 'head' ? 'head' : 'worktree',
  /** A git revision to build and measure as a third target, "before", in the same rounds. */
  before: env.BENCH_BEFORE ?? '',
  /** Rate-limit counters in the local Redis, as a deployment with more than one process has them. */
  redis: env.BENCH_REDIS !== '0',
  /** Flags for the service processes, as NODE_OPTIONS; default: `npm start`'s heap cap. */
  nodeOptions: env.BENCH_NODE_OPTIONS ?? '--max-old-space-size=512',
  /** glibc's allocator settings of the service and baseline: `npm start`'s and the image's. */
  glibcTunables: env.GLIBC_TUNABLES ?? 'glibc.malloc.mmap_threshold=4194304',
  /** Runtime flags of the "before" target, when they differ (BENCH_BEFORE=HEAD compares flags). */
  beforeNodeOptions: env.BENCH_BEFORE_NODE_OPTIONS ?? null,
  /** BENCH_CLUSTER=0 skips the CLUSTER_WORKERS=2 pass. */
  cluster: env.BENCH_CLUSTER !== '0',
};

const SEED = { readProducts: 1000, readerOrders: 40, linesPerOrder: 3, hotStock: 100_000_000 };
const PASSWORD = 'bench-password-123';
const ADMIN = { email: 'bench-admin@example.com', password: 'bench-admin-password-123' };

// ------------------------------------------------------------------------------ helpers

/** @param {string} msg */
const log = (msg) => process.stdout.write(`[bench] ${msg}\n`);
/** @param {number} ms */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** @param {number} n @param {number} [d] */
const round = (n, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

// ------------------------------------------------------------------------------ /proc

/** @param {number} pid @returns {{rssMiB: number, hwmMiB: number}} summed over the tree */
function memory(pid) {
  let rss = 0;
  let hwm = 0;
  for (const p of processTree(pid)) {
    try {
      const status = readFileSync(`/proc/${p}/status`, 'utf8');
      rss += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      hwm += Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return { rssMiB: round(rss / 1024), hwmMiB: round(hwm / 1024) };
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
  await Promise.all([...children].map((c) => stopChild(c, 5_000).catch(() => undefined)));
  for (const fn of cleanups.reverse()) {
    try {
      await fn();
    } catch (error) {
      log(`cleanup step failed: ${error instanceof Error ? error.message : String(error)}`);
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

/**
 * SIGTERM, then SIGKILL after `graceMs`. Resolves with the time to exit (ms).
 * @param {import('node:child_process').ChildProcess} child @param {number} graceMs
 */
async function stopChild(child, graceMs) {
  const ms = await stopProcess(child, graceMs);
  children.delete(child);
  return ms;
}

// ------------------------------------------------------------------------------ processes

/**
 * @typedef {{ child: import('node:child_process').ChildProcess, pid: number, port: number,
 *   readyMs: number, logFile: string, name: string }} Started
 */

/**
 * Spawns a Node process with stdout/stderr to files and waits for `readyPath` to answer 200.
 * @param {{name: string, args: string[], env: Record<string, string>, cwd: string, port: number,
 *   logDir: string, readyPath: string, timeoutMs?: number}} o
 * @returns {Promise<Started>}
 */
async function startProcess(o) {
  const logFile = join(o.logDir, `${o.name}.stdout.log`);
  const errFile = join(o.logDir, `${o.name}.stderr.log`);
  const out = openSync(logFile, 'a');
  const err = openSync(errFile, 'a');
  const started = performance.now();
  const child = spawn(process.execPath, o.args, {
    cwd: o.cwd,
    env: o.env,
    stdio: ['ignore', out, err],
  });
  closeSync(out);
  closeSync(err);
  children.add(child);
  const timeoutMs = o.timeoutMs ?? 120_000;
  /** @type {string | null} */
  let exited = null;
  child.once('exit', (code, signal) => {
    exited = `exited (code ${code}, signal ${signal})`;
  });
  try {
    await waitUntilReady({
      port: o.port,
      path: o.readyPath,
      timeoutMs,
      intervalMs: 25,
      exitReason: () => exited,
    });
  } catch (error) {
    const tail = (/** @type {string} */ f) =>
      existsSync(f) ? readFileSync(f, 'utf8').split('\n').slice(-30).join('\n') : '';
    await stopChild(child, 2_000);
    throw new Error(
      `${o.name} did not become ready: ${error instanceof Error ? error.message : String(error)}\n--- stderr\n${tail(errFile)}\n--- stdout\n${tail(logFile)}`,
    );
  }
  return {
    child,
    pid: /** @type {number} */ (child.pid),
    port: o.port,
    readyMs: round(performance.now() - started, 0),
    logFile,
    name: o.name,
  };
}

/**
 * Builds the service into `<tmp>/build` with a throw-away tsconfig; returns the entry file.
 * `worktree` compiles the checkout as it is; `head` compiles the last commit, extracted
 * with `git archive` into `<tmp>/source` (a consistent snapshot while others edit files).
 * Any other `source` is a git revision (BENCH_BEFORE), built the same way into its own dirs.
 * @param {string} tmp @param {string} source
 */
function buildService(tmp, source) {
  let root = REPO;
  const rev = source === 'head' ? 'HEAD' : source;
  const tag = source === 'worktree' || source === 'head' ? '' : `-${rev.replace(/[^\w.-]/g, '_')}`;
  if (source !== 'worktree') {
    root = join(tmp, `source${tag}`);
    mkdirSync(root);
    const tar = execFileSync(
      'git',
      [
        'archive',
        '--format=tar',
        rev,
        '--',
        'src',
        'libs',
        'tsconfig.json',
        'tsconfig.build.json',
        'nest-cli.json',
        'package.json',
      ],
      { cwd: REPO, maxBuffer: 256 * 2 ** 20 },
    );
    execFileSync('tar', ['-x', '-C', root], { input: tar });
    symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'), 'dir');
  }
  const tsconfig = join(tmp, `tsconfig.bench-build${tag}.json`);
  const outDir = join(tmp, `build${tag}`);
  writeFileSync(
    tsconfig,
    JSON.stringify(
      { extends: join(root, 'tsconfig.build.json'), compilerOptions: { outDir } },
      null,
      2,
    ),
  );
  // tsc looks for @types next to the tsconfig, and the built code for its packages above
  // the build dir: one symlink serves both.
  if (!existsSync(join(tmp, 'node_modules'))) {
    symlinkSync(join(REPO, 'node_modules'), join(tmp, 'node_modules'), 'dir');
  }
  const started = performance.now();
  try {
    execFileSync(
      process.execPath,
      [
        join(REPO, 'node_modules', '@nestjs', 'cli', 'bin', 'nest.js'),
        'build',
        '--path',
        relative(root, tsconfig),
      ],
      { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], timeout: 300_000 },
    );
  } catch (error) {
    throw new Error(
      `the service did not build from ${source === 'worktree' ? 'the working tree' : rev}` +
        (source === 'head'
          ? ''
          : ' (files being edited? BENCH_SOURCE=head builds the last commit)'),
      { cause: error },
    );
  }
  const entry = join(outDir, 'src', 'main.js');
  if (!existsSync(entry)) {
    throw new Error(`build produced no ${entry}`);
  }
  return { entry, buildMs: round(performance.now() - started, 0) };
}

// ------------------------------------------------------------------------------ facts

/** @param {string} name */
function pkgVersion(name) {
  try {
    return JSON.parse(readFileSync(join(REPO, 'node_modules', name, 'package.json'), 'utf8'))
      .version;
  } catch {
    return null;
  }
}

function machineFacts() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const sh = (/** @type {string} */ cmd, /** @type {string[]} */ args) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
    } catch {
      return null;
    }
  };
  let git = null;
  try {
    git = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: REPO,
      encoding: 'utf8',
    }).trim();
  } catch {
    // not a git checkout
  }
  let dirty = null;
  try {
    dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'libs'], {
      cwd: REPO,
      encoding: 'utf8',
    })
      .split('\n')
      .filter((l) => l.trim() !== '').length;
  } catch {
    // not a git checkout
  }
  return {
    nproc: sh('nproc', []),
    uncommittedFilesInSrcAndLibs: dirty,
    cpuModel: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? null,
    memTotalGiB: round(os.totalmem() / 2 ** 30, 1),
    freeH: sh('free', ['-h']),
    kernel: os.release(),
    node: process.version,
    loadavgAtStart: os.loadavg().map((l) => round(l, 2)),
    gitHead: git,
    versions: Object.fromEntries(
      [
        '@nestjs/core',
        '@nestjs/platform-express',
        '@nestjs/typeorm',
        'typeorm',
        'pg',
        'express',
        'class-validator',
        'class-transformer',
        'ioredis',
        'pino',
        'argon2',
        'autocannon',
      ].map((n) => [n, pkgVersion(n)]),
    ),
  };
}

// ------------------------------------------------------------------------------ load

/**
 * @typedef {{ name: string, title: string, connections: number,
 *   options: (ctx: any) => Record<string, unknown>,
 *   check: (port: number, ctx: any) => Promise<void> }} Scenario
 */

/** @type {Scenario[]} */
const SCENARIOS = [
  {
    name: 'product-get',
    title: 'GET /api/v1/products/:id',
    connections: cfg.connections,
    options: (ctx) => ({
      requests: [
        {
          method: 'GET',
          setupRequest: (/** @type {any} */ req) => {
            const ids = ctx.productIds;
            req.path = `/api/v1/products/${ids[Math.floor(Math.random() * ids.length)]}`;
            return req;
          },
        },
      ],
    }),
    check: async (port, ctx) => {
      const body = await expectStatus(
        { port, method: 'GET', path: `/api/v1/products/${ctx.productIds[0]}` },
        200,
      );
      if (body?.id !== ctx.productIds[0]) {
        throw new Error(`product-get on :${port}: wrong body`);
      }
    },
  },
  {
    name: 'orders-list',
    title: 'GET /api/v1/orders?limit=20 (20 orders x 3 items, bearer)',
    connections: cfg.connections,
    options: (ctx) => ({
      method: 'GET',
      path: '/api/v1/orders?limit=20',
      headers: { authorization: `Bearer ${ctx.reader.token}` },
    }),
    check: async (port, ctx) => {
      const body = await expectStatus(
        { port, method: 'GET', path: '/api/v1/orders?limit=20', token: ctx.reader.token },
        200,
      );
      const items = body?.data?.reduce(
        (/** @type {number} */ n, /** @type {any} */ o) => n + o.items.length,
        0,
      );
      if (
        body?.data?.length !== 20 ||
        items !== 20 * SEED.linesPerOrder ||
        body.nextCursor === null
      ) {
        throw new Error(
          `orders-list on :${port}: expected a full page, got ${JSON.stringify(body).slice(0, 200)}`,
        );
      }
    },
  },
  {
    name: 'order-place',
    title: 'POST /api/v1/orders (1 line, single hot product)',
    connections: cfg.connections,
    options: (ctx) => ({
      method: 'POST',
      path: '/api/v1/orders',
      headers: { authorization: `Bearer ${ctx.buyer.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ items: [{ productId: ctx.hotProductId, quantity: 1 }] }),
    }),
    check: async (port, ctx) => {
      const body = await expectStatus(
        {
          port,
          method: 'POST',
          path: '/api/v1/orders',
          body: { items: [{ productId: ctx.hotProductId, quantity: 1 }] },
          token: ctx.buyer.token,
        },
        201,
      );
      if (body?.items?.[0]?.productId !== ctx.hotProductId) {
        throw new Error(`order-place on :${port}: wrong body`);
      }
    },
  },
  {
    // What a client that retries safely sends: a fresh Idempotency-Key on every placement.
    name: 'order-place-keyed',
    title: 'POST /api/v1/orders with an Idempotency-Key (1 line, single hot product)',
    connections: cfg.connections,
    options: (ctx) => ({
      requests: [
        {
          method: 'POST',
          path: '/api/v1/orders',
          headers: {
            authorization: `Bearer ${ctx.buyer.token}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify({ items: [{ productId: ctx.hotProductId, quantity: 1 }] }),
          setupRequest: (/** @type {any} */ req) => {
            req.headers = { ...req.headers, 'idempotency-key': randomBytes(12).toString('hex') };
            return req;
          },
        },
      ],
    }),
    check: async (port, ctx) => {
      const key = randomBytes(12).toString('hex');
      const request = {
        port,
        method: 'POST',
        path: '/api/v1/orders',
        body: { items: [{ productId: ctx.hotProductId, quantity: 1 }] },
        token: ctx.buyer.token,
        headers: { 'idempotency-key': key },
      };
      const first = await expectStatus(request, 201);
      const again = await expectStatus(request, 201);
      if (first?.id === undefined || again?.id !== first.id) {
        throw new Error(`order-place-keyed on :${port}: the retry was not a replay`);
      }
    },
  },
  {
    name: 'login',
    title: 'POST /api/v1/auth/login (argon2id m=19MiB t=2 p=1)',
    connections: cfg.loginConnections,
    options: (ctx) => ({
      method: 'POST',
      path: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: ctx.reader.email, password: PASSWORD }),
    }),
    check: async (port, ctx) => {
      const body = await expectStatus(
        {
          port,
          method: 'POST',
          path: '/api/v1/auth/login',
          body: { email: ctx.reader.email, password: PASSWORD },
        },
        200,
      );
      if (typeof body?.accessToken !== 'string') {
        throw new Error(`login on :${port}: no accessToken`);
      }
    },
  },
];

/**
 * One bounded autocannon run.
 * @param {number} port @param {Record<string, unknown>} options @param {number} connections @param {number} seconds
 * @returns {Promise<any>}
 */
function cannon(port, options, connections, seconds) {
  // autocannon takes the path from the URL (a `path` option would be overridden by it).
  const { path = '', ...rest } = /** @type {{path?: string}} */ (options);
  return new Promise((resolveRun, reject) => {
    const instance = autocannon(
      {
        url: `http://${LOOPBACK}:${port}${path}`,
        connections,
        duration: seconds,
        timeout: 10,
        ...rest,
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
    // Belt and braces: autocannon stops itself after `duration`; this makes sure.
    const guard = setTimeout(() => instance.stop(), (seconds + 30) * 1000);
  });
}

/**
 * Warm-up, then the measured run, with CPU accounting around it.
 * @param {Scenario} scenario @param {Started} target @param {any} ctx @param {() => Promise<number[]>} dbPids
 */
async function measure(scenario, target, ctx, dbPids) {
  const options = scenario.options(ctx);
  if (cfg.warmupS > 0) {
    await cannon(target.port, options, scenario.connections, cfg.warmupS);
  }
  const before = {
    server: cpuTimes(processTree(target.pid)),
    db: cpuTimes(await dbPids()),
    self: process.cpuUsage(),
    machine: machineCpu(),
  };
  const r = await cannon(target.port, options, scenario.connections, cfg.durationS);
  const serverCpu = cpuDelta(before.server, cpuTimes(processTree(target.pid)));
  const dbCpu = cpuDelta(before.db, cpuTimes(await dbPids()));
  const selfUsage = process.cpuUsage(before.self);
  const selfCpu = (selfUsage.user + selfUsage.system) / 1000;
  const m = machineCpu();
  const busy = m.busyMs - before.machine.busyMs;
  const total = m.totalMs - before.machine.totalMs;
  const ok = r['2xx'];
  const cores = os.cpus().length;
  return {
    reqPerSec: round(r.requests.average, 0),
    okPerSec: round(ok / r.duration, 0),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    maxMs: r.latency.max,
    total: r.requests.total ?? ok + r.non2xx,
    ok,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    statusCodes: Object.fromEntries(
      Object.entries(r.statusCodeStats ?? {}).map(([k, v]) => [k, /** @type {any} */ (v).count]),
    ),
    durationS: r.duration,
    serverCpuMsPerReq: ok > 0 ? round(serverCpu / ok, 3) : null,
    dbCpuMsPerReq: ok > 0 ? round(dbCpu / ok, 3) : null,
    serverCpuPct: round((serverCpu / (r.duration * 1000)) * 100, 0),
    dbCpuPct: round((dbCpu / (r.duration * 1000)) * 100, 0),
    loadGenCpuPct: round((selfCpu / (r.duration * 1000)) * 100, 0),
    /** Busy CPU on the box not accounted for by server, its DB backends or this process (% of all cores). */
    otherCpuPct:
      total > 0 ? round((Math.max(0, busy - serverCpu - dbCpu - selfCpu) / total) * 100, 0) : null,
    machineBusyPct: total > 0 ? round((busy / total) * 100, 0) : null,
    cores,
  };
}

/** @param {any[]} runs */
function summarise(runs) {
  const mean = (/** @type {(r: any) => number} */ f) =>
    runs.reduce((s, r) => s + f(r), 0) / runs.length;
  const rps = runs.map((r) => r.reqPerSec);
  return {
    reqPerSec: round(
      mean((r) => r.reqPerSec),
      0,
    ),
    reqPerSecMin: Math.min(...rps),
    reqPerSecMax: Math.max(...rps),
    p50Ms: round(
      mean((r) => r.p50Ms),
      1,
    ),
    p99Ms: round(
      mean((r) => r.p99Ms),
      1,
    ),
    p99MsWorst: Math.max(...runs.map((r) => r.p99Ms)),
    non2xx: runs.reduce((s, r) => s + r.non2xx + r.errors, 0),
    serverCpuMsPerReq: round(
      mean((r) => r.serverCpuMsPerReq ?? 0),
      3,
    ),
    dbCpuMsPerReq: round(
      mean((r) => r.dbCpuMsPerReq ?? 0),
      3,
    ),
    otherCpuPct: round(
      mean((r) => r.otherCpuPct ?? 0),
      0,
    ),
    runs,
  };
}

// ------------------------------------------------------------------------------ main

async function main() {
  assertLoopbackUrl(cfg.pgUrl, 'BENCH_PG_URL');
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const facts = machineFacts();
  log(
    `machine: ${facts.nproc} cores, ${facts.cpuModel}, node ${facts.node}, load ${facts.loadavgAtStart.join(' ')}`,
  );
  log(
    `config: ${cfg.durationS}s runs after ${cfg.warmupS}s warm-up, ${cfg.connections} connections ` +
      `(login ${cfg.loginConnections}), ${cfg.rounds} round(s), LOG_LEVEL=${cfg.logLevel}`,
  );

  const tmp = mkdtempSync(join(os.tmpdir(), 'nest-bench-'));
  const logDir = join(tmp, 'logs');
  mkdirSync(logDir);
  cleanups.push(() => {
    if (cfg.keep) {
      log(`kept ${tmp}`);
    } else {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  let entry;
  let buildMs = null;
  if (env.BENCH_ENTRY !== undefined && env.BENCH_ENTRY !== '') {
    entry = resolve(env.BENCH_ENTRY);
    log(`using the prebuilt service ${entry} (BENCH_ENTRY)`);
  } else {
    log(
      `building the service (${cfg.source === 'head' ? 'HEAD' : 'working tree'}) into a temp dir (dist/ is not touched)`,
    );
    ({ entry, buildMs } = buildService(tmp, cfg.source));
    log(`built in ${buildMs} ms: ${entry}`);
  }
  /** @type {string | null} */
  let beforeEntry = null;
  if (cfg.before !== '') {
    log(`building ${cfg.before} (BENCH_BEFORE) to measure as "before" in the same rounds`);
    beforeEntry = buildService(tmp, cfg.before).entry;
  }

  // ---- database
  const dbName = `bench_${stamp.slice(0, 19).replace(/-/g, '').replace('T', '_')}_${process.pid}`;
  const admin = new pg.Client({ connectionString: `${cfg.pgUrl}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${dbName}"`);
  cleanups.push(async () => {
    if (cfg.keep) {
      log(`kept database ${dbName}`);
    } else {
      await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
      log(`dropped database ${dbName}`);
    }
    await admin.end();
  });
  const databaseUrl = `${cfg.pgUrl}/${dbName}`;
  /** The server processes of this database's sessions (the pools of both targets). */
  const dbPids = async () => {
    const { rows } = await admin.query(
      'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [dbName],
    );
    return rows.map((r) => Number(r.pid));
  };

  const jwtSecret = randomBytes(32).toString('hex');
  const servicePort = await freePort();
  const beforePort = await freePort();
  // One key prefix for this run's rate-limit counters, removed at the end.
  const redisPrefix = `bench${process.pid}:`;
  const redisEnv = cfg.redis ? { REDIS_URL, REDIS_KEY_PREFIX: redisPrefix } : {};
  if (cfg.redis) {
    cleanups.push(() => deleteRedisKeys(redisPrefix));
  }
  const baselinePort = await freePort();
  /** @param {Record<string, string>} extra */
  const serviceEnv = (extra = {}) => ({
    PATH: env.PATH ?? '/usr/bin:/bin',
    HOME: env.HOME ?? tmp,
    TZ: 'UTC',
    NODE_ENV: 'production',
    HOST: LOOPBACK,
    PORT: String(servicePort),
    JWT_SECRET: jwtSecret,
    DATABASE_URL: databaseUrl,
    DB_MIGRATE_ON_START: 'true',
    LOG_LEVEL: cfg.logLevel,
    LOG_FORMAT: 'json',
    RATE_LIMIT_MAX: '100000000',
    LOGIN_RATE_LIMIT_MAX: '100000000',
    BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
    BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
    SHUTDOWN_READY_DELAY_MS: '0',
    ...(cfg.nodeOptions === '' ? {} : { NODE_OPTIONS: cfg.nodeOptions }),
    ...(cfg.glibcTunables === '' ? {} : { GLIBC_TUNABLES: cfg.glibcTunables }),
    ...(env.MALLOC_ARENA_MAX === undefined ? {} : { MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX }),
    ...redisEnv,
    ...extra,
  });
  const cpuProfDir = join(REPO, 'bench', 'results', `${stamp}-cpuprofile`);
  /**
   * @param {string} name @param {Record<string, string>} [extra] @param {boolean} [profile]
   * @param {string} [main] @param {number} [port]
   */
  const startService = (name, extra = {}, profile = false, main = entry, port = servicePort) =>
    startProcess({
      name,
      args: profile ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`, main] : [main],
      env: serviceEnv({ ...extra, PORT: String(port) }),
      cwd: tmp,
      port,
      logDir,
      readyPath: '/ready',
    });

  // ---- first start: empty database, migrations, bootstrap admin; then seed
  log('starting the service on an empty database (migrations + bootstrap admin)');
  let service = await startService('service-cold');
  const startup = {
    serviceColdMs: service.readyMs,
    serviceWarmMs: 0,
    baselineMs: 0,
    serviceStopMs: 0,
    /** @type {number | null} */
    beforeWarmMs: null,
  };
  log(`service ready in ${service.readyMs} ms (cold: migrations applied)`);

  log('seeding through the API');
  const seedStarted = performance.now();
  const ctx = await seed(service.port);
  log(`seeded in ${round(performance.now() - seedStarted, 0)} ms`);

  startup.serviceStopMs = round(await stopChild(service.child, 15_000), 0);

  // ---- second start: the measured process
  service = await startService('service', {}, cfg.cpuProf);
  startup.serviceWarmMs = service.readyMs;
  log(`service ready in ${service.readyMs} ms (schema already migrated)`);
  const before =
    beforeEntry === null
      ? null
      : await startService(
          'before',
          cfg.beforeNodeOptions === null ? {} : { NODE_OPTIONS: cfg.beforeNodeOptions },
          false,
          beforeEntry,
          beforePort,
        );
  if (before !== null) {
    startup.beforeWarmMs = before.readyMs;
    log(`before (${cfg.before}) ready in ${before.readyMs} ms`);
  }
  const baseline = await startProcess({
    name: 'baseline',
    args: [join(BENCH_DIR, 'baseline', 'server.mjs')],
    env: {
      PATH: env.PATH ?? '/usr/bin:/bin',
      TZ: 'UTC',
      NODE_ENV: 'production',
      HOST: LOOPBACK,
      PORT: String(baselinePort),
      DATABASE_URL: databaseUrl,
      JWT_SECRET: jwtSecret,
      ...(cfg.glibcTunables === '' ? {} : { GLIBC_TUNABLES: cfg.glibcTunables }),
    },
    cwd: tmp,
    port: baselinePort,
    logDir,
    readyPath: '/ready',
  });
  startup.baselineMs = baseline.readyMs;
  log(`baseline ready in ${baseline.readyMs} ms`);
  await sleep(1_000);
  const memoryBefore = {
    service: memory(service.pid),
    baseline: memory(baseline.pid),
    before: before === null ? null : memory(before.pid),
  };
  log(
    `idle RSS: service ${memoryBefore.service.rssMiB} MiB, baseline ${memoryBefore.baseline.rssMiB} MiB`,
  );

  const scenarios = SCENARIOS.filter(
    (s) => cfg.scenarios.length === 0 || cfg.scenarios.includes(s.name),
  );
  const hotStockBefore = await hotStock(dbName, ctx.hotProductId);

  /** @type {Record<string, {title: string, connections: number, service: any, baseline: any, before?: any, cluster?: any}>} */
  const results = {};
  for (const scenario of scenarios) {
    await analyze(databaseUrl);
    await scenario.check(service.port, ctx);
    await scenario.check(baseline.port, ctx);
    if (before !== null) {
      await scenario.check(before.port, ctx);
    }
    /** @type {{service: any[], baseline: any[], before: any[]}} */
    const runs = { service: [], baseline: [], before: [] };
    const targets = before === null ? [service, baseline] : [service, before, baseline];
    for (let r = 0; r < cfg.rounds; r += 1) {
      // Each round starts with another target, so drift in the box's load spreads evenly.
      const order = targets.map((_, i) => targets[(i + r) % targets.length]);
      for (const target of order) {
        const res = await measure(scenario, target, ctx, dbPids);
        const key = target === service ? 'service' : target === before ? 'before' : 'baseline';
        runs[key].push(res);
        log(
          `${scenario.name.padEnd(12)} ${key.padEnd(8)} round ${r + 1}: ${res.reqPerSec} req/s, ` +
            `p50 ${res.p50Ms} ms, p99 ${res.p99Ms} ms, non-2xx ${res.non2xx}, errors ${res.errors}, ` +
            `server ${res.serverCpuPct}% CPU, db ${res.dbCpuPct}%, other load ${res.otherCpuPct}%` +
            (res.non2xx > 0 ? ` status ${JSON.stringify(res.statusCodes)}` : ''),
        );
      }
    }
    results[scenario.name] = {
      title: scenario.title,
      connections: scenario.connections,
      service: summarise(runs.service),
      baseline: summarise(runs.baseline),
      ...(before === null ? {} : { before: summarise(runs.before) }),
    };
    if (scenario.name === 'order-place') {
      // The database's own ceiling for one hot row: the same transaction from a C client
      // with as many sessions as the pools have connections (DB_POOL_MAX default 20).
      /** @type {any} */ (results[scenario.name]).rawSql = await pgbenchHotRow(
        admin,
        dbName,
        ctx,
        tmp,
      );
    }
  }
  const memoryAfter = {
    service: memory(service.pid),
    baseline: memory(baseline.pid),
    before: before === null ? null : memory(before.pid),
  };
  log(
    `RSS after load: service ${memoryAfter.service.rssMiB} MiB (peak ${memoryAfter.service.hwmMiB}), baseline ${memoryAfter.baseline.rssMiB} MiB (peak ${memoryAfter.baseline.hwmMiB})`,
  );
  const serviceLogBytes = statSync(service.logFile).size;
  await stopChild(baseline.child, 5_000);
  if (before !== null) {
    await stopChild(before.child, 15_000);
  }
  const stopMs = round(await stopChild(service.child, 15_000), 0);
  log(`service stopped in ${stopMs} ms`);

  // ---- CLUSTER_WORKERS, if the service has it
  const envSource = readFileSync(
    join(REPO, 'libs', 'core', 'src', 'config', 'environment.ts'),
    'utf8',
  );
  const clusterSupported = envSource.includes('CLUSTER_WORKERS') && cfg.cluster;
  /** @type {any} */
  let cluster = {
    supported: clusterSupported,
    note: clusterSupported
      ? undefined
      : cfg.cluster
        ? 'CLUSTER_WORKERS not found in libs/core/src/config/environment.ts'
        : 'BENCH_CLUSTER=0',
  };
  if (!clusterSupported) {
    log(`cluster runs skipped: ${cluster.note}`);
  } else {
    // The service refuses CLUSTER_WORKERS>1 without Redis (shared rate-limit counters):
    // the local Redis, under a key prefix of this run, removed at the end.
    if (!cfg.redis) {
      cleanups.push(() => deleteRedisKeys(redisPrefix));
    }
    log(
      `CLUSTER_WORKERS found: starting the service with CLUSTER_WORKERS=2 (REDIS_URL=${REDIS_URL}, prefix ${redisPrefix})`,
    );
    // A failing cluster pass (no Redis, a worker crash) must not lose the results above.
    try {
      const clustered = await startService('service-cluster', {
        CLUSTER_WORKERS: '2',
        REDIS_URL,
        REDIS_KEY_PREFIX: redisPrefix,
      });
      await sleep(2_000);
      const workers = processTree(clustered.pid).length - 1;
      cluster = {
        supported: true,
        redis: true,
        readyMs: clustered.readyMs,
        processes: workers + 1,
        memoryBefore: memory(clustered.pid),
      };
      log(`clustered service ready in ${clustered.readyMs} ms with ${workers} child process(es)`);
      if (workers === 0) {
        cluster.supported = false;
        cluster.note =
          'CLUSTER_WORKERS is accepted by the config but no worker process was forked: not honoured yet, runs skipped';
        log(cluster.note);
      }
      for (const scenario of workers === 0 ? [] : scenarios) {
        await analyze(databaseUrl);
        const runs = [];
        for (let r = 0; r < cfg.rounds; r += 1) {
          const res = await measure(scenario, clustered, ctx, dbPids);
          runs.push(res);
          log(
            `${scenario.name.padEnd(12)} cluster  round ${r + 1}: ${res.reqPerSec} req/s, p50 ${res.p50Ms} ms, p99 ${res.p99Ms} ms, non-2xx ${res.non2xx}`,
          );
        }
        /** @type {any} */ (results[scenario.name]).cluster = summarise(runs);
      }
      if (workers > 0) {
        cluster.memoryAfter = memory(clustered.pid);
      }
      await stopChild(clustered.child, 15_000);
    } catch (error) {
      cluster = {
        supported: false,
        note: `cluster pass failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
      };
      log(cluster.note);
    }
  }

  // ---- stock invariant: what was taken from the hot product is what the order lines say
  const hotStockAfter = await hotStock(dbName, ctx.hotProductId);
  const lines = await withDb(databaseUrl, async (c) =>
    Number(
      (
        await c.query(
          'SELECT COALESCE(SUM(quantity), 0)::bigint AS q FROM order_items WHERE product_id = $1',
          [ctx.hotProductId],
        )
      ).rows[0].q,
    ),
  );
  const stockConsistent = SEED.hotStock - hotStockAfter === lines;
  log(
    `hot product: ${hotStockBefore - hotStockAfter} units taken during the runs, ` +
      `${SEED.hotStock - hotStockAfter} in total vs ${lines} in order lines: ${stockConsistent ? 'consistent' : 'INCONSISTENT'}`,
  );

  // ---- report
  const report = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    command: 'npm run bench',
    config: cfg,
    seed: SEED,
    machine: facts,
    loadavgAtEnd: os.loadavg().map((l) => round(l, 2)),
    buildMs,
    startup: { ...startup, serviceStopAfterLoadMs: stopMs },
    memory: { before: memoryBefore, after: memoryAfter },
    serviceLogBytes,
    cluster,
    stockConsistent,
    cpuProfileDir: cfg.cpuProf ? cpuProfDir : null,
    results,
  };
  mkdirSync(join(REPO, 'bench', 'results'), { recursive: true });
  const file = join(REPO, 'bench', 'results', `${stamp}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  printTable(report);
  log(`results: ${relative(REPO, file)}`);
  if (cfg.cpuProf) {
    log(
      `CPU profile(s): ${relative(REPO, cpuProfDir)} (numbers of a profiled run are not comparable)`,
    );
  }
}

const REDIS_URL = 'redis://127.0.0.1:6379';
const POOL_CONNECTIONS = 20;

function findPgbench() {
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

/**
 * pgbench running the service's order transaction on the hot product (read it, INSERT
 * order + item in one statement, conditional UPDATE of the stock, COMMIT) with POOL_CONNECTIONS sessions for the run duration. Null when
 * pgbench is not installed.
 * @param {pg.Client} admin @param {string} dbName @param {any} ctx @param {string} tmp
 */
async function pgbenchHotRow(admin, dbName, ctx, tmp) {
  const bin = findPgbench();
  if (bin === null) {
    log('pgbench not found: no raw-SQL reference for order-place');
    return null;
  }
  const buyerId = await withDb(`${cfg.pgUrl}/${dbName}`, async (c) =>
    String((await c.query('SELECT id FROM users WHERE email = $1', [ctx.buyer.email])).rows[0].id),
  );
  const hot = ctx.hotProductId;
  const script = join(tmp, 'hot-order.sql');
  writeFileSync(
    script,
    [
      // The service's two statements, with literals for its parameters: the unlocked quote,
      // then the one statement that locks, checks, takes the stock and writes the order.
      `SELECT id, sku, name, price_cents, currency, stock FROM products WHERE id = ANY(ARRAY['${hot}']::uuid[]);`,
      [
        `WITH stock_lines AS (SELECT * FROM unnest(ARRAY['${hot}']::uuid[], ARRAY[1]::integer[], ARRAY[1999]::integer[], ARRAY['Hot product']::varchar[]) AS l(product_id, quantity, price_cents, name)),`,
        `stock_locked AS (SELECT p.id, p.stock, p.price_cents, p.name FROM products p WHERE p.id IN (SELECT product_id FROM stock_lines) ORDER BY p.id FOR UPDATE),`,
        `stock_checked AS (SELECT count(*) = 1 AS ok FROM stock_locked k JOIN stock_lines l ON l.product_id = k.id WHERE k.stock >= l.quantity AND k.price_cents = l.price_cents AND k.name = l.name),`,
        `placement_gate AS (SELECT 1 WHERE (SELECT ok FROM stock_checked)),`,
        `stock_taken AS (UPDATE products p SET stock = p.stock - l.quantity, updated_at = now() FROM stock_lines l WHERE p.id = l.product_id AND EXISTS (SELECT 1 FROM placement_gate) RETURNING p.id),`,
        `order_row AS (INSERT INTO orders (id, user_id, status, currency, total_cents, version, created_at, updated_at) SELECT gen_random_uuid(), '${buyerId}', 'pending', 'EUR', 1999, 1, now(), now() WHERE EXISTS (SELECT 1 FROM placement_gate) RETURNING id),`,
        `order_lines AS (INSERT INTO order_items (id, order_id, position, product_id, sku, name, unit_price_cents, quantity, line_total_cents) SELECT gen_random_uuid(), o.id, 0, '${hot}', 'BENCH-HOT', 'Hot product', 1999, 1, 1999 FROM order_row o)`,
        `SELECT (SELECT ok FROM stock_checked) AS "stockOk", EXISTS (SELECT 1 FROM placement_gate) AS "placed";`,
      ].join(' '),
      '',
    ].join('\n'),
  );
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
  let out;
  try {
    out = execFileSync(bin, args, {
      encoding: 'utf8',
      timeout: (cfg.durationS + 60) * 1000,
      env: { ...process.env, PGPASSWORD: decodeURIComponent(url.password) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    log(`pgbench failed: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
  const m = machineCpu();
  const tps = Number(/tps = ([\d.]+)/.exec(out)?.[1] ?? NaN);
  const latency = Number(/latency average = ([\d.]+) ms/.exec(out)?.[1] ?? NaN);
  const failed = Number(/number of failed transactions: (\d+)/.exec(out)?.[1] ?? 0);
  const result = {
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

/**
 * Fresh planner statistics before each scenario. Order placement adds tens of thousands of
 * orders in seconds; until autovacuum's ANALYZE catches up (up to a minute) the order list
 * can be planned as a backward scan over every order, which is the previous scenario
 * showing through, not the code under test.
 * @param {string} url
 */
async function analyze(url) {
  await withDb(url, (c) => c.query('ANALYZE'));
}

/** Removes this run's keys from the local Redis (ioredis is a dependency of the service). @param {string} prefix */
async function deleteRedisKeys(prefix) {
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
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) {
        deleted += await redis.del(...keys);
      }
    } while (cursor !== '0');
    log(`deleted ${deleted} Redis key(s) under ${prefix}`);
  } finally {
    redis.disconnect();
  }
}

/** @param {string} dbName @param {string} id */
async function hotStock(dbName, id) {
  return withDb(`${cfg.pgUrl}/${dbName}`, async (c) =>
    Number((await c.query('SELECT stock FROM products WHERE id = $1', [id])).rows[0].stock),
  );
}

/** @template T @param {string} url @param {(c: pg.Client) => Promise<T>} fn */
async function withDb(url, fn) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Seeds through the service's own API. @param {number} port */
async function seed(port) {
  const adminLogin = await expectStatus(
    { port, method: 'POST', path: '/api/v1/auth/login', body: ADMIN },
    200,
  );
  const adminToken = adminLogin.accessToken;
  /** @param {string} who */
  const customer = async (who) => {
    const email = `bench-${who}@example.com`;
    await expectStatus(
      {
        port,
        method: 'POST',
        path: '/api/v1/users',
        body: { email, name: `Bench ${who}`, password: PASSWORD },
      },
      201,
    );
    const tokens = await expectStatus(
      { port, method: 'POST', path: '/api/v1/auth/login', body: { email, password: PASSWORD } },
      200,
    );
    return { email, token: /** @type {string} */ (tokens.accessToken) };
  };
  const [reader, buyer] = await Promise.all([customer('reader'), customer('buyer')]);

  const hot = await expectStatus(
    {
      port,
      method: 'POST',
      path: '/api/v1/products',
      body: {
        sku: 'BENCH-HOT',
        name: 'Hot product',
        priceCents: 1999,
        currency: 'EUR',
        stock: SEED.hotStock,
      },
      token: adminToken,
    },
    201,
  );
  const products = await inParallel(
    8,
    Array.from(
      { length: SEED.readProducts },
      (_, i) => () =>
        expectStatus(
          {
            port,
            method: 'POST',
            path: '/api/v1/products',
            body: {
              sku: `BENCH-${String(i).padStart(5, '0')}`,
              name: `Bench product ${i}`,
              priceCents: 100 + ((i * 7919) % 99_900),
              currency: 'EUR',
              stock: 1_000_000,
            },
            token: adminToken,
          },
          201,
        ),
    ),
  );
  const productIds = products.map((p) => /** @type {string} */ (p.id));
  await inParallel(
    4,
    Array.from(
      { length: SEED.readerOrders },
      (_, i) => () =>
        expectStatus(
          {
            port,
            method: 'POST',
            path: '/api/v1/orders',
            body: {
              items: Array.from({ length: SEED.linesPerOrder }, (_, k) => ({
                productId: productIds[(i * SEED.linesPerOrder + k) % productIds.length],
                quantity: 1 + k,
              })),
            },
            token: reader.token,
          },
          201,
        ),
    ),
  );
  return {
    reader,
    buyer,
    productIds,
    hotProductId: /** @type {string} */ (hot.id),
  };
}

/** @param {any} report */
function printTable(report) {
  const rows = [
    [
      'scenario',
      'target',
      'req/s',
      'p50 ms',
      'p99 ms',
      'non-2xx',
      'svc/base',
      'srv CPU ms/req',
      'db CPU ms/req',
      'other load %',
    ],
  ];
  for (const [name, r] of Object.entries(report.results)) {
    const base = r.baseline.reqPerSec;
    for (const key of ['service', 'before', 'baseline', 'cluster']) {
      const s = r[key];
      if (s === undefined) {
        continue;
      }
      const rps =
        cfg.rounds > 1 ? `${s.reqPerSec} (${s.reqPerSecMin}-${s.reqPerSecMax})` : `${s.reqPerSec}`;
      rows.push([
        name,
        key === 'cluster' ? 'service x2' : key === 'before' ? `before (${cfg.before})` : key,
        rps,
        String(s.p50Ms),
        String(s.p99Ms),
        String(s.non2xx),
        key === 'baseline' ? '' : base > 0 ? `${round((s.reqPerSec / base) * 100, 0)}%` : '-',
        String(s.serverCpuMsPerReq),
        String(s.dbCpuMsPerReq),
        String(s.otherCpuPct),
      ]);
    }
    if (r.rawSql) {
      rows.push([
        name,
        `raw SQL, pgbench -c ${r.rawSql.clients}`,
        String(r.rawSql.tps),
        `avg ${r.rawSql.latencyAvgMs}`,
        '',
        String(r.rawSql.failed),
        '',
        '',
        '',
        '',
      ]);
    }
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  const line = (/** @type {string[]} */ row) =>
    `| ${row.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  process.stdout.write(`\n${line(rows[0])}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n`);
  for (const row of rows.slice(1)) {
    process.stdout.write(`${line(row)}\n`);
  }
  const { startup, memory: mem } = report;
  process.stdout.write(
    `\nstart-up to /ready 200: service ${startup.serviceColdMs} ms on an empty DB (migrations), ` +
      `${startup.serviceWarmMs} ms with the schema in place; baseline ${startup.baselineMs} ms` +
      (startup.beforeWarmMs === null ? '' : `; before ${startup.beforeWarmMs} ms`) +
      `\n` +
      `RSS: service ${mem.before.service.rssMiB} MiB idle -> ${mem.after.service.rssMiB} MiB after load ` +
      `(peak ${mem.after.service.hwmMiB}); baseline ${mem.before.baseline.rssMiB} -> ${mem.after.baseline.rssMiB} MiB ` +
      `(peak ${mem.after.baseline.hwmMiB})` +
      (mem.before.before
        ? `; before ${mem.before.before.rssMiB} -> ${mem.after.before.rssMiB} MiB (peak ${mem.after.before.hwmMiB})`
        : '') +
      `\n` +
      `cluster: ${report.cluster.supported ? `measured (${report.cluster.processes} processes, Redis rate-limit storage)` : `skipped (${report.cluster.note ?? 'CLUSTER_WORKERS not implemented'})`}\n\n`,
  );
}

main()
  .then(cleanup)
  .catch(async (error) => {
    process.stderr.write(
      `[bench] FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    await cleanup();
    process.exitCode = 1;
  });
