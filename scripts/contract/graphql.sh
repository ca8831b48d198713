#!/usr/bin/env bash
# The GraphQL API as an outside client sees it: Python's gql (pinned), over HTTP and over
# graphql-transport-ws, runs a whole chat against a fresh server after signing up over REST.
# Usage: graphql.sh SERVER_BINARY
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${CONTRACT_GQL_VENV:-$HOME/.cache/chat-gql-venv}"
[ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import gql' 2>/dev/null ||
  { python3 -m venv "$venv" && "$venv/bin/pip" install -q 'gql[aiohttp,websockets]==3.5.3'; }
# shellcheck source=server.sh
source "$here/server.sh" "$1"

"$venv/bin/python" "$here/graphql/chat.py" "$CONTRACT_BASE_URL"
if contract_panicked; then echo "the server panicked"; exit 1; fi
