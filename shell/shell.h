/*
** shell.h: what the parts of the devdb shell share.
**
**   main.c      arguments, global options, the database opened on first use
**   config.c    devdb.conf and the defaults (migrations, fixtures, backups)
**   commands.c  the one command table: dispatch, usage, help, options
**   complete.c  completion candidates and hints, from the same table
**   input.c     the one input wrapper: libedit (history, completion, hints)
**               on a terminal when the build found it, plain lines otherwise
**   repl.c      the loop: dot-commands and SQL accumulated until complete
**   exec.c      running SQL: Ctrl-C, progress, what was rolled back
**   ui.c        results (aligned, JSON, CSV), messages, colour, confirmation
**   backup.c    verified backups of the database file
**   cmd_*.c     the command handlers, grouped by workflow
**
** The shell holds no feature logic: every command calls the extension,
** linked in statically, through SQL.
*/
#ifndef DEVDB_SHELL_H
#define DEVDB_SHELL_H

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>

/* Output formats. */
enum { OUT_TABLE = 0, OUT_JSON, OUT_CSV };

/* Exit codes: ok, error, usage, and "needs attention" for CI (pending or
** dirty migrations, drift, lint errors). */
enum { EXIT_OK = 0, EXIT_ERROR = 1, EXIT_USAGE = 2, EXIT_ATTENTION = 3 };

/* Settings from the command line, devdb.conf and defaults. Strings are
** malloc'd; NULL means unset. */
typedef struct Config {
  char *zMigrations; /* migrations directory */
  char *zFixtures;   /* fixtures directory or file */
  char *zBackups;    /* backups directory */
  char *zConfFile;   /* the devdb.conf that was read, if any */
  int nRetention;    /* automatic backups kept (0 = all) */
} Config;

typedef struct Shell {
  sqlite3 *db;                      /* opened on first use by shell_db() */
  char *zDbPath;                    /* the database path as given */
  char *zDbAbs;                     /* the same, absolute: what confirmations name */
  Config cfg;                       /* the settings */
  Config cfgArg;                    /* what the command line set (wins over devdb.conf) */
  int eOut;                         /* OUT_* */
  int bYes;                         /* --yes: answer confirmations */
  int bQuiet;                       /* --quiet: results and errors only */
  int bNoColor;                     /* --no-color or NO_COLOR */
  int bTty;                         /* stdin is a terminal: prompts, confirmations */
  int bColorOut;                    /* colour on stdout */
  int bColorErr;                    /* colour and progress on stderr */
  int bRepl;                        /* inside the REPL (Ctrl-C keeps the session) */
  int nError;                       /* errors in this session */
  volatile sig_atomic_t bBusy;      /* a statement or command is running */
  volatile sig_atomic_t nInterrupt; /* Ctrl-C presses while busy */
  volatile sig_atomic_t bPromptIntr; /* Ctrl-C at the prompt */
} Shell;

/* ------------------------------------------------------------ commands.c */

/* A parsed command line: positional words and options. */
#define ARGS_MAX 64
typedef struct Args {
  int nPos;
  char *azPos[ARGS_MAX];
  int nOpt;
  const char *azOptName[ARGS_MAX]; /* "--to" */
  const char *azOptVal[ARGS_MAX];  /* its value; "" for a flag */
} Args;

/* One command of the table in commands.c. zArgs is its usage and is also
** what the parser and completion read: "--name WORD" is an option with a
** value, "--name" a flag, "[...]" optional, "a|b" choices, "WORD..."
** repeatable. Upper-case words say what completes there: TABLE and COLS
** complete names from the database, FILE, PATH, DIR and TARGET paths. */
typedef struct Command {
  const char *zName;
  const char *zArgs;                  /* usage of the arguments */
  const char *zSummary;               /* one line for help */
  const char *zDetail;                /* help COMMAND */
  int (*xRun)(Shell *, const Args *); /* returns an exit code */
  const char *zGroup;                 /* the heading help lists it under */
} Command;

/* A command's zArgs, parsed: its positional slots and its options. */
typedef struct Spec {
  int nSlot;
  struct {
    char zText[48]; /* "TABLE", "PATH|latest", "data|schema" */
    int bOptional, bRepeat;
  } aSlot[8];
  int nOpt;
  struct {
    char zName[24]; /* "--to" */
    char zVal[24];  /* "V", or "" for a flag */
  } aOpt[12];
} Spec;
void spec_parse(const char *zArgs, Spec *pSpec);

const Command *shell_commands(int *pn);
/* The command named zName or by an unambiguous prefix of it. NULL with a
** static message in *pzErr when there is none or several. */
const Command *shell_find_command(const char *zName, const char **pzErr);
/* Parse argv (argv[0] is the command), apply the global options it holds
** for the duration of the command, and run it. Returns an exit code. */
int shell_run_command(Shell *p, int argc, char **argv);
/* The value of option zName ("--to"), "" for a flag given, NULL if absent. */
const char *args_opt(const Args *a, const char *zName);
/* Parse a global option at argv[*pi] (consuming its value). 1 when it was
** one, 0 when it was not, -1 on a usage error (reported). */
int shell_global_option(Shell *p, int argc, char **argv, int *pi);
/* Split a command line into words ('...' and "..." quote, a doubled quote
** inside is one). Words point into z, which is modified. */
int shell_split_words(char *z, char **azWord, int nMax);

/* ------------------------------------------------------------- complete.c */

/* Call xAdd for each completion of the word that ends at iCursor in zLine
** (a REPL line). *piStart gets where that word starts. */
void shell_complete(Shell *p, const char *zLine, int iCursor, int *piStart,
                    void (*xAdd)(void *, const char *), void *pArg);
/* A growing list of malloc'd strings (completion candidates). */
typedef struct StrList {
  int n, nAlloc;
  char **az;
} StrList;
void strlist_add(void *pList, const char *z); /* an xAdd for shell_complete */
void strlist_sort_unique(StrList *l);
void strlist_free(StrList *l);
/* A hint for the REPL line: the usage of the command being typed, or NULL. */
const char *shell_hint(const char *zLine);

/* ---------------------------------------------------------------- input.c */

void input_open(Shell *p);
/* One line without its newline (malloc'd, caller frees), or NULL at the
** end of input. A Ctrl-C at the prompt returns "" with p->bPromptIntr set. */
char *input_line(Shell *p, const char *zPrompt, const char *zContinue, int bContinue);
void input_close(Shell *p);

/* ----------------------------------------------------------------- repl.c */

int shell_repl(Shell *p);

/* ----------------------------------------------------------------- exec.c */

/* Run every statement of zSql, printing results. 0 ok, 1 on an error. */
int shell_run_sql(Shell *p, const char *zSql);
/* Step a prepared statement to the end with Ctrl-C and progress, printing
** its rows. Returns SQLITE_DONE or the error code. */
int shell_step_print(Shell *p, sqlite3_stmt *pStmt);
/* Mark the start and end of work that Ctrl-C interrupts. zWhat names it in
** the progress line; end reports an interrupt and returns 1 if there was
** one. */
void shell_busy_begin(Shell *p, const char *zWhat);
int shell_busy_end(Shell *p);
/* Prepare SQL built with sqlite3_mprintf's format; NULL (reported) on error. */
sqlite3_stmt *shell_prepare(Shell *p, const char *zFmt, ...);
/* The first column of the first row of a query, as an integer (iDefault on
** no row or error) or as malloc'd text (NULL). */
sqlite3_int64 shell_query_int(Shell *p, sqlite3_int64 iDefault, const char *zFmt, ...);
char *shell_query_text(Shell *p, const char *zFmt, ...);
/* Run a query and print its rows in the shell's format (Ctrl-C, progress).
** Returns an exit code. */
int shell_print_sql(Shell *p, const char *zFmt, ...);
/* Run SQL for its effect; 0 ok, else 1 (reported unless bQuietErr). */
int shell_exec(Shell *p, const char *zFmt, ...);
/* Run one statement (a devdb_* call) under Ctrl-C and progress (zWhat
** names it) and give the first column of its first row as malloc'd text in
** *pzOut (NULL for no row or SQL NULL; pzOut may be NULL). Returns
** SQLITE_OK, SQLITE_INTERRUPT (not reported: the caller says what the
** interrupt left), or another error code (reported). */
int shell_call(Shell *p, char **pzOut, const char *zWhat, const char *zFmt, ...);
/* Progress of work with a known size: done of total. */
void shell_progress(Shell *p, const char *zWhat, sqlite3_int64 done, sqlite3_int64 total);
void shell_progress_clear(Shell *p);
/* Progress of work of unknown size: a spinner and the elapsed time. */
void shell_spin(Shell *p);

/* ------------------------------------------------------------------- ui.c */

/* Print the rows of pStmt, stepping it: the statement must be fresh. */
int ui_print_rows(Shell *p, sqlite3_stmt *pStmt);
void shell_error(Shell *p, const char *zFmt, ...);
/* An informational line on stderr (not with --quiet). */
void shell_note(Shell *p, const char *zFmt, ...);
/* A line a person must see even with --quiet: how to undo what was done. */
void shell_undo_hint(Shell *p, const char *zFmt, ...);
/* Colour escapes for stdout / stderr, "" when colour is off. */
enum { C_RESET = 0, C_BOLD, C_DIM, C_RED, C_GREEN, C_YELLOW, C_CYAN };
const char *ui_color(Shell *p, int bErr, int eColor);
/* Ask before a destructive step: "ACTION DB TAIL?" (zAction "delete every
** row of", zTail "" or " with ..."). Says a verified backup is taken first.
** 1 to go on; 0 when refused (reported): no terminal and no --yes, or an
** answer other than yes. */
int shell_confirm(Shell *p, const char *zAction, const char *zTail);
/* A byte count for people: "3.4 MB". Writes into zBuf. */
const char *ui_bytes(char *zBuf, size_t n, sqlite3_int64 nByte);
/* A table of strings the shell builds itself, printed in the shell's format
** by ui_table_end. zTypes has one letter per column: 's' text, 'i' a number
** (bare in JSON); the column names follow. A NULL value is null. */
typedef struct UiTable UiTable;
UiTable *ui_table_new(Shell *p, const char *zTypes, ...);
void ui_table_row(UiTable *t, const char **azVal);
void ui_table_end(UiTable *t);
/* A command's result: the line zText in the aligned format; with --json or
** --csv one row whose columns follow as name, value pairs (at most six;
** zTypes has a letter per pair: 's' text, 'i' number; a NULL value is
** null). */
void ui_result(Shell *p, const char *zText, const char *zTypes, ...);
/* Quote a word for a command line a person may paste (malloc'd). */
char *ui_shell_quote(const char *z);
/* Print a CSV field (quoted when it must be). */
void ui_csv_value(const char *z);
/* Print a JSON string literal. */
void ui_json_string(FILE *out, const char *z);

/* ----------------------------------------------------------------- main.c */

/* The database connection, opened (and the extension registered) on first
** use. NULL after reporting an error. */
sqlite3 *shell_db(Shell *p);
/* The same, but an error (and NULL) when the database file does not exist:
** for commands that read a database rather than make one. */
sqlite3 *shell_db_existing(Shell *p);
/* Close the connection (before the file is replaced under it). */
void shell_db_close(Shell *p);

/* --------------------------------------------------------------- config.c */

/* Read devdb.conf (current directory, else beside the database) and fill
** in the defaults for what neither it nor the command line set. */
void config_load(Shell *p);
void config_free(Config *c);
/* The directory of a path (malloc'd): "." for a bare name. */
char *path_dir(const char *zPath);
/* zDir/zName (malloc'd). */
char *path_join(const char *zDir, const char *zName);
/* 1 for a directory, 2 for a regular file, 0 otherwise. */
int path_kind(const char *zPath);
/* mkdir -p; 0 on success. */
int path_mkdirs(const char *zPath, int mode);
/* Out of memory in the shell: say so and exit (never in ext/). */
void *shell_oom_check(void *p);
char *shell_strdup(const char *z);
char *shell_printf(const char *zFmt, ...);

/* --------------------------------------------------------------- backup.c */

/* A verified backup of the database (the reset area's devdb_backup_file)
** into zDest, or into the backups directory under a new timestamped name
** with zLabel ("wipe") in it when zDest is NULL (devdb_backup_dir). Shows
** progress. Returns the path of the backup (malloc'd) or NULL (reported). */
char *backup_take(Shell *p, const char *zDest, const char *zLabel);
/* Check a backup file without restoring it. 0, or 1 with a message
** (malloc'd) in *pzErr. */
int backup_verify(Shell *p, const char *zPath, char **pzErr);
/* Backups in the backups directory, newest first: paths (malloc'd array of
** malloc'd strings, NULL-terminated). No database is opened. */
char **backup_list(Shell *p);
void backup_list_free(char **az);
/* Drop timestamped backups beyond the retention setting. */
void backup_prune(Shell *p);
/* Replace the database's content with the checked backup zSrc
** (devdb_restore_file). 0 ok, 1 after reporting an error. */
int backup_restore_from(Shell *p, const char *zSrc);

/* ----------------------------------------------------------------- swap.c */

/* Put the image file zImage in place of the database file, the old file
** (checked) kept as the backup, named with zLabel: when the database is in
** rollback-journal mode with no -journal or -wal and no other process has
** it open. 0 when done (*pzBackup gets the backup's path, malloc'd; the
** connection is closed); 1 when not taken: nothing changed. */
int swap_in_image(Shell *p, const char *zImage, const char *zLabel, char **pzBackup);

/* ---------------------------------------------------------------- cmd_*.c */

/* The automatic backup before a destructive command (zBefore: "wipe").
** Returns its path (malloc'd), or NULL after saying the command was not
** done. */
char *shell_safety_backup(Shell *p, const char *zBefore);
/* Refuse a protected database (reported, naming zCmd); 0 when it is not. */
int shell_refuse_protected(Shell *p, const char *zCmd);
/* Replace the database's content with the checked file zFile (a backup or
** snapshot, zWhat naming it): refuse a protected database, check the file,
** ask, take the safety backup, restore, print how to undo. An exit code. */
int shell_replace_with(Shell *p, const char *zCmd, const char *zFile, const char *zWhat);
/* Print the command that restores zBackup. */
void shell_undo_restore(Shell *p, const char *zBackup);

int cmd_help(Shell *p, const Args *a);
int cmd_complete(Shell *p, const Args *a);
int cmd_schema(Shell *p, const Args *a);
int cmd_status(Shell *p, const Args *a);
int cmd_backup(Shell *p, const Args *a);
int cmd_backups(Shell *p, const Args *a);
int cmd_restore(Shell *p, const Args *a);
int cmd_diff(Shell *p, const Args *a);
int cmd_apply(Shell *p, const Args *a);
int cmd_check(Shell *p, const Args *a);
int cmd_lint(Shell *p, const Args *a);
int cmd_migrate(Shell *p, const Args *a);
int cmd_wipe(Shell *p, const Args *a);
int cmd_snapshot(Shell *p, const Args *a);
int cmd_revert(Shell *p, const Args *a);
int cmd_dedup(Shell *p, const Args *a);
int cmd_load(Shell *p, const Args *a);
int cmd_dump(Shell *p, const Args *a);
int cmd_rebuild(Shell *p, const Args *a);
/* The fixture files of zPath: itself, or for a directory its .sql, .csv
** and .json files by name; appended to pOut. */
void shell_fixture_files(const char *zPath, StrList *pOut);
/* devdb_load each file in order (with progress), into zTable when not NULL;
** a row per file into t when not NULL; *pnRow gets the rows loaded. An
** SQLite code (errors reported; SQLITE_INTERRUPT not). */
int shell_load_files(Shell *p, const StrList *pFiles, const char *zTable, UiTable *t,
                     sqlite3_int64 *pnRow);
int cmd_rollback(Shell *p, const Args *a);
int cmd_redo(Shell *p, const Args *a);
int cmd_mark(Shell *p, const Args *a);
int cmd_new(Shell *p, const Args *a);
int cmd_sql(Shell *p, const Args *a);
/* The number of changes between the database and zTarget (history tables
** kept); -1 on an error, reported, or given to *pzErr (malloc'd) when
** pzErr is not NULL. */
sqlite3_int64 shell_drift_count(Shell *p, const char *zTarget, char **pzErr);
/* The migrations directory of the settings; NULL after saying there is none. */
const char *shell_migrations_dir(Shell *p);

#endif
