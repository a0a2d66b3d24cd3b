import { Body, Controller, Get, HttpCode, HttpStatus, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

import {
  ApiAuthenticated,
  ApiIdParam,
  ApiPageOkResponse,
  ApiProblems,
  CurrentUser,
  IdParam,
  PARAMETER_PROBLEMS,
  PageQueryDto,
  Public,
  ROLE_PROBLEMS,
  Roles,
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

@ApiTags('Users')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @ApiOperation({
    operationId: 'registerUser',
    summary: 'Register',
    description: 'Creates a `customer` account. Log in afterwards to get tokens.',
  })
  @ApiCreatedResponse({ type: UserResponse, description: 'The new account.' })
  @ApiProblems({ 409: [UsersErrorCode.USER_EMAIL_TAKEN] })
  @Public()
  @Post()
  @HttpCode(HttpStatus.CREATED)
  register(@Body() dto: RegisterUserDto): Promise<UserResponse> {
    return this.users.register(dto);
  }

  @ApiOperation({
    operationId: 'getMe',
    summary: 'Get my account',
    description: 'The account the access token belongs to.',
  })
  @ApiOkResponse({ type: UserResponse, description: "The caller's account." })
  @ApiProblems()
  @ApiAuthenticated()
  @Get('me')
  me(@CurrentUser() user: AuthenticatedUser): Promise<UserResponse> {
    return this.users.getVisibleTo(user.id, user);
  }

  @ApiOperation({
    operationId: 'updateMe',
    summary: 'Update my account',
    description:
      'Changes the name and/or the password. A new password needs `currentPassword` and ' +
      'revokes every refresh token of the account.',
  })
  @ApiOkResponse({ type: UserResponse, description: 'The updated account.' })
  @ApiProblems({
    401: [UsersErrorCode.USER_CURRENT_PASSWORD_INVALID],
  })
  @ApiAuthenticated()
  @Patch('me')
  updateMe(
    @CurrentUser() user: AuthenticatedUser,
    @Body() dto: UpdateMeDto,
  ): Promise<UserResponse> {
    return this.users.updateMe(user.id, dto);
  }

  @ApiOperation({ operationId: 'listUsers', summary: 'List users', description: 'Admins only.' })
  @ApiPageOkResponse(UserResponse, 'UserPage', 'A page of users, newest first.')
  @ApiProblems(PARAMETER_PROBLEMS, ROLE_PROBLEMS)
  @ApiAuthenticated()
  @Roles(UserRole.ADMIN)
  @Get()
  list(@Query() query: PageQueryDto): Promise<Page<UserResponse>> {
    return this.users.list(query.limit, query.cursor);
  }

  @ApiOperation({
    operationId: 'getUser',
    summary: 'Get a user',
    description: 'Admins see anyone; other users only themselves (404 for anyone else).',
  })
  @ApiIdParam('The user.')
  @ApiOkResponse({ type: UserResponse, description: 'The user.' })
  @ApiProblems(PARAMETER_PROBLEMS, { 404: [UsersErrorCode.USER_NOT_FOUND] })
  @ApiAuthenticated()
  @Get(':id')
  get(@IdParam() id: string, @CurrentUser() user: AuthenticatedUser): Promise<UserResponse> {
    return this.users.getVisibleTo(id, user);
  }

  @ApiOperation({
    operationId: 'changeUserRole',
    summary: "Change a user's role",
    description: 'Admins only. The last admin cannot be demoted (409 `USER_LAST_ADMIN`).',
  })
  @ApiIdParam('The user.')
  @ApiOkResponse({ type: UserResponse, description: 'The user with the new role.' })
  @ApiProblems(ROLE_PROBLEMS, {
    404: [UsersErrorCode.USER_NOT_FOUND],
    409: [UsersErrorCode.USER_LAST_ADMIN],
  })
  @ApiAuthenticated()
  @Roles(UserRole.ADMIN)
  @Patch(':id/role')
  changeRole(@IdParam() id: string, @Body() dto: UpdateRoleDto): Promise<UserResponse> {
    return this.users.changeRole(id, dto.role);
  }
}
