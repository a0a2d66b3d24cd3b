import { ApiSchema } from '@nestjs/swagger';

import {
  ApiPassword,
  ApiUserEmail,
  ApiUserName,
  IsPassword,
  IsUserEmail,
  IsUserName,
} from './user-fields';

@ApiSchema({ name: 'RegisterUser', description: 'A new customer account.' })
export class RegisterUserDto {
  @ApiUserEmail('Trimmed and compared case-insensitively; unique (409 `USER_EMAIL_TAKEN`).')
  @IsUserEmail()
  readonly email!: string;

  @ApiUserName()
  @IsUserName()
  readonly name!: string;

  @ApiPassword()
  @IsPassword()
  readonly password!: string;
}
