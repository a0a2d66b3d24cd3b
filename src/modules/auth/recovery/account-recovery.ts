import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';

import { Housekeeping, TransactionRunner } from '@app/core';

import { UsersService } from '../../users';
import { AccountTokenPurpose } from '../account-token.entity';
import { AccountTokensRepository } from '../account-tokens.repository';
import { AccountTokenInvalidError } from '../auth.errors';
import { LoginThrottle } from '../login-throttle';
import { AccountMail, hashAccountToken } from './account-mail';

/** Spent and expired link tokens are kept a day for support questions, then deleted. */
const PURGE_GRACE_MS = 24 * 60 * 60 * 1000;

/**
 * The mailed-link flows: verify an email, reset a forgotten password. Requests never send
 * mail themselves: they queue a job (AccountMail) and answer at once.
 */
@Injectable()
export class AccountRecovery implements OnModuleInit {
  private readonly logger = new Logger(AccountRecovery.name);

  constructor(
    private readonly users: UsersService,
    private readonly tokens: AccountTokensRepository,
    private readonly mail: AccountMail,
    private readonly throttle: LoginThrottle,
    private readonly transactions: TransactionRunner,
    private readonly housekeeping: Housekeeping,
  ) {}

  onModuleInit(): void {
    this.users.onRegistered((tx, account) => this.mail.queueVerification(account.id, tx));
    // The owner hears of a password change or reset, in case it was not them; sessions ended
    // on their own (log out everywhere, a factor turned off) change no credential.
    this.users.onPasswordChanged((tx, userId, by) =>
      by === 'sessions-end' ? Promise.resolve() : this.mail.queueNotice(tx, userId, by),
    );
    this.housekeeping.register({
      name: 'account-tokens.purge',
      run: () => this.tokens.purgeExpired(new Date(Date.now() - PURGE_GRACE_MS)),
    });
  }

  /** Another verification mail, limited per client address and per account like login. */
  async resendVerification(userId: string, clientAddress: string): Promise<void> {
    const account = await this.users.findContact(userId);
    if (account === null) {
      return;
    }
    await this.throttle.consume(clientAddress, account.email, 'verification-email');
    if (!account.emailVerified) {
      await this.mail.queueVerification(account.id);
    }
  }

  async verifyEmail(token: string): Promise<void> {
    const tokenHash = hashAccountToken(token);
    const verified = await this.transactions.run(async (tx) => {
      const userId = await this.tokens.spend(tx, tokenHash, AccountTokenPurpose.EMAIL_VERIFICATION);
      return userId !== null && (await this.users.markEmailVerified(tx, userId));
    });
    if (!verified) {
      throw new AccountTokenInvalidError();
    }
  }

  /**
   * The same work whether or not `email` has an account: the limit, then one queued job
   * that finds out in the background. Nothing in the answer or its timing tells the two apart.
   */
  async requestPasswordReset(email: string, clientAddress: string): Promise<void> {
    await this.throttle.consume(clientAddress, email, 'password-reset');
    await this.mail.queuePasswordReset(email);
  }

  /**
   * Spends the token and sets the password in one transaction: every session and access
   * token of the account ends with it, and every other reset link dies. The password is
   * hashed first (only for a live token), so no transaction waits on the KDF.
   */
  async confirmPasswordReset(token: string, password: string): Promise<void> {
    const tokenHash = hashAccountToken(token);
    const owner = await this.tokens.findLiveOwner(tokenHash, AccountTokenPurpose.PASSWORD_RESET);
    if (owner === null) {
      throw new AccountTokenInvalidError();
    }
    const passwordHash = await this.users.hashPassword(password);
    // The account's row first, then its tokens: two links of one account confirmed at once
    // queue on the row instead of deadlocking on each other's tokens. The loser finds its
    // token spent and rolls its password write back.
    await this.transactions.run(async (tx) => {
      const found = await this.users.resetPassword(tx, owner, passwordHash);
      const spentBy = await this.tokens.spend(tx, tokenHash, AccountTokenPurpose.PASSWORD_RESET);
      if (!found || spentBy !== owner) {
        throw new AccountTokenInvalidError();
      }
      await this.tokens.spendAllOf(tx, owner, AccountTokenPurpose.PASSWORD_RESET);
    });
    this.logger.log({ msg: 'Password reset: every session ended', userId: owner });
  }
}
