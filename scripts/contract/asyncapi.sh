#!/usr/bin/env bash
# The AsyncAPI document of the socket, validated by @asyncapi/parser (pinned, from npm) and held
# to a real session on a fresh server: every frame sent or taken must match it, and every
# message it declares must be seen. Usage: asyncapi.sh SERVER_BINARY
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
(cd "$here/asyncapi" && npm ci --no-audit --no-fund --loglevel=error)
# shellcheck source=server.sh
source "$here/server.sh" "$1"
(cd "$here/asyncapi" && node check.mjs "$CONTRACT_BASE_URL")
if contract_panicked; then echo "the server panicked"; exit 1; fi
