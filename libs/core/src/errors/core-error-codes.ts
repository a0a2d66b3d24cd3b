/**
 * Error codes owned by the platform. Clients branch on `code`, never on `detail`.
 * Domain modules keep their own `as const` tables in `<module>.errors.ts`.
 */
export const CoreErrorCode = {
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  MALFORMED_JSON: 'MALFORMED_JSON',
  JSON_TOO_DEEP: 'JSON_TOO_DEEP',
  ROUTE_NOT_FOUND: 'ROUTE_NOT_FOUND',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  RATE_LIMITED: 'RATE_LIMITED',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  RESOURCE_CONFLICT: 'RESOURCE_CONFLICT',
  DEPENDENCY_UNAVAILABLE: 'DEPENDENCY_UNAVAILABLE',
  HTTP_ERROR: 'HTTP_ERROR',
  INTERNAL: 'INTERNAL',
} as const;

export type CoreErrorCode = (typeof CoreErrorCode)[keyof typeof CoreErrorCode];
