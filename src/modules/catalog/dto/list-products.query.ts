import { Transform } from 'class-transformer';
import { IsOptional, IsString, Length } from 'class-validator';

import { PageQueryDto } from '@app/core';

export class ListProductsQuery extends PageQueryDto {
  /** Case-insensitive "contains" on name or SKU. */
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @Length(1, 100)
  readonly q?: string;
}
