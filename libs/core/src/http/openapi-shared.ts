import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiSchema, ApiTags } from '@nestjs/swagger';
import type { HeaderObject, ReferenceObject, SchemaObject } from '@nestjs/swagger';

/**
 * What the parts of the OpenAPI document share: the schemas every route may answer with,
 * the response headers declared once in `components.headers`, and the text helpers that
 * put the app's configured figures into descriptions. Mechanism only: what the app is
 * about is the app's (`ApiDocumentInfo`, the routes' own `@Route` declarations).
 */

export const BEARER_SCHEME = 'bearer';
export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

export const UUID_EXAMPLE = '0190c4b2-6c1e-7d2a-9a53-3f0c5e4b8a11';
export const REQUEST_ID_PATTERN = '^[A-Za-z0-9._-]{1,128}$';

// ---- Text with the app's figures ----

/**
 * Resolves configuration while the document is built: `config(AppConfig)` or a module's
 * config class, as the app the document describes was started with.
 */
export interface DocContext {
  readonly config: <T>(token: abstract new (...args: never[]) => T) => T;
}

/** A description: fixed text, or text with configured figures in it. */
export type DocText = string | ((context: DocContext) => string);

export const resolveDocText = (text: DocText, context: DocContext): string =>
  typeof text === 'string' ? text : text(context);

const plural = (n: number, unit: string): string => `${n} ${unit}${n === 1 ? '' : 's'}`;

/** `900_000` → `15 minutes`; the largest whole unit (hours, minutes, seconds, ms). */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) {
    return plural(ms / 3_600_000, 'hour');
  }
  if (ms % 60_000 === 0) {
    return plural(ms / 60_000, 'minute');
  }
  return ms % 1_000 === 0 ? plural(ms / 1_000, 'second') : `${ms} ms`;
}

/** `102_400` → `100 kB` (kB of 1024 bytes, as the body parser counts); bytes otherwise. */
export const formatBytes = (bytes: number): string =>
  bytes % 1024 === 0 ? `${bytes / 1024} kB` : plural(bytes, 'byte');

/** The platform's configured figures that its own descriptions state. */
export interface PlatformFigures {
  /** `100 per 15 minutes` */
  readonly rateLimit: string;
  /** `100 kB` */
  readonly bodyLimit: string;
}

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

// ---- Tags ----

export interface DocumentTag {
  readonly name: string;
  readonly description: string;
}

const tags = new Map<string, DocumentTag>();

/**
 * Tags a controller's operations and describes the tag, once, where the module is: the
 * document lists every tag declared this way (in `ApiDocumentInfo.tagOrder`).
 */
export function ApiTag(name: string, description: string): ClassDecorator {
  const known = tags.get(name);
  if (known !== undefined && known.description !== description) {
    throw new Error(`Tag ${name} is described twice`);
  }
  tags.set(name, { name, description });
  return applyDecorators(ApiTags(name));
}

/** The tags controllers declared, in declaration order. */
export const declaredTags = (): readonly DocumentTag[] => [...tags.values()];

// ---- Headers ----

export const RESPONSE_HEADER_NAMES = [
  'X-Request-Id',
  'Access-Control-Allow-Origin',
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
  'Retry-After',
  'WWW-Authenticate',
  'Location',
  'Body-ETag',
] as const;

/** A header the platform declares. */
export type ResponseHeaderName = (typeof RESPONSE_HEADER_NAMES)[number];

/** A header a module declares for its own routes (`defineResponseHeader()`). */
export interface ModuleResponseHeader {
  readonly name: string;
  readonly header: HeaderObject;
}

/** What a route's response may name: a platform header or a module's. */
export type ResponseHeader = ResponseHeaderName | ModuleResponseHeader;

const moduleHeaders = new Map<string, HeaderObject>();

/**
 * Declares a response header of a module's routes, e.g. the `ETag` that is an order's
 * version: listed once in `components.headers`, referenced by the routes that name it.
 */
export function defineResponseHeader(name: string, header: HeaderObject): ModuleResponseHeader {
  const known = moduleHeaders.get(name);
  if (
    (RESPONSE_HEADER_NAMES as readonly string[]).includes(name) ||
    (known !== undefined && JSON.stringify(known) !== JSON.stringify(header))
  ) {
    throw new Error(`Response header ${name} is declared twice`);
  }
  moduleHeaders.set(name, header);
  return { name, header };
}

/** The headers modules declared. */
export const moduleResponseHeaders = (): Record<string, HeaderObject> =>
  Object.fromEntries(moduleHeaders);

const headerName = (header: ResponseHeader): string =>
  typeof header === 'string' ? header : header.name;

export const headerRef = (header: ResponseHeader): ReferenceObject => ({
  $ref: `#/components/headers/${headerName(header)}`,
});

const SAFE_INTEGER: SchemaObject = {
  type: 'integer',
  format: 'int64',
  minimum: 0,
  maximum: Number.MAX_SAFE_INTEGER,
};

/** The headers the document declares once (`components.headers`), with the app's figures. */
export function responseHeaderObjects(
  figures: PlatformFigures,
): Record<ResponseHeaderName, HeaderObject> {
  return {
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
        `Requests allowed per client address in the current window (\`RATE_LIMIT_MAX\`, ` +
        `${figures.rateLimit} as configured). Sent once the request has reached the rate ` +
        'limiter, so not on errors raised while reading the body (400 `MALFORMED_JSON`, 413, 415).',
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
    'Body-ETag': {
      description:
        'Sent as `ETag` on every 200 of a `GET` without an entity tag of its own: a weak tag of ' +
        'the body (`W/"<length>-<hash>"`). Send it back in `If-None-Match` to get a 304 without ' +
        'a body while the response would be the same.',
      required: true,
      schema: { type: 'string', maxLength: 64, pattern: '^W/"[0-9a-f]{1,16}-[A-Za-z0-9+/]{27}"$' },
    },
  };
}

/** Response headers for `@ApiOkResponse({ headers: responseHeaders('Retry-After') })`. */
export function responseHeaders(...headers: ResponseHeader[]): Record<string, ReferenceObject> {
  return Object.fromEntries(headers.map((header) => [headerName(header), headerRef(header)]));
}

export const RATE_LIMIT_HEADERS: readonly ResponseHeaderName[] = [
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
];
