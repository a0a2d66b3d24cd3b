import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { Counter } from 'prom-client';

import { AppConfig } from '../config/app-config';
import { MetricsService } from '../observability/metrics.service';
import { isOneRecipient } from './mail-address';
import { MailConfig } from './mail.config';
import { buildLink } from './mail-link';
import { MailSendError } from './mail-send.error';
import { MailTransport, type SentMail } from './mail-transport';

/** A mail to one user: both bodies (build the HTML with `html` so that values are escaped). */
export interface MailContent {
  /** One plain address (`a@b`), as stored on the user. */
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

export interface MailSendOptions {
  /** Aborts the send (pass the job's `signal`); it then rejects with a MailSendError. */
  readonly signal?: AbortSignal;
}

/**
 * Sends the accounts mails (verification, password reset) from MAIL_FROM through the
 * configured transport, and builds their links from APP_PUBLIC_URL. Call it from a job
 * handler, never from a request: a failure rejects (a MailSendError) so that the job is
 * retried. Bodies and links carry tokens: they are never logged.
 */
@Injectable()
export class Mailer implements OnApplicationBootstrap {
  private readonly logger = new Logger('Mail');
  private readonly sent: Counter<'transport' | 'outcome'>;

  constructor(
    private readonly config: MailConfig,
    private readonly app: AppConfig,
    private readonly transport: MailTransport,
    metrics: MetricsService,
  ) {
    this.sent = metrics.counter(
      'mails_sent_total',
      'Mails handed to the transport, by transport (smtp, file) and outcome (sent, failed); a failed mail is retried by its job',
      ['transport', 'outcome'],
    );
    for (const outcome of ['sent', 'failed'] as const) {
      this.sent.inc({ transport: transport.name, outcome }, 0);
    }
  }

  /** Which transport this process uses, once at start (a warning where mails would be lost). */
  onApplicationBootstrap(): void {
    const { name, target } = this.transport;
    if (this.app.isProduction && name === 'file') {
      this.logger.warn({
        msg: 'SMTP_URL is not set: mails are written to files, not sent',
        transport: name,
        dir: target,
      });
    } else {
      this.logger.log({ msg: 'Mail transport', transport: name, target });
    }
    if (this.app.isProduction && !this.config.publicUrlConfigured) {
      this.logger.warn({
        msg: 'APP_PUBLIC_URL is not set: links in mails point at the default',
        publicUrl: this.config.publicUrl,
      });
    }
  }

  /** Resolves once the mail is accepted (SMTP) or written (file); rejects with MailSendError. */
  async send(mail: MailContent, options: MailSendOptions = {}): Promise<SentMail> {
    if (!isOneRecipient(mail.to)) {
      // A programming error, not a delivery failure: never a header with a second recipient.
      throw new Error('Mailer.send(): `to` must be one plain address (a@b)');
    }
    try {
      const sent = await this.transport.send({ ...mail, from: this.config.from }, options.signal);
      this.sent.inc({ transport: this.transport.name, outcome: 'sent' });
      return sent;
    } catch (error: unknown) {
      this.sent.inc({ transport: this.transport.name, outcome: 'failed' });
      throw error instanceof MailSendError ? error : new MailSendError(this.transport.name, error);
    }
  }

  /**
   * An absolute link under APP_PUBLIC_URL, its path prefix kept: link('/verify-email', { token })
   * with APP_PUBLIC_URL=https://shop.example.com/app is
   * https://shop.example.com/app/verify-email?token=…. `path` is the app's own, never a user's.
   */
  link(path: string, query: Readonly<Record<string, string>> = {}): string {
    return buildLink(this.config.publicUrl, path, query);
  }
}
