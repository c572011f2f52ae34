#!/usr/bin/env bash
# slow: 20% of listeners stop reading. Checks: the others lose nothing, their p99 latency moves
# by less than 20%, the stalled ones are evicted (4008), the node's memory stays bounded.
# Usage: Bench/scenarios/slow.sh [listeners]   (default 2000 readers; 500 more stall)
source "$(dirname "$0")/common.sh"
READERS=${1:-2000}
STALLED=$((READERS / 4))   # 20% of all
PORT=18320
build
# Evict after 5 s over budget, so that the run shows evictions within its minute.
SPACES_BACKPRESSURE_EVICT_AFTER_MS=5000 start_node "$PORT"
start_host "$PORT" 20000 90
RSS="$OUT/slow-rss.txt"; : >"$RSS"; sample_rss "$RSS" & PIDS+=($!)

taskset -c 1 "$SPACES" loadtest --server "http://127.0.0.1:$PORT" --space "$SPACE" --listeners "$READERS" \
  --join-rate 500 --duration 60 --json "$OUT/slow-readers.json" >"$OUT/slow-readers.txt" 2>&1 &
READING=$!; PIDS+=($READING)
sleep 20
taskset -c 1 "$SPACES" loadtest --server "http://127.0.0.1:$PORT" --space "$SPACE" --listeners "$STALLED" \
  --join-rate 500 --stall 1 --duration 35 --json "$OUT/slow-stalled.json" >"$OUT/slow-stalled.txt" 2>&1 || true
wait "$READING" || true

PYTHONPATH="$(dirname "$0")" python3 - "$OUT" <<'PY'
import json, sys
from timeline import p99_ms as p99
out = sys.argv[1]
readers = json.load(open(f"{out}/slow-readers.json"))
stalled = json.load(open(f"{out}/slow-stalled.json"))
timeline = readers["timeline"]
before = p99([s for s in timeline if 10 <= s["second"] < 20])
during = p99([s for s in timeline if 25 <= s["second"] < 55])
lost_during = sum(s["framesLost"] for s in timeline if 20 <= s["second"] < 56)
evicted = stalled["serverAfter"].get("spaces_listeners_evicted_total", 0) - stalled["serverBefore"].get("spaces_listeners_evicted_total", 0)
rss = [int(x) for x in open(f"{out}/slow-rss.txt") if x.strip()]
moved = (during - before) / before if before else 0
ok = lost_during == 0 and moved < 0.2 and evicted >= 0.9 * stalled["admitted"]
summary = {"readers": readers["listeners"], "stalled": stalled["listeners"], "readersLostWhileStalled": lost_during,
           "readersP99BeforeMs": round(before, 1), "readersP99DuringMs": round(during, 1), "p99Moved": round(moved, 3),
           "evicted": evicted, "stalledAdmitted": stalled["admitted"], "nodeMaxRssMiB": round(max(rss) / 1024, 1) if rss else None,
           "pass": ok}
json.dump(summary, open(f"{out}/slow.json", "w"), indent=2)
print(f"slow: {stalled['listeners']} of {stalled['listeners'] + readers['listeners']} stop reading: readers lost {lost_during} frames, "
      f"p99 {before:.0f} ms -> {during:.0f} ms ({moved * 100:+.0f}%), {evicted:.0f} of {stalled['admitted']} stalled evicted, "
      f"node max RSS {summary['nodeMaxRssMiB']} MiB: {'PASS' if ok else 'FAIL'}")
sys.exit(0 if ok else 1)
PY
