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

interface TaskJob {
  readonly id: string;
  readonly name: string;
  readonly state: string;
}

interface Occurrence {
  readonly name: string;
  /** The minute the occurrence falls in, as pg-boss files it ('YYYY-MM-DD HH:MM:SS', UTC). */
  readonly slot: string;
  readonly state: string;
}

/**
 * pg-boss's own record of `names`: each schedule occurrence is a job on its internal send-it
 * queue, one per minute slot (its singleton), which a worker turns into the task's job. The
 * task's job can be created in the next minute (the send-it job waits for a poll), so the
 * occurrence, not the minute a job was created or ran in, is what "once" is counted by.
 */
async function scheduleRecord(
  url: string,
  names: readonly string[],
): Promise<{ occurrences: Occurrence[]; jobs: TaskJob[] }> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const occurrences = await client.query<Occurrence>(
      `SELECT data->>'name' AS name, data->>'slot' AS slot, state::text AS state FROM pgboss.job
        WHERE name = '__pgboss__send-it' AND data->>'name' = ANY($1::text[])
        ORDER BY data->>'slot'`,
      [names],
    );
    const jobs = await client.query<TaskJob>(
      `SELECT id::text AS id, name, state::text AS state FROM pgboss.job
        WHERE name = ANY($1::text[]) ORDER BY created_on`,
      [names],
    );
    return { occurrences: occurrences.rows, jobs: jobs.rows };
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

    // Two whole minutes from the first boundary after both are up, and the time the second
    // one's run needs to be sent and taken.
    const first = Math.ceil(Date.now() / MINUTE_MS) * MINUTE_MS;
    await sleep(first + MINUTE_MS + RUN_SLACK_MS - Date.now());
    expect(a.isRunning && b.isRunning).toBe(true);

    const names = [...HOUSEKEEPING_TASKS, ...OTHER_SCHEDULES];
    const { occurrences, jobs } = await scheduleRecord(suiteDb.url, names);
    const slotOf = (ms: number): string =>
      new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
    const watched = [slotOf(first), slotOf(first + MINUTE_MS)];

    // Every schedule came due once a minute, across both processes: each watched minute is one
    // occurrence per schedule, never two, and none was skipped.
    const slotsOf = (name: string): string[] =>
      occurrences.filter((o) => o.name === name).map((o) => o.slot);
    for (const name of names) {
      expect({ name, slots: slotsOf(name).filter((slot) => watched.includes(slot)) }).toEqual({
        name,
        slots: watched,
      });
      expect(new Set(slotsOf(name)).size).toBe(slotsOf(name).length);
    }
    // Each occurrence sent became one job of its task (none sent twice), every one completed.
    const sent = occurrences.filter((o) => o.state === 'completed');
    for (const name of names) {
      expect({ name, jobs: jobs.filter((j) => j.name === name).length }).toEqual({
        name,
        jobs: sent.filter((o) => o.name === name).length,
      });
    }
    expect(jobs.filter((j) => j.state !== 'completed')).toEqual([]);

    // And each job ran once, in one of the two processes: one log line per housekeeping job, by
    // its id, across both. A task that is not counted here would show up as a line of its own.
    const ran = (server: ServerProcess): Array<LogLine & { server: string }> =>
      server
        .logsMatching((l) => l.msg === 'Housekeeping task ran')
        .map((l) => ({ ...l, server: server === a ? 'a' : 'b' }));
    const lines = [...ran(a), ...ran(b)];
    expect([...new Set(lines.map((l) => String(l.task)))].sort()).toEqual(
      [...HOUSEKEEPING_TASKS].sort(),
    );
    expect(lines.map((l) => String(l.jobId)).sort()).toEqual(
      jobs
        .filter((j) => HOUSEKEEPING_TASKS.includes(j.name))
        .map((j) => j.id)
        .sort(),
    );

    const byServer = (s: string): number => lines.filter((l) => l.server === s).length;
    note(
      `[jobs] ${String(sent.length)} occurrences of ${String(names.length)} schedules sent ` +
        `(watched ${watched.map((w) => w.slice(11, 16)).join(', ')}, one each); housekeeping ran ` +
        `${String(lines.length)} times (${String(byServer('a'))} by a, ${String(byServer('b'))} by b)`,
    );
  }, 240_000);
});
