import { randomUUID } from 'node:crypto';

import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';

import { Housekeeping } from '@app/core';

import { UsersService, type UserPrincipal } from '../users';
import {
  InvalidCredentialsError,
  RefreshTokenInvalidError,
  RefreshTokenReusedError,
} from './auth.errors';
import type { TokenPairResponse } from './dto/token-pair.response';
import { LoginThrottle } from './login-throttle';
import { RefreshTokensRepository } from './refresh-tokens.repository';
import { TokenService } from './token.service';

const PURGE_GRACE_MS = 24 * 60 * 60 * 1000;

@Injectable()
export class AuthService implements OnModuleInit {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    private readonly users: UsersService,
    private readonly tokens: TokenService,
    private readonly refreshTokens: RefreshTokensRepository,
    private readonly loginThrottle: LoginThrottle,
    private readonly housekeeping: Housekeeping,
  ) {}

  onModuleInit(): void {
    this.users.onPasswordChanged((tx, userId) => this.refreshTokens.revokeAllOfUser(tx, userId));
    this.housekeeping.register({
      name: 'refresh-tokens.purge',
      run: () => this.refreshTokens.purgeExpired(new Date(Date.now() - PURGE_GRACE_MS)),
    });
  }

  async login(email: string, password: string, clientAddress: string): Promise<TokenPairResponse> {
    await this.loginThrottle.consume(clientAddress, email);
    const principal = await this.users.verifyCredentials(email, password);
    if (principal === null) {
      throw new InvalidCredentialsError();
    }
    return this.issue(principal, randomUUID());
  }

  async refresh(refreshToken: string): Promise<TokenPairResponse> {
    const hash = this.tokens.hashRefreshToken(refreshToken);
    const ownerId = await this.refreshTokens.findOwner(hash);
    const principal =
      ownerId === null ? null : await this.users.findPrincipal(ownerId, { fresh: true });
    if (principal === null) {
      throw new RefreshTokenInvalidError();
    }
    const next = this.tokens.newRefreshToken();
    const outcome = await this.refreshTokens.rotate(
      hash,
      { tokenHash: next.hash, expiresAt: next.expiresAt },
      principal.tokenVersion,
    );
    switch (outcome.kind) {
      case 'reused':
        this.logger.warn({ msg: 'Refresh token reuse: family revoked', userId: principal.id });
        throw new RefreshTokenReusedError();
      case 'invalid':
        throw new RefreshTokenInvalidError();
      case 'rotated':
        return this.pair(principal, next.token);
    }
  }

  /** Ends the login the token belongs to; unknown tokens are ignored (logout is idempotent). */
  async logout(refreshToken: string): Promise<void> {
    await this.refreshTokens.revokeFamilyOf(this.tokens.hashRefreshToken(refreshToken));
  }

  private async issue(principal: UserPrincipal, familyId: string): Promise<TokenPairResponse> {
    const refresh = this.tokens.newRefreshToken();
    await this.refreshTokens.insert({
      tokenHash: refresh.hash,
      userId: principal.id,
      familyId,
      tokenVersion: principal.tokenVersion,
      expiresAt: refresh.expiresAt,
    });
    return this.pair(principal, refresh.token);
  }

  private async pair(principal: UserPrincipal, refreshToken: string): Promise<TokenPairResponse> {
    return {
      accessToken: await this.tokens.signAccessToken(principal),
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: this.tokens.accessTokenTtlSeconds,
    };
  }
}
