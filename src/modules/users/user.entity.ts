import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

import type { UserRole } from './user-role';

@Entity('users')
@Check('CHK_users_email_normalised', `"email" = lower(btrim("email"))`)
@Check('CHK_users_role', `"role" IN ('customer', 'admin')`)
@Index('IDX_users_created_at_id', ['createdAt', 'id'])
export class UserEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** Stored trimmed and lower-cased; the unique index makes concurrent sign-ups safe. */
  @Index('UQ_users_email', { unique: true })
  @Column({ type: 'varchar', length: 255 })
  email!: string;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ type: 'varchar', length: 16, default: 'customer' })
  role!: UserRole;

  @Column({ name: 'password_hash', type: 'text' })
  passwordHash!: string;

  /** When the owner proved they read mail at `email` (a verification or reset link); null until. */
  @Column({ name: 'email_verified_at', type: 'timestamptz', precision: 3, nullable: true })
  emailVerifiedAt!: Date | null;

  /**
   * Bumped by every password change: access and refresh tokens carry the version they were
   * issued under, and a token of an older version is revoked (no clock involved).
   */
  @Column({ name: 'token_version', type: 'integer', default: 0 })
  tokenVersion!: number;

  /**
   * Last password change. No longer read (revocation is by `tokenVersion`); still written
   * while replicas of the previous release, which revoke by it, may run. Drop it later.
   */
  @Column({ name: 'sessions_revoked_at', type: 'timestamptz', precision: 3, nullable: true })
  sessionsRevokedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
