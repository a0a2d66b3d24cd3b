import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { LRUCache } from 'lru-cache';

import {
  AppConfig,
  TransactionRunner,
  decodeCursor,
  toPage,
  type AuthenticatedUser,
  type Page,
  type Transaction,
} from '@app/core';

import type { RegisterUserDto } from './dto/register-user.dto';
import type { UpdateMeDto } from './dto/update-me.dto';
import { normaliseEmail } from './dto/user-fields';
import { toUserResponse, type UserResponse } from './dto/user.response';
import { PasswordHasher } from './password-hasher';
import { UsersConfig } from './users.config';
import type { UserEntity } from './user.entity';
import { UserRole, isAdmin } from './user-role';
import {
  CurrentPasswordInvalidError,
  EmailTakenError,
  LastAdminError,
  UserNotFoundError,
} from './users.errors';
import { UsersRepository, type PasswordChange } from './users.repository';

/** What authentication needs to know about a user on every request. */
export interface UserPrincipal {
  readonly id: string;
  readonly role: UserRole;
  /** Tokens issued under another version are revoked (bumped by every password change). */
  readonly tokenVersion: number;
  readonly emailVerified: boolean;
}

/** What mails to an account need: where to send them and whom to greet. */
export interface AccountContact {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly emailVerified: boolean;
}

/** A password hashed for storage (`hashPassword()`), so no transaction waits on the KDF. */
export type PasswordHash = string & { readonly __brand: 'PasswordHash' };

/**
 * Why every session of a user ends: the password was changed (with the current one) or
 * reset (with a mailed link), or the sessions were ended on their own ("log out
 * everywhere", a second factor turned off or reset).
 */
export type SessionsEndedBy = 'password-change' | 'password-reset' | 'sessions-end';

/**
 * Runs inside the transaction that ends every session of a user (a password change or
 * reset, "log out everywhere"): commits or rolls back with it.
 */
export type PasswordChangeListener = (
  tx: Transaction,
  userId: string,
  by: SessionsEndedBy,
) => Promise<void>;

/** Runs inside the transaction that creates the account (the verification mail is queued). */
export type RegistrationListener = (tx: Transaction, account: AccountContact) => Promise<void>;

const toPrincipal = (user: UserEntity): UserPrincipal => ({
  id: user.id,
  role: user.role,
  tokenVersion: user.tokenVersion,
  emailVerified: user.emailVerifiedAt !== null,
});

const toContact = (user: UserEntity): AccountContact => ({
  id: user.id,
  email: user.email,
  name: user.name,
  emailVerified: user.emailVerifiedAt !== null,
});

@Injectable()
export class UsersService implements OnApplicationBootstrap {
  private readonly logger = new Logger(UsersService.name);
  /**
   * Principals by id for the auth guard. Bounded and short-lived: this process drops an
   * entry when it changes a role or password; other processes see it after the TTL.
   */
  private readonly principals: LRUCache<string, UserPrincipal>;
  /**
   * Counts the entries dropped. A lookup that began before a drop does not cache what it
   * read (it may predate the change), so a drop is final in this process.
   */
  private dropped = 0;
  private readonly passwordChangeListeners: PasswordChangeListener[] = [];
  private readonly registrationListeners: RegistrationListener[] = [];

  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly transactions: TransactionRunner,
    private readonly config: AppConfig,
    private readonly usersConfig: UsersConfig,
  ) {
    this.principals = new LRUCache({ max: config.cache.max, ttl: config.cache.ttlMs });
  }

  async onApplicationBootstrap(): Promise<void> {
    const admin = this.usersConfig.bootstrapAdmin;
    if (admin !== null) {
      const outcome = await this.createFirstAdmin(admin.email, 'Administrator', admin.password);
      this.logger.log({ msg: 'Bootstrap admin', outcome });
    }
  }

  /** The account and what hangs on it (the verification mail's job) commit together. */
  async register(dto: RegisterUserDto): Promise<UserResponse> {
    const passwordHash = await this.hasher.hash(dto.password);
    const user = await this.transactions.run(async (tx) => {
      const created = await this.users.insert(
        { email: dto.email, name: dto.name, passwordHash, role: UserRole.CUSTOMER },
        tx,
      );
      for (const listener of this.registrationListeners) {
        await listener(tx, toContact(created));
      }
      return created;
    });
    return toUserResponse(user);
  }

  /** Lets another module add work to a registration, in its transaction. */
  onRegistered(listener: RegistrationListener): void {
    this.registrationListeners.push(listener);
  }

  async findContact(id: string): Promise<AccountContact | null> {
    const user = await this.users.findById(id);
    return user === null ? null : toContact(user);
  }

  async findContactByEmail(email: string): Promise<AccountContact | null> {
    const user = await this.users.findByEmail(normaliseEmail(email));
    return user === null ? null : toContact(user);
  }

  /** Whether the account's email is verified; a cached "no" is read again before it is final. */
  async isEmailVerified(id: string): Promise<boolean> {
    const cached = await this.findPrincipal(id);
    if (cached === null || cached.emailVerified) {
      return cached !== null;
    }
    return (await this.findPrincipal(id, { fresh: true }))?.emailVerified ?? false;
  }

  /** Whether `password` is the account's password (false for an unknown id). */
  async verifyPassword(id: string, password: string): Promise<boolean> {
    const user = await this.users.findById(id);
    if (user === null) {
      return this.hasher.verifyDummy(password).then(() => false);
    }
    return this.hasher.verify(user.passwordHash, password);
  }

  hashPassword(password: string): Promise<PasswordHash> {
    return this.hasher.hash(password) as Promise<PasswordHash>;
  }

  /** In the caller's transaction (the link's token is spent in it); false for an unknown id. */
  async markEmailVerified(tx: Transaction, id: string): Promise<boolean> {
    const found = await this.users.markEmailVerified(tx, id);
    this.afterCommit(tx, id);
    return found;
  }

  /**
   * Sets a new password without the old one (a reset link proved the mailbox, so the email
   * counts as verified too) and ends every session, in the caller's transaction.
   */
  async resetPassword(tx: Transaction, id: string, passwordHash: PasswordHash): Promise<boolean> {
    const found = await this.users.resetPassword(tx, id, passwordHash);
    if (found) {
      await this.runPasswordChangeListeners(tx, id, 'password-reset');
    }
    this.afterCommit(tx, id);
    return found;
  }

  /**
   * Ends every session of the account: the token version moves on (every access token dies)
   * and the listeners revoke the refresh tokens. "Log out everywhere", turning MFA off (in
   * the caller's transaction when given, so the factor and the sessions go together).
   */
  async endAllSessions(id: string, tx?: Transaction): Promise<void> {
    if (tx === undefined) {
      await this.transactions.run((own) => this.endAllSessions(id, own));
      return;
    }
    if (await this.users.bumpTokenVersion(tx, id)) {
      await this.runPasswordChangeListeners(tx, id, 'sessions-end');
    }
    this.afterCommit(tx, id);
  }

  /**
   * The user these credentials belong to, or null. Unknown emails cost one dummy
   * verification, so timing does not reveal which emails exist. Hashes made with older
   * parameters are upgraded on a successful login.
   */
  async verifyCredentials(email: string, password: string): Promise<UserPrincipal | null> {
    const user = await this.users.findByEmail(normaliseEmail(email));
    if (user === null) {
      return this.hasher.verifyDummy(password).then(() => null);
    }
    if (!(await this.hasher.verify(user.passwordHash, password))) {
      return null;
    }
    if (this.hasher.needsRehash(user.passwordHash)) {
      await this.users.upgradePasswordHash(
        user.id,
        user.passwordHash,
        await this.hasher.hash(password),
      );
    }
    return toPrincipal(user);
  }

  /**
   * Lets another module act when a password changes or every session ends (auth revokes
   * every refresh token, and mails the owner when the password changed), in the same
   * transaction, without users depending on it.
   */
  onPasswordChanged(listener: PasswordChangeListener): void {
    this.passwordChangeListeners.push(listener);
  }

  /** Lookup for authentication (cached unless `fresh`); null when the user no longer exists. */
  async findPrincipal(
    id: string,
    options: { fresh?: boolean } = {},
  ): Promise<UserPrincipal | null> {
    const cached = options.fresh === true ? undefined : this.principals.get(id);
    if (cached !== undefined) {
      return cached;
    }
    const droppedBefore = this.dropped;
    const user = await this.users.findById(id);
    if (user === null) {
      return null;
    }
    const principal = toPrincipal(user);
    if (this.dropped === droppedBefore) {
      this.principals.set(id, principal);
    }
    return principal;
  }

  /** Admins see anyone; others only themselves (anyone else is a 404, not a 403). */
  async getVisibleTo(id: string, viewer: AuthenticatedUser): Promise<UserResponse> {
    if (!isAdmin(viewer) && viewer.id !== id) {
      throw new UserNotFoundError(id);
    }
    return toUserResponse(await this.getEntity(id));
  }

  async list(limit: number, cursor: string | undefined): Promise<Page<UserResponse>> {
    const rows = await this.users.listPage(decodeCursor(cursor, this.config.pagination), limit);
    return toPage(rows, limit, toUserResponse, this.config.pagination);
  }

  /**
   * One request, one transaction: the name, the password and what hangs on a password
   * change (the listeners') are written together or not at all. Hashing happens before.
   */
  async updateMe(id: string, dto: UpdateMeDto): Promise<UserResponse> {
    let password: PasswordChange | undefined;
    if (dto.password !== undefined) {
      const user = await this.getEntity(id);
      if (!(await this.hasher.verify(user.passwordHash, dto.currentPassword ?? ''))) {
        throw new CurrentPasswordInvalidError();
      }
      password = { from: user.passwordHash, to: await this.hasher.hash(dto.password) };
    }
    const updated = await this.transactions.run(async (tx) => {
      const user = await this.users.updateProfile(tx, id, { name: dto.name, password });
      if (user === null) {
        // The hash moved on since it was verified: a concurrent password change won.
        throw password === undefined
          ? new UserNotFoundError(id)
          : new CurrentPasswordInvalidError();
      }
      if (password !== undefined) {
        await this.runPasswordChangeListeners(tx, id, 'password-change');
      }
      return user;
    });
    if (password !== undefined) {
      this.dropPrincipal(id);
    }
    return toUserResponse(updated);
  }

  /** A role change is not a revocation: tokens carry no privilege, the role is read here. */
  async changeRole(id: string, role: UserRole): Promise<UserResponse> {
    const outcome = await this.users.updateRole(id, role);
    if (outcome === 'not-found') {
      throw new UserNotFoundError(id);
    }
    if (outcome === 'last-admin') {
      throw new LastAdminError();
    }
    this.dropPrincipal(id);
    return toUserResponse(outcome);
  }

  /** Creates an admin only while none exists (bootstrap and `npm run admin:create`). */
  async createFirstAdmin(
    email: string,
    name: string,
    password: string,
  ): Promise<'created' | 'admin-exists' | 'email-taken'> {
    // Every start after the first finds an admin: no hash (tens of ms, 19 MiB) for nothing.
    // The insert checks again under its lock.
    if (await this.users.adminExists()) {
      return 'admin-exists';
    }
    return this.users.insertFirstAdmin({
      email: normaliseEmail(email),
      name: name.trim(),
      passwordHash: await this.hasher.hash(password),
    });
  }

  /** An operator-made admin (`npm run admin:create`), whether or not admins exist. */
  async createAdmin(
    email: string,
    name: string,
    password: string,
  ): Promise<'created' | 'email-taken'> {
    try {
      await this.users.insert({
        email: normaliseEmail(email),
        name: name.trim(),
        passwordHash: await this.hasher.hash(password),
        role: UserRole.ADMIN,
      });
      return 'created';
    } catch (error: unknown) {
      if (error instanceof EmailTakenError) {
        return 'email-taken';
      }
      throw error;
    }
  }

  private async runPasswordChangeListeners(
    tx: Transaction,
    id: string,
    by: SessionsEndedBy,
  ): Promise<void> {
    for (const listener of this.passwordChangeListeners) {
      await listener(tx, id, by);
    }
  }

  /** Drops the principal once the caller's transaction has committed the change. */
  private afterCommit(tx: Transaction, id: string): void {
    tx.afterCommit(() => {
      this.dropPrincipal(id);
    });
  }

  /** After a commit that changes what a principal holds: immediate in this process. */
  private dropPrincipal(id: string): void {
    this.dropped += 1;
    this.principals.delete(id);
  }

  private async getEntity(id: string): Promise<UserEntity> {
    const user = await this.users.findById(id);
    if (user === null) {
      throw new UserNotFoundError(id);
    }
    return user;
  }
}
