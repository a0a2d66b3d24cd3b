import { ApiSchema } from '@nestjs/swagger';

import { PresentedPassword } from '../../../users';
import { MfaCode } from './mfa-fields';

@ApiSchema({
  name: 'DisableMfa',
  description: 'Proof of both factors: a current code and the password.',
})
export class DisableMfaDto {
  @MfaCode(
    'A 6-digit code from the authenticator, or an unused recovery code (`xxxx-xxxx-xxxx-xxxx`, ' +
      'case, spaces and dashes ignored); it is spent as a login would spend it. A wrong, used ' +
      'or replayed one is 400 `MFA_CODE_INVALID`.',
  )
  readonly code!: string;

  @PresentedPassword({
    description: 'The account password; a wrong one is 401 `USER_CURRENT_PASSWORD_INVALID`.',
    example: 'correct horse battery staple',
  })
  readonly currentPassword!: string;
}
