import type { Server } from 'node:http';

import type { INestApplication } from '@nestjs/common';
import type { Logger } from 'pino';

import { releaseBootGuard } from './boot-guard';
import { LifecycleService } from './lifecycle.service';

export interface ShutdownTimings {
  readonly readyDelayMs: number;
  readonly timeoutMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The one way this process stops, whatever asked it to (SIGTERM, SIGINT, a crash):
 * readiness 503 → wait for load balancers → stop accepting → let in-flight requests
 * finish (keep-alive sockets are told `Connection: close`, idle ones are closed) →
 * close pool and Redis (Nest shutdown hooks) → flush logs → exit. A hard deadline
 * exits 1 whatever is still open.
 */
export class GracefulShutdown {
  private running: Promise<void> | null = null;
  /** The worst exit code asked for so far: a crash while already draining still exits 1. */
  private exitCode = 0;

  constructor(
    private readonly app: INestApplication,
    private readonly timings: ShutdownTimings,
    private readonly logger: Logger,
    private readonly exit: (code: number) => void = (code) => process.exit(code),
  ) {}

  run(reason: string, exitCode: number): Promise<void> {
    this.exitCode = Math.max(this.exitCode, exitCode);
    this.running ??= this.drain(reason);
    return this.running;
  }

  private async drain(reason: string): Promise<void> {
    const startedAt = Date.now();
    const server = this.app.getHttpServer() as Server;
    this.app.get(LifecycleService).beginShutdown();
    this.logger.info({ reason, ...this.timings }, 'Shutdown started: readiness is now 503');

    const deadline = setTimeout(() => {
      this.logger.error(
        { reason, timeoutMs: this.timings.timeoutMs },
        'Shutdown deadline passed: closing remaining connections and exiting',
      );
      server.closeAllConnections();
      this.finish(1);
    }, this.timings.timeoutMs);
    // Not unref'd: the deadline itself must keep the process alive until it fires.

    await sleep(this.timings.readyDelayMs);
    await new Promise<void>((resolve) => {
      const sweep = setInterval(() => {
        server.closeIdleConnections();
      }, 250);
      server.close(() => {
        clearInterval(sweep);
        resolve();
      });
      server.closeIdleConnections();
    });
    this.logger.info({ elapsedMs: Date.now() - startedAt }, 'HTTP server drained');

    try {
      await this.app.close();
    } catch (error: unknown) {
      this.logger.error({ err: error }, 'Error while closing resources');
      this.exitCode = 1;
    }
    clearTimeout(deadline);
    const { exitCode } = this;
    this.logger.info({ exitCode, elapsedMs: Date.now() - startedAt }, 'Shutdown complete');
    this.finish(exitCode);
  }

  private finish(code: number): void {
    this.logger.flush();
    this.exit(code);
  }
}

/**
 * Crash handling: a rejection nobody handled or an exception nobody caught leaves the
 * process in an unknown state, so it is logged at fatal and the process drains and exits 1
 * for its supervisor to replace.
 */
export function installProcessHandlers(
  currentLogger: () => Logger,
  shutdown: () => GracefulShutdown | null,
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  const crash = (kind: string) => (error: unknown) => {
    const logger = currentLogger();
    logger.fatal({ err: error, kind }, `Process crashed (${kind}); shutting down`);
    const graceful = shutdown();
    if (graceful === null) {
      logger.flush();
      exit(1);
      return;
    }
    void graceful.run(kind, 1);
  };
  process.on('unhandledRejection', crash('unhandledRejection'));
  process.on('uncaughtException', crash('uncaughtException'));
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      const graceful = shutdown();
      if (graceful === null) {
        const logger = currentLogger();
        logger.warn({ signal }, 'Signal received while starting: nothing to drain, exiting');
        logger.flush();
        exit(0);
        return;
      }
      void graceful.run(signal, 0);
    });
  }
  releaseBootGuard();
}
