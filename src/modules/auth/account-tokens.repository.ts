import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, LessThan, MoreThan, Repository } from 'typeorm';

import type { Transaction } from '@app/core';

import { AccountTokenEntity, type AccountTokenPurpose } from './account-token.entity';

export interface NewAccountToken {
  readonly tokenHash: string;
  readonly userId: string;
  readonly purpose: AccountTokenPurpose;
  readonly expiresAt: Date;
}

@Injectable()
export class AccountTokensRepository {
  constructor(
    @InjectRepository(AccountTokenEntity) private readonly tokens: Repository<AccountTokenEntity>,
  ) {}

  async insert(token: NewAccountToken): Promise<void> {
    await this.tokens.insert(token);
  }

  /** The owner of a live (unused, unexpired) token of this purpose, or null. */
  async findLiveOwner(tokenHash: string, purpose: AccountTokenPurpose): Promise<string | null> {
    const token = await this.tokens.findOne({
      where: { tokenHash, purpose, usedAt: IsNull(), expiresAt: MoreThan(new Date()) },
      select: { userId: true },
    });
    return token?.userId ?? null;
  }

  /**
   * Spends a live token in the caller's transaction: one conditional update, so of two
   * requests presenting it at once exactly one gets the owner. Null: unknown, used or expired.
   */
  async spend(
    tx: Transaction,
    tokenHash: string,
    purpose: AccountTokenPurpose,
  ): Promise<string | null> {
    const token = await tx.manager.findOne(AccountTokenEntity, {
      where: { tokenHash, purpose, usedAt: IsNull(), expiresAt: MoreThan(new Date()) },
      lock: { mode: 'pessimistic_write' },
    });
    if (token === null) {
      return null;
    }
    const spent = await tx.manager.update(
      AccountTokenEntity,
      { id: token.id, usedAt: IsNull() },
      { usedAt: () => 'now()' },
    );
    return spent.affected === 0 ? null : token.userId;
  }

  /** Spends every other live token of the user for this purpose (one reset ends them all). */
  async spendAllOf(tx: Transaction, userId: string, purpose: AccountTokenPurpose): Promise<void> {
    await tx.manager.update(
      AccountTokenEntity,
      { userId, purpose, usedAt: IsNull() },
      { usedAt: () => 'now()' },
    );
  }

  /** Deletes rows that can no longer be used; returns how many. */
  async purgeExpired(before: Date): Promise<number> {
    const result = await this.tokens.delete({ expiresAt: LessThan(before) });
    return result.affected ?? 0;
  }
}
