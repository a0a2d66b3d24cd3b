import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { Client } from 'pg';

import { MIGRATION_LOCK_KEY } from '@app/core';

import {
  REPO_ROOT,
  ServerProcess,
  eventually,
  httpRequest,
  makeTempDir,
  parseJson,
  processSuiteDatabase,
  sleep,
  stopAllServers,
  within,
} from '../utils/server-process';

const run = promisify(execFile);

/** Runs SQL on a PGlite data directory from a separate node process (no server running). */
async function pgliteQuery(dataDir: string, sql: string): Promise<unknown[]> {
  const script = `
    const { PGlite } = require('@electric-sql/pglite');
    (async () => {
      const db = new PGlite(process.argv[1]);
      const result = await db.exec(process.argv[2]);
      await db.close();
      process.stdout.write(JSON.stringify(result[result.length - 1]?.rows ?? []));
    })().catch((error) => { console.error(error); process.exit(1); });
  `;
  const { stdout } = await run(process.execPath, ['-e', script, dataDir, sql], {
    cwd: REPO_ROOT,
    timeout: 60_000,
    env: { PATH: process.env.PATH },
  });
  return parseJson(stdout) as unknown[];
}

afterAll(async () => {
  await stopAllServers();
}, 30_000);

describe('start-up of the built server', () => {
  it('refuses an invalid configuration at once: exit 1, every bad variable named, no stack trace', async () => {
    const server = await ServerProcess.spawn({
      env: { PORT: 'abc', DB_POOL_MAX: '0', CORS_ORIGINS: '*', DATABASE_URL: 'pglite://memory' },
    });
    const exit = await within(server.exited, 30_000, 'server with invalid config did not exit');

    expect(exit).toMatchObject({ code: 1, signal: null });
    expect(server.stderr).toContain('Invalid configuration (3 problems)');
    expect(server.stderr).toMatch(/^ {2}- PORT="abc": /m);
    expect(server.stderr).toMatch(/^ {2}- DB_POOL_MAX=0: /m);
    expect(server.stderr).toMatch(/^ {2}- CORS_ORIGINS="\*": .*no \*/m);
    expect(server.stderr).not.toMatch(/^\s+at /m);
    // It stopped before building anything: not one log line, nothing listening.
    expect(server.logs).toEqual([]);
    expect(server.rawStdout).toEqual([]);
  }, 60_000);

  it('boots on a fresh embedded database even when initdb outlasts DB_CONNECTION_TIMEOUT_MS', async () => {
    // PGlite's initdb takes 5-15 s; the connect timeout (default 2 s) must not cut it short.
    const server = await ServerProcess.spawn({
      env: {
        DATABASE_URL: undefined,
        DB_CONNECTION_TIMEOUT_MS: '100',
        SHUTDOWN_READY_DELAY_MS: '0',
      },
    });
    const listening = await server
      .waitForLog((l) => l.msg === 'Listening', 90_000)
      .then(
        () => true,
        () => false,
      );

    expect({ listening, exit: server.exit }).toEqual({ listening: true, exit: null });
    await server.waitForReady(30_000);
  }, 120_000);

  describe('with no DATABASE_URL (embedded PGlite under the working directory)', () => {
    let cwd: string;
    let first: ServerProcess;
    /**
     * A long connect timeout, so these scenarios do not depend on how fast initdb is on this
     * machine: the default one is covered by the test above.
     */
    const PGLITE_ENV = {
      DATABASE_URL: undefined,
      DB_CONNECTION_TIMEOUT_MS: '60000',
      SHUTDOWN_READY_DELAY_MS: '0',
    };

    beforeAll(async () => {
      cwd = makeTempDir('pglite-cwd');
      first = await ServerProcess.start({ cwd, env: PGLITE_ENV, timeoutMs: 90_000 });
    }, 120_000);

    it('serves /ready 200 with the database up and its data directory created under the cwd', async () => {
      const res = await httpRequest(first.port, '/ready');

      expect(res.status).toBe(200);
      expect(parseJson(res.body)).toMatchObject({
        status: 'ok',
        info: { lifecycle: { status: 'up' }, database: { status: 'up' } },
      });
      await expect(first.waitForLog((l) => l.msg === 'Listening', 1_000)).resolves.toMatchObject({
        database: 'pglite',
        port: first.port,
      });
      expect(existsSync(join(cwd, 'data', 'pglite', 'PG_VERSION'))).toBe(true);
      expect(readFileSync(join(cwd, 'data', 'pglite.lock'), 'utf8')).toBe(String(first.pid));
    });

    it('refuses to start a second server on the same data directory, and the first keeps serving', async () => {
      const second = await ServerProcess.spawn({ cwd, env: { DATABASE_URL: undefined } });
      // TypeORM retries the connection (9 × 3 s) before giving up: allow for it.
      const exit = await within(second.exited, 100_000, 'second server did not give up');

      expect(exit.code).not.toBe(0);
      expect(exit.code).not.toBeNull();
      expect(second.output()).toContain(
        `The embedded database ${join(cwd, 'data', 'pglite')} is in use by process ${first.pid}`,
      );
      expect(second.logs.filter((l) => l.msg === 'Listening')).toEqual([]);
      // The boot-time crash logger writes the same JSON shape as the app's (level label).
      const fatal = second.stderr
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => parseJson(line))
        .filter((line) => typeof line === 'object' && line !== null && 'err' in line);
      expect(fatal).toMatchObject([
        {
          level: 'fatal',
          msg: 'Process crashed (unhandledRejection); shutting down',
          err: { message: expect.stringContaining('is in use by process') },
        },
      ]);
      expect(first.isRunning).toBe(true);
      expect((await httpRequest(first.port, '/ready')).status).toBe(200);
      expect(readFileSync(join(cwd, 'data', 'pglite.lock'), 'utf8')).toBe(String(first.pid));
    }, 120_000);

    it('releases the data directory on SIGTERM, and a restarted server finds the data again', async () => {
      first.kill('SIGTERM');
      const exit = await within(first.exited, 30_000, 'first server did not exit');
      expect(exit).toMatchObject({ code: 0, signal: null });
      expect(existsSync(join(cwd, 'data', 'pglite.lock'))).toBe(false);

      const dataDir = join(cwd, 'data', 'pglite');
      await pgliteQuery(
        dataDir,
        "CREATE TABLE marker (note text); INSERT INTO marker VALUES ('kept')",
      );

      const restarted = await ServerProcess.start({ cwd, env: PGLITE_ENV, timeoutMs: 90_000 });
      expect((await httpRequest(restarted.port, '/ready')).status).toBe(200);
      restarted.kill('SIGTERM');
      expect(await within(restarted.exited, 30_000, 'restarted server did not exit')).toMatchObject(
        {
          code: 0,
        },
      );

      // The restarted server opened the existing data (no fresh initdb) and closed it cleanly.
      await expect(pgliteQuery(dataDir, 'SELECT note FROM marker')).resolves.toEqual([
        { note: 'kept' },
      ]);
    }, 180_000);
  });

  describe('SIGTERM at any moment of start-up', () => {
    const suiteDb = processSuiteDatabase('process_startup_signal');
    const STARTING = 'Signal received while starting: nothing to drain, exiting';

    const env = (extra: Record<string, string> = {}): Record<string, string> => ({
      DATABASE_URL: suiteDb.url,
      DB_MIGRATE_ON_START: 'true',
      SHUTDOWN_READY_DELAY_MS: '0',
      ...extra,
    });

    /**
     * The JSON lines of stderr (the start-up logger's). Node's module trace shares stderr and
     * may leave a line unfinished when ours is written, so a line is found where it starts.
     */
    const stderrLines = (server: ServerProcess): Array<Record<string, unknown>> =>
      server.stderr.split('\n').flatMap((line): Array<Record<string, unknown>> => {
        const start = line.indexOf('{"level":');
        return start < 0 ? [] : [parseJson(line.slice(start)) as Record<string, unknown>];
      });

    /** Exit 0, not by signal, with the one line that says why; it never listened. */
    async function expectOrderlyExit(server: ServerProcess): Promise<void> {
      const exit = await within(server.exited, 60_000, 'server did not exit after SIGTERM');
      expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });
      expect(stderrLines(server).filter((l) => l.msg === STARTING)).toMatchObject([
        { level: 'warn', signal: 'SIGTERM' },
      ]);
      expect(server.logs.filter((l) => l.msg === 'Listening')).toEqual([]);
    }

    /**
     * The earliest moment JavaScript can act on: main.js's first import after the guard
     * (OpenTelemetry), found in Node's own module-loader trace (NODE_DEBUG on stderr). Before
     * that, Node's native bootstrap owns the signals and nothing in-process can catch them.
     */
    it('as OpenTelemetry begins to load: exit 0 (not by signal) and a log line', async () => {
      const marker = 'REQUEST ./instrumentation parent: .';
      const server = await ServerProcess.spawn({ env: env({ NODE_DEBUG: 'module' }) });
      await eventually(
        () => server.stderr.includes(marker) || !server.isRunning,
        60_000,
        'the module trace line of instrumentation',
      );
      expect(server.stderr).toContain(marker);
      server.kill('SIGTERM');

      await expectOrderlyExit(server);
    }, 90_000);

    /**
     * Fixed moments after spawn: past Node's own bootstrap (~0.1 s here under load), inside
     * the loading of the modules, the connect or the migrations, depending on the machine.
     * On a machine fast enough to be serving already, the graceful drain is the orderly exit.
     */
    it.each([300, 600, 1_000, 2_000])(
      'SIGTERM %i ms after spawn: exit 0 (not by signal) and a log line',
      async (delayMs) => {
        const server = await ServerProcess.spawn({ env: env() });
        await sleep(delayMs);
        expect(server.isRunning).toBe(true);
        server.kill('SIGTERM');

        const exit = await within(server.exited, 60_000, 'server did not exit after SIGTERM');
        expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });
        const said = [
          ...stderrLines(server).filter((l) => l.msg === STARTING),
          ...server.logs.filter((l) => l.msg === 'Shutdown complete' && l.exitCode === 0),
        ];
        expect(said).toHaveLength(1);
      },
      90_000,
    );

    it('while the migrations wait for their lock: exit 0 (not by signal) and a log line', async () => {
      const holder = new Client({ connectionString: suiteDb.url });
      await holder.connect();
      try {
        await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
        const server = await ServerProcess.spawn({ env: env() });
        const waiting = async (): Promise<boolean> => {
          const { rows } = await holder.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_locks
              WHERE locktype = 'advisory' AND NOT granted AND objid = $1
                AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
            [MIGRATION_LOCK_KEY],
          );
          return (rows[0]?.n ?? 0) > 0;
        };
        for (let poll = 0; poll < 600 && server.isRunning && !(await waiting()); poll += 1) {
          await sleep(100);
        }
        expect(await waiting()).toBe(true);
        server.kill('SIGTERM');

        await expectOrderlyExit(server);
      } finally {
        await holder.end();
      }
    }, 120_000);
  });
});
