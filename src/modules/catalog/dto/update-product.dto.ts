import { ApiSchema } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';

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
export class UpdateProductDto {
  @ApiProductName(false)
  @IsOptional()
  @IsProductName()
  readonly name?: string;

  @ApiPriceCents(false)
  @IsOptional()
  @IsPriceCents()
  readonly priceCents?: number;

  /** Sets the stock level (an inventory count), not a delta. */
  @ApiStock(false, 'The new stock level (an inventory count, not a delta).')
  @IsOptional()
  @IsStock()
  readonly stock?: number;
}
