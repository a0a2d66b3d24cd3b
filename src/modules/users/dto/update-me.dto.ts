import { IsDefined, IsOptional, IsString, MaxLength, ValidateIf } from 'class-validator';

import { IsPassword, IsUserName } from './user-fields';

export class UpdateMeDto {
  @IsOptional()
  @IsUserName()
  readonly name?: string;

  @IsOptional()
  @IsPassword()
  readonly password?: string;

  /** Proof of the old password; required when `password` is present. */
  @ValidateIf((dto: UpdateMeDto) => dto.password !== undefined || dto.currentPassword !== undefined)
  @IsString()
  @MaxLength(128)
  @IsDefined({ message: 'currentPassword is required to change the password' })
  readonly currentPassword?: string;
}
