import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  UpdateDateColumn,
} from 'typeorm';

import { WebhookEntity } from './webhook.entity';

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed', 'dead'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** The statuses a delivery can be queued again from by hand. */
export const RETRYABLE_STATUSES: readonly DeliveryStatus[] = ['failed', 'dead'];

/**
 * One event for one webhook: created by the outbox subscriber with its job, updated by each
 * attempt. Deleting the webhook deletes its deliveries; their queued jobs then find nothing.
 */
@Entity('webhook_deliveries')
@Check('CHK_webhook_deliveries_status', `"status" IN ('pending', 'succeeded', 'failed', 'dead')`)
@Index('UQ_webhook_deliveries_webhook_event', ['webhookId', 'eventId'], { unique: true })
@Index('IDX_webhook_deliveries_webhook_created_at_id', ['webhookId', 'createdAt', 'id'])
@Index('IDX_webhook_deliveries_webhook_status_created_at_id', [
  'webhookId',
  'status',
  'createdAt',
  'id',
])
export class WebhookDeliveryEntity {
  /** Chosen before the insert: the job that carries it is queued first, in the same transaction. */
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'PK_webhook_deliveries' })
  id!: string;

  @Column({ name: 'webhook_id', type: 'uuid' })
  webhookId!: string;

  @ManyToOne(() => WebhookEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'webhook_id', foreignKeyConstraintName: 'FK_webhook_deliveries_webhook' })
  webhook?: WebhookEntity;

  /** The outbox event; also the `webhook-id` header, the same on every attempt. */
  @Column({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  @Column({ name: 'event_type', type: 'varchar', length: 100 })
  eventType!: string;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  status!: DeliveryStatus;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'last_status_code', type: 'integer', nullable: true })
  lastStatusCode!: number | null;

  @Column({ name: 'last_error', type: 'varchar', length: 500, nullable: true })
  lastError!: string | null;

  /** About when the next attempt runs (pg-boss decides, with jitter); null unless queued. */
  @Column({ name: 'next_attempt_at', type: 'timestamptz', precision: 3, nullable: true })
  nextAttemptAt!: Date | null;

  @Column({ name: 'delivered_at', type: 'timestamptz', precision: 3, nullable: true })
  deliveredAt!: Date | null;

  /**
   * The pg-boss job that owns the delivery now. A manual retry queues a new one; an older job
   * that still runs finds another id here and leaves the delivery alone.
   */
  @Column({ name: 'job_id', type: 'uuid', nullable: true })
  jobId!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
