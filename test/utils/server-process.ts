import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

import {
  LOOPBACK,
  errorCode,
  freePort,
  request,
  type HttpResponse,
} from '../../scripts/lib/loopback-http.ts';
import {
  describeExit,
  launch,
  type LaunchedServer,
  type ProcessExit,
  type ServerEnv,
} from '../../scripts/lib/server.ts';

import { createTestDatabase, type TestDatabase } from './database';
import type { LogLine } from './log-capture';

/**
 * The built server (`npm run build` → dist/src/main.js) as a child process, for the
 * process-level suites: real signals, real sockets, real exit codes. Started, watched and
 * stopped by the tooling's one launcher (scripts/lib/server.ts), spoken to through its one
 * HTTP client (scripts/lib/loopback-http.ts); this file adds what the suites assert on
 * (parsed JSON log lines, cluster workers, load loops, metrics).
 * Every child is tracked, and `stopAllServers()` (afterEach/afterAll) SIGKILLs whatever
 * a failed test left running. All traffic goes to 127.0.0.1 only.
 */

export { LOOPBACK, errorCode, freePort, type HttpResponse, type ProcessExit, type ServerEnv };

export const REPO_ROOT = resolve(__dirname, '..', '..');
/**
 * The built server. PROCESS_SPEC_SERVER_ENTRY points the suites at another build (a copy of
 * dist/ with a deliberate bug, to check that a test can fail); never needed otherwise.
 */
export const SERVER_ENTRY =
  process.env.PROCESS_SPEC_SERVER_ENTRY ?? join(REPO_ROOT, 'dist', 'src', 'main.js');
/** Defaults of every child; a suite's own env wins (`undefined` removes a variable). */
const BASE_ENV: ServerEnv = {
  NODE_ENV: 'test',
  HOST: LOOPBACK,
  LOG_FORMAT: 'json',
  LOG_LEVEL: 'info',
  DOCS_ENABLED: 'false',
  TZ: 'UTC',
};

export interface SpawnOptions {
  /** Variables over BASE_ENV; nothing else of the test runner's environment leaks in. */
  readonly env?: ServerEnv;
  /** Working directory (`.env` and the default PGlite directory are read from it). A fresh temp dir, removed by stopAllServers(), when omitted. */
  readonly cwd?: string;
  /** Fixed port; a free one is picked when omitted (and PORT is not in env). */
  readonly port?: number;
  /** Node options before the entry point (e.g. the permission model's flags). */
  readonly nodeArgs?: readonly string[];
}

export interface StartOptions extends SpawnOptions {
  /** How long boot (Listening, then /ready 200) may take; PGlite initdb is slow on a loaded machine. */
  readonly timeoutMs?: number;
  /**
   * How many `Listening` lines to wait for before polling /ready: 1 (default) for a single
   * process, CLUSTER_WORKERS for a cluster (every worker logs its own).
   */
  readonly listening?: number;
}

/** A cluster worker as the primary announced it (`Worker started`). */
export interface WorkerInfo {
  readonly workerId: number;
  readonly pid: number;
}

interface LogWaiter {
  readonly predicate: (line: LogLine) => boolean;
  readonly resolve: (line: LogLine) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Rejects with `message` unless `promise` settles within `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`${message} (after ${ms} ms)`));
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const running = new Set<ServerProcess>();
const ownedDirs = new Set<string>();

export function makeTempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `${label}-`));
  ownedDirs.add(dir);
  return dir;
}

export class ServerProcess {
  /** Parsed JSON log lines from stdout, in order. */
  readonly logs: LogLine[] = [];
  /** stdout lines that are not JSON (should be none once the app logger exists). */
  readonly rawStdout: string[] = [];
  readonly exited: Promise<ProcessExit>;

  private waiters: LogWaiter[] = [];
  private readonly server: LaunchedServer;

  private constructor(
    launchServer: (onStdoutLine: (line: string) => void) => LaunchedServer,
    readonly cwd: string,
  ) {
    this.server = launchServer((line) => {
      this.onStdoutLine(line);
    });
    this.exited = this.server.exited.then((exit) => {
      running.delete(this);
      for (const waiter of this.waiters) {
        clearTimeout(waiter.timer);
        waiter.reject(
          new Error(
            `Server exited (${describeExit(exit)}) before the awaited log line\n${this.tail()}`,
          ),
        );
      }
      this.waiters = [];
      return exit;
    });
  }

  /** Spawns `node dist/src/main.js`; resolves as soon as the process exists. */
  static async spawn(options: SpawnOptions = {}): Promise<ServerProcess> {
    if (!existsSync(SERVER_ENTRY)) {
      throw new Error(`${SERVER_ENTRY} is missing: run \`npm run build\` first`);
    }
    const port = options.port ?? (await freePort());
    const cwd = options.cwd ?? makeTempDir('server-process');
    const env: ServerEnv = {
      PATH: process.env.PATH,
      ...BASE_ENV,
      PORT: String(port),
      ...options.env,
    };
    const server = new ServerProcess(
      (onStdoutLine) =>
        launch({
          entry: SERVER_ENTRY,
          nodeArgs: options.nodeArgs ?? [],
          env,
          cwd,
          port,
          capture: { kind: 'pipe' },
          onStdoutLine,
        }),
      cwd,
    );
    running.add(server);
    return server;
  }

  /**
   * Spawns and waits for `Listening` then `/ready` 200. A port taken between picking and
   * binding (another process on the machine) is retried on a new port, a few times.
   */
  static async start(options: StartOptions = {}): Promise<ServerProcess> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    for (let attempt = 1; ; attempt += 1) {
      const server = await ServerProcess.spawn(options);
      try {
        await server.waitForLogCount(
          (l) => l.msg === 'Listening',
          options.listening ?? 1,
          timeoutMs,
        );
      } catch (error: unknown) {
        const portTaken = server.output().includes('EADDRINUSE');
        await server.stop();
        if (portTaken && options.port === undefined && attempt < 3) {
          continue;
        }
        throw error;
      }
      await server.waitForReady(timeoutMs);
      return server;
    }
  }

  get port(): number {
    return this.server.port;
  }

  get pid(): number {
    return this.server.pid;
  }

  get exit(): ProcessExit | null {
    return this.server.exit;
  }

  /** Everything the process wrote to stderr. */
  get stderr(): string {
    return this.server.stderr;
  }

  get isRunning(): boolean {
    return this.server.isRunning;
  }

  /** Sends a signal; returns performance.now() just before sending. */
  kill(signal: NodeJS.Signals = 'SIGTERM'): number {
    return this.server.kill(signal);
  }

  /**
   * SIGKILLs the process if still running and waits for it to be gone; then SIGKILLs any
   * cluster worker it forked that outlived it (by pid, only if that pid still runs the
   * server entry). Workers exit on their own when the primary's IPC channel closes; this
   * is the belt to that pair of braces.
   */
  async stop(): Promise<void> {
    await this.server.stop(0, 15_000);
    await this.exited;
    for (const { pid } of this.workers()) {
      if (isServerProcess(pid)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
  }

  /**
   * Every worker the cluster primary forked so far, in order (`Worker started` lines; the
   * line's own `pid` field is the worker's, written after pino's base `pid`).
   */
  workers(): WorkerInfo[] {
    return this.logs
      .filter((l) => l.msg === 'Worker started')
      .map((l) => ({ workerId: Number(l.workerId), pid: Number(l.pid) }));
  }

  /** Workers started and not yet reported dead or stopped by the primary. */
  liveWorkers(): WorkerInfo[] {
    const gone = new Set(
      this.logs
        .filter((l) => l.msg === 'Worker died unexpectedly' || l.msg === 'Worker stopped')
        .map((l) => Number(l.workerId)),
    );
    return this.workers().filter((w) => !gone.has(w.workerId));
  }

  /** Log lines that match, so far. */
  logsMatching(predicate: (line: LogLine) => boolean): LogLine[] {
    return this.logs.filter(predicate);
  }

  /** Resolves with the matching lines once there are `count` of them; fails fast if the process exits. */
  async waitForLogCount(
    predicate: (line: LogLine) => boolean,
    count: number,
    timeoutMs = 30_000,
  ): Promise<LogLine[]> {
    const deadline = performance.now() + timeoutMs;
    const maxPolls = Math.ceil(timeoutMs / 20) + 1;
    let matching: LogLine[] = [];
    for (let poll = 0; poll < maxPolls; poll += 1) {
      matching = this.logs.filter(predicate);
      if (matching.length >= count) {
        return matching;
      }
      const exit = this.exit;
      if (exit !== null) {
        throw new Error(
          `Server exited (${describeExit(exit)}) after ${matching.length} of ${count} matching log lines\n${this.tail()}`,
        );
      }
      if (performance.now() > deadline) {
        break;
      }
      await sleep(20);
    }
    throw new Error(
      `Only ${matching.length} of ${count} matching log lines within ${timeoutMs} ms\n${this.tail()}`,
    );
  }

  /** The first log line (already seen or to come) that matches. */
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs = 30_000): Promise<LogLine> {
    const seen = this.logs.find(predicate);
    if (seen !== undefined) {
      return Promise.resolve(seen);
    }
    const exit = this.exit;
    if (exit !== null) {
      return Promise.reject(
        new Error(`Server already exited (${describeExit(exit)})\n${this.tail()}`),
      );
    }
    return new Promise((resolveLine, reject) => {
      const waiter: LogWaiter = {
        predicate,
        resolve: resolveLine,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(new Error(`No matching log line within ${timeoutMs} ms\n${this.tail()}`));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** Polls GET /ready (a new connection each time) until 200; fails fast if the process exits. */
  async waitForReady(timeoutMs = 60_000): Promise<void> {
    try {
      await this.server.waitForReady({ path: '/ready', timeoutMs, intervalMs: 100 });
    } catch (error: unknown) {
      // The launcher's tail has no stdout (it went to the log parser): this one does.
      throw new Error(`${errorCode(error).split('\n')[0] ?? ''}\n${this.tail()}`);
    }
  }

  /** Time from `since` (performance.now()) to the exit, once exited. */
  exitedAfter(since: number): number {
    const exit = this.exit;
    if (exit === null) {
      throw new Error('still running');
    }
    return exit.at - since;
  }

  /** Every message logged, in order (JSON lines only). */
  messages(): string[] {
    return this.logs.map((l) => l.msg ?? '');
  }

  /** Everything the process wrote, stdout then stderr (for "the message says" checks). */
  output(): string {
    return [...this.logs.map((l) => JSON.stringify(l)), ...this.rawStdout, this.stderr].join('\n');
  }

  /** The last lines of output, for failure messages. */
  tail(lines = 40): string {
    const out = [...this.logs.map((l) => JSON.stringify(l)), ...this.rawStdout]
      .slice(-lines)
      .join('\n');
    const err = this.stderr.split('\n').slice(-lines).join('\n');
    return `--- stdout (last ${lines}) ---\n${out}\n--- stderr (last ${lines}) ---\n${err}`;
  }

  private onStdoutLine(part: string): void {
    if (part.trim() === '') {
      return;
    }
    const line = parseLogLine(part);
    if (line === null) {
      this.rawStdout.push(part);
      return;
    }
    this.logs.push(line);
    for (const waiter of [...this.waiters]) {
      if (waiter.predicate(line)) {
        clearTimeout(waiter.timer);
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.resolve(line);
      }
    }
  }
}

function parseLogLine(text: string): LogLine | null {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && 'level' in value) {
      return value as LogLine;
    }
  } catch {
    // Not JSON.
  }
  return null;
}

/** The pid is alive (signal 0 reaches it). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error: unknown) {
    return errorCode(error) === 'EPERM';
  }
}

/** The pid is alive and runs the built server (Linux /proc; guards against a reused pid). */
function isServerProcess(pid: number): boolean {
  if (pid <= 0 || !isAlive(pid)) {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(SERVER_ENTRY);
  } catch {
    return false;
  }
}

/** Waits (bounded, polling every 20 ms) until `condition` holds. */
export async function eventually(
  condition: () => boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const until = performance.now() + timeoutMs;
  for (let poll = 0; !condition(); poll += 1) {
    if (performance.now() > until || poll > timeoutMs / 20 + 1) {
      throw new Error(`Timed out waiting for ${what} (${timeoutMs} ms)`);
    }
    await sleep(20);
  }
}

/**
 * The lifecycle a process suite shares: one database for the suite, the servers it
 * started stopped after each test (unless `stopAfterEach` is false) and at the end, the
 * database dropped last. The returned URL can be read once `beforeAll` has run.
 */
export function processSuiteDatabase(
  name: string,
  options: { readonly stopAfterEach?: boolean } = {},
): { readonly url: string } {
  let db: TestDatabase | undefined;
  beforeAll(async () => {
    db = await createTestDatabase(name);
  }, 30_000);
  if (options.stopAfterEach !== false) {
    afterEach(async () => {
      await stopAllServers();
    }, 30_000);
  }
  afterAll(async () => {
    await stopAllServers();
    await db?.drop();
  }, 30_000);
  return {
    get url(): string {
      if (db === undefined) {
        throw new Error(`the ${name} database is created in beforeAll`);
      }
      return db.url;
    },
  };
}

/** SIGKILLs every child still running and removes the temp dirs this helper made. */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...running].map((s) => s.stop()));
  for (const dir of ownedDirs) {
    rmSync(dir, { recursive: true, force: true });
  }
  ownedDirs.clear();
}

// ---------------------------------------------------------------------------------------
// HTTP client: the tooling's one (scripts/lib/loopback-http.ts), with the suites' signature

export interface RequestOptions {
  readonly method?: 'GET' | 'POST';
  /** Sent as JSON (`content-type: application/json`); a POST without one sends no body. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** `false` (default): a new connection, closed after the response. */
  readonly agent?: http.Agent | false;
  /** Socket inactivity after which the request fails with CLIENT_TIMEOUT. */
  readonly timeoutMs?: number;
}

export function httpRequest(
  port: number,
  path: string,
  options: RequestOptions = {},
): Promise<HttpResponse> {
  return request({ ...options, port, path });
}

/**
 * One keep-alive connection held by each of `workers` cluster workers. With SCHED_NONE the
 * kernel, not the primary, picks the worker that accepts a connection, and it may hand many
 * in a row to one: connections are opened (at most 50) until every worker holds one, told
 * apart by the pid on the access-log line of a request sent on each (GET
 * /api/v1/products?limit=1: operational paths are not access-logged); the extras are closed.
 * The caller destroys the agents.
 */
export async function connectionPerWorker(
  server: ServerProcess,
  workers: number,
): Promise<http.Agent[]> {
  const byPid = new Map<number, http.Agent>();
  for (let i = 0; i < 50 && byPid.size < workers; i += 1) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const res = await httpRequest(server.port, '/api/v1/products?limit=1', { agent });
    const requestId = res.headers['x-request-id'];
    const lineOf = (): LogLine | undefined =>
      server.logs.find((l) => l.requestId === requestId && l.pid !== undefined);
    await eventually(
      () => lineOf() !== undefined,
      5_000,
      `the access-log line of request ${String(requestId)}`,
    );
    const pid = Number(lineOf()?.pid);
    if (byPid.has(pid)) {
      agent.destroy();
    } else {
      byPid.set(pid, agent);
    }
  }
  if (byPid.size < workers) {
    byPid.forEach((agent) => {
      agent.destroy();
    });
    throw new Error(`50 connections reached ${byPid.size} of ${workers} workers`);
  }
  return [...byPid.values()];
}

/** Errors a client sees when the server is gone or closing: never a response at all. */
export const CONNECTION_ERRORS: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
]);

export function parseJson(body: string): unknown {
  return JSON.parse(body);
}

// ---------------------------------------------------------------------------------------
// Load: client loops with bounded count and time, every outcome recorded

export interface LoadOutcome {
  readonly client: number;
  readonly path: string;
  /** performance.now() when the request was sent, and when it settled. */
  readonly sentAt: number;
  readonly doneAt: number;
  readonly status?: number;
  readonly error?: string;
  readonly connection?: string;
}

export interface LoadOptions {
  readonly port: number;
  readonly clients: number;
  /** Client i sends paths[(i + n) % paths.length] as its n-th request. */
  readonly paths: ReadonlyArray<{ readonly path: string; readonly method?: 'GET' | 'POST' }>;
  /** Each client on its own keep-alive agent (one socket), or a new connection per request. */
  readonly keepAlive: boolean;
  /** A client stops at its first error (a closing server), or keeps going (a crashed worker). */
  readonly stopOnError: boolean;
  /** Pause between two requests of one client. */
  readonly pauseMs?: number;
  readonly requestTimeoutMs?: number;
  /** Hard bounds of the whole run, whatever happens. */
  readonly maxRequestsPerClient: number;
  readonly maxMs: number;
}

export interface Load {
  readonly outcomes: LoadOutcome[];
  /** Stops every client after its current request and waits for them (bounded). */
  stop(): Promise<LoadOutcome[]>;
  /** Resolves when every client has ended on its own (errors, bounds). */
  readonly done: Promise<void>;
}

export const isOk = (o: LoadOutcome): boolean =>
  o.status !== undefined && o.status >= 200 && o.status < 300;

export function startLoad(options: LoadOptions): Load {
  const outcomes: LoadOutcome[] = [];
  let stopped = false;
  const agents: http.Agent[] = [];
  const until = performance.now() + options.maxMs;
  const client = async (index: number): Promise<void> => {
    const agent = options.keepAlive ? new http.Agent({ keepAlive: true, maxSockets: 1 }) : false;
    if (agent !== false) {
      agents.push(agent);
    }
    for (
      let n = 0;
      n < options.maxRequestsPerClient && !stopped && performance.now() < until;
      n += 1
    ) {
      const { path, method } = options.paths[(index + n) % options.paths.length]!;
      const sentAt = performance.now();
      try {
        const res = await httpRequest(options.port, path, {
          method: method ?? 'GET',
          agent,
          timeoutMs: options.requestTimeoutMs ?? 10_000,
        });
        outcomes.push({
          client: index,
          path,
          sentAt,
          doneAt: performance.now(),
          status: res.status,
          connection: res.headers.connection,
        });
      } catch (error: unknown) {
        outcomes.push({
          client: index,
          path,
          sentAt,
          doneAt: performance.now(),
          error: errorCode(error),
        });
        if (options.stopOnError) {
          return;
        }
      }
      if (options.pauseMs !== undefined && options.pauseMs > 0) {
        await sleep(options.pauseMs);
      }
    }
  };
  const done = Promise.all(Array.from({ length: options.clients }, (_, i) => client(i))).then(
    () => undefined,
  );
  return {
    outcomes,
    done,
    stop: async () => {
      stopped = true;
      try {
        await within(
          done,
          (options.requestTimeoutMs ?? 10_000) + 5_000,
          'load clients did not stop',
        );
      } finally {
        for (const agent of agents) {
          agent.destroy();
        }
      }
      return outcomes;
    },
  };
}

// ---------------------------------------------------------------------------------------
// Prometheus text format

/**
 * The value of one sample of `/metrics` text: `name` with exactly these labels (all of
 * them, in any order); `undefined` when absent.
 */
export function metricValue(
  body: string,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number | undefined {
  const wanted = Object.entries(labels);
  for (const line of body.split('\n')) {
    if (line.startsWith('#')) {
      continue;
    }
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (match === null || match[1] !== name) {
      continue;
    }
    const found = new Map(
      [...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [
        m[1]!,
        m[2]!,
      ]),
    );
    if (found.size === wanted.length && wanted.every(([k, v]) => found.get(k) === v)) {
      return Number(match[3]);
    }
  }
  return undefined;
}
