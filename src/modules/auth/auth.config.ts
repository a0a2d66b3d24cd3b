import { defineConfigSection, int, text } from '@app/core';

/** The auth module's settings: the JWT key and claims, token lifetimes, the login limit. */
export class AuthConfig extends defineConfigSection({
  title: 'Auth',
  variables: {
    JWT_SECRET: text({
      minLength: 32,
      lengthMessage: 'JWT_SECRET must be at least 32 characters',
      secret: true,
      defaultDoc: 'random per process (dev only)',
      doc: '≥ 32 chars, **required in production**',
    }),
    JWT_ISSUER: text({
      default: 'nest-enterprise-backend',
      minLength: 1,
      maxLength: 200,
      doc: 'issuer claim, checked on every token',
    }),
    JWT_AUDIENCE: text({
      default: 'nest-enterprise-backend-api',
      minLength: 1,
      maxLength: 200,
      doc: 'audience claim, checked on every token',
    }),
    JWT_ACCESS_TTL: int({
      default: 900,
      min: 30,
      max: 86_400,
      doc: 'access token lifetime, seconds',
    }),
    REFRESH_TOKEN_TTL: int({
      default: 604_800,
      min: 60,
      max: 31_536_000,
      doc: 'refresh token lifetime, seconds (7 days)',
    }),
    LOGIN_RATE_LIMIT_TTL_MS: int({
      default: 900_000,
      min: 1_000,
      doc: 'window of the login limit',
    }),
    LOGIN_RATE_LIMIT_MAX: int({
      default: 5,
      min: 1,
      doc: 'login attempts per window, per client address and per email',
    }),
  },
  build: (v) => ({
    /** HS256 key; null outside production means a random per-process key (dev only). */
    jwtSecret: v.JWT_SECRET ?? null,
    jwtIssuer: v.JWT_ISSUER,
    jwtAudience: v.JWT_AUDIENCE,
    accessTokenTtlSeconds: v.JWT_ACCESS_TTL,
    refreshTokenTtlSeconds: v.REFRESH_TOKEN_TTL,
    loginRateLimit: { max: v.LOGIN_RATE_LIMIT_MAX, ttlMs: v.LOGIN_RATE_LIMIT_TTL_MS },
  }),
  check: ({ jwtSecret }, _values, { isProduction }) =>
    isProduction && jwtSecret === null
      ? ['JWT_SECRET: required in production (at least 32 characters)']
      : [],
}) {}
