import { Logger } from '@nestjs/common';
import type { PGlite } from '@electric-sql/pglite';
import type { Client } from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';

import type { AppConfig } from '../config/app-config';
import { QUERY_TIMEOUT_MESSAGE } from './database-errors';
import { EmbeddedDatabaseLock } from './embedded-lock';

type PostgresOptions = Extract<DataSourceOptions, { type: 'postgres' }>;
export type SchemaSources = Pick<PostgresOptions, 'entities' | 'migrations'>;

const logger = new Logger('Database');

/**
 * PGlite (1 MiB of JavaScript, and its WebAssembly engine when started) is loaded only for a
 * pglite:// target: a process on PostgreSQL never needs it. `module.require` is this module's
 * own require (Jest's under Jest), synchronous like the static import it replaces.
 */
function loadPglite(): {
  PGlite: typeof import('@electric-sql/pglite').PGlite;
  createPgConfig: typeof import('@electric-sql/pglite/node-postgres').createPgConfig;
} {
  const { PGlite: Engine } = module.require(
    '@electric-sql/pglite',
  ) as typeof import('@electric-sql/pglite');
  const { createPgConfig } = module.require(
    '@electric-sql/pglite/node-postgres',
  ) as typeof import('@electric-sql/pglite/node-postgres');
  return { PGlite: Engine, createPgConfig };
}

/** Migrations of several processes starting at once are serialised by this advisory lock. */
export const MIGRATION_LOCK_KEY = 727_274_001;

/** A DataSource on embedded PGlite that closes the engine and its lock when destroyed. */
class EmbeddedDataSource extends DataSource {
  constructor(
    options: DataSourceOptions,
    private readonly pglite: PGlite,
    private readonly lock: EmbeddedDatabaseLock | null,
  ) {
    super(options);
  }

  /**
   * PGlite's first start (initdb, WebAssembly compilation) can take longer than pg's
   * connection timeout, and pending WebAssembly work does not keep Node's event loop alive
   * (nodejs/node#36616): under load a booting process (or the migration CLI) could simply
   * exit 0. So a timer holds the loop open until the engine is ready and connected.
   */
  override async initialize(): Promise<this> {
    const keepAlive = setInterval(() => undefined, 1_000);
    try {
      await this.pglite.waitReady;
      return await super.initialize();
    } finally {
      clearInterval(keepAlive);
    }
  }

  override async destroy(): Promise<void> {
    try {
      if (this.isInitialized) {
        await super.destroy();
      }
      await this.pglite.close();
    } finally {
      this.lock?.release();
    }
  }
}

function baseOptions(config: AppConfig, schema: SchemaSources): PostgresOptions {
  const db = config.database;
  return {
    type: 'postgres',
    ...schema,
    synchronize: false,
    migrationsRun: false,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    uuidExtension: 'pgcrypto',
    applicationName: 'nest-enterprise-backend',
    poolSize: db.poolMax,
    connectTimeoutMS: db.connectionTimeoutMs,
    logging: false,
    poolErrorHandler: (error: unknown) => {
      logger.warn({
        msg: 'Idle database connection failed',
        reason: error instanceof Error ? error.message : String(error),
      });
    },
    extra: poolExtra(config),
  };
}

/** pg pool settings TypeORM has no option for. */
function poolExtra(config: AppConfig): Record<string, unknown> {
  return {
    idleTimeoutMillis: config.database.idleTimeoutMs,
    statement_timeout: config.database.statementTimeoutMs,
  };
}

/** Idle connections are probed this long after their last traffic (a vanished peer is found). */
const KEEP_ALIVE_INITIAL_DELAY_MS = 10_000;

/**
 * Bounds for a network that stalls (packets held, nothing refused), where the server's
 * statement_timeout never reaches us: pg's client-side `query_timeout` fails the query, and
 * TCP keepalive finds dead peers under idle connections. Only for a real socket (not PGlite).
 */
function networkExtra(config: AppConfig): Record<string, unknown> {
  return {
    query_timeout: config.database.queryTimeoutMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEP_ALIVE_INITIAL_DELAY_MS,
    onConnect: closeOnQueryTimeout,
  };
}

/**
 * pg fails a query at `query_timeout` but keeps its connection open with that query still in
 * flight: back in the pool, every later query (TypeORM's ROLLBACK first) would queue behind
 * it and time out in turn. So a timed-out connection is ended at once (pg destroys the socket
 * when a query is active): the rollback fails fast and the pool replaces the connection.
 */
function closeOnQueryTimeout(client: Client): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const guarded = (...args: unknown[]): unknown => {
    const result = query(...args);
    if (isThenable(result)) {
      result.then(undefined, (error: unknown) => {
        if ((error as { message?: unknown } | null)?.message === QUERY_TIMEOUT_MESSAGE) {
          logger.warn({ msg: 'Database query timed out on the client; closing its connection' });
          client.end().catch(() => undefined);
        }
      });
    }
    return result;
  };
  Object.assign(client, { query: guarded });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * Builds the DataSource for the configured target: PostgreSQL through pg's pool, or
 * embedded PGlite through its own node-postgres adapter with one connection (PGlite is
 * a single session; sharing it between pool clients would break row locks).
 */
export function createDataSource(config: AppConfig, schema: SchemaSources): DataSource {
  const options = baseOptions(config, schema);
  const target = config.database.target;
  if (target.kind === 'postgres') {
    return new DataSource({
      ...options,
      url: target.url,
      extra: { ...poolExtra(config), ...networkExtra(config) },
    });
  }
  const lock = target.dataDir === null ? null : EmbeddedDatabaseLock.acquire(target.dataDir);
  try {
    const { PGlite: Engine, createPgConfig } = loadPglite();
    const pglite = target.dataDir === null ? new Engine() : new Engine(target.dataDir);
    const pg = createPgConfig(pglite);
    return new EmbeddedDataSource(
      {
        ...options,
        poolSize: 1,
        extra: { ...poolExtra(config), connection: pg.connection, max: 1 },
      },
      pglite,
      lock,
    );
  } catch (error: unknown) {
    lock?.release();
    throw error;
  }
}

/** Applies pending migrations; on PostgreSQL under an advisory lock so replicas can start together. */
export async function runPendingMigrations(
  dataSource: DataSource,
  embedded: boolean,
): Promise<number> {
  if (embedded) {
    return (await dataSource.runMigrations({ transaction: 'each' })).length;
  }
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    return (await dataSource.runMigrations({ transaction: 'each' })).length;
  } finally {
    await runner
      .query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])
      .catch(() => undefined);
    await runner.release();
  }
}

/** Connects, then migrates when configured: start-up order is config → connect → migrate. */
export async function openDataSource(
  dataSource: DataSource,
  config: AppConfig,
): Promise<DataSource> {
  try {
    await dataSource.initialize();
    if (config.database.migrateOnStart) {
      const applied = await runPendingMigrations(
        dataSource,
        config.database.target.kind === 'pglite',
      );
      logger.log({ msg: 'Database migrations applied', applied });
    }
    return dataSource;
  } catch (error: unknown) {
    await dataSource.destroy().catch(() => undefined);
    throw error;
  }
}
