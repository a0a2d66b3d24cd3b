import { CoreErrorCode } from './core-error-codes';
import { statusesOf, type ErrorCode } from './error-codes';

/** One failing field of a validation error; nested fields use dotted paths (`items.0.quantity`). */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export interface AppErrorOptions {
  /** The underlying error: logged, never sent to the client. */
  readonly cause?: unknown;
  /** Internal context (ids, SQL state...): logged, never sent to the client. */
  readonly meta?: Readonly<Record<string, unknown>>;
}

/**
 * The root of every error the service throws on purpose. The global filter turns it
 * into an RFC 9457 problem response; `detail` is client-safe, `meta` and `cause` are not.
 * `code` comes from a `defineErrorCodes()` table, and the status is the one the table
 * declares for it; each category below accepts only codes of its own status.
 */
export abstract class AppError extends Error {
  abstract readonly code: ErrorCode;
  readonly meta: Readonly<Record<string, unknown>> | undefined;

  protected constructor(
    readonly detail: string,
    options: AppErrorOptions = {},
  ) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.meta = options.meta;
  }

  /** The HTTP status: the one the code's table declares. */
  get status(): number {
    return statusesOf(this.code)[0] ?? 500;
  }

  /** Extra response headers (`Retry-After`...). */
  get headers(): Readonly<Record<string, string>> {
    return {};
  }

  /** Validation failures list their fields; other errors have none. */
  get fieldErrors(): readonly FieldError[] | undefined {
    return undefined;
  }
}

/** Operational error categories; module errors extend one of these. */
export abstract class ValidationError extends AppError {
  abstract override readonly code: ErrorCode<400>;
}
export abstract class UnauthorizedError extends AppError {
  abstract override readonly code: ErrorCode<401>;

  /** RFC 6750: a 401 tells the client which scheme to use. */
  override get headers(): Readonly<Record<string, string>> {
    return { 'WWW-Authenticate': 'Bearer realm="api"' };
  }
}
export abstract class ForbiddenError extends AppError {
  abstract override readonly code: ErrorCode<403>;
}
export abstract class NotFoundError extends AppError {
  abstract override readonly code: ErrorCode<404>;
}
export abstract class ConflictError extends AppError {
  abstract override readonly code: ErrorCode<409>;
}
export abstract class PreconditionFailedError extends AppError {
  abstract override readonly code: ErrorCode<412>;
}
export abstract class PayloadTooLargeError extends AppError {
  abstract override readonly code: ErrorCode<413>;
}
export abstract class UnsupportedMediaTypeError extends AppError {
  abstract override readonly code: ErrorCode<415>;
}
export abstract class UnprocessableError extends AppError {
  abstract override readonly code: ErrorCode<422>;
}

abstract class RetryableError extends AppError {
  protected constructor(
    detail: string,
    readonly retryAfterSeconds: number,
    options: AppErrorOptions = {},
  ) {
    super(detail, options);
  }

  override get headers(): Readonly<Record<string, string>> {
    return { 'Retry-After': String(Math.max(1, Math.ceil(this.retryAfterSeconds))) };
  }
}

export abstract class TooManyRequestsError extends RetryableError {
  abstract override readonly code: ErrorCode<429>;
}
export abstract class DependencyUnavailableError extends RetryableError {
  abstract override readonly code: ErrorCode<503>;
}

// ---- Platform errors (codes in CoreErrorCode) ----

export class RequestValidationError extends ValidationError {
  readonly code = CoreErrorCode.VALIDATION_FAILED;

  constructor(private readonly fields: readonly FieldError[]) {
    super(
      fields.length === 1 && fields[0] !== undefined
        ? `Validation failed: ${fields[0].message}`
        : `Validation failed for ${fields.length} fields`,
    );
  }

  override get fieldErrors(): readonly FieldError[] {
    return this.fields;
  }
}

export class MalformedJsonError extends ValidationError {
  readonly code = CoreErrorCode.MALFORMED_JSON;
  constructor(options?: AppErrorOptions) {
    super('Request body is not valid JSON', options);
  }
}

export class JsonTooDeepError extends ValidationError {
  readonly code = CoreErrorCode.JSON_TOO_DEEP;
  constructor(maxDepth: number) {
    super(`Request body is nested deeper than ${maxDepth} levels`);
  }
}

export class RouteNotFoundError extends NotFoundError {
  readonly code = CoreErrorCode.ROUTE_NOT_FOUND;
  constructor(method: string, path: string) {
    super(`No route for ${method} ${path}`);
  }
}

export class BodyTooLargeError extends PayloadTooLargeError {
  readonly code = CoreErrorCode.PAYLOAD_TOO_LARGE;
  constructor(limitBytes: number) {
    super(`Request body exceeds ${limitBytes} bytes`);
  }
}

export class JsonContentTypeRequiredError extends UnsupportedMediaTypeError {
  readonly code = CoreErrorCode.UNSUPPORTED_MEDIA_TYPE;
  constructor(contentType: string | undefined) {
    super(
      contentType === undefined
        ? 'Request body needs Content-Type: application/json'
        : `Content-Type ${contentType} is not supported; send application/json (UTF-8)`,
    );
  }
}

/** What a request body may be encoded with: their decoders need only a 32 KiB window. */
export const ACCEPTED_CONTENT_ENCODINGS = ['gzip', 'deflate'] as const;

/** RFC 9110 12.5.3: a 415 for a content coding names the ones that are accepted. */
export class UnsupportedContentEncodingError extends UnsupportedMediaTypeError {
  readonly code = CoreErrorCode.UNSUPPORTED_MEDIA_TYPE;
  constructor(encoding: string) {
    super(
      `Content-Encoding ${encoding} is not supported; send ${ACCEPTED_CONTENT_ENCODINGS.join(', ')} or none`,
    );
  }

  override get headers(): Readonly<Record<string, string>> {
    return { 'Accept-Encoding': ACCEPTED_CONTENT_ENCODINGS.join(', ') };
  }
}

export class UnsupportedCharsetError extends UnsupportedMediaTypeError {
  readonly code = CoreErrorCode.UNSUPPORTED_MEDIA_TYPE;
  constructor(charset: string | undefined) {
    super(`Charset ${charset ?? '(unknown)'} is not supported; send application/json in UTF-8`);
  }
}

/** The body could not be decompressed: as sent, it is not JSON. */
export class MalformedEncodedBodyError extends ValidationError {
  readonly code = CoreErrorCode.MALFORMED_JSON;
  constructor(encoding: string, cause: Error) {
    super(`Request body is not valid ${encoding} data`, { cause, meta: { reason: cause.message } });
  }
}

export class RateLimitedError extends TooManyRequestsError {
  readonly code = CoreErrorCode.RATE_LIMITED;
  constructor(retryAfterSeconds: number) {
    super(
      `Too many requests; retry after ${Math.max(1, Math.ceil(retryAfterSeconds))} seconds`,
      retryAfterSeconds,
    );
  }
}

export class ResourceConflictError extends ConflictError {
  readonly code = CoreErrorCode.RESOURCE_CONFLICT;
  constructor(detail = 'The resource conflicts with an existing one', options?: AppErrorOptions) {
    super(detail, options);
  }
}

export class DatabaseUnavailableError extends DependencyUnavailableError {
  readonly code = CoreErrorCode.DEPENDENCY_UNAVAILABLE;
  constructor(options?: AppErrorOptions) {
    super('The service is temporarily unavailable; retry later', 5, options);
  }
}
