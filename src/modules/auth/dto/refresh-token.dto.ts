import { ApiSchema } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';

import { Field } from '@app/core';

const REFRESH_TOKEN = { min: 1, max: 200, pattern: '^[A-Za-z0-9_-]+$' } as const;
const MESSAGE = `refreshToken must be ${REFRESH_TOKEN.min} to ${REFRESH_TOKEN.max} characters of A-Z, a-z, 0-9, _ and -`;

@ApiSchema({ name: 'RefreshToken', description: 'A refresh token from `TokenPair`.' })
export class RefreshTokenDto {
  /** Anything outside the documented pattern is a 400: it cannot be a token the service issued. */
  @Field(
    {
      minLength: REFRESH_TOKEN.min,
      maxLength: REFRESH_TOKEN.max,
      pattern: REFRESH_TOKEN.pattern,
      description: 'Opaque and single-use. Tokens that were not issued by the service are a 401.',
      example: 'mBJf0cYbX1pT3q9Vw2k7ZsLr8uHn4aE6dGxQy5oNiCt',
    },
    Matches(new RegExp(REFRESH_TOKEN.pattern), { message: MESSAGE }),
    Length(REFRESH_TOKEN.min, REFRESH_TOKEN.max, { message: MESSAGE }),
    IsString(),
  )
  readonly refreshToken!: string;
}
