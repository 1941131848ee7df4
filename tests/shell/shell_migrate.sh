# The migration commands: status (counts, each migration not applied, exit
# 3 for CI), migrate (--plan, --to, one commit per migration, a failure
# keeps those before it), sql, mark, rollback and redo (confirmation,
# backup, undo), new (the directory's format and next version).
source tests/lib/check.sh
D=$(mktemp -d "$TESTTMP/migrate.XXXX")
DEVDB=$ROOT/$B/devdb
cd "$D"
mkdir -p db/migrations
m() { printf -- '-- migrate:up\n%s\n\n-- migrate:down\n%s\n' "$2" "$3" > "db/migrations/$1.sql"; }
m 001_users "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT);" "DROP TABLE users;"
m 002_posts "CREATE TABLE posts(id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id));" "DROP TABLE posts;"
m 003_bad "CREATE TABLE tags(id);
INSERT INTO nosuch VALUES (1);" "DROP TABLE tags;"
tables() { sqlite3 app.db "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE '%migrations%' ORDER BY name)"; }

$DEVDB app.db status >/dev/null 2>&1; expect_status status-missing-db 1 $?
out=$($DEVDB app.db migrate --plan --to 001)
expect_match migrate-plan 'CREATE TABLE users' "$out"
expect_eq migrate-plan-runs-nothing "" "$(tables)"
# A new database gets every migration in one transaction: the failing third
# takes the first two with it.
out=$($DEVDB app.db migrate 2>&1); expect_status migrate-new-db-fails 1 $?
expect_match migrate-error-names-file-line '003_bad.sql:3: no such table: nosuch' "$out"
expect_eq migrate-new-db-all-or-nothing "" "$(tables)"
out=$($DEVDB app.db migrate --to 001 --csv 2>/dev/null); expect_status migrate-to 0 $?
expect_eq migrate-to-output "applied,version,file
applied,001,001_users.sql" "$out"
# An existing database: each migration commits on its own.
out=$($DEVDB app.db migrate 2>&1); expect_status migrate-stops-at-failure 1 $?
expect_match migrate-keeps-before 'stopped at 003_bad.sql; the 1 applied before it are kept' "$out"
expect_eq migrate-kept-tables "posts users" "$(tables)"
out=$($DEVDB app.db status); expect_status status-attention 3 $?
expect_match status-counts 'db/migrations: 3 files, 2 applied, 1 pending' "$out"
expect_match status-lists-pending 'pending +003_bad.sql' "$out"
expect_match status-history 'history +devdb' "$out"
expect_eq status-json-not-applied '[{"state":"pending", "version":"003", "file":"003_bad.sql"}]' \
  "$($DEVDB app.db status --json | sed -n 's/^ "not_applied":\(.*\),$/\1/p')"

out=$($DEVDB app.db sql 002); expect_eq sql-up "-- up of 002_posts.sql
CREATE TABLE posts(id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id));" "$out"
out=$($DEVDB app.db sql 002_posts.sql --down); expect_match sql-down 'DROP TABLE posts;' "$out"
$DEVDB app.db sql 999 >/dev/null 2>&1; expect_status sql-unknown 1 $?

# mark: the history only.
out=$($DEVDB app.db mark 003); expect_eq mark-applied "marked 003 applied" "$out"
expect_eq mark-runs-nothing "posts users" "$(tables)"
out=$($DEVDB app.db mark 003 applied); expect_eq mark-again "003 was already applied" "$out"
$DEVDB app.db status >/dev/null; expect_status status-all-applied 0 $?
$DEVDB app.db mark 003 pending >/dev/null; expect_status mark-pending 0 $?
$DEVDB app.db mark 003 bogus >/dev/null 2>&1; expect_status mark-bad-state 2 $?

# rollback: confirmation, backup, undo.
out=$($DEVDB app.db rollback 2>&1 </dev/null); expect_status rollback-needs-yes 1 $?
expect_match rollback-names-what 'refusing to roll back 1 migration \(002_posts.sql\) of '"$D"'/app.db' "$out"
out=$($DEVDB app.db rollback --yes 2>&1); expect_status rollback-ok 0 $?
expect_eq rollback-dropped "users" "$(tables)"
undo=$(printf '%s\n' "$out" | sed -n 's/^devdb: to undo: devdb //p')
$DEVDB $undo --yes >/dev/null 2>&1
expect_eq rollback-undo "posts users" "$(tables)"
out=$($DEVDB app.db rollback --to 007 --yes 2>&1); expect_status rollback-to-unknown 1 $?
expect_match rollback-to-unknown-message "no migration '007'" "$out"
$DEVDB app.db rollback --to 001 --yes >/dev/null 2>&1; expect_eq rollback-to "users" "$(tables)"
$DEVDB app.db rollback --to all --yes >/dev/null 2>&1; expect_eq rollback-to-all "" "$(tables)"
$DEVDB app.db rollback x --yes >/dev/null 2>&1; expect_status rollback-bad-count 2 $?
$DEVDB app.db migrate --to 002 >/dev/null 2>&1
out=$($DEVDB app.db redo --yes 2>&1); expect_status redo-ok 0 $?
expect_match redo-output 'redone +002' "$out"
expect_eq redo-tables "posts users" "$(tables)"

# new: the directory's format and the next number.
out=$($DEVDB app.db new add_tags); expect_eq new-next-number "db/migrations/004_add_tags.sql" "$out"
expect_eq new-dbmate-template "-- migrate:up


-- migrate:down" "$(cat db/migrations/004_add_tags.sql)"
$DEVDB app.db new 'bad name' >/dev/null 2>&1; expect_status new-bad-name 2 $?
mkdir gm && printf 'CREATE TABLE a(x);\n' > gm/000001_a.up.sql && printf 'DROP TABLE a;\n' > gm/000001_a.down.sql
out=$($DEVDB app.db new b --migrations gm); expect_eq new-golang-migrate "gm/000002_b.up.sql
gm/000002_b.down.sql" "$out"
out=$($DEVDB app.db new first --migrations fresh); expect_match new-fresh-dir-timestamp '^fresh/[0-9]{14}_first\.sql$' "$out"

# status caches what it learns beside the database and notices every change:
# a migration applied by another tool, a new or edited migration file.
cd "$D" && rm -rf cache && mkdir cache && cd cache
mkdir -p db/migrations
printf -- '-- migrate:up\nCREATE TABLE a(x);\n-- migrate:down\nDROP TABLE a;\n' > db/migrations/001_a.sql
$DEVDB app.db migrate >/dev/null 2>&1
first=$($DEVDB app.db status)
expect_eq status-cache-written 1 "$(ls .devdb/cache/app.db.status | wc -l)"
expect_eq status-cache-same "$first" "$($DEVDB app.db status)"
printf -- '-- migrate:up\nCREATE TABLE b(x);\n-- migrate:down\nDROP TABLE b;\n' > db/migrations/002_b.sql
expect_match status-cache-new-file 'pending +002_b.sql' "$($DEVDB app.db status)"
sqlite3 app.db "DELETE FROM _devdb_migrations WHERE version = '001'"
expect_match status-cache-db-change '2 files, 0 applied, 2 pending' "$($DEVDB app.db status)"
$DEVDB app.db mark 001 >/dev/null; $DEVDB app.db migrate >/dev/null 2>&1
expect_match status-cache-after-migrate '2 files, 2 applied$' "$($DEVDB app.db status)"
printf -- '-- migrate:up\nCREATE TABLE b(yy);\n-- migrate:down\nDROP TABLE b;\n' > db/migrations/002_b.sql
expect_match status-cache-edited-file 'modified +002_b.sql' "$($DEVDB app.db status)"

# Ctrl-C (SIGINT) during a long migration: it is rolled back, the ones
# before it stay applied, and the run says so.
cd "$D" && rm -rf intr && mkdir -p intr/db/migrations && cd intr
printf -- '-- migrate:up\nCREATE TABLE a(x);\n-- migrate:down\nDROP TABLE a;\n' > db/migrations/001_a.sql
printf -- '-- migrate:up\nINSERT INTO a WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c;\n-- migrate:down\nDELETE FROM a;\n' > db/migrations/002_slow.sql
sqlite3 app.db "CREATE TABLE keep(x)"
$DEVDB app.db migrate >out.txt 2>err.txt &
pid=$!
for i in $(seq 200); do [ -e app.db-journal ] && break; sleep 0.05; done  # it writes
sleep 0.3; kill -INT $pid; wait $pid; rc=$?
expect_status migrate-interrupt-status 1 $rc
expect_match migrate-interrupt-message 'interrupted: 002_slow.sql is not applied \(what had started was rolled back\); the 1 applied before it are kept' "$(cat err.txt)"
expect_eq migrate-interrupt-kept "001 applied|002 pending" "$($DEVDB app.db "SELECT group_concat(version || ' ' || state, '|') FROM devdb_migrations('db/migrations')" --csv | tail -1)"
expect_eq migrate-interrupt-no-rows 0 "$(sqlite3 app.db 'SELECT count(*) FROM a')"
