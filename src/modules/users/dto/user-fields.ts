import { Transform } from 'class-transformer';
import { IsEmail, IsString, Length, MaxLength } from 'class-validator';

import { Field, OptionalNotNull } from '@app/core';

/**
 * The users' request fields, each one decorator that validates and documents it from the
 * same bounds. Validators are listed in priority order (the first failing one names the
 * problem), as `Field()` applies them.
 */

const trim = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim() : value;

/** Emails are compared trimmed and case-insensitively, so they are stored that way. */
export const normaliseEmail = (email: string): string => email.trim().toLowerCase();

export const EMAIL_MAX_LENGTH = 255;
const NAME = { min: 1, max: 100 } as const;
/** A password's length bounds: the DTOs, the bootstrap admin (users.config.ts) and the CLI. */
export const PASSWORD = { min: 8, max: 128 } as const;

const normalisedEmail = Transform(({ value }: { value: unknown }) =>
  typeof value === 'string' ? normaliseEmail(value) : value,
);

interface FieldOptions {
  /** May be left out (never sent as null). */
  readonly optional?: boolean;
  readonly description?: string;
}

const optionality = (optional: boolean): PropertyDecorator[] =>
  optional ? [OptionalNotNull()] : [];

/** An email to store: trimmed and lower-cased. */
export const UserEmail = (
  description = 'Trimmed and compared case-insensitively.',
): PropertyDecorator =>
  Field(
    {
      type: String,
      format: 'email',
      maxLength: EMAIL_MAX_LENGTH,
      description,
      example: 'ada@example.com',
    },
    normalisedEmail,
    IsString(),
    MaxLength(EMAIL_MAX_LENGTH),
    IsEmail({}, { message: 'email must be an email' }),
  );

/** An email to look an account up by (log in): normalised as stored, then compared. */
export const PresentedEmail = (): PropertyDecorator =>
  Field(
    {
      format: 'email',
      maxLength: EMAIL_MAX_LENGTH,
      description: 'Compared trimmed and case-insensitively.',
      example: 'ada@example.com',
    },
    IsEmail({}, { message: 'email must be an email' }),
    MaxLength(EMAIL_MAX_LENGTH),
    IsString(),
    normalisedEmail,
  );

export const UserName = ({ optional = false }: FieldOptions = {}): PropertyDecorator =>
  Field(
    {
      type: String,
      required: !optional,
      minLength: NAME.min,
      maxLength: NAME.max,
      description: `Display name: ${NAME.min} to ${NAME.max} characters after trimming.`,
      example: 'Ada Lovelace',
    },
    Transform(trim),
    IsString(),
    Length(NAME.min, NAME.max, { message: `name must be ${NAME.min} to ${NAME.max} characters` }),
    ...optionality(optional),
  );

/** A new password: its full bounds are checked. */
export const Password = ({ optional = false, description }: FieldOptions = {}): PropertyDecorator =>
  Field(
    {
      type: String,
      required: !optional,
      format: 'password',
      minLength: PASSWORD.min,
      maxLength: PASSWORD.max,
      description,
      example: 'correct horse battery staple',
    },
    IsString(),
    Length(PASSWORD.min, PASSWORD.max, {
      message: `password must be ${PASSWORD.min} to ${PASSWORD.max} characters`,
    }),
    ...optionality(optional),
  );

/**
 * A password presented as proof (log in, the current password): only the maximum length is
 * checked, so a wrong password is a 401, not a 400. `rules` come first (a `ValidateIf`...).
 */
export const PresentedPassword = (
  schema: { readonly description: string; readonly required?: boolean; readonly example?: string },
  ...rules: readonly PropertyDecorator[]
): PropertyDecorator =>
  Field(
    { type: String, format: 'password', maxLength: PASSWORD.max, ...schema },
    ...rules,
    MaxLength(PASSWORD.max),
    IsString(),
  );
