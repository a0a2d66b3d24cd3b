import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A completed `POST /orders` remembered under the client's Idempotency-Key (per user),
 * with a hash of the request body and the response to replay.
 */
@Entity('idempotency_keys')
@Index('IDX_idempotency_keys_expires_at', ['expiresAt'])
export class IdempotencyKeyEntity {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @PrimaryColumn({ type: 'varchar', length: 255 })
  key!: string;

  @Column({ name: 'request_hash', type: 'char', length: 64 })
  requestHash!: string;

  /**
   * Not part of the model: a replay is always the 201 that placed the order. The column is
   * kept, with a default, only so that replicas of the previous release (which write and read
   * it) keep working during a rolling update; the release after this one drops it. Never
   * selected, inserted or updated by this code.
   */
  @Column({
    name: 'response_status',
    type: 'smallint',
    default: 201,
    select: false,
    insert: false,
    update: false,
  })
  readonly previousReleaseResponseStatus?: number;

  @Column({ name: 'response_body', type: 'jsonb' })
  responseBody!: unknown;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz', precision: 3 })
  expiresAt!: Date;
}
