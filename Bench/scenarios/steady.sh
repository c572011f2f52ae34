#!/usr/bin/env bash
# steady: N listeners at real time for a minute, the node pinned to one core and the load on
# the other. Reports the node's CPU per delivered write and per delivered frame, beside the
# floor measured in the same run by a minimal raw-socket writer (floor.c: plain write(2) of
# the same message size, at the same rate, to as many loopback sockets), as a ratio.
# The listeners are the C swarm (swarm.c), on the other core.
# Usage: Bench/scenarios/steady.sh [listeners]   (default 1000)
source "$(dirname "$0")/common.sh"
N=${1:-1000}
PORT=18340
build
cc -O2 -o "$OUT/floor" "$(dirname "$0")/floor.c"
start_node "$PORT"
metric() { curl -s "http://127.0.0.1:$PORT/metrics" | awk -v name="$1" '$1 == name {print $2}'; }

SWARM="$OUT/swarm"
cc -O2 -o "$SWARM" "$(dirname "$0")/swarm.c"
start_host "$PORT" 20000 90
# The listeners: the C swarm on core 1 (it polls, as floor.c's reader does, so that neither
# writer pays for waking a sleeping reader: a loopback cost that clients elsewhere never cause).
taskset -c 1 "$SWARM" "$SPACE" "$N" 500 60 "$PORT" 127.0.0.2 127.0.0.3 >"$OUT/steady-load.json" 2>"$OUT/steady-load.txt" &
LOAD=$!; PIDS+=($LOAD)
# Measure the middle of the run: everyone joined, nobody leaving yet.
sleep $(( N / 500 + 12 ))
c0=$(node_cpu_ticks); w0=$(metric spaces_audio_writes); f0=$(metric spaces_audio_frames_relayed_total); t0=$(date +%s.%N)
sleep 30
c1=$(node_cpu_ticks); w1=$(metric spaces_audio_writes); f1=$(metric spaces_audio_frames_relayed_total); t1=$(date +%s.%N)
k=$(metric spaces_frames_per_write)
wait "$LOAD" || true

read -r size rate < <(python3 - "$OUT" "$N" "$w0" "$w1" "$t0" "$t1" <<'PY'
import json, sys
out, n, w0, w1, t0, t1 = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
load = json.load(open(f"{out}/steady-load.json"))
# The average message the node wrote: the bytes the swarm read (WebSocket headers included, and
# the few text events and the upgrade's head, under 1 B a batch) over the batches.
size = max(16, round(load["bytes"] / max(1, load["batches"])))
rounds = (w1 - w0) / (t1 - t0) / n
print(size, round(rounds, 3))
PY
)
FLOOR=$("$OUT/floor" "$N" "$size" "$rate" 20 127.0.0.2 127.0.0.3 127.0.0.4)
python3 - "$OUT" "$N" "$c0" "$c1" "$w0" "$w1" "$f0" "$f1" "$t0" "$t1" "$k" "$size" "$rate" "$FLOOR" <<'PY'
import json, sys
out, n = sys.argv[1], int(sys.argv[2])
c0, c1, w0, w1, f0, f1, t0, t1, k = map(float, sys.argv[3:12])
size, rate, floor = int(sys.argv[12]), float(sys.argv[13]), json.loads(sys.argv[14])
cpu = (c1 - c0) / 100
writes = w1 - w0
frames = writes * k
per_write = cpu * 1e6 / writes if writes else 0
per_frame = cpu * 1e6 / frames if frames else 0
ratio = per_write / floor["cpuMicrosPerWrite"] if floor["cpuMicrosPerWrite"] else 0
summary = {"listeners": n, "seconds": round(t1 - t0, 1), "nodeCpuSeconds": cpu, "writes": writes, "framesPerWrite": k,
           "messageBytes": size, "writesPerSecond": round(writes / (t1 - t0)), "nodeCpuMicrosPerWrite": round(per_write, 2),
           "nodeCpuMicrosPerFrame": round(per_frame, 2), "floor": floor, "ratioToFloor": round(ratio, 2)}
json.dump(summary, open(f"{out}/steady.json", "w"), indent=2)
print(f"steady: {n} listeners, {summary['writesPerSecond']} writes/s of ~{size} B ({k:.0f} frames/write): node "
      f"{per_write:.2f} µs CPU per write, {per_frame:.2f} µs per frame; floor (write(2) in C, same run) "
      f"{floor['cpuMicrosPerWrite']:.2f} µs per write; ratio {ratio:.2f}")
PY
