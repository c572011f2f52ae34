#!/usr/bin/env bash
# rehearsal: the cluster storm as an operator rehearses it, with `spaces loadtest`: one Space over
# several node processes on one Redis, loaded through one of them
# (the load tester finds the others), then a single embedded node with as many listeners as one
# cluster node had, as the same-run baseline: CPU per listener of a cluster node over a single
# node's (a ratio). Starts its own redis-server and nodes; stops what it started, by PID.
# Usage: Bench/scenarios/rehearsal.sh [listeners] [nodes] [seconds] [join-rate]
#        (default 50000, enough nodes for ~12,500 listeners each and at least 4, 40 s, 5000/s)
source "$(dirname "$0")/common.sh"
LISTENERS=${1:-50000}
NODES=${2:-$(( (LISTENERS + 12499) / 12500 > 4 ? (LISTENERS + 12499) / 12500 : 4 ))}
RUN=${3:-40}
RATE=${4:-5000}
# Each node's fan-out is its share of this machine: relay.fanoutShare is the share of a core of
# its own a node's writes may take (0.35), and here every node, the load tester and Redis share
# the same cores. Without this, four nodes batch as if each had a core, and the load tester
# (which must read every write) falls behind. relay.writesPerSecondPerCore, where the batching
# starts before it has timed its writes, is scaled the same way. SHARE=… and WRITES=… override.
SHARE=${SHARE:-$(python3 -c "print(round(0.35 * $(nproc) / ($NODES + 1), 3))")}
WRITES=${WRITES:-$(( 30000 * $(nproc) / (NODES + 1) ))}
REDIS_PORT=18480
BASE=18481
build
start_redis "$REDIS_PORT" "$OUT/rehearsal-redis.log"
NODE_PIDS=()
for i in $(seq 1 "$NODES"); do
  port=$((BASE + i))
  SPACES_LIMITS_CONNECTIONS_PER_ADDRESS="${CONNECTION_SHARE:-0}" SPACES_LIMITS_LINE_PLACES_PER_ADDRESS="${LINE_SHARE:-0}" SPACES_LIMITS_HANDSHAKES_PER_SECOND_PER_ADDRESS="${HANDSHAKE_SHARE:-0}" SPACES_SERVER_HOST_KEY=bench SPACES_RELAY_WRITES_PER_SECOND_PER_CORE="$WRITES" SPACES_RELAY_FANOUT_SHARE="$SHARE" \
  SPACES_RELAY_MAX_BATCH_LATENCY_MS="${MAX_BATCH_MS:-1000}" "$SPACES" serve --port "$port" --event-loops 1 --log-level warning \
    --cluster "redis://127.0.0.1:$REDIS_PORT" --node-id "n$i" --public-url "ws://127.0.0.1:$port" \
    >"$OUT/rehearsal-node-$i.log" 2>&1 &
  NODE_PIDS+=($!)
  PIDS+=($!)
done
for i in $(seq 1 "$NODES"); do
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$((BASE + i))/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
done
sleep 2  # every node has beaten at least once: the load tester finds them all
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
declare -a BEFORE
for i in "${!NODE_PIDS[@]}"; do BEFORE[$i]=$(ticks "${NODE_PIDS[$i]}"); done
sample_lag "$OUT/rehearsal-lag.txt" $(( RUN + 10 )) $(seq -f "%g" $((BASE + 1)) $((BASE + NODES)))
# The load tester's own CPU (its workers included: bash's `time` adds the children it waited for).
TIMEFORMAT='%U %S %R'
{ time "$SPACES" loadtest --server "http://127.0.0.1:$((BASE + 1))" --host-key bench --capacity $((LISTENERS + 1000)) \
  --listeners "$LISTENERS" --join-rate "$RATE" --duration "$RUN" --json "$OUT/rehearsal.json" >"$OUT/rehearsal.txt" 2>&1 || true; } \
  2>"$OUT/rehearsal-loadtest-time.txt"
HZ=$(getconf CLK_TCK)
echo "cluster: $LISTENERS listeners over $NODES nodes, $RUN s at $RATE joins/s, relay.fanoutShare $SHARE (starting at relay.writesPerSecondPerCore $WRITES) per node"
awk '{ printf "load tester (host and workers): %.1f s user + %.1f s system over %.1f s: %.0f %% of a core\n", $1, $2, $3, 100 * ($1 + $2) / $3 }' \
  "$OUT/rehearsal-loadtest-time.txt"
sed -n '/^Nodes/,/^$/p' "$OUT/rehearsal.txt"
grep -E "^\s*(admitted|failovers|frames lost|audio latency|refused|failures)" "$OUT/rehearsal.txt" || true
echo "each node's lag behind live, every 5 s:"
cat "$OUT/rehearsal-lag.txt" 2>/dev/null || true
total_ticks=0
# What each node wrote: audio writes to listeners, frames per write, batches relayed and dropped.
for i in $(seq 1 "$NODES"); do
  curl -sf "http://127.0.0.1:$((BASE + i))/metrics" | awk -v node="n$i" -v s="$RUN" '
    /^spaces_audio_writes / { w = $2 } /^spaces_frames_per_write / { f = $2 }
    /^spaces_audio_batches_relayed_total / { r = $2 } /^spaces_audio_batches_dropped / { d = $2 } /^spaces_audio_batches_shed / { h = $2 }
    /^spaces_audio_batches_stale / { st = $2 }
    END { printf "node %s: %d audio writes (%.0f/s), %d batches relayed in, %d dropped for slow listeners, %d shed (queue full), %d shed (older than relay.maxLagMs)\n", node, w, w / s, r, d, h, st }' || true
done
for i in "${!NODE_PIDS[@]}"; do
  used=$(( $(ticks "${NODE_PIDS[$i]}") - BEFORE[$i] ))
  total_ticks=$((total_ticks + used))
  echo "node n$((i + 1)): $(awk -v t="$used" -v hz="$HZ" -v s="$RUN" 'BEGIN { printf "%.1f %% of a core", 100 * t / hz / s }')"
done
# What Redis spent on the scripts (admission syncs, claims, the conversation) and on audio, and
# the scripts' Redis CPU per join (Bench/scenarios/admission-redis.sh measures a script per join).
redis-cli -p "$REDIS_PORT" info commandstats | tr -d '\r' | awk -F'[:=,]' -v s="$RUN" -v n="$LISTENERS" '
  /^cmdstat_(evalsha|spublish|eval)/ {
    name = substr($1, 9); calls = $3; usec = $5; per = $7
    printf "redis %s: %d calls (%.0f/s), %.1f µs each, %.1f %% of a Redis core\n", name, calls, calls / s, per, 100 * usec / 1e6 / s
    if (name == "evalsha") { script_usec = usec }
  }
  END { if (script_usec > 0) printf "scripts: %.1f µs of Redis CPU per join (%d joins), no round trip in any join\n", script_usec / n, n }'
for pid in "${NODE_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
kill "$REDIS_PID" 2>/dev/null || true

# The baseline: one embedded node with one cluster node's share of the listeners.
PER_NODE=$((LISTENERS / NODES))
start_node 18479
SINGLE_BEFORE=$(node_cpu_ticks)
"$SPACES" loadtest --server "http://127.0.0.1:18479" --host-key bench --capacity $((PER_NODE + 1000)) \
  --listeners "$PER_NODE" --join-rate $((RATE / NODES > 100 ? RATE / NODES : 100)) --duration "$RUN" \
  --json "$OUT/rehearsal-single.json" >"$OUT/rehearsal-single.txt" 2>&1 || true
SINGLE_TICKS=$(( $(node_cpu_ticks) - SINGLE_BEFORE ))
awk -v ct="$total_ticks" -v n="$LISTENERS" -v st="$SINGLE_TICKS" -v m="$PER_NODE" -v hz="$HZ" -v s="$RUN" 'BEGIN {
  c = ct / hz / s / n * 1e6; b = st / hz / s / m * 1e6
  printf "CPU per listener: cluster node %.1f µs/s, single node %.1f µs/s (%d listeners); ratio x%.2f\n", c, b, m, c / b
}'
