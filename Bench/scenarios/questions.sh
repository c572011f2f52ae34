#!/usr/bin/env bash
# questions: the audio latency of N listeners with and without question traffic, same node,
# same run. First N listeners only listen (the baseline); then, on a fresh Space, N listeners
# listen while the audience asks QPS questions/s, upvotes 2×QPS/s and reacts QPS/s. Reports
# the median and p99 audio latency of each half over the same window, their ratio, the node's
# CPU for each half, and what the question traffic was (sent, acknowledged, refused, updates).
# Usage: Bench/scenarios/questions.sh [listeners] [questions/s]   (default 15000 100)
source "$(dirname "$0")/common.sh"
N=${1:-15000}
QPS=${2:-100}
PORT=18350
build
# Room for every question of the run (the default keeps 500 per Space, then refuses asks).
SPACES_CONVERSATION_QUESTIONS_PER_SPACE=100000 start_node "$PORT"

# run NAME [loadtest flags...]: a fresh Space with a host on a tone, N listeners for 60 s.
run() {
  local name=$1; shift
  start_host "$PORT" 50000 90
  local host=${PIDS[-1]}
  local c0; c0=$(node_cpu_ticks)
  taskset -c 1 "$SPACES" loadtest --server "http://127.0.0.1:$PORT" --space "$SPACE" --listeners "$N" \
    --join-rate 1000 --duration 60 "$@" --json "$OUT/questions-$name.json" >"$OUT/questions-$name.txt" 2>&1 || true
  echo $(( $(node_cpu_ticks) - c0 )) >"$OUT/questions-$name.cpu"
  kill "$host" 2>/dev/null || true
  sleep 2
}
run quiet
run talking --questions-per-second "$QPS" --upvotes-per-second $((QPS * 2)) --reactions-per-second "$QPS"

PYTHONPATH="$(dirname "$0")" python3 - "$OUT" "$N" "$QPS" <<'PY'
import json, sys
from timeline import percentile_ms
out, n, qps = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
def half(name):
    report = json.load(open(f"{out}/questions-{name}.json"))
    # Everyone has joined by second 15 (1,000 joins/s); measure 20–55 s.
    window = [s for s in report["timeline"] if 20 <= s["second"] < 55]
    return {
        "admitted": report["admitted"],
        "p50Ms": round(percentile_ms(window, 0.5), 1),
        "p99Ms": round(percentile_ms(window, 0.99), 1),
        "framesLost": sum(s["framesLost"] for s in window),
        "nodeCpuSeconds": int(open(f"{out}/questions-{name}.cpu").read()) / 100,
        "sent": report.get("conversationSent", {}),
        "answers": report.get("conversationAnswers", {}),
        "questionUpdates": report.get("questionUpdates", 0),
        "reactionUpdates": report.get("reactionUpdates", 0),
    }
quiet, talking = half("quiet"), half("talking")
ratio = lambda key: round(talking[key] / quiet[key], 2) if quiet[key] else None
summary = {"listeners": n, "questionsPerSecond": qps, "quiet": quiet, "talking": talking,
           "p50Ratio": ratio("p50Ms"), "p99Ratio": ratio("p99Ms"), "cpuRatio": ratio("nodeCpuSeconds")}
json.dump(summary, open(f"{out}/questions.json", "w"), indent=2)
print(f"questions: {n} listeners; audio latency p50/p99 quiet {quiet['p50Ms']}/{quiet['p99Ms']} ms, "
      f"with {qps:.0f} questions/s {talking['p50Ms']}/{talking['p99Ms']} ms (×{summary['p50Ratio']}/×{summary['p99Ratio']}); "
      f"node CPU {quiet['nodeCpuSeconds']} s vs {talking['nodeCpuSeconds']} s (×{summary['cpuRatio']}); "
      f"sent {talking['sent']}, answers {talking['answers']}, {talking['questionUpdates']} questions updates received")
PY
