import { Injectable } from '@nestjs/common';
import type { Request } from 'express';

import type { AccessRule, AuthenticatedUser, Authenticator } from '@app/core';

import { UserRole, UsersService } from '../users';
import {
  MfaRequiredError,
  TokenInvalidError,
  TokenMissingError,
  TokenRevokedError,
} from './auth.errors';
import { MfaConfig } from './mfa/mfa.config';
import { TokenService } from './token.service';

const BEARER = /^Bearer ([A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]*)$/;

/**
 * Bearer access tokens. The role comes from the user record (through the bounded cache),
 * not from the token, and a token issued under an older token version (before a password
 * change) is refused. A token newer than the cached principal means the cache predates a
 * change made by another process: the account is read again. With `REQUIRE_ADMIN_MFA`, an
 * admin uses admin powers only with a token of a login that passed a second factor: admin
 * routes answer 403 `MFA_REQUIRED`, the others serve the caller as a customer.
 */
@Injectable()
export class JwtAuthenticator implements Authenticator {
  constructor(
    private readonly tokens: TokenService,
    private readonly users: UsersService,
    private readonly mfaConfig: MfaConfig,
  ) {}

  async authenticate(request: Request, rule: AccessRule): Promise<AuthenticatedUser> {
    const header = request.headers.authorization;
    if (header === undefined || header === '') {
      throw new TokenMissingError();
    }
    const match = BEARER.exec(header);
    if (match?.[1] === undefined) {
      throw new TokenInvalidError();
    }
    const claims = await this.tokens.verifyAccessToken(match[1]);
    let principal = await this.users.findPrincipal(claims.sub);
    if (principal !== null && claims.ver > principal.tokenVersion) {
      principal = await this.users.findPrincipal(claims.sub, { fresh: true });
    }
    if (principal === null || claims.ver > principal.tokenVersion) {
      throw new TokenInvalidError();
    }
    if (claims.ver < principal.tokenVersion) {
      throw new TokenRevokedError();
    }
    let role = principal.role;
    if (this.mfaConfig.requireAdminMfa && role === UserRole.ADMIN && !claims.mfa) {
      // An admin's powers need a login that passed a second factor: admin routes say so;
      // anywhere else the caller is served as a customer (own orders, own account only).
      if (rule.roles?.includes(UserRole.ADMIN) === true) {
        throw new MfaRequiredError();
      }
      role = UserRole.CUSTOMER;
    }
    return claims.sid === null
      ? { id: principal.id, role }
      : { id: principal.id, role, sessionId: claims.sid };
  }
}
