import { escapeHtml } from '@app/core';

/** A rendered mail: the same words as plain text and as HTML. */
export interface RenderedMail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

interface LinkMail {
  /** The account's display name. */
  readonly name: string;
  /** The absolute link with the token (built from APP_PUBLIC_URL, never from a request). */
  readonly link: string;
  /** How long the link works, in words ("24 hours"). */
  readonly validFor: string;
}

function render(parts: {
  subject: string;
  greeting: string;
  intro: string;
  action: string;
  link: string;
  outro: string;
}): RenderedMail {
  const text = [
    parts.greeting,
    '',
    parts.intro,
    '',
    `${parts.action}: ${parts.link}`,
    '',
    parts.outro,
    '',
  ].join('\n');
  const html = [
    '<!doctype html>',
    '<html><body style="font-family: sans-serif; line-height: 1.5">',
    `<p>${escapeHtml(parts.greeting)}</p>`,
    `<p>${escapeHtml(parts.intro)}</p>`,
    `<p><a href="${escapeHtml(parts.link)}">${escapeHtml(parts.action)}</a></p>`,
    `<p style="color: #555">${escapeHtml(parts.outro)}</p>`,
    '</body></html>',
    '',
  ].join('\n');
  return { subject: parts.subject, text, html };
}

export function verificationMail(mail: LinkMail): RenderedMail {
  return render({
    subject: 'Confirm your email address',
    greeting: `Hello ${mail.name},`,
    intro: 'Please confirm that this is your email address.',
    action: 'Confirm my email address',
    link: mail.link,
    outro: `The link works once, for ${mail.validFor}. If you did not create an account, ignore this mail.`,
  });
}

export function passwordResetMail(mail: LinkMail): RenderedMail {
  return render({
    subject: 'Reset your password',
    greeting: `Hello ${mail.name},`,
    intro: 'Somebody asked to reset the password of your account.',
    action: 'Choose a new password',
    link: mail.link,
    outro:
      `The link works once, for ${mail.validFor}, and logs you out everywhere. ` +
      'If you did not ask for it, ignore this mail: your password stays as it is.',
  });
}
