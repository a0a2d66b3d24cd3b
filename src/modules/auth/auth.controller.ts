import { Body, Controller, HttpCode, HttpStatus, Ip, Post } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

import { ApiBearerFailureCodes, ApiProblems, Public } from '@app/core';

import { AuthErrorCode } from './auth.errors';
import { AuthService } from './auth.service';
import { LoginDto } from './dto/login.dto';
import { RefreshTokenDto } from './dto/refresh-token.dto';
import { TokenPairResponse } from './dto/token-pair.response';

@ApiTags('Auth')
// This module implements core's Authenticator port: these are its answers to a bad token.
@ApiBearerFailureCodes(
  AuthErrorCode.AUTH_TOKEN_MISSING,
  AuthErrorCode.AUTH_TOKEN_INVALID,
  AuthErrorCode.AUTH_TOKEN_EXPIRED,
  AuthErrorCode.AUTH_TOKEN_REVOKED,
)
@Public()
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @ApiOperation({
    operationId: 'login',
    summary: 'Log in',
    description:
      'Trades an email and password for a token pair. A wrong password and an unknown email ' +
      'get the same 401. Limited to 5 attempts per 15 minutes per client address and per ' +
      'email, across all instances; the next attempt gets 429 with `Retry-After`.',
  })
  @ApiOkResponse({ type: TokenPairResponse, description: 'Logged in.' })
  @ApiProblems({ 401: [AuthErrorCode.AUTH_INVALID_CREDENTIALS] })
  @Post('login')
  @HttpCode(HttpStatus.OK)
  login(@Body() dto: LoginDto, @Ip() ip: string): Promise<TokenPairResponse> {
    return this.auth.login(dto.email, dto.password, ip);
  }

  @ApiOperation({
    operationId: 'refreshTokens',
    summary: 'Rotate a refresh token',
    description:
      'Trades a refresh token for a new pair; the old refresh token is spent. Presenting a ' +
      'spent token again is 401 `AUTH_REFRESH_TOKEN_REUSED` and revokes every refresh token ' +
      'of that login.',
  })
  @ApiOkResponse({ type: TokenPairResponse, description: 'A new token pair.' })
  @ApiProblems({
    401: [AuthErrorCode.AUTH_REFRESH_TOKEN_INVALID, AuthErrorCode.AUTH_REFRESH_TOKEN_REUSED],
  })
  @Post('refresh')
  @HttpCode(HttpStatus.OK)
  refresh(@Body() dto: RefreshTokenDto): Promise<TokenPairResponse> {
    return this.auth.refresh(dto.refreshToken);
  }

  @ApiOperation({
    operationId: 'logout',
    summary: 'Log out',
    description:
      'Ends the login the refresh token belongs to: every refresh token of it is revoked. ' +
      'Idempotent: an unknown or already revoked token is also a 204. Access tokens already ' +
      'issued stay valid until they expire.',
  })
  @ApiNoContentResponse({ description: 'The refresh token can no longer be used.' })
  @ApiProblems()
  @Post('logout')
  @HttpCode(HttpStatus.NO_CONTENT)
  logout(@Body() dto: RefreshTokenDto): Promise<void> {
    return this.auth.logout(dto.refreshToken);
  }
}
