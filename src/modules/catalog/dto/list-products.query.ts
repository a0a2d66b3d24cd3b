import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, Length } from 'class-validator';

import { OptionalNotNull, PageQueryDto } from '@app/core';

export class ListProductsQuery extends PageQueryDto {
  /** Case-insensitive "contains" on name or SKU. */
  @ApiProperty({
    type: String,
    required: false,
    minLength: 1,
    maxLength: 100,
    description: 'Case-insensitive "contains" on name or SKU (trimmed).',
    example: 'mug',
  })
  @OptionalNotNull()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @Length(1, 100)
  readonly q?: string;
}
