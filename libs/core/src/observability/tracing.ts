import type { IncomingMessage } from 'node:http';

import type { NodeSDK } from '@opentelemetry/sdk-node';
import type { SpanExporter } from '@opentelemetry/sdk-trace';

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
  // The SDK and its instrumentations load here, not with this module: with tracing off they
  // would cost ~900 modules and ~25 MiB of RSS for nothing. `module.require` is synchronous,
  // so with tracing on the patches are still in place before http, express and pg load.
  const { NodeSDK: Sdk } = module.require(
    '@opentelemetry/sdk-node',
  ) as typeof import('@opentelemetry/sdk-node');
  const { BatchSpanProcessor, SimpleSpanProcessor } = module.require(
    '@opentelemetry/sdk-trace',
  ) as typeof import('@opentelemetry/sdk-trace');
  const { OTLPTraceExporter } = module.require(
    '@opentelemetry/exporter-trace-otlp-http',
  ) as typeof import('@opentelemetry/exporter-trace-otlp-http');
  const { HttpInstrumentation } = module.require(
    '@opentelemetry/instrumentation-http',
  ) as typeof import('@opentelemetry/instrumentation-http');
  const { ExpressInstrumentation } = module.require(
    '@opentelemetry/instrumentation-express',
  ) as typeof import('@opentelemetry/instrumentation-express');
  const { NestInstrumentation } = module.require(
    '@opentelemetry/instrumentation-nestjs-core',
  ) as typeof import('@opentelemetry/instrumentation-nestjs-core');
  const { PgInstrumentation } = module.require(
    '@opentelemetry/instrumentation-pg',
  ) as typeof import('@opentelemetry/instrumentation-pg');

  const processor =
    options.exporter === undefined
      ? new BatchSpanProcessor({
          exporter: new OTLPTraceExporter({
            url: `${(options.endpoint ?? '').replace(/\/$/, '')}/v1/traces`,
          }),
        })
      : new SimpleSpanProcessor({ exporter: options.exporter });
  const sdk = new Sdk({
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
