import { defineErrorCodes } from './error-codes';

/**
 * Error codes owned by the platform. Clients branch on `code`, never on `detail`.
 * Domain modules declare their own tables in `<module>.errors.ts` the same way.
 */
export const CoreErrorCode = defineErrorCodes({
  VALIDATION_FAILED: { status: 400 },
  MALFORMED_JSON: { status: 400 },
  JSON_TOO_DEEP: { status: 400 },
  ROUTE_NOT_FOUND: { status: 404 },
  PAYLOAD_TOO_LARGE: { status: 413 },
  UNSUPPORTED_MEDIA_TYPE: { status: 415 },
  RATE_LIMITED: { status: 429 },
  UNAUTHENTICATED: { status: 401 },
  FORBIDDEN: { status: 403 },
  RESOURCE_CONFLICT: { status: 409 },
  DEPENDENCY_UNAVAILABLE: { status: 503 },
  // Node's HTTP parser and framework errors without a code of their own (any other 4xx too).
  HTTP_ERROR: { status: [400, 408, 413, 431] },
  INTERNAL: { status: 500 },
});

export type CoreErrorCode = (typeof CoreErrorCode)[keyof typeof CoreErrorCode];
