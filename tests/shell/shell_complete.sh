# Completion, as TAB offers it in the REPL, through `devdb DB complete LINE`:
# commands, help's argument, options, choices, tables, columns, paths, SQL.
source tests/lib/check.sh
D=$(mktemp -d "$TESTTMP/complete.XXXX")
DEVDB=$ROOT/$B/devdb
cd "$D"
sqlite3 app.db "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT, user_name TEXT);
                CREATE TABLE user_roles(user_id, role);"
mkdir -p fixtures/more && touch fixtures/users.json fixtures/.hidden
c() { $DEVDB app.db complete "$1"; }

expect_eq complete-commands ".backup
.backups" "$(c '.ba' | sed 's/^/./')"
expect_eq complete-command-word "backup
backups" "$(c '.ba')"
expect_eq complete-help-arg "restore" "$(c '.help rest')"
expect_eq complete-options "--mermaid
--migrations" "$(c '.schema --m')"
expect_match complete-global-options '^--no-color$' "$(c '.status --no')"
expect_eq complete-choice "latest" "$(c '.restore la')"
expect_eq complete-paths "fixtures/more/
fixtures/users.json" "$(c '.restore fixtures/')"
expect_eq complete-hidden-paths-on-request "fixtures/.hidden" "$(c '.restore fixtures/.h')"
expect_eq complete-sql-tables "user_id
user_name
user_roles
users" "$(c 'SELECT * FROM user')"
expect_eq complete-sql-columns-of-table "users.email" "$(c 'SELECT users.em')"
expect_match complete-sql-keyword-case '^select$' "$(c 'sel')"
expect_match complete-sql-keyword-upper '^SELECT$' "$(c 'SEL')"
expect_eq complete-unknown-command "" "$(c '.nosuch x')"
# Completion never creates a missing database.
$DEVDB nosuch.db complete 'SELECT * FROM x' >/dev/null
expect_eq complete-no-create "" "$(ls nosuch.db 2>/dev/null)"
