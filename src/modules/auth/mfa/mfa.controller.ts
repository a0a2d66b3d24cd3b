import { Body, Controller } from '@nestjs/common';

import { ApiTag, CurrentUser, Route, type AuthenticatedUser } from '@app/core';

import { UsersErrorCode } from '../../users';
import type { LoginClient } from '../auth.service';
import { Client } from '../login-client.decorator';
import { DisableMfaDto } from './dto/disable-mfa.dto';
import { EnableMfaDto } from './dto/enable-mfa.dto';
import { MfaRecoveryCodesResponse } from './dto/mfa-recovery-codes.response';
import { MfaSetupResponse } from './dto/mfa-setup.response';
import { MfaErrorCode } from './mfa.errors';
import { MfaService } from './mfa.service';

@ApiTag(
  'MFA',
  "The caller's TOTP second factor (RFC 6238): set it up, enable it with a first code, disable it.",
)
@Controller('auth/mfa')
export class MfaController {
  constructor(private readonly mfa: MfaService) {}

  @Route.Post('setup', {
    operationId: 'setUpMfa',
    noStore: true,
    summary: 'Set up a second factor',
    description:
      'Returns a new TOTP secret (SHA-1, 6 digits, 30 s) and its `otpauth://` URL for the ' +
      'authenticator app, labelled with the account email. Nothing changes at login until ' +
      '`POST /api/v1/auth/mfa/enable` gets a code of it; setting up again replaces a secret ' +
      'that was never enabled. With a second factor enabled it is a 409 `MFA_ALREADY_ENABLED`.',
    status: 200,
    response: { type: MfaSetupResponse, description: 'The secret, shown only here.' },
    errors: [MfaErrorCode.MFA_ALREADY_ENABLED],
  })
  setup(@CurrentUser() user: AuthenticatedUser): Promise<MfaSetupResponse> {
    return this.mfa.setupFor(user);
  }

  @Route.Post('enable', {
    operationId: 'enableMfa',
    noStore: true,
    summary: 'Enable the second factor',
    description:
      'Turns the set-up secret on with a code the authenticator shows now (one 30-second step ' +
      'either side is accepted). From then on, logging in takes a code too ' +
      '(`POST /api/v1/auth/login/mfa`). Returns ten single-use recovery codes, shown only here. ' +
      'A wrong code is 400 `MFA_CODE_INVALID`; without a setup, 409 `MFA_NOT_SET_UP`. Every ' +
      'attempt, right or wrong, counts against the login limit (per client address and per ' +
      'email): over it, 429 with `Retry-After`.',
    status: 200,
    response: { type: MfaRecoveryCodesResponse, description: 'Enabled; the recovery codes.' },
    errors: [
      MfaErrorCode.MFA_CODE_INVALID,
      MfaErrorCode.MFA_NOT_SET_UP,
      MfaErrorCode.MFA_ALREADY_ENABLED,
    ],
  })
  enable(
    @CurrentUser() user: AuthenticatedUser,
    @Body() dto: EnableMfaDto,
    @Client() client: LoginClient,
  ): Promise<MfaRecoveryCodesResponse> {
    return this.mfa.enableFor(user, dto.code, client.ipAddress);
  }

  @Route.Post('disable', {
    operationId: 'disableMfa',
    summary: 'Disable the second factor',
    description:
      'Needs both factors: the password (401 `USER_CURRENT_PASSWORD_INVALID`) and a code, a ' +
      'TOTP code or an unused recovery code, which is spent (a code already used to log in ' +
      'is refused: wait for the next one). A wrong code is 400 `MFA_CODE_INVALID`. The secret ' +
      "and every recovery code are deleted, and every session ends, the caller's included " +
      '(their logins passed a factor that is gone): log in again, with the password only. ' +
      'Every attempt, right or wrong, counts against the login limit (per client address and ' +
      'per email) before either is checked: over it, 429 with `Retry-After`.',
    status: 204,
    response: { description: 'Disabled.' },
    errors: [
      MfaErrorCode.MFA_CODE_INVALID,
      MfaErrorCode.MFA_NOT_ENABLED,
      UsersErrorCode.USER_CURRENT_PASSWORD_INVALID,
    ],
  })
  disable(
    @CurrentUser() user: AuthenticatedUser,
    @Body() dto: DisableMfaDto,
    @Client() client: LoginClient,
  ): Promise<void> {
    return this.mfa.disableFor(user, dto.code, dto.currentPassword, client.ipAddress);
  }
}
