import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';

import { TransactionRunner, type AuthenticatedUser } from '@app/core';

import { CurrentPasswordInvalidError, UsersService } from '../../users';
import { LoginThrottle } from '../login-throttle';
import { AccountMail } from '../recovery/account-mail';
import type { MfaRecoveryCodesResponse } from './dto/mfa-recovery-codes.response';
import type { MfaSetupResponse } from './dto/mfa-setup.response';
import { DEVELOPMENT_ENCRYPTION_KEY_HEX, MfaConfig } from './mfa.config';
import type { UserMfaEntity } from './mfa.entity';
import {
  MfaAlreadyEnabledError,
  MfaNotEnabledError,
  MfaNotSetUpError,
  MfaSettingsCodeInvalidError,
} from './mfa.errors';
import { MfaRepository } from './mfa.repository';
import { hashRecoveryCode, newRecoveryCodes } from './recovery-codes';
import { SecretBox, SecretBoxOpenError } from './secret-box';
import { TOTP, Totp } from './totp';

/** Which factor a login step was passed with. */
export type SecondFactor = 'totp' | 'recovery';

/** What is tried as a TOTP code: 6 digits, spaces allowed (`123 456`); the rest as a recovery code. */
const TOTP_INPUT = new RegExp(`^\\d{${TOTP.digits}}$`);
const totpInput = (code: string): string | null => {
  const digits = code.replace(/\s+/g, '');
  return TOTP_INPUT.test(digits) ? digits : null;
};

/**
 * The TOTP second factor (RFC 6238): set up, enable with a first code (which issues ten
 * recovery codes), verify a login's second step, disable, reset. A code's time step is
 * spent when it is accepted, so a code works once even within its 30 seconds; spending is a
 * conditional write, so two requests racing with one code cannot both pass.
 */
@Injectable()
export class MfaService implements OnModuleInit {
  private readonly logger = new Logger(MfaService.name);
  private readonly box: SecretBox;
  private readonly totp: Totp;

  constructor(
    private readonly mfa: MfaRepository,
    private readonly users: UsersService,
    private readonly config: MfaConfig,
    private readonly transactions: TransactionRunner,
    private readonly throttle: LoginThrottle,
    private readonly mail: AccountMail,
  ) {
    const keyHex = config.encryptionKeyHex ?? DEVELOPMENT_ENCRYPTION_KEY_HEX;
    this.box = new SecretBox(Buffer.from(keyHex, 'hex'));
    this.totp = new Totp(config.issuer);
  }

  onModuleInit(): void {
    if (this.config.encryptionKeyHex === null) {
      // Only reachable outside production (the config refuses production without a key).
      this.logger.warn({
        msg: 'MFA_ENCRYPTION_KEY not set: TOTP secrets are encrypted with the fixed development key',
      });
    }
  }

  /**
   * A new secret for the user's authenticator, stored encrypted and pending until `enable()`;
   * it replaces an earlier setup that was never enabled. 409 when a factor is enabled.
   */
  async setup(userId: string, accountName: string): Promise<MfaSetupResponse> {
    const secret = this.totp.generateSecret();
    const outcome = await this.mfa.storeSetup(userId, this.box.encrypt(secret, userId));
    if (outcome === 'already-enabled') {
      throw new MfaAlreadyEnabledError();
    }
    this.logger.log({ msg: 'MFA set up, waiting for its first code', userId });
    return { secret, otpauthUrl: this.totp.otpauthUrl(accountName, secret) };
  }

  /** `setup()` for the caller, labelled with the account's email in the authenticator. */
  async setupFor(user: AuthenticatedUser): Promise<MfaSetupResponse> {
    const account = await this.users.getVisibleTo(user.id, user);
    return this.setup(user.id, account.email);
  }

  /**
   * Turns the pending setup on with a current code (proof the authenticator has the secret),
   * and returns ten new recovery codes, shown this once. The owner is mailed a notice.
   */
  async enable(userId: string, code: string): Promise<MfaRecoveryCodesResponse> {
    const mfa = await this.mfa.findByUser(userId);
    if (mfa === null) {
      throw new MfaNotSetUpError();
    }
    if (mfa.enabledAt !== null) {
      throw new MfaAlreadyEnabledError();
    }
    const input = totpInput(code);
    const step = input === null ? null : this.totp.matchStep(this.secretOf(mfa), input);
    if (step === null) {
      throw new MfaSettingsCodeInvalidError();
    }
    const recovery = newRecoveryCodes();
    const enabled = await this.transactions.run(async (tx) => {
      if (!(await this.mfa.enable(tx, userId, mfa.secretCiphertext, step, recovery.hashes))) {
        return false;
      }
      await this.mail.queueNotice(tx, userId, 'mfa-enabled');
      return true;
    });
    if (!enabled) {
      // Enabled by a concurrent request, or replaced by a new setup the code is not for.
      throw (await this.mfa.isEnabled(userId))
        ? new MfaAlreadyEnabledError()
        : new MfaSettingsCodeInvalidError();
    }
    this.logger.log({ msg: 'MFA enabled', userId });
    return { recoveryCodes: recovery.codes };
  }

  /**
   * Turns the factor off with a code (TOTP or an unused recovery code, spent like a login's);
   * the caller has checked the password. The secret and every recovery code are deleted, and
   * every session ends with them, the caller's included: their logins passed a factor that is
   * gone, and with `REQUIRE_ADMIN_MFA` an admin must not keep such a login. The owner is
   * mailed a notice.
   */
  async disable(userId: string, code: string): Promise<void> {
    const mfa = await this.mfa.findByUser(userId);
    if (mfa === null || mfa.enabledAt === null) {
      throw new MfaNotEnabledError();
    }
    if ((await this.verifyWith(mfa, code, { noticeOnRecovery: false })) === null) {
      throw new MfaSettingsCodeInvalidError();
    }
    // The factor and every session of it go together: no crash between the two can leave a
    // login that passed a factor which is gone.
    await this.transactions.run(async (tx) => {
      if (!(await this.mfa.removeEnabled(tx, userId))) {
        throw new MfaNotEnabledError();
      }
      await this.users.endAllSessions(userId, tx);
      await this.mail.queueNotice(tx, userId, 'mfa-disabled');
    });
    this.logger.log({ msg: 'MFA disabled; every session ended', userId });
  }

  /**
   * `enable()` for the caller, the attempt counted like a login's (per client address and per
   * email, 429 over the limit), right or wrong: the code is a credential being guessed.
   */
  async enableFor(
    user: AuthenticatedUser,
    code: string,
    clientAddress: string,
  ): Promise<MfaRecoveryCodesResponse> {
    await this.countAttempt(user, clientAddress);
    return this.enable(user.id, code);
  }

  /**
   * `disable()` behind the account's password (401 `USER_CURRENT_PASSWORD_INVALID`), the
   * attempt counted like a login's before either is checked: a stolen access token must not
   * buy a way to guess the password, or the code, outside the login limit.
   */
  async disableFor(
    user: AuthenticatedUser,
    code: string,
    currentPassword: string,
    clientAddress: string,
  ): Promise<void> {
    await this.countAttempt(user, clientAddress);
    if (!(await this.users.verifyPassword(user.id, currentPassword))) {
      throw new CurrentPasswordInvalidError();
    }
    await this.disable(user.id, code);
  }

  isEnabled(userId: string): Promise<boolean> {
    return this.mfa.isEnabled(userId);
  }

  /**
   * A login's second step: which factor `code` passed, or null (wrong, replayed, spent, or
   * no enabled factor). Six digits are tried as a TOTP code, whose step must be later than
   * the last one used; anything else as a recovery code, which is then spent, and its owner
   * told (a login with one is how a stolen sheet of codes would show).
   */
  async verify(userId: string, code: string): Promise<SecondFactor | null> {
    const mfa = await this.mfa.findByUser(userId);
    return mfa === null || mfa.enabledAt === null
      ? null
      : this.verifyWith(mfa, code, { noticeOnRecovery: true });
  }

  /**
   * Removes the user's factor, enabled or pending, and ends every session with it (the admin
   * CLI, for a user who lost the authenticator and the recovery codes); true when there was one.
   * The owner of an enabled factor is mailed a notice.
   */
  async reset(userId: string): Promise<boolean> {
    const found = await this.transactions.run(async (tx) => {
      const removed = await this.mfa.remove(tx, userId);
      if (removed !== null) {
        await this.users.endAllSessions(userId, tx);
      }
      // An enabled factor is the owner's to hear about; a setup never enabled is not.
      if (removed === 'enabled') {
        await this.mail.queueNotice(tx, userId, 'mfa-reset');
      }
      return removed !== null;
    });
    if (found) {
      this.logger.warn({ msg: 'MFA reset by an operator; every session ended', userId });
    }
    return found;
  }

  private async verifyWith(
    mfa: UserMfaEntity,
    code: string,
    options: { readonly noticeOnRecovery: boolean },
  ): Promise<SecondFactor | null> {
    const input = totpInput(code);
    if (input !== null) {
      const step = this.totp.matchStep(this.secretOf(mfa), input);
      const fresh = step !== null && (mfa.lastUsedStep === null || step > mfa.lastUsedStep);
      return fresh && (await this.mfa.spendStep(mfa.userId, step)) ? 'totp' : null;
    }
    const hash = hashRecoveryCode(code);
    if (hash === null) {
      return null;
    }
    if (!options.noticeOnRecovery) {
      return (await this.mfa.spendRecoveryCode(mfa.userId, hash)) ? 'recovery' : null;
    }
    // The code is spent and its notice queued together: no crash can spend it untold.
    const spent = await this.transactions.run(async (tx) => {
      if (!(await this.mfa.spendRecoveryCode(mfa.userId, hash, tx))) {
        return false;
      }
      await this.mail.queueNotice(tx, mfa.userId, 'recovery-code-login');
      return true;
    });
    return spent ? 'recovery' : null;
  }

  private secretOf(mfa: UserMfaEntity): string {
    try {
      return this.box.decrypt(mfa.secretCiphertext, mfa.userId);
    } catch (error: unknown) {
      if (error instanceof SecretBoxOpenError) {
        this.logger.error({
          msg: 'A TOTP secret does not decrypt: MFA_ENCRYPTION_KEY is not the key it was stored with',
          userId: mfa.userId,
        });
      }
      throw error;
    }
  }

  /** One attempt on the caller's login budget (its address and its account's email). */
  private async countAttempt(user: AuthenticatedUser, clientAddress: string): Promise<void> {
    const account = await this.users.getVisibleTo(user.id, user);
    await this.throttle.consume(clientAddress, account.email);
  }
}
