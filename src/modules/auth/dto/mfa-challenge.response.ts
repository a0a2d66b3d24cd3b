import { ApiProperty, ApiSchema } from '@nestjs/swagger';

/** The response shape; a class only so that the OpenAPI document can describe it. */
@ApiSchema({
  name: 'MfaChallenge',
  description:
    'The password was right and the account has a second factor: trade `mfaToken` and a ' +
    'code at `POST /api/v1/auth/login/mfa` for the token pair.',
})
export class MfaChallengeResponse {
  @ApiProperty({ enum: [true], example: true })
  readonly mfaRequired!: true;

  @ApiProperty({
    maxLength: 1024,
    pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$',
    description: 'Good only for `POST /api/v1/auth/login/mfa`, until it expires.',
    example: 'eyJhbGciOiJIUzI1NiJ9.eyJ2ZXIiOjB9.c2lnbmF0dXJlLW5vdC1yZWFs',
  })
  readonly mfaToken!: string;

  @ApiProperty({
    type: 'integer',
    format: 'int32',
    minimum: 30,
    maximum: 900,
    description: 'Lifetime of `mfaToken` in seconds.',
    example: 300,
  })
  readonly expiresIn!: number;
}
