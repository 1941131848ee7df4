# backup, backups and restore: verified backups in .devdb/backups, the
# retention setting, restore refusing without a terminal or --yes, a
# backup taken before restoring, and the printed undo command that works.
source tests/lib/check.sh
D=$(mktemp -d "$TESTTMP/backup.XXXX")
DEVDB=$ROOT/$B/devdb
cd "$D"
sqlite3 app.db "CREATE TABLE t(a); INSERT INTO t VALUES (1), (2);"
count() { sqlite3 app.db "SELECT count(*) FROM t"; }

out=$($DEVDB app.db backup --csv); rc=$?
expect_status backup-ok 0 $rc
b1=$(printf '%s\n' "$out" | sed -n 2p | cut -d, -f1)
expect_match backup-name '^\.devdb/backups/app-[0-9]{8}-[0-9]{6}\.db$' "$b1"
expect_eq backup-content 2 "$(sqlite3 "$b1" 'SELECT count(*) FROM t')"
expect_eq backup-integrity ok "$(sqlite3 "$b1" 'PRAGMA integrity_check')"
expect_eq backup-dir-private 700 "$(stat -c %a .devdb/backups)"
expect_eq backup-no-temp-left "" "$(ls .devdb/backups | grep tmp)"
$DEVDB app.db backup "$D/copy.db" >/dev/null; expect_status backup-to-path 0 $?
expect_eq backup-to-path-content 2 "$(sqlite3 copy.db 'SELECT count(*) FROM t')"
out=$($DEVDB app.db backup "$D/copy.db" 2>&1); expect_status backup-refuses-existing 1 $?
expect_match backup-refuses-existing-message "'$D/copy.db' exists" "$out"

sqlite3 app.db "INSERT INTO t VALUES (3)"
sleep 1.1  # a second backup in another second, newer by mtime
$DEVDB app.db backup >/dev/null
out=$($DEVDB app.db backups --csv | cut -d, -f1)
expect_eq backups-list-newest-first "backup
$(ls -t .devdb/backups/app-*.db)" "$out"
expect_eq backups-json-bytes 2 "$($DEVDB app.db backups --json | grep -c '"bytes":[0-9]')"

# restore: refused without a terminal unless --yes; nothing changes.
out=$($DEVDB app.db restore "$b1" 2>&1 </dev/null); expect_status restore-refused-no-tty 1 $?
expect_match restore-refused-names-db "refusing to replace the content of $D/app.db" "$out"
expect_eq restore-refused-unchanged 3 "$(count)"
nb=$(ls .devdb/backups | wc -l)
out=$($DEVDB app.db restore "$b1" --yes 2>&1); expect_status restore-ok 0 $?
expect_eq restore-content 2 "$(count)"
expect_eq restore-took-backup $((nb + 1)) "$(ls .devdb/backups | wc -l)"
undo=$(printf '%s\n' "$out" | sed -n 's/^devdb: to undo: //p')
expect_match restore-prints-undo '^devdb app.db restore \.devdb/backups/app-' "$undo"
$undo --yes >/dev/null 2>&1 || ${undo/devdb/$DEVDB} --yes >/dev/null 2>&1
expect_eq restore-undo-works 3 "$(count)"
# restore with no argument or "latest": the newest backup.
$DEVDB app.db backup >/dev/null
sqlite3 app.db "DELETE FROM t"
$DEVDB app.db restore latest --yes >/dev/null 2>&1; expect_eq restore-latest 3 "$(count)"

# A file that is not a sound database is refused before anything happens.
echo "not a database" > junk.db
out=$($DEVDB app.db restore junk.db --yes 2>&1); expect_status restore-junk-refused 1 $?
expect_match restore-junk-message "restore: 'junk.db' is not a readable SQLite database" "$out"
expect_eq restore-junk-unchanged 3 "$(count)"
out=$($DEVDB app.db restore nosuch.db --yes 2>&1); expect_status restore-missing-refused 1 $?

# retention = 2 keeps the two newest timestamped backups.
printf 'retention = 2\n' > devdb.conf
$DEVDB app.db backup >/dev/null 2>&1
expect_eq backup-retention 2 "$(ls .devdb/backups | wc -l)"
# Backups of another database in the same folder are not listed or pruned.
sqlite3 other.db "CREATE TABLE o(x)"
$DEVDB other.db backup >/dev/null 2>&1
expect_eq backups-per-database 1 "$($DEVDB other.db backups --csv | tail -n +2 | wc -l)"
expect_eq backups-other-kept 3 "$(ls .devdb/backups | wc -l)"

# --quiet drops the notes but never the undo command.
out=$($DEVDB app.db restore latest --yes --quiet 2>&1 >/dev/null)
expect_eq quiet-keeps-undo-only 1 "$(printf '%s\n' "$out" | wc -l)"
expect_match quiet-undo-line '^devdb: to undo: devdb app.db restore ' "$out"
