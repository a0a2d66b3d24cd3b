import {
  applyDecorators,
  Delete,
  Get,
  Header,
  HttpCode,
  Patch,
  Post,
  Put,
  type Type,
} from '@nestjs/common';
import {
  ApiExtraModels,
  ApiOperation,
  ApiProperty,
  ApiQuery,
  ApiResponse,
  ApiSchema,
  getSchemaPath,
} from '@nestjs/swagger';

import type { ErrorCode } from '../errors/error-codes';
import { Roles, type Role } from '../security/auth-context';
import { Public } from '../security/public.decorator';
import { responseHeaders, type DocText, type ResponseHeader } from './openapi-shared';
import { PAGE_QUERY } from './pagination';
import { ApiProblems, BASELINE_PROBLEMS, problemsOf } from './problems';

/**
 * One decorator per handler that declares what the route does and documents it from the
 * same declaration:
 *
 * ```ts
 * @Route.Post(':id/cancel', {
 *   operationId: 'cancelOrder',
 *   summary: 'Cancel an order',
 *   status: 200,
 *   response: { type: OrderResponse, description: 'The cancelled order.' },
 *   errors: [OrdersErrorCode.ORDER_NOT_FOUND],
 * })
 * ```
 *
 * It routes (method, path, status), restricts (`public`, `roles`), names the operation, and
 * documents the success response and the route's error codes under the statuses their
 * tables declare. Everything that follows from behaviour is added when the document is
 * built, from the behaviour itself: the bearer requirement and its 401 on every route that
 * is not public, the 403 of routes with roles, the 400 of routes with parameters or a body,
 * the body parser's problems, conditional GETs (`createOpenApiDocument()`).
 */

export type SuccessStatus = 200 | 201 | 202 | 204;

export type RouteResponse =
  | {
      /** The body's class (`dto/*.response.ts`); none for a 204. */
      readonly type?: Type;
      /** The body is an array of at most `maxItems` of `type` (a short list, never paged). */
      readonly maxItems?: number;
      readonly description: string;
      readonly headers?: readonly ResponseHeader[];
    }
  | {
      /** One of these bodies (a login: a token pair, or the second factor's challenge). */
      readonly oneOf: readonly [Type, Type, ...Type[]];
      readonly description: string;
    }
  | {
      /** A page of these (`Page<T>`), with `?limit=&cursor=`, as the schema named `schema`. */
      readonly page: Type;
      readonly schema: string;
      readonly description: string;
    };

interface RouteDeclaration {
  /** The operation's stable name (generated clients' method names). */
  readonly operationId: string;
  readonly summary: string;
  /** What a client needs to know beyond the summary (Markdown). */
  readonly description: DocText;
  /** The success status: 201 for POST and 200 for the rest unless given. */
  readonly status?: SuccessStatus;
  readonly response: RouteResponse;
  /** The route's own error codes; each is documented under the status its table declares. */
  readonly errors?: readonly ErrorCode[];
  /**
   * The success body carries credentials or secrets (tokens, a TOTP secret, recovery codes):
   * `Cache-Control: no-store`, so no cache or history keeps it (RFC 6749 §5.1).
   */
  readonly noStore?: true;
}

/** Who may call it: everyone (`public`), or every authenticated caller, or only `roles`. */
type RouteAccess =
  | { readonly public: true; readonly roles?: never }
  | { readonly public?: never; readonly roles?: readonly [Role, ...Role[]] };

export type RouteSpec = RouteDeclaration & RouteAccess;

// ---- Pages ----

/** `?limit=&cursor=` of `PageQueryDto`. */
const ApiPageQuery = (): MethodDecorator =>
  applyDecorators(
    ApiQuery({
      name: 'limit',
      required: false,
      description: 'Page size.',
      schema: {
        type: 'integer',
        format: 'int32',
        minimum: 1,
        maximum: PAGE_QUERY.maxLimit,
        default: PAGE_QUERY.defaultLimit,
      },
    }),
    ApiQuery({
      name: 'cursor',
      required: false,
      description:
        'Opaque: the `nextCursor` of the previous page. A cursor that was not issued by the ' +
        'service is a 400 naming `cursor`.',
      schema: {
        type: 'string',
        maxLength: PAGE_QUERY.maxCursorLength,
        pattern: '^[A-Za-z0-9_-]+$',
      },
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
    @ApiProperty({ type: () => model, isArray: true, maxItems: PAGE_QUERY.maxLimit })
    readonly data!: unknown[];

    @ApiProperty({
      type: String,
      nullable: true,
      maxLength: PAGE_QUERY.maxCursorLength,
      pattern: '^[A-Za-z0-9_-]+$',
      description: 'Pass as `?cursor=` for the next page; `null` on the last page.',
    })
    readonly nextCursor!: string | null;
  }
  pageSchemas.set(name, PageSchema);
  return PageSchema;
}

function successResponse(status: SuccessStatus, response: RouteResponse): MethodDecorator {
  if ('oneOf' in response) {
    return applyDecorators(
      ApiExtraModels(...response.oneOf),
      ApiResponse({
        status,
        description: response.description,
        schema: { oneOf: response.oneOf.map((model) => ({ $ref: getSchemaPath(model) })) },
      }),
    );
  }
  if ('page' in response) {
    return applyDecorators(
      ApiPageQuery(),
      ApiResponse({
        status,
        type: pageSchema(response.page, response.schema),
        description: response.description,
      }),
    );
  }
  if (response.maxItems !== undefined && response.type !== undefined) {
    const items = response.type;
    return applyDecorators(
      ApiExtraModels(items),
      ApiResponse({
        status,
        description: response.description,
        schema: {
          type: 'array',
          maxItems: response.maxItems,
          items: { $ref: getSchemaPath(items) },
        },
      }),
    );
  }
  return ApiResponse({
    status,
    description: response.description,
    ...(response.type === undefined ? {} : { type: response.type }),
    ...(response.headers === undefined ? {} : { headers: responseHeaders(...response.headers) }),
  });
}

// ---- The decorator ----

/** Descriptions with configured figures, by handler: resolved when the document is built. */
const descriptions = new WeakMap<object, Exclude<DocText, string>>();

/** The description of a handler that states configured figures, if it has one. */
export const routeDescription = (handler: object): Exclude<DocText, string> | undefined =>
  descriptions.get(handler);

const METHODS = { GET: Get, POST: Post, PUT: Put, PATCH: Patch, DELETE: Delete } as const;

function route(method: keyof typeof METHODS, path: string, spec: RouteSpec): MethodDecorator {
  const status = spec.status ?? (method === 'POST' ? 201 : 200);
  const decorators = [
    METHODS[method](path),
    HttpCode(status),
    ApiOperation({
      operationId: spec.operationId,
      summary: spec.summary,
      description: typeof spec.description === 'string' ? spec.description : '',
    }),
    successResponse(status, spec.response),
    ...(spec.noStore === true ? [Header('Cache-Control', 'no-store')] : []),
    ApiProblems(problemsOf(spec.errors ?? []), BASELINE_PROBLEMS),
    ...(spec.public === true ? [Public()] : []),
    ...(spec.roles === undefined ? [] : [Roles(...spec.roles)]),
  ];
  return (target, key, descriptor) => {
    applyDecorators(...decorators)(target, key, descriptor);
    if (typeof spec.description === 'function') {
      descriptions.set(descriptor.value as object, spec.description);
    }
  };
}

interface RouteMethod {
  /** At the controller's own path. */
  (spec: RouteSpec): MethodDecorator;
  /** At `path` under the controller's path (`':id'`, `':id/cancel'`). */
  (path: string, spec: RouteSpec): MethodDecorator;
}

function routeMethod(method: keyof typeof METHODS): RouteMethod {
  function decorate(spec: RouteSpec): MethodDecorator;
  function decorate(path: string, spec: RouteSpec): MethodDecorator;
  function decorate(first: string | RouteSpec, second?: RouteSpec): MethodDecorator {
    if (typeof first !== 'string') {
      return route(method, '/', first);
    }
    if (second === undefined) {
      throw new TypeError(`@Route.${method}('${first}') needs its declaration`);
    }
    return route(method, first, second);
  }
  return decorate;
}

/** `@Route.Get(...)`, `@Route.Post(...)`...: see above. */
export const Route = {
  Get: routeMethod('GET'),
  Post: routeMethod('POST'),
  Put: routeMethod('PUT'),
  Patch: routeMethod('PATCH'),
  Delete: routeMethod('DELETE'),
} as const;
