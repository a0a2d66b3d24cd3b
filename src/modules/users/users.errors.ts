import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  UnauthorizedError,
  defineErrorCodes,
} from '@app/core';

export const UsersErrorCode = defineErrorCodes({
  USER_NOT_FOUND: { status: 404 },
  USER_EMAIL_TAKEN: { status: 409 },
  USER_CURRENT_PASSWORD_INVALID: { status: 401 },
  USER_LAST_ADMIN: { status: 409 },
  EMAIL_NOT_VERIFIED: { status: 403 },
});

/** What needs a verified email (`REQUIRE_VERIFIED_EMAIL`), refused before it is. */
export class EmailNotVerifiedError extends ForbiddenError {
  readonly code = UsersErrorCode.EMAIL_NOT_VERIFIED;
  constructor() {
    super('Verify your email first: follow the link in the verification mail');
  }
}

export class UserNotFoundError extends NotFoundError {
  readonly code = UsersErrorCode.USER_NOT_FOUND;
  constructor(id: string) {
    super(`User ${id} not found`);
  }
}

export class EmailTakenError extends ConflictError {
  readonly code = UsersErrorCode.USER_EMAIL_TAKEN;
  constructor() {
    super('An account with this email already exists');
  }
}

export class CurrentPasswordInvalidError extends UnauthorizedError {
  readonly code = UsersErrorCode.USER_CURRENT_PASSWORD_INVALID;
  constructor() {
    super('currentPassword is not the current password');
  }
}

export class LastAdminError extends ConflictError {
  readonly code = UsersErrorCode.USER_LAST_ADMIN;
  constructor() {
    super('The last admin cannot be demoted');
  }
}
