#!/usr/bin/env bash
# Keeps the domain-module generator from rotting: generate a throwaway module into a
# temporary copy of the repository, then typecheck, lint, format-check, run its unit and
# e2e specs on PostgreSQL, and check that its migration matches its entity.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=$(mktemp -d)
db="gen_check_$$"
cleanup() {
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

git ls-files -co --exclude-standard | grep -v -e '^openapi.json$' -e '^node_modules' -e '^dist/' | tar -cf - -T - | tar -xf - -C "$work"
ln -s "$repo/node_modules" "$work/node_modules"
cd "$work"

npm run --silent g:module -- gadgets </dev/null
test -f src/modules/gadgets/gadgets.module.ts
grep -q "GadgetsModule" src/app.module.ts

generated=(src/modules/gadgets test/e2e/gadgets.e2e-spec.ts src/database/migrations src/app.module.ts)
npx prettier --check --log-level warn "${generated[@]}"
npx tsc --noEmit -p tsconfig.json
npx eslint "${generated[@]}"
npx depcruise src libs --config .dependency-cruiser.cjs >/dev/null
NODE_OPTIONS=--experimental-vm-modules TZ=UTC npx jest --selectProjects unit e2e --testPathPatterns gadgets

psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db"
DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db" LOG_LEVEL=warn npm run --silent migration:check
echo "generator check passed"
