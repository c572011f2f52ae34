#!/usr/bin/env bash
# joins: WebSocket handshakes per second on one core, the node pinned to core 0 with one event
# loop and a C driver (joins.c) on core 1, beside a bare SwiftNIO WebSocket server
# (Bench/Commands/BareWebSocket: NIO's upgrader, one welcome-sized message, close) measured
# with the same driver in the same run, as a ratio.
#
# Phases, each printed as one line:
#   idle        SECONDS of handshakes, CONCURRENCY at a time, each joining, reading its welcome
#               and leaving with a clean close; baseline and node in turn, ROUNDS (3) times, the
#               ratio is the median of the rounds' ratios;
#   hold        AUDIENCE listeners joining and staying, no audio (node and baseline);
#   broadcast   AUDIENCE listeners join a Space a host streams 20 ms frames to and stay; 10 s
#               later (the batching settled) the same handshakes for SECONDS beside them (node
#               only: the baseline has no audio).
# The node's admission rate is raised (admission.joinsPerSecond 1,000,000) so that every join is
# a welcome: this measures the handshake, not the line. CPU per join is the server's CPU over the
# phase divided by its joins.
#
# Usage: Bench/scenarios/joins.sh [SECONDS] [AUDIENCE] [CONCURRENCY]   (default 10 15000 64)
source "$(dirname "$0")/common.sh"
SECONDS_PER_PHASE=${1:-10}
AUDIENCE=${2:-15000}
CONCURRENCY=${3:-64}
PORT=18350
BARE_PORT=18351
build
build_joins

drive() { # PID PORT PATH HOLD SECONDS: the driver on core 1 against PID
  NODE_PID=$1 taskset -c 1 "$JOINS" "$2" "$3" "$4" "$5" "$CONCURRENCY" "${SOURCES[@]}"
}

# Both servers wait on core 0; only the one being driven works. The idle phases alternate
# between them (ROUNDS times each) so that a change in the shared machine's speed falls on both.
start_bare "$BARE_PORT"
export SPACES_ADMISSION_JOINS_PER_SECOND=1000000 SPACES_ADMISSION_JOIN_BURST=1000000
start_node "$PORT"
SPACE=$(curl -sf -X POST -H 'authorization: Bearer bench' -H 'content-type: application/json' \
  -d "{\"title\":\"joins\",\"capacity\":$((AUDIENCE * 2 + 1000))}" "http://127.0.0.1:$PORT/v1/spaces" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
ROUNDS=${ROUNDS:-3}
: >"$OUT/joins-idle.txt"
for _ in $(seq "$ROUNDS"); do
  echo "bare $(drive "$BARE_PID" "$BARE_PORT" /listen 0 "$SECONDS_PER_PHASE")" >>"$OUT/joins-idle.txt"
  sleep 1
  echo "node $(drive "$NODE_PID" "$PORT" "/v1/spaces/$SPACE/listen" 0 "$SECONDS_PER_PHASE")" >>"$OUT/joins-idle.txt"
  sleep 1
done
BARE_HOLD=$(drive "$BARE_PID" "$BARE_PORT" /listen "$AUDIENCE" 0)
kill "$BARE_PID"; wait "$BARE_PID" 2>/dev/null || true
sleep 2
# The audience joins as the baseline's did (no audio) and leaves; then a host starts a Space of
# its own, the audience joins it and stays, and once the batching has settled (LINGER) the
# handshakes go on beside the broadcast.
NODE_HOLD=$(drive "$NODE_PID" "$PORT" "/v1/spaces/$SPACE/listen" "$AUDIENCE" 0)
sleep 2
start_host "$PORT" $((AUDIENCE * 2 + 1000)) $((SECONDS_PER_PHASE + 120))
sleep 2
NODE_BROADCAST=$(LINGER=10 drive "$NODE_PID" "$PORT" "/v1/spaces/$SPACE/listen" "$AUDIENCE" "$SECONDS_PER_PHASE" | sed -n 2p)
FRAMES_PER_WRITE=$(curl -s "http://127.0.0.1:$PORT/metrics" | awk '$1 == "spaces_frames_per_write" {print $2}')

python3 - "$OUT" "$SECONDS_PER_PHASE" "$AUDIENCE" "$CONCURRENCY" "${FRAMES_PER_WRITE:-0}" "$BARE_HOLD" "$NODE_HOLD" "$NODE_BROADCAST" <<'PY'
import json, statistics, sys
out, seconds, audience, concurrency, k = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
bare_hold, hold, broadcast = (json.loads(a) for a in sys.argv[6:9])
rounds = [line.split(" ", 1) for line in open(f"{out}/joins-idle.txt")]
bare_idle = [json.loads(p) for name, p in rounds if name == "bare"]
node_idle = [json.loads(p) for name, p in rounds if name == "node"]
def line(name, p):
    refused = "".join(f", HTTP {s}: {n}" for s, n in p["refused"].items())
    return (f"{name:22s} {p['joins']:7d} joins in {p['seconds']:5.1f} s: {p['joinsPerSecond']:6.0f}/s, "
            f"{p['nodeCpuMicrosPerJoin']:6.1f} µs CPU per join, answer p50 {p['answerP50Ms']:.1f} ms p99 {p['answerP99Ms']:.1f} ms, "
            f"{p['failures']} failures{refused}")
ratios = []
for index, (b, n) in enumerate(zip(bare_idle, node_idle)):
    print(line(f"baseline idle #{index + 1}", b))
    print(line(f"node idle #{index + 1}", n))
    ratios.append(n["nodeCpuMicrosPerJoin"] / b["nodeCpuMicrosPerJoin"])
print(line(f"baseline hold {audience}", bare_hold))
print(line(f"node hold {audience}", hold))
print(line("node broadcast", broadcast) + f" ({broadcast['held']} listeners receiving, {k:.0f} frames per write)")
ratio_idle = statistics.median(ratios)
ratio_hold = hold["nodeCpuMicrosPerJoin"] / bare_hold["nodeCpuMicrosPerJoin"]
idle_rate = statistics.median(n["joinsPerSecond"] for n in node_idle)
print(f"CPU per join, node / bare SwiftNIO: idle x{ratio_idle:.2f} (median of {', '.join(f'x{r:.2f}' for r in ratios)}), "
      f"hold x{ratio_hold:.2f}; handshakes/s during the broadcast / idle: x{broadcast['joinsPerSecond'] / idle_rate:.2f}")
# What the client side of a join costs at least: this C driver's own CPU per idle join (connect,
# upgrade, one message, close: mostly the kernel's loopback path).
client = statistics.median(n["driverCpuSeconds"] * 1e6 / n["joins"] for n in node_idle if n["joins"])
print(f"client CPU per join (the C driver, idle rounds): {client:.1f} µs")
json.dump({"secondsPerPhase": float(seconds), "audience": audience, "concurrency": concurrency,
           "baseline": {"idle": bare_idle, "hold": bare_hold}, "node": {"idle": node_idle, "hold": hold, "broadcast": broadcast},
           "framesPerWrite": k, "cpuPerJoinRatioIdle": round(ratio_idle, 2), "cpuPerJoinRatioHold": round(ratio_hold, 2),
           "clientCpuMicrosPerJoin": round(client, 1)},
          open(f"{out}/joins.json", "w"), indent=2)
PY
