import type { ProductEntity } from '../product.entity';

export interface ProductResponse {
  readonly id: string;
  readonly sku: string;
  readonly name: string;
  readonly priceCents: number;
  readonly currency: string;
  readonly stock: number;
  readonly createdAt: string;
  readonly updatedAt: string;
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
