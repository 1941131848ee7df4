# devdb_diff_sql's script in the sqlite3 CLI: it runs as is with -bail,
# keeps child rows of a rebuilt parent, and stops (changing nothing) when
# it finds foreign keys still on because it was run inside a transaction.
source tests/lib/check.sh
db=$TESTTMP/diff_script.db
rm -f "$db"
sqlite3 "$db" "CREATE TABLE p(id INTEGER PRIMARY KEY, v INT);
  CREATE TABLE c(pid REFERENCES p(id) ON DELETE CASCADE);
  INSERT INTO p VALUES (1, 1); INSERT INTO c VALUES (1);"
target="CREATE TABLE p(id INTEGER PRIMARY KEY, v TEXT); CREATE TABLE c(pid REFERENCES p(id) ON DELETE CASCADE);"
host_sqlite3 "$db" ".load $B/devdb" ".output $TESTTMP/diff_script.sql" \
  "SELECT devdb_diff_sql('main', '$target');"
expect_match diff-script-fk-off-before-begin "^PRAGMA foreign_keys=OFF;" "$(head -8 "$TESTTMP/diff_script.sql")"

# A runner that wraps the file in its own transaction: the script's BEGIN fails.
out=$( (echo 'PRAGMA foreign_keys=ON; BEGIN;'; cat "$TESTTMP/diff_script.sql") | sqlite3 -bail "$db" 2>&1)
expect_match diff-script-begin-stops-in-transaction "cannot start a transaction within a transaction" "$out"
# One that also strips BEGIN and COMMIT: the guard stops it.
out=$( (echo 'PRAGMA foreign_keys=ON; BEGIN;'; grep -v '^BEGIN;$' "$TESTTMP/diff_script.sql" | grep -v '^COMMIT;$') | sqlite3 -bail "$db" 2>&1)
expect_match diff-script-guard-stops-in-transaction "foreign_keys is still on" "$out"
expect_eq diff-script-guard-changed-nothing "1|integer" "$(sqlite3 "$db" 'SELECT count(*), (SELECT typeof(v) FROM p) FROM c')"

sqlite3 -bail "$db" < "$TESTTMP/diff_script.sql" >/dev/null 2>&1
expect_status diff-script-runs 0 $?
expect_eq diff-script-kept-children "1|text" "$(sqlite3 "$db" 'SELECT count(*), (SELECT typeof(v) FROM p) FROM c')"
expect_eq diff-script-reached-target "0" \
  "$(host_sqlite3 "$db" ".load $B/devdb" "SELECT count(*) FROM devdb_diff('main', '$target');")"
