import type { DynamicModule, Type } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request, { type Response } from 'supertest';
import { DataSource } from 'typeorm';
import type TestAgent from 'supertest/lib/agent';

import type { RawEnvironment } from '@app/core';

import { createApp } from '../../src/bootstrap';
import { useTestDatabase, type SuiteDatabase } from './database';
import { LogCapture } from './log-capture';
import { OpenApiContract } from './openapi-contract';
import { START_TIMEOUT_MS, loadTestConfig } from './test-env';

export { TEST_JWT_SECRET } from './test-env';

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
  const config = loadTestConfig(env);
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

/** A suite app's variables, or a function of its database (to reach it through a proxy). */
export type SuiteEnv =
  RawEnvironment | ((db: SuiteDatabase) => RawEnvironment | Promise<RawEnvironment>);

export interface UseTestAppOptions extends TestAppOptions {
  /** Modules mounted next to the domain modules (test probes). */
  readonly imports?: ReadonlyArray<Type | DynamicModule>;
  /**
   * Where the app runs: by default a database of its own, created before the app and dropped
   * after it; or one shared by several apps of the suite (`useTestDatabase()`, or another
   * app's `db`), which this app leaves at the end of its describe block; or `false` when
   * `env` names the database itself (PGlite).
   */
  readonly database?: SuiteDatabase | false;
  /** Empties `logs` before each test of the describe block: a test reads only its own lines. */
  readonly freshLogs?: boolean;
  /** The start's timeout when it is slower still (PGlite's first initdb); 30 s otherwise. */
  readonly startTimeoutMs?: number;
}

/** The app of a describe block, read inside its tests and hooks. */
export interface SuiteApp extends Omit<TestApp, 'close'> {
  /** The database the app runs on (another app, or a second connection, can use it). */
  readonly db: SuiteDatabase;
}

const NO_DATABASE: SuiteDatabase = {
  get url(): string {
    throw new Error('useTestApp(): this app has no suite database (database: false)');
  },
  get name(): string {
    throw new Error('useTestApp(): this app has no suite database (database: false)');
  },
  adopt: () => {
    throw new Error('useTestApp(): this app has no suite database (database: false)');
  },
};

/**
 * The one set-up of an e2e suite: registers the hooks that create its database and start
 * createTestApp() before its tests (beforeAll), and close the app and drop the database
 * after them (afterAll), and returns the app. Call at describe level; each suite gets its
 * own database, so suites run in parallel.
 */
export function useTestApp(env: SuiteEnv = {}, options: UseTestAppOptions = {}): SuiteApp {
  const {
    imports = [],
    database,
    freshLogs = false,
    startTimeoutMs = START_TIMEOUT_MS,
    ...appOptions
  } = options;
  const db =
    database === undefined ? useTestDatabase() : database === false ? NO_DATABASE : database;
  let started: TestApp | undefined;
  const current = (): TestApp => {
    if (started === undefined) {
      throw new Error('useTestApp(): the app exists only inside tests and hooks after its start');
    }
    return started;
  };

  beforeAll(async () => {
    const own = typeof env === 'function' ? await env(db) : env;
    const app = await createTestApp(
      database === false ? own : { DATABASE_URL: db.url, ...own },
      imports,
      appOptions,
    );
    // Its own database closes it before dropping; a shared one outlives it.
    started = database === undefined ? db.adopt(app) : app;
  }, startTimeoutMs);
  if (database !== undefined) {
    afterAll(async () => {
      await started?.close();
    }, START_TIMEOUT_MS);
  }
  if (freshLogs) {
    beforeEach(() => {
      current().logs.clear();
    });
  }

  return {
    db,
    get app(): NestExpressApplication {
      return current().app;
    },
    get http(): TestAgent {
      return current().http;
    },
    get logs(): LogCapture {
      return current().logs;
    },
    get contract(): OpenApiContract {
      return current().contract;
    },
    sql: <T>(query: string, params?: readonly unknown[]): Promise<T[]> =>
      current().sql<T>(query, params),
  };
}
