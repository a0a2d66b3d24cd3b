import { IsOptional } from 'class-validator';

import { IsPriceCents, IsProductName, IsStock } from './product-fields';

export class UpdateProductDto {
  @IsOptional()
  @IsProductName()
  readonly name?: string;

  @IsOptional()
  @IsPriceCents()
  readonly priceCents?: number;

  /** Sets the stock level (an inventory count), not a delta. */
  @IsOptional()
  @IsStock()
  readonly stock?: number;
}
