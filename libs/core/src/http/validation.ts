import {
  applyDecorators,
  Param,
  ParseUUIDPipe,
  ValidationPipe,
  type ArgumentMetadata,
} from '@nestjs/common';
import { ApiParam, ApiProperty, DECORATORS, type ApiPropertyOptions } from '@nestjs/swagger';
import {
  IsDefined,
  ValidateIf,
  type ValidationError as ClassValidatorError,
} from 'class-validator';

import { RequestValidationError, type FieldError } from '../errors/app-error';
import { UUID_EXAMPLE } from './openapi-shared';

/** Flattens class-validator's tree into one entry per failing field, with dotted paths. */
export function flattenValidationErrors(
  errors: readonly ClassValidatorError[],
  parent = '',
): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = parent === '' ? error.property : `${parent}.${error.property}`;
    const messages = Object.values(error.constraints ?? {});
    if (messages[0] !== undefined) {
      out.push({ field, message: messages[0] });
    }
    if (error.children !== undefined && error.children.length > 0) {
      out.push(...flattenValidationErrors(error.children, field));
    }
  }
  return out;
}

/**
 * Keys that name the prototype chain. `JSON.parse` and the query parser keep them as own
 * keys, and Nest's pipe deletes them before `forbidNonWhitelisted` looks: they would be
 * dropped without a word, so they are refused like any other unknown field.
 */
const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

const INDEX = /^\d+$/;

/** The name a message uses for a path: `items.0.name` → `name`, `q.1` → `q`. */
function labelOf(path: readonly string[]): string {
  return path.findLast((segment) => !INDEX.test(segment)) ?? 'value';
}

/**
 * What class-validator cannot see, checked on the raw input (body or query) before
 * anything transforms it: prototype keys at any depth, and NUL (U+0000) in any string,
 * which PostgreSQL refuses in text (a 500 otherwise). Walked iteratively in document order;
 * the body parser has already bounded size and depth.
 */
function findUnsafeInput(value: unknown, root?: string): FieldError[] {
  const out: FieldError[] = [];
  const stack: Array<[unknown, readonly string[]]> = [
    [value, root === undefined || root === '' ? [] : [root]],
  ];
  while (stack.length > 0) {
    const [node, path] = stack.pop() as [unknown, readonly string[]];
    if (typeof node === 'string') {
      if (node.includes('\u0000')) {
        const message = `${labelOf(path)} must not contain NUL characters (U+0000)`;
        out.push({ field: path.join('.') || 'value', message });
      }
      continue;
    }
    if (typeof node !== 'object' || node === null) {
      continue;
    }
    const children: Array<[unknown, readonly string[]]> = [];
    for (const key of Object.keys(node)) {
      if (PROTOTYPE_KEYS.has(key)) {
        out.push({ field: [...path, key].join('.'), message: `property ${key} should not exist` });
        continue;
      }
      children.push([(node as Record<string, unknown>)[key], [...path, key]]);
    }
    stack.push(...children.reverse());
  }
  return out;
}

/** One entry per field: the raw-input finding wins over class-validator's for the same field. */
function mergeFieldErrors(first: readonly FieldError[], then: readonly FieldError[]): FieldError[] {
  const named = new Set(first.map((error) => error.field));
  return [...first, ...then.filter((error) => !named.has(error.field))];
}

/** DTO classes that carry `@RequireAnyOf()`; classes live as long as the process. */
const REQUIRED_ANY_OF = new Map<object, readonly string[]>();

/**
 * A body that must name at least one of `fields` (PATCH): `{}`, or a body with none of
 * them, is a 400 naming `body`. Checked by the global pipe once the fields themselves are
 * valid, so an empty change never reaches a service or a database. The OpenAPI document
 * says the same from this declaration (`requiredAnyOfSchemas()`).
 */
export function RequireAnyOf<T extends object>(
  ...fields: ReadonlyArray<Extract<keyof T, string>>
): ClassDecorator {
  return (target) => {
    REQUIRED_ANY_OF.set(target, fields);
  };
}

/** The fields a DTO class (or a class it extends) requires one of, if any. */
function requiredAnyOf(metatype: ArgumentMetadata['metatype']): readonly string[] | undefined {
  for (
    let type: unknown = metatype;
    typeof type === 'function';
    type = Object.getPrototypeOf(type)
  ) {
    const fields = REQUIRED_ANY_OF.get(type);
    if (fields !== undefined) {
      return fields;
    }
  }
  return undefined;
}

/**
 * Every `@RequireAnyOf()` by the OpenAPI schema name of its class (its `@ApiSchema` name,
 * else the class name, as @nestjs/swagger names it), for the document to declare.
 */
export function requiredAnyOfSchemas(): ReadonlyMap<string, readonly string[]> {
  const byName = new Map<string, readonly string[]>();
  for (const [type, fields] of REQUIRED_ANY_OF) {
    const declared = Reflect.getOwnMetadata(DECORATORS.API_SCHEMA, type) as
      ReadonlyArray<{ readonly name?: string }> | undefined;
    byName.set(declared?.at(-1)?.name ?? (type as { name: string }).name, fields);
  }
  return byName;
}

function checkRequiredAnyOf(metatype: ArgumentMetadata['metatype'], dto: unknown): void {
  const fields = requiredAnyOf(metatype);
  if (fields === undefined || typeof dto !== 'object' || dto === null) {
    return;
  }
  const values = dto as Record<string, unknown>;
  if (!fields.some((field) => values[field] !== undefined)) {
    throw new RequestValidationError([
      { field: 'body', message: `send at least one of ${fields.join(', ')}` },
    ]);
  }
}

/**
 * The house "optional": the field may be left out, but not sent as `null` (class-validator's
 * `@IsOptional()` lets `null` through to a NOT NULL column). Documents the field as not
 * required; it stays non-nullable in the OpenAPI document.
 */
export function OptionalNotNull(): PropertyDecorator {
  return applyDecorators(
    ValidateIf((_dto: unknown, value: unknown) => value !== undefined),
    // IS_DEFINED rules run before the others, so `null` gets this message, not a type error.
    IsDefined({ message: '$property must not be null' }),
    ApiProperty({ required: false }),
  );
}

/**
 * The global pipe: unknown fields are rejected, payloads are transformed into DTO classes,
 * and the raw input is checked first for what the transformation would hide or PostgreSQL
 * would refuse (see findUnsafeInput).
 */
export class AppValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      transform: true,
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => new RequestValidationError(flattenValidationErrors(errors)),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const unsafe =
      metadata.type === 'body' || metadata.type === 'query'
        ? findUnsafeInput(value, metadata.data)
        : [];
    let dto: unknown;
    try {
      dto = (await super.transform(value, metadata)) as unknown;
    } catch (error) {
      if (unsafe.length > 0 && error instanceof RequestValidationError) {
        throw new RequestValidationError(mergeFieldErrors(unsafe, error.fieldErrors));
      }
      throw error;
    }
    if (unsafe.length > 0) {
      throw new RequestValidationError(unsafe);
    }
    if (metadata.type === 'body') {
      checkRequiredAnyOf(metadata.metatype, dto);
    }
    return dto;
  }
}

/**
 * A parameter decorator that also documents what it reads: `doc` (`ApiHeader`, `ApiParam`...)
 * is applied to the handler, so the parameter and its documentation are one declaration.
 */
export function documentedParam(
  param: ParameterDecorator,
  doc: MethodDecorator,
): ParameterDecorator {
  return (target, key, index) => {
    param(target, key, index);
    const descriptor = key === undefined ? undefined : Object.getOwnPropertyDescriptor(target, key);
    if (key === undefined || descriptor === undefined) {
      throw new TypeError('A documented parameter decorates a handler parameter');
    }
    doc(target, key, descriptor);
  };
}

/**
 * A UUID path parameter (v4 or v7), documented with `description`; anything else is a 400
 * naming the parameter.
 */
export function IdParam(description: string, name = 'id'): ParameterDecorator {
  return documentedParam(
    Param(
      name,
      new ParseUUIDPipe({
        exceptionFactory: () =>
          new RequestValidationError([{ field: name, message: `${name} must be a UUID` }]),
      }),
    ),
    ApiParam({
      name,
      description: `${description} A malformed id is a 400 naming \`${name}\`.`,
      schema: { type: 'string', format: 'uuid', maxLength: 36, example: UUID_EXAMPLE },
    }),
  );
}

/**
 * One decorator for a request field: `schema` is what the document says, `validators` what
 * the pipe checks, in priority order (when several fail, the first one's message is the
 * field's). Keep the bounds in one constant that both use. An optional field passes
 * `OptionalNotNull()` and `required: false`.
 */
export function Field(
  schema: ApiPropertyOptions,
  ...validators: readonly PropertyDecorator[]
): PropertyDecorator {
  return applyDecorators(...validators, ApiProperty(schema));
}
