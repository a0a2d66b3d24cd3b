import {
  AppConfig,
  PAGE_QUERY,
  formatBytes,
  formatDuration,
  type ApiDocumentInfo,
  type DocContext,
} from '@app/core';

import { AuthConfig } from './modules/auth/auth.config';

/**
 * What the OpenAPI document says about this service (`createOpenApiDocument()` reads it from
 * the app: AppModule provides it). The figures are the configuration the app runs with.
 */

function description({ config }: DocContext): string {
  const platform = config(AppConfig);
  const auth = config(AuthConfig);
  const bodyLimit = formatBytes(platform.http.bodyLimitBytes);
  const rateLimit = `${platform.rateLimit.max} per ${formatDuration(platform.rateLimit.ttlMs)}`;
  const loginLimit = `${auth.loginRateLimit.max} attempts per ${formatDuration(auth.loginRateLimit.ttlMs)}`;
  return `
Users, catalog and orders.

## Conventions

- Business routes live under \`/api/v1\`; \`/health\`, \`/ready\` and \`/metrics\` are unversioned.
- JSON in, JSON out, UTF-8. A request body must be \`application/json\` (415 otherwise), at most
  ${bodyLimit} (413) and nested at most \`JSON_MAX_DEPTH\` levels (400 \`JSON_TOO_DEEP\`); a body that
  is not valid JSON is a 400 \`MALFORMED_JSON\`, never a 500. This holds for every route.
- Unknown fields in a body, or in the query string of a list route, are rejected (400), never
  silently dropped; fields the server owns (\`id\`, \`role\`, \`status\`, \`totalCents\`,
  \`userId\`, \`version\`…) cannot be set through a body that does not list them.
  Request schemas say so with \`additionalProperties: false\`; a PATCH body must change at
  least one field.
- A string that contains U+0000 (NUL), in a body or a query string, is a 400
  \`VALIDATION_FAILED\` (the pattern \`^[^\\u0000]*$\`). Fields described as trimmed (\`email\`,
  \`name\`, \`q\`) lose leading and trailing whitespace before their length is checked.
- Every 200 of a \`GET\` carries an \`ETag\`; send it back in \`If-None-Match\` to get a 304
  without a body while the response is unchanged.
- Ids are UUIDs (v4 or v7): a malformed id in a path is a 400, an unknown one a 404.
- Money is integer minor units (\`priceCents\`, \`totalCents\`) with an ISO 4217 \`currency\`
  (default \`EUR\`), never floats. Timestamps are ISO 8601 in UTC.
- Every response carries \`X-Request-Id\` (yours, when it is 1..128 characters of
  \`[A-Za-z0-9._-]\`).

## Authentication

\`POST /api/v1/auth/login\` returns a short-lived access token (a JWT) and an opaque refresh
token. Send the access token as \`Authorization: Bearer <token>\`; trade the refresh token for a
new pair at \`POST /api/v1/auth/refresh\`. Refresh tokens rotate: each can be used once, and
using one again revokes every token of that login.

## Errors

Every error, from any layer, is \`application/problem+json\` (RFC 9457) with a stable \`code\`;
branch on \`code\`, never on \`detail\`. Each operation lists the statuses and codes it can
answer. A few codes are not tied to one operation:

| status | code | when |
| --- | --- | --- |
| 404 | \`ROUTE_NOT_FOUND\` | no route matches the method and path, also under \`/api/v1\` |
| 409 | \`RESOURCE_CONFLICT\` | a write hit a uniqueness conflict that has no more specific code |
| 400, 408, 413, 431 | \`HTTP_ERROR\` | Node's HTTP parser refused the request (bad framing, request not received in time, chunk extensions or request head too large); the connection is closed |
| 4xx | \`HTTP_ERROR\` | any other client error raised by the framework, with no more specific code |
| 401 | \`UNAUTHENTICATED\` | a protected route was reached while no authenticator is configured (a deployment error) |

## Rate limits

Business routes are limited per client address (\`RATE_LIMIT_MAX\` requests per
\`RATE_LIMIT_TTL_MS\`, ${rateLimit} as configured) and report it in \`X-RateLimit-*\` headers;
login has its own, stricter limit (${loginLimit} per address and per email). A 429
says when to retry in \`Retry-After\`. Operational routes are not rate limited.

## Pagination

List routes take \`?limit=\` (1..${PAGE_QUERY.maxLimit}, default ${PAGE_QUERY.defaultLimit}) and \`?cursor=\` and answer
\`{ data, nextCursor }\`, newest first and stable under concurrent inserts.
`.trim();
}

function bearerDescription({ config }: DocContext): string {
  const lifetime = formatDuration(config(AuthConfig).accessTokenTtlSeconds * 1000);
  return (
    'Access token from `POST /api/v1/auth/login` or `/refresh`: an HS256 JWS that follows ' +
    'RFC8725 (algorithm pinned when verifying, issuer and audience checked, lifetime ' +
    `\`expiresIn\` seconds, ${lifetime} as configured). Tokens issued before a password ` +
    'change are refused.'
  );
}

export const API_DOCUMENT_INFO: ApiDocumentInfo = {
  title: 'Enterprise backend',
  version: '1.0.0',
  description,
  bearerDescription,
  tagOrder: ['Auth', 'Users', 'Catalog', 'Orders', 'Webhooks'],
};
