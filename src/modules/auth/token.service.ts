import { createHash, randomBytes } from 'node:crypto';

import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';

import { AuthConfig } from './auth.config';
import { TokenExpiredError, TokenInvalidError } from './auth.errors';

export interface AccessClaims {
  readonly sub: string;
  readonly role: string;
  /** The user's token version at issue: revocation compares it, not a time. */
  readonly ver: number;
  /** Issued at and expiry, seconds since epoch: required (a token without `exp` never dies). */
  readonly iat: number;
  readonly exp: number;
  /** The login (refresh-token family) it was issued for; absent in tokens of older releases. */
  readonly sid: string | null;
  /** True when that login passed a second factor (`REQUIRE_ADMIN_MFA` asks for it). */
  readonly mfa: boolean;
}

/** The login an access token belongs to. */
export interface AccessSession {
  readonly sessionId: string;
  readonly mfa: boolean;
}

/** What the second login step needs to know: who passed the password, under which version. */
export interface MfaClaims {
  readonly sub: string;
  readonly ver: number;
}

/** What an access token is issued for. */
export interface AccessSubject {
  readonly id: string;
  readonly role: string;
  readonly tokenVersion: number;
}

const isSeconds = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);

const ALGORITHM = 'HS256';
/** mfaTokens are for `<JWT_AUDIENCE>#mfa`: an access token check refuses them, and back. */
const MFA_AUDIENCE_SUFFIX = '#mfa';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Access tokens: HS256 JWTs, algorithm pinned on sign and verify, issuer and audience
 * checked. Refresh tokens: 256 random bits, stored only as their SHA-256.
 */
@Injectable()
export class TokenService {
  constructor(
    private readonly jwt: JwtService,
    private readonly config: AuthConfig,
  ) {}

  get accessTokenTtlSeconds(): number {
    return this.config.accessTokenTtlSeconds;
  }

  signAccessToken(subject: AccessSubject, session: AccessSession): Promise<string> {
    const { jwtIssuer, jwtAudience, accessTokenTtlSeconds } = this.config;
    return this.jwt.signAsync(
      { role: subject.role, ver: subject.tokenVersion, sid: session.sessionId, mfa: session.mfa },
      {
        algorithm: ALGORITHM,
        subject: subject.id,
        issuer: jwtIssuer,
        audience: jwtAudience,
        expiresIn: accessTokenTtlSeconds,
      },
    );
  }

  async verifyAccessToken(token: string): Promise<AccessClaims> {
    const { jwtIssuer, jwtAudience } = this.config;
    let claims: Record<string, unknown>;
    try {
      claims = await this.jwt.verifyAsync<Record<string, unknown>>(token, {
        algorithms: [ALGORITHM],
        issuer: jwtIssuer,
        audience: jwtAudience,
      });
    } catch (error: unknown) {
      if (error instanceof Error && error.name === 'TokenExpiredError') {
        throw new TokenExpiredError();
      }
      throw new TokenInvalidError({ cause: error });
    }
    const { sub, role, ver, iat, exp, sid, mfa } = claims;
    if (
      (sid !== undefined && (typeof sid !== 'string' || !UUID.test(sid))) ||
      (mfa !== undefined && typeof mfa !== 'boolean') ||
      typeof sub !== 'string' ||
      !UUID.test(sub) ||
      typeof role !== 'string' ||
      typeof ver !== 'number' ||
      !Number.isSafeInteger(ver) ||
      ver < 0 ||
      !isSeconds(iat) ||
      !isSeconds(exp)
    ) {
      throw new TokenInvalidError();
    }
    return { sub, role, ver, iat, exp, sid: sid ?? null, mfa: mfa === true };
  }

  /**
   * The token of the second login step: short-lived, for another audience than access
   * tokens (so neither passes for the other), bound to the user's token version.
   */
  signMfaToken(subject: AccessSubject, ttlSeconds: number): Promise<string> {
    const { jwtIssuer, jwtAudience } = this.config;
    return this.jwt.signAsync(
      { ver: subject.tokenVersion },
      {
        algorithm: ALGORITHM,
        subject: subject.id,
        issuer: jwtIssuer,
        audience: `${jwtAudience}${MFA_AUDIENCE_SUFFIX}`,
        expiresIn: ttlSeconds,
      },
    );
  }

  /** The claims of a live mfaToken, or null (forged, expired, or not an mfaToken). */
  async verifyMfaToken(token: string): Promise<MfaClaims | null> {
    const { jwtIssuer, jwtAudience } = this.config;
    try {
      const { sub, ver } = await this.jwt.verifyAsync<Record<string, unknown>>(token, {
        algorithms: [ALGORITHM],
        issuer: jwtIssuer,
        audience: `${jwtAudience}${MFA_AUDIENCE_SUFFIX}`,
      });
      return typeof sub === 'string' && UUID.test(sub) && typeof ver === 'number'
        ? { sub, ver }
        : null;
    } catch {
      return null;
    }
  }

  newRefreshToken(): { token: string; hash: string; expiresAt: Date } {
    const token = randomBytes(32).toString('base64url');
    return {
      token,
      hash: this.hashRefreshToken(token),
      expiresAt: new Date(Date.now() + this.config.refreshTokenTtlSeconds * 1000),
    };
  }

  hashRefreshToken(token: string): string {
    return createHash('sha256').update(token).digest('hex');
  }
}
