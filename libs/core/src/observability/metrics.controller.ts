import { Controller, Get, Header, Res, VERSION_NEUTRAL } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';

import { ApiInternalErrorProblem } from '../http/openapi';
import { Public } from '../security/public.decorator';
import { MetricsService } from './metrics.service';

@ApiTags('Operations')
@Public()
@SkipThrottle()
@Controller({ path: 'metrics', version: VERSION_NEUTRAL })
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @ApiOperation({
    operationId: 'getMetrics',
    summary: 'Prometheus metrics',
    description:
      'Prometheus text format: process and Node.js defaults (including `nodejs_eventloop_lag_*`), ' +
      '`http_request_duration_seconds` by `method`, `route` (the template, e.g. ' +
      '`/api/v1/orders/:id`) and `status_code`, and `db_pool_connections{state}`.',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description: 'The metrics, `text/plain; version=0.0.4`.',
    schema: { type: 'string' },
  })
  @ApiInternalErrorProblem()
  @Get()
  @Header('Cache-Control', 'no-store')
  async scrape(@Res({ passthrough: true }) res: Response): Promise<string> {
    const body = await this.metrics.render();
    res.type(this.metrics.contentType);
    return body;
  }
}
