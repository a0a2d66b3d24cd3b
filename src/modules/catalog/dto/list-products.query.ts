import { Transform } from 'class-transformer';
import { IsString, Length } from 'class-validator';

import { Field, OptionalNotNull, PageQueryDto } from '@app/core';

export class ListProductsQuery extends PageQueryDto {
  /** Case-insensitive "contains" on name or SKU. */
  @Field(
    {
      type: String,
      required: false,
      minLength: 1,
      maxLength: 100,
      description: 'Case-insensitive "contains" on name or SKU (trimmed).',
      example: 'mug',
    },
    Length(1, 100),
    IsString(),
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' ? value.trim() : value,
    ),
    OptionalNotNull(),
  )
  readonly q?: string;
}
