# Inventory: the functions and modules devdb registers, with their flags,
# against the committed list, so a lost DIRECTONLY fails a test. Flags:
# 2099200 = DETERMINISTIC|INNOCUOUS (pure), 524288 = DIRECTONLY (side effect).
# Virtual tables show no flags in a PRAGMA, so each one is also used from a
# view: a DIRECTONLY table must refuse ("unsafe use"), an INNOCUOUS one work.
source tests/lib/check.sh
got=$(host_sqlite3 :memory: ".load $B/devdb" \
  "SELECT 'function', name, narg, flags FROM pragma_function_list WHERE name LIKE 'devdb%' ORDER BY 2, 3;
   SELECT 'module', name FROM pragma_module_list WHERE name LIKE 'devdb%' ORDER BY 2;")
expect_eq inventory-list "$(cat tests/inventory/expected.txt)" "$got"

# Every module in the list is DIRECTONLY: a view over it cannot be queried.
for m in $(grep '^module|' tests/inventory/expected.txt | cut -d'|' -f2); do
  out=$(host_sqlite3 :memory: ".load $B/devdb" "CREATE VIEW v AS SELECT * FROM $m; SELECT * FROM v;" 2>&1)
  expect_match "inventory-directonly-$m" "unsafe use of virtual table" "$out"
done
# Every function flagged DIRECTONLY refuses to run from a view.
for f in $(grep '^function|' tests/inventory/expected.txt | awk -F'|' '$4==524288 {print $2"|"$3}' | sort -u); do
  name=${f%|*}; narg=${f#*|}
  args=$(python3 -c "print(','.join(['NULL']*max(0,int('$narg'))))")
  out=$(host_sqlite3 :memory: ".load $B/devdb" "CREATE VIEW v AS SELECT $name($args); SELECT * FROM v;" 2>&1)
  expect_match "inventory-directonly-$name-$narg" "unsafe use of $name" "$out"
done
