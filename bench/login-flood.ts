/**
 * `npm exec -- node bench/login-flood.ts`: how a login flood (argon2 on the libuv pool)
 * delays other requests. Starts the built server on a fresh PostgreSQL database, registers
 * one user, then measures /health latency (sequential probes) idle and while
 * LOGIN_FLOOD_CONCURRENCY logins run at once, over and over, for LOGIN_FLOOD_SECONDS.
 * Prints p50/p99/max. A measurement, not a test: nothing here asserts a time.
 *
 * Env knobs: LOGIN_FLOOD_ENTRY (built main.js, default dist/src/main.js; point it at a copy
 * when others may rebuild dist/ meanwhile), LOGIN_FLOOD_CONCURRENCY (20),
 * LOGIN_FLOOD_SECONDS (10), LOGIN_FLOOD_PG_URL (postgres://postgres@127.0.0.1:5432, must be
 * loopback), PASSWORD_HASH_CONCURRENCY (passed to the server; unset = its default).
 * All traffic goes to 127.0.0.1 only; the flood is bounded in time and in count.
 */
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

import pg from 'pg';

import { errorStack, intFromEnv, logger, percentile, sleep } from '../scripts/lib/cli.ts';
import {
  LOOPBACK,
  assertLoopbackUrl,
  expectStatus,
  freePort,
  request,
} from '../scripts/lib/loopback-http.ts';
import { killAllOnExit, launch } from '../scripts/lib/server.ts';

const REPO = resolve(import.meta.dirname, '..');
const env = process.env;
const cfg = {
  entry: env.LOGIN_FLOOD_ENTRY ?? join(REPO, 'dist', 'src', 'main.js'),
  concurrency: intFromEnv(env.LOGIN_FLOOD_CONCURRENCY, 20, 1),
  seconds: intFromEnv(env.LOGIN_FLOOD_SECONDS, 10, 1),
  pgUrl: env.LOGIN_FLOOD_PG_URL ?? 'postgres://postgres@127.0.0.1:5432',
  hashConcurrency: env.PASSWORD_HASH_CONCURRENCY,
};
/** Hard caps, whatever the knobs say. */
const MAX_LOGINS = 5_000;
const MAX_PROBES = 20_000;

const log = logger('login-flood');

function summary(ms: readonly number[]): string {
  const f = (n: number): string => n.toFixed(1);
  return `n=${ms.length} p50 ${f(percentile(ms, 50))} ms, p99 ${f(percentile(ms, 99))} ms, max ${f(Math.max(...ms))} ms`;
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: cfg.pgUrl, database: 'postgres' });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Sequential /health probes until `until()` is true (or the cap); their latencies. */
async function probeHealth(port: number, until: () => boolean): Promise<number[]> {
  const out: number[] = [];
  while (!until() && out.length < MAX_PROBES) {
    const started = performance.now();
    const res = await request({ port, path: '/health', timeoutMs: 30_000 });
    out.push(performance.now() - started);
    if (res.status !== 200) {
      throw new Error(`/health answered ${res.status}`);
    }
    await sleep(10);
  }
  return out;
}

/** `cfg.concurrency` login loops until the deadline or the cap; their latencies. */
async function flood(
  port: number,
  user: { email: string; password: string },
  deadline: number,
): Promise<number[]> {
  const out: number[] = [];
  let started = 0;
  const loop = async (): Promise<void> => {
    while (performance.now() < deadline && started < MAX_LOGINS) {
      started += 1;
      const t = performance.now();
      await expectStatus({ port, method: 'POST', path: '/api/v1/auth/login', body: user }, 200);
      out.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: cfg.concurrency }, loop));
  return out;
}

async function main(): Promise<void> {
  assertLoopbackUrl(cfg.pgUrl, 'LOGIN_FLOOD_PG_URL');
  const dbName = `flood_${Date.now()}_${process.pid}`;
  const dbUrl = new URL(cfg.pgUrl);
  dbUrl.pathname = `/${dbName}`;
  const port = await freePort();
  await admin(`CREATE DATABASE ${dbName}`);
  killAllOnExit();
  let server: ReturnType<typeof launch> | null = null;
  try {
    server = launch({
      entry: cfg.entry,
      // Not the repository: a developer's .env there must not change what is measured.
      cwd: tmpdir(),
      port,
      env: {
        PATH: env.PATH ?? '/usr/bin:/bin',
        TZ: 'UTC',
        NODE_ENV: 'production',
        HOST: LOOPBACK,
        PORT: String(port),
        DATABASE_URL: dbUrl.toString(),
        DB_MIGRATE_ON_START: 'true',
        JWT_SECRET: 'login-flood-bench-secret-0123456789abcdef',
        MFA_ENCRYPTION_KEY: '0b'.repeat(32),
        CURSOR_SECRET: 'login-flood-bench-cursor-0123456789abcdef',
        LOG_LEVEL: 'warn',
        LOG_FORMAT: 'json',
        SHUTDOWN_READY_DELAY_MS: '0',
        RATE_LIMIT_MAX: '1000000',
        LOGIN_RATE_LIMIT_MAX: '1000000',
        PASSWORD_HASH_CONCURRENCY: cfg.hashConcurrency,
      },
    });
    await server.waitForReady({ timeoutMs: 120_000 });
    const user = { email: 'flood@example.com', password: 'correct-horse-battery' };
    await expectStatus(
      { port, method: 'POST', path: '/api/v1/users', body: { ...user, name: 'Flood' } },
      201,
    );

    const idleUntil = performance.now() + 2_000;
    const idle = await probeHealth(port, () => performance.now() > idleUntil);
    let flooding = true;
    const deadline = performance.now() + cfg.seconds * 1_000;
    const [logins, during] = await Promise.all([
      flood(port, user, deadline).finally(() => {
        flooding = false;
      }),
      probeHealth(port, () => !flooding),
    ]);
    log(
      `PASSWORD_HASH_CONCURRENCY=${cfg.hashConcurrency ?? 'default'}, ` +
        `${cfg.concurrency} concurrent logins for ${cfg.seconds} s`,
    );
    log(`/health idle:        ${summary(idle)}`);
    log(`/health under flood: ${summary(during)}`);
    log(`logins:              ${summary(logins)} (${(logins.length / cfg.seconds).toFixed(1)}/s)`);
  } finally {
    if (server !== null) {
      await server.stop(15_000);
    }
    await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[login-flood] ${errorStack(error)}\n`);
  process.exitCode = 1;
});
