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
  /** The link and its words; none in a notice, which only informs. */
  action?: { readonly words: string; readonly link: string };
  outro: string;
}): RenderedMail {
  const { action } = parts;
  const text = [
    parts.greeting,
    '',
    parts.intro,
    '',
    ...(action === undefined ? [] : [`${action.words}: ${action.link}`, '']),
    parts.outro,
    '',
  ].join('\n');
  const html = [
    '<!doctype html>',
    '<html><body style="font-family: sans-serif; line-height: 1.5">',
    `<p>${escapeHtml(parts.greeting)}</p>`,
    `<p>${escapeHtml(parts.intro)}</p>`,
    ...(action === undefined
      ? []
      : [`<p><a href="${escapeHtml(action.link)}">${escapeHtml(action.words)}</a></p>`]),
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
    action: { words: 'Confirm my email address', link: mail.link },
    outro: `The link works once, for ${mail.validFor}. If you did not create an account, ignore this mail.`,
  });
}

export function passwordResetMail(mail: LinkMail): RenderedMail {
  return render({
    subject: 'Reset your password',
    greeting: `Hello ${mail.name},`,
    intro: 'Somebody asked to reset the password of your account.',
    action: { words: 'Choose a new password', link: mail.link },
    outro:
      `The link works once, for ${mail.validFor}, and logs you out everywhere. ` +
      'If you did not ask for it, ignore this mail: your password stays as it is.',
  });
}

/** A change to how the account signs in, told to its owner once it has committed. */
export type SecurityNotice =
  | 'password-change'
  | 'password-reset'
  | 'mfa-enabled'
  | 'mfa-disabled'
  | 'mfa-reset'
  | 'recovery-code-login';

const NOTICES: Readonly<Record<SecurityNotice, { subject: string; what: string }>> = {
  'password-change': {
    subject: 'Your password was changed',
    what: 'The password of your account was changed on {at}. Every device was logged out.',
  },
  'password-reset': {
    subject: 'Your password was reset',
    what:
      'The password of your account was reset on {at}, with a link mailed to this address. ' +
      'Every device was logged out.',
  },
  'mfa-enabled': {
    subject: 'Two-step verification is on',
    what:
      'Two-step verification was turned on for your account on {at}. Logging in now also ' +
      'asks for a code from your authenticator app.',
  },
  'mfa-disabled': {
    subject: 'Two-step verification is off',
    what:
      'Two-step verification was turned off for your account on {at}. Every device was ' +
      'logged out.',
  },
  'recovery-code-login': {
    subject: 'A recovery code was used to log in',
    what:
      'Your password and one of your recovery codes were used on {at} to log in to your ' +
      'account, instead of a code from your authenticator app. That code cannot be used ' +
      'again.',
  },
  'mfa-reset': {
    subject: 'Two-step verification was removed',
    what:
      'An administrator removed two-step verification from your account on {at}. Every ' +
      'device was logged out.',
  },
};

const WHEN = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'UTC',
  dateStyle: 'long',
  timeStyle: 'short',
});

export function securityNoticeMail(mail: {
  readonly name: string;
  readonly notice: SecurityNotice;
  readonly at: Date;
}): RenderedMail {
  const { subject, what } = NOTICES[mail.notice];
  return render({
    subject,
    greeting: `Hello ${mail.name},`,
    intro: what.replace('{at}', `${WHEN.format(mail.at)} UTC`),
    outro:
      'If this was you, there is nothing to do. If it was not, reset your password at once ' +
      'and tell us: someone else may have signed in to your account.',
  });
}
