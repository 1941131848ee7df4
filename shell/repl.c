/*
** repl.c: the read-eval-print loop and the one input wrapper.
**
** Input goes through read_line: libedit's readline with history when stdin
** is a terminal and the build found libedit, plain fgets otherwise, and no
** prompt when stdin is not a terminal. Lines starting with '.' at the start
** of a statement are commands (the command table in commands.c); anything
** else is SQL, accumulated until sqlite3_complete() says it is whole.
*/
#include "shell.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#ifdef HAVE_EDITLINE
#include <editline/readline.h>
#endif

/* The history file: $DEVDB_HISTORY, else ~/.devdb_history; malloc'd. */
static char *history_path(void) {
  const char *z = getenv("DEVDB_HISTORY");
  if (z) return strdup(z);
  const char *zHome = getenv("HOME");
  if (zHome == 0) return 0;
  size_t n = strlen(zHome) + 32;
  char *zPath = malloc(n);
  snprintf(zPath, n, "%s/.devdb_history", zHome);
  return zPath;
}

/* One line of input without its newline (malloc'd), or NULL at the end. */
static char *read_line(Shell *p, const char *zPrompt) {
#ifdef HAVE_EDITLINE
  if (p->bTty) {
    char *z = readline(zPrompt);
    if (z && z[0]) add_history(z);
    return z;
  }
#endif
  if (p->bTty) {
    fputs(zPrompt, stdout);
    fflush(stdout);
  }
  size_t nAlloc = 0;
  char *z = 0;
  ssize_t n = getline(&z, &nAlloc, stdin);
  if (n < 0) {
    free(z);
    return 0;
  }
  if (n > 0 && z[n - 1] == '\n') z[--n] = 0;
  if (n > 0 && z[n - 1] == '\r') z[--n] = 0;
  return z;
}

/* Run every statement of zSql, printing results. 0 ok, 1 on an error. */
int shell_run_sql(Shell *p, const char *zSql) {
  const char *zTail = zSql;
  while (zTail && *zTail) {
    sqlite3_stmt *pStmt = 0;
    if (sqlite3_prepare_v2(p->db, zTail, -1, &pStmt, &zTail) != SQLITE_OK) {
      shell_error(p, "%s", sqlite3_errmsg(p->db));
      return 1;
    }
    if (pStmt == 0) continue;
    int rc = shell_print_query(p, pStmt);
    sqlite3_finalize(pStmt);
    if (rc != SQLITE_DONE) {
      shell_error(p, "%s", sqlite3_errmsg(p->db));
      return 1;
    }
  }
  return 0;
}

/*
** Split a command line into words: spaces separate, '...' and "..." quote
** (a doubled quote inside is one quote). Words point into z, which is
** modified. Returns the count (at most nMax).
*/
static int split_words(char *z, char **azWord, int nMax) {
  int n = 0;
  while (*z && n < nMax) {
    while (*z == ' ' || *z == '\t') z++;
    if (*z == 0) break;
    if (*z == '\'' || *z == '"') {
      char q = *z++;
      char *zOut = z;
      azWord[n++] = z;
      while (*z && !(*z == q && z[1] != q)) {
        if (*z == q) z++;
        *zOut++ = *z++;
      }
      if (*z) z++;
      *zOut = 0;
      continue;
    }
    azWord[n++] = z;
    while (*z && *z != ' ' && *z != '\t') z++;
    if (*z) *z++ = 0;
  }
  return n;
}

/* Run a '.command' line; returns -1 to leave the loop. */
static int run_dot(Shell *p, char *zLine) {
  char *azWord[64];
  int n = split_words(zLine + 1, azWord, 64);
  if (n == 0) return 0;
  if (strcmp(azWord[0], "quit") == 0 || strcmp(azWord[0], "exit") == 0) return -1;
  int rc = shell_run_command(p, n, azWord);
  if (rc == EXIT_ERROR || rc == EXIT_USAGE) p->nError++;
  return 0;
}

/* Append zLine and a newline to the growing SQL buffer. */
static void append_sql(char **pz, size_t *pn, const char *zLine) {
  size_t n = strlen(zLine);
  *pz = realloc(*pz, *pn + n + 2);
  memcpy(*pz + *pn, zLine, n);
  (*pz)[*pn + n] = '\n';
  (*pz)[*pn + n + 1] = 0;
  *pn += n + 1;
}

int shell_repl(Shell *p) {
  char *zHist = p->bTty ? history_path() : 0;
#ifdef HAVE_EDITLINE
  if (zHist) {
    read_history(zHist);
    stifle_history(2000);
  }
#endif
  if (p->bTty && !p->bQuiet) {
    printf("devdb %s: %s. Type .help for commands; SQL ends with ';'.\n", DEVDB_VERSION,
           p->zDbPath);
  }
  char *zSql = 0;
  size_t nSql = 0;
  for (;;) {
    char *zLine = read_line(p, nSql ? "   ...> " : "devdb> ");
    if (zLine == 0) break;
    int bStop = 0;
    if (nSql == 0 && zLine[strspn(zLine, " \t")] == '.') {
      bStop = run_dot(p, zLine + strspn(zLine, " \t")) < 0;
    } else if (nSql || zLine[strspn(zLine, " \t")]) {
      append_sql(&zSql, &nSql, zLine);
      if (sqlite3_complete(zSql)) {
        shell_run_sql(p, zSql);
        nSql = 0;
        zSql[0] = 0;
      }
    }
    free(zLine);
    if (bStop) break;
  }
  if (nSql && zSql[strspn(zSql, " \t\n")]) shell_error(p, "incomplete SQL: %s", zSql);
  free(zSql);
#ifdef HAVE_EDITLINE
  if (zHist) {
    write_history(zHist);
    chmod(zHist, 0600);
  }
#endif
  free(zHist);
  if (p->bTty) putchar('\n');
  return p->nError ? EXIT_ERROR : EXIT_OK;
}
