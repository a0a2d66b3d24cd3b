import { randomBytes } from 'node:crypto';

import { Client } from 'pg';

import { START_TIMEOUT_MS } from './test-env';

/** The server the suites create their databases on (CI: the local PostgreSQL service). */
export const TEST_POSTGRES_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestDatabase {
  readonly url: string;
  readonly name: string;
  drop(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

async function admin<T>(run: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** A fresh database per suite, so suites run in parallel and in any order. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `t_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE "${name}"`));
  return {
    name,
    url: withDatabase(TEST_POSTGRES_URL, name),
    drop: () =>
      admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

/** A unique Redis key prefix per suite, so rate-limit counters never leak between suites. */
export function uniqueRedisPrefix(label: string): string {
  return `test:${label}:${randomBytes(4).toString('hex')}:`;
}

/** Anything a suite starts on its database: closed before the database is dropped. */
export interface Closeable {
  close(): Promise<void>;
}

/**
 * The suite's database, read inside tests and hooks (it exists from the suite's first
 * beforeAll to its last afterAll).
 */
export interface SuiteDatabase {
  readonly url: string;
  readonly name: string;
  /** Closes `resource` in the suite's afterAll, before the drop; returns it. */
  adopt<T extends Closeable>(resource: T): T;
}

/** `auth.e2e-spec.ts` → `auth_e2e`: the database says which suite it belongs to. */
function suiteLabel(): string {
  const { testPath } = expect.getState();
  return (testPath ?? 'suite').replace(/^.*\//, '').replace(/-spec\.ts$/, '');
}

/**
 * Registers the suite's database: created in beforeAll, dropped in afterAll after
 * everything adopted on it is closed (newest first). Call at describe level.
 */
export function useTestDatabase(): SuiteDatabase {
  let db: TestDatabase | undefined;
  const adopted: Closeable[] = [];
  const label = suiteLabel();
  beforeAll(async () => {
    db = await createTestDatabase(label);
  }, START_TIMEOUT_MS);
  afterAll(async () => {
    try {
      for (const resource of adopted.splice(0).reverse()) {
        await resource.close();
      }
    } finally {
      await db?.drop();
    }
  }, START_TIMEOUT_MS);
  const current = (): TestDatabase => {
    if (db === undefined) {
      throw new Error('useTestDatabase(): the database exists only inside tests and hooks');
    }
    return db;
  };
  return {
    get url(): string {
      return current().url;
    },
    get name(): string {
      return current().name;
    },
    adopt<T extends Closeable>(resource: T): T {
      adopted.push(resource);
      return resource;
    },
  };
}
