#!/usr/bin/env bash
# halfopen: a node under 5,000 half-open and 5,000 silent connections while a host streams to
# 1,000 real listeners. Checks that the node closes every connection that is not a request by
# limits.requestSeconds (10 s), that its open files come back down, that a new client is still
# answered during the attack, and what the listeners' audio looks like beside a quiet stretch
# of the same run. Stops what it started.
# Usage: Bench/scenarios/halfopen.sh [half-open] [silent] [listeners]   (default 5000 5000 1000)
source "$(dirname "$0")/common.sh"
HALF=${1:-5000}
SILENT=${2:-5000}
LISTENERS=${3:-1000}
PORT=18330
build
start_node "$PORT"
fds() { ls "/proc/$NODE_PID/fd" | wc -l; }
taskset -c 1 "$SPACES" loadtest --server "http://127.0.0.1:$PORT" --host-key bench --capacity $((LISTENERS + 100)) \
  --listeners "$LISTENERS" --join-rate 500 --duration 50 --json "$OUT/halfopen.json" >"$OUT/halfopen.txt" 2>&1 &
LOAD=$!; PIDS+=($LOAD)
sleep 15
BEFORE=$(fds)
# The attack, from about 15 s to 35 s of the run: connections opened as fast as the kernel takes them,
# each either sending half a request head or nothing, then held; when the node closes one, it
# is counted (and not reopened).
# The attacker's own limit on open files is raised to the hard limit (10,000 sockets need it).
( ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec taskset -c 1 python3 - "$PORT" "$HALF" "$SILENT" ) >"$OUT/halfopen-attack.json" <<'PY' &
import json, select, socket, sys, time
port, half, silent = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
socks, opened_at, failed = {}, {}, 0
start = time.time()
for i in range(half + silent):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        if i < half:
            s.sendall(b"GET /v1/spaces HTTP/1.1\r\nHost: x\r\n")
        s.setblocking(False)
        socks[s.fileno()] = s
        opened_at[s.fileno()] = time.time()
    except OSError:
        failed += 1
opened = time.time() - start
poller = select.epoll()
for fd in socks:
    poller.register(fd, select.EPOLLIN | select.EPOLLRDHUP)
closed, held_longest, answered = 0, 0.0, set()
deadline = time.time() + 20
while socks and time.time() < deadline:
    for fd, _ in poller.poll(0.5):
        s = socks.pop(fd, None)
        if s is None:
            continue
        try:
            data = s.recv(4096)
        except OSError:
            data = b""
        if data:
            # An answer (a 408, a 400): counted once; the socket is watched until the node closes it.
            answered.add(fd)
            socks[fd] = s
        else:
            closed += 1
            held_longest = max(held_longest, time.time() - opened_at[fd])
            poller.unregister(fd)
            s.close()
print(json.dumps({"attempted": half + silent, "openFailures": failed, "openSeconds": round(opened, 1),
                  "closedByNode": closed, "answeredBeforeClose": len(answered), "stillOpen": len(socks), "longestHeldSeconds": round(held_longest, 1)}))
PY
ATTACK=$!; PIDS+=($ATTACK)
sleep 8
PEAK=$(fds)
HEALTH=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 5 "http://127.0.0.1:$PORT/healthz" || echo "000 5")
# A new host creates a Space during the attack (and ends it).
CREATE=$(curl -s -o "$OUT/halfopen-create.json" -w '%{http_code} %{time_total}' --max-time 5 -X POST \
  -H "authorization: Bearer bench" -H "content-type: application/json" -d '{"title":"during the attack"}' \
  "http://127.0.0.1:$PORT/v1/spaces" || echo "000 5")
wait "$ATTACK" || true
AFTER=$(fds)
wait "$LOAD" || true
PYTHONPATH="$(dirname "$0")" python3 - "$OUT" "$BEFORE" "$PEAK" "$AFTER" "$HEALTH" "$CREATE" <<'PY'
import json, sys
from timeline import p99_ms as p99
out, before, peak, after, health, create = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
report = json.load(open(f"{out}/halfopen.json"))
attack = json.load(open(f"{out}/halfopen-attack.json"))
timeline = report["timeline"]
quiet = p99([s for s in timeline if 5 <= s["second"] < 14])
during = p99([s for s in timeline if 17 <= s["second"] < 38])
lost = sum(s.get("framesLost", 0) for s in timeline if 17 <= s["second"] < 38)
code, seconds = health.split()
print(f"attack: {attack['attempted']} connections ({attack['openFailures']} could not open), opened in {attack['openSeconds']} s")
print(f"  closed by the node: {attack['closedByNode']} ({attack['answeredBeforeClose']} answered first), still open after 20 s: {attack['stillOpen']}, longest held {attack['longestHeldSeconds']} s")
print(f"node open files: {before} before, {peak} at the peak, {after} after")
print(f"a new client during the attack: /healthz {code} in {float(seconds) * 1000:.0f} ms")
created, created_seconds = create.split()
print(f"a new host during the attack: POST /v1/spaces {created} in {float(created_seconds) * 1000:.0f} ms")
print(f"listeners: audio p99 {quiet:.0f} ms quiet, {during:.0f} ms during the attack (x{during / quiet if quiet else 0:.2f}); frames lost during: {lost}")
PY
