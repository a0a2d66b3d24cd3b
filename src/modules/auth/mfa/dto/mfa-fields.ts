import { IsString, Length } from 'class-validator';

import { Field } from '@app/core';

/**
 * The second factor's request fields. A code is only bounded, not pattern-checked: a
 * mistyped code is a wrong code (the route's own answer), not a malformed request.
 */

export const MFA_CODE = { min: 1, max: 64 } as const;

/** A TOTP code, or (where the route says so) a recovery code. */
export const MfaCode = (description: string, example = '123456'): PropertyDecorator =>
  Field(
    {
      type: String,
      minLength: MFA_CODE.min,
      maxLength: MFA_CODE.max,
      description,
      example,
    },
    Length(MFA_CODE.min, MFA_CODE.max, {
      message: `code must be ${MFA_CODE.min} to ${MFA_CODE.max} characters`,
    }),
    IsString(),
  );
