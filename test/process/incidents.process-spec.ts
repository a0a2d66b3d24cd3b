import { createHash } from 'node:crypto';
import net, { type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

import { Redis } from 'ioredis';

import { TEST_POSTGRES_URL, TEST_REDIS_URL, uniqueRedisPrefix } from '../utils/database';
import type { LogLine } from '../utils/log-capture';
import {
  LOOPBACK,
  ServerProcess,
  connectionPerWorker,
  eventually,
  httpRequest,
  metricValue,
  parseJson,
  processSuiteDatabase,
  sleep,
  type HttpResponse,
} from '../utils/server-process';
import { proxyInFrontOf } from '../utils/tcp-proxy';

/**
 * Dependency and runtime incidents against the built server: PostgreSQL gone, Redis gone
 * (with the login limit shared by two cluster workers), a blocked event loop. What the
 * probes say, what clients get, what the logs say, and that nothing restarts.
 */

/** Measured figures, printed with the test run (docs/OPERATIONS.md quotes them). */
const note = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

interface Timed<T> {
  readonly value: T;
  readonly ms: number;
}

async function timed<T>(run: () => Promise<T>): Promise<Timed<T>> {
  const started = performance.now();
  const value = await run();
  return { value, ms: performance.now() - started };
}

/** Polls `path` (new connection each time, every 100 ms) until `accept`; returns the elapsed time. */
async function pollUntil(
  port: number,
  path: string,
  accept: (res: HttpResponse) => boolean,
  timeoutMs: number,
): Promise<Timed<HttpResponse>> {
  const started = performance.now();
  let last = 'no attempt';
  for (let i = 0; i < timeoutMs / 100 + 1 && performance.now() - started < timeoutMs; i += 1) {
    try {
      const res = await httpRequest(port, path, { timeoutMs: 5_000 });
      if (accept(res)) {
        return { value: res, ms: performance.now() - started };
      }
      last = `status ${res.status}`;
    } catch (error: unknown) {
      last = String(error);
    }
    await sleep(100);
  }
  throw new Error(`${path} not as expected within ${timeoutMs} ms (last: ${last})`);
}

/** A TCP server that accepts connections and never answers: a database that hangs. */
async function blackhole(port: number): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, LOOPBACK, resolve);
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) {
          socket.destroy();
        }
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** Leaves nothing behind in the shared Redis: deletes the keys under `prefix`. */
async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const keys: string[] = [];
    let cursor = '0';
    for (let i = 0; i < 1_000; i += 1) {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1_000);
      keys.push(...batch);
      cursor = next;
      if (cursor === '0') {
        break;
      }
    }
    if (keys.length > 0) {
      await redis.del(...keys);
    }
  } finally {
    redis.disconnect();
  }
}

const startsWith =
  (prefix: string) =>
  (l: LogLine): boolean =>
    (l.msg ?? '').startsWith(prefix);

describe('incidents (built server)', () => {
  const suiteDb = processSuiteDatabase('process_incidents');

  describe('PostgreSQL unreachable (single process, a proxy in front of it)', () => {
    const upstream = proxyInFrontOf(TEST_POSTGRES_URL, 5432, 'each');

    it('readiness 503 within 5 s, liveness 200, API 503 problem details in time; back to ready on restore, same process', async () => {
      const CONNECT_TIMEOUT_MS = 1_000;
      const server = await ServerProcess.start({
        env: {
          DATABASE_URL: upstream.url(suiteDb.url),
          DB_MIGRATE_ON_START: 'true',
          DB_CONNECTION_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
          RATE_LIMIT_MAX: '1000000',
        },
      });
      expect((await httpRequest(server.port, '/api/v1/products?limit=1')).status).toBe(200);

      // 1. Connections refused (the database host is up, PostgreSQL is not).
      await upstream.proxy.cut();
      const notReady = await pollUntil(server.port, '/ready', (r) => r.status === 503, 5_000);
      expect(notReady.ms).toBeLessThan(5_000);
      expect(notReady.value.headers['retry-after']).toBe('5');
      expect(parseJson(notReady.value.body)).toMatchObject({
        status: 'error',
        error: { database: { status: 'down' } },
        info: { lifecycle: { status: 'up' } },
      });
      const health = await httpRequest(server.port, '/health');
      expect(health.status).toBe(200);

      const refused = await timed(() => httpRequest(server.port, '/api/v1/products?limit=1'));
      const expectProblem = (res: HttpResponse): void => {
        expect(res.status).toBe(503);
        expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
        expect(res.headers['retry-after']).toBe('5');
        expect(parseJson(res.body)).toMatchObject({
          status: 503,
          code: 'DEPENDENCY_UNAVAILABLE',
          detail: 'Service unavailable; retry later',
        });
        // Nothing internal in the body: no driver message, address or stack.
        expect(res.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|timeout exceeded|at /);
      };
      expectProblem(refused.value);
      expect(refused.ms).toBeLessThan(CONNECT_TIMEOUT_MS + 1_000);

      // 2. Connections that hang (a network partition): bounded by DB_CONNECTION_TIMEOUT_MS.
      const hang = await blackhole(upstream.proxy.port);
      let hung: Timed<HttpResponse>;
      try {
        hung = await timed(() => httpRequest(server.port, '/api/v1/products?limit=1'));
        expect((await httpRequest(server.port, '/ready')).status).toBe(503);
        expect((await httpRequest(server.port, '/health')).status).toBe(200);
      } finally {
        await hang.close();
      }
      expectProblem(hung.value);
      expect(hung.ms).toBeGreaterThanOrEqual(CONNECT_TIMEOUT_MS - 50);
      expect(hung.ms).toBeLessThan(CONNECT_TIMEOUT_MS + 1_000);

      // 3. Back: ready again without a restart.
      await upstream.proxy.restore();
      const ready = await pollUntil(server.port, '/ready', (r) => r.status === 200, 10_000);
      expect(ready.ms).toBeLessThan(10_000);
      expect((await httpRequest(server.port, '/api/v1/products?limit=1')).status).toBe(200);

      expect(server.isRunning).toBe(true);
      expect(new Set(server.logs.map((l) => l.pid))).toEqual(new Set([server.pid]));
      expect(server.logsMatching((l) => l.msg === 'Listening')).toHaveLength(1);
      expect(server.logs.filter((l) => l.level === 'fatal')).toEqual([]);
      // The outage is visible in the logs: readiness went down and came back.
      const notReadyLog = server.logsMatching((l) => l.msg === 'Not ready');
      expect(notReadyLog[0]).toMatchObject({
        level: 'warn',
        error: { database: { status: 'down' } },
      });
      expect(server.messages().lastIndexOf('Ready')).toBeGreaterThan(
        server.messages().indexOf('Not ready'),
      );
      expect(server.logsMatching(startsWith('GET /api/v1/products 503'))).toHaveLength(2);
      note(
        `[incidents] PostgreSQL down: /ready 503 after ${Math.round(notReady.ms)} ms; API 503 in ` +
          `${Math.round(refused.ms)} ms (refused) / ${Math.round(hung.ms)} ms (hanging, ` +
          `DB_CONNECTION_TIMEOUT_MS=${CONNECT_TIMEOUT_MS}); /ready 200 ${Math.round(ready.ms)} ms after restore; pid ${server.pid} throughout`,
      );
    }, 90_000);
  });

  describe('PostgreSQL stalls (packets held, nothing refused; a proxy in front of it)', () => {
    const upstream = proxyInFrontOf(TEST_POSTGRES_URL, 5432, 'each');

    it('requests holding a warm pooled connection and new ones get 503 within the query timeout, /health 200; 200 again after the stall, same process', async () => {
      const QUERY_TIMEOUT_MS = 1_500;
      // Far below the stall (which lasts until every request below has answered) and far
      // above the query timeout: a request waiting for the network instead fails this.
      const BOUND_MS = 10_000;
      const server = await ServerProcess.start({
        env: {
          DATABASE_URL: upstream.url(suiteDb.url),
          DB_MIGRATE_ON_START: 'true',
          DB_STATEMENT_TIMEOUT_MS: '1000',
          DB_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS),
          DB_CONNECTION_TIMEOUT_MS: '1000',
          RATE_LIMIT_MAX: '1000000',
        },
      });
      const user = { email: 'stall@example.com', name: 'Stall', password: 'correct-horse-battery' };
      expect(
        (await httpRequest(server.port, '/api/v1/users', { method: 'POST', body: user })).status,
      ).toBe(201);
      const login = await httpRequest(server.port, '/api/v1/auth/login', {
        method: 'POST',
        body: { email: user.email, password: user.password },
      });
      expect(login.status).toBe(200);
      const { refreshToken } = parseJson(login.body) as { refreshToken: string };
      // A warm pool: several connections open and idle.
      const warm = await Promise.all(
        Array.from({ length: 6 }, () => httpRequest(server.port, '/api/v1/products?limit=1')),
      );
      expect(warm.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);

      const request = (path: string, body?: unknown): Promise<Timed<HttpResponse | Error>> =>
        timed(() =>
          httpRequest(server.port, path, {
            timeoutMs: BOUND_MS,
            ...(body === undefined ? {} : { method: 'POST', body }),
          }).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))),
        );
      const expectUnavailable = ({ value, ms }: Timed<HttpResponse | Error>): void => {
        if (value instanceof Error) {
          throw new Error(`no answer within ${BOUND_MS} ms: ${value.message}`);
        }
        expect(value.status).toBe(503);
        expect(value.headers['content-type']).toBe('application/problem+json; charset=utf-8');
        expect(value.headers['retry-after']).toBe('5');
        expect(parseJson(value.body)).toMatchObject({
          status: 503,
          code: 'DEPENDENCY_UNAVAILABLE',
          detail: 'Service unavailable; retry later',
        });
        expect(value.body).not.toMatch(/Query read timeout|127\.0\.0\.1|at /);
        expect(ms).toBeLessThan(BOUND_MS);
      };

      let inFlight: Timed<HttpResponse | Error>[];
      let later: Timed<HttpResponse | Error>[];
      let health: HttpResponse;
      upstream.proxy.hold();
      try {
        // Sent as the stall begins: each takes a warm connection and waits on it; one is a
        // transaction (refresh-token rotation), whose ROLLBACK must not wait on it either.
        inFlight = await Promise.all([
          request('/api/v1/products?limit=1'),
          request('/api/v1/products?limit=2'),
          request('/api/v1/products?limit=3'),
          request('/api/v1/auth/refresh', { refreshToken }),
        ]);
        // Well into the stall: one after the other, then a burst.
        later = [];
        for (let i = 0; i < 3; i += 1) {
          later.push(await request('/api/v1/products?limit=1'));
        }
        later.push(
          ...(await Promise.all(
            Array.from({ length: 4 }, () => request('/api/v1/products?limit=1')),
          )),
        );
        health = await httpRequest(server.port, '/health');
      } finally {
        upstream.proxy.release();
      }
      for (const answer of [...inFlight, ...later]) {
        expectUnavailable(answer);
      }
      expect(health.status).toBe(200);

      // The stall ends: the service recovers by itself, same process.
      const back = await pollUntil(
        server.port,
        '/api/v1/products?limit=1',
        (r) => r.status === 200,
        15_000,
      );
      for (let i = 0; i < 3; i += 1) {
        expect((await httpRequest(server.port, '/api/v1/products?limit=1')).status).toBe(200);
      }
      expect((await httpRequest(server.port, '/ready')).status).toBe(200);
      expect(server.isRunning).toBe(true);
      expect(new Set(server.logs.map((l) => l.pid))).toEqual(new Set([server.pid]));
      expect(server.logsMatching((l) => l.msg === 'Listening')).toHaveLength(1);
      expect(server.logs.filter((l) => l.level === 'fatal')).toEqual([]);
      // Timed-out connections were closed, not handed back to the pool half-used.
      expect(
        server.logsMatching(startsWith('Database query timed out on the client')).length,
      ).toBeGreaterThanOrEqual(1);
      const worst = Math.max(...[...inFlight, ...later].map((a) => a.ms));
      note(
        `[incidents] PostgreSQL stalled: ${inFlight.length + later.length} requests answered 503, ` +
          `slowest ${Math.round(worst)} ms (DB_QUERY_TIMEOUT_MS=${QUERY_TIMEOUT_MS}); ` +
          `200 again ${Math.round(back.ms)} ms after release; pid ${server.pid} throughout`,
      );
    }, 120_000);
  });

  it('a 2 s event-loop block: /health waits and is answered after it, and /metrics reports the lag', async () => {
    const server = await ServerProcess.start({
      env: { DATABASE_URL: suiteDb.url, DB_MIGRATE_ON_START: 'true', FAULT_INJECTION: 'true' },
    });
    // A scrape resets the lag histogram: what the next one shows happened in between. The
    // first one covers the boot; the second is the idle baseline.
    await httpRequest(server.port, '/metrics');
    await sleep(200);
    const baseline = await httpRequest(server.port, '/metrics');
    const baselineMax = metricValue(baseline.body, 'nodejs_eventloop_lag_max_seconds') ?? NaN;
    expect(baselineMax).toBeLessThan(1.5);
    // Node's delay histogram forgets its last tick on reset: a block that starts before the
    // first tick after a scrape (10 ms resolution) would go unrecorded. Let it tick first.
    await sleep(200);

    const blockSentAt = performance.now();
    const block = httpRequest(server.port, '/api/v1/_faults/block?ms=2000', {
      method: 'POST',
      timeoutMs: 30_000,
    }).then((res) => ({ res, at: performance.now() }));
    await sleep(300); // The block is running.
    const healthSentAt = performance.now();
    const health = httpRequest(server.port, '/health', { timeoutMs: 30_000 }).then(
      (res) => ({ res, at: performance.now() }),
      (error: unknown) => ({ res: null, at: performance.now(), error }),
    );
    const [blocked, probed] = await Promise.all([block, health]);

    expect(blocked.res.status).toBe(200);
    expect(parseJson(blocked.res.body)).toEqual({ blockedMs: 2000 });
    // The probe did not fail: it waited in the socket backlog and got its 200 once the loop
    // was free again (after the block's own response, never during the block).
    expect(probed.res?.status).toBe(200);
    const healthWaitMs = probed.at - healthSentAt;
    expect(healthWaitMs).toBeGreaterThanOrEqual(1_500);
    expect(probed.at).toBeGreaterThanOrEqual(blocked.at - 50);
    // Afterwards it is fast again.
    const after = await timed(() => httpRequest(server.port, '/health'));
    expect(after.value.status).toBe(200);
    expect(after.ms).toBeLessThan(500);

    const metrics = await httpRequest(server.port, '/metrics');
    const lagMax = metricValue(metrics.body, 'nodejs_eventloop_lag_max_seconds') ?? 0;
    const lagP99 = metricValue(metrics.body, 'nodejs_eventloop_lag_p99_seconds') ?? 0;
    expect(lagMax).toBeGreaterThanOrEqual(1.5);
    expect(lagP99).toBeGreaterThan(0);
    // The block request itself shows in the route histogram, in the 2.5 s bucket, not below 1 s.
    const route = { method: 'POST', route: '/api/v1/_faults/block', status_code: '200' };
    expect(
      metricValue(metrics.body, 'http_request_duration_seconds_bucket', { ...route, le: '1' }),
    ).toBe(0);
    expect(
      metricValue(metrics.body, 'http_request_duration_seconds_bucket', { ...route, le: '2.5' }),
    ).toBe(1);
    expect(server.isRunning).toBe(true);
    note(
      `[incidents] event loop blocked 2000 ms: /health sent 300 ms in answered 200 after ` +
        `${Math.round(healthWaitMs)} ms (total ${Math.round(probed.at - blockSentAt)} ms); ` +
        `nodejs_eventloop_lag_max_seconds ${lagMax.toFixed(3)} (baseline ${baselineMax.toFixed(3)}), p99 ${lagP99.toFixed(3)}`,
    );
  }, 60_000);

  describe('Redis frozen (connected, silent: a proxy holding its bytes)', () => {
    const prefix = uniqueRedisPrefix('incidents-frozen');
    const upstream = proxyInFrontOf(TEST_REDIS_URL, 6379, 'all');

    afterAll(async () => {
      await deleteRedisKeys(prefix);
    }, 30_000);

    it('after the first timeout requests stop waiting on Redis (circuit open), limits hold in memory, /ready 503; unfrozen, counters are shared in Redis again', async () => {
      const COMMAND_TIMEOUT_MS = 500;
      const SEQUENTIAL = 20;
      const server = await ServerProcess.start({
        env: {
          DATABASE_URL: suiteDb.url,
          DB_MIGRATE_ON_START: 'true',
          REDIS_URL: upstream.url(TEST_REDIS_URL),
          REDIS_KEY_PREFIX: prefix,
          REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS),
          REDIS_BREAKER_RESET_MS: '5000',
          RATE_LIMIT_MAX: '1000000',
          LOGIN_RATE_LIMIT_MAX: '5',
          LOGIN_RATE_LIMIT_TTL_MS: '60000',
        },
      });
      const login = (email: string): Promise<HttpResponse> =>
        httpRequest(server.port, '/api/v1/auth/login', {
          method: 'POST',
          body: { email, password: 'wrong-password-123' },
        });
      expect((await httpRequest(server.port, '/api/v1/products?limit=1')).status).toBe(200);

      let first: Timed<HttpResponse>;
      let sequential: Timed<number[]>;
      let ready: HttpResponse;
      let health: HttpResponse;
      let frozenLogins: number[];
      upstream.proxy.hold();
      try {
        // The first request waits for its command to time out, then is served (memory counters).
        first = await timed(() => httpRequest(server.port, '/api/v1/products?limit=1'));
        // The circuit is open: the next ones do not wait on Redis at all.
        sequential = await timed(async () => {
          const statuses: number[] = [];
          for (let i = 0; i < SEQUENTIAL; i += 1) {
            statuses.push((await httpRequest(server.port, '/api/v1/products?limit=1')).status);
          }
          return statuses;
        });
        ready = await httpRequest(server.port, '/ready');
        health = await httpRequest(server.port, '/health');
        // The login limit still holds, per process in memory: 5 attempts, then 429.
        frozenLogins = [];
        for (let i = 0; i < 6; i += 1) {
          frozenLogins.push((await login('frozen@example.com')).status);
        }
      } finally {
        upstream.proxy.release();
      }
      expect(first.value.status).toBe(200);
      expect(sequential.value).toEqual(Array.from({ length: SEQUENTIAL }, () => 200));
      // A correctness bound, not a benchmark: waiting on Redis per request would take
      // SEQUENTIAL x COMMAND_TIMEOUT_MS (10 s); half of that is out of reach even on a busy box.
      expect(sequential.ms).toBeLessThan((SEQUENTIAL * COMMAND_TIMEOUT_MS) / 2);
      expect(ready.status).toBe(503);
      expect(parseJson(ready.body)).toMatchObject({
        status: 'error',
        error: { redis: { status: 'down' } },
        info: { database: { status: 'up' } },
      });
      expect(health.status).toBe(200);
      expect(frozenLogins).toEqual([401, 401, 401, 401, 401, 429]);
      const opened = server.logsMatching(startsWith('Redis circuit open'));
      expect(opened.length).toBeGreaterThanOrEqual(1);
      expect(opened[0]).toMatchObject({ level: 'warn', forMs: 5000 });

      // Unfrozen: the half-open probe closes the circuit by itself; counters live in Redis again.
      const back = await pollUntil(server.port, '/ready', (r) => r.status === 200, 20_000);
      expect((await login('after@example.com')).status).toBe(401);
      expect((await login('after@example.com')).status).toBe(401);
      const emailKey = createHash('sha256').update('after@example.com').digest('hex');
      const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await redis.connect();
        expect(await redis.get(`${prefix}{login:email:${emailKey}:login}:hits`)).toBe('2');
      } finally {
        redis.disconnect();
      }
      expect(server.logsMatching(startsWith('Redis circuit closed')).length).toBeGreaterThanOrEqual(
        1,
      );
      expect(
        server.logsMatching(startsWith('Rate-limit storage recovered')).length,
      ).toBeGreaterThanOrEqual(1);
      expect(server.isRunning).toBe(true);
      expect(server.logs.filter((l) => l.level === 'fatal')).toEqual([]);
      note(
        `[incidents] Redis frozen (REDIS_COMMAND_TIMEOUT_MS=${COMMAND_TIMEOUT_MS}): first request ` +
          `${Math.round(first.ms)} ms, then ${SEQUENTIAL} sequential in ${Math.round(sequential.ms)} ms; ` +
          `logins ${JSON.stringify(frozenLogins)}; /ready 200 ${Math.round(back.ms)} ms after unfreezing`,
      );
    }, 120_000);
  });

  describe('login rate limit with two cluster workers and Redis (a proxy in front of it)', () => {
    const prefix = uniqueRedisPrefix('incidents');
    const upstream = proxyInFrontOf(TEST_REDIS_URL, 6379, 'all');

    afterAll(async () => {
      await deleteRedisKeys(prefix);
    }, 30_000);

    it('the 6th attempt is 429 whichever worker takes it; with Redis down the service keeps serving and limits per process', async () => {
      const server = await ServerProcess.start({
        env: {
          CLUSTER_WORKERS: '2',
          DATABASE_URL: suiteDb.url,
          DB_MIGRATE_ON_START: 'true',
          REDIS_URL: upstream.url(TEST_REDIS_URL),
          REDIS_KEY_PREFIX: prefix,
          RATE_LIMIT_MAX: '1000000',
          LOGIN_RATE_LIMIT_MAX: '5',
          LOGIN_RATE_LIMIT_TTL_MS: '60000',
          SHUTDOWN_READY_DELAY_MS: '0',
        },
        listening: 2,
        timeoutMs: 90_000,
      });
      const user = {
        email: 'limited@example.com',
        name: 'Limited',
        password: 'correct-horse-battery',
      };
      expect(
        (await httpRequest(server.port, '/api/v1/users', { method: 'POST', body: user })).status,
      ).toBe(201);

      const loginLines = (from: number): LogLine[] =>
        server.logs.slice(from).filter(startsWith('POST /api/v1/auth/login '));
      const pids = (lines: LogLine[]): Set<number> => new Set(lines.map((l) => Number(l.pid)));

      /** `n` wrong-password logins for `email`, taking turns on the two workers' connections. */
      const attempts = async (email: string, n: number): Promise<HttpResponse[]> => {
        const agents = await connectionPerWorker(server, 2);
        const out: HttpResponse[] = [];
        try {
          for (let i = 0; i < n; i += 1) {
            out.push(
              await httpRequest(server.port, '/api/v1/auth/login', {
                method: 'POST',
                body: { email, password: 'wrong-password-123' },
                agent: agents[i % agents.length],
              }),
            );
          }
        } finally {
          agents.forEach((agent) => {
            agent.destroy();
          });
        }
        return out;
      };

      // --- Redis up: one counter for the whole instance.
      let from = server.logs.length;
      const shared = await attempts(user.email, 6);
      expect(shared.map((r) => r.status)).toEqual([401, 401, 401, 401, 401, 429]);
      const limited = shared[5]!;
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(parseJson(limited.body)).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
      // Both workers took some of the six (access log per pid): a per-process counter would
      // have let the 6th through.
      // (The access log is written as the response finishes: give the pipe a moment.)
      await eventually(() => loginLines(from).length >= 6, 5_000, 'six login access-log lines');
      const sharedLines = loginLines(from);
      expect(sharedLines).toHaveLength(6);
      expect(pids(sharedLines).size).toBe(2);

      // --- Redis down.
      await upstream.proxy.cut();
      const notReady = await pollUntil(server.port, '/ready', (r) => r.status === 503, 10_000);
      expect(parseJson(notReady.value.body)).toMatchObject({
        status: 'error',
        error: { redis: { status: 'down' } },
        info: { database: { status: 'up' } },
      });
      expect((await httpRequest(server.port, '/health')).status).toBe(200);
      // The API keeps working (the global limiter counts in memory meanwhile), on both workers.
      from = server.logs.length;
      for (let i = 0; i < 4; i += 1) {
        expect((await httpRequest(server.port, '/api/v1/products?limit=1')).status).toBe(200);
      }
      const degraded = server.logsMatching(
        startsWith('Rate-limit storage unavailable: enforcing limits per process'),
      );
      expect(degraded.length).toBeGreaterThanOrEqual(1);
      expect(degraded[0]).toMatchObject({ level: 'warn', reason: expect.any(String) });
      // Logged once per process and outage, not per request.
      expect(degraded.length).toBe(pids(degraded).size);

      // Logins: neither fail-open (unlimited) nor fail-closed (all refused): each worker
      // allows LOGIN_RATE_LIMIT_MAX attempts of its own, so the instance allows 5 to 10.
      from = server.logs.length;
      const perProcess = await attempts('other@example.com', 12);
      const statuses = perProcess.map((r) => r.status);
      const first429 = statuses.indexOf(429);
      expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);
      expect(first429).toBeGreaterThanOrEqual(5);
      expect(first429).toBeLessThanOrEqual(10);
      await eventually(() => loginLines(from).length >= 12, 5_000, '12 login access-log lines');
      const byPid = new Map<number, number>();
      for (const line of loginLines(from).filter(startsWith('POST /api/v1/auth/login 401'))) {
        byPid.set(Number(line.pid), (byPid.get(Number(line.pid)) ?? 0) + 1);
      }
      for (const count of byPid.values()) {
        expect(count).toBeLessThanOrEqual(5);
      }

      // --- Redis back: ready again, counters shared again; no restart anywhere.
      await upstream.proxy.restore();
      const ready = await pollUntil(server.port, '/ready', (r) => r.status === 200, 15_000);
      for (let i = 0; i < 4; i += 1) {
        expect((await httpRequest(server.port, '/api/v1/products?limit=1')).status).toBe(200);
      }
      expect(
        server.logsMatching(startsWith('Rate-limit storage recovered')).length,
      ).toBeGreaterThanOrEqual(1);
      expect(server.workers()).toHaveLength(2);
      expect(server.logs.filter((l) => l.level === 'fatal')).toEqual([]);
      note(
        `[incidents] login limit, 2 workers: statuses with Redis ${JSON.stringify(shared.map((r) => r.status))}; ` +
          `Redis cut → /ready 503 after ${Math.round(notReady.ms)} ms; logins with Redis down ` +
          `${JSON.stringify(statuses)} (401s per worker ${JSON.stringify([...byPid.values()])}); ` +
          `/ready 200 ${Math.round(ready.ms)} ms after restore`,
      );
    }, 150_000);
  });
});
