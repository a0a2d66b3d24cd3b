import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsInt, IsString, Length, Max, Min } from 'class-validator';

const trim = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim() : value;

export const IsProductName = (): PropertyDecorator =>
  applyDecorators(
    Transform(trim),
    IsString(),
    Length(1, 200, { message: 'name must be 1 to 200 characters' }),
  );

export const IsPriceCents = (): PropertyDecorator =>
  applyDecorators(
    IsInt({ message: 'priceCents must be an integer number of cents' }),
    Min(0),
    Max(100_000_000),
  );

export const IsStock = (): PropertyDecorator =>
  applyDecorators(IsInt({ message: 'stock must be an integer' }), Min(0), Max(2_147_483_647));
