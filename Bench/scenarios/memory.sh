#!/usr/bin/env bash
# memory: resident memory per listener, as the slope between LOW and HIGH admitted listeners
# (default 2,000 and 18,000: the slope leaves out what a node holds whatever its audience), for
# the node (listeners of a live Space, no audio) and for the bare SwiftNIO WebSocket server of
# joins.sh (Bench/Commands/BareWebSocket: NIO's pipeline after an upgrade, nothing else) measured
# the same way in the same run, as a ratio. The listeners are held by joins.c from four source
# addresses; the kernel's socket buffers are not in a process's RSS.
# Usage: Bench/scenarios/memory.sh [LOW] [HIGH]   (default 2000 18000)
source "$(dirname "$0")/common.sh"
LOW=${1:-2000}
HIGH=${2:-18000}
PORT=18370
BARE_PORT=18371
build
build_joins
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

# rss_with PID PORT PATH COUNT: the server's RSS (KiB) once COUNT listeners are held and it settled.
rss_with() {
  local pid=$1 port=$2 path=$3 count=$4
  LINGER=8 taskset -c 1 "$JOINS" "$port" "$path" "$count" 0 64 "${SOURCES[@]}" >"$OUT/memory-driver.txt" &
  local driver=$!
  sleep 1
  while ! grep -q '"phase": "hold"' "$OUT/memory-driver.txt"; do sleep 0.2; done
  sleep 4  # the joins are over; lazily freed memory settles
  local value; value=$(rss "$pid")
  wait "$driver" || true
  grep -q "\"joins\": $count," "$OUT/memory-driver.txt" || { echo "only some of $count joined: $(cat "$OUT/memory-driver.txt")" >&2; exit 1; }
  echo "$value"
  sleep 3  # they leave before the next count
}

start_bare "$BARE_PORT"
BARE_LOW=$(rss_with "$BARE_PID" "$BARE_PORT" /listen "$LOW")
BARE_HIGH=$(rss_with "$BARE_PID" "$BARE_PORT" /listen "$HIGH")
kill "$BARE_PID"; wait "$BARE_PID" 2>/dev/null || true

export SPACES_ADMISSION_JOINS_PER_SECOND=1000000 SPACES_ADMISSION_JOIN_BURST=1000000
start_node "$PORT"
SPACE=$(curl -sf -X POST -H 'authorization: Bearer bench' -H 'content-type: application/json' \
  -d "{\"title\":\"memory\",\"capacity\":$((HIGH + 1000))}" "http://127.0.0.1:$PORT/v1/spaces" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
# Resume slots of the listeners that left are held for admission.resumeGraceSeconds: the high
# count waits for the low count's to expire so that it measures listeners only.
NODE_LOW=$(rss_with "$NODE_PID" "$PORT" "/v1/spaces/$SPACE/listen" "$LOW")
sleep 30
NODE_HIGH=$(rss_with "$NODE_PID" "$PORT" "/v1/spaces/$SPACE/listen" "$HIGH")

python3 - "$OUT" "$LOW" "$HIGH" "$BARE_LOW" "$BARE_HIGH" "$NODE_LOW" "$NODE_HIGH" <<'PY'
import json, sys
out, low, high, bare_low, bare_high, node_low, node_high = sys.argv[1], *map(int, sys.argv[2:])
bare = (bare_high - bare_low) * 1024 / (high - low)
node = (node_high - node_low) * 1024 / (high - low)
print(f"bare SwiftNIO: {bare_low / 1024:.1f} MiB at {low}, {bare_high / 1024:.1f} MiB at {high}: {bare:.0f} bytes per listener")
print(f"node:          {node_low / 1024:.1f} MiB at {low}, {node_high / 1024:.1f} MiB at {high}: {node:.0f} bytes per listener")
print(f"RSS per listener, node / bare SwiftNIO: x{node / bare:.2f}")
json.dump({"low": low, "high": high, "bareKiB": [bare_low, bare_high], "nodeKiB": [node_low, node_high],
           "bareBytesPerListener": round(bare), "nodeBytesPerListener": round(node), "ratio": round(node / bare, 2)},
          open(f"{out}/memory.json", "w"), indent=2)
PY
