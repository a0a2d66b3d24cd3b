import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsEmail, IsString, Length, MaxLength } from 'class-validator';

const trim = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim() : value;

/** Emails are compared trimmed and case-insensitively, so they are stored that way. */
export const normaliseEmail = (email: string): string => email.trim().toLowerCase();

export const IsUserEmail = (): PropertyDecorator =>
  applyDecorators(
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' ? normaliseEmail(value) : value,
    ),
    IsString(),
    MaxLength(255),
    IsEmail({}, { message: 'email must be an email' }),
  );

export const IsUserName = (): PropertyDecorator =>
  applyDecorators(
    Transform(trim),
    IsString(),
    Length(1, 100, { message: 'name must be 1 to 100 characters' }),
  );

export const IsPassword = (field = 'password'): PropertyDecorator =>
  applyDecorators(IsString(), Length(8, 128, { message: `${field} must be 8 to 128 characters` }));
