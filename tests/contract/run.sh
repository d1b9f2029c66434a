#!/usr/bin/env bash
# The contract from outside, as an integrator meets it: the real binary on a fresh SQLite
# file, its served document checked by openapi-spec-validator, every operation fuzzed by
# Schemathesis with all its checks and its stateful phase, and the README's main flow run
# through a Python client generated from the committed document.
#   tests/contract/run.sh [BINARY]   (default target/debug/asn-eligibility)
#   CONTRACT_EXAMPLES=N              examples per operation (default 100)
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-target/debug/asn-eligibility}
examples=${CONTRACT_EXAMPLES:-100}
[ -x "$bin" ] || { echo "FATAL: no binary at $bin (cargo build first)" >&2; exit 1; }
python3 -m pip install --quiet --disable-pip-version-check -r tests/contract/requirements.txt

work=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

export DATABASE_URL="sqlite://$work/contract.db" ASN_DATA_DIR="$work/data" ASN_BIND=127.0.0.1:0
"$bin" serve > "$work/server.log" 2>&1 &
server=$!
port=""
for _ in $(seq 1 100); do
  port=$(grep -o '"port":[0-9]*' "$work/server.log" | head -n 1 | cut -d: -f2 || true)
  [ -n "$port" ] && curl -sf "http://127.0.0.1:$port/health/ready" > /dev/null && break
  port=""; sleep 0.1
done
[ -n "$port" ] || { echo "FATAL: the server did not start" >&2; cat "$work/server.log" >&2; exit 1; }
base="http://127.0.0.1:$port"
token=$("$bin" token --ttl 2h --sub contract \
  --scope "sanctions:write registry:read eligibility:read bkn:push jobs:run webhooks:manage audit:read")

echo "== openapi-spec-validator on the served document"
curl -sf "$base/openapi.json" > "$work/served.json"
python3 -c "import json, sys; from openapi_spec_validator import validate; validate(json.load(open(sys.argv[1]))); print('valid OpenAPI', json.load(open(sys.argv[1]))['openapi'])" "$work/served.json"
cmp -s "$work/served.json" <(python3 -c "import json; print(json.dumps(json.load(open('openapi/openapi.json')), separators=(',', ':')))") \
  || python3 -c "import json, sys; a=json.load(open(sys.argv[1])); b=json.load(open('openapi/openapi.json')); sys.exit(0 if a == b else 'FATAL: the served document is not the committed one')" "$work/served.json"

echo "== schemathesis, all checks, all phases, $examples examples per operation"
PYTHONPATH=tests/contract SCHEMATHESIS_HOOKS=hooks \
  st --config-file tests/contract/schemathesis.toml run "$base/openapi.json" \
  --checks all --phases examples,coverage,fuzzing,stateful --max-examples "$examples" \
  -H "Authorization: Bearer $token" --seed 20261201 --no-color

echo "== the main flow through a generated Python client"
openapi-python-client generate --path openapi/openapi.json --output-path "$work/client/asn_client" --meta none > "$work/generate.log" 2>&1 \
  || { cat "$work/generate.log" >&2; exit 1; }
PYTHONPATH="$work/client" python3 tests/contract/main_flow.py "$base" "$token"
