import { ApiSchema } from '@nestjs/swagger';
import { Matches } from 'class-validator';

import { OptionalNotNull } from '@app/core';

import {
  ApiCurrency,
  ApiPriceCents,
  ApiProductName,
  ApiSku,
  ApiStock,
  IsPriceCents,
  IsProductName,
  IsStock,
} from './product-fields';

@ApiSchema({ name: 'CreateProduct', description: 'A new product.' })
export class CreateProductDto {
  @ApiSku(
    'Stock keeping unit: 1 to 64 characters of A-Z, 0-9 and `-`; unique (409 `PRODUCT_SKU_TAKEN`); cannot be changed later.',
  )
  @Matches(/^[A-Z0-9-]{1,64}$/, { message: 'sku must be 1 to 64 characters of A-Z, 0-9 and -' })
  readonly sku!: string;

  @ApiProductName()
  @IsProductName()
  readonly name!: string;

  @ApiPriceCents()
  @IsPriceCents()
  readonly priceCents!: number;

  @ApiCurrency({
    required: false,
    description: 'ISO 4217 code, `EUR` when omitted; cannot be changed later.',
  })
  @OptionalNotNull()
  @Matches(/^[A-Z]{3}$/, { message: 'currency must be an ISO 4217 code such as EUR' })
  readonly currency: string = 'EUR';

  @ApiStock()
  @IsStock()
  readonly stock!: number;
}
