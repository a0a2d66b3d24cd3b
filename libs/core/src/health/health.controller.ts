import { Controller, Get, HttpStatus, Logger, Res, VERSION_NEUTRAL } from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
  type HealthCheckResult,
  type HealthIndicatorFunction,
} from '@nestjs/terminus';
import { ServiceUnavailableException } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import type { Response } from 'express';

import { LifecycleService } from '../lifecycle/lifecycle.service';
import { Public } from '../security/public.decorator';
import { RedisHealthIndicator } from './redis.health';

/** How long a probe waits for a dependency before calling it down. */
const PROBE_TIMEOUT_MS = 1_500;

@Public()
@SkipThrottle()
@Controller({ version: VERSION_NEUTRAL })
export class HealthController {
  private readonly logger = new Logger('Readiness');
  private lastReady: boolean | null = null;

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    private readonly lifecycle: LifecycleService,
  ) {}

  /** Liveness: the process can serve. No dependency checks, so an outage never restarts it. */
  @Get('health')
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  /** Readiness: dependencies answer and the process is not shutting down. */
  @Get('ready')
  async ready(@Res({ passthrough: true }) res: Response): Promise<HealthCheckResult> {
    const checks: HealthIndicatorFunction[] = [
      () => {
        const check = this.indicators.check('lifecycle');
        return this.lifecycle.isShuttingDown
          ? check.down({ message: 'shutting down' })
          : check.up();
      },
      () => this.db.pingCheck('database', { timeout: PROBE_TIMEOUT_MS }),
    ];
    if (this.redis.enabled) {
      checks.push(() => this.redis.ping('redis'));
    }
    try {
      const result = await this.health.check(checks);
      this.track(true, result);
      return result;
    } catch (error: unknown) {
      if (!(error instanceof ServiceUnavailableException)) {
        throw error;
      }
      // Terminus' own body, as load balancers and API.md expect, not a problem document.
      const result = error.getResponse() as HealthCheckResult;
      this.track(false, result);
      res.status(HttpStatus.SERVICE_UNAVAILABLE).setHeader('Retry-After', '5');
      return result;
    }
  }

  private track(ready: boolean, result: HealthCheckResult): void {
    if (this.lastReady === ready) {
      return;
    }
    this.lastReady = ready;
    if (ready) {
      this.logger.log({ msg: 'Ready' });
    } else {
      this.logger.warn({ msg: 'Not ready', error: result.error });
    }
  }
}
