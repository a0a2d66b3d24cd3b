import { UnauthorizedError, defineErrorCodes } from '@app/core';

/**
 * The module's codes and their statuses. The four token codes are this module's answers, as
 * core's `Authenticator`, to a refused bearer token: every route that needs one documents them.
 */
export const AuthErrorCode = defineErrorCodes({
  AUTH_INVALID_CREDENTIALS: { status: 401 },
  AUTH_TOKEN_MISSING: { status: 401, authentication: true },
  AUTH_TOKEN_INVALID: { status: 401, authentication: true },
  AUTH_TOKEN_EXPIRED: { status: 401, authentication: true },
  AUTH_TOKEN_REVOKED: { status: 401, authentication: true },
  AUTH_REFRESH_TOKEN_INVALID: { status: 401 },
  AUTH_REFRESH_TOKEN_REUSED: { status: 401 },
});

/** Same body for unknown email and wrong password. */
export class InvalidCredentialsError extends UnauthorizedError {
  readonly code = AuthErrorCode.AUTH_INVALID_CREDENTIALS;
  constructor() {
    super('Invalid email or password');
  }
}

export class TokenMissingError extends UnauthorizedError {
  readonly code = AuthErrorCode.AUTH_TOKEN_MISSING;
  constructor() {
    super('Authentication required: send Authorization: Bearer <access token>');
  }
}

export class TokenInvalidError extends UnauthorizedError {
  readonly code = AuthErrorCode.AUTH_TOKEN_INVALID;
  constructor(options?: { cause?: unknown }) {
    super('Access token is invalid', options);
  }
  override get headers(): Readonly<Record<string, string>> {
    return { 'WWW-Authenticate': 'Bearer realm="api", error="invalid_token"' };
  }
}

export class TokenExpiredError extends UnauthorizedError {
  readonly code = AuthErrorCode.AUTH_TOKEN_EXPIRED;
  constructor() {
    super('Access token has expired');
  }
  override get headers(): Readonly<Record<string, string>> {
    return {
      'WWW-Authenticate': 'Bearer realm="api", error="invalid_token", error_description="expired"',
    };
  }
}

export class TokenRevokedError extends UnauthorizedError {
  readonly code = AuthErrorCode.AUTH_TOKEN_REVOKED;
  constructor() {
    super('Access token has been revoked; log in again');
  }
}

export class RefreshTokenInvalidError extends UnauthorizedError {
  readonly code = AuthErrorCode.AUTH_REFRESH_TOKEN_INVALID;
  constructor() {
    super('Refresh token is invalid, expired or revoked');
  }
}

export class RefreshTokenReusedError extends UnauthorizedError {
  readonly code = AuthErrorCode.AUTH_REFRESH_TOKEN_REUSED;
  constructor() {
    super('Refresh token was already used; every session of this login is revoked');
  }
}
