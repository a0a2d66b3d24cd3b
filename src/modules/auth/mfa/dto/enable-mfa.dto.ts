import { ApiSchema } from '@nestjs/swagger';

import { MfaCode } from './mfa-fields';

@ApiSchema({ name: 'EnableMfa', description: 'The first code of the authenticator just set up.' })
export class EnableMfaDto {
  @MfaCode(
    'The 6-digit code the authenticator shows now (spaces are ignored). A wrong one is 400 ' +
      '`MFA_CODE_INVALID`.',
  )
  readonly code!: string;
}
