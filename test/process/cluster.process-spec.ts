import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

import { TEST_POSTGRES_URL, TEST_REDIS_URL, uniqueRedisPrefix } from '../utils/database';
import type { LogLine } from '../utils/log-capture';
import { proxyInFrontOf } from '../utils/tcp-proxy';
import {
  CONNECTION_ERRORS,
  ServerProcess,
  connectionPerWorker,
  eventually,
  freePort,
  httpRequest,
  isAlive,
  isOk,
  metricValue,
  processSuiteDatabase,
  sleep,
  startLoad,
  stopAllServers,
  within,
  type LoadOutcome,
  type WorkerInfo,
} from '../utils/server-process';

/**
 * CLUSTER_WORKERS=2 against the built server: what clients see when a worker crashes or is
 * killed, what the primary does when workers keep crashing, and how the whole instance
 * drains on SIGTERM.
 *
 * Time budget: the cluster of the first block is booted once and shared by its tests, in
 * order (metrics, a crash, a kill -9, a worker dying mid-scrape, then SIGTERM ends it); each
 * test starts by checking that two workers are up and /ready is 200, so a failure is
 * attributed to the test that caused it. The crash loop has its own primary.
 */

const WORKERS = 2;
const PRODUCTS = '/api/v1/products?limit=1';

/** Measured figures, printed with the test run (docs/OPERATIONS.md quotes them). */
const note = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

const isMsg =
  (msg: string) =>
  (l: LogLine): boolean =>
    l.msg === msg;
const timeOf = (l: LogLine): number => Date.parse(String(l.time));
const pidsOf = (lines: LogLine[]): Set<number> => new Set(lines.map((l) => Number(l.pid)));

/** Access-log lines (`GET /api/v1/products 200 3ms`) after index `from` of the log. */
function accessLines(server: ServerProcess, prefix: string, from = 0): LogLine[] {
  return server.logs.slice(from).filter((l) => (l.msg ?? '').startsWith(prefix));
}

/** VmRSS of a pid in bytes (Linux). */
function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  return Number(kb) * 1024;
}

/** Two workers listening and /ready 200: the precondition of every shared-cluster test. */
async function bothWorkersUp(server: ServerProcess): Promise<WorkerInfo[]> {
  expect(server.isRunning).toBe(true);
  const live = server.liveWorkers();
  expect(live).toHaveLength(WORKERS);
  const listening = pidsOf(server.logsMatching(isMsg('Listening')));
  for (const worker of live) {
    expect(listening.has(worker.pid)).toBe(true);
  }
  await server.waitForReady(15_000);
  return live;
}

/**
 * The worker the primary forked after `dead` was reported dead: a new pid, listening.
 * Only lines after the death count (an earlier replacement is not this one).
 */
async function replacementOf(server: ServerProcess, dead: WorkerInfo): Promise<WorkerInfo> {
  const died = await server.waitForLog(
    (l) => l.msg === 'Worker died unexpectedly' && Number(l.workerId) === dead.workerId,
    30_000,
  );
  const from = server.logs.indexOf(died);
  let started: LogLine | undefined;
  await eventually(
    () => {
      started = server.logs.slice(from).find(isMsg('Worker started'));
      return started !== undefined || !server.isRunning;
    },
    60_000,
    `a replacement for worker ${dead.workerId}`,
  );
  expect(started).toBeDefined();
  const replacement = { workerId: Number(started!.workerId), pid: Number(started!.pid) };
  expect(server.workers().filter((w) => w.pid === replacement.pid)).toHaveLength(1);
  expect(replacement.pid).not.toBe(dead.pid);
  await server.waitForLog(
    (l) => l.msg === 'Listening' && Number(l.pid) === replacement.pid,
    60_000,
  );
  return replacement;
}

describe('cluster mode (CLUSTER_WORKERS=2) of the built server', () => {
  const suiteDb = processSuiteDatabase('process_cluster', { stopAfterEach: false });

  const clusterEnv = (overrides: Record<string, string> = {}): Record<string, string> => ({
    CLUSTER_WORKERS: String(WORKERS),
    DATABASE_URL: suiteDb.url,
    DB_MIGRATE_ON_START: 'true',
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: uniqueRedisPrefix('cluster'),
    FAULT_INJECTION: 'true',
    RATE_LIMIT_MAX: '1000000',
    // The counters it leaves in the shared Redis expire a minute later.
    RATE_LIMIT_TTL_MS: '60000',
    SHUTDOWN_READY_DELAY_MS: '300',
    SHUTDOWN_TIMEOUT_MS: '10000',
    ...overrides,
  });

  describe('one instance, shared by the tests below in order', () => {
    let server: ServerProcess;

    beforeAll(async () => {
      server = await ServerProcess.start({
        env: clusterEnv(),
        listening: WORKERS,
        timeoutMs: 90_000,
      });
    }, 120_000);

    afterAll(async () => {
      await stopAllServers();
    }, 30_000);

    it('GET /metrics through either worker returns the aggregate of both workers', async () => {
      const workers = await bothWorkersUp(server);
      const route = { method: 'GET', route: '/api/v1/products', status_code: '200' };
      const count = (body: string): number =>
        metricValue(body, 'http_request_duration_seconds_count', route) ?? 0;

      // Half of the N requests on a connection each worker holds: with SCHED_NONE the kernel
      // picks who accepts a new connection, and twenty new ones can all land on one worker.
      const agents = await connectionPerWorker(server, WORKERS);
      const before = await httpRequest(server.port, '/metrics');
      expect(before.status).toBe(200);
      const from = server.logs.length;
      const N = 20;
      try {
        for (let i = 0; i < N; i += 1) {
          const agent = agents[i % agents.length];
          expect((await httpRequest(server.port, PRODUCTS, { agent })).status).toBe(200);
        }
      } finally {
        agents.forEach((agent) => {
          agent.destroy();
        });
      }
      await sleep(100);
      const after = await httpRequest(server.port, '/metrics');
      const [rssA, rssB] = workers.map((w) => rssBytes(w.pid)) as [number, number];

      // Both workers served some of the N requests (access log per pid)...
      await eventually(
        () => accessLines(server, 'GET /api/v1/products 200', from).length >= N,
        5_000,
        'the access-log lines',
      );
      const served = accessLines(server, 'GET /api/v1/products 200', from);
      expect(served).toHaveLength(N);
      expect([...pidsOf(served)].sort()).toEqual(workers.map((w) => w.pid).sort());
      // ...and one scrape, answered by one worker, counts all N: the sum over both workers.
      expect(after.status).toBe(200);
      expect(count(after.body) - count(before.body)).toBe(N);
      // Gauges are summed too: the resident memory is both workers', not the scraped one's.
      const rss = metricValue(after.body, 'process_resident_memory_bytes') ?? 0;
      expect(rss).toBeGreaterThan(1.25 * Math.max(rssA, rssB));
      expect(rss).toBeGreaterThan(0.7 * (rssA + rssB));
      expect(rss).toBeLessThan(1.3 * (rssA + rssB));
      // Event-loop lag is aggregated with max (the worst worker), and present.
      expect(metricValue(after.body, 'nodejs_eventloop_lag_max_seconds')).toBeGreaterThan(0);
      const split = [...pidsOf(served)].map(
        (pid) => served.filter((l) => Number(l.pid) === pid).length,
      );
      note(
        `[cluster] /metrics aggregate: ${N} requests served ${split.join(' + ')} by the two workers, ` +
          `counted ${count(after.body) - count(before.body)} in one scrape; process_resident_memory_bytes ` +
          `${Math.round(rss / 2 ** 20)} MiB vs workers ${Math.round(rssA / 2 ** 20)} + ${Math.round(rssB / 2 ** 20)} MiB`,
      );
    }, 60_000);

    it('an unhandled rejection in a worker: fatal log, that worker exits 1 and is replaced; /health never fails meanwhile', async () => {
      const workers = await bothWorkersUp(server);
      // Four pollers on new connections (as load balancers and new clients arrive), until the
      // replacement is listening. Bounded: 60 s or 2 000 probes each.
      const probes = startLoad({
        port: server.port,
        clients: 4,
        paths: [{ path: '/health' }],
        keepAlive: false,
        stopOnError: false,
        pauseMs: 20,
        requestTimeoutMs: 10_000,
        maxRequestsPerClient: 2_000,
        maxMs: 60_000,
      });
      let replacement: WorkerInfo;
      let crashed: WorkerInfo;
      try {
        await sleep(300);
        const trigger = await httpRequest(server.port, '/api/v1/_faults/unhandled-rejection', {
          method: 'POST',
        });
        expect(trigger.status).toBe(202);

        const fatal = await server.waitForLog((l) => l.level === 'fatal', 15_000);
        crashed = workers.find((w) => w.pid === Number(fatal.pid))!;
        expect(crashed).toBeDefined();
        expect(fatal).toMatchObject({
          kind: 'unhandledRejection',
          msg: 'Process crashed (unhandledRejection); shutting down',
          err: { message: 'Injected unhandled rejection' },
        });
        const died = await server.waitForLog(
          (l) => l.msg === 'Worker died unexpectedly' && Number(l.workerId) === crashed.workerId,
          30_000,
        );
        // It drained like a single process does, then exited 1; the primary respawns it.
        expect(died).toMatchObject({ level: 'warn', code: 1, signal: null, respawnInMs: 500 });
        expect(
          server.logsMatching(
            (l) => l.msg === 'Shutdown complete' && Number(l.pid) === crashed.pid,
          ),
        ).toMatchObject([{ exitCode: 1 }]);

        replacement = await replacementOf(server, crashed);
        await sleep(500); // A few probes that may land on the replacement too.
      } finally {
        await probes.stop();
      }

      const outcomes = probes.outcomes;
      const failures = outcomes.filter((o) => !isOk(o));
      const httpErrors = failures.filter((o) => o.status !== undefined);
      const connectionErrors = failures.filter((o) => CONNECTION_ERRORS.has(o.error ?? ''));
      // The service answered throughout: hundreds of probes, no error response at all, no
      // timeout, and connection-level errors (a connection handed to the worker just as it
      // closed) on at most 1% of them.
      expect(outcomes.length).toBeGreaterThan(100);
      expect(httpErrors).toEqual([]);
      expect(failures.length - connectionErrors.length).toBe(0);
      expect(connectionErrors.length).toBeLessThanOrEqual(Math.floor(outcomes.length * 0.01));
      // The other worker was untouched; the instance is back to two.
      const other = workers.find((w) => w.pid !== crashed.pid)!;
      expect(isAlive(other.pid)).toBe(true);
      expect(
        server
          .liveWorkers()
          .map((w) => w.pid)
          .sort(),
      ).toEqual([other.pid, replacement!.pid].sort());
      expect(server.isRunning).toBe(true);
      const fatalAt = timeOf(server.logsMatching((l) => l.level === 'fatal')[0]!);
      const listeningAt = timeOf(
        server.logsMatching((l) => l.msg === 'Listening' && Number(l.pid) === replacement!.pid)[0]!,
      );
      note(
        `[cluster] unhandled rejection: replacement listening ${listeningAt - fatalAt} ms after the crash; ` +
          `${outcomes.length} /health probes, ` +
          `${connectionErrors.length} connection errors, worker ${crashed.pid} → ${replacement!.pid}`,
      );
    }, 120_000);

    it('kill -9 of a worker under load: ≥ 90% of the requests of the next second succeed, a new worker appears', async () => {
      const workers = await bothWorkersUp(server);
      const victim = workers[0]!;
      // Eight keep-alive clients on /health and a DB read; they carry on after an error (a
      // client whose socket was on the killed worker reconnects, like any HTTP client).
      const load = startLoad({
        port: server.port,
        clients: 8,
        paths: [{ path: '/health' }, { path: PRODUCTS }],
        keepAlive: true,
        stopOnError: false,
        requestTimeoutMs: 5_000,
        maxRequestsPerClient: 20_000,
        maxMs: 60_000,
      });
      let killAt = 0;
      let outcomes: LoadOutcome[];
      try {
        await sleep(1_000);
        expect(load.outcomes.filter(isOk).length).toBeGreaterThan(20);
        killAt = performance.now();
        process.kill(victim.pid, 'SIGKILL');
        const died = await server.waitForLog(
          (l) => l.msg === 'Worker died unexpectedly' && Number(l.workerId) === victim.workerId,
          15_000,
        );
        expect(died).toMatchObject({ signal: 'SIGKILL', code: null });
        expect(died.respawnInMs).toBeLessThanOrEqual(1_000);
        await sleep(Math.max(0, killAt + 1_200 - performance.now()));
      } finally {
        outcomes = await load.stop();
      }
      const replacement = await replacementOf(server, victim);

      const nextSecond = outcomes.filter((o) => o.sentAt >= killAt && o.sentAt < killAt + 1_000);
      const ok = nextSecond.filter(isOk);
      const ratio = ok.length / nextSecond.length;
      // Requests that were in flight on the killed worker are lost (connection reset); they
      // were sent before the kill and are not counted here.
      const failedNext = nextSecond.filter((o) => !isOk(o));
      note(
        `[cluster] kill -9: ${nextSecond.length} requests in the next second, ${ok.length} ok ` +
          `(${(ratio * 100).toFixed(1)}%), failures ${JSON.stringify(failedNext.map((o) => o.error ?? o.status))}; ` +
          `in flight at the kill and lost: ${outcomes.filter((o) => o.sentAt < killAt && o.doneAt >= killAt && !isOk(o)).length}; ` +
          `worker ${victim.pid} → ${replacement.pid}`,
      );
      expect(nextSecond.length).toBeGreaterThanOrEqual(20);
      expect(ratio).toBeGreaterThanOrEqual(0.9);
      // Failures, if any, are connection-level: never an error response.
      expect(failedNext.filter((o) => o.status !== undefined)).toEqual([]);
      expect(server.isRunning).toBe(true);
    }, 120_000);

    it('a worker that dies while the primary aggregates its /metrics scrape does not take the primary down', async () => {
      const [asker, stalled] = await bothWorkersUp(server);
      // The stopped worker cannot answer the primary's aggregation request, so the aggregate
      // for the scrape that reaches the running worker stays pending (prom-client waits 5 s),
      // and the worker that asked for it is killed meanwhile. The answer then goes to a dead
      // worker: that must not become an uncaught exception in the primary.
      process.kill(stalled!.pid, 'SIGSTOP');
      let scrapes: Array<Promise<unknown>> = [];
      try {
        scrapes = Array.from({ length: 3 }, () =>
          httpRequest(server.port, '/metrics', { timeoutMs: 15_000 }).catch(() => null),
        );
        await sleep(700);
        process.kill(asker!.pid, 'SIGKILL');
        await server.waitForLog(
          (l) => l.msg === 'Worker died unexpectedly' && Number(l.workerId) === asker!.workerId,
          15_000,
        );
      } finally {
        process.kill(stalled!.pid, 'SIGCONT');
      }
      // Past prom-client's 5 s timeout: the failed aggregate has been answered (to nobody).
      await sleep(6_000);
      await within(Promise.all(scrapes), 20_000, 'scrapes did not settle');
      expect(server.logsMatching((l) => l.msg === 'Primary crashed')).toEqual([]);
      expect(server.messages()).not.toContain('Primary shutting down: draining workers');
      expect(server.isRunning).toBe(true);
      const replacement = await replacementOf(server, asker!);
      expect(isAlive(stalled!.pid)).toBe(true);
      await server.waitForReady(15_000);
      // Scrapes work again, with the replacement counted in.
      const res = await httpRequest(server.port, '/metrics');
      expect(res.status).toBe(200);
      expect(
        server
          .liveWorkers()
          .map((w) => w.pid)
          .sort(),
      ).toEqual([stalled!.pid, replacement.pid].sort());
    }, 120_000);

    it('SIGTERM to the primary under keep-alive load: nothing accepted before it fails, both workers drain, exit 0', async () => {
      const workers = await bothWorkersUp(server);
      const load = startLoad({
        port: server.port,
        clients: 10,
        paths: [{ path: '/health' }, { path: PRODUCTS }],
        keepAlive: true,
        // A client ends at its first error: the server has closed on it, nothing more to learn.
        stopOnError: true,
        requestTimeoutMs: 20_000,
        maxRequestsPerClient: 20_000,
        maxMs: 60_000,
      });
      let signalAt = 0;
      try {
        await sleep(1_000);
        expect(load.outcomes.filter(isOk).length).toBeGreaterThan(20);
        signalAt = server.kill('SIGTERM');
        const exit = await within(server.exited, 30_000, 'primary did not exit after SIGTERM');
        await within(load.done, 30_000, 'clients did not end');
        expect(exit).toMatchObject({ code: 0, signal: null });
      } finally {
        await load.stop();
      }

      const outcomes = load.outcomes;
      const before = outcomes.filter((o) => o.sentAt < signalAt);
      const after = outcomes.filter((o) => o.sentAt >= signalAt);
      // Every request sent before the signal was answered 2xx, including those still in flight.
      expect(before.length).toBeGreaterThan(20);
      expect(before.filter((o) => !isOk(o))).toEqual([]);
      // After it: served, or turned away at the connection level; never an error response.
      expect(after.filter((o) => !isOk(o) && !CONNECTION_ERRORS.has(o.error ?? ''))).toEqual([]);
      // Clients were told to close their keep-alive connections while the workers drained.
      expect(after.filter((o) => isOk(o) && o.connection === 'close').length).toBeGreaterThan(0);

      note(
        `[cluster] SIGTERM under load: ${before.length} requests before the signal (all 2xx), ` +
          `${after.length} after (${after.filter(isOk).length} 2xx, ` +
          `${after.filter((o) => !isOk(o)).length} connection-level), primary exit 0 after ` +
          `${Math.round(server.exitedAfter(signalAt))} ms`,
      );
      // Each worker ran the single-process drain and exited 0; the primary then exited 0.
      for (const worker of workers) {
        const mine = server.logsMatching((l) => Number(l.pid) === worker.pid).map((l) => l.msg);
        const started = mine.indexOf('Shutdown started: readiness is now 503');
        const drained = mine.indexOf('HTTP server drained');
        const complete = mine.indexOf('Shutdown complete');
        expect({
          worker,
          started: started >= 0,
          drained: drained > started,
          complete: complete > drained,
        }).toEqual({ worker, started: true, drained: true, complete: true });
        expect(
          server.logsMatching((l) => l.msg === 'Shutdown complete' && Number(l.pid) === worker.pid),
        ).toMatchObject([{ exitCode: 0 }]);
      }
      expect(server.logsMatching(isMsg('Primary shutting down: draining workers'))).toMatchObject([
        { reason: 'SIGTERM' },
      ]);
      expect(server.logsMatching(isMsg('Worker stopped'))).toHaveLength(WORKERS);
      expect(server.logsMatching(isMsg('Worker stopped')).filter((l) => l.code !== 0)).toEqual([]);
      expect(server.logsMatching(isMsg('All workers stopped; primary exiting'))).toMatchObject([
        { exitCode: 0 },
      ]);
      expect(server.messages().filter((m) => m.startsWith('Shutdown deadline passed'))).toEqual([]);
      expect(server.messages()).not.toContain('Worker missed the deadline: killed');
      for (const worker of workers) {
        expect(isAlive(worker.pid)).toBe(false);
      }
    }, 120_000);
  });

  describe('SIGTERM to the primary while its workers are still starting', () => {
    // The database is reached through a proxy that holds every byte: however fast the
    // workers load, they cannot be listening yet, so "still starting" holds at every delay.
    const database = proxyInFrontOf(TEST_POSTGRES_URL, 5432, 'each');

    afterEach(async () => {
      await stopAllServers();
    }, 30_000);

    /**
     * Moments after both forks: the workers are still in Node's bootstrap (0 ms; the forwarded
     * SIGTERM kills them by signal, before any handler of theirs exists), loading modules, or
     * connecting. A worker that ends because the primary asked it to is not a failure.
     */
    it.each([0, 300, 1_000])(
      '%i ms after the forks: the primary exits 0, every worker stopped',
      async (delayMs) => {
        database.proxy.hold();
        const server = await ServerProcess.spawn({
          env: clusterEnv({ DATABASE_URL: database.url(suiteDb.url) }),
        });
        await server.waitForLogCount(isMsg('Worker started'), WORKERS, 60_000);
        await sleep(delayMs);
        expect(server.logsMatching(isMsg('Listening'))).toEqual([]);
        server.kill('SIGTERM');

        const exit = await within(server.exited, 60_000, 'primary did not exit after SIGTERM');
        const stopped = server.logsMatching(isMsg('Worker stopped'));
        note(
          `[cluster] SIGTERM ${delayMs} ms after the forks: workers ended ` +
            `${JSON.stringify(stopped.map((l) => l.signal ?? l.code))}, primary exit ${String(exit.code)}`,
        );
        expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });
        expect(stopped).toHaveLength(WORKERS);
        expect(server.logsMatching(isMsg('All workers stopped; primary exiting'))).toMatchObject([
          { exitCode: 0 },
        ]);
        expect(server.messages()).not.toContain('Worker died unexpectedly');
        for (const worker of server.workers()) {
          expect(isAlive(worker.pid)).toBe(false);
        }
      },
      90_000,
    );
  });

  describe('workers killed (SIGKILL) under keep-alive and new-connection load', () => {
    afterEach(async () => {
      await stopAllServers();
    }, 30_000);

    it('every request gets a response or a connection error/close within 10 s: none hangs', async () => {
      const KILLS = 3;
      /** A hang is forever; this only bounds how long the test waits to see one. */
      const HANG_MS = 10_000;
      const server = await ServerProcess.start({
        env: clusterEnv(),
        listening: WORKERS,
        timeoutMs: 90_000,
      });
      const loads = [true, false].map((keepAlive) =>
        startLoad({
          port: server.port,
          clients: 6,
          paths: [{ path: '/health' }, { path: PRODUCTS }],
          keepAlive,
          stopOnError: false,
          requestTimeoutMs: HANG_MS,
          maxRequestsPerClient: 20_000,
          maxMs: 120_000,
        }),
      );
      const killed: WorkerInfo[] = [];
      try {
        for (let kill = 0; kill < KILLS; kill += 1) {
          await bothWorkersUp(server);
          await sleep(700);
          const victim = server.liveWorkers()[kill % WORKERS]!;
          process.kill(victim.pid, 'SIGKILL');
          killed.push(victim);
          await replacementOf(server, victim);
        }
        await sleep(500);
      } finally {
        await Promise.all(loads.map((load) => load.stop()));
      }

      const outcomes = loads.flatMap((load) => load.outcomes);
      const hung = outcomes.filter((o) => o.error === 'CLIENT_TIMEOUT');
      const failures = outcomes.filter((o) => !isOk(o));
      note(
        `[cluster] ${KILLS} x SIGKILL under load: ${outcomes.length} requests, ` +
          `${failures.length} failed (${JSON.stringify([...new Set(failures.map((o) => o.error ?? o.status))])}), ` +
          `${hung.length} without any answer within ${HANG_MS} ms`,
      );
      expect(killed).toHaveLength(KILLS);
      expect(outcomes.filter(isOk).length).toBeGreaterThan(100);
      // No request was left hanging: each was answered or its connection failed/closed.
      expect(hung).toEqual([]);
      expect(
        failures.filter((o) => o.status === undefined && !CONNECTION_ERRORS.has(o.error ?? '')),
      ).toEqual([]);
      // Failures are connection-level, never an error response.
      expect(failures.filter((o) => o.status !== undefined)).toEqual([]);
      expect(server.isRunning).toBe(true);
    }, 240_000);
  });

  describe('a crash loop', () => {
    afterEach(async () => {
      await stopAllServers();
    }, 30_000);

    it('workers that crash on boot: respawns back off, the primary gives up and exits 1, forks are bounded', async () => {
      // Nothing listens on this loopback port; with no connect retries a worker exits 1 as
      // soon as it has loaded and tried to reach the database.
      const closedPort = await freePort();
      const startedAt = performance.now();
      const server = await ServerProcess.spawn({
        env: clusterEnv({
          DATABASE_URL: `postgres://postgres@127.0.0.1:${closedPort}/none`,
          DB_CONNECT_RETRIES: '0',
        }),
      });
      const exit = await within(server.exited, 150_000, 'primary did not give up');
      const elapsedMs = performance.now() - startedAt;

      const forks = server.workers();
      const died = server.logsMatching(isMsg('Worker died unexpectedly'));
      const delays = died.map((l) => Number(l.respawnInMs));
      note(
        `[cluster] crash loop: ${forks.length} forks, respawn delays ${delays.join(', ')} ms, ` +
          `primary exited ${String(exit.code)} after ${Math.round(elapsedMs)} ms`,
      );

      expect(exit).toMatchObject({ code: 1, signal: null });
      // 2 initial workers + at most one respawn per tolerated crash (5): never a fork storm.
      expect(forks.length).toBeGreaterThanOrEqual(WORKERS + 4);
      expect(forks.length).toBeLessThanOrEqual(WORKERS + 6);
      // Every worker failed the same way, on its own, quickly: exit 1 after the boot crash.
      expect(died.every((l) => l.code === 1 && l.signal === null)).toBe(true);
      const bootCrashes = server.stderr
        .split('\n')
        .filter((line) => line.includes('"Process crashed (unhandledRejection); shutting down"'));
      // Six crashes end it; a seventh worker, if its respawn came first, is stopped by SIGTERM.
      expect(bootCrashes.length).toBeGreaterThanOrEqual(6);
      expect(bootCrashes.length).toBeLessThanOrEqual(forks.length);
      expect(bootCrashes.every((line) => line.includes('ECONNREFUSED'))).toBe(true);
      for (const line of died) {
        const fork = server
          .logsMatching(isMsg('Worker started'))
          .find((l) => Number(l.workerId) === Number(line.workerId))!;
        expect(timeOf(line) - timeOf(fork)).toBeLessThan(30_000);
      }
      // The respawn delay doubles with each crash in the window: 500, 1000, 2000, 4000, 8000 ms...
      expect(delays).toEqual([500, 1_000, 2_000, 4_000, 8_000]);
      // ...and is honoured: the n-th respawn comes no sooner than its death + its delay.
      const respawns = server.logsMatching(isMsg('Worker started')).slice(WORKERS);
      const due = died.map((l) => ({ at: timeOf(l), delay: Number(l.respawnInMs) }));
      due.sort((a, b) => a.at + a.delay - (b.at + b.delay));
      respawns.forEach((fork, i) => {
        expect(timeOf(fork) - due[i]!.at).toBeGreaterThanOrEqual(due[i]!.delay - 5);
      });
      // The sixth crash within 60 s ends it: no respawn for it, the others drained, exit 1.
      expect(server.logsMatching(isMsg('Workers keep crashing: giving up'))).toMatchObject([
        { level: 'fatal', crashes: 6, windowMs: 60_000 },
      ]);
      expect(server.logsMatching(isMsg('All workers stopped; primary exiting'))).toMatchObject([
        { exitCode: 1 },
      ]);
      // Bounded: boot times plus 500 + 1000 + 2000 + 4000 ms of backoff, far from a hang.
      expect(elapsedMs).toBeLessThan(120_000);
      for (const fork of forks) {
        expect(isAlive(fork.pid)).toBe(false);
      }
    }, 180_000);
  });
});
