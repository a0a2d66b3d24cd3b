import { securityNoticeMail, type SecurityNotice } from './mail-templates';

const NOTICES: readonly SecurityNotice[] = [
  'password-change',
  'password-reset',
  'mfa-enabled',
  'mfa-disabled',
  'mfa-reset',
  'recovery-code-login',
];

describe('securityNoticeMail', () => {
  const at = new Date('2026-12-03T09:41:27.000Z');

  it.each(NOTICES)(
    '%s: says when in UTC, greets by name (escaped in HTML), has no link',
    (notice) => {
      const mail = securityNoticeMail({ name: 'Ada <b>& Bob</b>', notice, at });
      expect(mail.subject).not.toBe('');
      expect(mail.text).toContain('Hello Ada <b>& Bob</b>,');
      expect(mail.html).toContain('Hello Ada &lt;b&gt;&amp; Bob&lt;/b&gt;,');
      expect(mail.html).not.toContain('<b>');
      expect(mail.text).toContain('3 December 2026 at 09:41 UTC');
      expect(mail.html).toContain('3 December 2026 at 09:41 UTC');
      expect(`${mail.text}${mail.html}`).not.toMatch(/https?:|<a\b|\{at\}/);
    },
  );

  it('gives every notice its own subject', () => {
    const subjects = NOTICES.map((notice) => securityNoticeMail({ name: 'A', notice, at }).subject);
    expect(new Set(subjects).size).toBe(NOTICES.length);
  });
});
