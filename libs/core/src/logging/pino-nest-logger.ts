import type { LoggerService } from '@nestjs/common';
import type { Logger } from 'pino';

import { requestLogger } from './request-logger';

/**
 * Nest's logger interface over pino: every `new Logger(Context)` call in the app writes
 * through the current request's logger (its lines carry the `requestId`), or through the
 * root logger outside a request (start-up, timers, a failed boot). JSON lines only, never
 * Nest's coloured console output.
 */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(
    level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace',
    message: unknown,
    rest: unknown[],
  ): void {
    const context =
      typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    const fields: Record<string, unknown> = context === undefined ? {} : { context };
    const logger = requestLogger() ?? this.logger;
    if (message instanceof Error) {
      logger[level]({ ...fields, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      logger[level]({ ...fields, ...(message as Record<string, unknown>) });
    } else {
      // Nest's own error() passes (message, stack, context).
      const stack =
        level === 'error' && rest.length >= 2 && typeof rest[0] === 'string' ? rest[0] : undefined;
      logger[level]({ ...fields, ...(stack === undefined ? {} : { stack }) }, String(message));
    }
  }
}
