import pino from 'pino';

import {
  ConfigValidationError,
  GracefulShutdown,
  ROOT_LOGGER,
  installProcessHandlers,
  loadConfig,
  type AppConfig,
} from '@app/core';

import { createApp } from './bootstrap';

/** Process entry: validate config, build the app, serve, and own the process lifecycle. */
async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error: unknown) {
    if (error instanceof ConfigValidationError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
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
  );

  const app = await createApp({ config });
  logger = app.get<pino.Logger>(ROOT_LOGGER);
  shutdown = new GracefulShutdown(app, config.shutdown, logger);
  await app.listen(config.http.port, config.http.host);
  logger.info(
    { port: config.http.port, host: config.http.host, database: config.database.target.kind },
    'Listening',
  );
}

void main();
