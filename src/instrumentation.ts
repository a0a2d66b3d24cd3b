/**
 * Loaded before anything else by main.ts: OpenTelemetry has to patch http, express and
 * pg before they are first required. Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set.
 */
import { readEnvironment } from '@app/core/config/load-config';
import { startTracing } from '@app/core/observability/tracing';

const env = readEnvironment();
const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT;

export const tracing =
  endpoint === undefined || endpoint === ''
    ? null
    : startTracing({ serviceName: env.OTEL_SERVICE_NAME ?? 'nest-enterprise-backend', endpoint });
