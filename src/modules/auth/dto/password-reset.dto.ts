import { ApiSchema } from '@nestjs/swagger';

import { Password, PresentedEmail } from '../../users';
import { MailedToken } from './account-token-fields';

@ApiSchema({ name: 'PasswordResetRequest', description: 'Whose password to reset.' })
export class PasswordResetRequestDto {
  @PresentedEmail()
  readonly email!: string;
}

@ApiSchema({
  name: 'PasswordResetConfirm',
  description: 'The token of a reset link and the new password.',
})
export class PasswordResetConfirmDto {
  @MailedToken()
  readonly token!: string;

  @Password({ description: 'The new password.' })
  readonly password!: string;
}
