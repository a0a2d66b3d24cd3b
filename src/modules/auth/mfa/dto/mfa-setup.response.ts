import { ApiProperty, ApiSchema } from '@nestjs/swagger';

/** The response shape; a class only so that the OpenAPI document can describe it. */
@ApiSchema({
  name: 'MfaSetup',
  description:
    'A new TOTP secret for the authenticator (RFC 6238: SHA-1, 6 digits, 30 s). Shown only ' +
    'here; nothing is enabled until `POST /api/v1/auth/mfa/enable` gets a code of it.',
})
export class MfaSetupResponse {
  @ApiProperty({
    pattern: '^[A-Z2-7]{32}$',
    minLength: 32,
    maxLength: 32,
    description: 'The shared secret, base32 (160 bits), for typing it in by hand.',
    example: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
  })
  readonly secret!: string;

  @ApiProperty({
    format: 'uri',
    maxLength: 1024,
    pattern: '^otpauth://totp/',
    description:
      'The same secret as a Key URI (`otpauth://totp/<issuer>:<email>?secret=…&issuer=…`), ' +
      'to show as a QR code.',
    example:
      'otpauth://totp/nest-enterprise-backend:ada%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=nest-enterprise-backend',
  })
  readonly otpauthUrl!: string;
}
