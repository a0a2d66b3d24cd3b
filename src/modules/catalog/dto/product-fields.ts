import type { ApiPropertyOptions } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsString, Length, Matches, Max, Min } from 'class-validator';

import { Field, OptionalNotNull } from '@app/core';

/**
 * A product's fields: each schema once, documented as is on `Product` (responses) and, with
 * its validators (priority order, as `Field()` applies them), on the request bodies.
 */

const trim = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim() : value;

const NAME = { min: 1, max: 200 } as const;
const PRICE_CENTS = { min: 0, max: 100_000_000 } as const;
const STOCK = { min: 0, max: 2_147_483_647 } as const;
const SKU_PATTERN = '^[A-Z0-9-]{1,64}$';
const CURRENCY_PATTERN = '^[A-Z]{3}$';

interface FieldOptions {
  /** May be left out (never sent as null). */
  readonly optional?: boolean;
  readonly description?: string;
}

const optionality = (optional: boolean): PropertyDecorator[] =>
  optional ? [OptionalNotNull()] : [];

/** The schema of each field, as `Product` documents it. */
export const PRODUCT_FIELDS = {
  sku: (description = 'Stock keeping unit, unique.'): ApiPropertyOptions => ({
    type: String,
    minLength: 1,
    maxLength: 64,
    pattern: SKU_PATTERN,
    description,
    example: 'MUG-001',
  }),
  currency: ({
    optional = false,
    description = 'ISO 4217 currency code.',
  }: FieldOptions = {}): ApiPropertyOptions => ({
    type: String,
    required: !optional,
    minLength: 3,
    maxLength: 3,
    pattern: CURRENCY_PATTERN,
    description,
    example: 'EUR',
  }),
  name: ({ optional = false }: FieldOptions = {}): ApiPropertyOptions => ({
    type: String,
    required: !optional,
    minLength: NAME.min,
    maxLength: NAME.max,
    description: `${NAME.min} to ${NAME.max} characters after trimming.`,
    example: 'Enamel mug',
  }),
  priceCents: ({
    optional = false,
    description = 'Price in minor units (cents).',
  }: FieldOptions = {}): ApiPropertyOptions => ({
    type: 'integer',
    format: 'int32',
    required: !optional,
    minimum: PRICE_CENTS.min,
    maximum: PRICE_CENTS.max,
    description,
    example: 1250,
  }),
  stock: ({
    optional = false,
    description = 'Units in stock.',
  }: FieldOptions = {}): ApiPropertyOptions => ({
    type: 'integer',
    format: 'int32',
    required: !optional,
    minimum: STOCK.min,
    maximum: STOCK.max,
    description,
    example: 40,
  }),
};

// ---- Request fields: the same schemas, validated ----

export const Sku = (description: string): PropertyDecorator =>
  Field(
    PRODUCT_FIELDS.sku(description),
    Matches(new RegExp(SKU_PATTERN), {
      message: 'sku must be 1 to 64 characters of A-Z, 0-9 and -',
    }),
  );

export const Currency = (options: FieldOptions = {}): PropertyDecorator =>
  Field(
    PRODUCT_FIELDS.currency(options),
    Matches(new RegExp(CURRENCY_PATTERN), {
      message: 'currency must be an ISO 4217 code such as EUR',
    }),
    ...optionality(options.optional ?? false),
  );

export const ProductName = (options: FieldOptions = {}): PropertyDecorator =>
  Field(
    PRODUCT_FIELDS.name(options),
    Transform(trim),
    IsString(),
    Length(NAME.min, NAME.max, { message: `name must be ${NAME.min} to ${NAME.max} characters` }),
    ...optionality(options.optional ?? false),
  );

export const PriceCents = (options: FieldOptions = {}): PropertyDecorator =>
  Field(
    PRODUCT_FIELDS.priceCents(options),
    IsInt({ message: 'priceCents must be an integer number of cents' }),
    Min(PRICE_CENTS.min),
    Max(PRICE_CENTS.max),
    ...optionality(options.optional ?? false),
  );

export const Stock = (options: FieldOptions = {}): PropertyDecorator =>
  Field(
    PRODUCT_FIELDS.stock(options),
    IsInt({ message: 'stock must be an integer' }),
    Min(STOCK.min),
    Max(STOCK.max),
    ...optionality(options.optional ?? false),
  );
