import { IsString, Length } from 'class-validator';

import { Field } from '@app/core';

const MAILED_TOKEN = { min: 1, max: 256 } as const;

/**
 * The token of a mailed link. Any string within the bounds is looked up, so a forged, used
 * or expired token all get the one 400 `AUTH_TOKEN_INVALID`, never a different validation
 * message that would tell a forgery apart.
 */
export const MailedToken = (): PropertyDecorator =>
  Field(
    {
      type: String,
      minLength: MAILED_TOKEN.min,
      maxLength: MAILED_TOKEN.max,
      description:
        'The `token` query parameter of the link in the mail. Single-use; an unknown, used ' +
        'or expired token is 400 `AUTH_TOKEN_INVALID`.',
      example: 'q3Yy8b3pX1oP4m2sL9dV7fK0tR6wZ5nA8cE1hJ3uG2i',
    },
    IsString(),
    Length(MAILED_TOKEN.min, MAILED_TOKEN.max, {
      message: `token must be ${MAILED_TOKEN.min} to ${MAILED_TOKEN.max} characters`,
    }),
  );
