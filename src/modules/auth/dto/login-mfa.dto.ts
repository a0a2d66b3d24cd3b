import { ApiSchema } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';

import { Field } from '@app/core';

const JWT = '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$';

@ApiSchema({ name: 'LoginMfa', description: 'The second login step: the mfaToken and a code.' })
export class LoginMfaDto {
  @Field(
    {
      type: String,
      maxLength: 1024,
      pattern: JWT,
      description: 'The `mfaToken` of the first step; it expires after `expiresIn` seconds.',
      example: 'eyJhbGciOiJIUzI1NiJ9.eyJ2ZXIiOjB9.c2lnbmF0dXJlLW5vdC1yZWFs',
    },
    IsString(),
    Length(1, 1024, { message: 'mfaToken must be 1 to 1024 characters' }),
    Matches(new RegExp(JWT), { message: 'mfaToken must be a token from the login response' }),
  )
  readonly mfaToken!: string;

  @Field(
    {
      type: String,
      minLength: 6,
      maxLength: 64,
      description:
        'A 6-digit code of the authenticator app, or one unused recovery code. A wrong code is ' +
        '401 and counts against the login limit.',
      example: '123456',
    },
    IsString(),
    Length(6, 64, { message: 'code must be 6 to 64 characters' }),
  )
  readonly code!: string;
}
