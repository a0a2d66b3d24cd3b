/** Which adapter carried a mail (a label of `mails_sent_total`). */
export type MailTransportName = 'smtp' | 'file';

/** One mail, ready to go: both bodies, one recipient. */
export interface OutgoingMail {
  /** One mailbox, `a@b` or `Name <a@b>` (MAIL_FROM). */
  readonly from: string;
  /** One address. */
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

export interface SentMail {
  /** The Message-ID header nodemailer gave the mail (`<…@…>`). */
  readonly messageId: string;
  readonly transport: MailTransportName;
  /** The file adapter: the absolute path of the `.eml` written; null over SMTP. */
  readonly file: string | null;
}

/**
 * The mail port. Adapters build the MIME message with nodemailer and either hand it to an
 * SMTP server or write it to a file. `send` resolves once the server accepted the mail (or the
 * file is written) and rejects otherwise, also when `signal` aborts: an aborted SMTP send may
 * still have been accepted, so mails are delivered at least once.
 */
export abstract class MailTransport {
  abstract readonly name: MailTransportName;
  /** Where mails go, safe to log: `smtp://host:port` (no credentials) or the directory. */
  abstract readonly target: string;
  abstract send(message: OutgoingMail, signal?: AbortSignal): Promise<SentMail>;
}
