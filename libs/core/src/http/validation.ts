import { ParseUUIDPipe, Param, ValidationPipe } from '@nestjs/common';
import type { ValidationError as ClassValidatorError } from 'class-validator';

import { RequestValidationError, type FieldError } from '../errors/app-error';

/** Flattens class-validator's tree into one entry per failing field, with dotted paths. */
export function flattenValidationErrors(
  errors: readonly ClassValidatorError[],
  parent = '',
): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = parent === '' ? error.property : `${parent}.${error.property}`;
    const messages = Object.values(error.constraints ?? {});
    if (messages[0] !== undefined) {
      out.push({ field, message: messages[0] });
    }
    if (error.children !== undefined && error.children.length > 0) {
      out.push(...flattenValidationErrors(error.children, field));
    }
  }
  return out;
}

/** The global pipe: unknown fields are rejected, payloads are transformed into DTO classes. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new RequestValidationError(flattenValidationErrors(errors)),
  });
}

/** A UUID path parameter (v4 or v7); anything else is a 400 naming the parameter. */
export function IdParam(name = 'id'): ParameterDecorator {
  return Param(
    name,
    new ParseUUIDPipe({
      exceptionFactory: () =>
        new RequestValidationError([{ field: name, message: `${name} must be a UUID` }]),
    }),
  );
}
