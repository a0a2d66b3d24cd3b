import { ApiProperty, ApiSchema } from '@nestjs/swagger';

import type { ProductEntity } from '../product.entity';
import { PRODUCT_FIELDS } from './product-fields';

/** The response shape; a class only so that the OpenAPI document can describe it. */
@ApiSchema({ name: 'Product', description: 'A product of the catalog.' })
export class ProductResponse {
  @ApiProperty({ format: 'uuid', maxLength: 36, example: '0190c4b2-6c1e-7d2a-9a53-3f0c5e4b8a11' })
  readonly id!: string;

  @ApiProperty(PRODUCT_FIELDS.sku())
  readonly sku!: string;

  @ApiProperty(PRODUCT_FIELDS.name())
  readonly name!: string;

  @ApiProperty(PRODUCT_FIELDS.priceCents())
  readonly priceCents!: number;

  @ApiProperty(PRODUCT_FIELDS.currency())
  readonly currency!: string;

  @ApiProperty(PRODUCT_FIELDS.stock())
  readonly stock!: number;

  @ApiProperty({ format: 'date-time', maxLength: 24, example: '2026-01-31T12:00:00.000Z' })
  readonly createdAt!: string;

  @ApiProperty({ format: 'date-time', maxLength: 24, example: '2026-01-31T12:00:00.000Z' })
  readonly updatedAt!: string;
}

export function toProductResponse(product: ProductEntity): ProductResponse {
  return {
    id: product.id,
    sku: product.sku,
    name: product.name,
    priceCents: product.priceCents,
    currency: product.currency,
    stock: product.stock,
    createdAt: product.createdAt.toISOString(),
    updatedAt: product.updatedAt.toISOString(),
  };
}
