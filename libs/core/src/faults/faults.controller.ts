import { Controller, HttpCode, Logger, Post, Query } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

import { Public } from '../security/public.decorator';

class DurationQuery {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(600_000)
  readonly ms: number = 1_000;
}

class LeakQuery {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_024)
  readonly mb: number = 10;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Failure drills for process-level tests and game days. Only mounted with
 * FAULT_INJECTION=true, which the config refuses in production.
 */
@ApiExcludeController()
@Public()
@Controller('_faults')
export class FaultsController {
  private readonly logger = new Logger(FaultsController.name);
  private readonly leaked: Buffer[] = [];

  /** An in-flight request that takes `ms` (drain tests). */
  @Post('delay')
  @HttpCode(200)
  async delay(@Query() query: DurationQuery): Promise<{ delayedMs: number }> {
    await sleep(query.ms);
    return { delayedMs: query.ms };
  }

  /** A promise rejection nobody handles, raised after the response is sent. */
  @Post('unhandled-rejection')
  @HttpCode(202)
  unhandledRejection(): { scheduled: true } {
    this.logger.warn({ msg: 'Fault injected: unhandled rejection' });
    setTimeout(() => {
      void Promise.reject(new Error('Injected unhandled rejection'));
    }, 10);
    return { scheduled: true };
  }

  /** An exception thrown outside any request (a timer callback). */
  @Post('uncaught-exception')
  @HttpCode(202)
  uncaughtException(): { scheduled: true } {
    this.logger.warn({ msg: 'Fault injected: uncaught exception' });
    setTimeout(() => {
      throw new Error('Injected uncaught exception');
    }, 10);
    return { scheduled: true };
  }

  /** Blocks the event loop for `ms`. */
  @Post('block')
  @HttpCode(200)
  block(@Query() query: DurationQuery): { blockedMs: number } {
    const until = Date.now() + query.ms;
    while (Date.now() < until) {
      // Busy wait on purpose.
    }
    return { blockedMs: query.ms };
  }

  /** Retains `mb` MiB that are never released. */
  @Post('leak')
  @HttpCode(200)
  leak(@Query() query: LeakQuery): { retainedMb: number } {
    this.leaked.push(Buffer.alloc(query.mb * 1024 * 1024, 1));
    return { retainedMb: this.leaked.reduce((sum, b) => sum + b.length, 0) / (1024 * 1024) };
  }
}
