# Every side-effect function and every virtual table of devdb (from
# tests/inventory/expected.txt, so a new one is caught without an edit) has
# at least one line in tests/fault/ops.txt, the table the "nothing lost"
# harness runs under every fault. devdb_dup_scan is devdb's own internal
# function (it refuses any other caller) and is run by devdb_dedup's lines.
source tests/lib/check.sh
internal=" devdb_dup_scan "
for name in $(awk -F'|' '($1=="function" && $4==524288) || $1=="module" {print $2}' \
  tests/inventory/expected.txt | sort -u); do
  case "$internal" in *" $name "*) continue ;; esac
  if grep -v '^#' tests/fault/ops.txt | grep -q "\b$name\b"; then
    echo "ok fault-covers-$name"
  else
    echo "FAIL fault-covers-$name: no line of tests/fault/ops.txt calls $name"
  fi
done
