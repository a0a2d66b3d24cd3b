import http from 'node:http';
import { performance } from 'node:perf_hooks';

import {
  CONNECTION_ERRORS,
  ServerProcess,
  errorCode,
  eventually,
  httpRequest,
  parseJson,
  processSuiteDatabase,
  sleep,
  within,
  type HttpResponse,
} from '../utils/server-process';

/**
 * SIGTERM against the built server: what clients, load balancers and the supervisor see.
 * Timings are the server's own (SHUTDOWN_*); the test only bounds its waits generously.
 */

interface Outcome {
  readonly path: string;
  readonly sentAt: number;
  readonly doneAt: number;
  readonly status?: number;
  readonly error?: string;
  readonly connection?: string;
  readonly reusedSocket?: boolean;
}

const is2xx = (o: Outcome): boolean => o.status !== undefined && o.status >= 200 && o.status < 300;

/** A client that sends one request after the other on its own agent until told to stop or an error. */
async function clientLoop(
  port: number,
  agent: http.Agent,
  paths: ReadonlyArray<{ path: string; method: 'GET' | 'POST' }>,
  outcomes: Outcome[],
  shouldStop: () => boolean,
  limits: { maxRequests: number; maxMs: number },
): Promise<void> {
  const until = performance.now() + limits.maxMs;
  for (let i = 0; i < limits.maxRequests && !shouldStop() && performance.now() < until; i += 1) {
    const { path, method } = paths[i % paths.length]!;
    const sentAt = performance.now();
    try {
      const res = await httpRequest(port, path, { method, agent, timeoutMs: 20_000 });
      outcomes.push({
        path,
        sentAt,
        doneAt: performance.now(),
        status: res.status,
        connection: res.headers.connection,
        reusedSocket: res.reusedSocket,
      });
    } catch (error: unknown) {
      outcomes.push({ path, sentAt, doneAt: performance.now(), error: errorCode(error) });
      return; // The server is closing (or broken): nothing more to learn from this client.
    }
  }
}

function indexOfMessage(server: ServerProcess, msg: string): number {
  return server.messages().indexOf(msg);
}

describe('graceful shutdown of the built server (SIGTERM)', () => {
  const suiteDb = processSuiteDatabase('process_shutdown');

  const serverEnv = (overrides: Record<string, string>): Record<string, string> => ({
    DATABASE_URL: suiteDb.url,
    DB_MIGRATE_ON_START: 'true',
    FAULT_INJECTION: 'true',
    RATE_LIMIT_MAX: '1000000',
    ...overrides,
  });

  it('drains 20 busy keep-alive clients: no request before the signal fails, no 5xx after it, exit 0', async () => {
    const READY_DELAY_MS = 1_500;
    const TIMEOUT_MS = 10_000;
    const server = await ServerProcess.start({
      env: serverEnv({
        SHUTDOWN_READY_DELAY_MS: String(READY_DELAY_MS),
        SHUTDOWN_TIMEOUT_MS: String(TIMEOUT_MS),
      }),
    });

    const outcomes: Outcome[] = [];
    let stopped = false;
    const agents = Array.from(
      { length: 20 },
      () => new http.Agent({ keepAlive: true, maxSockets: 1 }),
    );
    const mix = [
      { path: '/health', method: 'GET' as const },
      { path: '/api/v1/_faults/delay?ms=300', method: 'POST' as const },
    ];
    const clients = agents.map((agent, i) =>
      clientLoop(
        server.port,
        agent,
        i % 2 === 0 ? mix : [...mix].reverse(),
        outcomes,
        () => stopped,
        { maxRequests: 2_000, maxMs: 90_000 },
      ),
    );

    try {
      // Every client has been served a few times: the pool of keep-alive sockets is warm.
      await eventually(() => outcomes.length >= 20 * 4, 30_000, 'the clients to warm up');

      const signalAt = server.kill('SIGTERM');

      // A load balancer probing on new connections during the ready delay: not ready, yet
      // alive. /ready and /health go out together, so the pair sees the same moment; polling
      // stops at the first 503 (a connection error here means the delay passed unseen: a failure).
      let ready: HttpResponse | null = null;
      let health: HttpResponse | null = null;
      for (let i = 0; i < 200 && ready === null && performance.now() - signalAt < 15_000; i += 1) {
        const [r, h] = await Promise.all([
          httpRequest(server.port, '/ready', { timeoutMs: 5_000 }),
          httpRequest(server.port, '/health', { timeoutMs: 5_000 }),
        ]);
        if (r.status === 503) {
          ready = r;
          health = h;
        } else {
          await sleep(10);
        }
      }

      const exit = await within(server.exited, 30_000, 'server did not exit after SIGTERM');
      stopped = true;
      await within(Promise.all(clients), 30_000, 'clients did not stop');

      expect(ready?.status).toBe(503);
      expect(ready?.headers['retry-after']).toBe('5');
      expect(parseJson(ready?.body ?? '{}')).toMatchObject({
        status: 'error',
        error: { lifecycle: { status: 'down' } },
      });
      expect(health?.status).toBe(200);

      const before = outcomes.filter((o) => o.sentAt < signalAt);
      const after = outcomes.filter((o) => o.sentAt >= signalAt);
      // Requests really were in flight when the signal came, and all of them were answered.
      expect(
        before.filter((o) => o.doneAt > signalAt && o.path.includes('delay')).length,
      ).toBeGreaterThan(0);
      expect(before.filter((o) => !is2xx(o))).toEqual([]);
      // After it: served (the server still accepts during the ready delay) or turned away at
      // the connection level, never an error response.
      expect(after.filter((o) => !is2xx(o) && !CONNECTION_ERRORS.has(o.error ?? ''))).toEqual([]);
      expect(after.filter((o) => is2xx(o) && o.connection === 'close').length).toBeGreaterThan(0);

      expect(exit).toMatchObject({ code: 0, signal: null });
      const messages = server.messages();
      const started = indexOfMessage(server, 'Shutdown started: readiness is now 503');
      const drained = indexOfMessage(server, 'HTTP server drained');
      const complete = indexOfMessage(server, 'Shutdown complete');
      expect(started).toBeGreaterThanOrEqual(0);
      expect(drained).toBeGreaterThan(started);
      expect(complete).toBeGreaterThan(drained);
      expect(server.logs[started]).toMatchObject({
        reason: 'SIGTERM',
        readyDelayMs: READY_DELAY_MS,
      });
      expect(server.logs[drained]?.elapsedMs).toBeGreaterThanOrEqual(READY_DELAY_MS - 20);
      expect(server.logs[complete]).toMatchObject({ level: 'info', exitCode: 0 });
      expect(server.logs[complete]?.elapsedMs).toBeLessThan(TIMEOUT_MS);
      expect(messages.filter((m) => m.startsWith('Shutdown deadline passed'))).toEqual([]);
    } finally {
      stopped = true;
      for (const agent of agents) {
        agent.destroy();
      }
    }
  }, 120_000);

  it('does not let a stuck request hold the process past SHUTDOWN_TIMEOUT_MS: exit 1 at the deadline', async () => {
    // The ready delay (the server still accepts) gives the request time to reach its handler.
    const server = await ServerProcess.start({
      env: serverEnv({ SHUTDOWN_READY_DELAY_MS: '1000', SHUTDOWN_TIMEOUT_MS: '2000' }),
    });
    const agent = new http.Agent({ keepAlive: true });
    try {
      const stuck = httpRequest(server.port, '/api/v1/_faults/delay?ms=60000', {
        method: 'POST',
        agent,
        timeoutMs: 90_000,
      }).then(
        (res) => ({ status: res.status, error: null }),
        (error: unknown) => ({ status: null, error: errorCode(error) }),
      );
      await sleep(500); // The request has reached the handler.

      const signalAt = server.kill('SIGTERM');
      const exit = await within(server.exited, 30_000, 'server did not exit');
      const client = await within(stuck, 10_000, 'stuck request did not settle');

      expect(exit).toMatchObject({ code: 1, signal: null });
      // Bounded by the deadline, not by the 60 s request (generous margin for a loaded machine).
      expect(server.exitedAfter(signalAt)).toBeLessThan(30_000);
      const deadline = await server.waitForLog(
        (l) => l.msg === 'Shutdown deadline passed: closing remaining connections and exiting',
        1_000,
      );
      expect(deadline).toMatchObject({ level: 'error', timeoutMs: 2000, reason: 'SIGTERM' });
      expect(server.messages()).not.toContain('HTTP server drained');
      // The stuck client's connection was cut: no made-up response.
      expect(client).toEqual({
        status: null,
        error: expect.stringMatching(/^(ECONNRESET|EPIPE)$/),
      });
    } finally {
      agent.destroy();
    }
  }, 90_000);

  it('tells a keep-alive client in a tight loop Connection: close, so it cannot keep the process alive', async () => {
    const TIMEOUT_MS = 15_000;
    const server = await ServerProcess.start({
      env: serverEnv({ SHUTDOWN_READY_DELAY_MS: '500', SHUTDOWN_TIMEOUT_MS: String(TIMEOUT_MS) }),
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const outcomes: Outcome[] = [];
    let stopped = false;
    const loop = clientLoop(
      server.port,
      agent,
      [{ path: '/health', method: 'GET' }],
      outcomes,
      () => stopped,
      { maxRequests: 100_000, maxMs: 60_000 },
    );
    try {
      await eventually(
        () => outcomes.filter((o) => o.reusedSocket === true).length >= 50,
        30_000,
        'the keep-alive loop to get going',
      );
      const signalAt = server.kill('SIGTERM');
      const exit = await within(server.exited, 30_000, 'server did not exit');
      await within(loop, 30_000, 'client loop did not end');

      expect(exit).toMatchObject({ code: 0, signal: null });
      const complete = await server.waitForLog((l) => l.msg === 'Shutdown complete', 1_000);
      expect(complete.elapsedMs).toBeLessThan(TIMEOUT_MS);
      expect(server.messages().filter((m) => m.startsWith('Shutdown deadline passed'))).toEqual([]);

      // Before the signal: one socket reused again and again, never asked to close.
      const before = outcomes.filter((o) => o.sentAt < signalAt);
      expect(before.filter((o) => o.status !== 200 || o.connection !== 'keep-alive')).toEqual([]);
      // Once draining (the server notices the signal a moment after it is sent), every
      // response says Connection: close and the client has to reconnect for the next one...
      const firstClose = outcomes.findIndex((o) => o.connection === 'close');
      expect(firstClose).toBeGreaterThan(0);
      expect(outcomes[firstClose]!.sentAt).toBeGreaterThanOrEqual(signalAt);
      const draining = outcomes.slice(firstClose);
      const served = draining.filter((o) => o.status !== undefined);
      expect(served.filter((o) => o.status !== 200 || o.connection !== 'close')).toEqual([]);
      expect(served.slice(1).filter((o) => o.reusedSocket === true)).toEqual([]);
      // ...until it is turned away at the connection level: not hung, and never a 5xx.
      const last = draining[draining.length - 1];
      expect(last?.error).toMatch(/^(ECONNREFUSED|ECONNRESET|EPIPE)$/);
    } finally {
      stopped = true;
      agent.destroy();
    }
  }, 120_000);
});
