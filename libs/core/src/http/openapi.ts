import type { INestApplication, Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import { DECORATORS, DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type {
  OperationObject,
  ParameterObject,
  PathItemObject,
  ReferenceObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger';

import { AppConfig } from '../config/app-config';
import { CoreErrorCode } from '../errors/core-error-codes';
import { registeredErrorCodes, type ProblemStatus } from '../errors/error-codes';
import { accessRuleOf } from '../security/access-rule';
import {
  BEARER_SCHEME,
  FieldErrorSchema,
  declaredTags,
  ProblemDetailsSchema,
  RATE_LIMIT_HEADERS,
  REQUEST_ID_PATTERN,
  formatBytes,
  formatDuration,
  headerRef,
  moduleResponseHeaders,
  resolveDocText,
  responseHeaderObjects,
  responseHeaders,
  type DocContext,
  type DocText,
  type PlatformFigures,
  type ResponseHeaderName,
} from './openapi-shared';
import {
  PIPELINE_PROBLEMS,
  mergeProblems,
  problemCodes,
  problemResponse,
  type ProblemSpec,
} from './problems';
import { routeDescription } from './route';
import { requiredAnyOfSchemas } from './validation';

export * from './openapi-shared';
export { ApiInternalErrorProblem } from './problems';

/**
 * The OpenAPI document: what `/docs-json` serves and `npm run openapi` writes to
 * `openapi.json`. Routes declare themselves with `@Route` (route.ts); the app says what it
 * is about with an `ApiDocumentInfo` provider. This file holds the mechanism only: what
 * follows from behaviour (authentication, roles, validation, the body parser, conditional
 * GETs) is derived here from the routes' behaviour, and the figures the text states come
 * from the configuration the app runs with (so `openapi.json`, built with the default
 * configuration, is reproducible, and `/docs-json` states the deployment's own figures).
 */

/** What the app says about itself in the document: provide it in the app's root module. */
export abstract class ApiDocumentInfo {
  abstract readonly title: string;
  abstract readonly version: string;
  /** Markdown: conventions, authentication, errors, limits. */
  abstract readonly description: DocText;
  /** The order of the modules' tags (`@ApiTag`) in the document; tags not listed follow. */
  abstract readonly tagOrder: readonly string[];
  /** The bearer scheme: where a token comes from and what it is. */
  abstract readonly bearerDescription: DocText;
}

/** The platform's own controllers (health, readiness, metrics). */
const OPERATIONS_TAG = {
  name: 'Operations',
  description: 'Liveness, readiness and metrics for the platform: unversioned, not rate limited.',
};

function platformFigures(config: AppConfig): PlatformFigures {
  return {
    rateLimit: `${config.rateLimit.max} per ${formatDuration(config.rateLimit.ttlMs)}`,
    bodyLimit: formatBytes(config.http.bodyLimitBytes),
  };
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

/** The document-level part: info, security scheme, shared headers and tags. */
function documentConfig(
  info: ApiDocumentInfo,
  context: DocContext,
  figures: PlatformFigures,
): Omit<OpenAPIObject, 'paths'> {
  const builder = new DocumentBuilder()
    .setTitle(info.title)
    .setDescription(resolveDocText(info.description, context))
    .setVersion(info.version)
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
        description: resolveDocText(info.bearerDescription, context),
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
    });
  const rank = (name: string): number => {
    const index = info.tagOrder.indexOf(name);
    return index === -1 ? info.tagOrder.length : index;
  };
  const tags = [...declaredTags()].sort((a, b) => rank(a.name) - rank(b.name));
  for (const tag of [...tags, OPERATIONS_TAG]) {
    builder.addTag(tag.name, tag.description);
  }
  const config = builder.build();
  return {
    ...config,
    components: {
      ...config.components,
      headers: { ...responseHeaderObjects(figures), ...moduleResponseHeaders() },
      parameters: { 'If-None-Match': IF_NONE_MATCH },
    },
  };
}

// ---- Routes: what the document derives from behaviour ----

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

/** The id an operation gets when its route names none (a route test refuses that). */
const fallbackOperationId = (controller: string, method: string): string =>
  `${controller.replace(/Controller$/, '')}_${method}`;

/** A documented route as Nest runs it. */
export interface RouteHandler {
  readonly controller: Type;
  readonly handler: object;
  readonly name: string;
  /** Its `operationId`, or undefined when it names none. */
  readonly operationId: string | undefined;
  /** `@Public()` on the handler or, failing that, on its controller. */
  readonly isPublic: boolean;
  /** `@Roles()` on the handler or, failing that, on its controller. */
  readonly roles: readonly string[] | undefined;
}

/** Handler metadata first, then the controller's: what `AccessGuard` reads. */
/** Every route of `app` that the document describes (not `@ApiExclude...`). */
export function documentedRoutes(app: INestApplication): RouteHandler[] {
  const routes: RouteHandler[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const { metatype } of module.controllers.values()) {
      const controller = metatype as Type | null;
      const excluded = Reflect.getMetadata(DECORATORS.API_EXCLUDE_CONTROLLER, controller ?? {}) as
        readonly boolean[] | undefined;
      if (controller === null || excluded?.[0] === true) {
        continue;
      }
      const prototype = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[name];
        if (
          name === 'constructor' ||
          typeof handler !== 'function' ||
          Reflect.getMetadata(PATH_METADATA, handler) === undefined ||
          Reflect.getMetadata(METHOD_METADATA, handler) === undefined ||
          (
            Reflect.getMetadata(DECORATORS.API_EXCLUDE_ENDPOINT, handler) as
              { disable?: boolean } | undefined
          )?.disable === true
        ) {
          continue;
        }
        const operation = Reflect.getMetadata(DECORATORS.API_OPERATION, handler) as
          { operationId?: string } | undefined;
        routes.push({
          controller,
          handler,
          name,
          operationId: operation?.operationId,
          ...accessRuleOf(handler, controller),
        });
      }
    }
  }
  return routes;
}

function routesByOperationId(app: INestApplication): Map<string, RouteHandler> {
  const byId = new Map<string, RouteHandler>();
  for (const route of documentedRoutes(app)) {
    const id = route.operationId ?? fallbackOperationId(route.controller.name, route.name);
    const other = byId.get(id);
    if (other !== undefined) {
      throw new Error(
        `operationId ${id} is used by ${other.controller.name}.${other.name} and ` +
          `${route.controller.name}.${route.name}`,
      );
    }
    byId.set(id, route);
  }
  return byId;
}

// ---- Problem responses ----

/** The codes of each problem response the route declared. */
function declaredProblems(operation: OperationObject): ProblemSpec {
  const spec: ProblemSpec = {};
  for (const [status, response] of Object.entries(operation.responses)) {
    const codes = problemCodes(response as ResponseObject);
    if (codes !== undefined) {
      spec[Number(status) as ProblemStatus] = codes;
    }
  }
  return spec;
}

/** Who may call the route: a bearer token and its 401 unless public, a 403 with roles. */
function accessProblems(route: RouteHandler): ProblemSpec {
  if (route.isPublic) {
    return {};
  }
  const authentication = registeredErrorCodes()
    .filter((entry) => entry.authentication)
    .map((entry) => entry.code);
  const restricted = registeredErrorCodes()
    .filter((entry) => entry.restricted)
    .map((entry) => entry.code);
  return {
    ...(authentication.length === 0 ? {} : { 401: authentication }),
    ...(route.roles === undefined ? {} : { 403: [CoreErrorCode.FORBIDDEN, ...restricted] }),
  };
}

/** The validation pipe checks every path and query parameter and every body. */
function validationProblems(operation: OperationObject): ProblemSpec {
  const validated =
    operation.requestBody !== undefined ||
    (operation.parameters ?? []).some(
      (parameter) =>
        !('$ref' in parameter) && (parameter.in === 'path' || parameter.in === 'query'),
    );
  return validated ? { 400: [CoreErrorCode.VALIDATION_FAILED] } : {};
}

/**
 * Every problem response of an operation, written out: what access control answers first,
 * then the route's own codes, then the validation pipe's and the body parser's.
 */
function writeProblems(
  operation: OperationObject,
  route: RouteHandler,
  figures: PlatformFigures,
): void {
  const problems = mergeProblems([
    accessProblems(route),
    declaredProblems(operation),
    validationProblems(operation),
    PIPELINE_PROBLEMS,
  ]);
  for (const [status, codes] of problems) {
    operation.responses[String(status)] = problemResponse(status, codes, figures);
  }
}

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
    if (target === undefined || '$ref' in target) {
      continue;
    }
    // One field to choose from is simply a required field.
    if (fields.length === 1) {
      target.required = [...new Set([...(target.required ?? []), ...fields])];
    } else {
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
 * Builds the document from the routes of `app` plus the shared parts. Keys that are maps
 * (paths, responses, components, operations) are sorted so the output does not depend on
 * module registration order.
 */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  const context: DocContext = { config: (token) => app.get(token, { strict: false }) };
  const figures = platformFigures(app.get(AppConfig, { strict: false }));
  const info = app.get(ApiDocumentInfo, { strict: false });
  const document = SwaggerModule.createDocument(app, documentConfig(info, context, figures), {
    extraModels: [ProblemDetailsSchema, FieldErrorSchema],
    // Routes name their operations (`@Route({ operationId })`); this is the fallback.
    operationIdFactory: fallbackOperationId,
  });
  const routes = routesByOperationId(app);
  const operations = operationsOf(document);
  tightenRequestSchemas(document, operations);
  for (const [method, operation] of operations) {
    const route = routes.get(operation.operationId ?? '');
    if (route === undefined) {
      throw new Error(`No route found for operation ${String(operation.operationId)}`);
    }
    const description = routeDescription(route.handler);
    if (description !== undefined) {
      operation.description = description(context);
    }
    operation.security = route.isPublic ? [] : [{ [BEARER_SCHEME]: [] }];
    writeProblems(operation, route, figures);
    if (method === 'get') {
      addConditionalGet(operation);
    }
    addCommonHeaders(operation);
    operation.responses = sortKeys(operation.responses);
  }
  for (const item of Object.values<PathItemObject>(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (operation !== undefined) {
        item[method] = sortKeys(operation);
      }
    }
  }
  document.paths = sortKeys(document.paths);
  if (document.components !== undefined) {
    const components = document.components as Record<string, object>;
    for (const [name, entries] of Object.entries(components)) {
      components[name] = sortKeys(entries);
    }
    document.components = sortKeys(components);
  }
  const { openapi, info: documentInfo, servers, tags, paths, components, ...rest } = document;
  return { openapi, info: documentInfo, servers, tags, paths, components, ...rest };
}
