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
import {
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';

import { ApiInternalErrorProblem, HealthCheckResultSchema, responseHeaders } from '../http/openapi';
import { LifecycleService } from '../lifecycle/lifecycle.service';
import { Public } from '../security/public.decorator';
import { RedisHealthIndicator } from './redis.health';

/** How long a probe waits for a dependency before calling it down. */
const PROBE_TIMEOUT_MS = 1_500;

@ApiTags('Operations')
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
  @ApiOperation({
    operationId: 'getHealth',
    summary: 'Liveness',
    description:
      'Answers 200 while the process can serve. Checks no dependency, so a database outage ' +
      'never gets the process restarted.',
  })
  @ApiOkResponse({ type: HealthCheckResultSchema, description: 'The process is alive.' })
  @ApiInternalErrorProblem()
  @Get('health')
  // Terminus' own documentation would add a 503 that liveness never answers.
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  /** Readiness: dependencies answer and the process is not shutting down. */
  @ApiOperation({
    operationId: 'getReadiness',
    summary: 'Readiness',
    description:
      'Answers 200 when the database (and Redis, when configured) answers, 503 otherwise and ' +
      "from the moment shutdown begins. Both carry Terminus' body as `application/json`.",
  })
  @ApiOkResponse({ type: HealthCheckResultSchema, description: 'Ready to take traffic.' })
  @ApiServiceUnavailableResponse({
    type: HealthCheckResultSchema,
    description: 'Not ready: a dependency is down, or the process is shutting down.',
    headers: responseHeaders('Retry-After'),
  })
  @ApiInternalErrorProblem()
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
