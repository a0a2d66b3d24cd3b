import { ApiProperty, ApiSchema } from '@nestjs/swagger';

/** The response shape; a class only so that the OpenAPI document can describe it. */
@ApiSchema({
  name: 'TokenPair',
  description: 'A short-lived access token and the single-use refresh token that renews it.',
})
export class TokenPairResponse {
  @ApiProperty({
    maxLength: 1024,
    pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$',
    description: 'JWT for `Authorization: Bearer <accessToken>`.',
    example:
      'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoiY3VzdG9tZXIifQ.c2lnbmF0dXJlLW5vdC1yZWFs',
  })
  readonly accessToken!: string;

  @ApiProperty({
    minLength: 43,
    maxLength: 43,
    pattern: '^[A-Za-z0-9_-]{43}$',
    description: 'Opaque, single-use: trade it at `POST /api/v1/auth/refresh`.',
    example: 'mBJf0cYbX1pT3q9Vw2k7ZsLr8uHn4aE6dGxQy5oNiCt',
  })
  readonly refreshToken!: string;

  @ApiProperty({ enum: ['Bearer'], example: 'Bearer' })
  readonly tokenType!: 'Bearer';

  /** Access token lifetime in seconds. */
  @ApiProperty({
    type: 'integer',
    format: 'int32',
    minimum: 30,
    maximum: 86_400,
    description: 'Access token lifetime in seconds.',
    example: 900,
  })
  readonly expiresIn!: number;
}
