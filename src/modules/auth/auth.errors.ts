import {
  ForbiddenError,
  NotFoundError,
  UnauthorizedError,
  ValidationError,
  defineErrorCodes,
} from '@app/core';

/**
 * The module's codes and their statuses. The four token codes are this module's answers, as
 * core's `Authenticator`, to a refused bearer token: every route that needs one documents them.
 */
export const AuthErrorCode = defineErrorCodes({
  AUTH_INVALID_CREDENTIALS: { status: 401 },
  AUTH_TOKEN_MISSING: { status: 401, authentication: true },
  AUTH_ACCESS_TOKEN_INVALID: { status: 401, authentication: true },
  AUTH_TOKEN_EXPIRED: { status: 401, authentication: true },
  AUTH_TOKEN_REVOKED: { status: 401, authentication: true },
  AUTH_REFRESH_TOKEN_INVALID: { status: 401 },
  AUTH_REFRESH_TOKEN_REUSED: { status: 401 },
  AUTH_TOKEN_INVALID: { status: 400 },
  AUTH_MFA_TOKEN_INVALID: { status: 401 },
  AUTH_MFA_CODE_INVALID: { status: 401 },
  AUTH_SESSION_NOT_FOUND: { status: 404 },
  MFA_REQUIRED: { status: 403, restricted: true },
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
  readonly code = AuthErrorCode.AUTH_ACCESS_TOKEN_INVALID;
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

/** A mailed token that is unknown, used or expired: which of the three is not told. */
export class AccountTokenInvalidError extends ValidationError {
  readonly code = AuthErrorCode.AUTH_TOKEN_INVALID;
  constructor() {
    super('The link is invalid or has expired; ask for a new one');
  }
}

export class MfaTokenInvalidError extends UnauthorizedError {
  readonly code = AuthErrorCode.AUTH_MFA_TOKEN_INVALID;
  constructor() {
    super('mfaToken is invalid or has expired; log in again');
  }
}

/** A wrong, reused or spent second-factor code: it counts against the login limit. */
export class MfaCodeInvalidError extends UnauthorizedError {
  readonly code = AuthErrorCode.AUTH_MFA_CODE_INVALID;
  constructor() {
    super('The code is wrong, was already used, or has expired');
  }
}

export class SessionNotFoundError extends NotFoundError {
  readonly code = AuthErrorCode.AUTH_SESSION_NOT_FOUND;
  constructor(id: string) {
    super(`Session ${id} not found`);
  }
}

/** `REQUIRE_ADMIN_MFA`: admin routes need a login made with a second factor. */
export class MfaRequiredError extends ForbiddenError {
  readonly code = AuthErrorCode.MFA_REQUIRED;
  constructor() {
    super(
      'Admin routes need a login with a second factor: enable MFA (POST /api/v1/auth/mfa/setup, ' +
        'then /enable) and log in again with a code',
    );
  }
}
