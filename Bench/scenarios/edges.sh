#!/usr/bin/env bash
# edges: what N nodes subscribed to one Space cost Redis (Bench/Commands/Edges), with 1 edge as
# the same-run baseline. Starts its own redis-server (Config/redis.conf, no AOF) on core 1 and
# the simulated edges on core 0; stops what it started.
# Usage: Bench/scenarios/edges.sh [edges] [seconds]   (default 500, 20)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
EDGES=${1:-500}
SECONDS_RUN=${2:-20}
PORT=${PORT:-18390}
(cd "$ROOT/Bench" && swift build -c release --product Edges >/dev/null)
taskset -c 1 redis-server "$ROOT/Config/redis.conf" --port "$PORT" --appendonly no --dir /tmp --maxclients 10000 >/dev/null 2>&1 &
REDIS=$!
trap 'kill "$REDIS" 2>/dev/null || true' EXIT
for _ in $(seq 50); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
taskset -c 0 "$ROOT/Bench/.build/release/Edges" --redis "redis://127.0.0.1:$PORT" --redis-pid "$REDIS" \
  --edges "$EDGES" --seconds "$SECONDS_RUN"
redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true
