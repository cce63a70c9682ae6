#!/usr/bin/env bash
# Regenerates scripts/hot-functions.txt, the functions scripts/build-release.sh lays out first in
# Hangar's .text. It builds Hangar with the current list, runs proxied calls through it under
# `perf record` (hangar stdio and hangar serve; both eras; tools/call to mcp-server-time and to
# the fast upstream, tools/list) and lists every function of the hangar binary seen in a sample
# or in a sample's call chain, most often seen first. A developer tool: run it after changes to
# the call path, then rebuild with scripts/build-release.sh. Needs perf (installs linux-perf).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
log() { printf 'order-hot-functions: %s\n' "$*" >&2; }

command -v perf >/dev/null 2>&1 || { log "installing linux-perf"; apt-get update -qq && apt-get install -y -qq linux-perf >/dev/null; }
bash scripts/setup-system.sh
bash scripts/setup-peers.sh
bash scripts/build-release.sh --product hangar >&2
bash scripts/build-release.sh --product hangar-fast-upstream >&2

work=$(mktemp -d /tmp/hangar-order.XXXXXX)
trap 'rm -rf "$work"' EXIT
hangar=$(cd .build/release && pwd -P)/hangar
cat > "$work/config.json" <<EOF
{"mcpServers": {
  "time": {"command": "$repo/.peers/main/bin/mcp-server-time", "args": ["--local-timezone", "UTC"]},
  "fast": {"command": "$(dirname "$hangar")/hangar-fast-upstream"}}}
EOF

HANGAR_BIN=$hangar WORK=$work python3 - <<'PY'
import http.client, json, os, signal, subprocess, time

hangar, work = os.environ["HANGAR_BIN"], os.environ["WORK"]
config = os.path.join(work, "config.json")
META = {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}
CALLS = [("time__convert_time", {"time": "12:00", "source_timezone": "UTC", "target_timezone": "Asia/Tokyo"}),
         ("fast__echo", {"text": "hi"})]
ROUNDS = 1500

def perf(name, command, env=None):
    """perf record around `command`, recording only between enable() and disable()."""
    ctl, ack = os.path.join(work, name + ".ctl"), os.path.join(work, name + ".ack")
    os.mkfifo(ctl); os.mkfifo(ack)
    p = subprocess.Popen(["perf", "record", "-q", "-F", "15000", "-g", "-D", "-1", "--control", f"fifo:{ctl},{ack}",
                          "-o", os.path.join(work, name + ".data"), "--", *command],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    c = open(ctl, "w"); a = open(ack, "r")
    def send(cmd):
        c.write(cmd + "\n"); c.flush()
        assert a.readline().strip("\0\n") == "ack", cmd  # perf ends each ack with a NUL
    return p, (lambda: send("enable")), (lambda: send("disable"))

def requests(legacy):
    for i in range(ROUNDS):
        for name, arguments in CALLS:
            params = {"name": name, "arguments": arguments}
            if not legacy: params["_meta"] = META
            yield "tools/call", params
        if i % 50 == 0:
            yield "tools/list", ({} if legacy else {"_meta": META})

# --- hangar stdio, each era ---
for era in ("modern", "legacy"):
    env = dict(os.environ, HANGAR_DATA_DIR=os.path.join(work, "data-stdio-" + era))
    p, enable, disable = perf("stdio-" + era, [hangar, "stdio", "--config", config], env)
    n = 0
    def rpc(method, params):
        global n
        n += 1
        p.stdin.write((json.dumps({"jsonrpc": "2.0", "id": n, "method": method, "params": params}) + "\n").encode()); p.stdin.flush()
        answer = json.loads(p.stdout.readline())
        assert "result" in answer, answer
    if era == "legacy":
        rpc("initialize", {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "order", "version": "1"}})
        p.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n'); p.stdin.flush()
    for method, params in list(requests(era == "legacy"))[:100]: rpc(method, params)
    enable()
    for method, params in requests(era == "legacy"): rpc(method, params)
    disable()
    p.stdin.close(); p.wait()

# --- hangar serve over HTTP, each era ---
port = 18790
env = dict(os.environ, HANGAR_DATA_DIR=os.path.join(work, "data-serve"))
p, enable, disable = perf("serve", [hangar, "serve", "--config", config, "--port", str(port), "--data-dir", env["HANGAR_DATA_DIR"]], env)
for _ in range(300):
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port); conn.request("GET", "/healthz"); conn.getresponse().read(); break
    except OSError:
        time.sleep(0.05)
conn = http.client.HTTPConnection("127.0.0.1", port)
def post(method, params, headers):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
    conn.request("POST", "/mcp", body, {"Content-Type": "application/json", "Accept": "application/json, text/event-stream", **headers})
    r = conn.getresponse(); data = r.read()
    assert r.status == 200, (r.status, data)
    return r
modern = lambda m, p: {"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": m, **({"Mcp-Name": p["name"]} if "name" in p else {})}
warm = ("tools/call", {"name": CALLS[0][0], "arguments": CALLS[0][1], "_meta": META})
for _ in range(100): post(*warm, modern(*warm))
r = post("initialize", {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "order", "version": "1"}}, {})
session = {"Mcp-Session-Id": r.getheader("Mcp-Session-Id"), "MCP-Protocol-Version": "2025-11-25"}
enable()
for method, params in requests(False): post(method, params, modern(method, params))
for method, params in requests(True): post(method, params, session)
disable()
child = int(open(f"/proc/{p.pid}/task/{p.pid}/children").read().split()[0])
os.kill(child, signal.SIGTERM); p.wait()
PY

# Every function of the hangar binary in a sample or its call chain, most often seen first:
# by bands of counts within a factor of two, and by name within a band, so that a new profile
# moves a function only when its count changes a lot (the list is committed).
for data in "$work"/*.data; do
  perf script -i "$data" -F ip,sym,dso --no-demangle 2>/dev/null
done | awk -v bin="($hangar)" '$NF == bin && $2 != "[unknown]" { count[$2]++ }
  END { for (s in count) { band = 0; for (c = count[s]; c > 1; c /= 2) band++; print band, s } }' \
  | LC_ALL=C sort -k1,1nr -k2,2 | awk '{ print $2 }' > "$work/hot.txt"
{
  echo "# The functions a proxied call runs, hottest first: scripts/build-release.sh lays them out first."
  echo "# Made by scripts/order-hot-functions.sh; $(wc -l < "$work/hot.txt") functions."
  cat "$work/hot.txt"
} > scripts/hot-functions.txt
log "wrote scripts/hot-functions.txt ($(wc -l < "$work/hot.txt") functions)"
