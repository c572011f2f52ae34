#!/usr/bin/env bash
# soak: MINUTES of churn against one node while a host streams, then whether the node's memory
# and open files come back to where they were. Each round of 60 s brings LISTENERS listeners in
# at 500/s for 45 s: a share drops once and resumes (--churn), a share stops reading and is
# evicted (--stall), a share reads slowly (--slow), and the audience asks, upvotes and reacts.
# Every third round the load tester is killed with SIGKILL mid-round instead (every connection
# dropped at once, no close). After each round, once the node holds no listener, its RSS and
# open files are read. The baseline is the idle node after round 1 (warm: the allocator and the
# kernel's buffers have seen one full round); the verdict compares the last round's with it
# (target: within 5 %). Stops what it started.
# Usage: Bench/scenarios/soak.sh [minutes] [listeners]   (default 30 2000)
source "$(dirname "$0")/common.sh"
MINUTES=${1:-30}
LISTENERS=${2:-2000}
PORT=18370
ROUNDS=$MINUTES
build
# A short grace, so the dropped-and-not-resumed slots are freed within the round. The question
# queue keeps its default bound (500 per Space): it fills in the first rounds and then refuses
# asks, so what it holds stops growing and any growth left is the node's own.
SPACES_ADMISSION_RESUME_GRACE_SECONDS=5 start_node "$PORT"
start_host "$PORT" $((LISTENERS + 100)) $((ROUNDS * 60 + 120))
fds() { ls "/proc/$NODE_PID/fd" | wc -l; }
listeners() { curl -sf "http://127.0.0.1:$PORT/v1/spaces/$SPACE" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["listeners"] + d["waiting"])'; }
: >"$OUT/soak.tsv"
echo -e "round\tkind\trss_kib\tfds\tidle_after_s\tadmitted" >>"$OUT/soak.tsv"
for round in $(seq 1 "$ROUNDS"); do
  started=$(date +%s)
  kind=churn
  taskset -c 1 "$SPACES" loadtest --server "http://127.0.0.1:$PORT" --space "$SPACE" --listeners "$LISTENERS" \
    --join-rate 500 --duration 45 --churn 0.3 --stall 0.05 --slow 0.05 \
    --questions-per-second 5 --upvotes-per-second 10 --reactions-per-second 5 \
    --json "$OUT/soak-round.json" >"$OUT/soak-round.txt" 2>&1 &
  load=$!
  PIDS+=("$load")
  if [ $((round % 3)) -eq 0 ]; then
    kind=sigkill
    sleep 25
    kill -9 "$load" 2>/dev/null || true
  fi
  wait "$load" 2>/dev/null || true
  admitted=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["admitted"])' "$OUT/soak-round.json" 2>/dev/null || echo "-")
  [ "$kind" = sigkill ] && admitted="-"
  rm -f "$OUT/soak-round.json"
  # Idle: no listener held or waiting (a dropped one's slot is held for the grace, 5 s).
  idle_from=$(date +%s)
  for _ in $(seq 120); do [ "$(listeners)" = "0" ] && break; sleep 0.5; done
  sleep 2
  echo -e "$round\t$kind\t$(node_rss_kib)\t$(fds)\t$(( $(date +%s) - idle_from ))\t$admitted" >>"$OUT/soak.tsv"
  tail -n 1 "$OUT/soak.tsv" >&2
  # The next round starts a minute after this one did.
  left=$(( started + 60 - $(date +%s) ))
  [ "$left" -gt 0 ] && sleep "$left"
done

python3 - "$OUT" "$LISTENERS" "$MINUTES" <<'PY'
import csv, json, sys
out, listeners, minutes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rows = list(csv.DictReader(open(f"{out}/soak.tsv"), delimiter="\t"))
base, last = rows[0], rows[-1]
rss = [int(r["rss_kib"]) for r in rows]
summary = {
    "minutes": minutes, "listenersPerRound": listeners, "rounds": len(rows),
    "baselineRssKiB": int(base["rss_kib"]), "finalRssKiB": int(last["rss_kib"]), "maxIdleRssKiB": max(rss),
    "rssRatio": round(int(last["rss_kib"]) / int(base["rss_kib"]), 3),
    "baselineFds": int(base["fds"]), "finalFds": int(last["fds"]),
    "fdsRatio": round(int(last["fds"]) / int(base["fds"]), 3),
    "rounds_": rows,
}
summary["verdict"] = "PASS" if summary["rssRatio"] <= 1.05 and summary["fdsRatio"] <= 1.05 else "FAIL"
json.dump(summary, open(f"{out}/soak.json", "w"), indent=2)
print(f"soak: {len(rows)} rounds of {listeners} listeners over {minutes} min (churn, stalls, SIGKILL every third); "
      f"idle RSS {summary['baselineRssKiB']} KiB after round 1 -> {summary['finalRssKiB']} KiB after the last "
      f"(x{summary['rssRatio']}, highest idle {summary['maxIdleRssKiB']} KiB); open files {summary['baselineFds']} -> "
      f"{summary['finalFds']} (x{summary['fdsRatio']}): {summary['verdict']}")
PY
