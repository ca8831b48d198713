"""A history page of 50 through REST and through GraphQL (the same fields), from one keep-alive
client, sequential: client latency and the server's CPU per page (from /proc), the server pinned
to CPU 0. Usage: taskset -c 1 python3 graphql_history.py RELEASE_BINARY PAGES"""
import http.client, json, os, subprocess, sys, tempfile, time, socket

binary, pages = sys.argv[1], int(sys.argv[2])
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
work = tempfile.mkdtemp()
env = dict(os.environ, PORT=str(port), CHAT__RATE_LIMIT__REGISTER_PER_IP__MAX="0",
           CHAT__RATE_LIMIT__GRAPHQL_COST_PER_CALLER__MAX="0", RUST_LOG="warn")
server = subprocess.Popen(["taskset", "-c", "0", binary], cwd=work, env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
conn = None
for _ in range(100):
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port); conn.request("GET", "/health/live")
        conn.getresponse().read(); break
    except OSError:
        time.sleep(0.1)

def call(method, path, body=None, token=None):
    headers = {"content-type": "application/json"}
    if token: headers["authorization"] = f"Bearer {token}"
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    r = conn.getresponse(); data = r.read()
    assert r.status < 300, (r.status, data[:300])
    return json.loads(data) if data else None

alice = call("POST", "/api/v1/auth/register", {"email": "a@example.com", "username": "alice",
             "password": "correct horse battery", "display_name": "Alice"})
token = alice["tokens"]["access_token"]
chat = call("POST", "/api/v1/conversations", {"kind": "group", "title": "bench"}, token)["id"]
for n in range(200):
    call("POST", f"/api/v1/conversations/{chat}/messages", {"content": f"message {n}"}, token)

QUERY = """query Page($c: UUID!) { conversation(id: $c) { messages(last: 50) {
  edges { node { id seq senderId content clientMessageId replyTo replyCount mentions
  attachmentIds reactions { emoji count me } createdAt editedAt deleted } }
  pageInfo { hasPreviousPage startCursor } } } }"""

def cpu():
    with open(f"/proc/{server.pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

def run(name, once):
    for _ in range(200): once()
    latencies = []; before = cpu(); start = time.perf_counter()
    for _ in range(pages):
        t = time.perf_counter(); once(); latencies.append(time.perf_counter() - t)
    wall = time.perf_counter() - start; used = cpu() - before
    latencies.sort()
    pct = lambda p: latencies[int(p * (len(latencies) - 1))] * 1000
    print(f"{name}: {pages} pages, p50 {pct(0.5):.2f} ms, p99 {pct(0.99):.2f} ms, "
          f"server CPU {used / pages * 1e6:.0f} µs/page, {pages / wall:.0f} pages/s")

rest = lambda: call("GET", f"/api/v1/conversations/{chat}/messages?limit=50", token=token)
graphql = lambda: call("POST", "/graphql", {"query": QUERY, "variables": {"c": chat}}, token)
assert len(graphql()["data"]["conversation"]["messages"]["edges"]) == 50
for _ in range(2):
    run("REST   ", rest)
    run("GraphQL", graphql)
server.terminate(); server.wait()
