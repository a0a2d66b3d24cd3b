// First, before anything slow loads: SIGTERM or a crash during start-up exits with a log
// line, not by signal. It loads only node:fs, so OpenTelemetry still comes before http & co.
import '@app/core/lifecycle/install-boot-guard';
// OpenTelemetry must patch http, express and pg before anything loads them.
import { tracing } from './instrumentation';

import cluster from 'node:cluster';

import pino from 'pino';

import {
  ConfigValidationError,
  GracefulShutdown,
  ROOT_LOGGER,
  createRootLogger,
  installProcessHandlers,
  runPrimary,
  type LoadedConfig,
} from '@app/core';

import { createApp } from './bootstrap';
import { loadAppConfig } from './config';

/** Longer than PostgreSQL's connect retries (DB_CONNECT_RETRIES × 3 s) plus migrations. */
const STARTUP_TIMEOUT_MS = 5 * 60 * 1000;

/** Exits after pending spans are exported (bounded: an unreachable collector cannot hold the exit). */
function exitAfterFlush(code: number): void {
  if (tracing === null) {
    process.exit(code);
  }
  const timer = setTimeout(() => process.exit(code), 2_000);
  void tracing.shutdown().finally(() => {
    clearTimeout(timer);
    process.exit(code);
  });
}

function readConfigOrExit(): LoadedConfig {
  try {
    return loadAppConfig();
  } catch (error: unknown) {
    if (error instanceof ConfigValidationError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

/**
 * Process entry: validate config; with CLUSTER_WORKERS > 1 become the cluster primary,
 * otherwise (single process or worker) build the app, serve, and own the lifecycle.
 */
async function main(): Promise<void> {
  const config = readConfigOrExit();
  if (config.cluster.workers > 1 && cluster.isPrimary) {
    runPrimary({
      workers: config.cluster.workers,
      jobWorkers: config.cluster.jobWorkers,
      shutdownTimeoutMs: config.shutdown.timeoutMs,
      logger: createRootLogger(config),
    });
    return;
  }

  // Until the app exists, crashes are logged by a bare logger and exit 1. Same line shape as
  // the app's logger (level label, ISO time) so a boot crash is found by `level: "fatal"` too.
  let logger = pino(
    {
      level: config.log.level,
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
      base: { pid: process.pid },
    },
    pino.destination({ dest: 2, sync: true }),
  );
  let shutdown: GracefulShutdown | null = null;
  installProcessHandlers(
    () => logger,
    () => shutdown,
    exitAfterFlush,
  );

  // A start that hangs (a database that never answers, a stuck WebAssembly compile) must
  // fail visibly for the supervisor, not sit there or exit 0.
  const startupDeadline = setTimeout(() => {
    logger.fatal({ timeoutMs: STARTUP_TIMEOUT_MS }, 'Start-up did not finish in time; exiting');
    logger.flush();
    process.exit(1);
  }, STARTUP_TIMEOUT_MS);

  const app = await createApp({ config });
  logger = app.get<pino.Logger>(ROOT_LOGGER);
  shutdown = new GracefulShutdown(app, config.shutdown, logger, exitAfterFlush);
  // A cluster child that only runs jobs must not share the HTTP port: it would take business
  // traffic it does not serve. Its metrics reach the primary's aggregate over IPC.
  const listens = !(cluster.isWorker && config.app.role === 'worker');
  if (listens) {
    await app.listen(config.http.port, config.http.host);
  } else {
    await app.init();
  }
  clearTimeout(startupDeadline);
  logger.info(
    {
      role: config.app.role,
      port: config.http.port,
      host: config.http.host,
      database: config.database.target.kind,
      worker: cluster.isWorker ? cluster.worker?.id : undefined,
      tracing: tracing !== null,
      node: process.version,
    },
    listens ? 'Listening' : 'Running jobs (no HTTP port in a cluster job worker)',
  );
}

void main();
