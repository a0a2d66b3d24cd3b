import { AsyncLocalStorage } from 'node:async_hooks';

import type { Logger } from 'pino';

interface LogContext {
  readonly root: Logger;
  /** The request being served, or the request that caused the job being run. */
  readonly requestId: string | null;
  /** Further bindings of every line (a job's `jobId` and `queue`). */
  readonly bindings: Readonly<Record<string, string>> | null;
  child?: Logger;
}

/**
 * The logger of the work being done (a child of the root logger that carries the request's
 * `requestId`, and for a job its `jobId` and `queue` too), for everything that runs on its
 * behalf. accessLog() binds a request, the job queue binds each job; PinoNestLogger writes
 * Nest `Logger` calls through requestLogger(). The child is made on the first log line: most
 * requests log nothing but their access line, and a child costs a serialized, redacted set
 * of bindings.
 */
const current = new AsyncLocalStorage<LogContext>();

export const runWithRequestLogger = <T>(root: Logger, requestId: string, work: () => T): T =>
  current.run({ root, requestId, bindings: null }, work);

/** Runs a job's handler with `jobId`, `queue` and the originating `requestId` on every line. */
export const runWithJobLogger = <T>(
  root: Logger,
  job: { readonly jobId: string; readonly queue: string; readonly requestId: string | null },
  work: () => T,
): T =>
  current.run(
    { root, requestId: job.requestId, bindings: { jobId: job.jobId, queue: job.queue } },
    work,
  );

/** The request id of the work being done (the request, or the job's originating request). */
export function currentRequestId(): string | null {
  return current.getStore()?.requestId ?? null;
}

/** The current request's (or job's) logger, or undefined outside one. */
export function requestLogger(): Logger | undefined {
  const context = current.getStore();
  if (context === undefined) {
    return undefined;
  }
  context.child ??= context.root.child({
    ...(context.requestId === null ? {} : { requestId: context.requestId }),
    ...context.bindings,
  });
  return context.child;
}
