import { ApiProperty, ApiSchema } from '@nestjs/swagger';

/** The session list shows this many of the newest logins (older ones can still be refreshed). */
export const SESSION_LIST_MAX = 100;

/** The response shape; a class only so that the OpenAPI document can describe it. */
@ApiSchema({
  name: 'Session',
  description: 'One login of the caller that can still be refreshed (a refresh-token family).',
})
export class SessionResponse {
  @ApiProperty({ format: 'uuid', maxLength: 36, example: '0190c4b2-6c1e-7d2a-9a53-3f0c5e4b8a11' })
  readonly id!: string;

  @ApiProperty({
    format: 'date-time',
    maxLength: 24,
    description: 'When the login happened.',
    example: '2026-01-31T12:00:00.000Z',
  })
  readonly createdAt!: string;

  @ApiProperty({
    format: 'date-time',
    maxLength: 24,
    description:
      'When its refresh token was last used (the login itself, until the first refresh).',
    example: '2026-01-31T12:15:00.000Z',
  })
  readonly lastUsedAt!: string;

  @ApiProperty({
    type: String,
    nullable: true,
    maxLength: 512,
    description: 'The `User-Agent` of the last login or refresh, cut to 512 characters.',
    example: 'Mozilla/5.0 (X11; Linux x86_64)',
  })
  readonly userAgent!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    maxLength: 64,
    description:
      'The client address of the last login or refresh; behind a proxy (`TRUST_PROXY`), the ' +
      'forwarded one.',
    example: '203.0.113.7',
  })
  readonly ipAddress!: string | null;

  @ApiProperty({ description: 'True for the login the calling access token belongs to.' })
  readonly current!: boolean;
}
