import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * An event written in the same transaction as the change it describes (the transactional
 * outbox): it exists if and only if the change committed. The relay hands it to every
 * subscriber, then stamps `dispatchedAt`; housekeeping deletes dispatched events later.
 */
@Entity('outbox_events')
@Index('IDX_outbox_events_undispatched', ['createdAt', 'id'], {
  where: '"dispatched_at" IS NULL',
})
export class OutboxEventEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  /** `<aggregate>.<what happened>`, e.g. `order.placed`. */
  @Column({ type: 'varchar', length: 100 })
  type!: string;

  @Column({ type: 'jsonb' })
  data!: unknown;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  /** The request that made the change, carried into the log lines of the work it causes. */
  @Column({ name: 'request_id', type: 'varchar', length: 128, nullable: true })
  requestId!: string | null;

  /** W3C trace context of that request, when tracing is on. */
  @Column({ name: 'trace_context', type: 'jsonb', nullable: true })
  traceContext!: Record<string, string> | null;

  @Column({ name: 'dispatched_at', type: 'timestamptz', precision: 3, nullable: true })
  dispatchedAt!: Date | null;

  /** Failed hand-overs so far: a subscriber threw, or the database failed mid-way. */
  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  /** Not handed over before this (pushed back after each failed hand-over). */
  @Column({ name: 'available_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  availableAt!: Date;

  @Column({ name: 'last_error', type: 'varchar', length: 500, nullable: true })
  lastError!: string | null;
}
