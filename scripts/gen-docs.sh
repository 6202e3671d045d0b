#!/usr/bin/env bash
# Generates the OpenAPI document from the swag annotations: swag writes Swagger 2.0 into a
# temporary folder, and cmd/openapigen derives the OpenAPI 3 document (and the Go file embedding
# it) from that.
#   scripts/gen-docs.sh DIR    write into DIR (docs to update the committed ones)
#   scripts/gen-docs.sh check  generate into a temporary folder and fail if docs/ differs
#
# --requiredByDefault: a field is required unless its json tag says omitempty (or its validate
# tag says required, which wins). That is what encoding/json does with a response: every field
# without omitempty is always present. An input type marks its optional fields omitempty.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gen() {
  go tool swag init --quiet -g api/api.go -d ./ -o "$work/swag" --outputTypes json \
    --requiredByDefault --overridesFile cmd/openapigen/swag.overrides
  go run ./cmd/openapigen -swagger "$work/swag/swagger.json" -dir "$1"
}
if [ "${1:-}" = check ]; then
  mkdir "$work/docs"
  gen "$work/docs"
  if ! diff -ru docs "$work/docs"; then
    echo "docs/ is out of date: run scripts/gen-docs.sh docs and commit the result" >&2
    exit 1
  fi
  echo "docs/ is in sync with the annotations"
else
  gen "${1:?usage: gen-docs.sh DIR|check}"
fi
