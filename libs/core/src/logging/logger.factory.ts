import { trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

import type { AppConfig } from '../config/app-config';

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
    'mfaToken',
    'secret',
    'otpauthUrl',
    'recoveryCodes',
  ].flatMap((key) => [key, `*.${key}`, `*.*.${key}`]),
];

function lineOptions(level: string): LoggerOptions {
  return {
    level,
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
}

/** Each root logger's access logger: same level, format and destination, no redaction. */
const accessLoggers = new WeakMap<Logger, Logger>();

/**
 * The logger accessLog() writes with: the root's twin without redaction, since an access
 * line holds no field that could carry a secret (the path drops the query string), and
 * redaction was a tenth of a product GET's cost.
 */
export function accessLoggerOf(root: Logger): Logger {
  const access = accessLoggers.get(root);
  if (access === undefined) {
    throw new Error('accessLoggerOf(): not a logger made by createRootLogger()');
  }
  return access;
}

function destinationFor(config: AppConfig): DestinationStream {
  if (config.log.pretty) {
    return pino.transport({
      target: 'pino-pretty',
      options: { translateTime: 'SYS:HH:MM:ss.l', singleLine: true },
    });
  }
  // Synchronous stdout writes: nothing is lost when the process exits right after a log line.
  return pino.destination({ dest: 1, sync: true });
}

export function createRootLogger(config: AppConfig, destination?: DestinationStream): Logger {
  const stream = destination ?? destinationFor(config);
  const root = pino(
    { ...lineOptions(config.log.level), redact: { paths: REDACTED_PATHS, censor: '[Redacted]' } },
    stream,
  );
  accessLoggers.set(root, pino(lineOptions(config.log.level), stream));
  return root;
}
