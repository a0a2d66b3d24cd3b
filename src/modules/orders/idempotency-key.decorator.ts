import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import type { Request } from 'express';

import { RequestValidationError, defineResponseHeader, documentedParam } from '@app/core';

const PRINTABLE = '^[\\x20-\\x7e]{1,255}$';
const PRINTABLE_KEY = new RegExp(PRINTABLE);

const readIdempotencyKey = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): string | undefined => {
    const value = ctx.switchToHttp().getRequest<Request>().headers['idempotency-key'];
    if (value === undefined) {
      return undefined;
    }
    if (typeof value !== 'string' || !PRINTABLE_KEY.test(value)) {
      throw new RequestValidationError([
        {
          field: 'Idempotency-Key',
          message: 'Idempotency-Key must be 1 to 255 printable ASCII characters',
        },
      ]);
    }
    return value;
  },
);

/** The optional `Idempotency-Key` header: 1..255 printable ASCII characters, else 400. */
export const IdempotencyKey = (): ParameterDecorator =>
  documentedParam(
    readIdempotencyKey(),
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description: '1 to 255 printable ASCII characters (400 naming `Idempotency-Key` otherwise).',
      schema: { type: 'string', minLength: 1, maxLength: 255, pattern: PRINTABLE },
    }),
  );

/** Sent with the stored response of a request that was already answered. */
export const IDEMPOTENT_REPLAYED = defineResponseHeader('Idempotent-Replayed', {
  description:
    'Present (`true`) when this is the stored response of an earlier request with the same ' +
    '`Idempotency-Key` and body: nothing new was created.',
  schema: { type: 'string', enum: ['true'] },
});
