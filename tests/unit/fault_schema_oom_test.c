/*
** Regression tests for devdb_schema under allocation failures, found by
** make fault: a failed allocation came back as an empty def (views,
** triggers, primary keys) or a missing dependency instead of an error.
** Every allocation of each query is failed in turn, once and from then on:
** the query must fail, or return exactly the rows of a fault-free run
** (reliability.md N1: never a half result), and leak nothing.
*/
#include "devdb.h"
#include "unit.h"
#include "../fault/faultsim.c"

#include <stdlib.h>

static const char *zSchema =
    "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT COLLATE NOCASE, b INT CHECK (b > 0));"
    "CREATE TABLE u(x, y, PRIMARY KEY(x, y), FOREIGN KEY(x) REFERENCES t);"
    "CREATE VIEW v AS SELECT a FROM t JOIN u ON t.id = u.x;"
    "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO u VALUES (new.id, 1); END;";

/* Fail every allocation of zSql in turn; count the runs that returned
** other rows than zWant. */
static int bad_runs(sqlite3 *db, const char *zSql, const char *zWant, int *pnPoint) {
  int nBad = 0;
  for (int bPersist = 0; bPersist <= 1; bPersist++) {
    for (int i = 1;; i++) {
      faultsim_arm(i, bPersist);
      char *zGot = unit_rows(db, zSql);
      int nFault = faultsim_disarm();
      (*pnPoint)++;
      if (zGot && strcmp(zGot, zWant) != 0) {
        if (nBad++ == 0)
          printf("# allocation %d (%s): got\n%s", i,
                 bPersist ? "persistent" : "transient", zGot);
      }
      free(zGot);
      if (nFault == 0) break;
    }
  }
  return nBad;
}

int main(void) {
  faultsim_install();
  setenv("DEVDB_THREADS", "0", 1);
  int64_t nLive = faultsim_live();
  sqlite3 *db;
  sqlite3_open(":memory:", &db);
  sqlite3_devdb_init(db, 0, 0);
  sqlite3_exec(db, zSchema, 0, 0, 0);
  static const char *azQuery[] = {
      "SELECT kind, tbl, name, def, detail FROM devdb_schema('main')",
      "SELECT kind, tbl, name, def, detail FROM devdb_schema('CREATE TABLE t(id INTEGER "
      "PRIMARY KEY, a); CREATE VIEW v AS SELECT a FROM t')",
  };
  for (int q = 0; q < 2; q++) {
    char *zWant = unit_rows(db, azQuery[q]);
    int nPoint = 0;
    char zName[64];
    snprintf(zName, sizeof(zName), "schema-oom-query-%d-runs", q + 1);
    CHECK(zName, zWant != 0 && strstr(zWant, "AS SELECT a FROM t") != 0);
    snprintf(zName, sizeof(zName), "schema-oom-query-%d-no-half-result", q + 1);
    CHECK_EQ_INT(zName, bad_runs(db, azQuery[q], zWant ? zWant : "", &nPoint), 0);
    free(zWant);
  }
  CHECK_EQ_INT("schema-oom-no-leak",
               sqlite3_close(db) == SQLITE_OK ? faultsim_live() - nLive : -1, 0);
  return unit_failures();
}
