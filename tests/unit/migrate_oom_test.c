/*
** Out of memory inside devdb_migrate, devdb_rollback and devdb_mark: after
** an allocation fails SQLite prepares nothing on the connection (ROLLBACK
** too) until the calling statement ends, so the runner must roll back with
** a ROLLBACK it prepared before. For every allocation point of each call,
** the n-th allocation fails once; afterwards the connection must not be in
** a transaction, and the migrations must be all applied or all not.
*/
#include "devdb.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int sqlite3_devdb_init(sqlite3 *, char **, const sqlite3_api_routines *);

static sqlite3_mem_methods orig;
static int nCount, nFail = -1;

static void *fail_malloc(int n) {
  if (nFail >= 0 && ++nCount == nFail) return 0;
  return orig.xMalloc(n);
}
static void *fail_realloc(void *p, int n) {
  if (nFail >= 0 && ++nCount == nFail) return 0;
  return orig.xRealloc(p, n);
}

static char zDir[256], zDb[300];

static void write_file(const char *zName, const char *zText) {
  char zPath[512];
  snprintf(zPath, sizeof(zPath), "%s/%s", zDir, zName);
  FILE *f = fopen(zPath, "w");
  fputs(zText, f);
  fclose(f);
}

static int count(sqlite3 *db, const char *zSql) {
  sqlite3_stmt *p = 0;
  int n = -1;
  if (sqlite3_prepare_v2(db, zSql, -1, &p, 0) == SQLITE_OK &&
      sqlite3_step(p) == SQLITE_ROW)
    n = sqlite3_column_int(p, 0);
  sqlite3_finalize(p);
  return n;
}

/* Run zCall after zPre under a failure at every allocation point; returns
** the number of points where the connection was left in a transaction or
** (zCheck, a query) the tables and the history disagree. */
static int sweep(const char *zPre, const char *zCall, const char *zCheck) {
  int nBad = 0, bFaulted = 1;
  for (int n = 1; bFaulted && n < 5000; n++) {
    unlink(zDb);
    sqlite3 *db = 0;
    sqlite3_open(zDb, &db);
    sqlite3_devdb_init(db, 0, 0);
    sqlite3_exec(db, "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT);", 0, 0, 0);
    if (zPre) sqlite3_exec(db, zPre, 0, 0, 0);
    nCount = 0;
    nFail = n;
    sqlite3_exec(db, zCall, 0, 0, 0);
    bFaulted = nCount >= n;
    nFail = -1;
    int bOpen = !sqlite3_get_autocommit(db);
    if (bOpen) sqlite3_exec(db, "ROLLBACK", 0, 0, 0);
    if (bOpen || (zCheck && count(db, zCheck) != 1)) {
      printf("# allocation %d: %s\n", n,
             bOpen ? "left in a transaction" : "history disagrees");
      nBad++;
    }
    sqlite3_close_v2(db);
  }
  return nBad;
}

int main(void) {
  sqlite3_config(SQLITE_CONFIG_GETMALLOC, &orig);
  sqlite3_mem_methods m = orig;
  m.xMalloc = fail_malloc;
  m.xRealloc = fail_realloc;
  sqlite3_config(SQLITE_CONFIG_MALLOC, &m);
  snprintf(zDir, sizeof(zDir), "%s/devdb-oom-%d",
           getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
  snprintf(zDb, sizeof(zDb), "%s/app.db", zDir);
  mkdir(zDir, 0755);
  write_file("1_a.sql",
             "-- migrate:up\nCREATE TABLE a(x);\n-- migrate:down\nDROP TABLE a;\n");
  write_file("2_b.sql", "-- migrate:up\nCREATE TABLE b(x);\nINSERT INTO b VALUES (1);\n"
                        "-- migrate:down\nDROP TABLE b;\n");
  char zCall[512], zPre[512];
  snprintf(zCall, sizeof(zCall),
           "SELECT devdb_migrate('%s', NULL, 'all-or-nothing,history:dbmate')", zDir);
  const char *zSame =
      "SELECT (SELECT count(*) FROM sqlite_schema WHERE name IN ('a', 'b')) = "
      "(SELECT count(*) FROM devdb_history)";
  CHECK_EQ_INT("oom-migrate-all-or-nothing", sweep(0, zCall, zSame), 0);
  snprintf(zCall, sizeof(zCall), "SELECT devdb_migrate('%s', NULL, 'history:dbmate')",
           zDir);
  snprintf(zPre, sizeof(zPre), "SELECT devdb_migrate('%s', '1', 'history:dbmate')", zDir);
  CHECK_EQ_INT("oom-migrate-one", sweep(zPre, zCall, zSame), 0);
  snprintf(zCall, sizeof(zCall), "SELECT devdb_rollback('%s')", zDir);
  snprintf(zPre, sizeof(zPre), "SELECT devdb_migrate('%s', NULL, 'history:dbmate')",
           zDir);
  CHECK_EQ_INT("oom-rollback", sweep(zPre, zCall, zSame), 0);
  snprintf(zCall, sizeof(zCall), "SELECT devdb_mark('%s', '1', 'applied')", zDir);
  CHECK_EQ_INT("oom-mark", sweep(0, zCall, 0), 0);
  char zCmd[600];
  snprintf(zCmd, sizeof(zCmd), "rm -rf '%s'", zDir);
  if (system(zCmd)) return 1;
  return unit_failures();
}
