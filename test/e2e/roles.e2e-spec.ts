import { setTimeout as sleep } from 'node:timers/promises';

import { Injectable, Module, type OnModuleInit } from '@nestjs/common';

import {
  AppConfig,
  ConfigValidationError,
  JobQueue,
  Outbox,
  TransactionRunner,
  type OutboxEvent,
} from '@app/core';

import { until } from '../utils/until';
import { BASE_ENV } from '../utils/test-env';
import { loadAppConfig } from '../../src/config';
import { createTestApp, useTestApp, type SuiteApp } from '../utils/test-app';

/**
 * APP_ROLE: what a `worker` serves (operational routes only) and runs (jobs, the outbox
 * relay), and what an `api` process serves (everything) and runs (nothing in the background).
 */

/** Job ids and event ids the probe's handlers ran, with the APP_ROLE of the process that ran them. */
const ran: Array<{ kind: 'job' | 'event'; id: string; role: string }> = [];

@Injectable()
class RolesProbe implements OnModuleInit {
  constructor(
    private readonly jobs: JobQueue,
    private readonly outbox: Outbox,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.jobs.define({
      name: 'probe.roles-ok',
      attempts: 1,
      handle: async (job) => {
        await Promise.resolve();
        ran.push({ kind: 'job', id: job.id, role: this.config.app.role });
      },
    });
    this.jobs.define({
      name: 'probe.roles-fail',
      attempts: 1,
      handle: async (job) => {
        await Promise.resolve();
        ran.push({ kind: 'job', id: job.id, role: this.config.app.role });
        throw new Error('fails on purpose');
      },
    });
    this.outbox.subscribe('roles-probe', async (event) => {
      await Promise.resolve();
      if (event.type === 'probe.roles') {
        ran.push({ kind: 'event', id: event.id, role: this.config.app.role });
      }
    });
  }
}

@Module({ providers: [RolesProbe] })
class RolesProbeModule {}

const FAST = { JOBS_POLL_INTERVAL_MS: '500', OUTBOX_POLL_INTERVAL_MS: '50', DOCS_ENABLED: 'true' };

async function publish(t: SuiteApp): Promise<OutboxEvent> {
  const outbox = t.app.get(Outbox);
  const event = outbox.event('probe.roles', { n: 1 });
  await t.app.get(TransactionRunner).run((tx) => outbox.publish(tx, event));
  outbox.nudge();
  return event;
}

async function jobState(t: SuiteApp, id: string): Promise<string | undefined> {
  const rows = await t.sql<{ state: string }>(
    'SELECT state::text AS state FROM pgboss.job WHERE id = $1',
    [id],
  );
  return rows[0]?.state;
}

async function dispatched(t: SuiteApp, id: string): Promise<boolean | undefined> {
  const rows = await t.sql<{ dispatched: boolean }>(
    'SELECT dispatched_at IS NOT NULL AS dispatched FROM outbox_events WHERE id = $1',
    [id],
  );
  return rows[0]?.dispatched;
}

describe('APP_ROLE=worker', () => {
  const t = useTestApp({ ...FAST, APP_ROLE: 'worker' }, { imports: [RolesProbeModule] });

  it('serves /health, /ready and /metrics', async () => {
    await t.http.get('/health').expect(200);
    await t.http.get('/ready').expect(200);
    await t.http.get('/metrics').expect(200);
  });

  it.each(['/api/v1/products', '/api/v1/products?limit=1', '/docs', '/docs-json', '/'])(
    'answers %s with the 404 problem of an unknown route',
    async (path) => {
      const res = await t.http.get(path).expect(404);
      expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      expect(res.body).toMatchObject({
        status: 404,
        code: 'ROUTE_NOT_FOUND',
        requestId: res.headers['x-request-id'],
      });
    },
  );

  it('refuses business writes the same way (nothing reaches a controller)', async () => {
    const res = await t.http
      .post('/api/v1/auth/login')
      .send({ email: 'a@example.com', password: 'whatever-password' })
      .expect(404);
    expect(res.body).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
  });

  it('runs jobs and the outbox relay, and /metrics counts the jobs per queue', async () => {
    const jobs = t.app.get(JobQueue);
    const ok = await jobs.send('probe.roles-ok', {});
    const failing = await jobs.send('probe.roles-fail', {});
    const event = await publish(t);
    await until('both jobs to run', () =>
      [ok, failing].every((id) => ran.some((r) => r.id === id)) ? true : undefined,
    );
    await until('the event to be handed over', async () =>
      (await dispatched(t, event.id)) === true ? true : undefined,
    );
    expect(ran.filter((r) => [ok, failing, event.id].includes(r.id))).toEqual(
      expect.arrayContaining([
        { kind: 'job', id: ok, role: 'worker' },
        { kind: 'job', id: failing, role: 'worker' },
        { kind: 'event', id: event.id, role: 'worker' },
      ]),
    );
    await until('the job states', async () =>
      (await jobState(t, ok)) === 'completed' && (await jobState(t, failing)) === 'failed'
        ? true
        : undefined,
    );

    const metrics = (await t.http.get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/^jobs_completed_total\{queue="probe\.roles-ok"\} 1$/m);
    expect(metrics).toMatch(/^jobs_failed_total\{queue="probe\.roles-fail"\} 1$/m);
    expect(metrics).toMatch(/^job_duration_seconds_count\{queue="probe\.roles-ok"\} 1$/m);
    expect(metrics).toMatch(
      /^job_duration_seconds_bucket\{le="\+Inf",queue="probe\.roles-fail"\} 1$/m,
    );
    expect(metrics).toMatch(/^jobs_queued\{queue="probe\.roles-ok"\} \d+$/m);
    for (const name of [
      'jobs_queued',
      'jobs_completed_total',
      'jobs_failed_total',
      'job_duration_seconds',
    ]) {
      expect(metrics).toContain(`# TYPE ${name} `);
    }
  });

  it('logs the queues it works, the outbox purge among them', () => {
    const working = t.logs.lines.find((l) => l.msg === 'Working job queues');
    expect(working).toBeDefined();
    expect(working?.queues).toEqual(expect.arrayContaining(['probe.roles-ok', 'outbox.purge']));
  });
});

describe('APP_ROLE=api', () => {
  const t = useTestApp({ ...FAST, APP_ROLE: 'api' }, { imports: [RolesProbeModule] });

  it('serves the business routes, the docs and the operational routes', async () => {
    await t.http.get('/api/v1/products?limit=1').expect(200);
    await t.http.get('/docs-json').expect(200);
    await t.http.get('/docs').expect((res) => {
      expect([200, 301]).toContain(res.status);
    });
    await t.http.get('/health').expect(200);
    await t.http.get('/ready').expect(200);
    await t.http.get('/metrics').expect(200);
  });

  it('takes no job and hands over no event, but a worker on the same database does', async () => {
    const ok = await t.app.get(JobQueue).send('probe.roles-ok', {});
    const event = await publish(t);
    // Ten of its job polls and about sixty relay polls, had it been running them.
    await sleep(5_000);
    expect(ran.filter((r) => r.id === ok || r.id === event.id)).toEqual([]);
    expect(await jobState(t, ok)).toBe('created');
    expect(await dispatched(t, event.id)).toBe(false);
    expect(t.logs.lines.filter((l) => l.msg === 'Working job queues')).toEqual([]);

    // Left for whoever runs jobs: a worker started now finds both.
    const worker = await createTestApp({ ...FAST, APP_ROLE: 'worker', DATABASE_URL: t.db.url }, [
      RolesProbeModule,
    ]);
    try {
      await until('the job and the event to be taken', () =>
        [ok, event.id].every((id) => ran.some((r) => r.id === id)) ? true : undefined,
      );
      expect(ran.filter((r) => r.id === ok || r.id === event.id)).toEqual(
        expect.arrayContaining([
          { kind: 'job', id: ok, role: 'worker' },
          { kind: 'event', id: event.id, role: 'worker' },
        ]),
      );
    } finally {
      await worker.close();
    }
  }, 40_000);
});

describe('CLUSTER_JOB_WORKERS (configuration)', () => {
  const load = (env: Record<string, string>): ReturnType<typeof loadAppConfig> =>
    loadAppConfig({
      ...BASE_ENV,
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/unused',
      REDIS_URL: 'redis://127.0.0.1:6379',
      ...env,
    });
  const problems = (env: Record<string, string>): readonly string[] => {
    try {
      load(env);
    } catch (error: unknown) {
      if (error instanceof ConfigValidationError) {
        return error.problems;
      }
      throw error;
    }
    return [];
  };

  it('is accepted beside more than one HTTP worker with APP_ROLE=all', () => {
    const config = load({ CLUSTER_WORKERS: '2', CLUSTER_JOB_WORKERS: '1' });
    expect(config.cluster).toEqual({ workers: 2, jobWorkers: 1 });
    expect(config.app).toMatchObject({ role: 'all', servesApi: true, runsJobs: true });
  });

  it.each(['1', undefined])(
    'is refused without CLUSTER_WORKERS > 1 (CLUSTER_WORKERS=%s)',
    (workers) => {
      const env: Record<string, string> = { CLUSTER_JOB_WORKERS: '1' };
      if (workers !== undefined) {
        env.CLUSTER_WORKERS = workers;
      }
      expect(problems(env)).toEqual([
        expect.stringMatching(/^CLUSTER_JOB_WORKERS=1: only with CLUSTER_WORKERS > 1/),
      ]);
    },
  );

  it.each(['api', 'worker'])('is refused with APP_ROLE=%s', (role) => {
    expect(problems({ CLUSTER_WORKERS: '2', CLUSTER_JOB_WORKERS: '2', APP_ROLE: role })).toEqual([
      expect.stringMatching(/^CLUSTER_JOB_WORKERS=2: only with APP_ROLE=all/),
    ]);
  });

  it('names both problems at once', () => {
    expect(problems({ CLUSTER_JOB_WORKERS: '1', APP_ROLE: 'worker' })).toHaveLength(2);
  });

  it('0 (the default) is fine with any role and worker count', () => {
    for (const role of ['all', 'api', 'worker']) {
      expect(load({ APP_ROLE: role, CLUSTER_WORKERS: '1' }).cluster.jobWorkers).toBe(0);
    }
  });
});
