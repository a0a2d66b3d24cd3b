import type { ErrorRequestHandler, RequestHandler } from 'express';
import { json } from 'express';

import {
  ACCEPTED_CONTENT_ENCODINGS,
  JsonContentTypeRequiredError,
  JsonTooDeepError,
  UnsupportedContentEncodingError,
} from '../errors/app-error';
import { fromBodyParserError } from '../errors/problem-details.filter';

const JSON_TYPES = ['application/json', 'application/*+json'];

function hasBody(headers: Record<string, string | string[] | undefined>): boolean {
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** A request that carries a body must say it is JSON (415 otherwise). */
export function requireJsonBody(): RequestHandler {
  return (req, _res, next) => {
    if (hasBody(req.headers) && req.is(JSON_TYPES) === false) {
      next(new JsonContentTypeRequiredError(req.headers['content-type']));
      return;
    }
    next();
  };
}

const ENCODINGS: readonly string[] = ['identity', ...ACCEPTED_CONTENT_ENCODINGS];

/**
 * gzip and deflate only (415 otherwise, as body-parser answers an unknown coding). body-parser
 * 2 would also decode br and zstd, whose window a few header bytes can set to 16 MiB (brotli)
 * or 128 MiB (zstd) per request, whatever the limit on the decoded size.
 */
export function requireAcceptedEncoding(): RequestHandler {
  return (req, _res, next) => {
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    next(
      hasBody(req.headers) && !ENCODINGS.includes(encoding)
        ? new UnsupportedContentEncodingError(encoding)
        : undefined,
    );
  };
}

/** Depth of a parsed JSON value, walked iteratively so a hostile body cannot overflow the stack. */
export function jsonDepthExceeds(value: unknown, maxDepth: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (typeof node !== 'object' || node === null) {
      continue;
    }
    if (depth > maxDepth) {
      return true;
    }
    for (const child of Object.values(node)) {
      if (typeof child === 'object' && child !== null) {
        stack.push([child, depth + 1]);
      }
    }
  }
  return false;
}

/** JSON parsing with the size limit, then the depth limit; parser errors become problem errors. */
export function jsonBodyParsers(
  limitBytes: number,
  maxDepth: number,
): Array<RequestHandler | ErrorRequestHandler> {
  const translate: ErrorRequestHandler = (error, req, _res, next) => {
    const encoding = req.headers['content-encoding'] ?? 'identity';
    next(fromBodyParserError(error, limitBytes, encoding) ?? error);
  };
  const depthGuard: RequestHandler = (req, _res, next) => {
    next(jsonDepthExceeds(req.body, maxDepth) ? new JsonTooDeepError(maxDepth) : undefined);
  };
  return [
    requireJsonBody(),
    requireAcceptedEncoding(),
    json({ limit: limitBytes, type: JSON_TYPES, strict: true }),
    translate,
    depthGuard,
  ];
}
