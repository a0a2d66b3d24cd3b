import { Body, Controller } from '@nestjs/common';

import {
  ApiTag,
  CurrentUser,
  IdParam,
  Route,
  formatDuration,
  type AuthenticatedUser,
} from '@app/core';

import { AuthConfig } from './auth.config';
import { AuthErrorCode } from './auth.errors';
import { AuthService, type LoginClient } from './auth.service';
import { LoginMfaDto } from './dto/login-mfa.dto';
import { LoginDto } from './dto/login.dto';
import { MfaChallengeResponse } from './dto/mfa-challenge.response';
import { RefreshTokenDto } from './dto/refresh-token.dto';
import { SESSION_LIST_MAX, SessionResponse } from './dto/session.response';
import { TokenPairResponse } from './dto/token-pair.response';
import { Client } from './login-client.decorator';

@ApiTag('Auth', 'Log in (with a second factor where enabled), rotate refresh tokens, sessions.')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Route.Post('login', {
    operationId: 'login',
    noStore: true,
    summary: 'Log in',
    description: ({ config }) => {
      const { max, ttlMs } = config(AuthConfig).loginRateLimit;
      return (
        'Trades an email and password for a token pair. A wrong password and an unknown email ' +
        `get the same 401. Limited to ${max} attempts per ${formatDuration(ttlMs)} per client ` +
        'address and per email, across all instances; the next attempt gets 429 with ' +
        '`Retry-After`. For an account with a second factor the answer is an `MfaChallenge` ' +
        'instead: send its `mfaToken` and a code to `POST /api/v1/auth/login/mfa`.'
      );
    },
    public: true,
    status: 200,
    response: {
      oneOf: [TokenPairResponse, MfaChallengeResponse],
      description: 'Logged in (`TokenPair`), or the password was right and a code is needed.',
    },
    errors: [AuthErrorCode.AUTH_INVALID_CREDENTIALS],
  })
  login(
    @Body() dto: LoginDto,
    @Client() client: LoginClient,
  ): Promise<TokenPairResponse | MfaChallengeResponse> {
    return this.auth.login(dto.email, dto.password, client);
  }

  @Route.Post('login/mfa', {
    operationId: 'loginWithMfa',
    noStore: true,
    summary: 'Log in: the second factor',
    description: ({ config }) => {
      const { max, ttlMs } = config(AuthConfig).loginRateLimit;
      return (
        'Trades the `mfaToken` of `POST /api/v1/auth/login` and a code for a token pair. The ' +
        'code is a 6-digit code of the authenticator app (each is good once) or an unused ' +
        'recovery code (spent by this login). Every attempt counts against the login limit of ' +
        `the address and of the account (${max} per ${formatDuration(ttlMs)}, the password ` +
        'step included). A password change since the first step makes the mfaToken invalid.'
      );
    },
    public: true,
    status: 200,
    response: { type: TokenPairResponse, description: 'Logged in with a second factor.' },
    errors: [AuthErrorCode.AUTH_MFA_TOKEN_INVALID, AuthErrorCode.AUTH_MFA_CODE_INVALID],
  })
  loginWithMfa(
    @Body() dto: LoginMfaDto,
    @Client() client: LoginClient,
  ): Promise<TokenPairResponse> {
    return this.auth.loginWithMfa(dto.mfaToken, dto.code, client);
  }

  @Route.Post('refresh', {
    operationId: 'refreshTokens',
    noStore: true,
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
  refresh(@Body() dto: RefreshTokenDto, @Client() client: LoginClient): Promise<TokenPairResponse> {
    return this.auth.refresh(dto.refreshToken, client);
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

  @Route.Get('sessions', {
    operationId: 'listSessions',
    summary: 'List my sessions',
    description:
      'Every login of the caller that can still be refreshed, newest first, with the client ' +
      'that last used it. `current` marks the login of the calling access token.',
    response: {
      type: SessionResponse,
      maxItems: SESSION_LIST_MAX,
      description: `The caller's sessions, at most the ${String(SESSION_LIST_MAX)} newest.`,
    },
  })
  listSessions(@CurrentUser() user: AuthenticatedUser): Promise<SessionResponse[]> {
    return this.auth.listSessions(user.id, user.sessionId);
  }

  @Route.Delete('sessions/:id', {
    operationId: 'revokeSession',
    summary: 'End one of my sessions',
    description:
      'Revokes every refresh token of that login; its access tokens stay valid until they ' +
      'expire (`JWT_ACCESS_TTL`). Use `POST /api/v1/auth/logout-all` to end access tokens ' +
      "too. Another user's session, or one already ended, is a 404.",
    status: 204,
    response: { description: 'That login can no longer be refreshed.' },
    errors: [AuthErrorCode.AUTH_SESSION_NOT_FOUND],
  })
  revokeSession(
    @IdParam('The session (from `GET /api/v1/auth/sessions`).') id: string,
    @CurrentUser() user: AuthenticatedUser,
  ): Promise<void> {
    return this.auth.revokeSession(user.id, id);
  }

  @Route.Post('logout-all', {
    operationId: 'logoutAll',
    summary: 'Log out everywhere',
    description:
      'Ends every session of the caller: every refresh token is revoked and every access ' +
      "token issued so far (the caller's own included) is refused from now on " +
      '(`AUTH_TOKEN_REVOKED`). Log in again to go on.',
    status: 204,
    response: { description: 'Every session has ended.' },
  })
  logoutAll(@CurrentUser() user: AuthenticatedUser): Promise<void> {
    return this.auth.logoutAll(user.id);
  }
}
