# The shell's interactive behaviours under a real terminal (tmux): banner
# and prompt, TAB completion and the hint, history (file mode 0600,
# $DEVDB_HISTORY), Ctrl-C at the prompt and during a statement (the session
# goes on and says what was rolled back), confirmation, progress and colour
# only on a terminal and never with NO_COLOR.
source tests/lib/check.sh
source tests/lib/tty.sh
if ! command -v tmux >/dev/null 2>&1; then
  echo "ok shell-tty skipped: tmux is not installable here"
  exit 0
fi
trap tty_stop EXIT
D=$(mktemp -d "$TESTTMP/tty.XXXX")
DEVDB=$ROOT/$B/devdb
cd "$D"
sqlite3 app.db "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT);
                CREATE TABLE big(x); INSERT INTO users VALUES (1, 'a@x');"
RUN="env DEVDB_HISTORY=$D/hist TERM=xterm ASAN_OPTIONS=detect_leaks=0 $DEVDB"

# Banner, prompt, completion of a command, hint after a command name.
tty_start "$RUN app.db"
tty_wait 'devdb>$'; expect_status tty-prompt 0 $?
expect_match tty-banner '^devdb [0-9.]+ on app.db' "$(tty_screen)"
tty_type '.sta'; tty_keys Tab
tty_wait 'devdb> \.status$'; expect_status tty-complete-command 0 $?
tty_keys C-u; tty_type '.restore '
tty_wait '\[PATH\|latest\]'; expect_status tty-hint 0 $?
tty_keys C-u; tty_type 'SELECT * FROM use'; tty_keys Tab
tty_wait 'FROM users$'; expect_status tty-complete-table 0 $?
tty_keys C-u; tty_type 'SELECT ema'; tty_keys Tab
tty_wait 'SELECT email$'; expect_status tty-complete-column 0 $?

# Ctrl-C at the prompt drops the unfinished statement; the session goes on.
tty_keys C-u; tty_type 'SELECT 1 +'; tty_keys Enter; tty_type 'oops'; tty_keys C-c
# type only once the fresh prompt is there: keys sent while the interrupt is
# being handled would be dropped with the unfinished line
tty_wait '^devdb>$'
tty_type 'SELECT 40 + 2 AS answer;'; tty_keys Enter
tty_wait '^42$'; expect_status tty-ctrl-c-prompt 0 $?

# Ctrl-C during a long statement: interrupted, nothing changed, session kept.
tty_type 'INSERT INTO big WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT x FROM c;'
tty_keys Enter
tty_wait 'Ctrl-C stops it'; expect_status tty-progress-spinner 0 $?
tty_keys C-c
tty_wait 'interrupted: the statement was rolled back: nothing changed'
expect_status tty-ctrl-c-statement 0 $?
tty_type 'SELECT count(*) AS n FROM big;'; tty_keys Enter
tty_wait '^0$'; expect_status tty-ctrl-c-nothing-written 0 $?
# Inside a transaction an interrupted write rolls the whole transaction back.
tty_type 'BEGIN; INSERT INTO users VALUES (2, NULL);'; tty_keys Enter
tty_type 'INSERT INTO big WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT x FROM c;'
tty_keys Enter; sleep 0.3; tty_keys C-c
tty_wait 'the whole open transaction was rolled back'; expect_status tty-ctrl-c-transaction 0 $?
tty_type 'SELECT count(*) AS users FROM users;'; tty_keys Enter
tty_wait '^1$'; expect_status tty-ctrl-c-transaction-undone 0 $?

# Confirmation names the database; "n" changes nothing, "y" goes on.
tty_type '.backup'; tty_keys Enter
tty_wait 'backups/app-'; tty_keys C-l
tty_type '.restore latest'; tty_keys Enter
tty_wait "Replace the content of $D/app.db with the backup"; expect_status tty-confirm-names-db 0 $?
tty_keys n Enter
tty_wait 'cancelled: nothing was changed'; expect_status tty-confirm-no 0 $?
tty_type '.restore latest'; tty_keys Enter; tty_wait 'Continue\? \[y/N\]$'; tty_keys y Enter
tty_wait 'to undo: \.restore '; expect_status tty-confirm-yes 0 $?
tty_keys C-d
tty_wait '\[exit 0\]'; expect_status tty-ctrl-d-exits 0 $?

# History: kept in $DEVDB_HISTORY with mode 0600, recalled with Up.
expect_eq tty-history-mode 600 "$(stat -c %a "$D/hist")"
expect_match tty-history-content 'SELECT\\04040\\040\+\\0402' "$(cat "$D/hist")"
tty_start "$RUN app.db"
tty_wait 'devdb>$'; tty_keys Up
tty_wait 'devdb> \.restore latest'; expect_status tty-history-recall 0 $?
tty_keys C-d; tty_wait '\[exit 0\]'

# A progress bar while a backup runs on a terminal (drawn, then erased);
# none when stderr is not a terminal.
sqlite3 app.db "INSERT INTO big WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 20000) SELECT printf('%.100c', 'x') FROM c"
tty_start "sleep 0.5; DEVDB_PROGRESS_DELAY=0 $RUN app.db backup"
tty_record "$D/pane.log"
tty_wait '\[exit 0\]'
expect_match tty-progress-bar '\[[#.]+\] +[0-9]+% backup' "$(cat "$D/pane.log")"
DEVDB_PROGRESS_DELAY=0 $DEVDB app.db backup 2>"$D/err.log" >/dev/null
expect_eq tty-no-progress-in-pipe "" "$(cat "$D/err.log" | grep -a $'\033')"

# Colour on a terminal; none with NO_COLOR or --no-color.
tty_start "$RUN app.db schema"
tty_wait '\[exit 0\]'
expect_match tty-colour-on-terminal $'\033\\[[0-9;]*m[^ ]*users' "$(tty_screen -e)"
tty_start "NO_COLOR=1 $RUN app.db schema"
tty_wait '\[exit 0\]'
expect_eq tty-no-color-env 0 "$(tty_screen -e | grep -c $'\033')"
tty_start "$RUN --no-color app.db"
tty_wait 'devdb>$'
tty_type 'SELECT count(*) FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT x FROM c);'
tty_keys Enter; sleep 1; tty_keys C-c
tty_wait 'interrupted'
expect_eq tty-no-progress-with-no-color "" "$(tty_screen | grep 'Ctrl-C stops it')"
