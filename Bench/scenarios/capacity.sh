#!/usr/bin/env bash
# capacity: steps the listener count up until an objective breaks, and reports the largest
# count that met them all: "this node holds N listeners at p99 <= X".
# Usage: Bench/scenarios/capacity.sh ["p99-latency=500ms,loss=0.1%,join-p99=2s"] [steps...]
source "$(dirname "$0")/common.sh"
SLO=${1:-"p99-latency=500ms,loss=0.1%,join-p99=2s"}
shift || true
STEPS=("$@")
[ ${#STEPS[@]} -gt 0 ] || STEPS=(1000 2000 4000 6000 8000 10000 12000 15000)
PORT=18330
build
start_node "$PORT"
largest=0
: >"$OUT/capacity-steps.txt"
for count in "${STEPS[@]}"; do
  rate=$(( count / 10 > 200 ? count / 10 : 200 ))
  if taskset -c 1 "$SPACES" loadtest --server "http://127.0.0.1:$PORT" --host-key bench --capacity 20000 \
      --listeners "$count" --join-rate "$rate" --duration 25 --slo "$SLO" \
      --json "$OUT/capacity-$count.json" >"$OUT/capacity-$count.txt" 2>&1; then
    verdict=pass; largest=$count
  else
    verdict=fail
  fi
  line=$(grep -E "^  (p99-latency|loss|join-p99)" "$OUT/capacity-$count.txt" | tr -s ' ' | paste -sd ';' -)
  echo "$count listeners: $verdict ($line)" | tee -a "$OUT/capacity-steps.txt"
  [ "$verdict" = pass ] || break
done
printf '{"slo": "%s", "largestPassing": %d}\n' "$SLO" "$largest" >"$OUT/capacity.json"
echo "capacity: this node (one core, one event loop) holds $largest listeners at $SLO"
