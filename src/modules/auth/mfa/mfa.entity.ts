import {
  Column,
  CreateDateColumn,
  Entity,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  UpdateDateColumn,
  type ValueTransformer,
} from 'typeorm';

/** bigint comes back from pg as a string; time steps (~5.9e7 today) stay far inside 2^53. */
const bigintStep: ValueTransformer = {
  to: (value: number | null) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};

/**
 * A user's TOTP second factor: at most one per user. Set up (a secret, `enabled_at` null)
 * until a first code proves the authenticator has it, then enabled. The secret is stored
 * only encrypted (SecretBox, bound to the user id).
 */
@Entity('user_mfa')
export class UserMfaEntity {
  @PrimaryColumn({ name: 'user_id', type: 'uuid', primaryKeyConstraintName: 'PK_user_mfa' })
  userId!: string;

  /** By name: the users module's entity is its own (modules meet only through index.ts). */
  @ManyToOne('UserEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_user_mfa_user' })
  readonly user?: unknown;

  /** `v1.<iv>.<ciphertext>.<tag>`: the base32 secret, AES-256-GCM under MFA_ENCRYPTION_KEY. */
  @Column({ name: 'secret_ciphertext', type: 'text' })
  secretCiphertext!: string;

  /** Null: set up, waiting for its first code. */
  @Column({ name: 'enabled_at', type: 'timestamptz', precision: 3, nullable: true })
  enabledAt!: Date | null;

  /** The last RFC 6238 time step a code was accepted for: a step at or below it is a replay. */
  @Column({ name: 'last_used_step', type: 'bigint', nullable: true, transformer: bigintStep })
  lastUsedStep!: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
