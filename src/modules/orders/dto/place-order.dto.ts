import { ApiProperty, ApiSchema } from '@nestjs/swagger';
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

@ApiSchema({ name: 'OrderLine', description: 'A product and how many units of it.' })
export class OrderLineDto {
  @ApiProperty({
    format: 'uuid',
    maxLength: 36,
    description: 'A product of the catalog (422 `ORDER_UNKNOWN_PRODUCT` when there is none).',
    example: '0190c4b2-6c1e-7d2a-9a53-3f0c5e4b8a11',
  })
  @IsUUID('all', { message: 'productId must be a UUID' })
  readonly productId!: string;

  @ApiProperty({ type: 'integer', format: 'int32', minimum: 1, maximum: 1000, example: 2 })
  @IsInt({ message: 'quantity must be an integer' })
  @Min(1)
  @Max(1000)
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
  @ApiProperty({
    type: () => OrderLineDto,
    isArray: true,
    minItems: 1,
    maxItems: 50,
    uniqueItems: true,
    description: '1 to 50 lines, each naming a different `productId`.',
  })
  @IsArray()
  @ArrayMinSize(1, { message: 'items must contain 1 to 50 entries' })
  @ArrayMaxSize(50, { message: 'items must contain 1 to 50 entries' })
  @ArrayUnique((line: OrderLineDto) => line.productId, {
    message: 'items must not name the same productId twice',
  })
  @ValidateNested({ each: true })
  @Type(() => OrderLineDto)
  readonly items!: OrderLineDto[];
}
