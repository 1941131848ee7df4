/*
** repl.c: the read-eval-print loop.
**
** A line that starts with '.' when no SQL is pending is a command of the
** table in commands.c (`.status`, `.help wipe`); anything else is SQL,
** accumulated until sqlite3_complete() says it is whole, then run and
** printed. Ctrl-C at the prompt drops the pending SQL; Ctrl-C while a
** statement runs stops it (exec.c says what was rolled back) and the
** session goes on. Without a terminal there is no banner and no prompt, an
** interrupt ends the run (exit 130), and the exit status is 1 when anything
** failed, else 3 when a command needed attention, else 0.
*/
#include "shell.h"

#include <stdlib.h>
#include <string.h>

/* Run a '.command' line; returns its exit code, or -1 to leave the loop. */
static int run_dot(Shell *p, char *zLine) {
  char *azWord[ARGS_MAX];
  int n = shell_split_words(zLine + 1, azWord, ARGS_MAX);
  if (n == 0) return EXIT_OK;
  const char *zErr;
  const Command *pCmd = shell_find_command(azWord[0], &zErr);
  if (pCmd && strcmp(pCmd->zName, "quit") == 0) return -1;
  return shell_run_command(p, n, azWord);
}

int shell_split_words(char *z, char **azWord, int nMax) {
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

/* Append zLine and a newline to the growing SQL buffer. */
static void append_sql(char **pz, size_t *pn, const char *zLine) {
  size_t n = strlen(zLine);
  *pz = shell_oom_check(realloc(*pz, *pn + n + 2));
  memcpy(*pz + *pn, zLine, n);
  (*pz)[*pn + n] = '\n';
  (*pz)[*pn + n + 1] = 0;
  *pn += n + 1;
}

int shell_repl(Shell *p) {
  p->bRepl = 1;
  input_open(p);
  if (p->bTty && !p->bQuiet) {
    printf("devdb %s on %s. Type .help for commands; SQL runs when it ends with ';'.\n",
           DEVDB_VERSION, p->zDbPath);
  }
  char *zSql = 0;
  size_t nSql = 0;
  int bAttention = 0, rc = 0, bEof = 0;
  for (;;) {
    char *zLine = input_line(p, "devdb> ", "   ...> ", nSql > 0);
    rc = 0;
    if (zLine == 0) {
      bEof = 1;
      break;
    }
    if (p->bPromptIntr) {
      p->bPromptIntr = 0;
      nSql = 0;
      free(zLine);
      continue;
    }
    const char *zLead = zLine + strspn(zLine, " \t");
    if (nSql == 0 && zLead[0] == '.') {
      rc = run_dot(p, (char *)zLead);
      bAttention |= rc == EXIT_ATTENTION;
    } else if (nSql || zLead[0]) {
      append_sql(&zSql, &nSql, zLine);
      if (sqlite3_complete(zSql)) {
        shell_run_sql(p, zSql);
        nSql = 0;
      }
    }
    free(zLine);
    if (rc < 0) break;
    if (p->nInterrupt && !p->bTty) {
      rc = 130;
      break;
    }
    p->nInterrupt = 0;
  }
  if (nSql && zSql[strspn(zSql, " \t\n")]) shell_error(p, "incomplete SQL: %s", zSql);
  free(zSql);
  input_close(p);
  if (p->bTty && bEof) putchar('\n');
  if (rc == 130) return rc;
  if (p->bTty) return EXIT_OK;
  return p->nError ? EXIT_ERROR : bAttention ? EXIT_ATTENTION : EXIT_OK;
}
