# diff, apply, check and lint through the shell: the drift against the
# migrations (history tables left out), apply's confirmation, refusal of
# data loss, backup and undo, check's exit codes for CI, lint's.
source tests/lib/check.sh
D=$(mktemp -d "$TESTTMP/diff.XXXX")
DEVDB=$ROOT/$B/devdb
cd "$D"
mkdir -p db/migrations
printf -- '-- migrate:up\nCREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n-- migrate:down\nDROP TABLE users;\n' > db/migrations/001_users.sql
printf -- '-- migrate:up\nCREATE UNIQUE INDEX users_email ON users(email);\n-- migrate:down\nDROP INDEX users_email;\n' > db/migrations/002_unique.sql
$DEVDB app.db migrate --to 001 >/dev/null 2>&1
sqlite3 app.db "ALTER TABLE users ADD COLUMN legacy INT; INSERT INTO users VALUES (1, 'a@x', 7), (2, 'a@x', NULL);"

# The history table (_devdb_migrations here) is no migration's: kept.
out=$($DEVDB app.db diff --csv); expect_status diff-ok 0 $?
expect_eq diff-rows 'seq,change,detail,risk
1,drop,column users.legacy dropped,data-loss: 1 non-NULL value in users.legacy; needs: SQLite 3.35.0
2,create,new index users_email UNIQUE ON users(email),will-fail: 1 duplicate group in UNIQUE ON users(email)' "$out"
out=$($DEVDB app.db diff --sql); expect_match diff-sql 'CREATE UNIQUE INDEX' "$out"
expect_eq diff-sql-keeps-history "" "$(printf '%s\n' "$out" | grep -i 'drop table.*devdb_migrations')"
out=$($DEVDB app.db diff "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT NOT NULL, legacy INT)" --csv 2>/dev/null)
expect_eq diff-target-sql-text 'seq,change,detail,risk' "$out"

out=$($DEVDB app.db check); expect_status check-attention 3 $?
expect_match check-migrations 'FAIL migrations +1 applied, 1 pending' "$out"
expect_match check-drift 'FAIL drift +2 differences from db/migrations' "$out"
expect_match check-integrity 'ok +integrity +ok' "$out"

out=$($DEVDB app.db lint db/migrations); expect_status lint-error-exit 3 $?
expect_match lint-will-fail 'error +will-fail-unique +users\(email\)' "$out"
$DEVDB app.db lint >/dev/null; expect_status lint-clean-exit 0 $?

# apply never drops a migration history table, even with --allow-data-loss.
out=$($DEVDB app.db apply "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT NOT NULL)" --allow-data-loss --yes 2>&1)
expect_status apply-history-target 0 $?
expect_eq apply-keeps-history 1 "$(sqlite3 app.db "SELECT count(*) FROM _devdb_migrations")"
expect_eq apply-history-target-done "id email" "$(sqlite3 app.db "SELECT group_concat(name, ' ') FROM pragma_table_info('users')")"

# apply: refused without a terminal, refuses data loss and will-fail changes.
sqlite3 plain.db "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT NOT NULL, legacy INT);
                  INSERT INTO users VALUES (1, 'a@x', 7), (2, 'a@x', NULL);"
target="CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE)"
cols() { sqlite3 plain.db "SELECT group_concat(name, ' ') FROM pragma_table_info('users')"; }
nb=$(ls .devdb/backups | wc -l)
out=$($DEVDB plain.db apply "$target" --yes 2>&1); expect_status apply-will-fail 1 $?
expect_match apply-will-fail-message 'would fail on the rows there' "$out"
expect_eq apply-refused-before-backup "$nb" "$(ls .devdb/backups | wc -l)"
sqlite3 plain.db "DELETE FROM users WHERE id = 2"
out=$($DEVDB plain.db apply "$target" --yes 2>&1); expect_status apply-data-loss-refused 1 $?
expect_match apply-data-loss-message 'allow-data-loss' "$out"
expect_eq apply-refused-unchanged "id email legacy" "$(cols)"
out=$($DEVDB plain.db apply "$target" --allow-data-loss 2>&1 </dev/null); expect_status apply-needs-yes 1 $?
expect_match apply-confirm-names-db "refusing to change the schema of $D/plain.db to match" "$out"
out=$($DEVDB plain.db apply "$target" --allow-data-loss --yes 2>&1); expect_status apply-ok 0 $?
expect_eq apply-done "id email" "$(cols)"
undo=$(printf '%s\n' "$out" | sed -n 's/^devdb: to undo: devdb //p')
$DEVDB $undo --yes >/dev/null 2>&1
expect_eq apply-undo "id email legacy" "$(cols)"
$DEVDB plain.db apply "CREATE TABLE users(id INTEGER PRIMARY KEY, mail TEXT NOT NULL, legacy INT)" \
  --rename users.email=mail --yes >/dev/null 2>&1
expect_status apply-rename 0 $?
expect_eq apply-rename-kept 'a@x' "$(sqlite3 plain.db "SELECT mail FROM users")"
out=$($DEVDB plain.db apply "CREATE TABLE users(id INTEGER PRIMARY KEY, mail TEXT NOT NULL, legacy INT)" 2>&1)
expect_status apply-nothing 0 $?
expect_match apply-nothing-message 'nothing to apply' "$out"

# For scripts: check --json is one row per check.
out=$($DEVDB app.db check --json); expect_status check-json-attention 3 $?
expect_match check-json '^\[\{"check":"migrations","ok":[01],"detail":' "$out"
expect_eq check-json-rows 4 "$(printf '%s\n' "$out" | grep -c '"check":')"
