import type { IncomingMessage, ServerResponse } from 'node:http';

import type { Level, Logger } from 'pino';

import { assignRequestId } from '../http/request-id';
import { accessLoggerOf } from './logger.factory';
import { runWithRequestLogger } from './request-logger';

/** Operational routes: probes and scrapes are not logged at info on success. */
const OPERATIONAL_PATHS = new Set(['/health', '/ready', '/metrics']);

type Request = IncomingMessage;
type Next = (error?: unknown) => void;

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  return q === -1 ? raw : raw.slice(0, q);
}

function levelOf(path: string, res: ServerResponse, failed: boolean): Level {
  if (OPERATIONAL_PATHS.has(path)) {
    // A probe saying "not ready" is expected during outages and drains (the readiness
    // controller logs each transition once): warn, not an error per probe.
    return res.statusCode >= 400 ? 'warn' : 'debug';
  }
  if (failed || res.statusCode >= 500) {
    return 'error';
  }
  if (!res.writableFinished) {
    // The client left, or the server cut the request short (request timeout, drain).
    return 'warn';
  }
  return res.statusCode >= 400 ? 'warn' : 'info';
}

/**
 * The request id, the request's child logger and one access-log line per request, as an
 * Express-style middleware installed first.
 *
 * It does what pino-http and nestjs-pino did for this service at a fraction of their cost:
 * at most one child logger per request, made when the request first logs (`requestId` on
 * every line it logs, bound for the rest of the request with runWithRequestLogger()), not
 * two on every request, and no second middleware to bind it; the line is written once, from fields picked here, with a logger that skips
 * redaction (nothing in it can hold a secret: the path drops the query string), and only
 * when its level is enabled.
 */
export function accessLog(root: Logger): (req: Request, res: ServerResponse, next: Next) => void {
  const access = accessLoggerOf(root);
  return (req, res, next) => {
    const started = Date.now();
    const id = assignRequestId(req, res);
    req.id = id;
    let logged = false;
    const done = (error?: unknown): void => {
      if (logged) {
        return;
      }
      logged = true;
      const path = pathOf(req.url);
      const level = levelOf(path, res, error !== undefined);
      if (!access.isLevelEnabled(level)) {
        return;
      }
      const ms = Date.now() - started;
      const method = req.method ?? '';
      const status = res.headersSent ? res.statusCode : null;
      const msg =
        level === 'error'
          ? `${method} ${path} ${String(res.statusCode)} failed`
          : res.writableFinished
            ? `${method} ${path} ${String(res.statusCode)} ${String(ms)}ms`
            : `${method} ${path} connection closed before the response finished (${String(ms)}ms)`;
      access[level](
        {
          requestId: id,
          req: { id, method, path, remoteAddress: req.socket.remoteAddress },
          // null: the connection closed before a response was sent.
          res: { statusCode: status },
          responseTime: ms,
          ...(error === undefined ? {} : { err: error }),
        },
        msg,
      );
    };
    // 'close' follows 'finish' on every response, and ends one cut short: one listener.
    res.once('close', () => {
      done();
    });
    res.once('error', (error: unknown) => {
      done(error);
    });
    runWithRequestLogger(root, id, next);
  };
}
