import {
  Catch,
  HttpException,
  HttpStatus,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import type { Request, Response } from 'express';

import { AppConfig } from '../config/app-config';
import { translateDatabaseError } from '../database/database-errors';
import {
  AppError,
  BodyTooLargeError,
  MalformedJsonError,
  RateLimitedError,
  RouteNotFoundError,
  MalformedEncodedBodyError,
  UnsupportedContentEncodingError,
  UnsupportedCharsetError,
} from './app-error';
import { CoreErrorCode } from './core-error-codes';
import type { ErrorCode } from './error-codes';
import { PROBLEM_CONTENT_TYPE, buildProblem, reasonPhrase } from './problem-details';

/** A status-only error for HttpExceptions that no AppError describes. */
class HttpStatusError extends AppError {
  readonly code: ErrorCode;
  constructor(
    private readonly httpStatus: number,
    options: { cause?: unknown } = {},
  ) {
    super(reasonPhrase(httpStatus), options);
    this.code = httpStatus >= 500 ? CoreErrorCode.INTERNAL : CoreErrorCode.HTTP_ERROR;
  }

  /** The framework's status, whatever it is: `HTTP_ERROR` stands for any of them. */
  override get status(): number {
    return this.httpStatus;
  }
}

class InternalServerError extends AppError {
  readonly code = CoreErrorCode.INTERNAL;
  constructor(cause: unknown) {
    super('Internal server error', { cause });
  }
}

/** Client-facing detail of a 5xx: fixed text, never the error's own message. */
const SERVER_ERROR_DETAIL: Readonly<Record<number, string>> = {
  503: 'Service unavailable; retry later',
};

interface BodyParserError {
  readonly type: string;
  readonly status: number;
  readonly limit?: number;
  readonly encoding?: string;
  readonly charset?: string;
}

function isHttpError(error: unknown): error is Error & { readonly status: number } {
  return error instanceof Error && typeof (error as { status?: unknown }).status === 'number';
}

function isBodyParserError(error: unknown): error is BodyParserError {
  return isHttpError(error) && typeof (error as { type?: unknown }).type === 'string';
}

/**
 * Maps body-parser's errors (http-errors with a `type`) onto platform errors. `contentEncoding`
 * is passed only for errors that come straight out of the JSON parser: there, a 400 without a
 * `type` is the decompression stream failing (zlib's Z_DATA_ERROR, a truncated stream...).
 */
export function fromBodyParserError(
  error: unknown,
  limitBytes: number,
  contentEncoding?: string,
): AppError | null {
  if (!isBodyParserError(error)) {
    if (contentEncoding === undefined || !isHttpError(error) || error.status !== 400) {
      return null;
    }
    // Not decoding: the request stream itself failed (the client went away).
    return contentEncoding.toLowerCase() === 'identity'
      ? new HttpStatusError(400, { cause: error })
      : new MalformedEncodedBodyError(contentEncoding, error);
  }
  switch (error.type) {
    case 'entity.parse.failed':
      return new MalformedJsonError({ cause: error });
    case 'entity.too.large':
      return new BodyTooLargeError(error.limit ?? limitBytes);
    case 'encoding.unsupported':
      return new UnsupportedContentEncodingError(error.encoding ?? contentEncoding ?? 'unknown');
    case 'charset.unsupported':
      return new UnsupportedCharsetError(error.charset);
    case 'stream.encoding.set':
    case 'stream.not.readable':
      // The body stream was misused on the server (read twice, decoded early): a 500 is right.
      return null;
    default:
      // request.aborted, request.size.invalid (400), entity.verify.failed (403): the status
      // body-parser chose, with its reason phrase.
      return error.status >= 400 && error.status < 500
        ? new HttpStatusError(error.status, { cause: error })
        : null;
  }
}

function retryAfterFrom(response: Response): number {
  const header = Number(response.getHeader('Retry-After'));
  return Number.isFinite(header) && header > 0 ? header : 1;
}

/**
 * The one exception filter: whatever is thrown, from any layer, leaves as
 * `application/problem+json` (RFC 9457) with a stable `code` and the request id.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger(ProblemDetailsFilter.name);

  constructor(private readonly config: AppConfig) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const error = this.normalize(exception, request, response);
    const requestId = typeof request.id === 'string' ? request.id : '';
    this.log(error, exception, request, requestId);

    if (response.headersSent) {
      // Too late for a problem body: cut the connection so the client sees a failure.
      response.destroy();
      return;
    }
    const detail =
      error.status >= 500
        ? (SERVER_ERROR_DETAIL[error.status] ?? 'Internal server error')
        : error.detail;
    const body = buildProblem({
      baseUri: this.config.problemTypeBaseUri,
      status: error.status,
      detail,
      instance: request.originalUrl.split('?')[0] ?? request.originalUrl,
      code: error.code,
      requestId,
      errors: error.fieldErrors,
    });
    for (const [name, value] of Object.entries(error.headers)) {
      response.setHeader(name, value);
    }
    response.status(error.status).setHeader('Content-Type', PROBLEM_CONTENT_TYPE);
    response.end(JSON.stringify(body));
  }

  private normalize(exception: unknown, request: Request, response: Response): AppError {
    if (exception instanceof AppError) {
      return exception;
    }
    if (exception instanceof HttpException) {
      return this.fromHttpException(exception, request, response);
    }
    return (
      fromBodyParserError(exception, this.config.http.bodyLimitBytes) ??
      translateDatabaseError(exception) ??
      new InternalServerError(exception)
    );
  }

  private fromHttpException(
    exception: HttpException,
    request: Request,
    response: Response,
  ): AppError {
    const status = exception.getStatus();
    const message = exception.message;
    if (status === (HttpStatus.NOT_FOUND as number) && message.startsWith('Cannot ')) {
      return new RouteNotFoundError(request.method, request.path);
    }
    if (status === (HttpStatus.PAYLOAD_TOO_LARGE as number)) {
      return new BodyTooLargeError(this.config.http.bodyLimitBytes);
    }
    if (status === (HttpStatus.TOO_MANY_REQUESTS as number)) {
      // Nest's ThrottlerException (if a plain ThrottlerGuard is ever used) sets Retry-After first.
      return new RateLimitedError(retryAfterFrom(response));
    }
    return new HttpStatusError(status, { cause: exception });
  }

  private log(error: AppError, raw: unknown, request: Request, requestId: string): void {
    const context = {
      requestId,
      method: request.method,
      path: request.originalUrl.split('?')[0],
      status: error.status,
      code: error.code,
      ...(error.meta === undefined ? {} : { meta: error.meta }),
    };
    if (error.status >= 500) {
      const cause = error instanceof InternalServerError ? raw : (error.cause ?? raw);
      const operational = error.status === 503;
      if (operational) {
        const reason = cause instanceof Error ? cause.message : String(cause);
        this.logger.warn({ ...context, reason, msg: error.detail });
      } else {
        this.logger.error({ ...context, err: cause, msg: 'Unhandled error' });
      }
      return;
    }
    if (error.status === 404) {
      this.logger.debug({ ...context, msg: error.detail });
      return;
    }
    this.logger.warn({ ...context, msg: error.detail });
  }
}
