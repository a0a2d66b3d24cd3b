import { ApiProperty, ApiSchema } from '@nestjs/swagger';

import { RECOVERY_CODE_COUNT } from '../recovery-codes';

/** The response shape; a class only so that the OpenAPI document can describe it. */
@ApiSchema({
  name: 'MfaRecoveryCodes',
  description:
    'The recovery codes of the factor just enabled, shown only here: each logs in once in ' +
    'place of a TOTP code. Only their hashes are kept.',
})
export class MfaRecoveryCodesResponse {
  @ApiProperty({
    type: String,
    isArray: true,
    minItems: RECOVERY_CODE_COUNT,
    maxItems: RECOVERY_CODE_COUNT,
    uniqueItems: true,
    pattern: '^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$',
    maxLength: 19,
    description: `${String(RECOVERY_CODE_COUNT)} single-use codes, 80 random bits each.`,
    example: [
      '7k2m-q9xa-3fhd-p0tw',
      'b4nz-8e1r-c6vj-yk5s',
      'x3p9-d7ga-m2qe-h8wn',
      'r5t1-jz4k-9cbf-e6yv',
      'g8w2-n3hs-q7dm-a1xp',
      'v9e4-k6rt-z2jb-s5fc',
      'm1q7-y8dx-4hgn-w3ka',
      'c2f5-p9tz-e7ks-j6br',
      'h4x8-a3mv-n1qw-d9ge',
      's7k3-w5jc-b2ry-t8pz',
    ],
  })
  readonly recoveryCodes!: string[];
}
