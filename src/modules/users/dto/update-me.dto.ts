import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { IsDefined, IsString, MaxLength, ValidateIf } from 'class-validator';

import { OptionalNotNull, RequireAnyOf } from '@app/core';

import { ApiPassword, ApiUserName, IsPassword, IsUserName } from './user-fields';

@ApiSchema({
  name: 'UpdateMe',
  description:
    "Changes to the caller's own account. Changing the password needs `currentPassword` " +
    'and revokes every refresh token of the account.',
})
@RequireAnyOf<UpdateMeDto>('name', 'password')
export class UpdateMeDto {
  @ApiUserName(false)
  @OptionalNotNull()
  @IsUserName()
  readonly name?: string;

  @ApiPassword(false, 'The new password.')
  @OptionalNotNull()
  @IsPassword()
  readonly password?: string;

  /** Proof of the old password; required when `password` is present. */
  @ApiProperty({
    type: String,
    required: false,
    format: 'password',
    maxLength: 128,
    description:
      'Required with `password` (400 naming `currentPassword` without it); a wrong one is ' +
      '401 `USER_CURRENT_PASSWORD_INVALID`.',
  })
  @ValidateIf((dto: UpdateMeDto) => dto.password !== undefined || dto.currentPassword !== undefined)
  @IsString()
  @MaxLength(128)
  @IsDefined({ message: 'currentPassword is required to change the password' })
  readonly currentPassword?: string;
}
