#!/usr/bin/env bash
# npm run g:module -- invoices [--singular invoice]
# Generates a complete domain module in the house style (schematics/domain-module) and
# formats what it wrote; the result passes every CI step (scripts/check-generator.sh).
# Then: npm test -- --testPathPatterns invoices
set -euo pipefail
cd "$(dirname "$0")/.."
npx nest g -c ./schematics/collection.json domain-module "$@"
npx prettier --write --log-level warn src/app.module.ts src/modules src/database/migrations test/e2e
