import { MailSendError } from './mail-send.error';

const smtpError = (message: string, fields: Record<string, unknown>): Error =>
  Object.assign(new Error(message), fields);

describe('MailSendError', () => {
  it("keeps the transport's reason, code and reply, and the cause", () => {
    const cause = smtpError('Message failed: 451 Try again later', {
      code: 'EMESSAGE',
      responseCode: 451,
    });
    const error = new MailSendError('smtp', cause);
    expect(error).toMatchObject({
      name: 'MailSendError',
      message: 'Mail not sent (smtp): Message failed: 451 Try again later',
      transport: 'smtp',
      code: 'EMESSAGE',
      responseCode: 451,
      permanent: false,
      aborted: false,
      cause,
    });
  });

  it('calls a 5xx refusal permanent, except 503 (a bad command sequence)', () => {
    expect(new MailSendError('smtp', smtpError('x', { responseCode: 550 })).permanent).toBe(true);
    expect(new MailSendError('smtp', smtpError('x', { responseCode: 503 })).permanent).toBe(false);
    expect(new MailSendError('smtp', smtpError('x', { code: 'ECONNECTION' })).permanent).toBe(
      false,
    );
  });

  it('tells an aborted send, by nodemailer code or by AbortError', () => {
    expect(new MailSendError('smtp', smtpError('x', { code: 'EABORT' })).aborted).toBe(true);
    const abort = new DOMException('This operation was aborted', 'AbortError');
    expect(new MailSendError('file', abort)).toMatchObject({ aborted: true, code: null });
  });

  it('takes a thrown value that is no Error', () => {
    expect(new MailSendError('file', 'disk full').message).toBe('Mail not sent (file): disk full');
  });
});
