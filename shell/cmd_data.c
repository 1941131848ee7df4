/*
** cmd_data.c: fixtures in and out: load and dump (the fixture area's
** devdb_load and devdb_dump_write). rebuild, which loads fixtures too, is
** in rebuild.c.
*/
#include "shell.h"
#include "devdb.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* 1 for a file devdb_load reads: .sql, .csv, .json. */
static int is_fixture_name(const char *z) {
  size_t n = strlen(z);
  return z[0] != '.' &&
         ((n > 4 && (strcmp(z + n - 4, ".sql") == 0 || strcmp(z + n - 4, ".csv") == 0)) ||
          (n > 5 && strcmp(z + n - 5, ".json") == 0));
}

void shell_fixture_files(const char *zPath, StrList *pOut) {
  if (path_kind(zPath) != 1) {
    strlist_add(pOut, zPath);
    return;
  }
  StrList l = {0, 0, 0};
  DIR *d = opendir(zPath);
  struct dirent *e;
  while (d && (e = readdir(d)) != 0) {
    if (!is_fixture_name(e->d_name)) continue;
    char *zFile = path_join(zPath, e->d_name);
    if (path_kind(zFile) == 2) strlist_add(&l, zFile);
    free(zFile);
  }
  if (d) closedir(d);
  strlist_sort_unique(&l);
  for (int i = 0; i < l.n; i++) strlist_add(pOut, l.az[i]);
  strlist_free(&l);
}

int shell_load_files(Shell *p, const StrList *pFiles, const char *zTable, UiTable *t,
                     sqlite3_int64 *pnRow) {
  int rc = SQLITE_OK;
  *pnRow = 0;
  for (int i = 0; i < pFiles->n && rc == SQLITE_OK; i++) {
    shell_progress(p, pFiles->az[i], i, pFiles->n);
    char *zN = 0;
    rc = shell_call(p, &zN, pFiles->az[i], "SELECT devdb_load(%Q, %Q)", pFiles->az[i],
                    zTable);
    if (rc == SQLITE_OK && t)
      ui_table_row(t, (const char *[]){pFiles->az[i], zN ? zN : "0"});
    *pnRow += zN ? atoll(zN) : 0;
    free(zN);
    if (p->nInterrupt) rc = SQLITE_INTERRUPT;
  }
  return rc;
}

/* load FILE...: every file (a directory: its .sql, .csv and .json files by
** name) in one transaction: all of them or none. */
int cmd_load(Shell *p, const Args *a) {
  if (shell_db(p) == 0) return EXIT_ERROR;
  StrList files = {0, 0, 0};
  for (int i = 0; i < a->nPos; i++) {
    if (path_kind(a->azPos[i]) == 0) {
      shell_error(p, "load: no file '%s'", a->azPos[i]);
      strlist_free(&files);
      return EXIT_ERROR;
    }
    shell_fixture_files(a->azPos[i], &files);
  }
  if (!sqlite3_get_autocommit(p->db)) {
    shell_error(p, "load: a transaction is open (COMMIT or ROLLBACK first)");
    strlist_free(&files);
    return EXIT_ERROR;
  }
  UiTable *t = ui_table_new(p, "si", "file", "rows");
  sqlite3_int64 nRow = 0;
  shell_busy_begin(p, "load");
  int rc = shell_exec(p, "BEGIN IMMEDIATE") ? SQLITE_ERROR : SQLITE_OK;
  if (rc == SQLITE_OK) rc = shell_load_files(p, &files, args_opt(a, "--table"), t, &nRow);
  if (rc == SQLITE_OK && shell_exec(p, "COMMIT")) rc = SQLITE_ERROR;
  shell_busy_end(p);
  if (rc != SQLITE_OK) {
    if (!sqlite3_get_autocommit(p->db)) sqlite3_exec(p->db, "ROLLBACK", 0, 0, 0);
    shell_error(p, "%s: nothing was loaded",
                rc == SQLITE_INTERRUPT ? "interrupted" : "load");
  }
  ui_table_end(t);
  if (rc == SQLITE_OK) {
    shell_note(p, "%lld row%s from %d file%s", nRow, nRow == 1 ? "" : "s", files.n,
               files.n == 1 ? "" : "s");
  }
  strlist_free(&files);
  return rc == SQLITE_OK ? EXIT_OK : EXIT_ERROR;
}

/* devdb_dump_write callback: write to a FILE*. */
static int dump_out(void *pArg, const char *z, int n) {
  return fwrite(z, 1, n, (FILE *)pArg) == (size_t)n ? SQLITE_OK : SQLITE_IOERR;
}

/* dump [SOURCE] [--to FILE]: schema and rows as SQL, to stdout or to FILE
** (written beside it and renamed, so FILE is whole or untouched). */
int cmd_dump(Shell *p, const Args *a) {
  const char *zTo = args_opt(a, "--to");
  if (shell_db_existing(p) == 0) return EXIT_ERROR;
  char *zTmp = zTo ? shell_printf("%s.tmp-%d", zTo, (int)getpid()) : 0, *zErr = 0;
  FILE *out = zTo ? fopen(zTmp, "w") : stdout;
  if (out == 0) {
    shell_error(p, "dump: cannot write '%s': %s", zTmp, strerror(errno));
    free(zTmp);
    return EXIT_ERROR;
  }
  shell_busy_begin(p, "dump");
  int rc = devdb_dump_write(p->db, a->nPos ? a->azPos[0] : "main", dump_out, out, &zErr);
  shell_busy_end(p);
  if (zTo && (fclose(out) != 0 || (rc == SQLITE_OK && rename(zTmp, zTo) != 0))) {
    rc = rc ? rc : SQLITE_IOERR;
  }
  if (zTo && rc != SQLITE_OK) unlink(zTmp);
  if (!zTo) fflush(stdout);
  if (rc != SQLITE_OK) shell_error(p, "dump: %s", zErr ? zErr : sqlite3_errstr(rc));
  sqlite3_free(zErr);
  free(zTmp);
  return rc == SQLITE_OK ? EXIT_OK : EXIT_ERROR;
}
