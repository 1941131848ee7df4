/*
** shell.h: what the parts of the devdb shell share.
**
** main.c parses arguments and opens the database; commands.c holds the one
** command table; repl.c reads input (libedit when built with it); ui.c
** prints results. The shell holds no feature logic: every command calls the
** extension, linked in statically.
*/
#ifndef DEVDB_SHELL_H
#define DEVDB_SHELL_H

#include <sqlite3.h>
#include <stdio.h>

/* Output formats. */
enum { OUT_TABLE = 0, OUT_JSON, OUT_CSV };

/* Exit codes. */
enum { EXIT_OK = 0, EXIT_ERROR = 1, EXIT_USAGE = 2, EXIT_ATTENTION = 3 };

typedef struct Shell {
  sqlite3 *db;
  const char *zDbPath;
  int eOut;   /* OUT_* */
  int bYes;   /* --yes: answer confirmations */
  int bQuiet; /* --quiet */
  int bColor; /* colour on stdout */
  int bTty;   /* stdin is a terminal */
  int nError; /* errors in this session */
} Shell;

/* One command of the table in commands.c. */
typedef struct Command {
  const char *zName;
  const char *zArgs;                           /* usage of the arguments */
  const char *zSummary;                        /* one line for help */
  const char *zDetail;                         /* help COMMAND */
  int (*xRun)(Shell *, int argc, char **argv); /* returns an exit code */
} Command;

/* commands.c */
const Command *shell_find_command(const char *zName, const char **pzErr);
int shell_run_command(Shell *p, int argc, char **argv);
const Command *shell_commands(int *pn);

/* repl.c */
int shell_repl(Shell *p);
int shell_run_sql(Shell *p, const char *zSql);

/* ui.c */
int shell_print_query(Shell *p, sqlite3_stmt *pStmt); /* SQLITE_DONE or error code */
void shell_error(Shell *p, const char *zFmt, ...);

#endif
