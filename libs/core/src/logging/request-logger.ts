import { AsyncLocalStorage } from 'node:async_hooks';

import type { Logger } from 'pino';

interface RequestLogContext {
  readonly root: Logger;
  readonly requestId: string;
  child?: Logger;
}

/**
 * The logger of the request being served (a child of the root logger that carries its
 * `requestId`), for everything that runs on that request's behalf. accessLog() binds the
 * request; PinoNestLogger writes Nest `Logger` calls through requestLogger(). The child is
 * made on the request's first log line: most requests log nothing but their access line,
 * and a child costs a serialized, redacted set of bindings.
 */
const current = new AsyncLocalStorage<RequestLogContext>();

export const runWithRequestLogger = <T>(root: Logger, requestId: string, work: () => T): T =>
  current.run({ root, requestId }, work);

/** The current request's logger, or undefined outside a request. */
export function requestLogger(): Logger | undefined {
  const context = current.getStore();
  if (context === undefined) {
    return undefined;
  }
  context.child ??= context.root.child({ requestId: context.requestId });
  return context.child;
}
