import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, LessThan, Not, Or, Repository } from 'typeorm';

import { type Transaction, ConcurrentChangeError, PgErrorCode, databaseErrorCode } from '@app/core';

import { MfaRecoveryCodeEntity } from './mfa-recovery-code.entity';
import { UserMfaEntity } from './mfa.entity';

/** What storing a new setup found. */
export type SetupOutcome = 'stored' | 'already-enabled';

/** Attempts at storing a setup while another request creates or enables the same row. */
const SETUP_ATTEMPTS = 3;

/**
 * Every query of the second factor. Each write that decides something (enable, spend a
 * step, spend a recovery code) is one conditional statement, so of two concurrent requests
 * only one can win, on any number of instances.
 */
@Injectable()
export class MfaRepository {
  constructor(
    @InjectRepository(UserMfaEntity) private readonly mfa: Repository<UserMfaEntity>,
    @InjectRepository(MfaRecoveryCodeEntity)
    private readonly codes: Repository<MfaRecoveryCodeEntity>,
  ) {}

  findByUser(userId: string): Promise<UserMfaEntity | null> {
    return this.mfa.findOneBy({ userId });
  }

  isEnabled(userId: string): Promise<boolean> {
    return this.mfa.existsBy({ userId, enabledAt: Not(IsNull()) });
  }

  /**
   * A new secret for a user without an enabled factor: replaces a pending setup, or creates
   * the row. Never touches an enabled one.
   */
  async storeSetup(userId: string, secretCiphertext: string): Promise<SetupOutcome> {
    for (let attempt = 1; attempt <= SETUP_ATTEMPTS; attempt += 1) {
      const replaced = await this.mfa.update(
        { userId, enabledAt: IsNull() },
        { secretCiphertext, lastUsedStep: null },
      );
      if ((replaced.affected ?? 0) > 0) {
        return 'stored';
      }
      try {
        await this.mfa.insert({ userId, secretCiphertext, enabledAt: null, lastUsedStep: null });
        return 'stored';
      } catch (error: unknown) {
        if (databaseErrorCode(error) !== PgErrorCode.UNIQUE_VIOLATION) {
          throw error;
        }
      }
      // The row exists: enabled, or created by a concurrent setup a moment ago (look again).
      if (await this.isEnabled(userId)) {
        return 'already-enabled';
      }
    }
    throw new ConcurrentChangeError('The second factor setup');
  }

  /**
   * Enables the pending setup whose secret is `secretCiphertext` (the one a code was checked
   * against), records `step` as used, and replaces the recovery codes, in `tx`.
   * False when that setup is no longer pending (enabled, replaced or removed meanwhile).
   */
  async enable(
    tx: Transaction,
    userId: string,
    secretCiphertext: string,
    step: number,
    codeHashes: readonly string[],
  ): Promise<boolean> {
    const enabled = await tx.manager.update(
      UserMfaEntity,
      { userId, secretCiphertext, enabledAt: IsNull() },
      { enabledAt: () => 'now()', lastUsedStep: step },
    );
    if ((enabled.affected ?? 0) === 0) {
      return false;
    }
    await tx.manager.delete(MfaRecoveryCodeEntity, { userId });
    await tx.manager.insert(
      MfaRecoveryCodeEntity,
      codeHashes.map((codeHash) => ({ userId, codeHash, usedAt: null })),
    );
    return true;
  }

  /**
   * Records `step` as the last one used, if it is later than the last one: of two requests
   * with one code, or with codes of the same or an earlier step, only the first succeeds.
   */
  async spendStep(userId: string, step: number): Promise<boolean> {
    const result = await this.mfa.update(
      { userId, enabledAt: Not(IsNull()), lastUsedStep: Or(IsNull(), LessThan(step)) },
      { lastUsedStep: step },
    );
    return (result.affected ?? 0) > 0;
  }

  /**
   * Marks an unused recovery code of the user used, in `tx` when given; false when there is
   * none with that hash.
   */
  async spendRecoveryCode(userId: string, codeHash: string, tx?: Transaction): Promise<boolean> {
    const codes = tx === undefined ? this.codes : tx.manager.getRepository(MfaRecoveryCodeEntity);
    const result = await codes.update(
      { userId, codeHash, usedAt: IsNull() },
      { usedAt: () => 'now()' },
    );
    return (result.affected ?? 0) > 0;
  }

  /** Removes the enabled factor and its recovery codes (ON DELETE CASCADE); false when none. */
  async removeEnabled(tx: Transaction, userId: string): Promise<boolean> {
    const result = await tx.manager.delete(UserMfaEntity, { userId, enabledAt: Not(IsNull()) });
    return (result.affected ?? 0) > 0;
  }

  /**
   * Removes whatever there is (the admin CLI) and says what it was: an enabled factor, a
   * setup never enabled, or nothing. The row is locked first, so a factor that a concurrent
   * transaction is enabling is waited for and reported as enabled.
   */
  async remove(tx: Transaction, userId: string): Promise<'enabled' | 'pending' | null> {
    const row = await tx.manager.findOne(UserMfaEntity, {
      where: { userId },
      lock: { mode: 'pessimistic_write' },
    });
    if (row === null) {
      return null;
    }
    await tx.manager.delete(UserMfaEntity, { userId });
    return row.enabledAt === null ? 'pending' : 'enabled';
  }
}
