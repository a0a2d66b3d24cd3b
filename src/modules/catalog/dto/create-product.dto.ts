import { ApiSchema } from '@nestjs/swagger';

import { Currency, PriceCents, ProductName, Sku, Stock } from './product-fields';

@ApiSchema({ name: 'CreateProduct', description: 'A new product.' })
export class CreateProductDto {
  @Sku(
    'Stock keeping unit: 1 to 64 characters of A-Z, 0-9 and `-`; unique (409 `PRODUCT_SKU_TAKEN`); cannot be changed later.',
  )
  readonly sku!: string;

  @ProductName()
  readonly name!: string;

  @PriceCents()
  readonly priceCents!: number;

  @Currency({
    optional: true,
    description: 'ISO 4217 code, `EUR` when omitted; cannot be changed later.',
  })
  readonly currency: string = 'EUR';

  @Stock()
  readonly stock!: number;
}
