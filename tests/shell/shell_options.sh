# Options, devdb.conf, defaults, the command table's dispatch and usage
# checks, and exit codes (0 ok, 1 error, 2 usage).
source tests/lib/check.sh
D=$(mktemp -d "$TESTTMP/options.XXXX")
DEVDB=$ROOT/$B/devdb
cd "$D"
sqlite3 app.db "CREATE TABLE t(a)"

# Global options stand anywhere on the line.
out=$($DEVDB app.db status --json); expect_match options-after-command '^\{"database":' "$out"
out=$($DEVDB --json app.db status); expect_match options-before-db '^\{"database":' "$out"
out=$($DEVDB app.db --csv status); expect_match options-before-command '^database,' "$out"
$DEVDB --bogus app.db status >/dev/null 2>&1; expect_status options-unknown-global 2 $?
out=$($DEVDB app.db schema --bogus 2>&1); expect_status options-unknown-command-option 2 $?
expect_match options-unknown-command-option-message "schema: unknown option '--bogus' \(usage: schema \[--mermaid\]\)" "$out"
out=$($DEVDB app.db status --migrations 2>&1); expect_status options-missing-value 2 $?
expect_match options-missing-value-message 'option --migrations needs a value' "$out"

# Dispatch: exact names win over prefixes, unique prefixes work, ambiguous
# ones name the candidates; argument counts and choices are checked.
out=$($DEVDB app.db backup --quiet "$D/b1.db"); expect_match dispatch-exact-wins 'b1.db' "$out"
out=$($DEVDB app.db sch 2>&1); expect_match dispatch-prefix '^table ' "$out"
out=$($DEVDB app.db ba 2>&1); expect_status dispatch-ambiguous 2 $?
expect_match dispatch-ambiguous-names "ambiguous command 'ba' \(backup, backups\)" "$out"
out=$($DEVDB app.db restore a b 2>&1); expect_status usage-too-many 2 $?
expect_match usage-message 'usage: restore \[PATH\|latest\]' "$out"
out=$($DEVDB app.db help nosuch 2>&1); expect_status help-unknown 2 $?
out=$($DEVDB app.db help st); expect_match help-command '^usage: status' "$out"

# A missing database is an error for commands that read one, and is not
# created by them.
$DEVDB missing.db status >/dev/null 2>&1; expect_status missing-db-status 1 $?
expect_eq missing-db-not-created "" "$(ls missing.db 2>/dev/null)"

# Defaults: db/migrations, else migrations, in the current directory or
# beside the database; backups in .devdb/backups beside the database.
status_key() { $DEVDB "$1" status --csv | grep "^$2," | cut -d, -f2- | tr -d '"'; }
mkdir -p proj/db/migrations proj/migrations sub && cp app.db proj/app.db
expect_eq default-migrations-none "" "$(status_key app.db migrations)"
expect_match default-migrations-none-said 'migrations +none found \(db/migrations, migrations\)' "$($DEVDB app.db status)"
expect_eq default-migrations-beside-db "proj/db/migrations" "$(status_key proj/app.db migrations)"
(cd proj && expect_eq default-migrations-cwd "db/migrations" "$(status_key app.db migrations)")
rmdir proj/db/migrations
(cd sub && expect_eq default-migrations-plain "../proj/migrations" "$(status_key ../proj/app.db migrations)")
expect_match default-backups 'backup +none in proj/.devdb/backups' "$($DEVDB proj/app.db status)"

# devdb.conf: in the current directory, else beside the database; paths in
# it are relative to it; the command line wins; unknown keys are reported.
mkdir -p conf/m1 conf/m2
printf '# project settings\nmigrations = m1\nbackups = bk  # trailing comment\nbogus = 1\n' > conf/devdb.conf
cp app.db conf/app.db
out=$($DEVDB conf/app.db status --csv 2>&1)
expect_match conf-beside-db '^migrations,"?conf/m1' "$out"
expect_match conf-backups 'backup +none in conf/bk' "$($DEVDB conf/app.db status 2>/dev/null)"
expect_match conf-names-file '^config,"?conf/devdb.conf' "$out"
expect_match conf-unknown-key "conf/devdb.conf:4: ignored 'bogus'" "$out"
out=$($DEVDB conf/app.db --migrations conf/m2 status --csv 2>/dev/null)
expect_match conf-command-line-wins '^migrations,"?conf/m2' "$out"
printf 'migrations = m2\n' > sub/devdb.conf
out=$(cd sub && $DEVDB ../conf/app.db status --csv 2>/dev/null)
expect_match conf-cwd-first '^migrations,"?m2' "$out"
# In the REPL an option given to one command holds for that command only.
out=$(printf '.status --migrations conf/m2 --csv\n.status --csv\n' | $DEVDB conf/app.db 2>/dev/null | grep '^migrations')
expect_eq conf-repl-option-per-command 'migrations,conf/m2
migrations,conf/m1' "$out"

# help lists every command of the table under a heading.
n_table=$($DEVDB app.db complete '.' | wc -l)
n_help=$($DEVDB app.db help | grep -cE '^  [a-z]+( |$)')
expect_eq help-lists-every-command "$n_table" "$n_help"
