import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, IsNull, LessThan, Repository, type EntityManager } from 'typeorm';

import type { Transaction } from '@app/core';

import { RefreshTokenEntity } from './refresh-token.entity';

export interface NewRefreshToken {
  readonly tokenHash: string;
  readonly userId: string;
  readonly familyId: string;
  /** The user's token version at issue (see UserEntity.tokenVersion). */
  readonly tokenVersion: number;
  readonly expiresAt: Date;
}

/** Outcome of presenting a refresh token for rotation. */
export type RotationOutcome =
  | { readonly kind: 'rotated'; readonly userId: string }
  | { readonly kind: 'invalid' }
  | { readonly kind: 'reused' };

@Injectable()
export class RefreshTokensRepository {
  constructor(
    @InjectRepository(RefreshTokenEntity) private readonly tokens: Repository<RefreshTokenEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async insert(token: NewRefreshToken): Promise<void> {
    await this.tokens.insert(token);
  }

  findOwner(tokenHash: string): Promise<string | null> {
    return this.tokens
      .findOne({ where: { tokenHash }, select: { userId: true } })
      .then((token) => token?.userId ?? null);
  }

  /**
   * Rotates in one transaction with the presented row locked, so two concurrent uses of
   * one token cannot both succeed: the second sees it used and revokes the family.
   * A token issued under another version than the user's `tokenVersion` (a password change
   * since) revokes its family too; the next token is issued under `tokenVersion`.
   */
  async rotate(
    tokenHash: string,
    next: Omit<NewRefreshToken, 'userId' | 'familyId' | 'tokenVersion'>,
    tokenVersion: number,
  ): Promise<RotationOutcome> {
    const outcome = await this.dataSource.transaction(async (manager): Promise<RotationOutcome> => {
      const current = await manager.findOne(RefreshTokenEntity, {
        where: { tokenHash },
        lock: { mode: 'pessimistic_write' },
      });
      if (
        current === null ||
        current.revokedAt !== null ||
        current.expiresAt.getTime() <= Date.now()
      ) {
        return { kind: 'invalid' };
      }
      if (current.usedAt !== null) {
        await this.revokeFamilyWith(manager, current.familyId);
        return { kind: 'reused' };
      }
      if (current.tokenVersion !== tokenVersion) {
        await this.revokeFamilyWith(manager, current.familyId);
        return { kind: 'invalid' };
      }
      await manager.update(RefreshTokenEntity, { id: current.id }, { usedAt: () => 'now()' });
      await manager.insert(RefreshTokenEntity, {
        ...next,
        userId: current.userId,
        familyId: current.familyId,
        tokenVersion,
      });
      return { kind: 'rotated', userId: current.userId };
    });
    return outcome;
  }

  /** Revokes the family the token belongs to (logout). Unknown tokens change nothing. */
  async revokeFamilyOf(tokenHash: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const token = await manager.findOneBy(RefreshTokenEntity, { tokenHash });
      if (token !== null) {
        await this.revokeFamilyWith(manager, token.familyId);
      }
    });
  }

  /** Every session of a user ends (password change, in the transaction that changes it). */
  async revokeAllOfUser(tx: Transaction, userId: string): Promise<void> {
    await tx.manager.update(
      RefreshTokenEntity,
      { userId, revokedAt: IsNull() },
      { revokedAt: () => 'now()' },
    );
  }

  /** Deletes rows that can no longer be used; returns how many. */
  async purgeExpired(before: Date): Promise<number> {
    const result = await this.tokens.delete({ expiresAt: LessThan(before) });
    return result.affected ?? 0;
  }

  private async revokeFamilyWith(manager: EntityManager, familyId: string): Promise<void> {
    await manager.update(
      RefreshTokenEntity,
      { familyId, revokedAt: IsNull() },
      { revokedAt: () => 'now()' },
    );
  }
}
