import { AsyncLocalStorage } from 'node:async_hooks';

import type { Logger } from 'pino';

/**
 * The logger of the request being served (a child of the root logger that carries its
 * `requestId`), for everything that runs on that request's behalf. accessLog() binds it;
 * PinoNestLogger writes Nest `Logger` calls through it.
 */
const current = new AsyncLocalStorage<Logger>();

export const runWithRequestLogger = <T>(logger: Logger, work: () => T): T =>
  current.run(logger, work);

/** The current request's logger, or undefined outside a request. */
export const requestLogger = (): Logger | undefined => current.getStore();
