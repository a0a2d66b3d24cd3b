import { ApiSchema } from '@nestjs/swagger';
import { IsDefined, ValidateIf } from 'class-validator';

import { RequireAnyOf } from '@app/core';

import { Password, PresentedPassword, UserName } from './user-fields';

@ApiSchema({
  name: 'UpdateMe',
  description:
    "Changes to the caller's own account. Changing the password needs `currentPassword` " +
    'and revokes every refresh token of the account.',
})
@RequireAnyOf<UpdateMeDto>('name', 'password')
export class UpdateMeDto {
  @UserName({ optional: true })
  readonly name?: string;

  @Password({ optional: true, description: 'The new password.' })
  readonly password?: string;

  /** Proof of the old password; required when `password` is present. */
  @PresentedPassword(
    {
      required: false,
      description:
        'Required with `password` (400 naming `currentPassword` without it); a wrong one is ' +
        '401 `USER_CURRENT_PASSWORD_INVALID`.',
    },
    IsDefined({ message: 'currentPassword is required to change the password' }),
    ValidateIf(
      (dto: UpdateMeDto) => dto.password !== undefined || dto.currentPassword !== undefined,
    ),
  )
  readonly currentPassword?: string;
}
