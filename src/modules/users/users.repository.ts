import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';

import {
  NEWEST_FIRST,
  PgErrorCode,
  advisoryTransactionLock,
  databaseErrorCode,
  pageAfter,
  type Keyset,
  type Transaction,
} from '@app/core';

import { UserEntity } from './user.entity';
import { UserRole } from './user-role';
import { EmailTakenError } from './users.errors';

/** A new password hash, replacing the one `currentPassword` was verified against. */
export interface PasswordChange {
  readonly from: string;
  readonly to: string;
}

export interface NewUser {
  readonly email: string;
  readonly name: string;
  readonly passwordHash: string;
  readonly role: UserRole;
}

/** Serialises "create the first admin" across processes starting at the same time. */
const BOOTSTRAP_ADMIN_LOCK = 727_274_101;

@Injectable()
export class UsersRepository {
  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /** Inserts a user; the unique index decides races: the loser gets EmailTakenError. */
  async insert(user: NewUser, tx?: Transaction): Promise<UserEntity> {
    const users = tx === undefined ? this.users : tx.manager.getRepository(UserEntity);
    try {
      return await users.save(users.create(user));
    } catch (error: unknown) {
      if (databaseErrorCode(error) === PgErrorCode.UNIQUE_VIOLATION) {
        throw new EmailTakenError();
      }
      throw error;
    }
  }

  findById(id: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ id });
  }

  findByEmail(email: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ email });
  }

  /** Newest first; `limit + 1` rows so the caller knows whether another page exists. */
  listPage(after: Keyset | null, limit: number): Promise<UserEntity[]> {
    return this.users.find({ where: pageAfter(after), order: NEWEST_FIRST, take: limit + 1 });
  }

  /**
   * A profile edit as one statement of the caller's transaction: the name and, when given,
   * the password. A new password bumps the token version (every token issued before is dead)
   * and only replaces the hash the caller verified `currentPassword` against, so two changes
   * racing cannot both win. Null when no row matched (unknown id, or the hash moved on).
   */
  async updateProfile(
    tx: Transaction,
    id: string,
    changes: { readonly name?: string; readonly password?: PasswordChange },
  ): Promise<UserEntity | null> {
    const { name, password } = changes;
    const set: QueryDeepPartialEntity<UserEntity> = {
      ...(name === undefined ? {} : { name }),
      ...(password === undefined
        ? {}
        : {
            passwordHash: password.to,
            tokenVersion: () => 'token_version + 1',
            // Still written for replicas of the previous release, which revoke by this instant.
            sessionsRevokedAt: () => 'now()',
          }),
    };
    const where = password === undefined ? { id } : { id, passwordHash: password.from };
    const result = await tx.manager.update(UserEntity, where, set);
    return result.affected === 0 ? null : tx.manager.findOneBy(UserEntity, { id });
  }

  /** Sets `email_verified_at` unless already set; false when no such user. */
  async markEmailVerified(tx: Transaction, id: string): Promise<boolean> {
    const result = await tx.manager.update(
      UserEntity,
      { id },
      { emailVerifiedAt: () => 'coalesce(email_verified_at, now())' },
    );
    return result.affected !== 0;
  }

  /**
   * A new password without the old one (a reset link): every token issued before is dead,
   * and the mailbox is proven, so the email counts as verified. False when no such user.
   */
  async resetPassword(tx: Transaction, id: string, passwordHash: string): Promise<boolean> {
    const result = await tx.manager.update(
      UserEntity,
      { id },
      {
        passwordHash,
        tokenVersion: () => 'token_version + 1',
        sessionsRevokedAt: () => 'now()',
        emailVerifiedAt: () => 'coalesce(email_verified_at, now())',
      },
    );
    return result.affected !== 0;
  }

  /** Every token issued before is dead; false when no such user. */
  async bumpTokenVersion(tx: Transaction, id: string): Promise<boolean> {
    const result = await tx.manager.update(
      UserEntity,
      { id },
      { tokenVersion: () => 'token_version + 1', sessionsRevokedAt: () => 'now()' },
    );
    return result.affected !== 0;
  }

  /**
   * Replaces a hash made with older parameters by one of the same password. Conditional on
   * the old hash, so it can never undo a password change that committed in between.
   */
  async upgradePasswordHash(id: string, from: string, to: string): Promise<void> {
    await this.users.update({ id, passwordHash: from }, { passwordHash: to });
  }

  /**
   * Changes a role, refusing to demote the last admin. The admins and the target are locked
   * in one statement, in id order (every role change takes its locks in that one order, so
   * they queue instead of deadlocking), so two admins demoting each other at once cannot
   * leave the service with none. Returns the updated user.
   */
  async updateRole(id: string, role: UserRole): Promise<UserEntity | 'last-admin' | 'not-found'> {
    return this.dataSource.transaction(async (manager) => {
      const locked = await manager.find(UserEntity, {
        where: [{ role: UserRole.ADMIN }, { id }],
        order: { id: 'ASC' },
        lock: { mode: 'pessimistic_write' },
      });
      const target = locked.find((user) => user.id === id);
      if (target === undefined) {
        return 'not-found';
      }
      const admins = locked.filter((user) => user.role === UserRole.ADMIN);
      const isOnlyAdmin = admins.length === 1 && admins[0]?.id === id;
      if (role !== UserRole.ADMIN && isOnlyAdmin) {
        return 'last-admin';
      }
      if (target.role === role) {
        return target;
      }
      await manager.update(UserEntity, { id }, { role });
      return manager.findOneByOrFail(UserEntity, { id });
    });
  }

  /**
   * Creates the given admin only if no admin exists yet. Safe when several processes
   * start together: they queue on an advisory lock held for the transaction.
   */
  adminExists(): Promise<boolean> {
    return this.users.existsBy({ role: UserRole.ADMIN });
  }

  async insertFirstAdmin(
    user: Omit<NewUser, 'role'>,
  ): Promise<'created' | 'admin-exists' | 'email-taken'> {
    return this.dataSource.transaction(async (manager) => {
      await advisoryTransactionLock(manager, BOOTSTRAP_ADMIN_LOCK);
      if (await manager.existsBy(UserEntity, { role: UserRole.ADMIN })) {
        return 'admin-exists';
      }
      if (await manager.existsBy(UserEntity, { email: user.email })) {
        return 'email-taken';
      }
      await manager.insert(UserEntity, { ...user, role: UserRole.ADMIN });
      return 'created';
    });
  }
}
