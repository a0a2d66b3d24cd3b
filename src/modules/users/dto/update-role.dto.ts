import { ApiSchema } from '@nestjs/swagger';
import { IsIn } from 'class-validator';

import { Field } from '@app/core';

import { USER_ROLES, type UserRole } from '../user-role';

@ApiSchema({ name: 'UpdateRole', description: 'The role to give the user.' })
export class UpdateRoleDto {
  @Field(
    {
      enum: USER_ROLES,
      enumName: 'UserRole',
      enumSchema: { description: 'What an account may do: `customer` or `admin`.' },
      example: 'admin',
    },
    IsIn(USER_ROLES, { message: `role must be one of: ${USER_ROLES.join(', ')}` }),
  )
  readonly role!: UserRole;
}
