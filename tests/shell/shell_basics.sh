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

# The REPL through a pipe: a dot line is a command only at the start of a
# statement; several statements on a line; .quit stops; an unfinished
# statement at the end is an error; errors do not stop the run.
out=$(printf 'SELECT 1 AS a; SELECT 2 AS b;\nSELECT\n.5 AS c;\n.quit\nSELECT 3;\n' | $DEVDB "$D/a.db")
expect_eq repl-statements "a
-
1
b
-
2
c
---
0.5" "$out"
out=$(printf 'SELECT 1 AS a\n' | $DEVDB "$D/a.db" 2>&1); rc=$?
expect_status repl-incomplete-status 1 $rc
expect_match repl-incomplete-message 'incomplete SQL: SELECT 1 AS a' "$out"
out=$(printf 'SELECT nosuch;\nSELECT 5 AS ok;\n' | $DEVDB "$D/a.db" 2>/dev/null); rc=$?
expect_eq repl-error-continues "ok
--
5" "$out"
expect_status repl-error-status 1 $rc
out=$(printf '.nosuch\n' | $DEVDB "$D/a.db" 2>&1); rc=$?
expect_match repl-unknown-dot "unknown command 'nosuch'" "$out"
expect_status repl-unknown-dot-status 1 $rc

# SIGINT while a statement runs and stdin is not a terminal: the statement
# is stopped, what was rolled back is said, and the run ends with 130.
fifo="$D/in.fifo"; mkfifo "$fifo"
$DEVDB "$D/a.db" <"$fifo" >"$D/int.out" 2>"$D/int.err" &
pid=$!
exec 7>"$fifo"
echo "INSERT INTO t WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT x, 'x' FROM c;" >&7
for i in $(seq 200); do [ -e "$D/a.db-journal" ] && break; sleep 0.05; done  # it writes
sleep 0.2; kill -INT $pid; wait $pid; rc=$?; exec 7>&-
expect_status repl-sigint-status 130 $rc
expect_match repl-sigint-message 'interrupted: the statement was rolled back: nothing changed' "$(cat "$D/int.err")"
expect_eq repl-sigint-nothing-written 2 "$(echo 'SELECT count(*) FROM t;' | $DEVDB --csv "$D/a.db" | tail -1)"

# One-shot SQL: an argument with a space is SQL, not a command.
out=$($DEVDB "$D/a.db" "SELECT 1 AS one; SELECT 2 AS two"); expect_eq oneshot-sql "one
---
1
two
---
2" "$out"
$DEVDB "$D/a.db" "SELECT nosuch" 2>/dev/null; expect_status oneshot-sql-error 1 $?
# A value over several lines keeps the other columns aligned.
out=$($DEVDB "$D/a.db" "SELECT 'a
bb' AS x, 1 AS y" | sed 's/ *$//'); expect_eq table-multiline-value "x   y
--  -
a   1
bb" "$out"
