import { createHash, randomBytes } from 'node:crypto';

import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';

import { JobQueue, Mailer, formatDuration, type JobContext, type Transaction } from '@app/core';

import { UsersService, type AccountContact } from '../../users';
import { AuthConfig } from '../auth.config';
import { AccountTokenPurpose } from '../account-token.entity';
import { AccountTokensRepository } from '../account-tokens.repository';
import {
  passwordResetMail,
  securityNoticeMail,
  verificationMail,
  type RenderedMail,
  type SecurityNotice,
} from './mail-templates';

export const ACCOUNT_MAIL_JOB = 'auth.account-mail';
/**
 * Notices have a queue of their own: a worker of an earlier release, during a rolling
 * upgrade, knows only the account mails and would fail every notice until it is dead.
 */
export const SECURITY_NOTICE_JOB = 'auth.security-notice';

/**
 * A mail to send. It names the account, never a token: the run makes the token, stores its
 * hash and puts the raw token only in the mail, so no table (the job's included) holds one.
 * A password reset names the email as asked: whether it has an account is decided here, in
 * the background, so the request takes the same path for both.
 */
export type AccountMailJob =
  | { readonly kind: 'email-verification'; readonly userId: string }
  | { readonly kind: 'password-reset'; readonly email: string };

/** A notice to the account's owner: what changed, and when. */
export interface SecurityNoticeJob {
  readonly userId: string;
  readonly notice: SecurityNotice;
  /**
   * When the change was made (ISO 8601; this process's clock as it queued the notice, in
   * the change's transaction), which a mail sent after retries still reports.
   */
  readonly at: string;
}

/** A mail server that is down for an hour loses nothing: about 2 hours of retries (5 s doubling, at most 15 min apart). */
const MAIL_ATTEMPTS = 15;
const MAIL_RETRY_DELAY_SECONDS = 5;
const MAIL_MAX_RETRY_DELAY_SECONDS = 900;
const MAIL_TIMEOUT_SECONDS = 60;

const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** Hashes a token presented in a request the way mailed tokens are stored. */
export const hashAccountToken = hashToken;

/**
 * Verification and password-reset mails, and the notices that tell the owner their password
 * or second factor changed (ASVS 2.2.3, 2.5.5), as durable jobs: never sent inside a request.
 */
@Injectable()
export class AccountMail implements OnModuleInit {
  private readonly logger = new Logger(AccountMail.name);

  constructor(
    private readonly jobs: JobQueue,
    private readonly mailer: Mailer,
    private readonly users: UsersService,
    private readonly tokens: AccountTokensRepository,
    private readonly config: AuthConfig,
  ) {}

  onModuleInit(): void {
    const retries = {
      attempts: MAIL_ATTEMPTS,
      retryDelaySeconds: MAIL_RETRY_DELAY_SECONDS,
      backoff: true,
      maxRetryDelaySeconds: MAIL_MAX_RETRY_DELAY_SECONDS,
      timeoutSeconds: MAIL_TIMEOUT_SECONDS,
    };
    this.jobs.define<AccountMailJob>({
      name: ACCOUNT_MAIL_JOB,
      handle: (job) => this.run(job),
      ...retries,
    });
    this.jobs.define<SecurityNoticeJob>({
      name: SECURITY_NOTICE_JOB,
      handle: (job) => this.runNotice(job),
      ...retries,
    });
  }

  /** Queues the verification mail in the caller's transaction (registration). */
  async queueVerification(userId: string, tx?: Transaction): Promise<void> {
    const job: AccountMailJob = { kind: 'email-verification', userId };
    await this.jobs.send(ACCOUNT_MAIL_JOB, job, tx === undefined ? {} : { tx });
  }

  /** Queues a reset mail for whoever owns `email`, if anyone does. */
  async queuePasswordReset(email: string): Promise<void> {
    const job: AccountMailJob = { kind: 'password-reset', email };
    await this.jobs.send(ACCOUNT_MAIL_JOB, job);
  }

  /**
   * Queues a notice to the account's owner in the transaction that made the change, so it
   * goes out if, and only if, the change committed. It carries no link: a mail that only
   * informs gives a phisher nothing to copy.
   */
  async queueNotice(tx: Transaction, userId: string, notice: SecurityNotice): Promise<void> {
    const job: SecurityNoticeJob = { userId, notice, at: new Date().toISOString() };
    await this.jobs.send(SECURITY_NOTICE_JOB, job, { tx });
  }

  private async run(job: JobContext<AccountMailJob>): Promise<void> {
    const { data } = job;
    const account =
      data.kind === 'email-verification'
        ? await this.users.findContact(data.userId)
        : await this.users.findContactByEmail(data.email);
    if (account === null) {
      // A reset asked for an email without an account, or the account is gone.
      this.logger.log({ msg: 'Account mail not sent: no such account', kind: data.kind });
      return;
    }
    if (data.kind === 'email-verification' && account.emailVerified) {
      this.logger.log({ msg: 'Verification mail not sent: already verified', userId: account.id });
      return;
    }
    const mail = await this.render(data.kind, account);
    await this.send(job, account, mail, { kind: data.kind });
  }

  private async runNotice(job: JobContext<SecurityNoticeJob>): Promise<void> {
    const { userId, notice, at } = job.data;
    const account = await this.users.findContact(userId);
    if (account === null) {
      this.logger.log({ msg: 'Security notice not sent: no such account', notice, userId });
      return;
    }
    const mail = securityNoticeMail({ name: account.name, notice, at: new Date(at) });
    await this.send(job, account, mail, { kind: 'security-notice', notice });
  }

  private async send(
    job: JobContext<unknown>,
    account: AccountContact,
    mail: RenderedMail,
    fields: { readonly kind: string; readonly notice?: SecurityNotice },
  ): Promise<void> {
    job.signal.throwIfAborted();
    const sent = await this.mailer.send({ to: account.email, ...mail }, { signal: job.signal });
    this.logger.log({
      msg: 'Account mail sent',
      ...fields,
      userId: account.id,
      messageId: sent.messageId,
    });
  }

  /** Makes the link's token (stored as its hash) and the mail that carries it. */
  private async render(
    kind: AccountMailJob['kind'],
    account: AccountContact,
  ): Promise<RenderedMail> {
    const verification = kind === 'email-verification';
    const { ttlMs, path } = verification
      ? this.config.emailVerification
      : this.config.passwordReset;
    const token = randomBytes(32).toString('base64url');
    await this.tokens.insert({
      tokenHash: hashToken(token),
      userId: account.id,
      purpose: verification
        ? AccountTokenPurpose.EMAIL_VERIFICATION
        : AccountTokenPurpose.PASSWORD_RESET,
      expiresAt: new Date(Date.now() + ttlMs),
    });
    const content = {
      name: account.name,
      link: this.mailer.link(path, { token }),
      validFor: formatDuration(ttlMs),
    };
    return verification ? verificationMail(content) : passwordResetMail(content);
  }
}
