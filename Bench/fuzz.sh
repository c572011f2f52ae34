#!/usr/bin/env bash
# fuzz: builds each libFuzzer target of Bench/Fuzz (release, -sanitize=fuzzer, lld, -enable-testing
# for the internal parsers) and runs it SECONDS on its seed corpus (Bench/Fuzz/Corpus/NAME, kept
# in the repository) and what it generates (in a scratch folder, not kept). A crash stops the
# run: its input is written to Bench/results/fuzz/ and the script exits non-zero.
# Usage: Bench/fuzz.sh [SECONDS] [TARGET...]   (default 60, every target)
set -euo pipefail
cd "$(dirname "$0")/Fuzz"
SECONDS_EACH=${1:-60}
shift || true
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
  TARGETS=(FuzzAudioBatch FuzzClientEvent FuzzSignedToken FuzzExtensionHeader FuzzFrameAssembler FuzzOggReader)
fi
OUT="$(cd .. && pwd)/results/fuzz"
mkdir -p "$OUT"
FLAGS=(-c release -Xswiftc -sanitize=fuzzer -Xswiftc -enable-testing -Xswiftc -use-ld=lld)
status=0
for target in "${TARGETS[@]}"; do
  swift build "${FLAGS[@]}" --product "$target" 2>&1 | tail -1
  scratch=$(mktemp -d)
  mkdir -p "Corpus/$target"
  echo "== $target: $SECONDS_EACH s"
  if ! "$(swift build "${FLAGS[@]}" --show-bin-path)/$target" -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 \
      -artifact_prefix="$OUT/$target-" -print_final_stats=1 "$scratch" "Corpus/$target" 2>"$OUT/$target.log"; then
    status=1
    echo "$target: CRASH, see $OUT/$target.log and $OUT/$target-*"
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$OUT/$target.log" | tr '\n' ' '; echo
  rm -rf "$scratch"
done
exit $status
