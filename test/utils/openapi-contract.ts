import type { INestApplication } from '@nestjs/common';
import type {
  HeaderObject,
  OpenAPIObject,
  OperationObject,
  ReferenceObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { Response } from 'supertest';

import { createOpenApiDocument } from '@app/core';

/**
 * Checks real responses against the OpenAPI document of the running app (what
 * `createOpenApiDocument()` builds, the very document `/docs-json` serves and `npm run openapi`
 * writes): a generated client relies on it, so every status, media type, body and declared
 * header a suite sees must be one the document promises for that operation.
 */

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;
type Method = (typeof METHODS)[number];

interface Route {
  readonly method: Method;
  readonly template: string;
  readonly pattern: RegExp;
  readonly operation: OperationObject;
}

const DOCUMENT_ID = 'openapi';

/** `/api/v1/orders/{id}/cancel` → a regexp that matches a concrete path. */
function templatePattern(template: string): RegExp {
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) =>
      part.startsWith('{') ? '[^/]+' : part.replace(/[.*+?^$()|[\]\\]/g, (c) => `\\${c}`),
    )
    .join('');
  return new RegExp(`^${source}$`);
}

const isReference = (value: object): value is ReferenceObject => '$ref' in value;

/** `#/components/...` → `openapi#/components/...`, so ajv resolves refs in the registered document. */
function rebase<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value).replace(/"\$ref":"#\//g, `"$ref":"${DOCUMENT_ID}#/`),
  ) as T;
}

const mediaType = (contentType: string | undefined): string | undefined =>
  contentType?.split(';')[0]?.trim().toLowerCase();

export class OpenApiContract {
  private readonly ajv: Ajv;
  private readonly routes: Route[];
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(private readonly document: OpenAPIObject) {
    // strictRequired off: `anyOf: [{required: [name]}, …]` (a body that must name one of its
    // fields) names properties its branches do not redeclare, which is plain JSON Schema.
    this.ajv = new Ajv({
      allErrors: true,
      strict: true,
      strictTypes: false,
      strictRequired: false,
    });
    addFormats(this.ajv);
    // OpenAPI 3.0 annotations that are not JSON Schema keywords.
    this.ajv.addVocabulary(['example', 'components', 'xml', 'externalDocs', 'discriminator']);
    this.ajv.addSchema({ $id: DOCUMENT_ID, components: rebase(document.components ?? {}) });
    // Literal paths before templated ones, so `/users/me` wins over `/users/{id}`.
    this.routes = Object.entries(document.paths)
      .flatMap(([template, item]) =>
        METHODS.flatMap((method) => {
          const operation = item[method];
          return operation === undefined
            ? []
            : [{ method, template, pattern: templatePattern(template), operation }];
        }),
      )
      .sort((a, b) => Number(a.template.includes('{')) - Number(b.template.includes('{')));
  }

  static of(app: INestApplication): OpenApiContract {
    return new OpenApiContract(createOpenApiDocument(app));
  }

  /** The operation a request was routed to, as the document names it. */
  route(method: string, path: string): Route | undefined {
    const lower = method.toLowerCase();
    return this.routes.find((r) => r.method === lower && r.pattern.test(path));
  }

  /** What is wrong with `res` per the document; empty when it matches. */
  violations(res: Response): string[] {
    const url = new URL(res.request.url, 'http://127.0.0.1');
    const method = res.request.method.toUpperCase();
    const route = this.route(method, url.pathname);
    const where = `${method} ${url.pathname} → ${String(res.status)}`;
    if (route === undefined) {
      return this.unroutedViolations(res).map((v) => `${where}: ${v}`);
    }
    const operationName = `${route.method.toUpperCase()} ${route.template}`;
    const declared =
      route.operation.responses[String(res.status)] ?? route.operation.responses.default;
    if (declared === undefined) {
      return [
        `${where}: status ${String(res.status)} is not declared for ${operationName} ` +
          `(declared: ${Object.keys(route.operation.responses).join(', ')})`,
      ];
    }
    if (isReference(declared)) {
      return [`${where}: response is a $ref, which this checker does not resolve`];
    }
    const key = `${operationName} ${String(res.status)}`;
    return [
      ...this.bodyViolations(key, declared, res),
      ...this.headerViolations(declared, res),
    ].map((v) => `${where}: ${v}`);
  }

  /** Why the document's request-body schema of `method path` refuses `body`; empty if it accepts. */
  requestBodyViolations(method: string, path: string, body: unknown): string[] {
    const route = this.route(method, path);
    const requestBody = route?.operation.requestBody;
    if (route === undefined || requestBody === undefined || isReference(requestBody)) {
      throw new Error(`${method} ${path} declares no request body`);
    }
    const schema = requestBody.content['application/json']?.schema;
    if (schema === undefined) {
      throw new Error(`${method} ${path} declares no application/json request body`);
    }
    return this.validate(`${method} ${route.template} request`, schema, body).map(
      (p) => `request body${p}`,
    );
  }

  /** Throws with every violation, the body included, so a failing suite says what drifted. */
  assert(res: Response): void {
    const found = this.violations(res);
    if (found.length > 0) {
      throw new Error(
        `Response does not match the OpenAPI document:\n  ${found.join('\n  ')}\n` +
          `headers: ${JSON.stringify(res.headers)}\nbody: ${res.text.slice(0, 2000)}`,
      );
    }
  }

  /** No operation: only the document-wide 404 `ROUTE_NOT_FOUND` problem is allowed. */
  private unroutedViolations(res: Response): string[] {
    const problems: string[] = [];
    if (res.status !== 404) {
      problems.push('no operation of the document matches this method and path');
    }
    const schema = { $ref: `${DOCUMENT_ID}#/components/schemas/ProblemDetails` };
    problems.push(...this.validate('unrouted', schema, res.body).map((p) => `body${p}`));
    if (mediaType(res.headers['content-type']) !== 'application/problem+json') {
      problems.push(`content type ${String(res.headers['content-type'])} is not a problem`);
    }
    return problems;
  }

  private bodyViolations(key: string, declared: ResponseObject, res: Response): string[] {
    const contentType = mediaType(res.headers['content-type']);
    const content = declared.content ?? {};
    if (Object.keys(content).length === 0) {
      return res.text === ''
        ? []
        : [`a body is sent but none is declared: ${res.text.slice(0, 200)}`];
    }
    const media = contentType === undefined ? undefined : content[contentType];
    if (media === undefined) {
      return [
        `content type ${String(res.headers['content-type'])} is not declared ` +
          `(declared: ${Object.keys(content).join(', ')})`,
      ];
    }
    if (media.schema === undefined) {
      return [];
    }
    const json = contentType === 'application/json' || contentType?.endsWith('+json') === true;
    return this.validate(
      `${key} ${String(contentType)}`,
      media.schema,
      json ? res.body : res.text,
    ).map((p) => `body${p}`);
  }

  private headerViolations(declared: ResponseObject, res: Response): string[] {
    const problems: string[] = [];
    for (const [name, entry] of Object.entries(declared.headers ?? {})) {
      const header = this.resolveHeader(entry);
      const value = res.headers[name.toLowerCase()];
      if (value === undefined) {
        if (header.required === true) {
          problems.push(`required header ${name} is missing`);
        }
        continue;
      }
      const schema = header.schema as SchemaObject | undefined;
      if (schema !== undefined) {
        const typed = schema.type === 'integer' || schema.type === 'number' ? Number(value) : value;
        problems.push(
          ...this.validate(`header ${name} ${JSON.stringify(schema)}`, schema, typed).map(
            (p) => `header ${name}: ${JSON.stringify(value)} ${p}`,
          ),
        );
      }
    }
    return problems;
  }

  private resolveHeader(entry: HeaderObject | ReferenceObject): HeaderObject {
    if (!isReference(entry)) {
      return entry;
    }
    const name = entry.$ref.replace('#/components/headers/', '');
    const header = this.document.components?.headers?.[name];
    if (header === undefined || isReference(header)) {
      throw new Error(`unresolvable header ${entry.$ref}`);
    }
    return header;
  }

  private validate(key: string, schema: SchemaObject | ReferenceObject, value: unknown): string[] {
    let validator = this.validators.get(key);
    if (validator === undefined) {
      validator = this.ajv.compile(rebase(schema));
      this.validators.set(key, validator);
    }
    if (validator(value)) {
      return [];
    }
    return (validator.errors ?? []).map(
      (e) => `${e.instancePath} ${e.message ?? 'is invalid'} ${JSON.stringify(e.params)}`,
    );
  }
}
