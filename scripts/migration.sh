#!/usr/bin/env bash
# TypeORM migrations against the configured database (DATABASE_URL, or embedded PGlite
# in ./data when unset), using the same validated config as the service.
#   npm run migration:generate -- AddOrders   writes src/database/migrations/<ts>-AddOrders.ts
#   npm run migration:run | migration:revert
#   npm run migration:check                   fails if entities and migrations disagree
set -euo pipefail
cd "$(dirname "$0")/.."
cmd="${1:?usage: migration.sh generate NAME | run | revert | check}"
shift || true

npm run --silent build >/dev/null
cli=(node node_modules/typeorm/cli.js)
ds=(-d dist/src/database/data-source.js)

case "$cmd" in
  generate)
    name="${1:?migration name required, e.g. AddOrders}"
    "${cli[@]}" migration:generate "${ds[@]}" "src/database/migrations/${name}" --pretty
    npx eslint --fix src/database/migrations >/dev/null || true
    npx prettier --write --log-level warn src/database/migrations
    ;;
  run) "${cli[@]}" migration:run "${ds[@]}" --transaction each ;;
  revert) "${cli[@]}" migration:revert "${ds[@]}" --transaction each ;;
  check)
    # Apply every migration, then ask TypeORM for the diff to the entities: it must be empty.
    "${cli[@]}" migration:run "${ds[@]}" --transaction each
    "${cli[@]}" migration:generate "${ds[@]}" src/database/migrations/Drift --check --dryrun
    ;;
  *) echo "unknown command: $cmd" >&2; exit 2 ;;
esac
