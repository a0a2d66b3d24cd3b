#!/usr/bin/env bash
# Keeps the domain-module generator and CI from disagreeing: generate a throwaway module into
# a temporary copy of the repository and run on it every step of .ci/run that looks at code
# (the steps of `npm test`, the migration drift check, the OpenAPI document and its lint),
# with the very npm scripts CI runs. The suites run are the generated module's own and the
# contract suite, which checks every route of the app (the new ones included) against the
# document. Only installing, auditing, the deployment manifests and the image are left out:
# the generator changes no dependency and no deployment file.
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
step() { echo "== generator check: $*"; }

git ls-files -co --exclude-standard | grep -v -e '^node_modules' -e '^dist/' | tar -cf - -T - | tar -xf - -C "$work"
ln -s "$repo/node_modules" "$work/node_modules"
cd "$work"

step "generate"
npm run --silent g:module -- gadgets </dev/null
test -f src/modules/gadgets/gadgets.module.ts
grep -q "GadgetsModule" src/app.module.ts

step "typecheck"; npm run --silent typecheck
step "lint"; npm run --silent lint
step "architecture"; npm run --silent lint:arch
step "format"; npm run --silent format:check
step "unit and e2e (the module's suites, and the contract suite over every route)"
NODE_OPTIONS="--experimental-vm-modules ${NODE_OPTIONS:-}" TZ=UTC \
  npx jest --selectProjects unit e2e --testPathPatterns gadgets contract

step "migration drift"
psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db"
DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db" LOG_LEVEL=warn npm run --silent migration:check

step "OpenAPI document (the module's routes and codes included) and its lint"
npm run --silent openapi
grep -q '"/api/v1/gadgets/{id}"' openapi.json
npm run --silent openapi:lint
echo "generator check passed"
