import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
} from 'typeorm';

import { UserMfaEntity } from './mfa.entity';

/**
 * One single-use recovery code of an enabled second factor; only its SHA-256 is stored.
 * Its user is its `user_mfa` row's: turning MFA off (or deleting the user) removes the codes.
 */
@Entity('mfa_recovery_codes')
@Index('UQ_mfa_recovery_codes_user_code', ['userId', 'codeHash'], { unique: true })
export class MfaRecoveryCodeEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_mfa_recovery_codes' })
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => UserMfaEntity, { onDelete: 'CASCADE' })
  @JoinColumn({
    name: 'user_id',
    referencedColumnName: 'userId',
    foreignKeyConstraintName: 'FK_mfa_recovery_codes_user_mfa',
  })
  readonly mfa?: unknown;

  /** SHA-256 hex of the normalised code (recovery-codes.ts). */
  @Column({ name: 'code_hash', type: 'char', length: 64 })
  codeHash!: string;

  /** Set when spent: a spent code never works again. */
  @Column({ name: 'used_at', type: 'timestamptz', precision: 3, nullable: true })
  usedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}
