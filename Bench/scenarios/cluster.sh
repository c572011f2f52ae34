#!/usr/bin/env bash
# cluster: one Space over several node processes on one Redis, joined by a listener swarm at a
# set rate, then a single embedded node with 15,000 listeners as the same-run baseline (CPU per
# listener of a cluster node over a single node's: a ratio).
#
# The swarm is `swarm.c` (one epoll per process, 15,000 listeners at most per process, several
# loopback source addresses): on these two cores the load must cost far less than the nodes, and
# `spaces loadtest` costs about as much as the nodes it loads (Bench/scenarios/rehearsal.sh runs
# the same storm through it). The swarm joins the nodes in turn, so each node gets its share;
# the host streams a tone through the first node, which publishes it to Redis for the others.
#
# Starts its own redis-server, nodes, host and swarm; stops what it started, by PID.
# Usage: Bench/scenarios/cluster.sh [listeners] [nodes] [seconds] [join-rate]
#        (default 50000, enough nodes for ~12,500 listeners each and at least 4, 40 s, 5000/s)
# Environment: SHARE= and WRITES= (each node's relay.fanoutShare and starting
# relay.writesPerSecondPerCore), MAX_BATCH_MS= (relay.maxBatchLatencyMs), BASELINE=0 skips the
# single node.
source "$(dirname "$0")/common.sh"
LISTENERS=${1:-50000}
NODES=${2:-$(( (LISTENERS + 12499) / 12500 > 4 ? (LISTENERS + 12499) / 12500 : 4 ))}
RUN=${3:-40}
RATE=${4:-5000}
BASELINE_LISTENERS=15000
# Each node's fan-out is its share of this machine: relay.fanoutShare is the share of a core of
# its own a node's writes may take (0.35), and here every node, the swarm and Redis share the
# same cores. relay.writesPerSecondPerCore, where the batching starts before it has timed its
# writes, is scaled the same way. The baseline node runs with the same two values, so that the
# ratio compares a cluster node with a single node batching alike.
SHARE=${SHARE:-$(python3 -c "print(round(0.35 * $(nproc) / ($NODES + 1), 3))")}
WRITES=${WRITES:-$(( 30000 * $(nproc) / (NODES + 1) ))}
MAX_BATCH_MS=${MAX_BATCH_MS:-1000}
REDIS_PORT=18480
BASE=18481
build
SWARM="$OUT/swarm"
cc -O2 -o "$SWARM" "$ROOT/Bench/scenarios/swarm.c"
HZ=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# What every node of this scenario runs with (the shares per address are off: the whole swarm
# comes from this one machine). `env` execs the node: $! is the node's PID.
NODE_ENV=(env SPACES_LIMITS_CONNECTIONS_PER_ADDRESS=0 SPACES_LIMITS_LINE_PLACES_PER_ADDRESS=0
  SPACES_LIMITS_HANDSHAKES_PER_SECOND_PER_ADDRESS=0 SPACES_SERVER_HOST_KEY=bench
  SPACES_RELAY_WRITES_PER_SECOND_PER_CORE="$WRITES" SPACES_RELAY_FANOUT_SHARE="$SHARE"
  SPACES_RELAY_MAX_BATCH_LATENCY_MS="$MAX_BATCH_MS")

# run_swarm NAME LISTENERS RATE PORTS: as many swarm processes as the files per process need,
# each with two source addresses of its own; waits for them; their JSON lines go to NAME-*.json.
run_swarm() {
  local name=$1 listeners=$2 rate=$3 ports=$4
  local count=$(( (listeners + 14999) / 15000 )) pids=() k
  rm -f "$OUT/$name"-*.json "$OUT/$name"-*.txt  # an earlier run's processes must not be merged in
  for k in $(seq 0 $((count - 1))); do
    local share=$(( listeners / count + (k < listeners % count ? 1 : 0) ))
    "$SWARM" "$SPACE" "$share" "$(python3 -c "print($rate / $count)")" "$RUN" "$ports" \
      "127.0.0.$((2 + 2 * k))" "127.0.0.$((3 + 2 * k))" >"$OUT/$name-$k.json" 2>"$OUT/$name-$k.txt" &
    pids+=($!)
    PIDS+=($!)
  done
  wait "${pids[@]}" || true
}

# sample_cpu FILE JOINED PID...: each process's CPU ticks at the start, JOINED seconds later
# (the storm's end plus 5 s) and at the end of the run, so that the steady state is measured apart.
sample_cpu() {
  local file=$1 joined=$2; shift 2
  ( for pid in "$@"; do echo "start $pid $(ticks "$pid")"; done
    sleep "$joined"; for pid in "$@"; do echo "joined $pid $(ticks "$pid")"; done
    sleep $(python3 -c "print(max(0.0, $RUN - $joined - 0.5))"); for pid in "$@"; do echo "end $pid $(ticks "$pid")"; done
  ) >"$file" &
  PIDS+=($!)
}

JOINED=$(python3 -c "print(round($LISTENERS / $RATE + 5, 1))")

# The cluster.
start_redis "$REDIS_PORT" "$OUT/cluster-redis.log"
NODE_PIDS=()
PORTS=""
for i in $(seq 1 "$NODES"); do
  port=$((BASE + i))
  "${NODE_ENV[@]}" "$SPACES" serve --port "$port" --event-loops 1 --log-level warning \
    --cluster "redis://127.0.0.1:$REDIS_PORT" --node-id "n$i" --public-url "ws://127.0.0.1:$port" \
    >"$OUT/cluster-node-$i.log" 2>&1 &
  NODE_PIDS+=($!)
  PIDS+=($!)
  PORTS="$PORTS${PORTS:+,}$port"
done
for i in $(seq 1 "$NODES"); do
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$((BASE + i))/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
done
start_host $((BASE + 1)) $((LISTENERS + 1000)) $((RUN + 30))
sleep 3  # the host's first batches are out and every node has beaten
sample_lag "$OUT/cluster-lag.txt" "$RUN" $(seq -f "%g" $((BASE + 1)) $((BASE + NODES)))
sample_cpu "$OUT/cluster-cpu.txt" "$JOINED" "${NODE_PIDS[@]}" "$REDIS_PID"
run_swarm cluster-swarm "$LISTENERS" "$RATE" "$PORTS"
sleep 1
{
  echo "cluster: $LISTENERS listeners over $NODES nodes, $RUN s, joining at $RATE/s; each node relay.fanoutShare $SHARE (starting at relay.writesPerSecondPerCore $WRITES), relay.maxBatchLatencyMs $MAX_BATCH_MS"
  for i in $(seq 1 "$NODES"); do
    curl -sf "http://127.0.0.1:$((BASE + i))/metrics" | awk -v node="n$i" '
      /^spaces_audio_writes / { w = $2 } /^spaces_audio_batches_relayed_total / { r = $2 }
      /^spaces_audio_batches_dropped / { d = $2 } /^spaces_audio_batches_shed / { h = $2 } /^spaces_audio_batches_stale / { st = $2 }
      END { printf "node %s: %d audio writes, %d batches relayed in, %d dropped for slow listeners, %d shed (queue full), %d shed (older than relay.maxLagMs)\n", node, w, r, d, h, st }' || true
  done
  echo "each node's lag behind live, every 5 s:"
  cat "$OUT/cluster-lag.txt"
  redis-cli -p "$REDIS_PORT" info commandstats | tr -d '\r' | awk -F'[:=,]' -v s="$RUN" '
    /^cmdstat_(evalsha|spublish|eval)/ {
      printf "redis %s: %d calls (%.0f/s), %.1f µs each, %.1f %% of a Redis core\n", substr($1, 9), $3, $3 / s, $7, 100 * $5 / 1e6 / s }'
} >"$OUT/cluster-nodes.txt"
for pid in "${NODE_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
kill "$REDIS_PID" 2>/dev/null || true
sleep 1

# The baseline: one embedded node, the same batching settings, 15,000 listeners joining at one
# node's share of the rate.
if [ "${BASELINE:-1}" != 0 ]; then
  "${NODE_ENV[@]}" "$SPACES" serve --port 18479 --event-loops 1 --log-level warning \
    >"$OUT/node.log" 2>&1 &
  NODE_PID=$!
  PIDS+=("$NODE_PID")
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:18479/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
  start_host 18479 $((BASELINE_LISTENERS + 1000)) $((RUN + 30))
  sleep 3
  BASELINE_RATE=$(( RATE / NODES > 100 ? RATE / NODES : 100 ))
  BASELINE_JOINED=$(python3 -c "print(round($BASELINE_LISTENERS / $BASELINE_RATE + 5, 1))")
  sample_cpu "$OUT/cluster-single-cpu.txt" "$BASELINE_JOINED" "$NODE_PID"
  run_swarm cluster-single-swarm "$BASELINE_LISTENERS" "$BASELINE_RATE" 18479
  sleep 1
  kill "$NODE_PID" 2>/dev/null || true
fi

python3 "$ROOT/Bench/scenarios/swarm_report.py" "$OUT" "$LISTENERS" "$NODES" "$RUN" "$RATE" "$JOINED" "$HZ" \
  "${BASELINE_JOINED:-0}" "$BASELINE_LISTENERS" | tee "$OUT/cluster.txt"
