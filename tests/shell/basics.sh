# The shell skeleton through a pipe: version, help, usage errors, SQL in the
# REPL printed as aligned tables, JSON and CSV output, exit codes.
source tests/lib/check.sh
D=$(mktemp -d "$TESTTMP/shell.XXXX")
DEVDB=$B/devdb

out=$($DEVDB --version); expect_match shell-version '^devdb [0-9]+\.[0-9]+\.[0-9]+ \(SQLite 3\.' "$out"
out=$($DEVDB --help); expect_match shell-help 'usage: devdb \[options\] DB' "$out"

$DEVDB >/dev/null 2>&1; expect_status shell-no-db-is-usage 2 $?
$DEVDB --bogus x.db >/dev/null 2>&1; expect_status shell-bad-option-is-usage 2 $?
out=$($DEVDB "$D/a.db" frobnicate 2>&1); rc=$?
expect_status shell-unknown-command-is-usage 2 $rc
expect_match shell-unknown-command-message "unknown command 'frobnicate'" "$out"

out=$(printf 'CREATE TABLE t(a, bb);\nINSERT INTO t VALUES (1, '"'"'x'"'"'), (22, NULL);\nSELECT a,\n  bb FROM t;\n' | $DEVDB "$D/a.db")
expect_eq shell-repl-table "a   bb
--  ----
1   x
22  NULL" "$out"

out=$(echo "SELECT a, bb FROM t;" | $DEVDB --json "$D/a.db")
expect_eq shell-repl-json '[{"a":1,"bb":"x"},
{"a":22,"bb":null}]' "$out"

out=$(echo "SELECT a, bb FROM t;" | $DEVDB --csv "$D/a.db")
expect_eq shell-repl-csv 'a,bb
1,x
22,' "$out"

# No prompt or banner when stdin is not a terminal; errors go to stderr and
# make the exit status 1.
out=$(echo "SELECT nosuch FROM t;" | $DEVDB "$D/a.db" 2>/dev/null); rc=$?
expect_eq shell-error-not-on-stdout "" "$out"
expect_status shell-error-exit-status 1 $rc
err=$(echo "SELECT nosuch FROM t;" | $DEVDB "$D/a.db" 2>&1 >/dev/null)
expect_match shell-error-message 'no such column: nosuch' "$err"

out=$(printf '.help\n' | $DEVDB "$D/a.db"); expect_match shell-dot-help 'help +\[COMMAND\]' "$out"
out=$($DEVDB "$D/a.db" he); expect_match shell-prefix-dispatch 'Commands' "$out"
out=$(printf '.help help\n' | $DEVDB "$D/a.db"); expect_match shell-help-command 'list the commands, or explain one' "$out"

# The extension is linked in.
out=$(echo "SELECT count(*) FROM devdb_schema WHERE kind='table';" | $DEVDB --csv "$D/a.db")
expect_eq shell-extension-linked 'count(*)
1' "$out"
