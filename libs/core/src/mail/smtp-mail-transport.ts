import type { OnApplicationShutdown } from '@nestjs/common';
import { createTransport, type SMTPSentMessageInfo, type Transporter } from 'nodemailer';

import { smtpTarget } from './mail.config';
import { MailTransport, type OutgoingMail, type SentMail } from './mail-transport';

export interface SmtpMailTransportOptions {
  /** smtp:// or smtps://, credentials and nodemailer options (query) included. */
  readonly url: string;
  /** Connecting, DNS, the greeting and each later wait on the server. */
  readonly timeoutMs: number;
}

/**
 * Mail over SMTP (nodemailer). One transporter per process, not pooled: each send opens its own
 * connection, so every wait is bounded by the timeouts (a pool would queue sends behind busy
 * connections without a bound), and a server that was down serves the next send as soon as it
 * is back. The transporter is closed at shutdown.
 */
export class SmtpMailTransport extends MailTransport implements OnApplicationShutdown {
  readonly name = 'smtp';
  readonly target: string;
  private readonly transporter: Transporter<SMTPSentMessageInfo>;

  constructor(options: SmtpMailTransportOptions) {
    super();
    this.target = smtpTarget(options.url);
    this.transporter = createTransport({
      url: options.url,
      connectionTimeout: options.timeoutMs,
      greetingTimeout: options.timeoutMs,
      socketTimeout: options.timeoutMs,
      dnsTimeout: options.timeoutMs,
      // Mails are built from strings only: nothing may make nodemailer read a file or a URL.
      disableFileAccess: true,
      disableUrlAccess: true,
      // nodemailer's own logger (off by default) would print the message; keep it off.
      logger: false,
      debug: false,
    });
  }

  async send(message: OutgoingMail, signal?: AbortSignal): Promise<SentMail> {
    const info = await this.transporter.sendMail({
      ...message,
      ...(signal === undefined ? {} : { signal }),
    });
    return { messageId: info.messageId, transport: this.name, file: null };
  }

  onApplicationShutdown(): void {
    this.transporter.close();
  }
}
