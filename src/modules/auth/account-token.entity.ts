import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** What a mailed link may do: each purpose is spent only by its own route. */
export enum AccountTokenPurpose {
  EMAIL_VERIFICATION = 'email_verification',
  PASSWORD_RESET = 'password_reset',
}

/**
 * A token mailed in a link (verify the email, reset the password). Only its SHA-256 is
 * stored; it is spent once (`used_at`) and dies at `expires_at`. The raw token exists only
 * in the mail: the job that sends the mail makes it.
 */
@Entity('account_tokens')
@Check('CHK_account_tokens_purpose', `"purpose" IN ('email_verification', 'password_reset')`)
@Index('IDX_account_tokens_user_purpose', ['userId', 'purpose'])
@Index('IDX_account_tokens_expires_at', ['expiresAt'])
export class AccountTokenEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index('UQ_account_tokens_hash', { unique: true })
  @Column({ name: 'token_hash', type: 'char', length: 64 })
  tokenHash!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ type: 'varchar', length: 32 })
  purpose!: AccountTokenPurpose;

  @Column({ name: 'expires_at', type: 'timestamptz', precision: 3 })
  expiresAt!: Date;

  @Column({ name: 'used_at', type: 'timestamptz', precision: 3, nullable: true })
  usedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}
