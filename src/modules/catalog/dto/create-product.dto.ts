import { IsOptional, Matches } from 'class-validator';

import { IsPriceCents, IsProductName, IsStock } from './product-fields';

export class CreateProductDto {
  @Matches(/^[A-Z0-9-]{1,64}$/, { message: 'sku must be 1 to 64 characters of A-Z, 0-9 and -' })
  readonly sku!: string;

  @IsProductName()
  readonly name!: string;

  @IsPriceCents()
  readonly priceCents!: number;

  @IsOptional()
  @Matches(/^[A-Z]{3}$/, { message: 'currency must be an ISO 4217 code such as EUR' })
  readonly currency: string = 'EUR';

  @IsStock()
  readonly stock!: number;
}
