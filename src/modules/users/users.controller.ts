import { Body, Controller, Get, HttpCode, HttpStatus, Patch, Post, Query } from '@nestjs/common';

import {
  CurrentUser,
  IdParam,
  PageQueryDto,
  Public,
  Roles,
  type AuthenticatedUser,
  type Page,
} from '@app/core';

import { RegisterUserDto } from './dto/register-user.dto';
import { UpdateMeDto } from './dto/update-me.dto';
import { UpdateRoleDto } from './dto/update-role.dto';
import type { UserResponse } from './dto/user.response';
import { UserRole } from './user-role';
import { UsersService } from './users.service';

@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Public()
  @Post()
  @HttpCode(HttpStatus.CREATED)
  register(@Body() dto: RegisterUserDto): Promise<UserResponse> {
    return this.users.register(dto);
  }

  @Get('me')
  me(@CurrentUser() user: AuthenticatedUser): Promise<UserResponse> {
    return this.users.getVisibleTo(user.id, user);
  }

  @Patch('me')
  updateMe(
    @CurrentUser() user: AuthenticatedUser,
    @Body() dto: UpdateMeDto,
  ): Promise<UserResponse> {
    return this.users.updateMe(user.id, dto);
  }

  @Roles(UserRole.ADMIN)
  @Get()
  list(@Query() query: PageQueryDto): Promise<Page<UserResponse>> {
    return this.users.list(query.limit, query.cursor);
  }

  @Get(':id')
  get(@IdParam() id: string, @CurrentUser() user: AuthenticatedUser): Promise<UserResponse> {
    return this.users.getVisibleTo(id, user);
  }

  @Roles(UserRole.ADMIN)
  @Patch(':id/role')
  changeRole(@IdParam() id: string, @Body() dto: UpdateRoleDto): Promise<UserResponse> {
    return this.users.changeRole(id, dto.role);
  }
}
