import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import pino from 'pino';

import {
  ConfigValidationError,
  PinoNestLogger,
  createRootLogger,
  readEnvironment,
} from '@app/core';

import { AppModule } from '../app.module';
import { loadAppConfig } from '../config';
import { MIGRATIONS } from '../database/migrations';

/** Ends the command with a message on stderr and exit code 1. */
export function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

/**
 * Runs `work` against the configured database in an application context (no HTTP, no jobs
 * of its own making), then closes it. Logs go to stderr: stdout carries only the result,
 * for scripts. A bad configuration ends the command with its message.
 */
export async function withAppContext(
  work: (app: INestApplicationContext) => Promise<void>,
): Promise<void> {
  let config;
  try {
    // `api`: a command never picks up the service's background jobs.
    config = loadAppConfig({
      LOG_LEVEL: 'warn',
      ...readEnvironment(),
      LOG_FORMAT: 'json',
      APP_ROLE: 'api',
    });
  } catch (error: unknown) {
    fail(error instanceof ConfigValidationError ? error.message : String(error));
  }
  const rootLogger = createRootLogger(config, pino.destination({ dest: 2, sync: true }));
  const app = await NestFactory.createApplicationContext(
    AppModule.forRoot({ config, migrations: MIGRATIONS, rootLogger }),
    { logger: new PinoNestLogger(rootLogger), abortOnError: false },
  );
  try {
    await work(app);
  } finally {
    await app.close();
  }
}
