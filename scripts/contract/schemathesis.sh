#!/usr/bin/env bash
# The API contract, checked from outside: a fresh server on a throwaway SQLite database, then
# schemathesis (pinned) with every check and phase, once with a signed-in user and once
# without a token. Exits non-zero on any failure. Usage: schemathesis.sh SERVER_BINARY [EXAMPLES]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
server="$1"
examples="${2:-25}"
venv="${CONTRACT_VENV:-$HOME/.cache/chat-contract-venv}"
[ -x "$venv/bin/st" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q 'schemathesis==4.32.5'; }

export CONTRACT_PASSWORD="contract-check-passphrase"
# shellcheck source=server.sh
source "$here/server.sh" "$server"
curl -fs -o /dev/null -X POST "$CONTRACT_BASE_URL/api/v1/auth/register" -H 'content-type: application/json' \
  -d "{\"email\":\"contract@example.com\",\"username\":\"contract\",\"password\":\"$CONTRACT_PASSWORD\",\"display_name\":\"Contract\"}"

run() {
  PYTHONPATH="$here" SCHEMATHESIS_HOOKS=hooks "$venv/bin/st" --config-file "$here/schemathesis.toml" \
    run "$CONTRACT_BASE_URL/api-docs/openapi.json" --checks all --max-examples "$examples" \
    --no-color --seed "${CONTRACT_SEED:-1}" "$@"
}
# One run per area of the API for the generated phases (the generator shares caches across
# operations, and in one run over all 60 it fails to generate for one operation it handles
# alone), then the stateful phase over the whole API, where links cross areas.
TAGS="${CONTRACT_TAGS:-auth users contacts conversations messages notifications attachments business health}"
both() {
  local status=0
  for tag in $TAGS; do
    echo "--- $tag"
    run --phases examples,coverage,fuzzing --include-tag "$tag" || status=1
  done
  echo "--- stateful"
  run --phases stateful || status=1
  return "$status"
}
status=0
echo "=== signed in"
both || status=1
echo "=== without a token"
CONTRACT_ANONYMOUS=1 both || status=1
if contract_panicked; then echo "the server panicked"; status=1; fi
exit "$status"
