import { setTimeout as sleep } from 'node:timers/promises';

import { Controller, Injectable, Module, type OnModuleInit } from '@nestjs/common';

import {
  JobQueue,
  Outbox,
  Route,
  TransactionRunner,
  type JobContext,
  type OutboxEvent,
} from '@app/core';

import { until } from '../utils/until';
import { useTestApp, type SuiteApp } from '../utils/test-app';

/** What the probe queues saw, per test. */
interface Seen {
  flaky: Array<{ attempt: number; at: number; maxAttempts: number }>;
  doomed: number[];
  slow: Array<{ aborted: boolean }>;
  events: OutboxEvent[];
}

const seen: Seen = { flaky: [], doomed: [], slow: [], events: [] };

/** Queues whose handlers fail on purpose: the queue's retry, dead-letter and timeout rules. */
@Injectable()
class JobsProbe implements OnModuleInit {
  constructor(
    private readonly jobs: JobQueue,
    private readonly outbox: Outbox,
  ) {}

  onModuleInit(): void {
    this.jobs.define<{ failures: number }>({
      name: 'probe.flaky',
      attempts: 3,
      retryDelaySeconds: 1,
      handle: async (job: JobContext<{ failures: number }>) => {
        seen.flaky.push({ attempt: job.attempt, at: Date.now(), maxAttempts: job.maxAttempts });
        await Promise.resolve();
        if (job.attempt <= job.data.failures) {
          throw new Error(`failing attempt ${job.attempt} on purpose`);
        }
      },
    });
    this.jobs.define({
      name: 'probe.doomed',
      attempts: 2,
      retryDelaySeconds: 1,
      handle: async (job) => {
        seen.doomed.push(job.attempt);
        await Promise.resolve();
        throw new Error('always fails');
      },
    });
    this.jobs.define({
      name: 'probe.slow',
      attempts: 1,
      timeoutSeconds: 1,
      handle: async (job) => {
        const aborted = await Promise.race([
          new Promise<boolean>((resolve) => {
            job.signal.addEventListener('abort', () => {
              resolve(true);
            });
          }),
          sleep(8_000).then(() => false),
        ]);
        seen.slow.push({ aborted });
      },
    });
    this.outbox.subscribe('probe', async (event) => {
      await Promise.resolve();
      if ((event.data as { poison?: boolean }).poison === true) {
        throw new Error('this subscriber cannot take a poisoned event');
      }
      seen.events.push(event);
    });
  }
}

/** Sends a job from inside a request, so its log lines can be matched to the request id. */
@Controller('_jobs-probe')
class JobsProbeController {
  constructor(private readonly jobs: JobQueue) {}

  @Route.Post('flaky', {
    operationId: 'probeFlaky',
    summary: 'probe',
    description: 'test probe',
    status: 202,
    response: { description: 'The job was queued.' },
    public: true,
  })
  async flaky(): Promise<{ id: string }> {
    return { id: await this.jobs.send('probe.flaky', { failures: 1 }) };
  }
}

@Module({ providers: [JobsProbe], controllers: [JobsProbeController] })
class JobsProbeModule {}

const FAST = { JOBS_POLL_INTERVAL_MS: '500', OUTBOX_POLL_INTERVAL_MS: '50' };

function jobSuite(t: SuiteApp): void {
  beforeEach(() => {
    seen.flaky.length = 0;
    seen.doomed.length = 0;
    seen.slow.length = 0;
    seen.events.length = 0;
  });

  it('retries a failed job with a growing delay until it succeeds', async () => {
    const jobs = t.app.get(JobQueue);
    await jobs.send('probe.flaky', { failures: 2 });
    await until('three attempts', () => (seen.flaky.length >= 3 ? true : undefined), 30_000);
    const [first, second, third] = seen.flaky;
    expect(seen.flaky.map((s) => s.attempt)).toEqual([1, 2, 3]);
    expect(first?.maxAttempts).toBe(3);
    // Backoff from 1 s, doubling, each delay drawn within 1×–2× of its base (pg-boss's
    // jitter) and picked up within a poll: the first retry waits 1–2 s, the second 2–4 s.
    // Bounds, not a comparison of the two: a late first and an early second overlap.
    const firstDelay = (second?.at ?? 0) - (first?.at ?? 0);
    const secondDelay = (third?.at ?? 0) - (second?.at ?? 0);
    expect(firstDelay).toBeGreaterThanOrEqual(900);
    expect(secondDelay).toBeGreaterThanOrEqual(1_900);
    await sleep(1_500);
    expect(seen.flaky).toHaveLength(3);
  }, 40_000);

  it('dead-letters a job whose last attempt failed, and counts the failures', async () => {
    const jobs = t.app.get(JobQueue);
    const id = await jobs.send('probe.doomed', {});
    await until('two attempts', () => (seen.doomed.length >= 2 ? true : undefined), 20_000);
    const dead = await until(
      'the dead-lettered copy',
      async () => {
        const rows = await t.sql<{ data: { data: unknown } }>(
          `SELECT data FROM pgboss.job WHERE name = 'probe.doomed.dead' AND source_id = $1`,
          [id],
        );
        return rows[0];
      },
      20_000,
    );
    expect(dead.data).toMatchObject({ data: {} });
    const metrics = await t.http.get('/metrics').expect(200);
    expect(metrics.text).toMatch(/jobs_failed_total\{queue="probe\.doomed"\} 2/);
    expect(metrics.text).toMatch(/job_duration_seconds_count\{queue="probe\.doomed"\} 2/);
    expect(metrics.text).toMatch(/jobs_queued\{queue="probe\.doomed"\} \d+/);
  }, 40_000);

  it('aborts a job that runs past its timeout', async () => {
    await t.app.get(JobQueue).send('probe.slow', {});
    const run = await until('the slow job to end', () => seen.slow[0], 20_000);
    expect(run.aborted).toBe(true);
  }, 30_000);

  it('logs a job with its job id and the id of the request that queued it', async () => {
    const requestId = `jobs-probe-${Date.now()}`;
    const res = await t.http
      .post('/api/v1/_jobs-probe/flaky')
      .set('X-Request-Id', requestId)
      .expect(202);
    const jobId = (res.body as { id: string }).id;
    const line = await until(
      'the failed attempt logged',
      () =>
        t.logs.lines.find((l) => l.msg === 'Job failed; it will be retried' && l.jobId === jobId),
      20_000,
    );
    expect(line).toMatchObject({ jobId, queue: 'probe.flaky', requestId, attempt: 1 });
  }, 30_000);

  it('hands an event to its subscribers only when its transaction commits', async () => {
    const outbox = t.app.get(Outbox);
    const transactions = t.app.get(TransactionRunner);
    const rolledBack = outbox.event('probe.happened', { n: 1 });
    await expect(
      transactions.run(async (tx) => {
        await outbox.publish(tx, rolledBack);
        throw new Error('fault after the write');
      }),
    ).rejects.toThrow('fault after the write');
    const committed = outbox.event('probe.happened', { n: 2 });
    await transactions.run((tx) => outbox.publish(tx, committed));
    outbox.nudge();

    await until('the committed event', () =>
      seen.events.find((e) => e.id === committed.id) === undefined ? undefined : true,
    );
    await sleep(500);
    expect(seen.events.map((e) => e.id)).toEqual([committed.id]);
    expect(seen.events[0]).toMatchObject({ type: 'probe.happened', data: { n: 2 } });
    const rows = await t.sql<{ id: string; dispatched: boolean }>(
      'SELECT id, dispatched_at IS NOT NULL AS dispatched FROM outbox_events WHERE id = ANY($1::uuid[])',
      [[rolledBack.id, committed.id]],
    );
    expect(rows).toEqual([{ id: committed.id, dispatched: true }]);
  });

  it('puts back an event no subscriber can take, without holding up the ones after it', async () => {
    const outbox = t.app.get(Outbox);
    const transactions = t.app.get(TransactionRunner);
    const poisoned = outbox.event('probe.happened', { poison: true });
    const healthy = [1, 2, 3].map((n) => outbox.event('probe.happened', { n }));
    await transactions.run((tx) => outbox.publish(tx, poisoned, ...healthy));
    outbox.nudge();

    await until('the healthy events', () =>
      healthy.every((e) => seen.events.some((s) => s.id === e.id)) ? true : undefined,
    );
    const [row] = await t.sql<{ attempts: number; last_error: string; dispatched: boolean }>(
      'SELECT attempts, last_error, dispatched_at IS NOT NULL AS dispatched FROM outbox_events WHERE id = $1',
      [poisoned.id],
    );
    expect(row).toMatchObject({
      dispatched: false,
      last_error: expect.stringContaining('poisoned'),
    });
    expect(row?.attempts).toBeGreaterThanOrEqual(1);
    // Not dispatched, so the relay keeps it for later (and an operator sees it in the table).
    await t.sql('DELETE FROM outbox_events WHERE id = $1', [poisoned.id]);
  });
}

describe('durable jobs and the outbox on PostgreSQL', () => {
  const t = useTestApp(FAST, { imports: [JobsProbeModule] });
  jobSuite(t);
});

describe('durable jobs and the outbox on embedded PGlite', () => {
  const t = useTestApp(
    { ...FAST, DATABASE_URL: 'pglite://memory' },
    { imports: [JobsProbeModule], database: false, startTimeoutMs: 180_000 },
  );
  jobSuite(t);
});
