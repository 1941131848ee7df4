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
# operation in the memory loops, FAULT_IO_MAX per I/O class; FAULT_KILLS
# kill -9 runs and FAULT_SEEDS power-loss seeds per sync point, per
# operation and journal mode; FAULT_SECONDS for the driver. FAULT_ONLY=NAME
# runs one operation (NAME* those whose name starts so). Strided loops start
# at a point FAULT_SEED picks (default: the time), printed for a rerun. The open bugs of
# tests/fault/known.txt print as "known" and are counted, not failed;
# FAULT_STRICT=1 fails them too.
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
seed=${FAULT_SEED:-$(date +%s)}
known=(--known tests/fault/known.txt)
[ -n "${FAULT_STRICT:-}" ] && known=()
timeout "${FAULT_SECONDS:-420}" "$B/fault" --dir "$T/work" --max "${FAULT_MAX:-12}" \
  --io-max "${FAULT_IO_MAX:-8}" --seed "$seed" --kills "${FAULT_KILLS:-6}" --seeds "${FAULT_SEEDS:-1}" \
  --names "$T/names.txt" --devdb "$B/devdb" "${known[@]}" "${only[@]}" tests/fault/ops.txt \
  >"$T/out" 2>&1
rc=$?
[ $rc -eq 124 ] && echo "FAIL fault: the time bound of ${FAULT_SECONDS:-420} s was hit" >>"$T/out"
[ $rc -ne 0 ] && [ $rc -ne 1 ] && [ $rc -ne 124 ] && echo "FAIL fault: exited with status $rc" >>"$T/out"
ASAN_OPTIONS=detect_leaks=0 LD_PRELOAD="$HOST_PRELOAD" timeout 300 /usr/bin/python3 \
  tests/fault/hostile.py >>"$T/out" 2>&1
rc=$?
[ $rc -gt 1 ] && echo "FAIL hostile.py: exited with status $rc" >>"$T/out"

grep -E '^(FAIL|known)' "$T/out" | cut -c1-400
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
  allocation failures  $(fig oom-commit-vetoed) left a transaction SQLite could not roll back yet: its COMMIT was vetoed
  hostile objects      $(fig hostile-objects) hostile databases, $(fig hostile-checks) host checks
  time                 $(($(date +%s) - t0)) s (FAULT_SEED=$seed repeats this run's fault points)
$pass passed, $fail failed$( [ "$(fig known-open-bugs)" -gt 0 ] && echo ", $(fig known-open-bugs) known open bugs (tests/fault/known.txt)")
EOF
[ "$fail" -eq 0 ]
