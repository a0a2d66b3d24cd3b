import {
  Check,
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
} from 'typeorm';

import { OrderEntity, bigintCents } from './order.entity';

/** A line of an order, with the catalog's price, SKU and name as they were when it was placed. */
@Entity('order_items')
@Check('CHK_order_items_quantity', `"quantity" BETWEEN 1 AND 1000`)
@Check('CHK_order_items_unit_price', `"unit_price_cents" >= 0`)
@Index('UQ_order_items_order_product', ['orderId', 'productId'], { unique: true })
export class OrderItemEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'order_id', type: 'uuid' })
  orderId!: string;

  @ManyToOne(() => OrderEntity, (order) => order.items, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'order_id' })
  order!: OrderEntity;

  /** Position in the request, so items come back in the order they were sent. */
  @Column({ type: 'smallint' })
  position!: number;

  @Column({ name: 'product_id', type: 'uuid' })
  productId!: string;

  @Column({ type: 'varchar', length: 64 })
  sku!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ name: 'unit_price_cents', type: 'integer' })
  unitPriceCents!: number;

  @Column({ type: 'integer' })
  quantity!: number;

  @Column({ name: 'line_total_cents', type: 'bigint', transformer: bigintCents })
  lineTotalCents!: number;
}
