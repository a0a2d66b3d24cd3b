import { performance } from 'node:perf_hooks';

import { expectStatus, inParallel, loginToken, request } from '../../scripts/lib/loopback-http.ts';
import type { LogLine } from '../utils/log-capture';
import {
  ServerProcess,
  httpRequest,
  metricValue,
  processSuiteDatabase,
  sleep,
  within,
} from '../utils/server-process';
import { startSmtpServer, type ReceivedMail, type TestSmtpServer } from '../utils/smtp-server';
import { until } from '../utils/until';

/**
 * Account mails against the built server and a real SMTP server on 127.0.0.1: what users see
 * when the mail server is down while they register (every registration answered at once,
 * every verification mail delivered once it is back, none lost, none twice), and when the
 * process that queued the mails is killed before it could send them. Mails are jobs of the
 * queue `auth.account-mail` (5 s retry delay, doubling, with pg-boss's jitter of up to
 * twice that), so the down times here are chosen to keep the wait after the server is back
 * bounded: about 18 s down means at most three failed attempts and a next try at most 40 s
 * later.
 */

const QUEUE = 'auth.account-mail';
const PASSWORD = 'Mail-process-password-1';
const PUBLIC_URL = 'http://shop.test';
const SUBJECT = 'Confirm your email address';

/** Measured figures, printed with the test run. */
const note = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

interface Registration {
  readonly email: string;
  readonly status: number;
  readonly ms: number;
}

/** Registers `count` users through HTTP (4 at a time), each timed on its own. */
async function register(port: number, label: string, count: number): Promise<Registration[]> {
  const stamp = String(Date.now());
  return inParallel(
    4,
    Array.from({ length: count }, (_, i) => async (): Promise<Registration> => {
      const email = `mail-${label}-${stamp}-${String(i)}@example.com`;
      const started = performance.now();
      const res = await request({
        port,
        method: 'POST',
        path: '/api/v1/users',
        body: { email, name: `Mail user ${String(i)}`, password: PASSWORD },
        timeoutMs: 15_000,
      });
      return { email, status: res.status, ms: Math.round(performance.now() - started) };
    }),
  );
}

/** The queue's failed runs as the service logged them. */
const failedRuns = (server: ServerProcess): LogLine[] =>
  server.logsMatching((l) => l.queue === QUEUE && l.msg === 'Job failed; it will be retried');

/** Attempts that failed, per job id. */
function failuresByJob(server: ServerProcess): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of failedRuns(server)) {
    const id = String(line.jobId);
    out.set(id, Math.max(out.get(id) ?? 0, Number(line.attempt)));
  }
  return out;
}

async function metrics(server: ServerProcess): Promise<string> {
  const res = await httpRequest(server.port, '/metrics', { timeoutMs: 10_000 });
  expect(res.status).toBe(200);
  return res.body;
}

const mailsTo = (smtp: TestSmtpServer, email: string): ReceivedMail[] =>
  smtp.received.filter((m) => m.envelope.to.includes(email));

/** The token of the verification link in `mail` (the link a user would open). */
function verificationToken(mail: ReceivedMail): string {
  const link = mail.links.find((l) => l.startsWith(`${PUBLIC_URL}/verify-email?`));
  const token = link === undefined ? null : new URL(link).searchParams.get('token');
  if (token === null || token === '') {
    throw new Error(`no verification link in the mail to ${mail.to.join(', ')}: ${mail.text}`);
  }
  return token;
}

/**
 * Waits until each of `emails` has a mail, then until the service says it has sent exactly
 * that many (so a copy still on its way would be counted), and returns the wait in ms.
 */
async function everyMailArrives(
  smtp: TestSmtpServer,
  server: ServerProcess,
  emails: readonly string[],
  timeoutMs: number,
): Promise<number> {
  const since = Date.now();
  await until(
    `a mail to each of the ${String(emails.length)} users`,
    () => (emails.every((e) => mailsTo(smtp, e).length > 0) ? true : undefined),
    timeoutMs,
  );
  const waited = Date.now() - since;
  await until(
    `${String(emails.length)} mail jobs completed`,
    async () =>
      metricValue(await metrics(server), 'jobs_completed_total', { queue: QUEUE }) === emails.length
        ? true
        : undefined,
    15_000,
  );
  return waited;
}

/** Every user has exactly its verification mail, and nobody else got one. */
function expectOneVerificationMailEach(smtp: TestSmtpServer, emails: readonly string[]): void {
  const recipients = smtp.received.flatMap((m) => m.envelope.to);
  expect([...recipients].sort()).toEqual([...emails].sort());
  for (const email of emails) {
    const [mail, ...more] = mailsTo(smtp, email);
    expect(more).toHaveLength(0);
    expect(mail).toMatchObject({ to: [email], subject: SUBJECT });
    verificationToken(mail!);
  }
}

describe('account mails by the built server, the SMTP server down', () => {
  // A database per test: mails a failed test left queued never reach the next one's server.
  const downDb = processSuiteDatabase('process_mail_down');
  const killDb = processSuiteDatabase('process_mail_kill');
  let smtp: TestSmtpServer | undefined;

  afterEach(async () => {
    await smtp?.close();
    smtp = undefined;
  });

  const startServer = (databaseUrl: string, smtpUrl: string): Promise<ServerProcess> =>
    ServerProcess.start({
      env: {
        DATABASE_URL: databaseUrl,
        DB_MIGRATE_ON_START: 'true',
        JWT_SECRET: 'mail-process-suite-jwt-secret-0123456789abcdef',
        RATE_LIMIT_MAX: '1000000',
        LOGIN_RATE_LIMIT_MAX: '1000000',
        SMTP_URL: smtpUrl,
        APP_PUBLIC_URL: PUBLIC_URL,
        MAIL_TIMEOUT_MS: '2000',
        JOBS_POLL_INTERVAL_MS: '500',
        SHUTDOWN_READY_DELAY_MS: '0',
        SHUTDOWN_TIMEOUT_MS: '15000',
      },
      timeoutMs: 60_000,
    });

  it('20 users register while it is down: all 201 at once, and every mail arrives once it is back', async () => {
    const N = 20;
    const DOWN_MS = 18_000;
    smtp = await startSmtpServer();
    await smtp.stop();
    const server = await startServer(downDb.url, smtp.url);

    const downAt = Date.now();
    const registrations = await register(server.port, 'down', N);
    const registeredIn = Date.now() - downAt;
    expect(registrations.filter((r) => r.status !== 201)).toEqual([]);
    const emails = registrations.map((r) => r.email);
    const slowest = Math.max(...registrations.map((r) => r.ms));
    // A request never waits on the mail server (MAIL_TIMEOUT_MS is 2 s).
    expect(slowest).toBeLessThan(5_000);

    // Down long enough that every mail has failed twice: a retry failed as well.
    await until(
      `each of the ${String(N)} mail jobs failing twice`,
      () => {
        const byJob = failuresByJob(server);
        return byJob.size === N && [...byJob.values()].every((a) => a >= 2) ? byJob : undefined;
      },
      45_000,
    );
    await sleep(Math.max(0, DOWN_MS - (Date.now() - downAt)));
    const whileDown = await metrics(server);
    const failedMails = metricValue(whileDown, 'mails_sent_total', {
      transport: 'smtp',
      outcome: 'failed',
    });
    expect(failedMails).toBeGreaterThanOrEqual(2 * N);
    expect(metricValue(whileDown, 'jobs_failed_total', { queue: QUEUE })).toBe(failedMails);
    expect(metricValue(whileDown, 'mails_sent_total', { transport: 'smtp', outcome: 'sent' })).toBe(
      0,
    );
    expect(smtp.received).toEqual([]);
    const failures = failuresByJob(server);
    // The reason is logged, never the mail (it carries the link's token).
    const reasons = new Set(failedRuns(server).map((l) => String(l.reason)));
    expect(server.output()).not.toContain('verify-email?token=');

    await smtp.start();
    const upAt = Date.now();
    const waited = await everyMailArrives(smtp, server, emails, 90_000);
    expectOneVerificationMailEach(smtp, emails);
    const after = await metrics(server);
    expect(metricValue(after, 'mails_sent_total', { transport: 'smtp', outcome: 'sent' })).toBe(N);
    const lastAt = Math.max(...smtp.received.map((m) => m.at));

    // Following one link verifies that account.
    const email = emails[0]!;
    const token = await loginToken(server.port, { email, password: PASSWORD });
    const me = (): Promise<unknown> =>
      expectStatus({ port: server.port, path: '/api/v1/users/me', token }, 200);
    expect(await me()).toMatchObject({ email, emailVerified: false });
    await expectStatus(
      {
        port: server.port,
        method: 'POST',
        path: '/api/v1/auth/verify-email',
        body: { token: verificationToken(mailsTo(smtp, email)[0]!) },
      },
      204,
    );
    expect(await me()).toMatchObject({ email, emailVerified: true });
    expect(server.isRunning).toBe(true);

    const attempts = [...failures.values()];
    note(
      `[mail] SMTP down: ${String(N)} registrations all 201 in ${String(registeredIn)} ms, slowest ${String(slowest)} ms; ` +
        `down ${String(upAt - downAt)} ms: ${String(failedMails)} failed sends, ${String(Math.min(...attempts))}..${String(Math.max(...attempts))} ` +
        `failed attempts per mail (${[...reasons].join(' | ').slice(0, 200)}); back up: first mail after ${String(Math.min(...smtp.received.map((m) => m.at)) - upAt)} ms, ` +
        `all ${String(N)} after ${String(lastAt - upAt)} ms (waited ${String(waited)} ms), none twice`,
    );
  }, 240_000);

  it('kill -9 with the mails still queued: a new process sends every one of them', async () => {
    const N = 10;
    smtp = await startSmtpServer();
    await smtp.stop();
    const first = await startServer(killDb.url, smtp.url);
    const registrations = await register(first.port, 'kill', N);
    expect(registrations.filter((r) => r.status !== 201)).toEqual([]);
    const emails = registrations.map((r) => r.email);
    await until(
      `each of the ${String(N)} mail jobs failing once`,
      () => (failuresByJob(first).size === N ? true : undefined),
      30_000,
    );
    const killedAt = Date.now();
    first.kill('SIGKILL');
    expect((await within(first.exited, 10_000, 'the server did not die')).signal).toBe('SIGKILL');

    await smtp.start();
    const second = await startServer(killDb.url, smtp.url);
    const readyAt = Date.now();
    // A job that was running at the kill waits for its timeout (60 s) before it is retried.
    const waited = await everyMailArrives(smtp, second, emails, 150_000);
    expectOneVerificationMailEach(smtp, emails);
    expect(
      metricValue(await metrics(second), 'mails_sent_total', {
        transport: 'smtp',
        outcome: 'sent',
      }),
    ).toBe(N);
    const lastAt = Math.max(...smtp.received.map((m) => m.at));
    note(
      `[mail] kill -9 with ${String(N)} mails queued (each failed once): all ${String(N)} sent by the next process ` +
        `${String(lastAt - readyAt)} ms after it was ready (${String(lastAt - killedAt)} ms after the kill; waited ${String(waited)} ms), none twice`,
    );
  }, 240_000);
});
