import { IsPassword, IsUserEmail, IsUserName } from './user-fields';

export class RegisterUserDto {
  @IsUserEmail()
  readonly email!: string;

  @IsUserName()
  readonly name!: string;

  @IsPassword()
  readonly password!: string;
}
