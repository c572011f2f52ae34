#!/usr/bin/env bash
# tail-large: the audio latency's tail at steady load with many listeners. N listeners (default
# 15,000) from the C swarm (swarm.c) join at 2,000/s and hear a host for SECONDS (default 60);
# the node on core 0 (one event loop, its default self-tuning batching), the swarm and the host on
# core 1. From 5 s after the last listener was admitted: the latency p50 and p99 of every batch
# (origin capture to swarm read), their ratio and the frames lost; the node's CPU from N/2000 + 5 s
# to the end (the target holds under 60 % of its core).
# Usage: Bench/scenarios/tail-large.sh [listeners] [seconds]
source "$(dirname "$0")/common.sh"
N=${1:-15000}
DURATION=${2:-60}
PORT=18385
build
SWARM="$OUT/swarm"
cc -O2 -o "$SWARM" "$ROOT/Bench/scenarios/swarm.c"
start_node "$PORT"
start_host "$PORT" $((N + 1000)) $((DURATION + 20))
sleep 2
JOINED=$(python3 -c "print(round($N / 2000 + 5, 1))")
python3 -c "import sys; sys.exit(0 if $DURATION > $JOINED + 5 else 1)" || { echo "tail-large: the run must last more than $JOINED s + 5 s" >&2; exit 2; }
( sleep "$JOINED"; node_cpu_ticks; sleep "$(python3 -c "print($DURATION - $JOINED - 0.5)")"; node_cpu_ticks ) >"$OUT/tail-large-cpu.txt" &
PIDS+=($!)
SOURCES=()
for k in $(seq 0 $(( (N - 1) / 15000 ))); do SOURCES+=("127.0.0.$((2 + k))"); done
taskset -c 1 "$SWARM" "$SPACE" "$N" 2000 "$DURATION" "$PORT" "${SOURCES[@]}" >"$OUT/tail-large.json" 2>"$OUT/tail-large.txt"
sleep 1
python3 - "$OUT" "$N" "$DURATION" "$JOINED" "$(getconf CLK_TCK)" <<'PY'
import json, sys
out, n, seconds, joined, hz = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
run = json.load(open(f"{out}/tail-large.json"))
bins = run["steadyAudio"]
if not bins:
    sys.exit(f"no steady state: {run['started'] - run['admittedAtEnd']} listeners never got in or left; nothing measured")
def q(p):
    total = sum(c for _, c in bins); rank = p * (total - 1); seen = 0
    for ms, c in bins:
        seen += c
        if seen > rank:
            return ms
ticks = [int(x) for x in open(f"{out}/tail-large-cpu.txt").read().split()]
cpu = (ticks[1] - ticks[0]) / hz / (seconds - joined - 0.5) if len(ticks) == 2 else float("nan")
p50, p99 = q(0.5), q(0.99)
lost = run["steadyLost"]
ok = lost == 0 and p50 > 0 and p99 <= 1.3 * p50 and cpu < 0.6
ratio = p99 / p50 if p50 > 0 else float("inf")
print(f"{n} listeners, steady {run['steadySeconds']:.0f} s: batch latency p50 {p50} ms, p99 {p99} ms (x{ratio:.2f} the p50); "
      f"frames lost {lost} (in the whole run {run['lost']}); node {100 * cpu:.0f} % of its core; swarm {run['cpuSeconds']:.1f} s of CPU: "
      f"{'PASS' if ok else 'FAIL'} (p99 <= 1.3 x p50 under 60 % CPU, 0 lost)")
json.dump({"listeners": n, "steadySeconds": run["steadySeconds"], "p50Ms": p50, "p99Ms": p99, "p99OverP50": round(ratio, 2),
           "framesLost": lost, "nodeCpuShare": round(cpu, 3), "pass": ok}, open(f"{out}/tail-large-summary.json", "w"), indent=2)
PY
