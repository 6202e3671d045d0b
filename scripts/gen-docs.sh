#!/usr/bin/env bash
# Generates the OpenAPI documents from the swag annotations: swag writes Swagger 2.0, and
# cmd/openapigen derives the OpenAPI 3 document (and the Go file embedding it) from that.
#   scripts/gen-docs.sh DIR    write into DIR (docs to update the committed ones)
#   scripts/gen-docs.sh check  generate into a temporary folder and fail if docs/ differs
set -euo pipefail
cd "$(dirname "$0")/.."
gen() {
  go tool swag init --quiet -g api/api.go -d ./ -o "$1" --outputTypes json
  go run ./cmd/openapigen -dir "$1"
}
if [ "${1:-}" = check ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  gen "$tmp"
  if ! diff -ru docs "$tmp"; then
    echo "docs/ is out of date: run scripts/gen-docs.sh docs and commit the result" >&2
    exit 1
  fi
  echo "docs/ is in sync with the annotations"
else
  gen "${1:?usage: gen-docs.sh DIR|check}"
fi
