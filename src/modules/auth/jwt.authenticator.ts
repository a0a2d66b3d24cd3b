import { Injectable } from '@nestjs/common';
import type { Request } from 'express';

import type { AuthenticatedUser, Authenticator } from '@app/core';

import { UsersService } from '../users';
import { TokenInvalidError, TokenMissingError, TokenRevokedError } from './auth.errors';
import { TokenService } from './token.service';

const BEARER = /^Bearer ([A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]*)$/;

/**
 * Bearer access tokens. The role comes from the user record (through the bounded cache),
 * not from the token, and a token issued under an older token version (before a password
 * change) is refused. A token newer than the cached principal means the cache predates a
 * change made by another process: the account is read again.
 */
@Injectable()
export class JwtAuthenticator implements Authenticator {
  constructor(
    private readonly tokens: TokenService,
    private readonly users: UsersService,
  ) {}

  async authenticate(request: Request): Promise<AuthenticatedUser> {
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
    return { id: principal.id, role: principal.role };
  }
}
