import { applyDecorators, type INestApplication, type Type } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiExtraModels,
  ApiOkResponse,
  ApiParam,
  ApiProperty,
  ApiPropertyOptional,
  ApiQuery,
  ApiResponse,
  ApiSchema,
  DocumentBuilder,
  SwaggerModule,
  getSchemaPath,
  type OpenAPIObject,
} from '@nestjs/swagger';
import type {
  HeaderObject,
  OperationObject,
  ParameterObject,
  PathItemObject,
  ReferenceObject,
  ResponseObject,
  SchemaObject,
  SecurityRequirementObject,
} from '@nestjs/swagger';

import { CoreErrorCode } from '../errors/core-error-codes';
import { reasonPhrase } from '../errors/problem-details';
import { requiredAnyOfSchemas } from './validation';

/**
 * The OpenAPI document: what `/docs-json` serves and `npm run openapi` writes to
 * `openapi.json`. Routes describe themselves with the decorators below; this file holds
 * what they share (problem details, headers, pagination) and the document-level text.
 * The document depends on code only, never on configuration, so it is reproducible.
 */

export const BEARER_SCHEME = 'bearer';
export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

const UUID_EXAMPLE = '0190c4b2-6c1e-7d2a-9a53-3f0c5e4b8a11';
const REQUEST_ID_PATTERN = '^[A-Za-z0-9._-]{1,128}$';

// ---- Schemas shared by every route ----

@ApiSchema({
  name: 'FieldError',
  description: 'One failing field of a validation error.',
})
export class FieldErrorSchema {
  @ApiProperty({
    description:
      'The field: a body path with dots for nesting (`items.0.quantity`), a query or path ' +
      'parameter (`cursor`, `id`) or a header (`Idempotency-Key`).',
    example: 'email',
  })
  readonly field!: string;

  @ApiProperty({ description: 'What is wrong, for humans.', example: 'email must be an email' })
  readonly message!: string;
}

@ApiSchema({
  name: 'ProblemDetails',
  description:
    'RFC 9457 problem details, the body of every error (`application/problem+json`), with ' +
    'two extensions: `code` (stable, clients branch on it) and `requestId`.',
})
export class ProblemDetailsSchema {
  @ApiProperty({
    format: 'uri',
    maxLength: 2048,
    description: '`<PROBLEM_TYPE_BASE_URI>/<kebab-case reason phrase>`.',
    example: 'https://errors.example.com/not-found',
  })
  readonly type!: string;

  @ApiProperty({
    maxLength: 64,
    description: 'The HTTP reason phrase of `status`.',
    example: 'Not Found',
  })
  readonly title!: string;

  @ApiProperty({ type: 'integer', format: 'int32', minimum: 400, maximum: 599, example: 404 })
  readonly status!: number;

  @ApiProperty({
    description:
      'For humans; never parse it. 5xx responses carry a fixed text and nothing internal: ' +
      '`Internal server error` (500) or `Service unavailable; retry later` (503).',
    example: `Order ${UUID_EXAMPLE} not found`,
  })
  readonly detail!: string;

  @ApiProperty({
    format: 'uri-reference',
    maxLength: 16_384,
    description: 'The request path, without the query string.',
    example: `/api/v1/orders/${UUID_EXAMPLE}`,
  })
  readonly instance!: string;

  @ApiProperty({
    maxLength: 64,
    pattern: '^[A-Z][A-Z0-9_]*$',
    description: 'Stable SCREAMING_SNAKE error code; each response lists the codes it can carry.',
    example: 'ORDER_NOT_FOUND',
  })
  readonly code!: string;

  @ApiProperty({
    maxLength: 128,
    pattern: REQUEST_ID_PATTERN,
    description: 'The `X-Request-Id` of the request: quote it when reporting a problem.',
    example: '6f1c2d9e-3b1a-4c55-9a0e-2f7d8c1b4e60',
  })
  readonly requestId!: string;

  @ApiPropertyOptional({
    type: () => FieldErrorSchema,
    isArray: true,
    description: 'Only for `VALIDATION_FAILED`: one entry per failing field.',
  })
  readonly errors?: FieldErrorSchema[];
}

@ApiSchema({
  name: 'HealthIndicator',
  description: 'The state of one dependency, as reported by Terminus.',
})
export class HealthIndicatorSchema {
  @ApiProperty({ enum: ['up', 'down'], example: 'up' })
  readonly status!: 'up' | 'down';

  @ApiPropertyOptional({
    description: 'Why the dependency is down (or `not configured` for Redis).',
    example: 'shutting down',
  })
  readonly message?: string;
}

@ApiSchema({
  name: 'HealthIndicators',
  description: 'Indicators by name; `redis` only when Redis is configured.',
})
export class HealthIndicatorsSchema {
  @ApiPropertyOptional({
    type: () => HealthIndicatorSchema,
    description: 'Down while shutting down.',
  })
  readonly lifecycle?: HealthIndicatorSchema;

  @ApiPropertyOptional({ type: () => HealthIndicatorSchema })
  readonly database?: HealthIndicatorSchema;

  @ApiPropertyOptional({ type: () => HealthIndicatorSchema })
  readonly redis?: HealthIndicatorSchema;
}

@ApiSchema({
  name: 'HealthCheckResult',
  description:
    "Terminus' body, sent as `application/json` (not a problem document) by `/health` (no " +
    'indicators) and `/ready`.',
})
export class HealthCheckResultSchema {
  @ApiProperty({ enum: ['ok', 'error', 'shutting_down'], example: 'ok' })
  readonly status!: string;

  @ApiPropertyOptional({
    type: () => HealthIndicatorsSchema,
    description: 'Indicators that are up.',
  })
  readonly info?: HealthIndicatorsSchema;

  @ApiPropertyOptional({
    type: () => HealthIndicatorsSchema,
    description: 'Indicators that are down.',
  })
  readonly error?: HealthIndicatorsSchema;

  @ApiProperty({ type: () => HealthIndicatorsSchema, description: 'Every indicator.' })
  readonly details!: HealthIndicatorsSchema;
}

// ---- Headers ----

const headerRef = (name: string): ReferenceObject => ({ $ref: `#/components/headers/${name}` });

const SAFE_INTEGER: SchemaObject = {
  type: 'integer',
  format: 'int64',
  minimum: 0,
  maximum: Number.MAX_SAFE_INTEGER,
};

const RESPONSE_HEADERS: Record<string, HeaderObject> = {
  'X-Request-Id': {
    description:
      'On every response: the incoming `X-Request-Id` when it is 1..128 characters of ' +
      '`[A-Za-z0-9._-]`, otherwise a fresh UUID. Logged with every line of the request and ' +
      'repeated as `requestId` in problem details.',
    required: true,
    schema: { type: 'string', maxLength: 128, pattern: REQUEST_ID_PATTERN },
  },
  'Access-Control-Allow-Origin': {
    description:
      "CORS: the request's `Origin`, echoed only when it is in the `CORS_ORIGINS` allow-list " +
      '(never `*`); absent otherwise.',
    schema: { type: 'string', format: 'uri', maxLength: 2048 },
  },
  'X-RateLimit-Limit': {
    description:
      'Requests allowed per client address in the current window (`RATE_LIMIT_MAX`, 100 per ' +
      '15 minutes by default). Sent once the request has reached the rate limiter, so not on ' +
      'errors raised while reading the body (400 `MALFORMED_JSON`, 413, 415).',
    schema: { ...SAFE_INTEGER, minimum: 1 },
  },
  'X-RateLimit-Remaining': {
    description: 'Requests left in the current window.',
    schema: SAFE_INTEGER,
  },
  'X-RateLimit-Reset': {
    description: 'Seconds until the current window ends.',
    schema: SAFE_INTEGER,
  },
  'Retry-After': {
    description: 'Seconds to wait before retrying.',
    required: true,
    schema: { ...SAFE_INTEGER, minimum: 1 },
  },
  'WWW-Authenticate': {
    description:
      'RFC 6750 challenge: `Bearer realm="api"`, with `error="invalid_token"` for a malformed, ' +
      'unknown or expired access token.',
    required: true,
    schema: { type: 'string', maxLength: 128, pattern: '^Bearer realm="api"' },
  },
  Location: {
    description: 'Path of the resource that was created.',
    required: true,
    schema: {
      type: 'string',
      format: 'uri-reference',
      maxLength: 64,
      example: `/api/v1/orders/${UUID_EXAMPLE}`,
    },
  },
  ETag: {
    description:
      'The version of the order as a strong entity tag, e.g. `"3"`; send it back in `If-Match` ' +
      'to change the order only if nobody else did.',
    required: true,
    schema: { type: 'string', maxLength: 12, pattern: '^"[0-9]{1,10}"$', example: '"1"' },
  },
  'Body-ETag': {
    description:
      'Sent as `ETag` on every 200 of a `GET` without an entity tag of its own: a weak tag of ' +
      'the body (`W/"<length>-<hash>"`). Send it back in `If-None-Match` to get a 304 without ' +
      'a body while the response would be the same.',
    required: true,
    schema: { type: 'string', maxLength: 64, pattern: '^W/"[0-9a-f]{1,16}-[A-Za-z0-9+/]{27}"$' },
  },
  'Idempotent-Replayed': {
    description:
      'Present (`true`) when this is the stored response of an earlier request with the same ' +
      '`Idempotency-Key` and body: nothing new was created.',
    schema: { type: 'string', enum: ['true'] },
  },
};

export type ResponseHeaderName = keyof typeof RESPONSE_HEADERS;

/** Response headers for `@ApiOkResponse({ headers: responseHeaders('ETag') })`. */
export function responseHeaders(...names: ResponseHeaderName[]): Record<string, ReferenceObject> {
  return Object.fromEntries(names.map((name) => [name, headerRef(name)]));
}

const RATE_LIMIT_HEADERS: ResponseHeaderName[] = [
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
];

// ---- Problem responses ----

export type ProblemStatus =
  400 | 401 | 403 | 404 | 408 | 409 | 412 | 413 | 415 | 422 | 429 | 431 | 500 | 503;

/** Error codes by HTTP status, as a route can answer them. */
export type ProblemSpec = Partial<Record<ProblemStatus, readonly string[]>>;

/**
 * What every route can answer before it is reached, whatever its method: Node's HTTP parser
 * (bad framing, a request head over 16 KiB, a request not received in time) and the JSON body
 * parsers, which run on every route (GET, POST without a body and the probes included).
 * `createOpenApiDocument()` adds these to every operation; a route declares only its own.
 */
const PIPELINE_PROBLEMS: ProblemSpec = {
  400: [CoreErrorCode.MALFORMED_JSON, CoreErrorCode.JSON_TOO_DEEP, CoreErrorCode.HTTP_ERROR],
  408: [CoreErrorCode.HTTP_ERROR],
  413: [CoreErrorCode.PAYLOAD_TOO_LARGE, CoreErrorCode.HTTP_ERROR],
  415: [CoreErrorCode.UNSUPPORTED_MEDIA_TYPE],
  431: [CoreErrorCode.HTTP_ERROR],
};

/** Query string or path parameter validation. */
export const PARAMETER_PROBLEMS: ProblemSpec = { 400: [CoreErrorCode.VALIDATION_FAILED] };

/** `@Roles(...)` routes refuse other roles with this. */
export const ROLE_PROBLEMS: ProblemSpec = { 403: [CoreErrorCode.FORBIDDEN] };

/** Every business route is rate limited and may fail inside or below it. */
const BASELINE_PROBLEMS: ProblemSpec = {
  429: [CoreErrorCode.RATE_LIMITED],
  500: [CoreErrorCode.INTERNAL],
  503: [CoreErrorCode.DEPENDENCY_UNAVAILABLE],
};

const STATUS_HEADERS: Partial<Record<ProblemStatus, ResponseHeaderName[]>> = {
  401: ['WWW-Authenticate'],
  429: ['Retry-After'],
  503: ['Retry-After'],
};

const STATUS_MEANING: Record<ProblemStatus, string> = {
  400:
    'The request is malformed or fails validation (`errors` lists the fields); `HTTP_ERROR` ' +
    'when the HTTP parser refused it (bad framing or headers; the connection is closed).',
  401: 'Missing, malformed, expired or revoked credentials.',
  403: 'Authenticated, but not allowed.',
  404: 'Not found, or owned by someone else.',
  408:
    'The request was not received in time (`HTTP_HEADERS_TIMEOUT_MS` for the head, ' +
    '`HTTP_REQUEST_TIMEOUT_MS` in all); the connection is closed.',
  409: 'Conflicts with the current state of the resource.',
  412: '`If-Match` does not match the current `ETag`.',
  413:
    'The body is larger than 100 kB (`HTTP_ERROR`: chunk extensions too large, the ' +
    'connection is closed).',
  415: 'The body is not `application/json`.',
  422: 'Well-formed, but refers to something that does not exist or cannot be combined.',
  429: 'Rate limit exceeded; retry after `Retry-After` seconds.',
  431: 'The request line and headers are larger than 16 KiB; the connection is closed.',
  500: 'Unexpected failure; the body says `Internal server error` and nothing else.',
  503: 'A dependency (the database) is unavailable, or the service is shutting down.',
};

function mergeProblems(specs: readonly ProblemSpec[]): Map<ProblemStatus, string[]> {
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

const codeList = (codes: readonly string[]): string => codes.map((c) => `\`${c}\``).join(', ');

function problemResponse(status: ProblemStatus, codes: readonly string[]): ResponseObject {
  return {
    description: `${reasonPhrase(status)}. ${STATUS_MEANING[status]} Codes: ${codeList(codes)}.`,
    headers: responseHeaders(...(STATUS_HEADERS[status] ?? [])),
    content: {
      [PROBLEM_MEDIA_TYPE]: {
        schema: {
          allOf: [
            { $ref: getSchemaPath(ProblemDetailsSchema) },
            { type: 'object', properties: { code: { type: 'string', enum: [...codes] } } },
          ],
        },
      },
    },
  };
}

/**
 * The problem responses of a business route: the statuses and codes given (presets such
 * as `ROLE_PROBLEMS` merged with the route's own), plus 429, 500 and 503 that any
 * rate-limited route can answer. What the body parser and the validation pipe answer is
 * added to every operation by `createOpenApiDocument()`. The 401 of bearer-protected routes is added by
 * `createOpenApiDocument()` from the codes declared with `@ApiBearerFailureCodes()`.
 * Use once per route: a second call would replace responses of the same status.
 */
export function ApiProblems(...specs: ProblemSpec[]): MethodDecorator & ClassDecorator {
  const merged = mergeProblems([...specs, BASELINE_PROBLEMS]);
  return applyDecorators(
    ApiExtraModels(ProblemDetailsSchema, FieldErrorSchema),
    ...[...merged.entries()].map(([status, codes]) =>
      ApiResponse({ status, ...problemResponse(status, codes) }),
    ),
  );
}

/** Operational routes are not rate limited and read no input: only a crash is an error. */
export const ApiInternalErrorProblem = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    ApiExtraModels(ProblemDetailsSchema, FieldErrorSchema),
    ApiResponse({ status: 500, ...problemResponse(500, [CoreErrorCode.INTERNAL]) }),
  );

// ---- Authentication ----

const bearerFailureCodes: string[] = [];

/**
 * Declares the codes a refused bearer token gets. Used once, by the module that implements
 * the `Authenticator` port (core decides *when* to authenticate, that module *how*);
 * `createOpenApiDocument()` lists them on the 401 of every bearer-protected operation.
 */
export function ApiBearerFailureCodes(...codes: string[]): ClassDecorator {
  return () => {
    for (const code of codes) {
      if (!bearerFailureCodes.includes(code)) {
        bearerFailureCodes.push(code);
      }
    }
  };
}

/** A route (or controller) that needs `Authorization: Bearer <access token>`. */
export const ApiAuthenticated = (): MethodDecorator & ClassDecorator =>
  ApiBearerAuth(BEARER_SCHEME);

// ---- Parameters and pagination ----

/** The UUID path parameter read by `@IdParam()`. */
export const ApiIdParam = (description: string, name = 'id'): MethodDecorator =>
  ApiParam({
    name,
    description: `${description} A malformed id is a 400 naming \`${name}\`.`,
    schema: { type: 'string', format: 'uuid', maxLength: 36, example: UUID_EXAMPLE },
  });

/** `?limit=&cursor=` of `PageQueryDto`. */
export const ApiPageQuery = (): MethodDecorator =>
  applyDecorators(
    ApiQuery({
      name: 'limit',
      required: false,
      description: 'Page size.',
      schema: { type: 'integer', format: 'int32', minimum: 1, maximum: 100, default: 20 },
    }),
    ApiQuery({
      name: 'cursor',
      required: false,
      description:
        'Opaque: the `nextCursor` of the previous page. A cursor that was not issued by the ' +
        'service is a 400 naming `cursor`.',
      schema: { type: 'string', maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' },
    }),
  );

const pageSchemas = new Map<string, Type>();

function pageSchema(model: Type, name: string): Type {
  const known = pageSchemas.get(name);
  if (known !== undefined) {
    return known;
  }
  @ApiSchema({
    name,
    description: 'One page, newest first. Follow `nextCursor` until it is `null`.',
  })
  class PageSchema {
    @ApiProperty({ type: () => model, isArray: true, maxItems: 100 })
    readonly data!: unknown[];

    @ApiProperty({
      type: String,
      nullable: true,
      maxLength: 200,
      pattern: '^[A-Za-z0-9_-]+$',
      description: 'Pass as `?cursor=` for the next page; `null` on the last page.',
    })
    readonly nextCursor!: string | null;
  }
  pageSchemas.set(name, PageSchema);
  return PageSchema;
}

/** A 200 with `Page<T>`: `{ data: T[], nextCursor }`, documented as schema `name`. */
export const ApiPageOkResponse = (
  model: Type,
  name: string,
  description: string,
): MethodDecorator & ClassDecorator =>
  applyDecorators(ApiPageQuery(), ApiOkResponse({ type: pageSchema(model, name), description }));

// ---- The document ----

const DESCRIPTION = `
Users, catalog and orders.

## Conventions

- Business routes live under \`/api/v1\`; \`/health\`, \`/ready\` and \`/metrics\` are unversioned.
- JSON in, JSON out, UTF-8. A request body must be \`application/json\` (415 otherwise), at most
  100 kB (413) and nested at most \`JSON_MAX_DEPTH\` levels (400 \`JSON_TOO_DEEP\`); a body that
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
\`RATE_LIMIT_TTL_MS\`, 100 per 15 minutes by default) and report it in \`X-RateLimit-*\` headers;
login has its own, stricter limit (5 attempts per 15 minutes per address and per email). A 429
says when to retry in \`Retry-After\`. Operational routes are not rate limited.

## Pagination

List routes take \`?limit=\` (1..100, default 20) and \`?cursor=\` and answer
\`{ data, nextCursor }\`, newest first and stable under concurrent inserts.
`.trim();

/** The document-level part: info, security scheme, shared headers and tags. */
export function openApiConfig(): Omit<OpenAPIObject, 'paths'> {
  const config = new DocumentBuilder()
    .setTitle('Enterprise backend')
    .setDescription(DESCRIPTION)
    .setVersion('1.0.0')
    .addServer(
      '/',
      'The deployment serving this document (local, staging or production).',
      undefined,
      { 'x-internal': false },
    )
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description:
          'Access token from `POST /api/v1/auth/login` or `/refresh`: an HS256 JWS that follows ' +
          'RFC8725 (algorithm pinned when verifying, issuer and audience checked, lifetime ' +
          '`expiresIn` seconds, 15 minutes by default). Tokens issued before a password change ' +
          'are refused.',
      },
      BEARER_SCHEME,
    )
    .addGlobalParameters({
      name: 'X-Request-Id',
      in: 'header',
      required: false,
      description:
        'Correlation id echoed on the response and in logs; replaced by a fresh UUID unless it ' +
        'is 1..128 characters of `[A-Za-z0-9._-]`.',
      schema: { type: 'string', maxLength: 128, pattern: REQUEST_ID_PATTERN },
    })
    .addTag('Auth', 'Log in, rotate refresh tokens, log out.')
    .addTag('Users', "Registration, the caller's own account, and user administration.")
    .addTag('Catalog', 'Products: public reads, admin writes.')
    .addTag('Orders', 'Placing orders (idempotently), reading them, and their status machine.')
    .addTag(
      'Operations',
      'Liveness, readiness and metrics for the platform: unversioned, not rate limited.',
    )
    .build();
  return {
    ...config,
    components: {
      ...config.components,
      headers: RESPONSE_HEADERS,
      parameters: { 'If-None-Match': IF_NONE_MATCH },
    },
  };
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
type Method = (typeof METHODS)[number];

function operationsOf(document: OpenAPIObject): Array<[Method, OperationObject]> {
  return Object.values(document.paths).flatMap((item: PathItemObject) =>
    METHODS.flatMap((method): Array<[Method, OperationObject]> => {
      const operation = item[method];
      return operation === undefined ? [] : [[method, operation]];
    }),
  );
}

const isBearerProtected = (operation: OperationObject): boolean =>
  (operation.security ?? []).some(
    (requirement: SecurityRequirementObject) => BEARER_SCHEME in requirement,
  );

function problemCodes(response: ResponseObject): string[] | undefined {
  const schema = response.content?.[PROBLEM_MEDIA_TYPE]?.schema as SchemaObject | undefined;
  const extension = schema?.allOf?.[1] as SchemaObject | undefined;
  const code = extension?.properties?.['code'] as SchemaObject | undefined;
  return code?.enum as string[] | undefined;
}

/** 401 with the bearer failure codes on every operation that needs a token. */
function addBearerFailures(operation: OperationObject): void {
  if (!isBearerProtected(operation) || bearerFailureCodes.length === 0) {
    return;
  }
  const existing = operation.responses['401'] as ResponseObject | undefined;
  const own = existing === undefined ? [] : (problemCodes(existing) ?? []);
  const codes = [
    ...bearerFailureCodes,
    ...own.filter((code) => !bearerFailureCodes.includes(code)),
  ];
  operation.responses['401'] = problemResponse(401, codes);
}

/** Adds `spec` to the operation's problem responses, keeping the codes it declares itself. */
function addProblems(operation: OperationObject, spec: ProblemSpec): void {
  for (const [status, codes] of mergeProblems([spec])) {
    const existing = operation.responses[String(status)] as ResponseObject | undefined;
    const own = existing === undefined ? [] : (problemCodes(existing) ?? []);
    operation.responses[String(status)] = problemResponse(
      status,
      mergeProblems([{ [status]: own }, { [status]: codes }]).get(status) ?? codes,
    );
  }
}

/** The parser and body problems on every operation; a 400 for the body schema where there is one. */
function addPipelineProblems(operation: OperationObject): void {
  const body: ProblemSpec =
    operation.requestBody === undefined ? {} : { 400: [CoreErrorCode.VALIDATION_FAILED] };
  addProblems(operation, body);
  addProblems(operation, PIPELINE_PROBLEMS);
}

const IF_NONE_MATCH: ParameterObject = {
  name: 'If-None-Match',
  in: 'header',
  required: false,
  description:
    'An `ETag` of an earlier 200 of this URL (or several, comma-separated, or `*`): when it ' +
    'matches the response the server would send, the answer is a 304 without a body.',
  schema: {
    type: 'string',
    maxLength: 16_384,
    pattern: '^(\\*|(W/)?"[^"]*"( *, *(W/)?"[^"]*")*)$',
  },
};

/**
 * Express tags every 200 it sends with a body (a weak `ETag` of the body unless the route
 * sets its own) and answers a `GET` whose `If-None-Match` matches with a 304 and no body.
 */
function addConditionalGet(operation: OperationObject): void {
  const ok = operation.responses['200'] as ResponseObject | undefined;
  if (ok?.content === undefined) {
    return;
  }
  const etag = ok.headers?.['ETag'] ?? headerRef('Body-ETag');
  ok.headers = { ...ok.headers, ETag: etag };
  operation.parameters = [
    ...(operation.parameters ?? []),
    { $ref: '#/components/parameters/If-None-Match' },
  ];
  operation.responses['304'] = {
    description:
      'Not Modified: `If-None-Match` matches the `ETag` the 200 would carry. No body; the ' +
      '`ETag` is repeated.',
    headers: { ETag: etag },
  };
}

// ---- Request schemas: what the validation pipe refuses ----

/** U+0000 in any string of a body or query is a 400 (`VALIDATION_FAILED`). */
const NO_NUL_PATTERN = '^[^\\u0000]*$';
/** Formats whose own grammar already excludes U+0000. */
const NUL_FREE_FORMATS = new Set(['uuid', 'date-time', 'uri']);

/** A string the validation pipe checks for U+0000 and that no pattern or enum already bounds. */
function forbidNul(schema: SchemaObject): void {
  if (
    schema.type === 'string' &&
    schema.pattern === undefined &&
    schema.enum === undefined &&
    !NUL_FREE_FORMATS.has(schema.format ?? '')
  ) {
    schema.pattern = NO_NUL_PATTERN;
  }
}

type SchemaMap = Record<string, SchemaObject | ReferenceObject>;

const refName = (ref: ReferenceObject): string => ref.$ref.replace('#/components/schemas/', '');

/** Names of the component schemas reachable from `roots`. */
function reachableSchemas(
  roots: Array<SchemaObject | ReferenceObject>,
  schemas: SchemaMap,
): Set<string> {
  const found = new Set<string>();
  const stack = [...roots];
  while (stack.length > 0) {
    const node = stack.pop() as SchemaObject | ReferenceObject;
    if ('$ref' in node) {
      const name = refName(node);
      const target = schemas[name];
      if (!found.has(name) && target !== undefined) {
        found.add(name);
        stack.push(target);
      }
      continue;
    }
    stack.push(
      ...Object.values(node.properties ?? {}),
      ...(node.items === undefined ? [] : [node.items]),
      ...(node.allOf ?? []),
      ...(node.anyOf ?? []),
      ...(node.oneOf ?? []),
    );
  }
  return found;
}

/** Every schema object inside `schema` (itself, its properties and items), refs excluded. */
function inlineSchemas(schema: SchemaObject | ReferenceObject): SchemaObject[] {
  if ('$ref' in schema) {
    return [];
  }
  return [
    schema,
    ...Object.values(schema.properties ?? {}).flatMap(inlineSchemas),
    ...(schema.items === undefined ? [] : inlineSchemas(schema.items)),
    ...(schema.allOf ?? []).flatMap(inlineSchemas),
  ];
}

function bodySchemaOf(operation: OperationObject): SchemaObject | ReferenceObject | undefined {
  const body = operation.requestBody;
  return body === undefined || '$ref' in body
    ? undefined
    : body.content['application/json']?.schema;
}

function responseSchemasOf(operation: OperationObject): Array<SchemaObject | ReferenceObject> {
  return Object.values(operation.responses).flatMap(
    (response?: ResponseObject | ReferenceObject) =>
      response === undefined || '$ref' in response
        ? []
        : Object.values(response.content ?? {}).flatMap((media) =>
            media.schema === undefined ? [] : [media.schema],
          ),
  );
}

/**
 * The global validation pipe (`forbidNonWhitelisted`) refuses unknown properties at every
 * level, and U+0000 in any string: request-body schemas say so with
 * `additionalProperties: false` and a pattern. A body class with `@RequireAnyOf()` must
 * name one of its fields (`anyOf` of `required`). String query parameters get the same
 * NUL pattern.
 */
function tightenRequestSchemas(
  document: OpenAPIObject,
  entries: Array<[Method, OperationObject]>,
): void {
  const operations = entries.map(([, operation]) => operation);
  const schemas = (document.components?.schemas ?? {}) as SchemaMap;
  const bodies = operations.flatMap((op) => {
    const schema = bodySchemaOf(op);
    return schema === undefined ? [] : [schema];
  });
  const requestNames = reachableSchemas(bodies, schemas);
  const responseNames = reachableSchemas(operations.flatMap(responseSchemasOf), schemas);
  const requestSchemas = [
    ...[...requestNames].flatMap((name) => {
      const schema = schemas[name] as SchemaObject | ReferenceObject;
      if (responseNames.has(name) && !('$ref' in schema) && schema.type === 'object') {
        throw new Error(
          `Schema ${name} is both a request body and a response: give the request its own class`,
        );
      }
      return inlineSchemas(schema);
    }),
    ...bodies.flatMap(inlineSchemas),
  ];
  for (const schema of requestSchemas) {
    if (schema.type === 'object' && schema.allOf === undefined) {
      schema.additionalProperties ??= false;
    }
    forbidNul(schema);
  }
  for (const [name, fields] of requiredAnyOfSchemas()) {
    const target = schemas[name];
    if (target !== undefined && !('$ref' in target)) {
      target.anyOf = fields.map((field) => ({ required: [field] }));
    }
  }
  for (const operation of operations) {
    for (const parameter of operation.parameters ?? []) {
      if (!('$ref' in parameter) && parameter.in === 'query' && parameter.schema !== undefined) {
        inlineSchemas(parameter.schema).forEach(forbidNul);
      }
    }
  }
}

/** Headers every response carries; rate-limit headers where the route is rate limited. */
function addCommonHeaders(operation: OperationObject): void {
  const rateLimited = operation.responses['429'] !== undefined;
  for (const [status, response] of Object.entries(operation.responses)) {
    const common: ResponseHeaderName[] = ['X-Request-Id', 'Access-Control-Allow-Origin'];
    if (rateLimited && /^[234]/.test(status)) {
      common.push(...RATE_LIMIT_HEADERS);
    }
    const target = response as ResponseObject;
    target.headers = { ...target.headers, ...responseHeaders(...common) };
  }
}

function sortKeys<T extends object>(record: T): T {
  return Object.fromEntries(
    Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  ) as T;
}

/**
 * Builds the document from the routes of `app` (decorators) plus the shared parts. Keys that
 * are maps (paths, responses, components) are sorted so the output does not depend on module
 * registration order.
 */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(app, openApiConfig(), {
    extraModels: [ProblemDetailsSchema, FieldErrorSchema],
    // Operations name themselves (`@ApiOperation({ operationId })`); this is the fallback.
    operationIdFactory: (controller, method) =>
      `${controller.replace(/Controller$/, '')}_${method}`,
  });
  const operations = operationsOf(document);
  tightenRequestSchemas(document, operations);
  for (const [method, operation] of operations) {
    // Not marked @ApiAuthenticated(): public (`npm run openapi` checks this against @Public()).
    operation.security ??= [];
    addBearerFailures(operation);
    addPipelineProblems(operation);
    if (method === 'get') {
      addConditionalGet(operation);
    }
    addCommonHeaders(operation);
    operation.responses = sortKeys(operation.responses);
  }
  document.paths = sortKeys(document.paths);
  if (document.components !== undefined) {
    const components = document.components as Record<string, object>;
    for (const [name, entries] of Object.entries(components)) {
      components[name] = sortKeys(entries);
    }
    document.components = sortKeys(components);
  }
  const { openapi, info, servers, tags, paths, components, ...rest } = document;
  return { openapi, info, servers, tags, paths, components, ...rest };
}
