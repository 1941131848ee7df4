#!/usr/bin/env bash
# make fault: the "nothing lost" harness (reliability.md §6), bounded in time.
#
# Runs $B/fault over tests/fault/ops.txt (every mode: memory and I/O faults,
# power loss, kill -9, locks, read-only, races, identifiers, bad input) and
# tests/fault/hostile.py (every side-effect function and virtual table from
# hostile schemas), prints the FAIL lines (all lines with VERBOSE=1), the
# figures, and "N passed, N failed". Exits non-zero when anything failed or
# a time bound was hit.
#
# Bounds (make variables, see the Makefile): FAULT_MAX fault points per
# operation, mode and class; FAULT_KILLS kill -9 runs and FAULT_SEEDS
# power-loss seeds per operation and journal mode; FAULT_SECONDS for the
# driver. FAULT_ONLY=TEXT runs only the operations whose name holds TEXT.
set -u
cd "$(dirname "$0")/../.."
export B=${B:-build}
export HOST_PRELOAD=
if [ -n "${SANITIZED:-}" ]; then
  HOST_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/devdb-fault.XXXXXX")
trap 'rm -rf "$T"' EXIT
t0=$(date +%s)

/usr/bin/python3 tests/fault/names.py >"$T/names.txt"
only=()
[ -n "${FAULT_ONLY:-}" ] && only=(--only "$FAULT_ONLY")
timeout "${FAULT_SECONDS:-480}" "$B/fault" --dir "$T/work" --max "${FAULT_MAX:-120}" \
  --kills "${FAULT_KILLS:-12}" --seeds "${FAULT_SEEDS:-2}" --names "$T/names.txt" \
  "${only[@]}" tests/fault/ops.txt >"$T/out" 2>&1
rc=$?
[ $rc -eq 124 ] && echo "FAIL fault: the time bound of ${FAULT_SECONDS:-480} s was hit" >>"$T/out"
[ $rc -ne 0 ] && [ $rc -ne 1 ] && [ $rc -ne 124 ] && echo "FAIL fault: exited with status $rc" >>"$T/out"
ASAN_OPTIONS=detect_leaks=0 LD_PRELOAD="$HOST_PRELOAD" timeout 300 /usr/bin/python3 \
  tests/fault/hostile.py >>"$T/out" 2>&1
rc=$?
[ $rc -gt 1 ] && echo "FAIL hostile.py: exited with status $rc" >>"$T/out"

grep -E '^FAIL' "$T/out"
[ -n "${VERBOSE:-}" ] && grep -E '^ok' "$T/out"
grep -vE '^(ok|FAIL|figure) ' "$T/out" | head -40
fig() { awk -v k="$1" '$1=="figure" && $2==k {s+=$3} END {printf "%d", s}' "$T/out"; }
pass=$(grep -c '^ok ' "$T/out")
fail=$(grep -c '^FAIL' "$T/out")
cat <<EOF

make fault: nothing lost under faults (figures of this run)
  memory faults        $(fig oom-points) allocation failures injected over $(fig oom-operations) operations and sqlite3_devdb_init
  I/O faults           $(fig io-points) read/write/sync/truncate/lock/open/full-disk faults over $(fig io-operations) operation runs (DELETE and WAL)
  crashes simulated    $(($(fig power-losses) + $(fig kills))): $(fig power-losses) power losses, $(fig kills) kill -9 ($(fig kills-mid-operation) mid-operation)
  contention           $(fig busy-runs) runs against an exclusive lock, $(fig race-runs) four-process races, $(fig readonly-runs) read-only runs
  identifiers          $(fig identifiers) names tried ($(fig identifiers-rejected) rejected by SQLite itself), $(fig collision-names) beside devdb's temporary names
  bad inputs           $(fig bad-inputs) bad files refused
  hostile objects      $(fig hostile-objects) hostile databases, $(fig hostile-checks) host checks
  time                 $(($(date +%s) - t0)) s
$pass passed, $fail failed
EOF
[ "$fail" -eq 0 ]
