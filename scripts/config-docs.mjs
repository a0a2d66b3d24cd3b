#!/usr/bin/env node
/**
 * Writes README.md's configuration table (between its config markers) and `.env.example`
 * from the config sections' declarations (src/config.ts lists them). `npm run config:docs`
 * builds first; the unit test src/config.spec.ts fails while either file is stale.
 *
 * CONFIG_DOCS_DIST_DIR points at another build output than `dist/` (to leave `dist/` alone).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = resolve(process.env.CONFIG_DOCS_DIST_DIR ?? join(root, 'dist'));
const require = createRequire(import.meta.url);

const core = require(join(dist, 'libs/core/src/index.js'));
const { CONFIG_SECTIONS } = require(join(dist, 'src/config.js'));

const readmePath = join(root, 'README.md');
const readme = readFileSync(readmePath, 'utf8');
writeFileSync(readmePath, core.withConfigTable(readme, CONFIG_SECTIONS));
writeFileSync(join(root, '.env.example'), core.renderEnvExample(CONFIG_SECTIONS));
process.stdout.write(
  `Wrote README.md's configuration table and .env.example: ${CONFIG_SECTIONS.length} sections\n`,
);
