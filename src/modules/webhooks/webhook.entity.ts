import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

/** A receiver registered by an admin: where to POST which events, signed with `secret`. */
@Entity('webhooks')
@Index('IDX_webhooks_created_at_id', ['createdAt', 'id'])
export class WebhookEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_webhooks' })
  id!: string;

  @Column({ type: 'varchar', length: 2048 })
  url!: string;

  /** Event types (`order.placed`…), distinct, 1 to 10. */
  @Column({ type: 'varchar', length: 100, array: true })
  events!: string[];

  @Column({ type: 'boolean', default: true })
  enabled!: boolean;

  @Column({ type: 'varchar', length: 500, nullable: true })
  description!: string | null;

  /**
   * `whsec_` + base64 of 32 random bytes. Kept in clear because every delivery is signed with
   * it (an HMAC key cannot be hashed away); shown to the admin once, at creation.
   */
  @Column({ type: 'varchar', length: 100 })
  secret!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
