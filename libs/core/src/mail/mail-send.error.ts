import type { MailTransportName } from './mail-transport';

interface ErrorFields {
  readonly code?: unknown;
  readonly responseCode?: unknown;
  readonly name?: unknown;
}

/**
 * A mail that did not go out. The message is the transport's reason (nodemailer's or the file
 * system's), which names neither the body nor its links; the original error is the `cause`.
 */
export class MailSendError extends Error {
  override readonly name = 'MailSendError';
  /** nodemailer's code (`ECONNECTION`, `ETIMEDOUT`, `EENVELOPE`, `EMESSAGE`, `EABORT`…) or the file system's. */
  readonly code: string | null;
  /** The SMTP server's reply code when it answered with a refusal (421, 450, 550…). */
  readonly responseCode: number | null;
  /** The server refused for good (5xx): the same mail sent again is refused again. */
  readonly permanent: boolean;
  /** The caller's signal aborted the send (the SMTP server may have accepted it anyway). */
  readonly aborted: boolean;

  constructor(
    readonly transport: MailTransportName,
    cause: unknown,
  ) {
    const fields: ErrorFields = typeof cause === 'object' && cause !== null ? cause : {};
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`Mail not sent (${transport}): ${reason}`, { cause });
    this.code = typeof fields.code === 'string' ? fields.code : null;
    this.responseCode = typeof fields.responseCode === 'number' ? fields.responseCode : null;
    this.permanent =
      this.responseCode !== null && this.responseCode >= 500 && this.responseCode !== 503;
    this.aborted = this.code === 'EABORT' || fields.name === 'AbortError';
  }
}
