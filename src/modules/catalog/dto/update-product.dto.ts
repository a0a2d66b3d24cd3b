import { ApiSchema } from '@nestjs/swagger';

import { RequireAnyOf } from '@app/core';

import { PriceCents, ProductName, Stock } from './product-fields';

@ApiSchema({
  name: 'UpdateProduct',
  description:
    'The fields to change, at least one (an empty body is a 400). `sku` and `currency` cannot ' +
    'be changed.',
})
@RequireAnyOf<UpdateProductDto>('name', 'priceCents', 'stock')
export class UpdateProductDto {
  @ProductName({ optional: true })
  readonly name?: string;

  @PriceCents({ optional: true })
  readonly priceCents?: number;

  /** Sets the stock level (an inventory count), not a delta. */
  @Stock({ optional: true, description: 'The new stock level (an inventory count, not a delta).' })
  readonly stock?: number;
}
