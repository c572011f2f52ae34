# Shared by the scenario scripts: build, start a node pinned to core 0, a host, and clean up.
# Everything started here is stopped on exit, by PID.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SPACES="$ROOT/.build/release/spaces"
OUT="${OUT:-$ROOT/Bench/results}"
mkdir -p "$OUT"
PIDS=()
cleanup() { for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

build() {
  (cd "$ROOT" && swift build -c release --product spaces >/dev/null)
}

# start_node PORT [extra serve flags...]: the node on core 0, one event loop. The rehearsal
# comes from this one machine, so the per-address shares of a line, of connections and of
# handshakes per second are off (LINE_SHARE=, CONNECTION_SHARE= and HANDSHAKE_SHARE= set them).
start_node() {
  local port=$1; shift
  SPACES_LIMITS_CONNECTIONS_PER_ADDRESS="${CONNECTION_SHARE:-0}" SPACES_LIMITS_LINE_PLACES_PER_ADDRESS="${LINE_SHARE:-0}" SPACES_LIMITS_HANDSHAKES_PER_SECOND_PER_ADDRESS="${HANDSHAKE_SHARE:-0}" SPACES_SERVER_HOST_KEY=bench taskset -c 0 "$SPACES" serve --port "$port" --event-loops 1 --log-level warning "$@" \
    >"$OUT/node.log" 2>&1 &
  NODE_PID=$!
  PIDS+=("$NODE_PID")
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "the node did not start" >&2; cat "$OUT/node.log" >&2; exit 1
}

# start_host PORT CAPACITY SECONDS: a host streaming a tone on core 1; sets SPACE.
start_host() {
  local port=$1 capacity=$2 seconds=$3
  taskset -c 1 "$SPACES" host start --server "http://127.0.0.1:$port" --host-key bench --title bench \
    --capacity "$capacity" --tone 440 --duration "$seconds" >"$OUT/host.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 50); do
    SPACE=$(sed -n 's/^Space \([0-9a-f]*\) .*/\1/p' "$OUT/host.log" | head -n 1)
    [ -n "$SPACE" ] && return 0
    sleep 0.1
  done
  echo "the host did not start" >&2; cat "$OUT/host.log" >&2; exit 1
}

# node_rss_kib: resident memory of the node now.
node_rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$NODE_PID/status"; }

# node_cpu_ticks: user+system clock ticks of the node so far.
node_cpu_ticks() { awk '{print $14 + $15}' "/proc/$NODE_PID/stat"; }

# sample_rss FILE: the node's RSS every second until killed.
sample_rss() {
  while kill -0 "$NODE_PID" 2>/dev/null; do node_rss_kib >>"$1" 2>/dev/null || true; sleep 1; done
}

# build_joins: the C join driver (joins.c) and the bare SwiftNIO WebSocket server, the baseline
# of the join and memory scenarios; sets BARE and JOINS, and SOURCES (the driver's addresses).
build_joins() {
  (cd "$ROOT/Bench" && swift build -c release --product BareWebSocket >/dev/null)
  BARE="$ROOT/Bench/.build/release/BareWebSocket"
  JOINS="$OUT/joins"
  cc -O2 -o "$JOINS" "$ROOT/Bench/scenarios/joins.c"
  SOURCES=(127.0.0.2 127.0.0.3 127.0.0.4 127.0.0.5)
}

# start_bare PORT: the bare server on core 0; sets BARE_PID.
start_bare() {
  taskset -c 0 "$BARE" --port "$1" >"$OUT/bare.log" 2>&1 &
  BARE_PID=$!
  PIDS+=("$BARE_PID")
  for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
  echo "the bare server did not start" >&2; exit 1
}

# sample_lag FILE SECONDS PORT...: each node's lag behind live (its shards' worst,
# spaces_relay_lag_ms), every 5 s for SECONDS, one line per sample, in the background.
sample_lag() {
  local file=$1 seconds=$2; shift 2
  ( for _ in $(seq $((seconds / 5))); do
      sleep 5
      local line="lag ms:" port
      for port in "$@"; do
        line="$line $(curl -sf "http://127.0.0.1:$port/metrics" | awk '/^spaces_relay_lag_ms / { print $2 }')"
      done
      echo "$line"
    done >"$file" ) &
  PIDS+=($!)
}

# start_redis PORT LOG: redis-server with the shipped Config/redis.conf (no AOF: nothing here is
# kept) on PORT; sets REDIS_PID once it answers.
start_redis() {
  redis-server "$ROOT/Config/redis.conf" --port "$1" --appendonly no --dir /tmp --maxclients 10000 >"$2" 2>&1 &
  REDIS_PID=$!
  PIDS+=("$REDIS_PID")
  for _ in $(seq 50); do redis-cli -p "$1" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "redis-server did not start" >&2; cat "$2" >&2; exit 1
}
