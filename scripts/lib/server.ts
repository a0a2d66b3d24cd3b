/**
 * The one way the tooling starts a server as a child process: the built service for the
 * process suites (`test/utils/server-process.ts`), the bench (`bench/run.ts`, the baseline
 * and the platform servers of `bench/platforms/run.ts`, `bench/login-flood.ts`) and the
 * soak (`scripts/soak.ts`).
 *
 * `launch()` spawns `node [nodeArgs] entry [args]` with exactly the environment it is
 * given, captures its output (stdout as lines to listeners and stderr in memory, or both
 * straight to files so that a busy server's logs cost the launching process nothing),
 * `waitForReady()` polls GET /ready (or another path) on 127.0.0.1 until it answers 200 and
 * fails fast when the process dies, and `stop()` sends SIGTERM, then SIGKILL after a bound.
 * Every launched process is tracked: `stopAll()` ends what is left, and `killAllOnExit()`
 * (for command-line tools) SIGKILLs it if the launching process exits first.
 *
 * Imported by Jest too (through its swc transform, as CommonJS): no import.meta, no
 * top-level await here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

import { errorCode, request } from './loopback-http.ts';

export type ServerEnv = Readonly<Record<string, string | undefined>>;

/** Where the output goes: `pipe` (lines to listeners, stderr kept) or two files. */
export type Capture =
  | { readonly kind: 'pipe' }
  | { readonly kind: 'files'; readonly stdoutFile: string; readonly stderrFile: string };

export interface LaunchOptions {
  /** The script node runs (e.g. dist/src/main.js). */
  readonly entry: string;
  /** Arguments after the entry. */
  readonly args?: readonly string[];
  /** Node options before the entry (e.g. --cpu-prof, the permission model's flags). */
  readonly nodeArgs?: readonly string[];
  /** The whole environment of the child (`undefined` values are left out): nothing leaks in. */
  readonly env: ServerEnv;
  readonly cwd: string;
  /** The port it listens on, for waitForReady(). */
  readonly port: number;
  /** Default: pipe. */
  readonly capture?: Capture;
  /** Called with every stdout line (pipe capture), in order, from the first one. */
  readonly onStdoutLine?: (line: string) => void;
  /** How much of stderr to keep in memory (pipe capture), from the end. Default 4 MiB. */
  readonly stderrLimit?: number;
}

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** performance.now() when the process exited. */
  readonly at: number;
  /** Time from spawn to exit. */
  readonly uptimeMs: number;
}

export interface ReadyOptions {
  /** Default /ready. */
  readonly path?: string;
  /** Default 60 s. */
  readonly timeoutMs?: number;
  /** Pause between two polls; default 100 ms. */
  readonly intervalMs?: number;
  /** Timeout of one poll; default 5 s. */
  readonly requestTimeoutMs?: number;
}

const running = new Set<LaunchedServer>();

export class LaunchedServer {
  readonly port: number;
  /** performance.now() at spawn. */
  readonly startedAt = performance.now();
  /** Resolves once the process has exited and its output is fully read. */
  readonly exited: Promise<ProcessExit>;
  private exitInfo: ProcessExit | null = null;
  private stderrText = '';
  private partial = '';
  private readonly child: ChildProcess;
  private readonly capture: Capture;
  private readonly stderrLimit: number;
  private readonly onStdoutLine: ((line: string) => void) | undefined;

  constructor(o: LaunchOptions) {
    this.port = o.port;
    this.capture = o.capture ?? { kind: 'pipe' };
    this.stderrLimit = o.stderrLimit ?? 4 * 2 ** 20;
    this.onStdoutLine = o.onStdoutLine;
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(o.env)) {
      if (value !== undefined) {
        env[key] = value;
      }
    }
    const argv = [...(o.nodeArgs ?? []), o.entry, ...(o.args ?? [])];
    if (this.capture.kind === 'files') {
      const out = openSync(this.capture.stdoutFile, 'a');
      const err = openSync(this.capture.stderrFile, 'a');
      try {
        this.child = spawn(process.execPath, argv, {
          cwd: o.cwd,
          env,
          stdio: ['ignore', out, err],
        });
      } finally {
        closeSync(out);
        closeSync(err);
      }
    } else {
      this.child = spawn(process.execPath, argv, {
        cwd: o.cwd,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      this.child.stdout?.setEncoding('utf8');
      this.child.stderr?.setEncoding('utf8');
      this.child.stdout?.on('data', (chunk: string) => {
        this.onStdout(chunk);
      });
      this.child.stderr?.on('data', (chunk: string) => {
        this.appendStderr(chunk);
      });
    }
    running.add(this);
    let exitAt: number | null = null;
    this.child.once('exit', () => {
      exitAt = performance.now();
    });
    this.child.once('error', (error) => {
      this.appendStderr(`\n[spawn error] ${error.message}\n`);
    });
    this.exited = new Promise((resolveExit) => {
      // 'close' comes after stdout/stderr are fully read: every line is in.
      this.child.once('close', (code, signal) => {
        this.onStdout('\n');
        const at = exitAt ?? performance.now();
        this.exitInfo = { code, signal, at, uptimeMs: at - this.startedAt };
        running.delete(this);
        resolveExit(this.exitInfo);
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** How it ended, once it has (and its output is read); null while it runs. */
  get exit(): ProcessExit | null {
    return this.exitInfo;
  }

  get isRunning(): boolean {
    return this.exitInfo === null;
  }

  /** stderr so far (pipe capture: the last `stderrLimit` characters; files: the file). */
  get stderr(): string {
    return this.capture.kind === 'files' ? readText(this.capture.stderrFile) : this.stderrText;
  }

  /** Sends a signal if it still runs; returns performance.now() just before sending. */
  kill(signal: NodeJS.Signals = 'SIGTERM'): number {
    const at = performance.now();
    if (this.isRunning && this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill(signal);
    }
    return at;
  }

  /**
   * Polls GET `path` (a new connection each time) until it answers 200; fails fast if the
   * process exits. Resolves with the time from spawn (ms).
   */
  async waitForReady(o: ReadyOptions = {}): Promise<number> {
    const path = o.path ?? '/ready';
    const timeoutMs = o.timeoutMs ?? 60_000;
    const intervalMs = o.intervalMs ?? 100;
    const deadline = performance.now() + timeoutMs;
    const maxAttempts = Math.ceil(timeoutMs / intervalMs) + 1;
    let last = 'no attempt';
    for (let attempt = 0; attempt < maxAttempts && performance.now() < deadline; attempt += 1) {
      if (
        this.exitInfo !== null ||
        this.child.exitCode !== null ||
        this.child.signalCode !== null
      ) {
        const exit = await this.exited;
        throw new Error(`Server exited (${describeExit(exit)}) before ${path}\n${this.tail()}`);
      }
      try {
        const res = await request({
          port: this.port,
          path,
          timeoutMs: o.requestTimeoutMs ?? 5_000,
        });
        if (res.status === 200) {
          return performance.now() - this.startedAt;
        }
        last = `status ${res.status}`;
      } catch (error: unknown) {
        last = errorCode(error);
      }
      await new Promise((resolvePause) => setTimeout(resolvePause, intervalMs));
    }
    throw new Error(`${path} not 200 within ${timeoutMs} ms (last: ${last})\n${this.tail()}`);
  }

  /**
   * SIGTERM, then SIGKILL after `graceMs` (0: SIGKILL at once); rejects if the process is
   * still there `killWaitMs` after the SIGKILL. Resolves with the time to exit (ms), 0
   * when it had already exited.
   */
  async stop(graceMs: number, killWaitMs = 15_000): Promise<number> {
    if (!this.isRunning) {
      return 0;
    }
    const started = performance.now();
    let killTimer: NodeJS.Timeout | undefined;
    let giveUpTimer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<never>((_, reject) => {
      const sigkill = (): void => {
        this.kill('SIGKILL');
        giveUpTimer = setTimeout(() => {
          reject(new Error(`pid ${this.pid} did not exit after SIGKILL (${killWaitMs} ms)`));
        }, killWaitMs);
      };
      if (graceMs <= 0) {
        sigkill();
      } else {
        this.kill('SIGTERM');
        killTimer = setTimeout(sigkill, graceMs);
      }
    });
    try {
      await Promise.race([this.exited, gaveUp]);
    } finally {
      clearTimeout(killTimer);
      clearTimeout(giveUpTimer);
    }
    return performance.now() - started;
  }

  /** The last `lines` lines of stdout and stderr, for failure messages. */
  tail(lines = 40): string {
    const last = (text: string): string => text.split('\n').slice(-lines).join('\n');
    const out =
      this.capture.kind === 'files'
        ? last(readText(this.capture.stdoutFile))
        : '(stdout went to the line listener)';
    return `--- stdout (last ${lines}) ---\n${out}\n--- stderr (last ${lines}) ---\n${last(this.stderr)}`;
  }

  private appendStderr(chunk: string): void {
    this.stderrText += chunk;
    if (this.stderrText.length > this.stderrLimit) {
      this.stderrText = this.stderrText.slice(-this.stderrLimit);
    }
  }

  private onStdout(chunk: string): void {
    const listener = this.onStdoutLine;
    if (listener === undefined) {
      return;
    }
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop() ?? '';
    for (const part of parts) {
      if (part !== '') {
        listener(part);
      }
    }
  }
}

/** Spawns the server; it runs as soon as this returns (see waitForReady()). */
export function launch(o: LaunchOptions): LaunchedServer {
  if (!existsSync(o.entry)) {
    throw new Error(`${o.entry} is missing (a server entry point to run)`);
  }
  return new LaunchedServer(o);
}

/** Every launched process still running. */
export function runningServers(): LaunchedServer[] {
  return [...running];
}

/** Stops every launched process still running (see LaunchedServer.stop). */
export async function stopAll(graceMs: number): Promise<void> {
  await Promise.all(runningServers().map((s) => s.stop(graceMs)));
}

let exitHook = false;
/** SIGKILLs every launched process still running when this process exits (command-line tools). */
export function killAllOnExit(): void {
  if (exitHook) {
    return;
  }
  exitHook = true;
  process.on('exit', () => {
    for (const server of running) {
      server.kill('SIGKILL');
    }
  });
}

export function describeExit(exit: ProcessExit): string {
  return `code ${String(exit.code)}, signal ${String(exit.signal)}`;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
