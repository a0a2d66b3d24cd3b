import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http, { type IncomingHttpHeaders } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

import { createTestDatabase, type TestDatabase } from './database';
import type { LogLine } from './log-capture';

/**
 * The built server (`npm run build` → dist/src/main.js) as a child process, for the
 * process-level suites: real signals, real sockets, real exit codes.
 * Every child is tracked, and `stopAllServers()` (afterEach/afterAll) SIGKILLs whatever
 * a failed test left running. All traffic goes to 127.0.0.1 only.
 */

export const REPO_ROOT = resolve(__dirname, '..', '..');
/**
 * The built server. PROCESS_SPEC_SERVER_ENTRY points the suites at another build (a copy of
 * dist/ with a deliberate bug, to check that a test can fail); never needed otherwise.
 */
export const SERVER_ENTRY =
  process.env.PROCESS_SPEC_SERVER_ENTRY ?? join(REPO_ROOT, 'dist', 'src', 'main.js');
export const LOOPBACK = '127.0.0.1';

export type ServerEnv = Readonly<Record<string, string | undefined>>;

/** Defaults of every child; a suite's own env wins (`undefined` removes a variable). */
const BASE_ENV: ServerEnv = {
  NODE_ENV: 'test',
  HOST: LOOPBACK,
  LOG_FORMAT: 'json',
  LOG_LEVEL: 'info',
  DOCS_ENABLED: 'false',
  TZ: 'UTC',
};

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** performance.now() when the process exited (compare with `kill()`'s return value). */
  readonly at: number;
  /** Time from spawn to exit. */
  readonly uptimeMs: number;
}

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

/** A port that was free a moment ago (listen on 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, LOOPBACK, () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => {
        resolvePort(port);
      });
    });
  });
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
  stderr = '';
  exit: ProcessExit | null = null;
  readonly exited: Promise<ProcessExit>;

  private readonly startedAt = performance.now();
  private partial = '';
  private waiters: LogWaiter[] = [];

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly cwd: string,
  ) {
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      this.onStdout(chunk);
    });
    child.stderr?.on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    let exitAt: number | null = null;
    child.once('exit', () => {
      exitAt = performance.now();
    });
    this.exited = new Promise((resolveExit) => {
      child.once('error', (error) => {
        this.stderr += `\n[spawn error] ${error.message}\n`;
      });
      // 'close' comes after stdout/stderr are fully read: every log line is in.
      child.once('close', (code, signal) => {
        this.onStdout('\n');
        const at = exitAt ?? performance.now();
        this.exit = { code, signal, at, uptimeMs: at - this.startedAt };
        running.delete(this);
        for (const waiter of this.waiters) {
          clearTimeout(waiter.timer);
          waiter.reject(
            new Error(
              `Server exited (${describeExit(this.exit)}) before the awaited log line\n${this.tail()}`,
            ),
          );
        }
        this.waiters = [];
        resolveExit(this.exit);
      });
    });
  }

  /** Spawns `node dist/src/main.js`; resolves as soon as the process exists. */
  static async spawn(options: SpawnOptions = {}): Promise<ServerProcess> {
    if (!existsSync(SERVER_ENTRY)) {
      throw new Error(`${SERVER_ENTRY} is missing: run \`npm run build\` first`);
    }
    const port = options.port ?? (await freePort());
    const cwd = options.cwd ?? makeTempDir('server-process');
    const env: Record<string, string> = {};
    const merged: ServerEnv = {
      PATH: process.env.PATH,
      ...BASE_ENV,
      PORT: String(port),
      ...options.env,
    };
    for (const [key, value] of Object.entries(merged)) {
      if (value !== undefined) {
        env[key] = value;
      }
    }
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), SERVER_ENTRY], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const server = new ServerProcess(child, port, cwd);
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

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get isRunning(): boolean {
    return this.exit === null;
  }

  /** Sends a signal; returns performance.now() just before sending. */
  kill(signal: NodeJS.Signals = 'SIGTERM'): number {
    const at = performance.now();
    if (this.isRunning) {
      this.child.kill(signal);
    }
    return at;
  }

  /**
   * SIGKILLs the process if still running and waits for it to be gone; then SIGKILLs any
   * cluster worker it forked that outlived it (by pid, only if that pid still runs the
   * server entry). Workers exit on their own when the primary's IPC channel closes; this
   * is the belt to that pair of braces.
   */
  async stop(): Promise<void> {
    if (this.isRunning) {
      this.child.kill('SIGKILL');
    }
    await within(this.exited, 15_000, `pid ${this.pid} did not die after SIGKILL`);
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
      if (this.exit !== null) {
        throw new Error(
          `Server exited (${describeExit(this.exit)}) after ${matching.length} of ${count} matching log lines\n${this.tail()}`,
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
    if (this.exit !== null) {
      return Promise.reject(
        new Error(`Server already exited (${describeExit(this.exit)})\n${this.tail()}`),
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
    const deadline = performance.now() + timeoutMs;
    const maxAttempts = Math.ceil(timeoutMs / 100) + 1;
    let last = 'no attempt';
    for (let attempt = 0; attempt < maxAttempts && performance.now() < deadline; attempt += 1) {
      if (this.exit !== null) {
        throw new Error(`Server exited (${describeExit(this.exit)}) before /ready\n${this.tail()}`);
      }
      try {
        const res = await httpRequest(this.port, '/ready', { timeoutMs: 5_000 });
        if (res.status === 200) {
          return;
        }
        last = `status ${res.status}`;
      } catch (error: unknown) {
        last = errorCode(error);
      }
      await sleep(100);
    }
    throw new Error(`/ready not 200 within ${timeoutMs} ms (last: ${last})\n${this.tail()}`);
  }

  /** Time from `since` (performance.now()) to the exit, once exited. */
  exitedAfter(since: number): number {
    if (this.exit === null) {
      throw new Error('still running');
    }
    return this.exit.at - since;
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

  private onStdout(chunk: string): void {
    const text = this.partial + chunk;
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const part of parts) {
      if (part.trim() === '') {
        continue;
      }
      const line = parseLogLine(part);
      if (line === null) {
        this.rawStdout.push(part);
        continue;
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

function describeExit(exit: ProcessExit): string {
  return `code ${String(exit.code)}, signal ${String(exit.signal)}`;
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
// HTTP client (node:http, so keep-alive behaviour is the real agent's)

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The request went over a kept-alive socket that had served a previous request. */
  readonly reusedSocket: boolean;
}

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
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string> = { ...options.headers };
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  } else if (options.method === 'POST') {
    headers['content-length'] = '0';
  }
  return new Promise((resolveResponse, reject) => {
    const req = http.request(
      {
        host: LOOPBACK,
        port,
        path,
        method: options.method ?? 'GET',
        agent: options.agent ?? false,
        headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('error', reject);
        res.once('end', () => {
          resolveResponse({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            reusedSocket: req.reusedSocket,
          });
        });
      },
    );
    req.setTimeout(options.timeoutMs ?? 30_000, () => {
      req.destroy(Object.assign(new Error(`no response from ${path}`), { code: 'CLIENT_TIMEOUT' }));
    });
    req.once('error', reject);
    req.end(payload);
  });
}

/** `ECONNREFUSED`, `ECONNRESET` ("socket hang up" is ECONNRESET too)... or the message. */
export function errorCode(error: unknown): string {
  // Duck-typed: errors from node core are not `instanceof Error` inside Jest's sandbox.
  if (typeof error === 'object' && error !== null) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (typeof code === 'string') {
      return code;
    }
    if (typeof message === 'string') {
      return message;
    }
  }
  return String(error);
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
