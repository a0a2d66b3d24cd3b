import type { DynamicModule, Type } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request, { type Response } from 'supertest';
import { DataSource } from 'typeorm';
import type TestAgent from 'supertest/lib/agent';

import type { RawEnvironment } from '@app/core';

import { createApp } from '../../src/bootstrap';
import { loadAppConfig } from '../../src/config';
import { LogCapture } from './log-capture';
import { OpenApiContract } from './openapi-contract';

export interface TestApp {
  readonly app: NestExpressApplication;
  /** With `{ contract: true }`, every response it gets is checked by `contract.assert()`. */
  readonly http: TestAgent;
  readonly logs: LogCapture;
  /**
   * The OpenAPI document of this app as a checker (built on first use): `assert(res)` throws
   * unless `res` is what the document declares for its operation (status, media type, body
   * schema, declared headers). See test/utils/openapi-contract.ts.
   */
  readonly contract: OpenApiContract;
  /** A query on the app's own DataSource (the suite's database), for set-up and checks. */
  sql<T>(query: string, params?: readonly unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Check every response of `http` against the OpenAPI document (opt-in per suite). */
  readonly contract?: boolean;
}

const HTTP_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'head', 'options']);

/** The agent, with the contract check added to every request it starts. */
function checkedAgent(agent: TestAgent, check: (res: Response) => void): TestAgent {
  return new Proxy(agent, {
    get(target, property, receiver): unknown {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof property !== 'string' || !HTTP_METHODS.has(property)) {
        return value;
      }
      const start = value as (url: string) => request.Test;
      return (url: string) => start.call(target, url).expect(check);
    },
  });
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
  options: TestAppOptions = {},
): Promise<TestApp> {
  const logs = new LogCapture();
  const config = loadAppConfig({ ...BASE_ENV, ...env });
  const app = await createApp({ config, logDestination: logs, extraImports });
  const server = app.getHttpServer();
  let contract: OpenApiContract | undefined;
  const contractOf = (): OpenApiContract => (contract ??= OpenApiContract.of(app));
  const http = request(server);
  return {
    app,
    logs,
    http:
      options.contract === true
        ? checkedAgent(http, (res) => {
            contractOf().assert(res);
          })
        : http,
    get contract(): OpenApiContract {
      return contractOf();
    },
    sql: <T>(query: string, params: readonly unknown[] = []): Promise<T[]> =>
      app.get(DataSource).query(query, [...params]),
    close: () => app.close(),
  };
}

/** The JWT secret every suite's app signs with (for forging tokens in security tests). */
export const TEST_JWT_SECRET = BASE_ENV.JWT_SECRET as string;
