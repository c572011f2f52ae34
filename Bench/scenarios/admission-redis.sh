#!/usr/bin/env bash
# admission-redis: what a Lua script per join would cost Redis, beside what the cluster does
# (one sync script per Space per node per admission tick, measured by cluster.sh). Starts its own
# redis-server, runs N joins through a per-join decision script (capacity check against the
# nodes' counts, the arrival into the line's sorted set, its rank back) with redis-benchmark
# (C clients, no pipelining: a join waits for its answer), and reports Redis CPU per join and
# the round trip a join would wait. Stops what it started.
# Usage: Bench/scenarios/admission-redis.sh [joins] [clients]   (default 50000, 50)
source "$(dirname "$0")/common.sh"
JOINS=${1:-50000}
CLIENTS=${2:-50}
PORT=18490
redis-server --port "$PORT" --save '' --appendonly no >"$OUT/admission-redis.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
# One join's decision: free slots = capacity − the sum of every node's occupied; admit here
# (count it) or put the arrival in the line and answer its rank.
SHA=$(redis-cli -p "$PORT" script load "
  local occupied = 0
  for _, v in ipairs(redis.call('HVALS', KEYS[1])) do occupied = occupied + tonumber(v) end
  if occupied < tonumber(ARGV[1]) then
    redis.call('HINCRBY', KEYS[1], ARGV[2], 1)
    return 0
  end
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2] .. '/' .. ARGV[3])
  return redis.call('ZRANK', KEYS[2], ARGV[2] .. '/' .. ARGV[3]) + 1
" | tr -d '\r')
redis-cli -p "$PORT" hset 'P:space:{s}:slots' n1 0 n2 0 n3 0 >/dev/null
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
REDIS_PID=${PIDS[0]}
BEFORE=$(ticks "$REDIS_PID")
redis-benchmark -p "$PORT" -c "$CLIENTS" -n "$JOINS" -r 1000000000 --csv \
  evalsha "$SHA" 2 'P:space:{s}:slots' 'P:space:{s}:line' $((JOINS / 2)) n4 __rand_int__ >"$OUT/admission-redis.csv" 2>/dev/null
USED=$(( $(ticks "$REDIS_PID") - BEFORE ))
HZ=$(getconf CLK_TCK)
tail -n 1 "$OUT/admission-redis.csv" | tr -d '"' | awk -F, -v j="$JOINS" -v t="$USED" -v hz="$HZ" -v c="$CLIENTS" '{
  printf "a script per join: %d joins (half admitted, half into a line of %d), %d clients\n", j, j / 2, c
  printf "  %.0f joins/s; round trip p50 %.2f ms, p99 %.2f ms; Redis CPU %.1f µs per join\n", $2, $5, $7, 1e6 * t / hz / j
}'
