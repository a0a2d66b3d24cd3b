import { resolve } from 'node:path';

import { defineConfigSection } from '../config/config-section';
import { int, text } from '../config/config-variable';
import { isSingleMailbox } from './mail-address';

/** Where links in mails point when APP_PUBLIC_URL is unset: the server on its default port. */
export const DEFAULT_APP_PUBLIC_URL = 'http://localhost:3000';

function isSmtpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'smtp:' || url.protocol === 'smtps:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function isPublicUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (
      (url.protocol === 'http:' || url.protocol === 'https:') &&
      url.hostname !== '' &&
      url.username === '' &&
      url.password === '' &&
      url.search === '' &&
      url.hash === ''
    );
  } catch {
    return false;
  }
}

/** `https://shop.example.com/app/` → `https://shop.example.com/app`: links append `/<path>`. */
function withoutTrailingSlash(value: string): string {
  const url = new URL(value);
  url.pathname = url.pathname.replace(/\/+$/, '');
  return url.toString().replace(/\/$/, '');
}

/** The SMTP URL as logs may show it: scheme, host and port, never the credentials. */
export function smtpTarget(smtpUrl: string): string {
  const url = new URL(smtpUrl);
  return `${url.protocol}//${url.host}`;
}

/** Outgoing mail (accounts: verification and password reset) and the links in it. */
export class MailConfig extends defineConfigSection({
  title: 'Mail',
  variables: {
    SMTP_URL: text({
      test: isSmtpUrl,
      message:
        'SMTP_URL must be an smtp:// or smtps:// URL with a host, e.g. smtp://user:pass@mail.example.com:587',
      secret: true,
      defaultDoc: 'unset: `.eml` files in `MAIL_DIR`',
      example: 'smtp://user:pass@mail.example.com:587',
      doc: '`smtp://` (STARTTLS when offered) or `smtps://` (TLS), credentials in the URL, query parameters as nodemailer SMTP options (they win over `MAIL_TIMEOUT_MS`); unset in production: a warning at start',
    }),
    MAIL_FROM: text({
      default: 'Shop <no-reply@localhost>',
      test: isSingleMailbox,
      message:
        'MAIL_FROM must be one address, optionally with a display name: Shop <no-reply@example.com>',
      doc: 'sender of every mail: one address with an optional display name',
    }),
    MAIL_DIR: text({
      default: './data/mail',
      minLength: 1,
      doc: 'without `SMTP_URL`: where mails are written as `<time>-<id>.eml` (created when the first mail is written; each path is logged)',
    }),
    MAIL_TIMEOUT_MS: int({
      default: 10_000,
      min: 100,
      max: 300_000,
      doc: 'SMTP: the bound on connecting, on the greeting and on each wait for the server; a send that exceeds one fails and its job is retried',
    }),
    APP_PUBLIC_URL: text({
      test: isPublicUrl,
      message:
        'APP_PUBLIC_URL must be an absolute http(s) URL without credentials, query or fragment, e.g. https://shop.example.com',
      defaultDoc: `\`${DEFAULT_APP_PUBLIC_URL}\``,
      example: 'https://shop.example.com',
      doc: 'the address users open: links in mails start with it (a path prefix is kept), never with the Host of a request; unset in production: a warning at start',
    }),
  },
  build: (v) => ({
    /** null: no SMTP server, mails go to files under `dir`. */
    smtpUrl: v.SMTP_URL ?? null,
    from: v.MAIL_FROM,
    dir: resolve(v.MAIL_DIR),
    timeoutMs: v.MAIL_TIMEOUT_MS,
    /** Without a trailing slash. */
    publicUrl: withoutTrailingSlash(v.APP_PUBLIC_URL ?? DEFAULT_APP_PUBLIC_URL),
    /** False when the default is in use (production then logs a warning at start). */
    publicUrlConfigured: v.APP_PUBLIC_URL !== undefined,
  }),
}) {}
