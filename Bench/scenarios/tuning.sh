#!/usr/bin/env bash
# tuning: self-tuning batches. N listeners (default 15,000) on a node pinned to one core, the load
# tester on the other, twice in the same run: with relay.writesPerSecondPerCore at its default
# (30,000, the baseline) and set 5x too high (150,000). Each run reports the frames per write the
# node settled on (the median of its spaces_frames_per_write once everyone has joined), the time
# per write it measured, frames lost, the audio latency p99 over the run, and the p99 against the
# batch interval it settled on. PASS when the run set 5x too high loses 0 frames and its p99 is
# at most twice its settled batch interval.
# Usage: Bench/scenarios/tuning.sh [listeners] [seconds]   (default 15000 60)
source "$(dirname "$0")/common.sh"
N=${1:-15000}
DURATION=${2:-60}
PORT=18360
build
metric() { curl -s "http://127.0.0.1:$PORT/metrics" | awk -v name="$1" '$1 == name {print $2}'; }

run() { # NAME WRITES: one run against a fresh node
  local name=$1 writes=$2
  SPACES_RELAY_WRITES_PER_SECOND_PER_CORE=$writes start_node "$PORT"
  local c0 c1 joined=$(( N / 1000 + 8 ))
  taskset -c 1 "$SPACES" loadtest --server "http://127.0.0.1:$PORT" --host-key bench --capacity $(( N + 1000 )) \
    --listeners "$N" --join-rate 1000 --duration "$DURATION" >"$OUT/tuning-$name.txt" 2>&1 &
  local load=$!
  PIDS+=("$load")
  sleep "$joined"
  c0=$(node_cpu_ticks)
  : >"$OUT/tuning-$name-samples.txt"
  for _ in $(seq $(( (DURATION - joined) / 2 ))); do
    echo "$(metric spaces_frames_per_write) $(metric spaces_fanout_write_microseconds)" >>"$OUT/tuning-$name-samples.txt"
    sleep 2
  done
  c1=$(node_cpu_ticks)
  wait "$load" || true
  kill "$NODE_PID"; wait "$NODE_PID" 2>/dev/null || true
  echo "$name $writes $(( c1 - c0 )) $(( (DURATION - joined) / 2 * 2 ))"
  sleep 2
}

BASE=$(run default 30000)
WRONG=$(run wrong 150000)

python3 - "$OUT" "$N" "$BASE" "$WRONG" <<'PY'
import json, re, statistics, sys
out, n = sys.argv[1], int(sys.argv[2])
def summary(line):
    name, writes, ticks, seconds = line.split()
    samples = [tuple(map(float, l.split())) for l in open(f"{out}/tuning-{name}-samples.txt") if len(l.split()) == 2]
    frames = statistics.median(s[0] for s in samples)
    micros = statistics.median(s[1] for s in samples)
    text = open(f"{out}/tuning-{name}.txt").read()
    latency = re.search(r"audio latency\s+(\d+)\s+([\d.]+)\s+([\d.]+)", text)
    lost = int(re.search(r"frames lost\s+(\d+)", text).group(1))
    received = int(re.search(r"frames received\s+(\d+)", text).group(1))
    admitted = int(re.search(r"\n  admitted\s+(\d+)", text).group(1))
    p50, p99 = float(latency.group(2)), float(latency.group(3))
    interval = frames * 20
    return {"writesPerSecondPerCore": int(writes), "admitted": admitted, "settledFramesPerWrite": frames,
            "measuredMicrosPerWrite": micros, "framesReceived": received, "framesLost": lost,
            "latencyP50Ms": p50, "latencyP99Ms": p99, "settledIntervalMs": interval,
            "p99OverInterval": round(p99 / interval, 2), "nodeCpuPercent": round(int(ticks) / int(seconds), 1)}
base, wrong = summary(sys.argv[3]), summary(sys.argv[4])
for name, r in (("default 30,000", base), ("5x too high 150,000", wrong)):
    print(f"{name:20s} {r['admitted']} admitted; settled on {r['settledFramesPerWrite']:.0f} frames per write "
          f"({r['settledIntervalMs']:.0f} ms) at {r['measuredMicrosPerWrite']:.0f} us per write; node {r['nodeCpuPercent']} % of a core; "
          f"frames lost {r['framesLost']} of {r['framesReceived'] + r['framesLost']}; latency p50 {r['latencyP50Ms']:.0f} ms, "
          f"p99 {r['latencyP99Ms']:.0f} ms = x{r['p99OverInterval']} the interval")
ok = wrong["framesLost"] == 0 and wrong["p99OverInterval"] <= 2 and wrong["admitted"] == n
print(f"settled frames per write, 5x too high / default: x{wrong['settledFramesPerWrite'] / base['settledFramesPerWrite']:.2f}; "
      f"{'PASS' if ok else 'FAIL'} (0 lost, p99 <= 2x the settled interval)")
json.dump({"listeners": n, "default": base, "fiveTimesTooHigh": wrong, "pass": ok}, open(f"{out}/tuning.json", "w"), indent=2)
sys.exit(0 if ok else 2)
PY
