import { ConflictError, ValidationError, defineErrorCodes } from '@app/core';

/**
 * The second factor's settings codes. A wrong code while turning MFA on or off is a 400, not
 * a 401: the caller's access token is fine, and clients that answer any 401 by logging in
 * again must not do so here. The login step's wrong code is the auth module's own 401.
 */
export const MfaErrorCode = defineErrorCodes({
  MFA_ALREADY_ENABLED: { status: 409 },
  MFA_NOT_SET_UP: { status: 409 },
  MFA_NOT_ENABLED: { status: 409 },
  MFA_CODE_INVALID: { status: 400 },
});

export class MfaAlreadyEnabledError extends ConflictError {
  readonly code = MfaErrorCode.MFA_ALREADY_ENABLED;
  constructor() {
    super('A second factor is already enabled; disable it first to set up another');
  }
}

export class MfaNotSetUpError extends ConflictError {
  readonly code = MfaErrorCode.MFA_NOT_SET_UP;
  constructor() {
    super('No second factor is set up: POST /api/v1/auth/mfa/setup first');
  }
}

export class MfaNotEnabledError extends ConflictError {
  readonly code = MfaErrorCode.MFA_NOT_ENABLED;
  constructor() {
    super('No second factor is enabled');
  }
}

/** Enabling or disabling with a code that is wrong, expired, already used or not one at all. */
export class MfaSettingsCodeInvalidError extends ValidationError {
  readonly code = MfaErrorCode.MFA_CODE_INVALID;
  constructor() {
    super('The code is wrong, expired or already used');
  }
}
