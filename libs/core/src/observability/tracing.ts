import type { IncomingMessage } from 'node:http';

import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { NestInstrumentation } from '@opentelemetry/instrumentation-nestjs-core';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';

const UNTRACED_PATHS = new Set(['/health', '/ready', '/metrics']);

export interface TracingOptions {
  readonly serviceName: string;
  /** OTLP/HTTP endpoint (as OTEL_EXPORTER_OTLP_ENDPOINT); ignored when `exporter` is given. */
  readonly endpoint?: string;
  /** A custom exporter (tests use an in-memory one); spans are exported one by one. */
  readonly exporter?: SpanExporter;
}

/**
 * OpenTelemetry for HTTP, Express, Nest and pg. Must run before those modules are
 * loaded (src/instrumentation.ts is main.ts's first import). Probes are not traced.
 */
export function startTracing(options: TracingOptions): NodeSDK {
  const processor =
    options.exporter === undefined
      ? new BatchSpanProcessor({
          exporter: new OTLPTraceExporter({
            url: `${(options.endpoint ?? '').replace(/\/$/, '')}/v1/traces`,
          }),
        })
      : new SimpleSpanProcessor({ exporter: options.exporter });
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    spanProcessors: [processor],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req: IncomingMessage) =>
          UNTRACED_PATHS.has((req.url ?? '').split('?')[0] ?? ''),
      }),
      new ExpressInstrumentation(),
      new NestInstrumentation(),
      new PgInstrumentation({ enhancedDatabaseReporting: false }),
    ],
  });
  sdk.start();
  return sdk;
}
