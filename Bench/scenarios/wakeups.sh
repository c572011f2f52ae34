#!/usr/bin/env bash
# wakeups: what a node pays, on loopback, for waking listeners asleep in epoll_wait. The same
# node (core 0, one event loop, the cluster scenario's batching: relay.fanoutShare 0.14) and N
# listeners from the C swarm on core 1, in turns: the swarm sleeping in epoll_wait as an ordinary
# client does (SWARM_WAIT=1), then polling with 1 ms sleeps as the scenarios' swarm does; twice
# each. Reports the node's and the swarm's CPU over 12 s of steady audio, and the ratio.
# Usage: Bench/scenarios/wakeups.sh [listeners]   (default 15000)
source "$(dirname "$0")/common.sh"
N=${1:-15000}
PORT=18395
build
SWARM="$OUT/swarm"
cc -O2 -o "$SWARM" "$ROOT/Bench/scenarios/swarm.c"
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
: >"$OUT/wakeups.txt"
for mode in wait poll wait poll; do
  SPACES_RELAY_FANOUT_SHARE=0.14 SPACES_RELAY_WRITES_PER_SECOND_PER_CORE=12000 start_node "$PORT"
  start_host "$PORT" $((N + 1000)) 40
  sleep 2
  SWARM_WAIT=$([ "$mode" = wait ] && echo 1 || echo 0) taskset -c 1 "$SWARM" "$SPACE" "$N" 3000 25 "$PORT" 127.0.0.2 127.0.0.3 \
    >"$OUT/wakeups-$mode.json" 2>/dev/null &
  swarm=$!
  PIDS+=($swarm)
  sleep 10
  n0=$(node_cpu_ticks); s0=$(ticks "$swarm")
  sleep 12
  n1=$(node_cpu_ticks); s1=$(ticks "$swarm")
  echo "$mode $((n1 - n0)) $((s1 - s0))" >>"$OUT/wakeups.txt"
  wait "$swarm" || true
  kill "$NODE_PID" 2>/dev/null || true
  wait "$NODE_PID" 2>/dev/null || true
  sleep 1
done
awk -v n="$N" -v hz="$(getconf CLK_TCK)" '
  { node[$1] += $2; swarm[$1] += $3; runs[$1]++; printf "%s: node %d ticks, swarm %d ticks over 12 s\n", $1, $2, $3 }
  END { printf "%d listeners: node %.0f %% of its core with a polling swarm, %.0f %% with one asleep in epoll_wait (x%.2f); swarm %.0f %% and %.0f %%\n",
        n, 100 * node["poll"] / runs["poll"] / hz / 12, 100 * node["wait"] / runs["wait"] / hz / 12, node["poll"] / node["wait"],
        100 * swarm["poll"] / runs["poll"] / hz / 12, 100 * swarm["wait"] / runs["wait"] / hz / 12 }' "$OUT/wakeups.txt"
