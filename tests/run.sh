#!/usr/bin/env bash
# Runs every kind of test and ends with the line "N passed, N failed".
# Exits non-zero when anything failed. B=build (or build/asan) says which
# build to test; SANITIZED=1 marks the sanitizer build, whose extension needs
# the sanitizer runtimes preloaded into foreign hosts (sqlite3 CLI, python3).
# Every test program prints "ok NAME" or "FAIL NAME ..." lines; a program that
# exits non-zero without a FAIL line counts as one failure.
set -u
cd "$(dirname "$0")/.."
export B=${B:-build}
export ROOT=$PWD
export TESTTMP=$(mktemp -d "${TMPDIR:-/tmp}/devdb-test.XXXXXX")
trap 'rm -rf "$TESTTMP"' EXIT
export PYTHON=/usr/bin/python3
export HOST_PRELOAD=
if [ -n "${SANITIZED:-}" ]; then
  HOST_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
pass=0
fail=0

# run_one LABEL CMD...: run a test program and count its ok/FAIL lines.
run_one() {
  local label=$1 out rc nfail_before=$fail
  shift
  out=$("$@" 2>&1)
  rc=$?
  while IFS= read -r line; do
    case "$line" in
      ok\ *) pass=$((pass + 1)); [ -n "${VERBOSE:-}" ] && echo "$line" ;;
      FAIL*) fail=$((fail + 1)); echo "$line" ;;
      *) [ $rc -ne 0 ] || [ -n "${VERBOSE:-}" ] && echo "$line" ;;
    esac
  done <<<"$out"
  if [ $rc -ne 0 ] && [ $fail -eq $nfail_before ]; then
    fail=$((fail + 1))
    echo "FAIL $label: exited with status $rc"
  fi
}

for f in tests/sql/*.test; do
  t="$TESTTMP/sql/$(basename "$f" .test)"
  mkdir -p "$t"
  run_one "$f" "$B/sqltest" --load "$B/devdb.so" --tmp "$t" --fixtures "$ROOT/fixtures" "$f"
done
# one program per tests/unit/*.c (a stale binary whose source is gone is not run)
for c in tests/unit/*.c; do
  t="$B/unit/$(basename "$c" .c)"
  if [ -x "$t" ]; then run_one "$t" "$t"; else fail=$((fail + 1)); echo "FAIL $c: not built"; fi
done
for t in tests/inventory/run.sh tests/shell/*.sh; do
  [ -f "$t" ] && run_one "$t" bash "$t"
done
for t in tests/client/test_*.py; do
  [ -f "$t" ] && run_one "$t" env ASAN_OPTIONS=detect_leaks=0 LD_PRELOAD="$HOST_PRELOAD" "$PYTHON" "$t"
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
