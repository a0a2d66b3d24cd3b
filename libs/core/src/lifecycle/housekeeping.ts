import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';

/** Periodic clean-up a module needs (expired keys, tokens): registered, never a timer of its own. */
export interface HousekeepingTask {
  /** Names the task in logs, e.g. `idempotency-keys.purge`. */
  readonly name: string;
  readonly everyMs: number;
  /** Returns how many rows (or items) it cleaned up. */
  run(): Promise<number>;
}

/**
 * The one place periodic clean-up runs. Modules register their tasks in `onModuleInit`;
 * once the application has started, each runs every `everyMs` (timers unref'd, so they never
 * hold the process open), a failure is logged and the next period tries again, and nothing
 * starts after shutdown began. A task is a bounded, idempotent DELETE, so two processes
 * running it in the same period do no harm.
 */
@Injectable()
export class Housekeeping implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(Housekeeping.name);
  private readonly tasks: HousekeepingTask[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private stopped = false;

  register(task: HousekeepingTask): void {
    this.tasks.push(task);
  }

  onApplicationBootstrap(): void {
    for (const task of this.tasks) {
      const timer = setInterval(() => void this.runNow(task), task.everyMs);
      timer.unref();
      this.timers.push(timer);
    }
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    for (const timer of this.timers) {
      clearInterval(timer);
    }
  }

  /** Runs `task` once; a failure is logged, never thrown. Returns what it cleaned up. */
  async runNow(task: HousekeepingTask): Promise<number> {
    if (this.stopped) {
      return 0;
    }
    try {
      const cleaned = await task.run();
      this.logger.log({ msg: 'Housekeeping task ran', task: task.name, cleaned });
      return cleaned;
    } catch (error: unknown) {
      this.logger.warn({
        msg: 'Housekeeping task failed; it runs again next period',
        task: task.name,
        reason: error instanceof Error ? error.message : String(error),
      });
      return 0;
    }
  }
}
