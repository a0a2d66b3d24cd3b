import type { DynamicModule, Type } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { __resetOutOfContextForTests } from 'nestjs-pino/PinoLogger';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';

import { loadConfig, type RawEnvironment } from '@app/core';

import { createApp } from '../../src/bootstrap';
import { LogCapture } from './log-capture';

export interface TestApp {
  readonly app: NestExpressApplication;
  readonly http: TestAgent;
  readonly logs: LogCapture;
  close(): Promise<void>;
}

/** Defaults for every suite; a suite's own env wins. */
const BASE_ENV: RawEnvironment = {
  NODE_ENV: 'test',
  LOG_LEVEL: 'debug',
  LOG_FORMAT: 'json',
  DB_MIGRATE_ON_START: 'true',
  SHUTDOWN_READY_DELAY_MS: '0',
  DOCS_ENABLED: 'false',
  RATE_LIMIT_MAX: '100000',
  LOGIN_RATE_LIMIT_MAX: '100000',
  JWT_SECRET: 'test-secret-test-secret-test-secret-0123456789',
};

/**
 * The real application from createApp() (same pipeline as production), configured only
 * from the given variables: a developer's shell or .env never leaks into a suite.
 */
export async function createTestApp(
  env: RawEnvironment,
  extraImports: ReadonlyArray<Type | DynamicModule> = [],
): Promise<TestApp> {
  // nestjs-pino keeps one process-wide logger for lines outside a request: point it at
  // this app's capture (with several apps in one suite, the newest one gets them).
  __resetOutOfContextForTests();
  const logs = new LogCapture();
  const config = loadConfig({ ...BASE_ENV, ...env });
  const app = await createApp({ config, logDestination: logs, extraImports });
  const server = app.getHttpServer();
  return {
    app,
    logs,
    http: request(server),
    close: () => app.close(),
  };
}

/** The JWT secret every suite's app signs with (for forging tokens in security tests). */
export const TEST_JWT_SECRET = BASE_ENV.JWT_SECRET as string;
