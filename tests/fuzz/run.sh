#!/usr/bin/env bash
# make fuzz: every libFuzzer target of tests/fuzz/ for FUZZ_SECONDS each,
# from its committed corpus (tests/fuzz/corpus/TARGET; new inputs go to
# build/, never into the tree). Prints each target's executions, the total,
# and "N passed, N failed". A crash, leak, timeout or broken property is a
# failure: the input is kept in $B/crashes/TARGET/; once fixed, commit it
# (minimised with -minimize_crash=1) under tests/fuzz/regress/TARGET/, where
# make test replays it.
set -u
cd "$(dirname "$0")/../.."
B=${B:-build/fuzz}
SECS=${FUZZ_SECONDS:-60}
T=$(mktemp -d "${TMPDIR:-/tmp}/devdb-fuzz.XXXXXX")
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
total=0
t0=$(date +%s)
printf '\nmake fuzz: %s s per target\n' "$SECS"
for bin in "$B"/libfuzzer/fuzz_*; do
  [ -x "$bin" ] || continue
  t=${bin##*/}
  mkdir -p "$T/$t" "$B/crashes/$t"
  seeds=(tests/fuzz/corpus/"$t")
  [ -d tests/fuzz/regress/"$t" ] && seeds+=(tests/fuzz/regress/"$t")
  TMPDIR="$T" ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 "$bin" -max_total_time="$SECS" \
    -timeout=20 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$B/crashes/$t/" "$T/$t" "${seeds[@]}" >"$T/$t.log" 2>&1
  rc=$?
  n=$(awk '/stat::number_of_executed_units/ {print $2}' "$T/$t.log")
  n=${n:-0}
  total=$((total + n))
  if [ $rc -eq 0 ]; then
    pass=$((pass + 1))
    printf '  ok %-14s %9d executions (%d new inputs)\n' "$t" "$n" "$(ls "$T/$t" | wc -l)"
  else
    fail=$((fail + 1))
    printf 'FAIL fuzz %s after %d executions; the input is in %s:\n' "$t" "$n" "$B/crashes/$t"
    grep -E 'ERROR|fuzz_|SUMMARY|Test unit written' "$T/$t.log" | head -12
  fi
done
printf '  fuzz executions    %d in %d s\n%d passed, %d failed\n' "$total" "$(($(date +%s) - t0))" \
  "$pass" "$fail"
[ "$fail" -eq 0 ]
