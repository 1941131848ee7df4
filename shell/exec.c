/*
** exec.c: running SQL for the REPL and the commands, with Ctrl-C and
** progress.
**
** Work that Ctrl-C may stop sits between shell_busy_begin and
** shell_busy_end (they nest). The SIGINT handler (main.c) calls
** sqlite3_interrupt while busy; the statement fails with SQLITE_INTERRUPT and
** report_interrupt says what SQLite rolled back: a statement outside a
** transaction is undone whole; an interrupted write inside BEGIN ... rolls
** the whole transaction back; a read changes nothing.
**
** Progress goes to stderr only when it is a terminal, colour is allowed and
** --quiet is off: a spinner with the elapsed time for statements that run
** longer than a moment (from sqlite3_progress_handler), or a bar when the
** work knows its size (shell_progress).
*/
#include "shell.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROGRESS_DELAY 0.4  /* seconds of work before anything is drawn */
#define PROGRESS_STEPS 2000 /* VM instructions between progress callbacks */

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Progress state: one line on stderr at a time. */
static struct {
  int depth;      /* shell_busy_begin nesting */
  double tStart;  /* when the outermost work began */
  double tDrawn;  /* when the line was last drawn */
  double rDelay;  /* PROGRESS_DELAY or $DEVDB_PROGRESS_DELAY */
  int bShown;     /* a progress line is on the screen */
  int iSpin;      /* spinner frame */
  char zWhat[80]; /* what is running */
} g;

static int on_progress(void *pArg);

static int progress_on(Shell *p) {
  return p->bColorErr && !p->bQuiet;
}

void shell_progress_clear(Shell *p) {
  if (!g.bShown) return;
  fputs("\r\033[K", stderr);
  fflush(stderr);
  g.bShown = 0;
}

/* Draw zLine as the progress line, at most ten times a second. */
static void progress_draw(Shell *p, const char *zLine) {
  double t = now();
  if (t - g.tStart < g.rDelay || (t - g.tDrawn < 0.1 && g.rDelay > 0)) return;
  g.tDrawn = t;
  fprintf(stderr, "\r\033[K%s%s%s", ui_color(p, 1, C_DIM), zLine,
          ui_color(p, 1, C_RESET));
  fflush(stderr);
  g.bShown = 1;
}

void shell_spin(Shell *p) {
  if (progress_on(p)) on_progress(p);
}

/* sqlite3_progress_handler callback: a spinner and the elapsed time. */
static int on_progress(void *pArg) {
  Shell *p = pArg;
  static const char *azSpin[] = {"|", "/", "-", "\\"};
  char zLine[160];
  snprintf(zLine, sizeof(zLine), "%s %s %.1f s (Ctrl-C stops it)", azSpin[g.iSpin++ % 4],
           g.zWhat, now() - g.tStart);
  progress_draw(p, zLine);
  return 0;
}

void shell_progress(Shell *p, const char *zWhat, sqlite3_int64 done,
                    sqlite3_int64 total) {
  if (!progress_on(p) || total <= 0) return;
  char zBar[32], zLine[160];
  int n = (int)(done * 30 / total);
  for (int i = 0; i < 30; i++) zBar[i] = i < n ? '#' : '.';
  zBar[30] = 0;
  snprintf(zLine, sizeof(zLine), "[%s] %3d%% %s", zBar, (int)(done * 100 / total), zWhat);
  progress_draw(p, zLine);
}

void shell_busy_begin(Shell *p, const char *zWhat) {
  if (g.depth++ > 0) return;
  p->nInterrupt = 0;
  p->bBusy = 1;
  g.tStart = now();
  g.tDrawn = 0;
  const char *zDelay = getenv("DEVDB_PROGRESS_DELAY");
  g.rDelay = zDelay ? atof(zDelay) : PROGRESS_DELAY;
  snprintf(g.zWhat, sizeof(g.zWhat), "%s", zWhat ? zWhat : "running");
  if (progress_on(p) && p->db)
    sqlite3_progress_handler(p->db, PROGRESS_STEPS, on_progress, p);
}

int shell_busy_end(Shell *p) {
  if (--g.depth > 0) return p->nInterrupt > 0;
  p->bBusy = 0;
  if (p->db) sqlite3_progress_handler(p->db, 0, 0, 0);
  shell_progress_clear(p);
  return p->nInterrupt > 0;
}

/* After SQLITE_INTERRUPT: say what SQLite rolled back. bWasAuto: no
** transaction was open before the statement; bReadOnly: it only read. */
static void report_interrupt(Shell *p, int bWasAuto, int bReadOnly) {
  int bAuto = sqlite3_get_autocommit(p->db);
  const char *zWhat = bReadOnly  ? "the statement only read: nothing changed"
                      : bWasAuto ? "the statement was rolled back: nothing changed"
                      : bAuto    ? "the whole open transaction was rolled back"
                                 : "the statement was rolled back; your transaction is "
                                   "still open";
  shell_error(p, "interrupted: %s", zWhat);
}

int shell_step_print(Shell *p, sqlite3_stmt *pStmt) {
  int bWasAuto = sqlite3_get_autocommit(p->db);
  int bReadOnly = sqlite3_stmt_readonly(pStmt);
  shell_busy_begin(p, 0);
  int rc = ui_print_rows(p, pStmt);
  shell_busy_end(p);
  if (rc == SQLITE_INTERRUPT) report_interrupt(p, bWasAuto, bReadOnly);
  return rc;
}

/* Run the statements of zSql, printing rows when bPrint. 0 ok, 1 error. */
static int run_statements(Shell *p, const char *zSql, int bPrint) {
  const char *zTail = zSql;
  sqlite3 *db = shell_db(p);
  if (db == 0) return 1;
  while (zTail && *zTail) {
    sqlite3_stmt *pStmt = 0;
    if (sqlite3_prepare_v2(db, zTail, -1, &pStmt, &zTail) != SQLITE_OK) {
      shell_error(p, "%s", sqlite3_errmsg(db));
      return 1;
    }
    if (pStmt == 0) continue;
    int rc;
    if (bPrint) {
      rc = shell_step_print(p, pStmt);
    } else {
      int bWasAuto = sqlite3_get_autocommit(db), bReadOnly = sqlite3_stmt_readonly(pStmt);
      shell_busy_begin(p, 0);
      while ((rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
      }
      shell_busy_end(p);
      if (rc == SQLITE_INTERRUPT) report_interrupt(p, bWasAuto, bReadOnly);
    }
    if (rc != SQLITE_DONE && rc != SQLITE_INTERRUPT)
      shell_error(p, "%s", sqlite3_errmsg(db));
    sqlite3_finalize(pStmt);
    if (rc != SQLITE_DONE) return 1;
  }
  return 0;
}

int shell_run_sql(Shell *p, const char *zSql) {
  return run_statements(p, zSql, 1);
}

int shell_exec(Shell *p, const char *zFmt, ...) {
  va_list ap;
  va_start(ap, zFmt);
  char *zSql = shell_oom_check(sqlite3_vmprintf(zFmt, ap));
  va_end(ap);
  int rc = run_statements(p, zSql, 0);
  sqlite3_free(zSql);
  return rc;
}

int shell_print_sql(Shell *p, const char *zFmt, ...) {
  va_list ap;
  va_start(ap, zFmt);
  char *zSql = shell_oom_check(sqlite3_vmprintf(zFmt, ap));
  va_end(ap);
  int rc = run_statements(p, zSql, 1);
  sqlite3_free(zSql);
  return rc ? EXIT_ERROR : EXIT_OK;
}

static sqlite3_stmt *prepare_v(Shell *p, const char *zFmt, va_list ap) {
  sqlite3 *db = shell_db(p);
  if (db == 0) return 0;
  char *zSql = shell_oom_check(sqlite3_vmprintf(zFmt, ap));
  sqlite3_stmt *pStmt = 0;
  if (sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0) != SQLITE_OK) {
    shell_error(p, "%s", sqlite3_errmsg(db));
  }
  sqlite3_free(zSql);
  return pStmt;
}

sqlite3_stmt *shell_prepare(Shell *p, const char *zFmt, ...) {
  va_list ap;
  va_start(ap, zFmt);
  sqlite3_stmt *pStmt = prepare_v(p, zFmt, ap);
  va_end(ap);
  return pStmt;
}

sqlite3_int64 shell_query_int(Shell *p, sqlite3_int64 iDefault, const char *zFmt, ...) {
  va_list ap;
  va_start(ap, zFmt);
  sqlite3_stmt *pStmt = prepare_v(p, zFmt, ap);
  va_end(ap);
  if (pStmt && sqlite3_step(pStmt) == SQLITE_ROW)
    iDefault = sqlite3_column_int64(pStmt, 0);
  sqlite3_finalize(pStmt);
  return iDefault;
}

char *shell_query_text(Shell *p, const char *zFmt, ...) {
  va_list ap;
  va_start(ap, zFmt);
  sqlite3_stmt *pStmt = prepare_v(p, zFmt, ap);
  va_end(ap);
  char *z = 0;
  if (pStmt && sqlite3_step(pStmt) == SQLITE_ROW) {
    z = shell_strdup((const char *)sqlite3_column_text(pStmt, 0));
  }
  sqlite3_finalize(pStmt);
  return z;
}

int shell_call(Shell *p, char **pzOut, const char *zWhat, const char *zFmt, ...) {
  va_list ap;
  va_start(ap, zFmt);
  sqlite3_stmt *pStmt = prepare_v(p, zFmt, ap);
  va_end(ap);
  if (pzOut) *pzOut = 0;
  if (pStmt == 0) return SQLITE_ERROR;
  shell_busy_begin(p, zWhat);
  int rc = sqlite3_step(pStmt);
  shell_busy_end(p);
  if (rc == SQLITE_ROW && pzOut && sqlite3_column_type(pStmt, 0) != SQLITE_NULL) {
    *pzOut = shell_strdup((const char *)sqlite3_column_text(pStmt, 0));
  }
  if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
    rc = SQLITE_OK;
  } else if (p->nInterrupt) {
    rc = SQLITE_INTERRUPT; /* a function may report Ctrl-C as its own error */
  } else if (rc != SQLITE_INTERRUPT) {
    shell_error(p, "%s", sqlite3_errmsg(p->db));
  }
  sqlite3_finalize(pStmt);
  return rc;
}
