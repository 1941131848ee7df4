# wipe, snapshot, revert and dedup: confirmation naming the database (and
# refusal without a terminal), the protection mark, the backup first, the
# undo command that works, history kept by wipe data, dedup's dry run,
# survivor choice and refusal of dangling references, and completion of
# TABLE and COLS.
source tests/lib/check.sh
D=$(mktemp -d "$TESTTMP/reset.XXXX")
DEVDB=$ROOT/$B/devdb
cd "$D"
mkdir -p db/migrations
printf -- '-- migrate:up\nCREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT);\nCREATE TABLE posts(id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id));\n-- migrate:down\nDROP TABLE posts; DROP TABLE users;\n' > db/migrations/001_init.sql
$DEVDB app.db migrate >/dev/null 2>&1
sqlite3 app.db "INSERT INTO users VALUES (1, 'a@x'), (2, 'b@x'), (3, 'a@x'), (4, 'a@x'); INSERT INTO posts VALUES (1, 3);"
q() { sqlite3 app.db "$1"; }

# wipe data: refused without a terminal; with --yes empties the tables,
# keeps the history, and the printed undo puts everything back.
out=$($DEVDB app.db wipe 2>&1 </dev/null); expect_status wipe-needs-yes 1 $?
expect_match wipe-names-db "refusing to delete every row of the 2 tables \(migration history kept\) of $D/app.db" "$out"
expect_eq wipe-refused-unchanged 4 "$(q 'SELECT count(*) FROM users')"
out=$($DEVDB app.db wipe --yes 2>&1); expect_status wipe-data 0 $?
expect_match wipe-data-output '^emptied 2 tables' "$out"
expect_eq wipe-data-empty 0 "$(q 'SELECT count(*) FROM users')"
expect_eq wipe-data-keeps-history 1 "$(q 'SELECT count(*) FROM _devdb_migrations')"
undo=$(printf '%s\n' "$out" | sed -n 's/^devdb: to undo: devdb //p')
expect_match wipe-undo-names-backup '^app.db restore .devdb/backups/app-[0-9-]+-wipe\.db$' "$undo"
$DEVDB $undo --yes >/dev/null 2>&1; expect_eq wipe-undo-works 4 "$(q 'SELECT count(*) FROM users')"
$DEVDB app.db wipe schema --yes >/dev/null 2>&1; expect_status wipe-schema 0 $?
expect_eq wipe-schema-empty 0 "$(q "SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE '\_devdb%' ESCAPE '\'")"
$DEVDB app.db restore latest --yes >/dev/null 2>&1
$DEVDB app.db wipe everything --yes >/dev/null 2>&1; expect_status wipe-bad-mode 2 $?
# A protected database is refused before anything is asked or written.
q "SELECT 1" >/dev/null; $DEVDB app.db "SELECT devdb_protect('shared staging copy')" >/dev/null
nb=$(ls .devdb/backups | wc -l)
out=$($DEVDB app.db wipe --yes 2>&1); expect_status wipe-protected 1 $?
expect_match wipe-protected-message 'is protected \(shared staging copy\)' "$out"
expect_eq wipe-protected-no-backup "$nb" "$(ls .devdb/backups | wc -l)"
$DEVDB app.db "SELECT devdb_unprotect()" >/dev/null

# In the REPL, wipe takes over the session's connection (what it has read of
# the schema is not read again) and the session goes on on a new one; inside
# an open transaction the connection is closed first, which rolls it back.
cp app.db before-repl.db
out=$(printf '.wipe\nSELECT count(*) AS n FROM users;\nBEGIN;\nINSERT INTO users VALUES (9, NULL);\n.wipe\nSELECT count(*) AS n FROM users;\n' | $DEVDB --yes app.db 2>&1)
expect_eq repl-wipe-twice 2 "$(printf '%s\n' "$out" | grep -c '^emptied 2 tables')"
expect_eq repl-wipe-session-goes-on 2 "$(printf '%s\n' "$out" | grep -cx '0')"
expect_eq repl-wipe-open-transaction-rolled-back 0 "$(q 'SELECT count(*) FROM users')"
newest=$($DEVDB app.db backups --csv 2>/dev/null | sed -n 2p | cut -d, -f1)
expect_eq repl-wipe-backup-without-uncommitted 0 "$(sqlite3 "$newest" 'SELECT count(*) FROM users WHERE id = 9')"
mv before-repl.db app.db
# A one-shot command does not load libedit (the REPL opens it on a terminal).
expect_eq one-shot-no-libedit "" "$(ldd "$DEVDB" | grep libedit)"

# snapshot and revert, across processes.
out=$($DEVDB app.db snapshot seed); expect_eq snapshot-ok "snapshot seed: .devdb/snapshots/seed.db" "$out"
q "DELETE FROM posts; DELETE FROM users"
$DEVDB app.db revert seed </dev/null >/dev/null 2>&1; expect_status revert-needs-yes 1 $?
$DEVDB app.db revert seed --yes >/dev/null 2>&1; expect_status revert-ok 0 $?
expect_eq revert-content 4 "$(q 'SELECT count(*) FROM users')"
out=$($DEVDB app.db revert nosuch --yes 2>&1); expect_status revert-missing 1 $?
expect_match revert-missing-message "no snapshot 'nosuch'" "$out"
$DEVDB app.db snapshot ../escape >/dev/null 2>&1; expect_status snapshot-bad-name 1 $?

# dedup: dry run, refusal of dangling references, keep, undo.
out=$($DEVDB app.db dedup users email --dry-run --csv); expect_eq dedup-dry-run 'key,n,keep,drop
"[""a@x""]",3,1,"[3,4]"' "$out"
expect_eq dedup-dry-run-deletes-nothing 4 "$(q 'SELECT count(*) FROM users')"
out=$($DEVDB app.db dedup users email 2>&1 </dev/null); expect_status dedup-needs-yes 1 $?
expect_match dedup-names-what 'refusing to delete 2 duplicate rows \(1 group of users\(email\), keeping the first of each; references: restrict\) from' "$out"
out=$($DEVDB app.db dedup users email --yes 2>&1); expect_status dedup-restrict 1 $?
expect_match dedup-restrict-names-child 'posts' "$out"
expect_eq dedup-restrict-unchanged 4 "$(q 'SELECT count(*) FROM users')"
out=$($DEVDB app.db dedup users email --keep last --refs repoint --yes 2>&1); expect_status dedup-repoint 0 $?
expect_match dedup-output '^deleted 2 rows from users' "$out"
expect_eq dedup-kept-last "2 4" "$(q 'SELECT group_concat(id, " ") FROM users')"
expect_eq dedup-repointed 4 "$(q 'SELECT user_id FROM posts')"
undo=$(printf '%s\n' "$out" | sed -n 's/^devdb: to undo: devdb //p')
$DEVDB $undo --yes >/dev/null 2>&1; expect_eq dedup-undo 4 "$(q 'SELECT count(*) FROM users')"
out=$($DEVDB app.db dedup users id 2>&1); expect_status dedup-none 0 $?
expect_match dedup-none-message 'no duplicates of \(id\) in users' "$out"
$DEVDB app.db dedup users --yes >/dev/null 2>&1; expect_status dedup-usage 2 $?

# Completion of dedup's TABLE and COLS from the database.
expect_eq complete-table "posts
users" "$($DEVDB app.db complete '.dedup ' | grep -v '^_devdb')"
expect_eq complete-cols "email" "$($DEVDB app.db complete '.dedup users em')"
expect_eq complete-cols-list "id,email" "$($DEVDB app.db complete '.dedup users id,em')"
expect_eq complete-refs "repoint" "$($DEVDB app.db complete '.dedup users email --refs rep')"
