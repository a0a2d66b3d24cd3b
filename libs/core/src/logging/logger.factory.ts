import type { IncomingMessage, ServerResponse } from 'node:http';

import { trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { pinoHttp, type HttpLogger } from 'pino-http';

import type { AppConfig } from '../config/app-config';
import { assignRequestId } from '../http/request-id';

/** Secrets never reach the logs, whatever object they ride in. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  ...[
    'password',
    'currentPassword',
    'newPassword',
    'passwordHash',
    'token',
    'accessToken',
    'refreshToken',
  ].flatMap((key) => [key, `*.${key}`, `*.*.${key}`]),
];

/** Operational routes: probes and scrapes are not logged at info on success. */
const OPERATIONAL_PATHS = new Set(['/health', '/ready', '/metrics']);

export function createRootLogger(config: AppConfig, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level: config.log.level,
    redact: { paths: REDACTED_PATHS, censor: '[Redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    base: { pid: process.pid },
    // Correlates log lines with traces when OpenTelemetry is on (no active span: nothing added).
    mixin: () => {
      const span = trace.getActiveSpan();
      if (span === undefined) {
        return {};
      }
      const { traceId, spanId } = span.spanContext();
      return { traceId, spanId };
    },
  };
  if (destination !== undefined) {
    return pino(options, destination);
  }
  if (config.log.pretty) {
    return pino({
      ...options,
      transport: {
        target: 'pino-pretty',
        options: { translateTime: 'SYS:HH:MM:ss.l', singleLine: true },
      },
    });
  }
  // Synchronous stdout writes: nothing is lost when the process exits right after a log line.
  return pino(options, pino.destination({ dest: 1, sync: true }));
}

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  return q === -1 ? raw : raw.slice(0, q);
}

/** Access logging and the per-request child logger (every line carries `requestId`). */
export function createHttpLogger(logger: Logger): HttpLogger {
  return pinoHttp({
    logger,
    genReqId: (req: IncomingMessage, res: ServerResponse) => assignRequestId(req, res),
    quietReqLogger: true,
    customAttributeKeys: { reqId: 'requestId' },
    customLogLevel: (req, res, error) => {
      const operational = OPERATIONAL_PATHS.has(pathOf(req.url));
      if (operational) {
        // A probe saying "not ready" is expected during outages and drains (the readiness
        // controller logs each transition once): warn, not an error per probe.
        return res.statusCode >= 400 ? 'warn' : 'debug';
      }
      if (error !== undefined || res.statusCode >= 500) {
        return 'error';
      }
      if (!res.writableFinished) {
        // The client left, or the server cut the request short (request timeout, drain).
        return 'warn';
      }
      return res.statusCode >= 400 ? 'warn' : 'info';
    },
    customSuccessMessage: (req, res, responseTime) =>
      res.writableFinished
        ? `${req.method ?? ''} ${pathOf(req.url)} ${res.statusCode} ${Math.round(responseTime)}ms`
        : `${req.method ?? ''} ${pathOf(req.url)} connection closed before the response finished (${Math.round(responseTime)}ms)`,
    customErrorMessage: (req, res) =>
      `${req.method ?? ''} ${pathOf(req.url)} ${res.statusCode} failed`,
    // The serializers get the raw Node objects. pino-http's default wrapping first builds
    // the full standard objects (every request and response header) on every request,
    // only for these to pick five fields: about a fifth of the access log's cost.
    wrapSerializers: false,
    serializers: {
      req: (req: IncomingMessage & { id?: unknown }) => ({
        id: req.id,
        method: req.method,
        path: pathOf(req.url),
        remoteAddress: req.socket.remoteAddress,
      }),
      // null: the connection closed before a response was sent.
      res: (res: ServerResponse) => ({ statusCode: res.headersSent ? res.statusCode : null }),
    },
  });
}
