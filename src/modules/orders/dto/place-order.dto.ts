import { ApiSchema } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsInt,
  IsUUID,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';

import { Field } from '@app/core';

const QUANTITY = { min: 1, max: 1000 } as const;
const LINES = { min: 1, max: 50 } as const;
const LINES_MESSAGE = `items must contain ${LINES.min} to ${LINES.max} entries`;

@ApiSchema({ name: 'OrderLine', description: 'A product and how many units of it.' })
export class OrderLineDto {
  @Field(
    {
      format: 'uuid',
      maxLength: 36,
      description: 'A product of the catalog (422 `ORDER_UNKNOWN_PRODUCT` when there is none).',
      example: '0190c4b2-6c1e-7d2a-9a53-3f0c5e4b8a11',
    },
    IsUUID('all', { message: 'productId must be a UUID' }),
  )
  readonly productId!: string;

  @Field(
    { type: 'integer', format: 'int32', minimum: QUANTITY.min, maximum: QUANTITY.max, example: 2 },
    Max(QUANTITY.max),
    Min(QUANTITY.min),
    IsInt({ message: 'quantity must be an integer' }),
  )
  readonly quantity!: number;
}

/** The client sends products and quantities only: prices come from the catalog. */
@ApiSchema({
  name: 'PlaceOrder',
  description:
    'Products and quantities only: prices are copied from the catalog. Stock is reserved for ' +
    'all lines or none; all products must share one currency.',
})
export class PlaceOrderDto {
  @Field(
    {
      type: () => OrderLineDto,
      isArray: true,
      minItems: LINES.min,
      maxItems: LINES.max,
      uniqueItems: true,
      description: `${LINES.min} to ${LINES.max} lines, each naming a different \`productId\`.`,
    },
    Type(() => OrderLineDto),
    ValidateNested({ each: true }),
    ArrayUnique((line: OrderLineDto) => line.productId, {
      message: 'items must not name the same productId twice',
    }),
    ArrayMaxSize(LINES.max, { message: LINES_MESSAGE }),
    ArrayMinSize(LINES.min, { message: LINES_MESSAGE }),
    IsArray(),
  )
  readonly items!: OrderLineDto[];
}
