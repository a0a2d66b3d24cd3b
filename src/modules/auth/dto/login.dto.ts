import { ApiSchema } from '@nestjs/swagger';

import { PresentedEmail, PresentedPassword } from '../../users';

@ApiSchema({ name: 'Login', description: 'Credentials of an account.' })
export class LoginDto {
  /** Compared as stored: trimmed and lower-cased. */
  @PresentedEmail()
  readonly email!: string;

  /** Not length-checked beyond the maximum: a wrong password is a 401, not a 400. */
  @PresentedPassword({
    description: 'Only the maximum length is checked: a wrong password is a 401, not a 400.',
    example: 'correct horse battery staple',
  })
  readonly password!: string;
}
