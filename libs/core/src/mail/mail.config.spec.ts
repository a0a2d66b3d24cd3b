import { resolve } from 'node:path';

import { MailConfig } from './mail.config';

const development = { nodeEnv: 'development', isProduction: false } as const;

const read = (raw: Record<string, string>) => MailConfig.read(raw, development);

describe('MailConfig', () => {
  it('writes mails to ./data/mail from "Shop <no-reply@localhost>" when nothing is set', () => {
    expect(read({})).toEqual({
      ok: true,
      value: {
        smtpUrl: null,
        from: 'Shop <no-reply@localhost>',
        dir: resolve('data/mail'),
        timeoutMs: 10_000,
        publicUrl: 'http://localhost:3000',
        publicUrlConfigured: false,
      },
    });
  });

  it('takes smtp:// and smtps:// URLs, credentials and options included', () => {
    for (const url of [
      'smtp://127.0.0.1:2525',
      'smtps://user:p%40ss@mail.example.com:465',
      'smtp://mail.example.com?tls.rejectUnauthorized=false',
    ]) {
      expect(read({ SMTP_URL: url })).toMatchObject({ ok: true, value: { smtpUrl: url } });
    }
  });

  it('refuses an SMTP_URL of another scheme or without a host, never echoing it', () => {
    for (const url of ['http://user:secret@mail.example.com', 'smtp://', 'mail.example.com:25']) {
      expect(read({ SMTP_URL: url })).toEqual({
        ok: false,
        problems: [
          `SMTP_URL=(${String(url.length)} characters, not shown): SMTP_URL must be an smtp:// or smtps:// URL with a host, e.g. smtp://user:pass@mail.example.com:587`,
        ],
      });
    }
  });

  it('takes MAIL_FROM as one address, with or without a display name', () => {
    for (const from of [
      'no-reply@example.com',
      'Shop <no-reply@shop.example.com>',
      '"Shop, Inc." <a@b>',
    ]) {
      expect(read({ MAIL_FROM: from })).toMatchObject({ ok: true, value: { from } });
    }
  });

  it('refuses a MAIL_FROM that is no address, two of them, a group or a header break', () => {
    for (const from of ['Shop', 'a@b, c@d', 'team: a@b, c@d;', 'a@b\r\nBcc: c@d', 'Shop <@b>']) {
      expect(read({ MAIL_FROM: from })).toEqual({
        ok: false,
        problems: [
          `MAIL_FROM=${JSON.stringify(from)}: MAIL_FROM must be one address, optionally with a display name: Shop <no-reply@example.com>`,
        ],
      });
    }
  });

  it('keeps the path prefix of APP_PUBLIC_URL, without its trailing slash', () => {
    expect(read({ APP_PUBLIC_URL: 'https://shop.example.com/app/' })).toMatchObject({
      ok: true,
      value: { publicUrl: 'https://shop.example.com/app', publicUrlConfigured: true },
    });
    expect(read({ APP_PUBLIC_URL: 'https://shop.example.com' })).toMatchObject({
      ok: true,
      value: { publicUrl: 'https://shop.example.com' },
    });
  });

  it('refuses an APP_PUBLIC_URL that is relative, not http(s), or has credentials, a query or a fragment', () => {
    for (const url of [
      '/app',
      'shop.example.com',
      'ftp://shop.example.com',
      'https://user:pw@shop.example.com',
      'https://shop.example.com/?a=1',
      'https://shop.example.com/#x',
    ]) {
      expect(read({ APP_PUBLIC_URL: url })).toEqual({
        ok: false,
        problems: [
          `APP_PUBLIC_URL=${JSON.stringify(url)}: APP_PUBLIC_URL must be an absolute http(s) URL without credentials, query or fragment, e.g. https://shop.example.com`,
        ],
      });
    }
  });

  it('bounds MAIL_TIMEOUT_MS', () => {
    expect(read({ MAIL_TIMEOUT_MS: '50' })).toEqual({
      ok: false,
      problems: ['MAIL_TIMEOUT_MS=50: MAIL_TIMEOUT_MS must not be less than 100'],
    });
    expect(read({ MAIL_TIMEOUT_MS: '2500', MAIL_DIR: '/tmp/mails' })).toMatchObject({
      ok: true,
      value: { timeoutMs: 2500, dir: '/tmp/mails' },
    });
  });
});
