import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsString, Length, MaxLength } from 'class-validator';

const trim = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim() : value;

/** Emails are compared trimmed and case-insensitively, so they are stored that way. */
export const normaliseEmail = (email: string): string => email.trim().toLowerCase();

const EMAIL_MAX = 255;
const NAME = { min: 1, max: 100 } as const;
/** A password's length bounds: the DTOs, the bootstrap admin (users.config.ts) and the CLI. */
export const PASSWORD = { min: 8, max: 128 } as const;

export const IsUserEmail = (): PropertyDecorator =>
  applyDecorators(
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' ? normaliseEmail(value) : value,
    ),
    IsString(),
    MaxLength(EMAIL_MAX),
    IsEmail({}, { message: 'email must be an email' }),
  );

export const IsUserName = (): PropertyDecorator =>
  applyDecorators(
    Transform(trim),
    IsString(),
    Length(NAME.min, NAME.max, { message: `name must be ${NAME.min} to ${NAME.max} characters` }),
  );

export const IsPassword = (field = 'password'): PropertyDecorator =>
  applyDecorators(
    IsString(),
    Length(PASSWORD.min, PASSWORD.max, {
      message: `${field} must be ${PASSWORD.min} to ${PASSWORD.max} characters`,
    }),
  );

// ---- OpenAPI descriptions of the same fields ----

export const ApiUserEmail = (
  description = 'Trimmed and compared case-insensitively.',
): PropertyDecorator =>
  ApiProperty({
    type: String,
    format: 'email',
    maxLength: EMAIL_MAX,
    description,
    example: 'ada@example.com',
  });

export const ApiUserName = (required = true): PropertyDecorator =>
  ApiProperty({
    type: String,
    required,
    minLength: NAME.min,
    maxLength: NAME.max,
    description: `Display name: ${NAME.min} to ${NAME.max} characters after trimming.`,
    example: 'Ada Lovelace',
  });

export const ApiPassword = (required = true, description?: string): PropertyDecorator =>
  ApiProperty({
    type: String,
    required,
    format: 'password',
    minLength: PASSWORD.min,
    maxLength: PASSWORD.max,
    description,
    example: 'correct horse battery staple',
  });
