import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

@Entity('products')
@Check('CHK_products_stock_non_negative', `"stock" >= 0`)
@Check('CHK_products_price_range', `"price_cents" BETWEEN 0 AND 100000000`)
@Check('CHK_products_sku_format', `"sku" ~ '^[A-Z0-9-]{1,64}$'`)
@Check('CHK_products_currency', `"currency" ~ '^[A-Z]{3}$'`)
@Index('IDX_products_created_at_id', ['createdAt', 'id'])
export class ProductEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index('UQ_products_sku', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  sku!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ name: 'price_cents', type: 'integer' })
  priceCents!: number;

  @Column({ type: 'char', length: 3, default: 'EUR' })
  currency!: string;

  /** Never below zero: checked by the reservation and, last line of defence, by the CHECK. */
  @Column({ type: 'integer' })
  stock!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
