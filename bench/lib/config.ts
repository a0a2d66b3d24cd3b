/**
 * The knobs of `npm run bench` (bench/run.ts), read once from the environment. Documented
 * in docs/PERFORMANCE.md ("How to run it").
 */
import { intFromEnv, listFromEnv } from '../../scripts/lib/cli.ts';

const env = process.env;

export const cfg = {
  durationS: intFromEnv(env.BENCH_DURATION_S, 10),
  warmupS: intFromEnv(env.BENCH_WARMUP_S, 2),
  connections: intFromEnv(env.BENCH_CONNECTIONS, 50),
  loginConnections: intFromEnv(env.BENCH_LOGIN_CONNECTIONS, 10),
  rounds: intFromEnv(env.BENCH_ROUNDS, 2, 1),
  logLevel: env.BENCH_LOG_LEVEL ?? 'info',
  scenarios: listFromEnv(env.BENCH_SCENARIOS),
  pgUrl: (env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432').replace(/\/+$/, ''),
  cpuProf: env.BENCH_CPU_PROF === '1',
  keep: env.BENCH_KEEP === '1',
  source: env.BENCH_SOURCE === 'head' ? ('head' as const) : ('worktree' as const),
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

/** BENCH_ENTRY: the main.js of a build kept with BENCH_KEEP (skips the build). */
export const prebuiltEntry =
  env.BENCH_ENTRY !== undefined && env.BENCH_ENTRY !== '' ? env.BENCH_ENTRY : null;

/** Passed through to the service and the baseline when set. */
export const mallocArenaMax = env.MALLOC_ARENA_MAX;

/** The environment's PATH and HOME for the children. */
export const childPath = env.PATH ?? '/usr/bin:/bin';
export const childHome = env.HOME;

export const SEED = {
  readProducts: 1000,
  readerOrders: 40,
  linesPerOrder: 3,
  hotStock: 100_000_000,
} as const;
export const PASSWORD = 'bench-password-123';
export const ADMIN = { email: 'bench-admin@example.com', password: 'bench-admin-password-123' };
export const REDIS_URL = 'redis://127.0.0.1:6379';
/** The pools' size (DB_POOL_MAX default 20): pgbench runs with as many sessions. */
export const POOL_CONNECTIONS = 20;
