import { randomUUID } from 'node:crypto';

import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';

import { Housekeeping } from '@app/core';

import { UsersService, type UserPrincipal } from '../users';
import {
  InvalidCredentialsError,
  MfaCodeInvalidError,
  MfaTokenInvalidError,
  RefreshTokenInvalidError,
  RefreshTokenReusedError,
  SessionNotFoundError,
} from './auth.errors';
import type { MfaChallengeResponse } from './dto/mfa-challenge.response';
import { SESSION_LIST_MAX, type SessionResponse } from './dto/session.response';
import type { TokenPairResponse } from './dto/token-pair.response';
import { LoginThrottle } from './login-throttle';
import { MfaConfig } from './mfa/mfa.config';
import { MfaService } from './mfa/mfa.service';
import { RefreshTokensRepository, type ClientInfo } from './refresh-tokens.repository';
import { TokenService, type AccessSession } from './token.service';

/** The caller of a login or refresh: where it came from, for the session list and limits. */
export interface LoginClient extends ClientInfo {
  /** The address the limits count by (`req.ip`: behind `TRUST_PROXY`, the forwarded one). */
  readonly ipAddress: string;
}

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
    private readonly mfa: MfaService,
    private readonly mfaConfig: MfaConfig,
  ) {}

  onModuleInit(): void {
    this.users.onPasswordChanged((tx, userId) => this.refreshTokens.revokeAllOfUser(tx, userId));
    this.housekeeping.register({
      name: 'refresh-tokens.purge',
      run: () => this.refreshTokens.purgeExpired(new Date(Date.now() - PURGE_GRACE_MS)),
    });
  }

  /**
   * The first (or only) step: a token pair, or, for an account with a second factor, the
   * mfaToken that `loginWithMfa()` trades with a code for the pair.
   */
  async login(
    email: string,
    password: string,
    client: LoginClient,
  ): Promise<TokenPairResponse | MfaChallengeResponse> {
    await this.loginThrottle.consume(client.ipAddress, email);
    const principal = await this.users.verifyCredentials(email, password);
    if (principal === null) {
      throw new InvalidCredentialsError();
    }
    if (await this.mfa.isEnabled(principal.id)) {
      return {
        mfaRequired: true,
        mfaToken: await this.tokens.signMfaToken(principal, this.mfaConfig.tokenTtlSeconds),
        expiresIn: this.mfaConfig.tokenTtlSeconds,
      };
    }
    return this.issue(principal, client, { secondFactor: false });
  }

  /**
   * The second step. Every attempt counts against the login limit of the address and of the
   * account's email, so codes cannot be guessed faster than passwords. A code is good once.
   */
  async loginWithMfa(
    mfaToken: string,
    code: string,
    client: LoginClient,
  ): Promise<TokenPairResponse> {
    const claims = await this.tokens.verifyMfaToken(mfaToken);
    const account = claims === null ? null : await this.users.findContact(claims.sub);
    if (claims === null || account === null) {
      throw new MfaTokenInvalidError();
    }
    await this.loginThrottle.consume(client.ipAddress, account.email);
    const principal = await this.users.findPrincipal(account.id, { fresh: true });
    if (principal === null || principal.tokenVersion !== claims.ver) {
      // The password changed (or every session was ended) since the first step.
      throw new MfaTokenInvalidError();
    }
    const factor = await this.mfa.verify(principal.id, code);
    if (factor === null) {
      throw new MfaCodeInvalidError();
    }
    if (factor === 'recovery') {
      this.logger.warn({ msg: 'Login with a recovery code', userId: principal.id });
    }
    return this.issue(principal, client, { secondFactor: true });
  }

  async refresh(refreshToken: string, client: ClientInfo): Promise<TokenPairResponse> {
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
      { tokenHash: next.hash, expiresAt: next.expiresAt, client },
      principal.tokenVersion,
    );
    switch (outcome.kind) {
      case 'reused':
        this.logger.warn({ msg: 'Refresh token reuse: family revoked', userId: principal.id });
        throw new RefreshTokenReusedError();
      case 'invalid':
        throw new RefreshTokenInvalidError();
      case 'rotated':
        return this.pair(principal, next.token, {
          sessionId: outcome.session.sessionId,
          mfa: outcome.session.secondFactor,
        });
    }
  }

  /** Ends the login the token belongs to; unknown tokens are ignored (logout is idempotent). */
  async logout(refreshToken: string): Promise<void> {
    await this.refreshTokens.revokeFamilyOf(this.tokens.hashRefreshToken(refreshToken));
  }

  /** The caller's logins that can still be refreshed, newest first. */
  async listSessions(
    userId: string,
    currentSessionId: string | undefined,
  ): Promise<SessionResponse[]> {
    const principal = await this.users.findPrincipal(userId, { fresh: true });
    if (principal === null) {
      return [];
    }
    const sessions = await this.refreshTokens.listLive(
      userId,
      principal.tokenVersion,
      SESSION_LIST_MAX,
    );
    return sessions.map((session) => ({
      id: session.id,
      createdAt: session.startedAt.toISOString(),
      lastUsedAt: session.lastUsedAt.toISOString(),
      userAgent: session.userAgent,
      ipAddress: session.ipAddress,
      current: session.id === currentSessionId,
    }));
  }

  /** Ends one of the caller's logins: its refresh tokens die; another user's id is a 404. */
  async revokeSession(userId: string, sessionId: string): Promise<void> {
    const principal = await this.users.findPrincipal(userId, { fresh: true });
    if (
      principal === null ||
      !(await this.refreshTokens.revokeSession(userId, sessionId, principal.tokenVersion))
    ) {
      throw new SessionNotFoundError(sessionId);
    }
  }

  /** Every login of the caller ends, and every access token with it (the caller's too). */
  async logoutAll(userId: string): Promise<void> {
    await this.users.endAllSessions(userId);
  }

  /**
   * Removes the account's second factor and ends every session (the admin CLI, for a user
   * who lost the authenticator and the recovery codes). False when it had none.
   */
  resetSecondFactor(userId: string): Promise<boolean> {
    return this.mfa.reset(userId);
  }

  private async issue(
    principal: UserPrincipal,
    client: ClientInfo,
    login: { readonly secondFactor: boolean },
  ): Promise<TokenPairResponse> {
    const refresh = this.tokens.newRefreshToken();
    const familyId = randomUUID();
    await this.refreshTokens.insert({
      tokenHash: refresh.hash,
      userId: principal.id,
      familyId,
      tokenVersion: principal.tokenVersion,
      expiresAt: refresh.expiresAt,
      secondFactor: login.secondFactor,
      client: { userAgent: client.userAgent, ipAddress: client.ipAddress },
    });
    return this.pair(principal, refresh.token, {
      sessionId: familyId,
      mfa: login.secondFactor,
    });
  }

  private async pair(
    principal: UserPrincipal,
    refreshToken: string,
    session: AccessSession,
  ): Promise<TokenPairResponse> {
    return {
      accessToken: await this.tokens.signAccessToken(principal, session),
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: this.tokens.accessTokenTtlSeconds,
    };
  }
}
