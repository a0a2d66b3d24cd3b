/**
 * The process's handlers for its first moments: loading OpenTelemetry and the app's modules
 * takes a while, and until installProcessHandlers() (or the cluster primary) takes over, a
 * SIGTERM would kill the process by signal and a crash would leave no structured log line.
 * This guard logs one line (the boot logger's JSON shape, on stderr) and exits: 0 for a
 * signal (nothing was serving, nothing to drain), 1 for a crash.
 * It imports nothing that OpenTelemetry patches: it is loaded before instrumentation.
 */
import { writeSync } from 'node:fs';

type Listener = (value: unknown) => void;

let installed: ReadonlyArray<readonly [string, Listener]> = [];

/** Blocks this thread for `ms` (no event loop is needed: the process is about to exit). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * One synchronous line on stderr. A pipe that is full answers EAGAIN (stderr may be
 * non-blocking): retry for up to a second, as pino's sync destination does, then give up.
 */
function logLine(level: 'warn' | 'fatal', fields: Record<string, unknown>, msg: string): void {
  const line = { level, time: new Date().toISOString(), pid: process.pid, ...fields, msg };
  let pending = Buffer.from(`${JSON.stringify(line)}\n`);
  for (let attempt = 0; attempt < 100 && pending.length > 0; attempt += 1) {
    try {
      pending = pending.subarray(writeSync(2, pending));
    } catch (error: unknown) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') {
        return; // stderr is gone: exiting is all that is left.
      }
      pause(10);
    }
  }
}

function serializeError(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    return { type: error.name, message: error.message, stack: error.stack };
  }
  return { message: String(error) };
}

/** Installs the guard (once); main.ts does it through its first import, install-boot-guard. */
export function installBootGuard(
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  if (installed.length > 0) {
    return;
  }
  const onSignal =
    (signal: NodeJS.Signals): Listener =>
    () => {
      logLine('warn', { signal }, 'Signal received while starting: nothing to drain, exiting');
      exit(0);
    };
  const onCrash =
    (kind: string): Listener =>
    (error) => {
      logLine(
        'fatal',
        { kind, err: serializeError(error) },
        `Process crashed (${kind}); shutting down`,
      );
      exit(1);
    };
  installed = [
    ['SIGTERM', onSignal('SIGTERM')],
    ['SIGINT', onSignal('SIGINT')],
    ['uncaughtException', onCrash('uncaughtException')],
    ['unhandledRejection', onCrash('unhandledRejection')],
  ];
  for (const [event, listener] of installed) {
    process.on(event, listener);
  }
}

/**
 * Hands over to the real handlers: called right after they are installed (same tick, so no
 * signal falls between the two). A no-op when the guard was never installed (tests, CLIs).
 */
export function releaseBootGuard(): void {
  for (const [event, listener] of installed) {
    process.removeListener(event, listener);
  }
  installed = [];
}
