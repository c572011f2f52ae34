#!/usr/bin/env bash
# storm: joins arriving at 10x the Space's capacity within 30 s while a full broadcast runs.
# Checks: every join answered (welcome, waiting or 503), the admitted listeners' p99 latency
# during the storm within 2x its value before, positions never go back, bounded memory.
# Usage: Bench/scenarios/storm.sh [capacity]   (default 1500; the storm is 10x that)
source "$(dirname "$0")/common.sh"
CAPACITY=${1:-1500}
STORM=$((CAPACITY * 10))
PORT=18310
build
# A waiting room of 5x the capacity: half the storm waits in line, half is told 503 + ticket.
SPACES_ADMISSION_WAITING_ROOM_SIZE=$((CAPACITY * 5)) start_node "$PORT"
start_host "$PORT" "$CAPACITY" 100
RSS="$OUT/storm-rss.txt"; : >"$RSS"; sample_rss "$RSS" & PIDS+=($!)

# The audience already in: CAPACITY listeners for 75 s; the storm starts 25 s in.
taskset -c 1 "$SPACES" loadtest --server "http://127.0.0.1:$PORT" --space "$SPACE" --listeners "$CAPACITY" \
  --join-rate 500 --duration 75 --json "$OUT/storm-audience.json" >"$OUT/storm-audience.txt" 2>&1 &
AUDIENCE=$!; PIDS+=($AUDIENCE)
sleep 25
# The storm: capacity is full, so they wait in line (20,000 places) or get 503 with a ticket.
taskset -c 1 "$SPACES" loadtest --server "http://127.0.0.1:$PORT" --space "$SPACE" \
  --storm "$STORM:30" --duration 45 --no-retry --json "$OUT/storm-storm.json" >"$OUT/storm-storm.txt" 2>&1 || true
wait "$AUDIENCE" || true

PYTHONPATH="$(dirname "$0")" python3 - "$OUT" "$STORM" <<'PY'
import json, sys
from timeline import p99_ms as p99
out, storm = sys.argv[1], int(sys.argv[2])
audience = json.load(open(f"{out}/storm-audience.json"))
burst = json.load(open(f"{out}/storm-storm.json"))
timeline = audience["timeline"]
before = p99([s for s in timeline if 15 <= s["second"] < 25])
during = p99([s for s in timeline if 27 <= s["second"] < 55])
answered = burst["answered"]
unanswered = burst["listeners"] - answered
rss = [int(x) for x in open(f"{out}/storm-rss.txt") if x.strip()]
ok = unanswered <= 0 and burst["positionsWentBack"] == 0 and (before == 0 or during <= 2 * before)
summary = {
    "storm": storm, "answered": answered, "failures": burst["failures"], "refused": burst["httpRefusals"],
    "waiting": burst["waitingAnswers"], "admitted": burst["admitted"], "positionsWentBack": burst["positionsWentBack"],
    "audienceP99BeforeMs": round(before, 1), "audienceP99DuringMs": round(during, 1),
    "nodeMaxRssMiB": round(max(rss) / 1024, 1) if rss else None, "pass": ok,
}
json.dump(summary, open(f"{out}/storm.json", "w"), indent=2)
print(f"storm: {storm} joins in 30 s: {answered} answered ({burst['admitted']} welcome, {burst['waitingAnswers']} waiting, "
      f"{sum(burst['httpRefusals'].values())} refused), failures {burst['failures']}; audience p99 {before:.0f} ms before, "
      f"{during:.0f} ms during; node max RSS {summary['nodeMaxRssMiB']} MiB: {'PASS' if ok else 'FAIL'}")
sys.exit(0 if ok else 1)
PY
