import { Body, Controller } from '@nestjs/common';

import { ApiTag, CurrentUser, Route, formatDuration, type AuthenticatedUser } from '@app/core';

import { AuthConfig } from '../auth.config';
import { AuthErrorCode } from '../auth.errors';
import { type LoginClient } from '../auth.service';
import { PasswordResetConfirmDto, PasswordResetRequestDto } from '../dto/password-reset.dto';
import { VerifyEmailDto } from '../dto/verify-email.dto';
import { Client } from '../login-client.decorator';
import { AccountRecovery } from './account-recovery';

const limitText = (config: AuthConfig, per: string): string => {
  const { max, ttlMs } = config.loginRateLimit;
  return (
    `Limited like login: ${max} per ${formatDuration(ttlMs)} per client address and ${per}; ` +
    'the next gets 429 with `Retry-After`.'
  );
};

@ApiTag('Accounts', 'Verify an email, reset a forgotten password.')
@Controller()
export class AccountController {
  constructor(private readonly recovery: AccountRecovery) {}

  @Route.Post('auth/verify-email', {
    operationId: 'verifyEmail',
    summary: 'Verify my email',
    description: ({ config }) =>
      'Spends the token of a verification link: `emailVerified` becomes true. A link works ' +
      `once, for ${formatDuration(config(AuthConfig).emailVerification.ttlMs)}.`,
    public: true,
    status: 204,
    response: { description: 'The email is verified.' },
    errors: [AuthErrorCode.AUTH_TOKEN_INVALID],
  })
  verifyEmail(@Body() dto: VerifyEmailDto): Promise<void> {
    return this.recovery.verifyEmail(dto.token);
  }

  @Route.Post('users/me/verification-email', {
    operationId: 'sendVerificationEmail',
    summary: 'Mail me a new verification link',
    description: ({ config }) =>
      'Queues a new verification mail (sent in the background; earlier links keep working ' +
      'until they expire). Nothing is sent when the email is already verified. ' +
      limitText(config(AuthConfig), 'per account'),
    status: 202,
    response: { description: 'The mail is on its way.' },
  })
  sendVerificationEmail(
    @CurrentUser() user: AuthenticatedUser,
    @Client() client: LoginClient,
  ): Promise<void> {
    return this.recovery.resendVerification(user.id, client.ipAddress);
  }

  @Route.Post('auth/password-reset', {
    operationId: 'requestPasswordReset',
    summary: 'Ask for a password reset link',
    description: ({ config }) =>
      'Queues a reset mail to the account with this email, if there is one. The answer is the ' +
      'same, and takes about the same time, whether or not there is. A link works once, for ' +
      `${formatDuration(config(AuthConfig).passwordReset.ttlMs)}. ` +
      limitText(config(AuthConfig), 'per email'),
    public: true,
    status: 202,
    response: { description: 'If the account exists, the mail is on its way.' },
  })
  requestPasswordReset(
    @Body() dto: PasswordResetRequestDto,
    @Client() client: LoginClient,
  ): Promise<void> {
    return this.recovery.requestPasswordReset(dto.email, client.ipAddress);
  }

  @Route.Post('auth/password-reset/confirm', {
    operationId: 'confirmPasswordReset',
    summary: 'Set a new password with a reset link',
    description:
      'Spends the token of a reset link and sets the new password. Every session and every ' +
      'access token of the account ends, every other reset link dies, and the email counts as ' +
      'verified (the link proved the mailbox).',
    public: true,
    status: 204,
    response: { description: 'The password is changed; log in with it.' },
    errors: [AuthErrorCode.AUTH_TOKEN_INVALID],
  })
  confirmPasswordReset(@Body() dto: PasswordResetConfirmDto): Promise<void> {
    return this.recovery.confirmPasswordReset(dto.token, dto.password);
  }
}
