import { Client } from 'pg';

import type { LogLine } from '../utils/log-capture';
import {
  ServerProcess,
  processSuiteDatabase,
  sleep,
  type ServerEnv,
} from '../utils/server-process';

/**
 * Scheduled work against two built servers on one database (two instances, APP_ROLE=all):
 * every occurrence of a schedule runs once across both, not once per process.
 *
 * Time budget: the two boot one after the other (migrations), then the suite waits for the
 * next minute boundary and watches two whole minutes, plus the slack a run needs to be sent
 * (pg-boss's cron pass, every 10 s) and taken (JOBS_POLL_INTERVAL_MS): about 2.5-3 minutes.
 */

const HOUSEKEEPING_TASKS = [
  'refresh-tokens.purge',
  'account-tokens.purge',
  'idempotency-keys.purge',
  'outbox.purge',
];
/** Scheduled work that is not housekeeping (it logs only when it expired something). */
const OTHER_SCHEDULES = ['orders.expire-pending'];
const MINUTE_MS = 60_000;
/** A minute's run is sent within 10 s of the boundary and taken within a poll: 30 s is ample. */
const RUN_SLACK_MS = 30_000;

const note = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

const minuteOf = (l: LogLine): number =>
  Math.floor(Date.parse(String(l.time)) / MINUTE_MS) * MINUTE_MS;

interface ScheduledJob {
  readonly id: string;
  readonly name: string;
  readonly state: string;
  readonly created: Date;
}

/** The jobs pg-boss created for `names` in [from, to), read from its own table. */
async function scheduledJobs(
  url: string,
  names: readonly string[],
  from: number,
  to: number,
): Promise<ScheduledJob[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<ScheduledJob>(
      `SELECT id::text AS id, name, state::text AS state, created_on AS created FROM pgboss.job
        WHERE name = ANY($1::text[]) AND created_on >= $2 AND created_on < $3
        ORDER BY created_on`,
      [names, new Date(from), new Date(to)],
    );
    return rows;
  } finally {
    await client.end();
  }
}

describe('scheduled work across two instances of the built server', () => {
  const suiteDb = processSuiteDatabase('process_jobs');

  const env = (): ServerEnv => ({
    DATABASE_URL: suiteDb.url,
    DB_MIGRATE_ON_START: 'true',
    APP_ROLE: 'all',
    HOUSEKEEPING_CRON: '* * * * *',
    ORDER_EXPIRY_CRON: '* * * * *',
    JOBS_POLL_INTERVAL_MS: '1000',
    SHUTDOWN_READY_DELAY_MS: '0',
  });

  it('runs each scheduled task exactly once per minute across both processes', async () => {
    // One after the other: the second finds the schema (and pg-boss's) already migrated.
    const a = await ServerProcess.start({ env: env(), timeoutMs: 60_000 });
    const b = await ServerProcess.start({ env: env(), timeoutMs: 60_000 });
    for (const server of [a, b]) {
      const working = await server.waitForLog((l) => l.msg === 'Working job queues', 10_000);
      expect(working.schedules).toEqual(
        expect.arrayContaining(
          [...HOUSEKEEPING_TASKS, ...OTHER_SCHEDULES].map((t) => `${t} * * * * *`),
        ),
      );
    }

    // Two whole minutes from the first boundary after both are up.
    const first = Math.ceil(Date.now() / MINUTE_MS) * MINUTE_MS;
    const minutes = [first, first + MINUTE_MS];
    const end = first + 2 * MINUTE_MS;
    await sleep(end - MINUTE_MS + RUN_SLACK_MS - Date.now());
    // A second, late run of the last minute would show by now; so would the next minute's.
    expect(a.isRunning && b.isRunning).toBe(true);

    const ran = (server: ServerProcess): Array<LogLine & { server: string }> =>
      server
        .logsMatching((l) => l.msg === 'Housekeeping task ran')
        .map((l) => ({ ...l, server: server === a ? 'a' : 'b' }));
    const lines = [...ran(a), ...ran(b)].filter((l) => minuteOf(l) >= first && minuteOf(l) < end);
    // Every task that ran is one this suite counts: a new housekeeping task is named here.
    expect([...new Set(lines.map((l) => String(l.task)))].sort()).toEqual(
      [...HOUSEKEEPING_TASKS].sort(),
    );

    const table: Record<string, Record<string, number>> = {};
    for (const task of HOUSEKEEPING_TASKS) {
      table[task] = Object.fromEntries(
        minutes.map((m) => [
          new Date(m).toISOString().slice(11, 16),
          lines.filter((l) => l.task === task && minuteOf(l) === m).length,
        ]),
      );
    }
    const once = Object.fromEntries(
      minutes.map((m) => [new Date(m).toISOString().slice(11, 16), 1]),
    );
    expect(table).toEqual(Object.fromEntries(HOUSEKEEPING_TASKS.map((t) => [t, once])));
    // Each run is its own job, and logs its id.
    const ids = lines.map((l) => String(l.jobId));
    expect(new Set(ids).size).toBe(lines.length);
    expect(ids.every((id) => /^[0-9a-f-]{36}$/.test(id))).toBe(true);

    // pg-boss's own record, which also covers the schedules that log nothing when idle: one job
    // per task and minute, every one completed.
    const names = [...HOUSEKEEPING_TASKS, ...OTHER_SCHEDULES];
    const jobs = await scheduledJobs(suiteDb.url, names, first, end);
    const perMinute = Object.fromEntries(
      names.map((name) => [
        name,
        minutes.map(
          (m) =>
            jobs.filter(
              (j) =>
                j.name === name && Math.floor(j.created.getTime() / MINUTE_MS) * MINUTE_MS === m,
            ).length,
        ),
      ]),
    );
    expect(perMinute).toEqual(Object.fromEntries(names.map((n) => [n, [1, 1]])));
    expect(jobs.filter((j) => j.state !== 'completed')).toEqual([]);
    // The log lines are those jobs' runs.
    expect(ids.sort()).toEqual(
      jobs
        .filter((j) => HOUSEKEEPING_TASKS.includes(j.name))
        .map((j) => j.id)
        .sort(),
    );

    const byServer = (s: string): number => lines.filter((l) => l.server === s).length;
    note(
      `[jobs] housekeeping over ${minutes.map((m) => new Date(m).toISOString().slice(11, 16)).join(', ')}: ` +
        `${lines.length} runs (${byServer('a')} by a, ${byServer('b')} by b), ` +
        `lag after the boundary ${Math.max(...lines.map((l) => Date.parse(String(l.time)) - minuteOf(l)))} ms at most`,
    );
  }, 240_000);
});
