#!/usr/bin/env bash
# The TypeScript example, end to end: installs the pinned packages, generates the types from
# docs/openapi.json (so a change to the document that breaks the client fails here), checks that
# the sources cast nothing, compiles with tsc --strict, and runs it against a fresh server on a
# temporary SQLite database. CI runs it.
# Usage: examples/typescript/run.sh                    (starts its own server)
#        BASE=http://host:8080 examples/typescript/run.sh   (uses a running server)
set -euo pipefail
cd "$(dirname "$0")"

npm ci --no-audit --no-fund --loglevel=error
npm run --silent gen
npm run --silent check
npm run --silent build

if [ -z "${BASE:-}" ]; then
  dir=$(mktemp -d)
  (cd ../.. && go build -o "$dir/rapport" ./cmd/rapport)
  port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  RAPPORT_ADDR="127.0.0.1:$port" RAPPORT_DATABASE_URL="$dir/rapport.db" "$dir/rapport" >"$dir/server.log" 2>&1 &
  server=$!
  trap 'status=$?; kill $server 2>/dev/null; wait $server 2>/dev/null || true
        [ $status = 0 ] || tail -n 20 "$dir/server.log" >&2; rm -rf "$dir"' EXIT
  export BASE="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do curl -fs "$BASE/healthz" >/dev/null && break; sleep 0.1; done
  curl -fs "$BASE/healthz" >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
fi

node dist/main.js
