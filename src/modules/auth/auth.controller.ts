import { Body, Controller, Ip } from '@nestjs/common';

import { ApiTag, Route, formatDuration } from '@app/core';

import { AuthConfig } from './auth.config';
import { AuthErrorCode } from './auth.errors';
import { AuthService } from './auth.service';
import { LoginDto } from './dto/login.dto';
import { RefreshTokenDto } from './dto/refresh-token.dto';
import { TokenPairResponse } from './dto/token-pair.response';

@ApiTag('Auth', 'Log in, rotate refresh tokens, log out.')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Route.Post('login', {
    operationId: 'login',
    summary: 'Log in',
    description: ({ config }) => {
      const { max, ttlMs } = config(AuthConfig).loginRateLimit;
      return (
        'Trades an email and password for a token pair. A wrong password and an unknown email ' +
        `get the same 401. Limited to ${max} attempts per ${formatDuration(ttlMs)} per client ` +
        'address and per email, across all instances; the next attempt gets 429 with `Retry-After`.'
      );
    },
    public: true,
    status: 200,
    response: { type: TokenPairResponse, description: 'Logged in.' },
    errors: [AuthErrorCode.AUTH_INVALID_CREDENTIALS],
  })
  login(@Body() dto: LoginDto, @Ip() ip: string): Promise<TokenPairResponse> {
    return this.auth.login(dto.email, dto.password, ip);
  }

  @Route.Post('refresh', {
    operationId: 'refreshTokens',
    summary: 'Rotate a refresh token',
    description:
      'Trades a refresh token for a new pair; the old refresh token is spent. Presenting a ' +
      'spent token again is 401 `AUTH_REFRESH_TOKEN_REUSED` and revokes every refresh token ' +
      'of that login.',
    public: true,
    status: 200,
    response: { type: TokenPairResponse, description: 'A new token pair.' },
    errors: [AuthErrorCode.AUTH_REFRESH_TOKEN_INVALID, AuthErrorCode.AUTH_REFRESH_TOKEN_REUSED],
  })
  refresh(@Body() dto: RefreshTokenDto): Promise<TokenPairResponse> {
    return this.auth.refresh(dto.refreshToken);
  }

  @Route.Post('logout', {
    operationId: 'logout',
    summary: 'Log out',
    description:
      'Ends the login the refresh token belongs to: every refresh token of it is revoked. ' +
      'Idempotent: an unknown or already revoked token is also a 204. Access tokens already ' +
      'issued stay valid until they expire.',
    public: true,
    status: 204,
    response: { description: 'The refresh token can no longer be used.' },
  })
  logout(@Body() dto: RefreshTokenDto): Promise<void> {
    return this.auth.logout(dto.refreshToken);
  }
}
