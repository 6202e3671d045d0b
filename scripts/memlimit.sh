#!/usr/bin/env bash
# memlimit.sh: hostile requests in parallel against a server held to a pod's memory (a cgroup with
# the Kubernetes limit, 512 MiB, and the GOMEMLIMIT the deployment sets): the process must stay
# up, stay under the limit and answer every request with 2xx or 4xx. Without a cgroup v1 memory
# controller it falls back to ulimit -v. Prints the peak memory and the answers' statuses.
set -euo pipefail
cd "$(dirname "$0")/.."
LIMIT_MB=${LIMIT_MB:-512}
PARALLEL=${PARALLEL:-16}
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; [ -n "${cg:-}" ] && rmdir "$cg" 2>/dev/null || true; rm -rf "$work"' EXIT

CGO_ENABLED=0 go build -o "$work/rapport" ./cmd/rapport
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
export RAPPORT_ADDR=127.0.0.1:$port RAPPORT_DATABASE_URL="sqlite:$work/rapport.db" RAPPORT_LOG_LEVEL=error \
  RAPPORT_RATE_LIMIT=100000 RAPPORT_RATE_BURST=100000 GOMEMLIMIT=$((LIMIT_MB * 4 / 5))MiB

cg=""
if [ -w /sys/fs/cgroup/memory ]; then
  cg=/sys/fs/cgroup/memory/rapport-memlimit-$$
  mkdir "$cg"
  echo $((LIMIT_MB << 20)) > "$cg/memory.limit_in_bytes"
  (echo $BASHPID > "$cg/cgroup.procs"; exec "$work/rapport") > "$work/server.log" 2>&1 &
else
  echo "no cgroup v1 memory controller: falling back to ulimit -v $((LIMIT_MB * 4)) MiB of address space"
  (ulimit -v $((LIMIT_MB * 4 << 10)); exec "$work/rapport") > "$work/server.log" 2>&1 &
fi
pid=$!
for _ in $(seq 1 100); do curl -sf -o /dev/null "$base/healthz" && break; sleep 0.1; done

token=$(curl -sf "$base/v1/auth/signup" -H 'Content-Type: application/json' \
  -d '{"organization_name":"Memtest","name":"M","email":"m@memtest.example","password":"correct horse battery"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
auth="Authorization: Bearer $token"
id=$(curl -sf "$base/v1/customers" -H "$auth" -H 'Content-Type: application/json' -d '{"first_name":"Ada"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')

# The hostile bodies: a merge patch nesting 10,000 levels (58 KB), a 16 MB batch of 1,000 items
# with 16 KB strings each, one of 1,000 valid customers with 15 KB of custom fields each (written),
# a batch of 2 million tiny items, a 1 MiB string, 10,001 query parameters.
python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
open(f"{w}/deep.json", "w").write('{"custom_fields":' + '{"a":' * 10000 + '1' + '}' * 10000 + '}')
item = {"first_name": "x" * 16000, "email": "a@example.com"}
open(f"{w}/batch16.json", "w").write(json.dumps({"items": [item] * 1000}))
fields = {f"k{i}": "v" * 140 for i in range(100)}  # 15 KB of custom fields, within the 16 KB cap
valid = [{"email": f"c{i}@example.com", "custom_fields": fields} for i in range(1000)]
open(f"{w}/batchvalid.json", "w").write(json.dumps({"items": valid}))
open(f"{w}/batchmany.json", "w").write('{"items":[' + ",".join(["{}"] * 2_000_000) + ']}')
open(f"{w}/big.json", "w").write(json.dumps({"first_name": "x" * (1 << 20)}))
open(f"{w}/query.txt", "w").write("&".join(f"p{i}=1" for i in range(10001)))
PY
query=$(cat "$work/query.txt")
{
  for _ in $(seq 1 200); do echo "PATCH $base/v1/customers/$id $work/deep.json"; done
  for _ in $(seq 1 24); do echo "POST $base/v1/customers/batch $work/batch16.json"; done
  for _ in $(seq 1 24); do echo "POST $base/v1/customers/batch $work/batchmany.json"; done
  for _ in $(seq 1 12); do echo "POST $base/v1/customers/batch $work/batchvalid.json"; done
  for _ in $(seq 1 100); do echo "POST $base/v1/customers $work/big.json"; done
  for _ in $(seq 1 100); do echo "GET $base/v1/customers?$query -"; done
} | shuf | xargs -P "$PARALLEL" -L 1 sh -c '
  if [ "$3" = "-" ]; then curl -s -o /dev/null -w "%{http_code}\n" -X "$1" -H "$0" "$2"
  else curl -s -o /dev/null -w "%{http_code}\n" -X "$1" -H "$0" -H "Content-Type: application/json" --data-binary "@$3" "$2"; fi
' "$auth" > "$work/codes.txt"

echo "answers by status:"; sort "$work/codes.txt" | uniq -c
peak=$(awk '/VmHWM/{print int($2/1024)}' /proc/$pid/status)
echo "server peak resident memory: ${peak} MiB (limit ${LIMIT_MB} MiB, GOMEMLIMIT $GOMEMLIMIT)"
[ -n "$cg" ] && echo "cgroup peak usage: $(( $(cat "$cg/memory.max_usage_in_bytes") >> 20 )) MiB, limit hits: $(cat "$cg/memory.failcnt")"
kill -0 $pid || { echo "the server died"; tail -20 "$work/server.log"; exit 1; }
curl -sf -o /dev/null "$base/healthz" || { echo "the server no longer answers"; exit 1; }
if grep -qvE '^(2|4)[0-9][0-9]$' "$work/codes.txt"; then echo "an answer was neither 2xx nor 4xx"; exit 1; fi
[ "$peak" -lt "$LIMIT_MB" ] || { echo "the server went past its memory budget"; exit 1; }
echo "memlimit: the server stayed up, under its budget, and answered every hostile request with 2xx or 4xx"
