#!/usr/bin/env bash
# The web client: type-checked (tsc --checkJs over its JSDoc types), then driven in a real
# browser (playwright-core from npm, pinned, driving Debian's chromium) against a fresh server:
# two people chat, one reconnects after a restart, axe-core finds no serious violation, and the
# screenshots in docs/screenshots are retaken. Usage: check.sh SERVER_BINARY
set -euo pipefail
server="$(realpath "$1")"
cd "$(dirname "$0")/../../web"
npm ci --no-audit --no-fund --loglevel=error
npm run -s check
CHAT_SERVER_BIN="$server" CHROMIUM_PATH="${CHROMIUM_PATH:-$(command -v chromium)}" npm test
