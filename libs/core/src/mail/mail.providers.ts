import type { Provider } from '@nestjs/common';

import { FileMailTransport } from './file-mail-transport';
import { MailConfig } from './mail.config';
import { MailTransport } from './mail-transport';
import { Mailer } from './mailer';
import { SmtpMailTransport } from './smtp-mail-transport';

/** The transport SMTP_URL selects (files under MAIL_DIR without it), and the Mailer on it. */
export const MAIL_PROVIDERS: Provider[] = [
  {
    provide: MailTransport,
    inject: [MailConfig],
    useFactory: (config: MailConfig): MailTransport =>
      config.smtpUrl === null
        ? new FileMailTransport({ dir: config.dir })
        : new SmtpMailTransport({ url: config.smtpUrl, timeoutMs: config.timeoutMs }),
  },
  Mailer,
];
