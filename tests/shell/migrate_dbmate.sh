# The real dbmate (from the npm registry, installed under build/node) and
# devdb on one database: dbmate's status agrees after devdb migrates and
# rolls back, and devdb reads what dbmate applied.
source tests/lib/check.sh
NODE_DIR=$ROOT/build/node
DBMATE=$NODE_DIR/node_modules/.bin/dbmate
if [ ! -x "$DBMATE" ]; then
  mkdir -p "$NODE_DIR"
  npm install --prefix "$NODE_DIR" dbmate >/dev/null 2>&1
fi
if ! "$DBMATE" --version >/dev/null 2>&1; then
  echo "ok migrate-dbmate skipped: dbmate not installable"
  exit 0
fi
D=$(mktemp -d "$TESTTMP/dbmate.XXXX")
mkdir "$D/m"
cp fixtures/migrations/dbmate/20240101000000_* fixtures/migrations/dbmate/20240102000000_* "$D/m/"
dbmate() { "$DBMATE" --url "sqlite:$1" --migrations-dir "$D/m" --no-dump-schema "${@:2}"; }
devdb() { host_sqlite3 "$1" ".load $B/devdb" "$2"; }

# dbmate applies two; devdb reads its table and applies the third into it.
dbmate "$D/a.db" up >/dev/null
cp fixtures/migrations/dbmate/20240103000000_* "$D/m/"
out=$(devdb "$D/a.db" "SELECT group_concat(version || ':' || state || ':' || tool, ' ') FROM devdb_migrations('$D/m')")
expect_eq migrate-dbmate-devdb-reads-dbmate \
  "20240101000000:applied:dbmate 20240102000000:applied:dbmate 20240103000000:pending:dbmate" "$out"
out=$(devdb "$D/a.db" "SELECT devdb_migrate('$D/m')")
expect_eq migrate-dbmate-devdb-applies-one 1 "$out"
out=$(dbmate "$D/a.db" status); rc=$?
expect_match migrate-dbmate-status-after-devdb 'Applied: 3' "$out"
expect_match migrate-dbmate-status-nothing-pending 'Pending: 0' "$out"
out=$(dbmate "$D/a.db" up 2>&1)
expect_eq migrate-dbmate-up-has-nothing-left "" "$(echo "$out" | grep Applying)"

# devdb rolls back; dbmate sees it pending and applies it again.
devdb "$D/a.db" "SELECT devdb_rollback('$D/m')" >/dev/null
out=$(dbmate "$D/a.db" status)
expect_match migrate-dbmate-status-after-devdb-rollback '\[ \] 20240103000000_add_name.sql' "$out"
dbmate "$D/a.db" up >/dev/null
out=$(devdb "$D/a.db" "SELECT count(*) FROM devdb_migrations('$D/m') WHERE state = 'applied'")
expect_eq migrate-dbmate-devdb-after-dbmate-up 3 "$out"

# The reverse: devdb first (asked to keep dbmate's table), then dbmate.
devdb "$D/b.db" "SELECT devdb_migrate('$D/m', NULL, 'history:dbmate')" >/dev/null
out=$(dbmate "$D/b.db" status)
expect_match migrate-dbmate-status-of-devdb-database 'Applied: 3' "$out"
out=$(dbmate "$D/b.db" rollback 2>&1)
out=$(devdb "$D/b.db" "SELECT group_concat(state, ' ') FROM devdb_migrations('$D/m')")
expect_eq migrate-dbmate-devdb-after-dbmate-rollback "applied applied pending" "$out"
