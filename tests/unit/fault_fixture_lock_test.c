/*
** Regression test for devdb_load and devdb_dump under contention and read
** errors, found by make fault (busy, race and io modes):
**
** - devdb_load's savepoint was a deferred transaction that read the schema
**   and then upgraded to a write: with another connection writing (WAL) it
**   failed at once, "database is locked", instead of waiting for the busy
**   timeout; with the lock held past the timeout it said the table did not
**   exist. It now takes the write lock first (BEGIN IMMEDIATE, waiting), so
**   it waits, and a lock it cannot get is reported as one.
** - devdb_dump took a failed read of whether sqlite_sequence exists for
**   "it does not" and left it out, as a success. An error is now an error
**   (here made by an authorizer that refuses that one read).
*/
#include "devdb.h"
#include "unit.h"

#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

int sqlite3_devdb_init(sqlite3 *, char **, const sqlite3_api_routines *);

/* Commit the writer's transaction after 300 ms. */
static void *commit_later(void *p) {
  sqlite3_sleep(300);
  sqlite3_exec((sqlite3 *)p, "COMMIT", 0, 0, 0);
  return 0;
}

/* The result of SELECT zSql on db as text (malloc'd by SQLite), or the
** error message in *pzErr. */
static char *query_text(sqlite3 *db, const char *zSql, char **pzErr) {
  sqlite3_stmt *pStmt = 0;
  char *z = 0;
  *pzErr = 0;
  if (sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0) == SQLITE_OK &&
      sqlite3_step(pStmt) == SQLITE_ROW) {
    z = sqlite3_mprintf("%s", sqlite3_column_text(pStmt, 0));
  } else {
    *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(db));
  }
  sqlite3_finalize(pStmt);
  return z;
}

static void test_load_waits(const char *zDb, const char *zCsv) {
  sqlite3 *dbW, *db;
  sqlite3_open(zDb, &dbW);
  sqlite3_exec(dbW,
               "PRAGMA journal_mode=WAL; CREATE TABLE users(id INTEGER PRIMARY KEY, "
               "name TEXT); BEGIN IMMEDIATE; INSERT INTO users VALUES (1, 'w');",
               0, 0, 0);
  sqlite3_open(zDb, &db);
  sqlite3_devdb_init(db, 0, 0);
  sqlite3_busy_timeout(db, 5000);
  pthread_t t;
  pthread_create(&t, 0, commit_later, dbW);
  char *zSql = sqlite3_mprintf("SELECT devdb_load(%Q, 'users')", zCsv), *zErr = 0;
  char *z = query_text(db, zSql, &zErr);
  pthread_join(t, 0);
  CHECK_EQ_STR("load-waits-for-a-writer", z, "2");
  if (zErr) printf("# %s\n", zErr);
  CHECK_EQ_INT("load-after-the-writer",
               devdb_query_int(db, -1, "SELECT count(*) FROM users"), 3);
  CHECK("load-leaves-no-transaction", sqlite3_get_autocommit(db));
  sqlite3_free(z);
  sqlite3_free(zErr);

  /* the lock held past the busy timeout: an error that says so */
  sqlite3_exec(dbW, "BEGIN EXCLUSIVE; INSERT INTO users VALUES (9, 'w');", 0, 0, 0);
  sqlite3_busy_timeout(db, 100);
  z = query_text(db, zSql, &zErr);
  CHECK("load-locked-is-an-error", z == 0);
  CHECK("load-locked-says-locked", zErr && strstr(zErr, "locked") != 0);
  if (zErr && !strstr(zErr, "locked")) printf("# %s\n", zErr);
  CHECK("load-locked-leaves-no-transaction", sqlite3_get_autocommit(db));
  sqlite3_exec(dbW, "COMMIT", 0, 0, 0);
  sqlite3_free(z);
  sqlite3_free(zErr);
  sqlite3_free(zSql);
  sqlite3_close(db);
  sqlite3_close(dbW);
}

/* Refuse reading sqlite_schema's name once a user table has been read:
** in a dump, that is the look for sqlite_sequence and sqlite_stat1. */
static int deny_after_rows(void *pArg, int op, const char *z1, const char *z2,
                           const char *z3, const char *z4) {
  int *pbArmed = pArg;
  if (op != SQLITE_READ || z1 == 0) return SQLITE_OK;
  if (strcmp(z1, "t") == 0) *pbArmed = 1;
  if (*pbArmed &&
      (strcmp(z1, "sqlite_master") == 0 || strcmp(z1, "sqlite_schema") == 0) && z2 &&
      strcmp(z2, "name") == 0) {
    return SQLITE_DENY;
  }
  return SQLITE_OK;
}

static void test_dump_read_error(void) {
  sqlite3 *db;
  sqlite3_open(":memory:", &db);
  sqlite3_devdb_init(db, 0, 0);
  sqlite3_exec(db,
               "CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT, x); "
               "INSERT INTO t(x) VALUES (1);",
               0, 0, 0);
  char *zErr = 0, *z = query_text(db, "SELECT devdb_dump()", &zErr);
  CHECK("dump-has-sqlite-sequence", z && strstr(z, "DELETE FROM sqlite_sequence;") != 0);
  sqlite3_free(z);
  sqlite3_free(zErr);
  int bArmed = 0;
  sqlite3_set_authorizer(db, deny_after_rows, &bArmed);
  z = query_text(db, "SELECT devdb_dump()", &zErr);
  sqlite3_set_authorizer(db, 0, 0);
  CHECK("dump-read-error-is-an-error", z == 0);
  CHECK("dump-read-error-names-dump", zErr && strstr(zErr, "devdb_dump") != 0);
  if (z) printf("# %s\n", z);
  sqlite3_free(z);
  sqlite3_free(zErr);
  sqlite3_close(db);
}

int main(void) {
  char zDb[64], zCsv[64];
  snprintf(zDb, sizeof(zDb), "/tmp/devdb-fxlock-%d.db", (int)getpid());
  snprintf(zCsv, sizeof(zCsv), "/tmp/devdb-fxlock-%d.csv", (int)getpid());
  FILE *f = fopen(zCsv, "w");
  fputs("id,name\n101,a\n102,b\n", f);
  fclose(f);
  test_load_waits(zDb, zCsv);
  test_dump_read_error();
  char zWal[80], zShm[80];
  snprintf(zWal, sizeof(zWal), "%s-wal", zDb);
  snprintf(zShm, sizeof(zShm), "%s-shm", zDb);
  remove(zDb);
  remove(zWal);
  remove(zShm);
  remove(zCsv);
  return unit_failures();
}
