import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  AppConfig,
  MailConfig,
  MailSendError,
  Mailer,
  MetricsService,
  SmtpMailTransport,
  html,
  type MailContent,
} from '@app/core';

import { useTestDatabase } from '../utils/database';
import type { LogLine } from '../utils/log-capture';
import { parseMail, startSmtpServer, type TestSmtpServer } from '../utils/smtp-server';
import { START_TIMEOUT_MS } from '../utils/test-env';
import { createTestModule, type TestModule } from '../utils/test-module';

/**
 * The Mailer of @app/core on CoreModule as the app builds it: over SMTP to a real server on
 * 127.0.0.1 (smtp-server, read back with mailparser), with the server down, refusing or silent,
 * and to .eml files without SMTP_URL. Mails carry tokens: none may reach the logs.
 */

const TIMEOUT_MS = 1_000;
const TOKEN = 'tok_3f9a1c0e5b7d4a2e9c8b6d1f0a3e5c7b';

let sequence = 0;
/** A mail with a subject no other test uses, its token in the link of both bodies. */
function verificationMail(mailer: Mailer, to = 'ada@example.com'): MailContent {
  sequence += 1;
  const link = mailer.link('/verify-email', { token: TOKEN });
  return {
    to,
    subject: `Bestätige deine Adresse #${String(sequence)}`,
    text: `Hello Ada,\n\nopen ${link}.\n`,
    // prettier-ignore
    html: html`<p>Hello ${'Ada & co'},</p><p><a href="${link}">Verify your address</a></p>`,
  };
}

const linesWith = (logs: readonly LogLine[], msg: string): LogLine[] =>
  logs.filter((line) => line.msg === msg);

async function mailsCounted(m: TestModule, transport: string, outcome: string): Promise<number> {
  const metric = await m.get(MetricsService).registry.getSingleMetric('mails_sent_total')?.get();
  const series = metric?.values.find(
    (v) => v.labels.transport === transport && v.labels.outcome === outcome,
  );
  return series?.value ?? 0;
}

/** A TCP server on 127.0.0.1 that accepts connections and never says a word. */
async function startSilentServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `smtp://127.0.0.1:${String(port)}`,
    close: () => {
      for (const socket of sockets) {
        socket.destroy();
      }
      return new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}

async function elapsedOf(work: () => Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const started = performance.now();
  try {
    await work();
    return { ms: performance.now() - started, error: undefined };
  } catch (error: unknown) {
    return { ms: performance.now() - started, error };
  }
}

describe('Mailer (CoreModule, real SMTP server and files)', () => {
  const db = useTestDatabase();

  describe('over SMTP', () => {
    let smtp: TestSmtpServer;
    let m: TestModule;
    let mailer: Mailer;

    beforeAll(async () => {
      smtp = db.adopt(await startSmtpServer());
      m = db.adopt(
        await createTestModule(
          {
            DATABASE_URL: db.url,
            SMTP_URL: `smtp://mailer:s3cret-pass@127.0.0.1:${String(smtp.port)}`,
            MAIL_FROM: 'Shop <no-reply@shop.example.com>',
            MAIL_TIMEOUT_MS: String(TIMEOUT_MS),
            APP_PUBLIC_URL: 'https://shop.example.com/app/',
          },
          [],
        ),
      );
      mailer = m.get(Mailer);
    }, START_TIMEOUT_MS);

    afterEach(async () => {
      smtp.refuseNext(0);
      await smtp.start();
    });

    it('delivers the mail from MAIL_FROM to the recipient, with its subject and both bodies', async () => {
      const mail = verificationMail(mailer);
      const sent = await mailer.send(mail);
      const received = await smtp.waitForMail((r) => r.subject === mail.subject, 5_000);
      const link = `https://shop.example.com/app/verify-email?token=${TOKEN}`;
      expect(received).toMatchObject({
        from: { address: 'no-reply@shop.example.com', name: 'Shop' },
        to: ['ada@example.com'],
        envelope: { from: 'no-reply@shop.example.com', to: ['ada@example.com'] },
        subject: mail.subject,
        text: `Hello Ada,\n\nopen ${link}.\n`,
        html: `<p>Hello Ada &amp; co,</p><p><a href="${link}">Verify your address</a></p>`,
        links: [link],
        user: 'mailer',
      });
      expect(received.headers['message-id']).toBe(sent.messageId);
      expect(sent).toEqual({ messageId: sent.messageId, transport: 'smtp', file: null });
    });

    it('said at start which transport it uses, without the credentials of SMTP_URL', () => {
      expect(linesWith(m.logs.lines, 'Mail transport')).toEqual([
        expect.objectContaining({
          level: 'info',
          transport: 'smtp',
          target: `smtp://127.0.0.1:${String(smtp.port)}`,
        }),
      ]);
      expect(m.logs.text()).not.toContain('s3cret-pass');
    });

    it('builds links under APP_PUBLIC_URL, its path prefix kept', () => {
      expect(mailer.link('/reset-password', { token: 'a b&c' })).toBe(
        'https://shop.example.com/app/reset-password?token=a+b%26c',
      );
      expect(mailer.link('verify-email')).toBe('https://shop.example.com/app/verify-email');
    });

    it('counts sent and failed mails by transport', async () => {
      const sentBefore = await mailsCounted(m, 'smtp', 'sent');
      const failedBefore = await mailsCounted(m, 'smtp', 'failed');
      await mailer.send(verificationMail(mailer));
      smtp.refuseNext(1, 451);
      await expect(mailer.send(verificationMail(mailer))).rejects.toBeInstanceOf(MailSendError);
      expect(await mailsCounted(m, 'smtp', 'sent')).toBe(sentBefore + 1);
      expect(await mailsCounted(m, 'smtp', 'failed')).toBe(failedBefore + 1);
    });

    it('rejects within MAIL_TIMEOUT_MS while the server is down, and sends again once it is back', async () => {
      await smtp.stop();
      const down = verificationMail(mailer);
      const { ms, error } = await elapsedOf(() => mailer.send(down));
      expect(error).toBeInstanceOf(MailSendError);
      expect(error).toMatchObject({ transport: 'smtp', code: 'ESOCKET', permanent: false });
      expect(ms).toBeLessThan(TIMEOUT_MS);

      await smtp.start();
      await mailer.send(down);
      await expect(
        smtp.waitForMail((r) => r.subject === down.subject, 5_000),
      ).resolves.toMatchObject({ to: ['ada@example.com'] });
    });

    it("rejects a refused mail with the server's reply: 4xx transient, 5xx permanent", async () => {
      smtp.refuseNext(1, 451);
      await expect(mailer.send(verificationMail(mailer))).rejects.toMatchObject({
        name: 'MailSendError',
        code: 'EMESSAGE',
        responseCode: 451,
        permanent: false,
      });
      smtp.refuseNext(1, 550);
      await expect(mailer.send(verificationMail(mailer))).rejects.toMatchObject({
        responseCode: 550,
        permanent: true,
      });
      const next = verificationMail(mailer);
      await mailer.send(next);
      expect(smtp.received.some((r) => r.subject === next.subject)).toBe(true);
      expect(smtp.refused).toBeGreaterThanOrEqual(2);
    });

    it('refuses a `to` that is not exactly one address, before anything is sent', async () => {
      const count = smtp.received.length;
      for (const to of [
        'ada@example.com, eve@example.com',
        'ada@example.com\r\nBcc: eve@example.com',
        'Ada',
      ]) {
        await expect(mailer.send({ ...verificationMail(mailer), to })).rejects.toThrow(
          'Mailer.send(): `to` must be one plain address (a@b)',
        );
      }
      expect(smtp.received).toHaveLength(count);
    });

    it('never logs a body, a subject or a link', () => {
      const logged = m.logs.text();
      expect(smtp.received.length).toBeGreaterThan(0);
      expect(logged).not.toContain(TOKEN);
      expect(logged).not.toContain('verify-email');
      expect(logged).not.toContain('Bestätige');
    });

    describe('a server that accepts the connection and never answers', () => {
      let silent: { url: string; close(): Promise<void> };

      beforeAll(async () => {
        silent = db.adopt(await startSilentServer());
      });

      /** The Mailer of the app, on an SMTP transport to the silent server. */
      const mailerTo = (timeoutMs: number): { mailer: Mailer; transport: SmtpMailTransport } => {
        const transport = new SmtpMailTransport({ url: silent.url, timeoutMs });
        const mailer = new Mailer(
          m.get(MailConfig),
          m.get(AppConfig),
          transport,
          m.get(MetricsService),
        );
        return { mailer, transport };
      };

      it('rejects after MAIL_TIMEOUT_MS (no greeting), instead of hanging', async () => {
        const { mailer, transport } = mailerTo(TIMEOUT_MS);
        const { ms, error } = await elapsedOf(() => mailer.send(verificationMail(mailer)));
        transport.onApplicationShutdown();
        expect(error).toMatchObject({ name: 'MailSendError', code: 'ETIMEDOUT', permanent: false });
        expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS * 0.9);
        expect(ms).toBeLessThan(TIMEOUT_MS * 2.5);
      });

      it("rejects as soon as the caller's signal aborts (a job's timeout)", async () => {
        const { mailer, transport } = mailerTo(30_000);
        const { ms, error } = await elapsedOf(() =>
          mailer.send(verificationMail(mailer), { signal: AbortSignal.timeout(200) }),
        );
        transport.onApplicationShutdown();
        expect(error).toMatchObject({ name: 'MailSendError', aborted: true });
        expect(ms).toBeLessThan(2_000);
      });
    });
  });

  describe('without SMTP_URL: files under MAIL_DIR', () => {
    let root: string;
    let dir: string;
    let m: TestModule;
    let mailer: Mailer;

    beforeAll(async () => {
      root = mkdtempSync(join(tmpdir(), 'mail-int-'));
      dir = join(root, 'not', 'yet', 'there');
      m = db.adopt(
        await createTestModule(
          { DATABASE_URL: db.url, MAIL_DIR: dir, MAIL_FROM: 'Shop <shop@localhost>' },
          [],
        ),
      );
      mailer = m.get(Mailer);
    }, START_TIMEOUT_MS);

    afterAll(() => {
      rmSync(root, { recursive: true, force: true });
    });

    it('said at start that mails go to files in MAIL_DIR', () => {
      expect(linesWith(m.logs.lines, 'Mail transport')).toEqual([
        expect.objectContaining({ level: 'info', transport: 'file', target: dir }),
      ]);
    });

    it('writes a readable .eml (0600) into the directory it creates, and logs its path only', async () => {
      const mail = verificationMail(mailer, 'bob@example.com');
      const sent = await mailer.send(mail);

      expect(sent.transport).toBe('file');
      expect(readdirSync(dir).map((name) => join(dir, name))).toEqual([sent.file]);
      expect(sent.file).toMatch(
        /\/\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.eml$/,
      );
      const file = sent.file ?? '';
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const link = `http://localhost:3000/verify-email?token=${TOKEN}`;
      await expect(parseMail(readFileSync(file))).resolves.toMatchObject({
        from: { address: 'shop@localhost', name: 'Shop' },
        to: ['bob@example.com'],
        subject: mail.subject,
        text: `Hello Ada,\n\nopen ${link}.\n`,
        html: `<p>Hello Ada &amp; co,</p><p><a href="${link}">Verify your address</a></p>`,
        headers: expect.objectContaining({ 'message-id': sent.messageId }),
      });

      expect(linesWith(m.logs.lines, 'Mail written to a file')).toEqual([
        expect.objectContaining({ level: 'info', file, messageId: sent.messageId }),
      ]);
      expect(m.logs.text()).not.toContain(TOKEN);
      expect(m.logs.text()).not.toContain(mail.subject);
      expect(await mailsCounted(m, 'file', 'sent')).toBe(1);
    });
  });

  describe('in production without SMTP_URL and APP_PUBLIC_URL', () => {
    // Never created: nothing is sent here.
    const root = join(tmpdir(), 'mail-int-prod-unused');
    let m: TestModule;

    beforeAll(async () => {
      m = db.adopt(
        await createTestModule(
          {
            DATABASE_URL: db.url,
            NODE_ENV: 'production',
            MAIL_DIR: root,
            // Production refuses to start without the key of the TOTP secrets.
            MFA_ENCRYPTION_KEY: 'ab'.repeat(32),
          },
          [],
        ),
      );
    }, START_TIMEOUT_MS);

    it('warns at start that mails are only written to files and links point at the default', () => {
      expect(
        linesWith(m.logs.lines, 'SMTP_URL is not set: mails are written to files, not sent'),
      ).toEqual([expect.objectContaining({ level: 'warn', transport: 'file', dir: root })]);
      expect(
        linesWith(m.logs.lines, 'APP_PUBLIC_URL is not set: links in mails point at the default'),
      ).toEqual([expect.objectContaining({ level: 'warn', publicUrl: 'http://localhost:3000' })]);
    });
  });
});
