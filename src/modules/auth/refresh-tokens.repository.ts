import { isIP } from 'node:net';

import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, IsNull, LessThan, MoreThan, Repository, type EntityManager } from 'typeorm';

import type { Transaction } from '@app/core';

import { RefreshTokenEntity } from './refresh-token.entity';

export interface NewRefreshToken {
  readonly tokenHash: string;
  readonly userId: string;
  readonly familyId: string;
  /** The user's token version at issue (see UserEntity.tokenVersion). */
  readonly tokenVersion: number;
  readonly expiresAt: Date;
  readonly secondFactor: boolean;
  readonly client: ClientInfo;
}

/** Who is calling, as far as the service can tell (shown in the session list). */
export interface ClientInfo {
  readonly userAgent: string | null;
  readonly ipAddress: string | null;
}

/** A login that can still be refreshed: its family's live token. */
export interface LiveSession {
  readonly id: string;
  readonly startedAt: Date;
  readonly lastUsedAt: Date;
  readonly userAgent: string | null;
  readonly ipAddress: string | null;
}

/** The `ip_address` column's width. */
const IP_ADDRESS_MAX = 64;

/**
 * The client as a session row keeps it: an address only if it is one. Behind `TRUST_PROXY`
 * the address is whatever the client put in X-Forwarded-For, and a long one must not turn a
 * login into a 500 on the column's width.
 */
function storedClient(client: ClientInfo): ClientInfo {
  const { ipAddress } = client;
  const valid = ipAddress !== null && ipAddress.length <= IP_ADDRESS_MAX && isIP(ipAddress) !== 0;
  return { userAgent: client.userAgent, ipAddress: valid ? ipAddress : null };
}

/** What a rotation hands on to the next token of the login. */
export interface RotatedSession {
  readonly sessionId: string;
  readonly secondFactor: boolean;
}
/** Outcome of presenting a refresh token for rotation. */
export type RotationOutcome =
  | { readonly kind: 'rotated'; readonly userId: string; readonly session: RotatedSession }
  | { readonly kind: 'invalid' }
  | { readonly kind: 'reused' };

@Injectable()
export class RefreshTokensRepository {
  constructor(
    @InjectRepository(RefreshTokenEntity) private readonly tokens: Repository<RefreshTokenEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async insert(token: NewRefreshToken): Promise<void> {
    const { client, ...columns } = token;
    await this.tokens.insert({ ...columns, ...storedClient(client) });
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
    next: Pick<NewRefreshToken, 'tokenHash' | 'expiresAt' | 'client'>,
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
        tokenHash: next.tokenHash,
        expiresAt: next.expiresAt,
        ...storedClient(next.client),
        userId: current.userId,
        familyId: current.familyId,
        tokenVersion,
        sessionStartedAt: current.sessionStartedAt,
        secondFactor: current.secondFactor,
      });
      return {
        kind: 'rotated',
        userId: current.userId,
        session: { sessionId: current.familyId, secondFactor: current.secondFactor },
      };
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

  /**
   * The user's logins that can still be refreshed, newest first: one live token per family
   * (unused, unrevoked, unexpired, of the current token version).
   */
  async listLive(userId: string, tokenVersion: number, limit: number): Promise<LiveSession[]> {
    const live = await this.tokens.find({
      where: {
        userId,
        tokenVersion,
        usedAt: IsNull(),
        revokedAt: IsNull(),
        expiresAt: MoreThan(new Date()),
      },
      order: { sessionStartedAt: 'DESC', familyId: 'ASC' },
      take: limit,
    });
    return live.map((token) => ({
      id: token.familyId,
      startedAt: token.sessionStartedAt,
      lastUsedAt: token.createdAt,
      userAgent: token.userAgent,
      ipAddress: token.ipAddress,
    }));
  }

  /**
   * Ends one of the user's live logins; false when it has none by that id (or not theirs).
   * The check needs no lock: a refresh in flight has not committed, so the token it rotates
   * still reads as live, and one that has committed left its new token live; the revoke then
   * waits for the refresh and ends what it added (`revokeFamilyWith`).
   */
  async revokeSession(userId: string, familyId: string, tokenVersion: number): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const live = await manager.exists(RefreshTokenEntity, {
        where: {
          userId,
          familyId,
          tokenVersion,
          usedAt: IsNull(),
          revokedAt: IsNull(),
          expiresAt: MoreThan(new Date()),
        },
      });
      if (!live) {
        return false;
      }
      await this.revokeFamilyWith(manager, familyId);
      return true;
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

  /**
   * Revokes every token of a family, one a concurrent refresh adds included. The locking read
   * waits out a rotation in flight (it holds the lock of the token it rotates); the update is a
   * later statement, so under READ COMMITTED its snapshot holds the token that rotation
   * inserted. A single UPDATE would wait just the same but miss that row, leaving the login
   * alive.
   */
  private async revokeFamilyWith(manager: EntityManager, familyId: string): Promise<void> {
    await manager.find(RefreshTokenEntity, {
      where: { familyId, revokedAt: IsNull() },
      select: { id: true },
      lock: { mode: 'pessimistic_write' },
    });
    await manager.update(
      RefreshTokenEntity,
      { familyId, revokedAt: IsNull() },
      { revokedAt: () => 'now()' },
    );
  }
}
