import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import type { ResponseObject, SchemaObject } from '@nestjs/swagger';

import { CoreErrorCode } from '../errors/core-error-codes';
import { statusesOf, type ErrorCode, type ProblemStatus } from '../errors/error-codes';
import { reasonPhrase } from '../errors/problem-details';
import {
  FieldErrorSchema,
  PROBLEM_MEDIA_TYPE,
  ProblemDetailsSchema,
  responseHeaders,
  type PlatformFigures,
  type ResponseHeaderName,
} from './openapi-shared';

/**
 * Problem responses: which codes an operation answers under which status. Routes name
 * their codes (`@Route({ errors })`); the statuses come from the codes' tables, and what
 * the platform answers everywhere is added by `createOpenApiDocument()`. Internal to core.
 */

/** Error codes by HTTP status, as a route can answer them. */
export type ProblemSpec = Partial<Record<ProblemStatus, readonly string[]>>;

/**
 * What every route can answer before it is reached, whatever its method: Node's HTTP parser
 * (bad framing, a request head over 16 KiB, a request not received in time) and the JSON body
 * parsers, which run on every route (GET, POST without a body and the probes included).
 */
export const PIPELINE_PROBLEMS: ProblemSpec = {
  400: [CoreErrorCode.MALFORMED_JSON, CoreErrorCode.JSON_TOO_DEEP, CoreErrorCode.HTTP_ERROR],
  408: [CoreErrorCode.HTTP_ERROR],
  413: [CoreErrorCode.PAYLOAD_TOO_LARGE, CoreErrorCode.HTTP_ERROR],
  415: [CoreErrorCode.UNSUPPORTED_MEDIA_TYPE],
  431: [CoreErrorCode.HTTP_ERROR],
};

/** Every business route is rate limited and may fail inside or below it. */
export const BASELINE_PROBLEMS: ProblemSpec = {
  429: [CoreErrorCode.RATE_LIMITED],
  500: [CoreErrorCode.INTERNAL],
  503: [CoreErrorCode.DEPENDENCY_UNAVAILABLE],
};

const STATUS_HEADERS: Partial<Record<ProblemStatus, ResponseHeaderName[]>> = {
  401: ['WWW-Authenticate'],
  429: ['Retry-After'],
  503: ['Retry-After'],
};

function statusMeaning(status: ProblemStatus, figures: PlatformFigures): string {
  switch (status) {
    case 400:
      return (
        'The request is malformed or fails validation (`errors` lists the fields); `HTTP_ERROR` ' +
        'when the HTTP parser refused it (bad framing or headers; the connection is closed).'
      );
    case 401:
      return 'Missing, malformed, expired or revoked credentials.';
    case 403:
      return 'Authenticated, but not allowed.';
    case 404:
      return 'Not found, or owned by someone else.';
    case 408:
      return (
        'The request was not received in time (`HTTP_HEADERS_TIMEOUT_MS` for the head, ' +
        '`HTTP_REQUEST_TIMEOUT_MS` in all); the connection is closed.'
      );
    case 409:
      return 'Conflicts with the current state of the resource.';
    case 412:
      return '`If-Match` does not match the current `ETag`.';
    case 413:
      return (
        `The body is larger than ${figures.bodyLimit} (\`HTTP_ERROR\`: chunk extensions too ` +
        'large, the connection is closed).'
      );
    case 415:
      return 'The body is not `application/json`.';
    case 422:
      return 'Well-formed, but refers to something that does not exist or cannot be combined.';
    case 429:
      return 'Rate limit exceeded; retry after `Retry-After` seconds.';
    case 431:
      return 'The request line and headers are larger than 16 KiB; the connection is closed.';
    case 500:
      return 'Unexpected failure; the body says `Internal server error` and nothing else.';
    case 503:
      return 'A dependency (the database) is unavailable, or the service is shutting down.';
  }
}

/** The specs merged: codes in the order first given, statuses ascending. */
export function mergeProblems(specs: readonly ProblemSpec[]): Map<ProblemStatus, string[]> {
  const merged = new Map<ProblemStatus, string[]>();
  for (const spec of specs) {
    for (const [key, codes] of Object.entries<readonly string[]>(spec)) {
      const status = Number(key) as ProblemStatus;
      const known = merged.get(status) ?? [];
      merged.set(status, [...known, ...codes.filter((code) => !known.includes(code))]);
    }
  }
  return new Map([...merged.entries()].sort(([a], [b]) => a - b));
}

/** Codes by the statuses their tables declare. */
export function problemsOf(codes: readonly ErrorCode[]): ProblemSpec {
  const spec: Partial<Record<ProblemStatus, string[]>> = {};
  for (const code of codes) {
    for (const status of statusesOf(code)) {
      (spec[status] ??= []).push(code);
    }
  }
  return spec;
}

const problemSchema = (codes: readonly string[]): SchemaObject => ({
  allOf: [
    { $ref: getSchemaPath(ProblemDetailsSchema) },
    { type: 'object', properties: { code: { type: 'string', enum: [...codes] } } },
  ],
});

const codeList = (codes: readonly string[]): string => codes.map((c) => `\`${c}\``).join(', ');

/** A problem response as the document states it. */
export function problemResponse(
  status: ProblemStatus,
  codes: readonly string[],
  figures: PlatformFigures,
): ResponseObject {
  return {
    description: `${reasonPhrase(status)}. ${statusMeaning(status, figures)} Codes: ${codeList(codes)}.`,
    headers: responseHeaders(...(STATUS_HEADERS[status] ?? [])),
    content: { [PROBLEM_MEDIA_TYPE]: { schema: problemSchema(codes) } },
  };
}

/** The codes of a problem response (undefined for any other response). */
export function problemCodes(response: ResponseObject): string[] | undefined {
  const schema = response.content?.[PROBLEM_MEDIA_TYPE]?.schema as SchemaObject | undefined;
  const extension = schema?.allOf?.[1] as SchemaObject | undefined;
  const code = extension?.properties?.['code'] as SchemaObject | undefined;
  return code?.enum as string[] | undefined;
}

/**
 * Declares problem responses by status and codes. Only the codes matter here:
 * `createOpenApiDocument()` writes every problem response out (text, headers) once it knows
 * the app's figures. Use once per route: a second call would replace responses of the same
 * status.
 */
export function ApiProblems(...specs: ProblemSpec[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemDetailsSchema, FieldErrorSchema),
    ...[...mergeProblems(specs).entries()].map(([status, codes]) =>
      ApiResponse({
        status,
        description: reasonPhrase(status),
        content: { [PROBLEM_MEDIA_TYPE]: { schema: problemSchema(codes) } },
      }),
    ),
  );
}

/** Operational routes are not rate limited and read no input: only a crash is an error. */
export const ApiInternalErrorProblem = (): MethodDecorator & ClassDecorator =>
  ApiProblems({ 500: [CoreErrorCode.INTERNAL] });
