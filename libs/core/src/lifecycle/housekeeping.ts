import { Injectable, Logger } from '@nestjs/common';

import { AppConfig } from '../config/app-config';
import { JobQueue } from '../jobs/job-queue';

/** Periodic clean-up a module needs (expired keys, tokens): registered, never a timer of its own. */
export interface HousekeepingTask {
  /** Names the task in logs and its job queue, e.g. `idempotency-keys.purge`. */
  readonly name: string;
  /** When it runs: five-field cron, UTC; default `HOUSEKEEPING_CRON`. */
  readonly cron?: string;
  /** Returns how many rows (or items) it cleaned up. */
  run(): Promise<number>;
}

/**
 * The one place periodic clean-up is declared. Modules register their tasks in
 * `onModuleInit`; each becomes a scheduled job, so it runs once per occurrence across every
 * process and instance, in a process that runs jobs. A failed run is logged and the next
 * occurrence tries again; a run never overlaps the previous one.
 */
@Injectable()
export class Housekeeping {
  private readonly logger = new Logger(Housekeeping.name);

  constructor(
    private readonly jobs: JobQueue,
    private readonly config: AppConfig,
  ) {}

  register(task: HousekeepingTask): void {
    this.jobs.schedule({
      name: task.name,
      cron: task.cron ?? this.config.jobs.housekeepingCron,
      handle: async () => {
        const cleaned = await task.run();
        this.logger.log({ msg: 'Housekeeping task ran', task: task.name, cleaned });
      },
    });
  }
}
