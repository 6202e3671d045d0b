#!/usr/bin/env bash
# The README's curl quickstart, end to end, against a freshly started server on SQLite.
# Usage: examples/quickstart.sh            (builds and starts its own server on a free port)
#        BASE=http://host:8080 examples/quickstart.sh   (uses a running server)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${BASE:-}" ]; then
  dir=$(mktemp -d)
  go build -o "$dir/rapport" ./cmd/rapport
  port=$((20000 + RANDOM % 20000))
  (cd "$dir" && RAPPORT_ADDR="127.0.0.1:$port" exec ./rapport >"$dir/server.log" 2>&1) &
  server=$!
  trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true; rm -rf "$dir" "$out"' EXIT
  BASE="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do curl -fs "$BASE/healthz" >/dev/null && break; sleep 0.1; done
fi

fail() { echo "FAIL: $*" >&2; exit 1; }
field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p" | head -n1; }
# call METHOD PATH [BODY] [extra curl args...]: sets $status and $res.
out=$(mktemp)
call() {
  local method=$1 path=$2 data=${3:-}; shift $(( $# < 3 ? $# : 3 ))
  status=$(curl -s -o "$out" -w '%{http_code}' -X "$method" "$BASE$path" \
    -H "Authorization: Bearer ${TOKEN:-}" -H 'Content-Type: application/json' ${data:+--data-binary "$data"} "$@")
  res=$(cat "$out")
}
expect() { [ "$status" = "$1" ] || fail "$2: got HTTP $status, want $1"; echo "ok  $2 ($status)"; }

# 1. Sign up: an organization and its owner; the answer carries the tokens.
call POST /v1/auth/signup '{"organization_name":"Acme","name":"Ada Owner","email":"ada@acme.example","password":"correct horse battery"}'
expect 201 "sign up"
TOKEN=$(echo "$res" | field access_token)

# 2. Create customers.
call POST /v1/customers '{"first_name":"Grace","last_name":"Hopper","email":"grace@example.com","phone":"+1 415 555 0123","tags":["vip"],"lifecycle_stage":"customer"}'
expect 201 "create a customer"
id=$(echo "$res" | field id)
call POST /v1/customers '{"first_name":"Alan","last_name":"Turing","email":"alan@example.com","tags":["vip","uk"]}'
expect 201 "create another"
call POST /v1/customers '{"email":"GRACE@example.com"}'
expect 409 "a duplicate email is a conflict"

# 3. Search and page.
call GET "/v1/customers?q=hopper"
expect 200 "search"
echo "$res" | grep -q "\"id\":\"$id\"" || fail "search did not find Grace"
call GET "/v1/customers?tag=vip&limit=1"
cursor=$(echo "$res" | field next_cursor)
[ -n "$cursor" ] || fail "no next_cursor on a first page of 1"
call GET "/v1/customers?tag=vip&limit=1&cursor=$cursor"
expect 200 "next page"

# 4. Update with If-Match: the current ETag works, a stale one answers 412.
etag=$(curl -s -D - -o /dev/null "$BASE/v1/customers/$id" -H "Authorization: Bearer $TOKEN" | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: //p')
call PATCH "/v1/customers/$id" '{"job_title":"Rear Admiral"}' -H "If-Match: $etag"
expect 200 "update with If-Match"
call PATCH "/v1/customers/$id" '{"job_title":"Commodore"}' -H "If-Match: $etag"
expect 412 "update with a stale If-Match"

# 5. Delete and restore.
call DELETE "/v1/customers/$id"
expect 204 "delete"
call GET "/v1/customers/$id"
expect 404 "a deleted customer is gone"
call POST "/v1/customers/$id/restore"
expect 200 "restore"

# 6. Batch-upsert 1,000 customers, then again (all unchanged).
items=$(for i in $(seq 1 1000); do printf '{"external_id":"shop-%d","first_name":"Customer %d","tags":["import"]},' "$i" "$i"; done)
batch="{\"items\":[${items%,}]}"
call POST /v1/customers/batch "$batch"
expect 200 "batch of 1,000"
[ "$(echo "$res" | grep -o '"status":"created"' | wc -l)" = 1000 ] || fail "not all 1,000 created"
call POST /v1/customers/batch "$batch"
[ "$(echo "$res" | grep -o '"status":"unchanged"' | wc -l)" = 1000 ] || fail "a repeated batch must change nothing"
echo "ok  the same batch again changes nothing"

# 7. The API reference and its document.
# (Read whole before grep: grep -q closing the pipe early would fail curl under pipefail.)
doc=$(curl -fs "$BASE/openapi.json") && grep -q '"openapi"' <<<"$doc" || fail "/openapi.json"
page=$(curl -fsL "$BASE/docs") && grep -qi 'swagger' <<<"$page" || fail "/docs"
echo "ok  /openapi.json and /docs"
echo "quickstart: all steps passed"
