#!/usr/bin/env bash
# schema.d.ts from the OpenAPI document the code generates (docs/operations.md, "Typed client").
#   clients/typescript/generate.sh          rewrite schema.d.ts
#   clients/typescript/generate.sh --check  exit 1 when schema.d.ts is not current (CI)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$here" && npm ci --no-audit --no-fund --silent)
# Generated against the SQLite settings whatever DATABASE_URL says: an integer column's range
# comes from the database backend (64-bit on SQLite, 32-bit on PostgreSQL), which changes
# drf-spectacular's `format: int64` annotations and nothing else; one backend, one file.
(cd "$root" && env -u DATABASE_URL DEBUG=true .venv/bin/python manage.py spectacular \
  --validate --fail-on-warn --file "$work/openapi.yaml")
(cd "$here" && npx --no-install openapi-typescript "$work/openapi.yaml" -o "$work/schema.d.ts" --silent)

if [ "${1:-}" = "--check" ]; then
  if ! diff -u "$here/schema.d.ts" "$work/schema.d.ts" > "$work/diff"; then
    head -50 "$work/diff"
    echo "clients/typescript/schema.d.ts is not current: run clients/typescript/generate.sh" >&2
    exit 1
  fi
  echo "clients/typescript/schema.d.ts is current"
else
  cp "$work/schema.d.ts" "$here/schema.d.ts"
fi
