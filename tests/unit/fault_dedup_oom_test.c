/*
** Regression test for devdb_dedup under allocation failures, found by make
** fault: when growing its list of foreign keys failed, fks_load dropped that
** foreign key and returned success, so dedup deleted the duplicates without
** repointing the rows that referenced them (children left dangling, the
** call reported as a success). Every allocation of a small dedup with a
** referencing table is failed in turn: the database is as before (an
** error) or as after (success), never with a dangling child.
*/
#include "devdb.h"
#include "unit.h"
#include "../fault/faultsim.c"

#include <stdlib.h>

static sqlite3 *setup(void) {
  return unit_open("CREATE TABLE t(id INTEGER PRIMARY KEY, k TEXT);"
                   "INSERT INTO t(k) VALUES ('a'), ('b'), ('a'), ('c'), ('b'), ('a');"
                   "CREATE TABLE child(id INTEGER PRIMARY KEY, t_id REFERENCES t(id));"
                   "INSERT INTO child(t_id) VALUES (3), (5), (6), (1);");
}

/* "ids of t / child t_ids", and whether a child points at a missing row. */
static char *state(sqlite3 *db, int *pbDangling) {
  *pbDangling = (int)devdb_query_int(
      db, -1, "SELECT count(*) FROM child WHERE t_id NOT IN (SELECT id FROM t)");
  sqlite3_stmt *pStmt = 0;
  char *z = 0;
  if (sqlite3_prepare_v2(db,
                         "SELECT (SELECT group_concat(id) FROM t) || '/' || "
                         "(SELECT group_concat(t_id) FROM child)",
                         -1, &pStmt, 0) == SQLITE_OK &&
      sqlite3_step(pStmt) == SQLITE_ROW)
    z = strdup((const char *)sqlite3_column_text(pStmt, 0));
  sqlite3_finalize(pStmt);
  return z;
}

int main(void) {
  faultsim_install();
  const char *zSql = "SELECT devdb_dedup('t', 'k', 'first', 'repoint')";
  int bDangling;
  sqlite3 *db = setup();
  char *zBefore = state(db, &bDangling);
  CHECK("dedup-oom-clean-run", sqlite3_exec(db, zSql, 0, 0, 0) == SQLITE_OK);
  char *zAfter = state(db, &bDangling);
  sqlite3_close(db);
  int nBad = 0, nRun = 0;
  for (int bPersist = 0; bPersist <= 1; bPersist++) {
    for (int i = 1;; i++, nRun++) {
      db = setup();
      faultsim_arm(i, bPersist);
      int rc = sqlite3_exec(db, zSql, 0, 0, 0);
      int nFault = faultsim_disarm();
      if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "COMMIT", 0, 0, 0);
      char *zNow = state(db, &bDangling);
      int bOk =
          zNow && !bDangling &&
          (rc == SQLITE_OK ? strcmp(zNow, zAfter) == 0
                           : strcmp(zNow, zBefore) == 0 || strcmp(zNow, zAfter) == 0);
      if (!bOk && nBad++ == 0)
        printf("# allocation %d (%s): rc %d state %s\n", i,
               bPersist ? "persistent" : "transient", rc, zNow ? zNow : "?");
      free(zNow);
      sqlite3_close(db);
      if (nFault == 0) break;
    }
  }
  printf("# %d runs\n", nRun);
  CHECK_EQ_INT("dedup-oom-never-dangling", nBad, 0);
  free(zBefore);
  free(zAfter);
  return unit_failures();
}
