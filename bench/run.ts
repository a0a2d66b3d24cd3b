/**
 * `npm run bench`: load-tests the service against a framework-free baseline on the same
 * database, on this machine, and reports throughput, latency, CPU per request, start-up
 * time and memory.
 *
 * What it does, in order (everything under a temp dir; `dist/` is never touched), one
 * function per step below:
 *  1. builds the service into a temp outDir (`nest build --path <temp tsconfig>`);
 *  2. creates a fresh PostgreSQL database `bench_<time>_<pid>` on 127.0.0.1;
 *  3. starts the service (migrations run, bootstrap admin created) and times it to
 *     `/ready` 200, seeds it through its API (customers, 1000 products + 1 hot product,
 *     40 orders of 3 lines for the reading customer), stops it;
 *  4. starts it again (schema in place: the start-up time a rolling deploy sees) and the
 *     baseline (bench/baseline/server.ts) on another port, reads their idle RSS;
 *  5. per scenario, per round, runs autocannon against both (warm-up first, then the
 *     measured run); rounds alternate the order (service first, then baseline first) so a
 *     drift in the machine's load does not always favour the same target;
 *  6. if the service honours CLUSTER_WORKERS, repeats the service runs with 2 workers;
 *  7. prints a table, writes bench/results/<timestamp>.json, kills every child, drops the
 *     database and removes the temp dir, also on failure or Ctrl-C.
 *
 * Env knobs (bench/lib/config.ts): BENCH_DURATION_S (10), BENCH_WARMUP_S (2),
 * BENCH_CONNECTIONS (50), BENCH_LOGIN_CONNECTIONS (10), BENCH_ROUNDS (2), BENCH_LOG_LEVEL
 * (info: the production default), BENCH_SCENARIOS (comma list, default all), BENCH_PG_URL
 * (postgres://postgres@127.0.0.1:5432, must be loopback), BENCH_CPU_PROF=1 (profile the
 * service process over the whole load phase; numbers are then not comparable),
 * BENCH_SOURCE=head (build the last commit, via git archive, instead of the working tree),
 * BENCH_BEFORE=<rev> (a third target built from that revision), BENCH_BEFORE_NODE_OPTIONS,
 * BENCH_NODE_OPTIONS, GLIBC_TUNABLES, MALLOC_ARENA_MAX, BENCH_REDIS=0, BENCH_CLUSTER=0,
 * BENCH_KEEP=1 (keep the temp dir and database for inspection), BENCH_ENTRY=<main.js of a
 * build kept with BENCH_KEEP> (skip the build; never point it at dist/, another build may
 * delete it mid-run).
 * All traffic goes to 127.0.0.1 only; every load run is bounded by its duration.
 */
import { randomBytes } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

import pg from 'pg';

import { Cleanups, errorMessage, errorStack, logger, round, sleep } from '../scripts/lib/cli.ts';
import { LOOPBACK, assertLoopbackUrl, freePort } from '../scripts/lib/loopback-http.ts';
import {
  killAllOnExit,
  launch,
  stopAll,
  type LaunchedServer,
  type ServerEnv,
} from '../scripts/lib/server.ts';

import { buildService } from './lib/build.ts';
import {
  ADMIN,
  REDIS_URL,
  SEED,
  cfg,
  childHome,
  childPath,
  mallocArenaMax,
  prebuiltEntry,
} from './lib/config.ts';
import { analyze, deleteRedisKeys, hotStock, pgbenchHotRow, unitsOrdered } from './lib/database.ts';
import { machineFacts } from './lib/facts.ts';
import {
  measure,
  printTable,
  summarise,
  type ClusterOutcome,
  type Measured,
  type MemoryPair,
  type ScenarioResult,
  type Startup,
} from './lib/measure.ts';
import { memory, processTree } from './lib/proc-cpu.ts';
import { seed, selectedScenarios, type Ctx, type Scenario } from './lib/scenarios.ts';
import { useServiceBuild } from './lib/statements.ts';

const BENCH_DIR = import.meta.dirname;
const REPO = resolve(BENCH_DIR, '..');

const log = logger('bench');
const cleanups = new Cleanups(log);
killAllOnExit();
cleanups.onSignals();
// Every child first, then the steps registered along the way (in reverse).
cleanups.addFirst(() => stopAll(5_000));

/** A server under measurement. */
interface Target {
  readonly key: 'service' | 'before' | 'baseline';
  readonly server: LaunchedServer;
  readonly port: number;
  readonly pid: number;
  readonly readyMs: number;
  readonly logFile: string;
}

/** The temp dir of this run, its log dir and its time stamp. */
interface Workspace {
  readonly tmp: string;
  readonly logDir: string;
  readonly stamp: string;
  readonly cpuProfDir: string;
}

interface Database {
  readonly name: string;
  readonly url: string;
  /** The server processes of this database's sessions (the pools of the targets). */
  readonly pids: () => Promise<number[]>;
}

// ------------------------------------------------------------------------------ steps

function prepareWorkspace(startedAt: Date): Workspace {
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const tmp = mkdtempSync(join(os.tmpdir(), 'nest-bench-'));
  const logDir = join(tmp, 'logs');
  mkdirSync(logDir);
  cleanups.add(() => {
    if (cfg.keep) {
      log(`kept ${tmp}`);
    } else {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
  return { tmp, logDir, stamp, cpuProfDir: join(REPO, 'bench', 'results', `${stamp}-cpuprofile`) };
}

/** Step 1: the service's build (or BENCH_ENTRY), and the "before" build with BENCH_BEFORE. */
function buildTargets(ws: Workspace): {
  entry: string;
  buildMs: number | null;
  beforeEntry: string | null;
} {
  let entry: string;
  let buildMs: number | null = null;
  if (prebuiltEntry !== null) {
    entry = resolve(prebuiltEntry);
    log(`using the prebuilt service ${entry} (BENCH_ENTRY)`);
  } else {
    log(
      `building the service (${cfg.source === 'head' ? 'HEAD' : 'working tree'}) into a temp dir (dist/ is not touched)`,
    );
    ({ entry, buildMs } = buildService(REPO, ws.tmp, cfg.source));
    log(`built in ${buildMs} ms: ${entry}`);
  }
  let beforeEntry: string | null = null;
  if (cfg.before !== '') {
    log(`building ${cfg.before} (BENCH_BEFORE) to measure as "before" in the same rounds`);
    beforeEntry = buildService(REPO, ws.tmp, cfg.before).entry;
  }
  return { entry, buildMs, beforeEntry };
}

/** Step 2: a fresh database, dropped at the end (unless BENCH_KEEP). */
async function createDatabase(ws: Workspace): Promise<Database> {
  const name = `bench_${ws.stamp.slice(0, 19).replace(/-/g, '').replace('T', '_')}_${process.pid}`;
  const admin = new pg.Client({ connectionString: `${cfg.pgUrl}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  cleanups.add(async () => {
    if (cfg.keep) {
      log(`kept database ${name}`);
    } else {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      log(`dropped database ${name}`);
    }
    await admin.end();
  });
  const pids = async (): Promise<number[]> => {
    const { rows } = await admin.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [name],
    );
    return rows.map((r) => r.pid);
  };
  return { name, url: `${cfg.pgUrl}/${name}`, pids };
}

/** Spawns a target with its output in `<logDir>/<name>.std{out,err}.log`; waits for /ready 200. */
async function startTarget(
  ws: Workspace,
  o: {
    key: Target['key'];
    name: string;
    entry: string;
    nodeArgs?: readonly string[];
    env: ServerEnv;
    port: number;
  },
): Promise<Target> {
  const logFile = join(ws.logDir, `${o.name}.stdout.log`);
  const server = launch({
    entry: o.entry,
    nodeArgs: o.nodeArgs ?? [],
    env: o.env,
    cwd: ws.tmp,
    port: o.port,
    capture: {
      kind: 'files',
      stdoutFile: logFile,
      stderrFile: join(ws.logDir, `${o.name}.stderr.log`),
    },
  });
  try {
    const readyMs = await server.waitForReady({
      timeoutMs: 120_000,
      intervalMs: 25,
      requestTimeoutMs: 2_000,
    });
    return {
      key: o.key,
      server,
      port: o.port,
      pid: server.pid,
      readyMs: round(readyMs, 0),
      logFile,
    };
  } catch (error) {
    await server.stop(2_000).catch(() => 0);
    throw new Error(`${o.name} did not become ready: ${errorStack(error)}`);
  }
}

/** How the service processes of this run are started: one environment, one entry per build. */
interface ServiceLauncher {
  start(o: {
    name: string;
    key?: Target['key'];
    extra?: Record<string, string>;
    profile?: boolean;
    entry?: string;
    port?: number;
  }): Promise<Target>;
  readonly redisPrefix: string;
}

function serviceLauncher(
  ws: Workspace,
  db: Database,
  entry: string,
  servicePort: number,
  jwtSecret: string,
): ServiceLauncher {
  // One key prefix for this run's rate-limit counters, removed at the end.
  const redisPrefix = `bench${process.pid}:`;
  const redisEnv = cfg.redis ? { REDIS_URL, REDIS_KEY_PREFIX: redisPrefix } : {};
  if (cfg.redis) {
    cleanups.add(() => deleteRedisKeys(redisPrefix, log));
  }
  const serviceEnv = (extra: Record<string, string>, port: number): ServerEnv => ({
    PATH: childPath,
    HOME: childHome ?? ws.tmp,
    TZ: 'UTC',
    NODE_ENV: 'production',
    HOST: LOOPBACK,
    JWT_SECRET: jwtSecret,
    MFA_ENCRYPTION_KEY: jwtSecret,
    DATABASE_URL: db.url,
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
    ...(mallocArenaMax === undefined ? {} : { MALLOC_ARENA_MAX: mallocArenaMax }),
    ...redisEnv,
    ...extra,
    PORT: String(port),
  });
  return {
    redisPrefix,
    start: (o) => {
      const port = o.port ?? servicePort;
      return startTarget(ws, {
        key: o.key ?? 'service',
        name: o.name,
        entry: o.entry ?? entry,
        nodeArgs: o.profile === true ? ['--cpu-prof', `--cpu-prof-dir=${ws.cpuProfDir}`] : [],
        env: serviceEnv(o.extra ?? {}, port),
        port,
      });
    },
  };
}

/** Step 3: the first start on an empty database (migrations, bootstrap admin), the seed, the stop. */
async function coldStartAndSeed(
  services: ServiceLauncher,
): Promise<{ ctx: Ctx; serviceColdMs: number; serviceStopMs: number }> {
  log('starting the service on an empty database (migrations + bootstrap admin)');
  const cold = await services.start({ name: 'service-cold' });
  log(`service ready in ${cold.readyMs} ms (cold: migrations applied)`);
  log('seeding through the API');
  const seedStarted = performance.now();
  const ctx = await seed(cold.port);
  log(`seeded in ${round(performance.now() - seedStarted, 0)} ms`);
  const serviceStopMs = round(await cold.server.stop(15_000), 0);
  return { ctx, serviceColdMs: cold.readyMs, serviceStopMs };
}

interface Targets {
  readonly service: Target;
  readonly before: Target | null;
  readonly baseline: Target;
}

/** Step 4: the measured service (schema in place), the "before" build if any, the baseline. */
async function startTargets(
  ws: Workspace,
  db: Database,
  services: ServiceLauncher,
  beforeEntry: string | null,
  jwtSecret: string,
  serviceDist: string,
): Promise<Targets> {
  const service = await services.start({ name: 'service', profile: cfg.cpuProf });
  log(`service ready in ${service.readyMs} ms (schema already migrated)`);
  let before: Target | null = null;
  if (beforeEntry !== null) {
    before = await services.start({
      name: 'before',
      key: 'before',
      extra: cfg.beforeNodeOptions === null ? {} : { NODE_OPTIONS: cfg.beforeNodeOptions },
      entry: beforeEntry,
      port: await freePort(),
    });
    log(`before (${cfg.before}) ready in ${before.readyMs} ms`);
  }
  const baselinePort = await freePort();
  const baseline = await startTarget(ws, {
    key: 'baseline',
    name: 'baseline',
    entry: join(BENCH_DIR, 'baseline', 'server.ts'),
    port: baselinePort,
    env: {
      PATH: childPath,
      TZ: 'UTC',
      NODE_ENV: 'production',
      HOST: LOOPBACK,
      PORT: String(baselinePort),
      DATABASE_URL: db.url,
      JWT_SECRET: jwtSecret,
      SERVICE_DIST: serviceDist,
      ...(cfg.glibcTunables === '' ? {} : { GLIBC_TUNABLES: cfg.glibcTunables }),
    },
  });
  log(`baseline ready in ${baseline.readyMs} ms`);
  return { service, before, baseline };
}

function memoryOf(t: Targets): MemoryPair {
  return {
    service: memory(t.service.pid),
    baseline: memory(t.baseline.pid),
    before: t.before === null ? null : memory(t.before.pid),
  };
}

const runLine = (scenario: Scenario, key: string, r: number, res: Measured): string =>
  `${scenario.name.padEnd(12)} ${key.padEnd(8)} round ${r + 1}: ${res.reqPerSec} req/s, ` +
  `p50 ${res.p50Ms} ms, p99 ${res.p99Ms} ms, non-2xx ${res.non2xx}, errors ${res.errors}, ` +
  `server ${res.serverCpuPct}% CPU, db ${res.dbCpuPct}%, other load ${String(res.otherCpuPct)}%` +
  (res.non2xx > 0 ? ` status ${JSON.stringify(res.statusCodes)}` : '');

/** Step 5, one scenario: checks every target's answers, then the rounds, target order rotated. */
async function runScenario(
  scenario: Scenario,
  targets: Targets,
  ctx: Ctx,
  db: Database,
  ws: Workspace,
): Promise<ScenarioResult> {
  await analyze(db.url);
  const all =
    targets.before === null
      ? [targets.service, targets.baseline]
      : [targets.service, targets.before, targets.baseline];
  for (const target of all) {
    await scenario.check(target.port, ctx);
  }
  const runs: Record<Target['key'], Measured[]> = { service: [], baseline: [], before: [] };
  for (let r = 0; r < cfg.rounds; r += 1) {
    // Each round starts with another target, so drift in the box's load spreads evenly.
    const order = all.map((_, i) => all[(i + r) % all.length]).filter((t) => t !== undefined);
    for (const target of order) {
      const res = await measure(scenario, target, ctx, db.pids);
      runs[target.key].push(res);
      log(runLine(scenario, target.key, r, res));
    }
  }
  const result: ScenarioResult = {
    title: scenario.title,
    connections: scenario.connections,
    service: summarise(runs.service),
    baseline: summarise(runs.baseline),
    ...(targets.before === null ? {} : { before: summarise(runs.before) }),
  };
  if (scenario.name === 'order-place') {
    // The database's own ceiling for one hot row: the same transaction from a C client
    // with as many sessions as the pools have connections (DB_POOL_MAX default 20).
    result.rawSql = await pgbenchHotRow(
      db.name,
      { hotProductId: ctx.hotProductId, buyerEmail: ctx.buyer.email, tmp: ws.tmp },
      log,
    );
  }
  return result;
}

/** After the scenarios: the baseline, the "before" and the service stopped (its stop timed). */
async function stopTargets(t: Targets): Promise<{ serviceLogBytes: number; stopMs: number }> {
  const serviceLogBytes = statSync(t.service.logFile).size;
  await t.baseline.server.stop(5_000);
  if (t.before !== null) {
    await t.before.server.stop(15_000);
  }
  const stopMs = round(await t.service.server.stop(15_000), 0);
  log(`service stopped in ${stopMs} ms`);
  return { serviceLogBytes, stopMs };
}

/**
 * Step 6: the service with CLUSTER_WORKERS=2, if it has the setting (and BENCH_CLUSTER is
 * not 0), the scenarios again against it; their summaries go to `results[name].cluster`.
 * A failing pass (no Redis, a worker crash) is reported and does not lose the results.
 */
async function clusterPass(
  scenarios: readonly Scenario[],
  services: ServiceLauncher,
  ctx: Ctx,
  db: Database,
  results: Record<string, ScenarioResult>,
): Promise<ClusterOutcome> {
  const clusterSupported = cfg.cluster && configMentions('CLUSTER_WORKERS');
  if (!clusterSupported) {
    const note = cfg.cluster
      ? 'CLUSTER_WORKERS not found in libs/core/src/config'
      : 'BENCH_CLUSTER=0';
    log(`cluster runs skipped: ${note}`);
    return { supported: false, note };
  }
  // The service refuses CLUSTER_WORKERS>1 without Redis (shared rate-limit counters):
  // the local Redis, under a key prefix of this run, removed at the end.
  if (!cfg.redis) {
    cleanups.add(() => deleteRedisKeys(services.redisPrefix, log));
  }
  log(
    `CLUSTER_WORKERS found: starting the service with CLUSTER_WORKERS=2 (REDIS_URL=${REDIS_URL}, prefix ${services.redisPrefix})`,
  );
  try {
    const clustered = await services.start({
      name: 'service-cluster',
      extra: { CLUSTER_WORKERS: '2', REDIS_URL, REDIS_KEY_PREFIX: services.redisPrefix },
    });
    await sleep(2_000);
    const workers = processTree(clustered.pid).length - 1;
    const cluster: ClusterOutcome = {
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
      await analyze(db.url);
      const runs: Measured[] = [];
      for (let r = 0; r < cfg.rounds; r += 1) {
        const res = await measure(scenario, clustered, ctx, db.pids);
        runs.push(res);
        log(
          `${scenario.name.padEnd(12)} cluster  round ${r + 1}: ${res.reqPerSec} req/s, p50 ${res.p50Ms} ms, p99 ${res.p99Ms} ms, non-2xx ${res.non2xx}`,
        );
      }
      const result = results[scenario.name];
      if (result !== undefined) {
        result.cluster = summarise(runs);
      }
    }
    if (workers > 0) {
      cluster.memoryAfter = memory(clustered.pid);
    }
    await clustered.server.stop(15_000);
    return cluster;
  } catch (error) {
    const note = `cluster pass failed: ${errorMessage(error).split('\n')[0] ?? ''}`;
    log(note);
    return { supported: false, note };
  }
}

/** Whether a configuration source of the service (libs/core/src/config/*.ts) names `variable`. */
function configMentions(variable: string): boolean {
  const dir = join(REPO, 'libs', 'core', 'src', 'config');
  return readdirSync(dir).some(
    (f) =>
      f.endsWith('.ts') &&
      !f.endsWith('.spec.ts') &&
      readFileSync(join(dir, f), 'utf8').includes(variable),
  );
}

/** Step 7a: what was taken from the hot product is what the order lines say. */
async function checkStockInvariant(db: Database, ctx: Ctx, stockBefore: number): Promise<boolean> {
  const stockAfter = await hotStock(db.url, ctx.hotProductId);
  const lines = await unitsOrdered(db.url, ctx.hotProductId);
  const consistent = SEED.hotStock - stockAfter === lines;
  log(
    `hot product: ${stockBefore - stockAfter} units taken during the runs, ` +
      `${SEED.hotStock - stockAfter} in total vs ${lines} in order lines: ${consistent ? 'consistent' : 'INCONSISTENT'}`,
  );
  return consistent;
}

// ------------------------------------------------------------------------------ main

async function main(): Promise<void> {
  assertLoopbackUrl(cfg.pgUrl, 'BENCH_PG_URL');
  const startedAt = new Date();
  const facts = machineFacts(REPO);
  log(
    `machine: ${String(facts.nproc)} cores, ${String(facts.cpuModel)}, node ${facts.node}, load ${facts.loadavgAtStart.join(' ')}`,
  );
  log(
    `config: ${cfg.durationS}s runs after ${cfg.warmupS}s warm-up, ${cfg.connections} connections ` +
      `(login ${cfg.loginConnections}), ${cfg.rounds} round(s), LOG_LEVEL=${cfg.logLevel}`,
  );
  const scenarios = selectedScenarios();
  const ws = prepareWorkspace(startedAt);
  const { entry, buildMs, beforeEntry } = buildTargets(ws);
  // The baseline and pgbench send the statements of the build under test (<dist>/src/main.js).
  const serviceDist = dirname(dirname(entry));
  useServiceBuild(serviceDist);
  const db = await createDatabase(ws);
  const jwtSecret = randomBytes(32).toString('hex');
  const services = serviceLauncher(ws, db, entry, await freePort(), jwtSecret);

  const { ctx, serviceColdMs, serviceStopMs } = await coldStartAndSeed(services);
  const targets = await startTargets(ws, db, services, beforeEntry, jwtSecret, serviceDist);
  const startup: Startup = {
    serviceColdMs,
    serviceWarmMs: targets.service.readyMs,
    baselineMs: targets.baseline.readyMs,
    serviceStopMs,
    beforeWarmMs: targets.before?.readyMs ?? null,
  };
  await sleep(1_000);
  const memoryBefore = memoryOf(targets);
  log(
    `idle RSS: service ${memoryBefore.service.rssMiB} MiB, baseline ${memoryBefore.baseline.rssMiB} MiB`,
  );

  const hotStockBefore = await hotStock(db.url, ctx.hotProductId);
  const results: Record<string, ScenarioResult> = {};
  for (const scenario of scenarios) {
    results[scenario.name] = await runScenario(scenario, targets, ctx, db, ws);
  }
  const memoryAfter = memoryOf(targets);
  log(
    `RSS after load: service ${memoryAfter.service.rssMiB} MiB (peak ${memoryAfter.service.hwmMiB}), baseline ${memoryAfter.baseline.rssMiB} MiB (peak ${memoryAfter.baseline.hwmMiB})`,
  );
  const { serviceLogBytes, stopMs } = await stopTargets(targets);

  const cluster = await clusterPass(scenarios, services, ctx, db, results);
  const stockConsistent = await checkStockInvariant(db, ctx, hotStockBefore);

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
    cpuProfileDir: cfg.cpuProf ? ws.cpuProfDir : null,
    results,
  };
  mkdirSync(join(REPO, 'bench', 'results'), { recursive: true });
  const file = join(REPO, 'bench', 'results', `${ws.stamp}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  printTable(report);
  log(`results: ${relative(REPO, file)}`);
  if (cfg.cpuProf) {
    log(
      `CPU profile(s): ${relative(REPO, ws.cpuProfDir)} (numbers of a profiled run are not comparable)`,
    );
  }
}

try {
  await main();
  await cleanups.run();
} catch (error) {
  process.stderr.write(`[bench] FAILED: ${errorStack(error)}\n`);
  await cleanups.run();
  process.exitCode = 1;
}
