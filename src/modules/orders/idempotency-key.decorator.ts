import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

import { RequestValidationError } from '@app/core';

const PRINTABLE = /^[\x20-\x7e]{1,255}$/;

/** The optional `Idempotency-Key` header: 1..255 printable ASCII characters, else 400. */
export const IdempotencyKey = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): string | undefined => {
    const value = ctx.switchToHttp().getRequest<Request>().headers['idempotency-key'];
    if (value === undefined) {
      return undefined;
    }
    if (typeof value !== 'string' || !PRINTABLE.test(value)) {
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
