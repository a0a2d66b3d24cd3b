import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One refresh token. Only its SHA-256 is stored. Tokens of one login share a family:
 * rotation marks the old one used and adds a new one; reuse of a used one revokes them all.
 */
@Entity('refresh_tokens')
@Index('IDX_refresh_tokens_family', ['familyId'])
@Index('IDX_refresh_tokens_user', ['userId'])
@Index('IDX_refresh_tokens_expires_at', ['expiresAt'])
export class RefreshTokenEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index('UQ_refresh_tokens_hash', { unique: true })
  @Column({ name: 'token_hash', type: 'char', length: 64 })
  tokenHash!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'family_id', type: 'uuid' })
  familyId!: string;

  /** The user's token version when issued: a password change bumps it, killing this token. */
  @Column({ name: 'token_version', type: 'integer', default: 0 })
  tokenVersion!: number;

  @Column({ name: 'expires_at', type: 'timestamptz', precision: 3 })
  expiresAt!: Date;

  /** Set when rotated: presenting it again is reuse. */
  @Column({ name: 'used_at', type: 'timestamptz', precision: 3, nullable: true })
  usedAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', precision: 3, nullable: true })
  revokedAt!: Date | null;

  /** When the login (the family) began: copied to every token of it. */
  @Column({ name: 'session_started_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  sessionStartedAt!: Date;

  /** The login passed a second factor: access tokens of the family say so (`mfa`). */
  @Column({ name: 'second_factor', type: 'boolean', default: false })
  secondFactor!: boolean;

  /** The client that got this token (the login, or the refresh that rotated to it). */
  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent!: string | null;

  /** Its address as the service sees it: behind `TRUST_PROXY`, from `X-Forwarded-For`. */
  @Column({ name: 'ip_address', type: 'varchar', length: 64, nullable: true })
  ipAddress!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}
