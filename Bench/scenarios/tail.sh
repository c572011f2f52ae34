#!/usr/bin/env bash
# tail: the audio latency's tail at steady load, and the node's part of it. N listeners (default
# 200) hear a host for SECONDS (default 40), the node on core 0 (one event loop), the load tester
# and its host on core 1. Reports the load tester's end-to-end latency p50 and p99 (host send
# to listener read) and their ratio, and from the node's own histograms the p99 of what it adds:
# the wait of a batch at its shard (spaces_relay_wait_seconds) and its fan-out
# (spaces_fanout_seconds). MAX_BATCH_MS=20 (the default here) forces one frame per write.
# Usage: Bench/scenarios/tail.sh [listeners] [seconds]
source "$(dirname "$0")/common.sh"
N=${1:-200}
DURATION=${2:-40}
PORT=18380
build
SPACES_RELAY_MAX_BATCH_LATENCY_MS="${MAX_BATCH_MS:-20}" start_node "$PORT"
taskset -c 1 "$SPACES" loadtest --server "http://127.0.0.1:$PORT" --host-key bench --capacity $((N + 1000)) \
  --listeners "$N" --join-rate $((N > 1000 ? 1000 : N)) --duration "$DURATION" >"$OUT/tail-load.txt" 2>&1 || true
curl -s "http://127.0.0.1:$PORT/metrics" >"$OUT/tail-metrics.txt"
CPU=$(node_cpu_ticks)

python3 - "$OUT" "$N" "$DURATION" "$CPU" <<'PY'
import json, re, sys
out, n, seconds, ticks = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
text = open(f"{out}/tail-load.txt").read()
latency = re.search(r"audio latency\s+(\d+)\s+([\d.]+)\s+([\d.]+)", text)
p50, p99 = float(latency.group(2)), float(latency.group(3))
lost = int(re.search(r"frames lost\s+(\d+)", text).group(1))
def quantile(name, q):
    buckets = []
    for line in open(f"{out}/tail-metrics.txt"):
        m = re.match(rf'{name}_bucket\{{le="([^"]+)"\}} (\S+)', line)
        if m:
            buckets.append((float("inf") if m.group(1) == "+Inf" else float(m.group(1)), float(m.group(2))))
    total = buckets[-1][1] if buckets else 0
    for bound, count in buckets:
        if total and count >= q * total:
            return bound * 1000
    return 0.0
wait99, fanout99 = quantile("spaces_relay_wait_seconds", 0.99), quantile("spaces_fanout_seconds", 0.99)
print(f"{n} listeners, one frame per write: end to end p50 {p50:.1f} ms, p99 {p99:.1f} ms (x{p99 / p50:.2f} the p50); "
      f"frames lost {lost}; the node's part at p99 (bucket bounds): shard wait <= {wait99:g} ms, fan-out <= {fanout99:g} ms")
json.dump({"listeners": n, "seconds": seconds, "p50Ms": p50, "p99Ms": p99, "p99OverP50": round(p99 / p50, 2), "framesLost": lost,
           "nodeWaitP99MsAtMost": wait99, "nodeFanoutP99MsAtMost": fanout99}, open(f"{out}/tail.json", "w"), indent=2)
PY
