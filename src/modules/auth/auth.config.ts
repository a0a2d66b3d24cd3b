import { defineConfigSection, int, isLinkPath, text } from '@app/core';

/**
 * A path of the front end, in URL-safe characters, that stays under APP_PUBLIC_URL (no `.`
 * or `..` segment): checked at start-up by the rule the mailer applies at send time.
 */
const LINK_PATH = { pattern: /^\/[A-Za-z0-9/._~-]*$/, test: isLinkPath } as const;

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
      doc: 'login attempts per window, per client address and per email; second-factor codes and MFA enable/disable attempts spend the same budget, password reset requests and verification mails get as many on counters of their own',
    }),
    EMAIL_VERIFICATION_TTL_MS: int({
      default: 86_400_000,
      min: 60_000,
      max: 604_800_000,
      doc: 'how long the link in a verification mail works',
    }),
    PASSWORD_RESET_TTL_MS: int({
      default: 1_800_000,
      min: 60_000,
      max: 86_400_000,
      doc: 'how long the link in a password reset mail works',
    }),
    EMAIL_VERIFICATION_PATH: text({
      default: '/verify-email',
      ...LINK_PATH,
      message: 'EMAIL_VERIFICATION_PATH must be a path such as /verify-email',
      doc: 'the page of your front end that verification links open (`APP_PUBLIC_URL` + this + `?token=`); it posts the token to `POST /api/v1/auth/verify-email`',
    }),
    PASSWORD_RESET_PATH: text({
      default: '/reset-password',
      ...LINK_PATH,
      message: 'PASSWORD_RESET_PATH must be a path such as /reset-password',
      doc: 'the page of your front end that reset links open (`APP_PUBLIC_URL` + this + `?token=`); it posts the token and the new password to `POST /api/v1/auth/password-reset/confirm`',
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
    emailVerification: { ttlMs: v.EMAIL_VERIFICATION_TTL_MS, path: v.EMAIL_VERIFICATION_PATH },
    passwordReset: { ttlMs: v.PASSWORD_RESET_TTL_MS, path: v.PASSWORD_RESET_PATH },
  }),
  check: ({ jwtSecret }, _values, { isProduction }) =>
    isProduction && jwtSecret === null
      ? ['JWT_SECRET: required in production (at least 32 characters)']
      : [],
}) {}
