import { IsIn } from 'class-validator';

import { USER_ROLES, type UserRole } from '../user-role';

export class UpdateRoleDto {
  @IsIn(USER_ROLES, { message: `role must be one of: ${USER_ROLES.join(', ')}` })
  readonly role!: UserRole;
}
