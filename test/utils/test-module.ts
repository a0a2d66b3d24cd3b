import type { Abstract, DynamicModule, Type } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { DataSource } from 'typeorm';

import { CoreModule, PinoNestLogger, createRootLogger, type RawEnvironment } from '@app/core';

import { MIGRATIONS } from '../../src/database/migrations';
import { useTestDatabase, type SuiteDatabase } from './database';
import { LogCapture } from './log-capture';
import { START_TIMEOUT_MS, loadTestConfig } from './test-env';

/**
 * Domain modules on the platform (CoreModule: config, database, transactions, logging), with
 * no HTTP server: the services and their real repositories on a real database.
 */
export interface TestModule {
  readonly module: TestingModule;
  /** A provider of any module in it (a module's service, or a port such as Authenticator). */
  get<T>(token: Type<T> | Abstract<T>): T;
  readonly logs: LogCapture;
  /** A query on the module's own DataSource, for set-up and checks. */
  sql<T>(query: string, params?: readonly unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/**
 * Compiles `imports` next to CoreModule with the service's migrations run, configured only
 * from the given variables (the same defaults as the e2e apps), and starts it (onModuleInit,
 * onApplicationBootstrap), as the app would.
 */
export async function createTestModule(
  env: RawEnvironment,
  imports: ReadonlyArray<Type | DynamicModule>,
): Promise<TestModule> {
  const logs = new LogCapture();
  const config = loadTestConfig(env);
  const rootLogger = createRootLogger(config, logs);
  const module = await Test.createTestingModule({
    imports: [CoreModule.forRoot({ config, migrations: MIGRATIONS, rootLogger }), ...imports],
  })
    .setLogger(new PinoNestLogger(rootLogger))
    .compile();
  await module.init();
  return {
    module,
    logs,
    get: <T>(token: Type<T> | Abstract<T>): T => module.get(token, { strict: false }),
    sql: <T>(query: string, params: readonly unknown[] = []): Promise<T[]> =>
      module.get(DataSource).query(query, [...params]),
    close: () => module.close(),
  };
}

/** The module of a medium suite, read inside its tests and hooks. */
export interface SuiteModule extends Omit<TestModule, 'close'> {
  /** The suite's database (a second connection can use it). */
  readonly db: SuiteDatabase;
}

/**
 * The one set-up of a medium (integration) suite: registers the hooks that create its
 * database and start createTestModule() on it before its tests, and close the module and
 * drop the database after them, and returns the module. Call at describe level; each suite
 * has its own database, so suites run in parallel.
 */
export function useTestModule(
  imports: ReadonlyArray<Type | DynamicModule>,
  env: RawEnvironment = {},
): SuiteModule {
  const db = useTestDatabase();
  let started: TestModule | undefined;
  const current = (): TestModule => {
    if (started === undefined) {
      throw new Error('useTestModule(): the module exists only inside tests and hooks');
    }
    return started;
  };
  beforeAll(async () => {
    started = db.adopt(await createTestModule({ DATABASE_URL: db.url, ...env }, imports));
  }, START_TIMEOUT_MS);
  return {
    db,
    get module(): TestingModule {
      return current().module;
    },
    get logs(): LogCapture {
      return current().logs;
    },
    get: <T>(token: Type<T> | Abstract<T>): T => current().get(token),
    sql: <T>(query: string, params?: readonly unknown[]): Promise<T[]> =>
      current().sql<T>(query, params),
  };
}
