import { ConflictError, NotFoundError, UnauthorizedError } from '@app/core';

export const UsersErrorCode = {
  USER_NOT_FOUND: 'USER_NOT_FOUND',
  USER_EMAIL_TAKEN: 'USER_EMAIL_TAKEN',
  USER_CURRENT_PASSWORD_INVALID: 'USER_CURRENT_PASSWORD_INVALID',
  USER_LAST_ADMIN: 'USER_LAST_ADMIN',
} as const;

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
