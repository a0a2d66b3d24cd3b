import { Injectable, Logger } from '@nestjs/common';

/**
 * Whether this process is still taking work. Readiness reads it (503 from the first
 * moment of shutdown), the HTTP layer adds `Connection: close` while draining, and the job
 * queue and outbox relay stop taking new work when it begins.
 */
@Injectable()
export class LifecycleService {
  private readonly logger = new Logger(LifecycleService.name);
  private shuttingDownSince: number | null = null;
  private readonly listeners: Array<() => void> = [];

  get isShuttingDown(): boolean {
    return this.shuttingDownSince !== null;
  }

  /** When shutdown began (epoch ms), or null while serving. */
  get shutdownStartedAt(): number | null {
    return this.shuttingDownSince;
  }

  /** `listener` runs once, when shutdown begins (at once if it already has). */
  onShutdown(listener: () => void): void {
    if (this.isShuttingDown) {
      this.notify(listener);
      return;
    }
    this.listeners.push(listener);
  }

  beginShutdown(): void {
    if (this.shuttingDownSince !== null) {
      return;
    }
    this.shuttingDownSince = Date.now();
    for (const listener of this.listeners.splice(0)) {
      this.notify(listener);
    }
  }

  private notify(listener: () => void): void {
    try {
      listener();
    } catch (error: unknown) {
      this.logger.warn({
        msg: 'A shutdown listener failed',
        reason: error instanceof Error ? error.message : String(error),
      });
    }
  }
}
