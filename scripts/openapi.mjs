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
 * Before writing, it checks the error codes: every code the document names must be declared
 * in a code table (`defineErrorCodes()`, which registers every table as its module loads),
 * and every declared code must be documented somewhere. How routes are documented
 * (security, 401, 403) follows from their behaviour when the document is built; that every
 * route names its operation is a test (test/e2e/contract.e2e-spec.ts).
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

/** Every code of every table the app loaded. */
const knownCodes = (core) => new Set(core.registeredErrorCodes().map((entry) => entry.code));

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

async function main() {
  const { createApp } = require(join(dist, 'src/bootstrap.js'));
  const core = require(join(dist, 'libs/core/src/index.js'));
  const { loadAppConfig } = require(join(dist, 'src/config.js'));
  const config = loadAppConfig({
    NODE_ENV: 'test',
    DATABASE_URL: 'pglite://memory',
    JWT_SECRET: 'openapi-generation-only-not-a-real-secret-0123456789',
    LOG_LEVEL: 'silent',
    DOCS_ENABLED: 'true',
  });
  const app = await createApp({ config });
  try {
    const document = core.createOpenApiDocument(app);
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
