#!/usr/bin/env node
/**
 * Writes the OpenAPI document of the built app to `openapi.json` (or the path given as the
 * first argument). `npm run openapi` builds first; CI then checks that the committed file
 * is not stale (`git diff --exit-code openapi.json`).
 *
 * The app runs on embedded, in-memory Postgres with a fixed configuration that ignores the
 * environment and `.env`, so the document is the same on every machine. It is the very
 * document `/docs-json` serves (`createOpenApiDocument()`).
 *
 * Before writing, it checks the error codes: every code the document names must exist in
 * the code tables, and every code of the tables must be documented somewhere.
 *
 * OPENAPI_DIST_DIR points at another build output than `dist/` (to leave `dist/` alone).
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = resolve(process.env.OPENAPI_DIST_DIR ?? join(root, 'dist'));
const output = resolve(process.argv[2] ?? join(root, 'openapi.json'));
const require = createRequire(import.meta.url);

/** Codes that exist outside the `*ErrorCode` tables, and where. */
const CODES_OUTSIDE_TABLES = {};

function knownCodes(core) {
  const tables = [
    core.CoreErrorCode,
    require(join(dist, 'src/modules/auth/auth.errors.js')).AuthErrorCode,
    require(join(dist, 'src/modules/users/users.errors.js')).UsersErrorCode,
    require(join(dist, 'src/modules/catalog/catalog.errors.js')).CatalogErrorCode,
    require(join(dist, 'src/modules/orders/orders.errors.js')).OrdersErrorCode,
  ];
  return new Set([
    ...tables.flatMap((table) => Object.values(table)),
    ...Object.keys(CODES_OUTSIDE_TABLES),
  ]);
}

/** Every `code` enum of every problem response. */
function documentedCodes(document) {
  const codes = new Set();
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item)) {
      for (const response of Object.values(operation.responses ?? {})) {
        const schema = response.content?.['application/problem+json']?.schema;
        for (const part of schema?.allOf ?? []) {
          for (const code of part.properties?.code?.enum ?? []) {
            codes.add(code);
          }
        }
      }
    }
  }
  return codes;
}

function checkCodes(document, known) {
  const inResponses = documentedCodes(document);
  const unknown = [...inResponses].filter((code) => !known.has(code));
  const undocumented = [...known].filter(
    (code) => !inResponses.has(code) && !document.info.description.includes(`\`${code}\``),
  );
  const problems = [
    ...unknown.map((code) => `documented but not a known error code: ${code}`),
    ...undocumented.map((code) => `error code not documented by any response: ${code}`),
  ];
  if (problems.length > 0) {
    throw new Error(`OpenAPI error codes are out of date:\n  ${problems.join('\n  ')}`);
  }
}

/**
 * The routes as Nest sees them must match the document: a route is documented as needing
 * a bearer token exactly when it is not @Public(), every route names itself with
 * @ApiOperation({ operationId }), and @Roles() routes document their 403.
 */
function checkRoutes(app, core) {
  const { ModulesContainer } = require('@nestjs/core');
  const meta = (key, handler, controller) =>
    Reflect.getMetadata(key, handler) ?? Reflect.getMetadata(key, controller);
  const problems = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const { metatype: controller } of module.controllers.values()) {
      if (Reflect.getMetadata('swagger/apiExcludeController', controller)?.[0] === true) {
        continue;
      }
      const prototype = controller.prototype;
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[name];
        if (name === 'constructor' || Reflect.getMetadata('method', handler) === undefined) {
          continue;
        }
        const route = `${controller.name}.${name}`;
        const isPublic = meta(core.IS_PUBLIC_KEY, handler, controller) === true;
        const security = [
          ...(Reflect.getMetadata('swagger/apiSecurity', handler) ?? []),
          ...(Reflect.getMetadata('swagger/apiSecurity', controller) ?? []),
        ];
        const bearer = security.some((requirement) => core.BEARER_SCHEME in requirement);
        if (isPublic === bearer) {
          problems.push(
            isPublic
              ? `${route} is @Public() but documented with @ApiAuthenticated()`
              : `${route} needs a token but lacks @ApiAuthenticated()`,
          );
        }
        if (Reflect.getMetadata('swagger/apiOperation', handler)?.operationId === undefined) {
          problems.push(`${route} lacks @ApiOperation({ operationId })`);
        }
        const responses = Reflect.getMetadata('swagger/apiResponse', handler) ?? {};
        if (meta(core.ROLES_KEY, handler, controller) !== undefined && !('403' in responses)) {
          problems.push(`${route} has @Roles() but documents no 403 (add ROLE_PROBLEMS)`);
        }
      }
    }
  }
  if (problems.length > 0) {
    throw new Error(`The OpenAPI decorators do not match the routes:\n  ${problems.join('\n  ')}`);
  }
}

async function main() {
  const { createApp } = require(join(dist, 'src/bootstrap.js'));
  const core = require(join(dist, 'libs/core/src/index.js'));
  const config = core.loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: 'pglite://memory',
    JWT_SECRET: 'openapi-generation-only-not-a-real-secret-0123456789',
    LOG_LEVEL: 'silent',
    DOCS_ENABLED: 'true',
  });
  const app = await createApp({ config });
  try {
    const document = core.createOpenApiDocument(app);
    checkRoutes(app, core);
    checkCodes(document, knownCodes(core));
    writeFileSync(output, `${JSON.stringify(document, null, 2)}\n`);
    process.stdout.write(`Wrote ${output}: ${Object.keys(document.paths).length} paths\n`);
  } finally {
    await app.close();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
