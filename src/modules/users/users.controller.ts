import { Body, Controller, Query } from '@nestjs/common';

import {
  ApiTag,
  CurrentUser,
  IdParam,
  PageQueryDto,
  Route,
  type AuthenticatedUser,
  type Page,
} from '@app/core';

import { RegisterUserDto } from './dto/register-user.dto';
import { UpdateMeDto } from './dto/update-me.dto';
import { UpdateRoleDto } from './dto/update-role.dto';
import { UserResponse } from './dto/user.response';
import { UserRole } from './user-role';
import { UsersErrorCode } from './users.errors';
import { UsersService } from './users.service';

@ApiTag('Users', "Registration, the caller's own account, and user administration.")
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Route.Post({
    operationId: 'registerUser',
    summary: 'Register',
    description: 'Creates a `customer` account. Log in afterwards to get tokens.',
    public: true,
    response: { type: UserResponse, description: 'The new account.' },
    errors: [UsersErrorCode.USER_EMAIL_TAKEN],
  })
  register(@Body() dto: RegisterUserDto): Promise<UserResponse> {
    return this.users.register(dto);
  }

  @Route.Get('me', {
    operationId: 'getMe',
    summary: 'Get my account',
    description: 'The account the access token belongs to.',
    response: { type: UserResponse, description: "The caller's account." },
  })
  me(@CurrentUser() user: AuthenticatedUser): Promise<UserResponse> {
    return this.users.getVisibleTo(user.id, user);
  }

  @Route.Patch('me', {
    operationId: 'updateMe',
    summary: 'Update my account',
    description:
      'Changes the name and/or the password. A new password needs `currentPassword` and ' +
      'revokes every refresh token of the account.',
    response: { type: UserResponse, description: 'The updated account.' },
    errors: [UsersErrorCode.USER_CURRENT_PASSWORD_INVALID],
  })
  updateMe(
    @CurrentUser() user: AuthenticatedUser,
    @Body() dto: UpdateMeDto,
  ): Promise<UserResponse> {
    return this.users.updateMe(user.id, dto);
  }

  @Route.Get({
    operationId: 'listUsers',
    summary: 'List users',
    description: 'Admins only.',
    roles: [UserRole.ADMIN],
    response: {
      page: UserResponse,
      schema: 'UserPage',
      description: 'A page of users, newest first.',
    },
  })
  list(@Query() query: PageQueryDto): Promise<Page<UserResponse>> {
    return this.users.list(query.limit, query.cursor);
  }

  @Route.Get(':id', {
    operationId: 'getUser',
    summary: 'Get a user',
    description: 'Admins see anyone; other users only themselves (404 for anyone else).',
    response: { type: UserResponse, description: 'The user.' },
    errors: [UsersErrorCode.USER_NOT_FOUND],
  })
  get(
    @IdParam('The user.') id: string,
    @CurrentUser() user: AuthenticatedUser,
  ): Promise<UserResponse> {
    return this.users.getVisibleTo(id, user);
  }

  @Route.Patch(':id/role', {
    operationId: 'changeUserRole',
    summary: "Change a user's role",
    description: 'Admins only. The last admin cannot be demoted (409 `USER_LAST_ADMIN`).',
    roles: [UserRole.ADMIN],
    response: { type: UserResponse, description: 'The user with the new role.' },
    errors: [UsersErrorCode.USER_NOT_FOUND, UsersErrorCode.USER_LAST_ADMIN],
  })
  changeRole(@IdParam('The user.') id: string, @Body() dto: UpdateRoleDto): Promise<UserResponse> {
    return this.users.changeRole(id, dto.role);
  }
}
