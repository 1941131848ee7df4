/*
** Regression test for sources while another connection holds the
** database, found by make fault (busy mode): devdb_schema, devdb_diff_sql
** and devdb_apply said "no such schema ... 'main'" because the query that
** lists the schemas could not read the locked database. main and temp are
** schemas whatever the lock; the error now says the database is locked.
*/
#include "devdb.h"
#include "unit.h"

#include <stdio.h>
#include <unistd.h>

int sqlite3_devdb_init(sqlite3 *, char **, const sqlite3_api_routines *);

int main(void) {
  char zPath[64];
  snprintf(zPath, sizeof(zPath), "/tmp/devdb-lock-%d.db", (int)getpid());
  sqlite3 *dbLock, *db;
  sqlite3_open(zPath, &dbLock);
  sqlite3_exec(dbLock, "CREATE TABLE t(a); BEGIN EXCLUSIVE; INSERT INTO t VALUES (1);", 0,
               0, 0);
  sqlite3_open(zPath, &db);
  sqlite3_devdb_init(db, 0, 0);
  CHECK_EQ_INT("source-main-is-a-schema-when-locked", devdb_source_kind(db, "main"),
               DEVDB_SRC_SCHEMA);
  CHECK_EQ_INT("source-temp-is-a-schema-when-locked", devdb_source_kind(db, "TEMP"),
               DEVDB_SRC_SCHEMA);
  char *zErr = 0;
  int rc = sqlite3_exec(db, "SELECT * FROM devdb_schema('main')", 0, 0, &zErr);
  CHECK("source-locked-is-an-error", rc != SQLITE_OK);
  CHECK("source-locked-says-locked", zErr && strstr(zErr, "locked") != 0);
  if (zErr && !strstr(zErr, "locked")) printf("# %s\n", zErr);
  sqlite3_free(zErr);
  sqlite3_close(db);
  sqlite3_exec(dbLock, "COMMIT", 0, 0, 0);
  sqlite3_close(dbLock);
  remove(zPath);
  return unit_failures();
}
