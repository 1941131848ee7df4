/* unit.h: the few checks the C unit tests use; each prints ok/FAIL. */
#ifndef DEVDB_UNIT_H
#define DEVDB_UNIT_H
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int nUnitFail;
#define CHECK(name, cond) \
  ((cond) ? (void)printf("ok %s\n", name) : (void)(nUnitFail++, printf("FAIL %s: %s\n", name, #cond)))
#define CHECK_EQ_INT(name, a, b)                                                       \
  do {                                                                                 \
    long long x_ = (long long)(a), y_ = (long long)(b);                                \
    if (x_ == y_) printf("ok %s\n", name);                                             \
    else nUnitFail++, printf("FAIL %s: %s = %lld, expected %lld\n", name, #a, x_, y_); \
  } while (0)
#define CHECK_EQ_STR(name, a, b)                                                         \
  do {                                                                                   \
    const char *x_ = (a), *y_ = (b);                                                     \
    if (x_ && strcmp(x_, y_) == 0) printf("ok %s\n", name);                              \
    else nUnitFail++, printf("FAIL %s: got [%s], expected [%s]\n", name, x_ ? x_ : "(null)", y_); \
  } while (0)
static int unit_failures(void) {
  return nUnitFail ? 1 : 0;
}

int sqlite3_devdb_init(sqlite3 *, char **, const sqlite3_api_routines *);

/* The database at zPath, opened with devdb registered. */
static inline sqlite3 *unit_open_file(const char *zPath) {
  sqlite3 *db = 0;
  sqlite3_open(zPath, &db);
  sqlite3_devdb_init(db, 0, 0);
  return db;
}

/* A new in-memory database with devdb registered, after zSql ran on it. */
static inline sqlite3 *unit_open(const char *zSql) {
  sqlite3 *db = unit_open_file(":memory:");
  sqlite3_exec(db, zSql, 0, 0, 0);
  return db;
}

/* "zDir/zName" in one of 64 rotating buffers (a test keeps a few at once). */
static inline char *unit_path(const char *zDir, const char *zName) {
  static char z[64][1024];
  static int i;
  i = (i + 1) % 64;
  snprintf(z[i], sizeof(z[i]), "%s/%s", zDir, zName);
  return z[i];
}

/* Every row of zSql as "v|v|...\n" text (malloc'd: free it), or NULL when
** the query fails or a value could not be read (out of memory). */
static inline char *unit_rows(sqlite3 *db, const char *zSql) {
  sqlite3_stmt *pStmt = 0;
  if (sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0) != SQLITE_OK) return 0;
  sqlite3_str *p = sqlite3_str_new(0);
  int rc;
  while ((rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    for (int i = 0; i < sqlite3_column_count(pStmt); i++) {
      const char *z = (const char *)sqlite3_column_text(pStmt, i);
      if (z == 0 && sqlite3_column_type(pStmt, i) != SQLITE_NULL) rc = SQLITE_NOMEM;
      sqlite3_str_appendf(p, "%s|", z ? z : "NULL");
    }
    sqlite3_str_appendchar(p, 1, '\n');
  }
  sqlite3_finalize(pStmt);
  char *zOut = sqlite3_str_finish(p);
  char *zRet = rc == SQLITE_DONE && zOut ? strdup(zOut) : 0;
  sqlite3_free(zOut);
  return zRet;
}
#endif
