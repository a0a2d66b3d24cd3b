// @ts-check
/**
 * `node bench/login-flood.mjs`: how a login flood (argon2 on the libuv pool) delays other
 * requests. Starts the built server on a fresh PostgreSQL database, registers one user, then
 * measures /health latency (sequential probes) idle and while LOGIN_FLOOD_CONCURRENCY
 * logins run at once, over and over, for LOGIN_FLOOD_SECONDS. Prints p50/p99/max.
 * A measurement, not a test: nothing here asserts a time.
 *
 * Env knobs: LOGIN_FLOOD_ENTRY (built main.js, default dist/src/main.js; point it at a copy
 * when others may rebuild dist/ meanwhile), LOGIN_FLOOD_CONCURRENCY (20),
 * LOGIN_FLOOD_SECONDS (10), LOGIN_FLOOD_PG_URL (postgres://postgres@127.0.0.1:5432, must be
 * loopback), PASSWORD_HASH_CONCURRENCY (passed to the server; unset = its default).
 * All traffic goes to 127.0.0.1 only; the flood is bounded in time and in count.
 */
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

import pg from 'pg';

import { LOOPBACK, expectStatus, freePort, request } from '../scripts/lib/loopback-http.mjs';
import {
  assertLoopbackUrl,
  percentile,
  stopProcess,
  waitUntilReady,
} from '../scripts/lib/processes.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const env = process.env;
const cfg = {
  entry: env.LOGIN_FLOOD_ENTRY ?? join(REPO, 'dist', 'src', 'main.js'),
  concurrency: Number(env.LOGIN_FLOOD_CONCURRENCY ?? 20),
  seconds: Number(env.LOGIN_FLOOD_SECONDS ?? 10),
  pgUrl: env.LOGIN_FLOOD_PG_URL ?? 'postgres://postgres@127.0.0.1:5432',
  hashConcurrency: env.PASSWORD_HASH_CONCURRENCY,
};
/** Hard caps, whatever the knobs say. */
const MAX_LOGINS = 5_000;
const MAX_PROBES = 20_000;

/** @param {string} msg */
const log = (msg) => process.stdout.write(`[login-flood] ${msg}\n`);
/** @param {number} ms */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** @param {number[]} ms */
function summary(ms) {
  const f = (/** @type {number} */ n) => n.toFixed(1);
  return `n=${ms.length} p50 ${f(percentile(ms, 50))} ms, p99 ${f(percentile(ms, 99))} ms, max ${f(Math.max(...ms))} ms`;
}

/** @param {string} sql */
async function admin(sql) {
  const client = new pg.Client({ connectionString: cfg.pgUrl, database: 'postgres' });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Sequential /health probes until `until()` is true (or the cap); their latencies.
 * @param {number} port @param {() => boolean} until
 */
async function probeHealth(port, until) {
  /** @type {number[]} */
  const out = [];
  while (!until() && out.length < MAX_PROBES) {
    const started = performance.now();
    const res = await request({ port, method: 'GET', path: '/health', timeoutMs: 30_000 });
    out.push(performance.now() - started);
    if (res.status !== 200) {
      throw new Error(`/health answered ${res.status}`);
    }
    await sleep(10);
  }
  return out;
}

/** `cfg.concurrency` login loops until the deadline or the cap; their latencies. */
/** @param {number} port @param {{email: string, password: string}} user @param {number} deadline */
async function flood(port, user, deadline) {
  /** @type {number[]} */
  const out = [];
  let started = 0;
  const loop = async () => {
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

async function main() {
  assertLoopbackUrl(cfg.pgUrl, 'LOGIN_FLOOD_PG_URL');
  const dbName = `flood_${Date.now()}_${process.pid}`;
  const dbUrl = new URL(cfg.pgUrl);
  dbUrl.pathname = `/${dbName}`;
  const port = await freePort();
  await admin(`CREATE DATABASE ${dbName}`);
  /** @type {import('node:child_process').ChildProcess | null} */
  let child = null;
  try {
    child = spawn(process.execPath, [cfg.entry], {
      // Not the repository: a developer's .env there must not change what is measured.
      cwd: tmpdir(),
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        PATH: env.PATH ?? '/usr/bin:/bin',
        TZ: 'UTC',
        NODE_ENV: 'production',
        HOST: LOOPBACK,
        PORT: String(port),
        DATABASE_URL: dbUrl.toString(),
        DB_MIGRATE_ON_START: 'true',
        JWT_SECRET: 'login-flood-bench-secret-0123456789abcdef',
        CURSOR_SECRET: 'login-flood-bench-cursor-0123456789abcdef',
        LOG_LEVEL: 'warn',
        LOG_FORMAT: 'json',
        SHUTDOWN_READY_DELAY_MS: '0',
        RATE_LIMIT_MAX: '1000000',
        LOGIN_RATE_LIMIT_MAX: '1000000',
        ...(cfg.hashConcurrency === undefined
          ? {}
          : { PASSWORD_HASH_CONCURRENCY: cfg.hashConcurrency }),
      },
    });
    const server = child;
    await waitUntilReady({
      port,
      timeoutMs: 120_000,
      exitReason: () => (server.exitCode === null ? null : `exited (code ${server.exitCode})`),
    });
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
    if (child !== null) {
      await stopProcess(child, 15_000);
    }
    await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  }
}

main().catch((error) => {
  process.stderr.write(`[login-flood] ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
