import { ApiSchema } from '@nestjs/swagger';

import { Password, UserEmail, UserName } from './user-fields';

@ApiSchema({ name: 'RegisterUser', description: 'A new customer account.' })
export class RegisterUserDto {
  @UserEmail('Trimmed and compared case-insensitively; unique (409 `USER_EMAIL_TAKEN`).')
  readonly email!: string;

  @UserName()
  readonly name!: string;

  @Password()
  readonly password!: string;
}
