import { createSecretKey, randomBytes } from 'node:crypto';

import { Logger, Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { TypeOrmModule } from '@nestjs/typeorm';

import { Authenticator } from '@app/core';

import { UsersModule } from '../users';
import { AccountTokenEntity } from './account-token.entity';
import { AccountTokensRepository } from './account-tokens.repository';
import { AuthConfig } from './auth.config';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { JwtAuthenticator } from './jwt.authenticator';
import { LoginThrottle } from './login-throttle';
import { MfaRecoveryCodeEntity } from './mfa/mfa-recovery-code.entity';
import { MfaController } from './mfa/mfa.controller';
import { UserMfaEntity } from './mfa/mfa.entity';
import { MfaRepository } from './mfa/mfa.repository';
import { MfaService } from './mfa/mfa.service';
import { RefreshTokenEntity } from './refresh-token.entity';
import { RefreshTokensRepository } from './refresh-tokens.repository';
import { AccountMail } from './recovery/account-mail';
import { AccountRecovery } from './recovery/account-recovery';
import { AccountController } from './recovery/account.controller';
import { TokenService } from './token.service';

function jwtSecret(config: AuthConfig): string {
  if (config.jwtSecret !== null) {
    return config.jwtSecret;
  }
  // Only reachable outside production (the config refuses production without a secret).
  new Logger('AuthModule').warn({
    msg: 'JWT_SECRET not set: using a random key; tokens die with this process and are not shared',
  });
  return randomBytes(48).toString('base64url');
}

/**
 * Login (with an optional TOTP second factor), refresh-token rotation, sessions, logout;
 * verification and password-reset mails; binds the JWT authenticator to the core access guard.
 */
@Module({
  imports: [
    UsersModule,
    TypeOrmModule.forFeature([
      RefreshTokenEntity,
      AccountTokenEntity,
      UserMfaEntity,
      MfaRecoveryCodeEntity,
    ]),
    JwtModule.registerAsync({
      inject: [AuthConfig],
      useFactory: (config: AuthConfig) => ({
        // A KeyObject, not a string: jsonwebtoken otherwise tries (and fails) to parse the
        // string as a PEM key on every sign and verify, ~1 ms per request (docs/PERFORMANCE.md).
        secret: createSecretKey(Buffer.from(jwtSecret(config), 'utf8')),
        signOptions: { algorithm: 'HS256' },
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
  ],
  controllers: [AuthController, AccountController, MfaController],
  providers: [
    AuthService,
    AccountRecovery,
    AccountMail,
    AccountTokensRepository,
    MfaService,
    MfaRepository,
    TokenService,
    RefreshTokensRepository,
    LoginThrottle,
    { provide: Authenticator, useClass: JwtAuthenticator },
  ],
})
export class AuthModule {}
