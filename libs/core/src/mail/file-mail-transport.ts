import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { Logger } from '@nestjs/common';
import { createTransport, type StreamSentMessageInfo, type Transporter } from 'nodemailer';

import { MailTransport, type OutgoingMail, type SentMail } from './mail-transport';

export interface FileMailTransportOptions {
  /** Absolute; created (0700) with the first mail. */
  readonly dir: string;
}

/** `2025-01-31T09-15-02-123Z`: sorts like the time, and is a valid file name everywhere. */
function fileTime(now: Date): string {
  return now.toISOString().replace(/[:.]/g, '-');
}

/**
 * Development mail: nodemailer builds the same MIME message it would send over SMTP and it is
 * written to `<dir>/<time>-<id>.eml` (any mail client opens it); the path is logged at info so
 * that whoever runs the server can open the mail and follow its link. Files are 0600: they
 * carry account tokens.
 */
export class FileMailTransport extends MailTransport {
  readonly name = 'file';
  readonly target: string;
  private readonly logger = new Logger('Mail');
  private readonly dir: string;
  private readonly transporter: Transporter<StreamSentMessageInfo>;

  constructor(options: FileMailTransportOptions) {
    super();
    this.dir = options.dir;
    this.target = options.dir;
    this.transporter = createTransport({
      streamTransport: true,
      buffer: true,
      newline: 'unix',
      disableFileAccess: true,
      disableUrlAccess: true,
    });
  }

  async send(message: OutgoingMail, signal?: AbortSignal): Promise<SentMail> {
    const info = await this.transporter.sendMail({
      ...message,
      ...(signal === undefined ? {} : { signal }),
    });
    if (!Buffer.isBuffer(info.message)) {
      throw new Error('nodemailer returned a stream although buffer: true was asked for');
    }
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file = join(this.dir, `${fileTime(new Date())}-${randomUUID()}.eml`);
    await writeFile(file, info.message, {
      flag: 'wx',
      mode: 0o600,
      ...(signal === undefined ? {} : { signal }),
    });
    this.logger.log({ msg: 'Mail written to a file', file, messageId: info.messageId });
    return { messageId: info.messageId, transport: this.name, file };
  }
}
