import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  OneToMany,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  type ValueTransformer,
} from 'typeorm';

import { OrderItemEntity } from './order-item.entity';
import type { CancelReason, OrderStatus } from './order-status';

/** bigint columns come back from pg as strings; cents stay well inside 2^53. */
export const bigintCents: ValueTransformer = {
  to: (value: number) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};

@Entity('orders')
@Check('CHK_orders_status', `"status" IN ('pending', 'paid', 'shipped', 'delivered', 'cancelled')`)
@Check('CHK_orders_total_non_negative', `"total_cents" >= 0`)
@Check(
  'CHK_orders_cancel_reason',
  `"cancel_reason" IS NULL OR ("status" = 'cancelled' AND "cancel_reason" IN ('customer', 'admin', 'expired'))`,
)
@Index('IDX_orders_created_at_id', ['createdAt', 'id'])
// The expiry job's scan: the oldest pending orders, however many settled ones there are.
@Index('IDX_orders_pending_created_at', ['createdAt'], { where: `"status" = 'pending'` })
@Index('IDX_orders_user_created_at_id', ['userId', 'createdAt', 'id'])
export class OrderEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: OrderStatus;

  /**
   * Set with the status `cancelled` (who cancelled it), null otherwise; orders cancelled
   * before the column existed keep null.
   */
  @Column({ name: 'cancel_reason', type: 'varchar', length: 16, nullable: true })
  cancelReason!: CancelReason | null;

  @Column({ type: 'char', length: 3 })
  currency!: string;

  @Column({ name: 'total_cents', type: 'bigint', transformer: bigintCents })
  totalCents!: number;

  /** Bumped by every change; the ETag and If-Match compare against it. */
  @Column({ type: 'integer', default: 1 })
  version!: number;

  @OneToMany(() => OrderItemEntity, (item) => item.order)
  items!: OrderItemEntity[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
