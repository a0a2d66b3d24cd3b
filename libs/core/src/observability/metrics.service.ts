import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';

import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { RequestHandler } from 'express';
import {
  AggregatorRegistry,
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics,
} from 'prom-client';
import type { DataSource } from 'typeorm';

/** IPC between a worker serving /metrics and the primary that aggregates every worker. */
export const METRICS_IPC = {
  request: 'app:metrics:request',
  response: 'app:metrics:response',
} as const;
const IPC_TIMEOUT_MS = 2_000;

// prom-client answers the primary's aggregation requests only in a process that has
// constructed an AggregatorRegistry (prometheus/client_js#747): without one a worker never
// replies and every cluster scrape times out. Constructed as this module loads, so a worker
// still booting replies too (with what it has) instead of stalling every scrape.
if (cluster.isWorker) {
  new AggregatorRegistry();
}

interface PoolStats {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

function poolOf(dataSource: DataSource): PoolStats | null {
  const master = (dataSource.driver as unknown as { master?: Partial<PoolStats> }).master;
  return master !== undefined && typeof master.totalCount === 'number'
    ? (master as PoolStats)
    : null;
}

/**
 * The process's Prometheus registry: prom-client's process and Node defaults (event-loop
 * lag included), HTTP durations by route template, the DB pool, and whatever counters
 * modules register. In cluster mode a scrape of any worker returns the whole instance.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;

  constructor(@InjectDataSource() dataSource: DataSource) {
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by method, route template and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    new Gauge({
      name: 'db_pool_connections',
      help: 'Database pool connections by state',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        const pool = poolOf(dataSource);
        this.set({ state: 'total' }, pool?.totalCount ?? 0);
        this.set({ state: 'idle' }, pool?.idleCount ?? 0);
        this.set({ state: 'waiting' }, pool?.waitingCount ?? 0);
      },
    });
    if (cluster.isWorker) {
      AggregatorRegistry.setRegistries([this.registry]);
    }
  }

  counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
    const existing = this.registry.getSingleMetric(name);
    if (existing instanceof Counter) {
      return existing;
    }
    return new Counter({ name, help, labelNames: [...labelNames], registers: [this.registry] });
  }

  /** Times every request; the label is the route template, never the raw URL. */
  httpMiddleware(): RequestHandler {
    return (req, res, next) => {
      const end = this.httpDuration.startTimer();
      res.once('finish', () => {
        const template = (req.route as { path?: unknown } | undefined)?.path;
        // No route template: a 404 matched no route; anything else was answered before
        // routing (body parsing, CORS). Never the raw URL.
        const route =
          typeof template !== 'string'
            ? res.statusCode === 404
              ? 'unmatched'
              : 'unknown'
            : template.includes('{*')
              ? 'unmatched'
              : `${req.baseUrl}${template}`;
        end({ method: req.method, route, status_code: String(res.statusCode) });
      });
      next();
    };
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** This process's metrics, or, in a cluster worker, the whole instance's via the primary. */
  async render(): Promise<string> {
    if (!cluster.isWorker || process.send === undefined) {
      return this.registry.metrics();
    }
    return this.askPrimary();
  }

  private askPrimary(): Promise<string> {
    const id = randomUUID();
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        process.off('message', onMessage);
        reject(new Error('metrics aggregation timed out'));
      }, IPC_TIMEOUT_MS);
      const onMessage = (message: unknown): void => {
        const m = message as { type?: unknown; id?: unknown; body?: unknown; error?: unknown };
        if (m.type !== METRICS_IPC.response || m.id !== id) {
          return;
        }
        clearTimeout(timer);
        process.off('message', onMessage);
        if (typeof m.body === 'string') {
          resolve(m.body);
        } else {
          reject(new Error(typeof m.error === 'string' ? m.error : 'metrics aggregation failed'));
        }
      };
      process.on('message', onMessage);
      process.send?.({ type: METRICS_IPC.request, id });
    });
  }
}
