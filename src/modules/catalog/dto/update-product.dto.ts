import { ApiSchema } from '@nestjs/swagger';

import { OptionalNotNull, RequireAnyOf } from '@app/core';

import {
  ApiPriceCents,
  ApiProductName,
  ApiStock,
  IsPriceCents,
  IsProductName,
  IsStock,
} from './product-fields';

@ApiSchema({
  name: 'UpdateProduct',
  description:
    'The fields to change, at least one (an empty body is a 400). `sku` and `currency` cannot ' +
    'be changed.',
})
@RequireAnyOf<UpdateProductDto>('name', 'priceCents', 'stock')
export class UpdateProductDto {
  @ApiProductName(false)
  @OptionalNotNull()
  @IsProductName()
  readonly name?: string;

  @ApiPriceCents(false)
  @OptionalNotNull()
  @IsPriceCents()
  readonly priceCents?: number;

  /** Sets the stock level (an inventory count), not a delta. */
  @ApiStock(false, 'The new stock level (an inventory count, not a delta).')
  @OptionalNotNull()
  @IsStock()
  readonly stock?: number;
}
