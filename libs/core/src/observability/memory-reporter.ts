import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';

import { AppConfig } from '../config/app-config';

const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** Logs rss, heap and external memory every MEMORY_LOG_INTERVAL_MS (0 = off). */
@Injectable()
export class MemoryReporter implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Memory');
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly config: AppConfig) {}

  onModuleInit(): void {
    const interval = this.config.observability.memoryLogIntervalMs;
    if (interval > 0) {
      this.timer = setInterval(() => {
        this.report();
      }, interval);
      this.timer.unref();
    }
  }

  onModuleDestroy(): void {
    if (this.timer !== null) {
      clearInterval(this.timer);
    }
  }

  report(): void {
    const usage = process.memoryUsage();
    this.logger.log({
      msg: 'Memory usage',
      rssMb: mb(usage.rss),
      heapUsedMb: mb(usage.heapUsed),
      heapTotalMb: mb(usage.heapTotal),
      externalMb: mb(usage.external),
    });
  }
}
