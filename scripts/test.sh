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
# PGlite's CommonJS build uses dynamic import(): Jest needs VM modules for it.
export NODE_OPTIONS="--experimental-vm-modules ${NODE_OPTIONS:-}" TZ=UTC
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
if [ "$#" -gt 0 ]; then
  echo "== jest $*"
  npx jest --maxWorkers=2 --json --outputFile="$results/all.json" "$@"
else
  echo "== jest: unit, integration and e2e (two workers)"
  npx jest --selectProjects unit integration e2e --maxWorkers=2 --json --outputFile="$results/e2e.json"
  # One at a time: these time real processes (drains, deadlines, respawns) and must not
  # compete with the e2e suites for the two cores.
  echo "== jest: process (built server as a child process, one suite at a time)"
  npx jest --selectProjects process --runInBand --json --outputFile="$results/process.json"
fi
# One closing line for every Jest run above.
node -e '
  const fs = require("node:fs");
  let passed = 0, failed = 0;
  for (const f of fs.readdirSync(process.argv[1])) {
    const r = JSON.parse(fs.readFileSync(`${process.argv[1]}/${f}`, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests;
  }
  console.log(`jest: ${passed} passed, ${failed} failed`);
' "$results"
