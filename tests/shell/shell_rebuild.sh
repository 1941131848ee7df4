# rebuild (migrations and fixtures into a fresh database, verified, then
# swapped in after a backup; cached while nothing changes), load and dump.
source tests/lib/check.sh
D=$(mktemp -d "$TESTTMP/rebuild.XXXX")
DEVDB=$ROOT/$B/devdb
cd "$D"
mkdir -p db/migrations db/fixtures
m() { printf -- '-- migrate:up\n%s\n-- migrate:down\n%s\n' "$2" "$3" > "db/migrations/$1.sql"; }
m 001_users "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT NOT NULL);" "DROP TABLE users;"
m 002_posts "CREATE TABLE posts(id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id));" "DROP TABLE posts;"
printf "INSERT INTO users VALUES (1, 'a@x'), (2, 'b@x');\nINSERT INTO posts VALUES (1, 1);\n" > db/fixtures/seed.sql
q() { sqlite3 app.db "$1"; }

# A new database: nothing to ask about.
out=$($DEVDB app.db rebuild </dev/null 2>&1); expect_status rebuild-new 0 $?
expect_match rebuild-new-output 'rebuilt app.db: 2 migrations applied, 3 fixture rows loaded from 1 file' "$out"
expect_match rebuild-verified 'verified: integrity_check ok, foreign keys ok, every migration applied, no drift' "$out"
expect_eq rebuild-new-rows "2 1" "$(q 'SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM posts)' | tr '|' ' ')"
$DEVDB app.db check >/dev/null; expect_status rebuild-check-passes 0 $?

# An existing database: asks (refused without a terminal), backs up, undo.
q "INSERT INTO users VALUES (9, 'mine@x')"
out=$($DEVDB app.db rebuild 2>&1 </dev/null); expect_status rebuild-needs-yes 1 $?
expect_match rebuild-names-db "refusing to replace everything in $D/app.db with a new database built from db/migrations and the fixtures in db/fixtures" "$out"
out=$($DEVDB app.db rebuild --yes 2>&1); expect_status rebuild-cached 0 $?
expect_match rebuild-cache-used 'rebuilt app.db from the cache' "$out"
expect_eq rebuild-replaced 2 "$(q 'SELECT count(*) FROM users')"
undo=$(printf '%s\n' "$out" | sed -n 's/^devdb: to undo: devdb //p')
expect_match rebuild-undo-names-backup 'restore .devdb/backups/app-[0-9-]+-rebuild\.db$' "$undo"
$DEVDB $undo --yes >/dev/null 2>&1; expect_eq rebuild-undo-works 3 "$(q 'SELECT count(*) FROM users')"

# A changed migration is run again (not the cache); the old image goes.
m 003_tags "CREATE TABLE tags(id INTEGER PRIMARY KEY, name TEXT);" "DROP TABLE tags;"
out=$($DEVDB app.db rebuild --yes 2>&1); expect_status rebuild-changed 0 $?
expect_match rebuild-changed-runs '3 migrations applied' "$out"
expect_eq rebuild-one-image 1 "$(ls .devdb/cache | grep -c '^rebuild-')"
# The history table format of the database is kept (dbmate's here).
q "ALTER TABLE _devdb_migrations RENAME TO old_history" 2>/dev/null
q "DROP TABLE old_history; CREATE TABLE schema_migrations(version VARCHAR(128) PRIMARY KEY); INSERT INTO schema_migrations VALUES ('001'), ('002'), ('003')"
$DEVDB app.db rebuild --yes >/dev/null 2>&1
expect_eq rebuild-keeps-history-format "3 0" "$(q "SELECT (SELECT count(*) FROM schema_migrations), (SELECT count(*) FROM sqlite_schema WHERE name = '_devdb_migrations')" | tr '|' ' ')"

# A failing migration or a fixture that breaks a foreign key: nothing changes.
before=$(q 'SELECT count(*) FROM users'); nb=$(ls .devdb/backups | wc -l)
m 004_bad "CREATE TABLE x(id); INSERT INTO nosuch VALUES (1);" "DROP TABLE x;"
out=$($DEVDB app.db rebuild --yes 2>&1); expect_status rebuild-bad-migration 1 $?
expect_match rebuild-bad-migration-message '004_bad.sql:2: no such table: nosuch' "$out"
expect_match rebuild-nothing-changed 'rebuild: nothing was changed' "$out"
expect_eq rebuild-bad-no-backup "$nb" "$(ls .devdb/backups | wc -l)"
rm db/migrations/004_bad.sql
printf "INSERT INTO posts VALUES (7, 99);\n" > db/fixtures/zz_orphan.sql
out=$($DEVDB app.db rebuild --yes 2>&1); expect_status rebuild-bad-fixture 1 $?
expect_match rebuild-bad-fixture-message "zz_orphan.sql' adds 1 row whose foreign key points at no row" "$out"
expect_eq rebuild-bad-fixture-unchanged "$before" "$(q 'SELECT count(*) FROM users')"
rm db/fixtures/zz_orphan.sql
$DEVDB app.db "SELECT devdb_protect('demo')" >/dev/null
out=$($DEVDB app.db rebuild --yes 2>&1); expect_status rebuild-protected 1 $?
expect_match rebuild-protected-message 'is protected' "$out"
$DEVDB app.db "SELECT devdb_unprotect()" >/dev/null

# load: several files in one transaction, all or nothing; CSV into a table.
printf 'id,email\n10,c@x\n11,d@x\n' > more.csv
printf "INSERT INTO users VALUES (12, 'e@x');\n" > more.sql
n=$(q 'SELECT count(*) FROM users')
out=$($DEVDB app.db load more.csv more.sql --table users --csv 2>/dev/null); expect_status load-ok 0 $?
expect_eq load-output "file,rows
more.csv,2
more.sql,1" "$out"
expect_eq load-rows $((n + 3)) "$(q 'SELECT count(*) FROM users')"
printf "INSERT INTO users VALUES (13, 'f@x');\n" > good.sql
printf "INSERT INTO nosuch VALUES (1);\n" > bad.sql
out=$($DEVDB app.db load good.sql bad.sql 2>&1); expect_status load-bad 1 $?
expect_match load-bad-names-file "bad.sql" "$out"
expect_eq load-all-or-nothing $((n + 3)) "$(q 'SELECT count(*) FROM users')"
$DEVDB app.db load nosuch.sql >/dev/null 2>&1; expect_status load-missing 1 $?

# dump: SQL that rebuilds the database.
$DEVDB app.db dump --to "$D/dump.sql"; expect_status dump-to-file 0 $?
sqlite3 copy.db < dump.sql
expect_eq dump-roundtrip "$(q 'SELECT group_concat(email) FROM users')" "$(sqlite3 copy.db 'SELECT group_concat(email) FROM users')"
expect_match dump-stdout 'CREATE TABLE users' "$($DEVDB app.db dump)"

# The fast path (the old file becomes the backup) only when no one else has
# the database open; with a reader holding it, the SQLite path, same result.
out=$($DEVDB app.db rebuild --yes 2>&1)
expect_match rebuild-fast-path 'backup before rebuild: .* \(the old file itself, checked\)' "$out"
(echo "BEGIN; SELECT count(*) FROM users;"; sleep 1; echo "COMMIT;") | sqlite3 app.db >/dev/null &
reader=$!; sleep 0.3
q "INSERT INTO users VALUES (50, 'z@x')" 2>/dev/null
out=$($DEVDB app.db rebuild --yes 2>&1); rc=$?; wait $reader
expect_status rebuild-shared 0 $rc
expect_eq rebuild-shared-no-fast-path "" "$(printf '%s\n' "$out" | grep 'the old file itself')"
expect_eq rebuild-shared-result 2 "$(q 'SELECT count(*) FROM users')"
# A WAL database stays one and is rebuilt through SQLite.
q "PRAGMA journal_mode=WAL" >/dev/null
out=$($DEVDB app.db rebuild --yes 2>&1); expect_status rebuild-wal 0 $?
expect_eq rebuild-wal-mode wal "$(q 'PRAGMA journal_mode')"
expect_eq rebuild-wal-result 2 "$(q 'SELECT count(*) FROM users')"
out=$($DEVDB app.db rebuild --yes --json 2>/dev/null)
expect_match rebuild-json '^\[\{"database":"app.db","cached":1,"migrations":null,"rows":null,"backup":".devdb/backups/' "$out"
