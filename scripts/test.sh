#!/usr/bin/env bash
# The one test command (`npm test`): static checks, then every Jest project.
# Needs PostgreSQL (TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres)
# and Redis (TEST_REDIS_URL, default redis://127.0.0.1:6379). Extra args go to Jest.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== typecheck"; npm run --silent typecheck
echo "== lint"; npm run --silent lint
echo "== architecture"; npm run --silent lint:arch
echo "== format"; npm run --silent format:check
echo "== build (process suites run the built server)"; npm run --silent build
echo "== jest"
# PGlite's CommonJS build uses dynamic import(): Jest needs VM modules for it.
NODE_OPTIONS="--experimental-vm-modules ${NODE_OPTIONS:-}" TZ=UTC \
  npx jest --maxWorkers=2 "$@"
