import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http, { type IncomingHttpHeaders } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

import type { LogLine } from './log-capture';

/**
 * The built server (`npm run build` → dist/src/main.js) as a child process, for the
 * process-level suites: real signals, real sockets, real exit codes.
 * Every child is tracked, and `stopAllServers()` (afterEach/afterAll) SIGKILLs whatever
 * a failed test left running. All traffic goes to 127.0.0.1 only.
 */

export const REPO_ROOT = resolve(__dirname, '..', '..');
export const SERVER_ENTRY = join(REPO_ROOT, 'dist', 'src', 'main.js');
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
}

export interface StartOptions extends SpawnOptions {
  /** How long boot (Listening, then /ready 200) may take; PGlite initdb is slow on a loaded machine. */
  readonly timeoutMs?: number;
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
    const child = spawn(process.execPath, [SERVER_ENTRY], {
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
        await server.waitForLog((l) => l.msg === 'Listening', timeoutMs);
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

  /** SIGKILLs the process if still running and waits for it to be gone. */
  async stop(): Promise<void> {
    if (this.isRunning) {
      this.child.kill('SIGKILL');
    }
    await within(this.exited, 15_000, `pid ${this.pid} did not die after SIGKILL`);
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
  return new Promise((resolveResponse, reject) => {
    const req = http.request(
      {
        host: LOOPBACK,
        port,
        path,
        method: options.method ?? 'GET',
        agent: options.agent ?? false,
        headers: options.method === 'POST' ? { 'content-length': '0' } : {},
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
    req.end();
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
