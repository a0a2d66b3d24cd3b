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

export class OrderLineDto {
  @IsUUID('all', { message: 'productId must be a UUID' })
  readonly productId!: string;

  @IsInt({ message: 'quantity must be an integer' })
  @Min(1)
  @Max(1000)
  readonly quantity!: number;
}

/** The client sends products and quantities only: prices come from the catalog. */
export class PlaceOrderDto {
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
