import { ApiSchema } from '@nestjs/swagger';

import { MailedToken } from './account-token-fields';

@ApiSchema({ name: 'VerifyEmail', description: 'The token of a verification link.' })
export class VerifyEmailDto {
  @MailedToken()
  readonly token!: string;
}
