import type { DynamicModule, Type } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
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
};

/**
 * The real application from createApp() (same pipeline as production), configured only
 * from the given variables: a developer's shell or .env never leaks into a suite.
 */
export async function createTestApp(
  env: RawEnvironment,
  extraImports: ReadonlyArray<Type | DynamicModule> = [],
): Promise<TestApp> {
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
