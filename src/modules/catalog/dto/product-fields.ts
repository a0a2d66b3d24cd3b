import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsString, Length, Max, Min } from 'class-validator';

const trim = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim() : value;

const NAME = { min: 1, max: 200 } as const;
const PRICE_CENTS = { min: 0, max: 100_000_000 } as const;
const STOCK = { min: 0, max: 2_147_483_647 } as const;

export const IsProductName = (): PropertyDecorator =>
  applyDecorators(
    Transform(trim),
    IsString(),
    Length(NAME.min, NAME.max, { message: `name must be ${NAME.min} to ${NAME.max} characters` }),
  );

export const IsPriceCents = (): PropertyDecorator =>
  applyDecorators(
    IsInt({ message: 'priceCents must be an integer number of cents' }),
    Min(PRICE_CENTS.min),
    Max(PRICE_CENTS.max),
  );

export const IsStock = (): PropertyDecorator =>
  applyDecorators(IsInt({ message: 'stock must be an integer' }), Min(STOCK.min), Max(STOCK.max));

// ---- OpenAPI descriptions of the same fields ----

export const SKU_PATTERN = '^[A-Z0-9-]{1,64}$';
export const CURRENCY_PATTERN = '^[A-Z]{3}$';

export const ApiSku = (description = 'Stock keeping unit, unique.'): PropertyDecorator =>
  ApiProperty({
    type: String,
    minLength: 1,
    maxLength: 64,
    pattern: SKU_PATTERN,
    description,
    example: 'MUG-001',
  });

export const ApiCurrency = (
  options: { required?: boolean; description?: string } = {},
): PropertyDecorator =>
  ApiProperty({
    type: String,
    required: options.required ?? true,
    minLength: 3,
    maxLength: 3,
    pattern: CURRENCY_PATTERN,
    description: options.description ?? 'ISO 4217 currency code.',
    example: 'EUR',
  });

export const ApiProductName = (required = true): PropertyDecorator =>
  ApiProperty({
    type: String,
    required,
    minLength: NAME.min,
    maxLength: NAME.max,
    description: `${NAME.min} to ${NAME.max} characters after trimming.`,
    example: 'Enamel mug',
  });

export const ApiPriceCents = (
  required = true,
  description = 'Price in minor units (cents).',
): PropertyDecorator =>
  ApiProperty({
    type: 'integer',
    format: 'int32',
    required,
    minimum: PRICE_CENTS.min,
    maximum: PRICE_CENTS.max,
    description,
    example: 1250,
  });

export const ApiStock = (required = true, description = 'Units in stock.'): PropertyDecorator =>
  ApiProperty({
    type: 'integer',
    format: 'int32',
    required,
    minimum: STOCK.min,
    maximum: STOCK.max,
    description,
    example: 40,
  });
