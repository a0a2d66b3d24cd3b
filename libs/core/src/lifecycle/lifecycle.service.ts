import { Injectable } from '@nestjs/common';

/**
 * Whether this process is still taking work. Readiness reads it (503 from the first
 * moment of shutdown) and the HTTP layer adds `Connection: close` while draining.
 */
@Injectable()
export class LifecycleService {
  private shuttingDownSince: number | null = null;

  get isShuttingDown(): boolean {
    return this.shuttingDownSince !== null;
  }

  beginShutdown(): void {
    this.shuttingDownSince ??= Date.now();
  }
}
