# Sourced by the contract checks: starts a fresh server ($1, a chat-server binary) on a free
# port with a throwaway SQLite database, sets CONTRACT_BASE_URL, and stops it on exit.
# Sign-up and login limits are off: the checks make thousands of both.
contract_work="$(mktemp -d)"
contract_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export CONTRACT_BASE_URL="http://127.0.0.1:$contract_port"
(
  cd "$contract_work"
  PORT="$contract_port" CHAT__RATE_LIMIT__LOGIN_PER_IP__MAX=0 \
    CHAT__RATE_LIMIT__LOGIN_PER_ACCOUNT__MAX=0 CHAT__RATE_LIMIT__REGISTER_PER_IP__MAX=0 \
    CHAT__AUTH__MAX_SESSIONS=1000 exec "$1" >"$contract_work/server.log" 2>&1
) &
contract_server=$!
trap 'kill "$contract_server" 2>/dev/null || true; wait "$contract_server" 2>/dev/null || true; rm -rf "$contract_work"' EXIT
for _ in $(seq 100); do curl -fs -o /dev/null "$CONTRACT_BASE_URL/health/live" && break; sleep 0.2; done
curl -fs -o /dev/null "$CONTRACT_BASE_URL/health/live"

# Whether the server panicked at any point (a panic is never an acceptable answer).
contract_panicked() { grep -q "panicked" "$contract_work/server.log"; }
