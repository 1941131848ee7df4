/*
** Regression test for devdb_dump under allocation failures, found by make
** fault: when reading a text value failed for want of memory, the dump wrote
** NULL in its place and reported success (a dump that reads back to other
** rows). Every allocation of a dump of text, real and blob values is failed
** in turn: the dump is an error or exactly the fault-free text.
*/
#include "devdb.h"
#include "unit.h"
#include "../fault/faultsim.c"

#include <stdlib.h>

static sqlite3 *setup(void) {
  return unit_open(
      "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, score REAL, b BLOB);"
      "INSERT INTO t VALUES (1, 'ann', 1.5, x'0102'), (2, 'bob', 0.1, NULL),"
      " (3, 'a longer text value that is not tiny', -2.25, x'ff');");
}

/* The dump's text, or NULL when it failed (*pRc its code). */
static char *dump(sqlite3 *db, int *pRc) {
  sqlite3_stmt *pStmt = 0;
  char *z = 0;
  *pRc = sqlite3_prepare_v2(db, "SELECT devdb_dump()", -1, &pStmt, 0);
  if (*pRc == SQLITE_OK) {
    *pRc = sqlite3_step(pStmt);
    if (*pRc == SQLITE_ROW && sqlite3_column_text(pStmt, 0))
      z = strdup((const char *)sqlite3_column_text(pStmt, 0));
    *pRc = sqlite3_finalize(pStmt);
  }
  return *pRc == SQLITE_OK ? z : (free(z), (char *)0);
}

int main(void) {
  faultsim_install();
  int rc;
  sqlite3 *db = setup();
  char *zRef = dump(db, &rc);
  sqlite3_close(db);
  CHECK("dump-oom-clean-run", zRef && strstr(zRef, "'a longer text value"));
  int nBad = 0, nRun = 0;
  for (int bPersist = 0; bPersist <= 1 && zRef; bPersist++) {
    for (int i = 1;; i++, nRun++) {
      db = setup();
      faultsim_arm(i, bPersist);
      char *z = dump(db, &rc);
      int nFault = faultsim_disarm();
      int bOk = rc != SQLITE_OK ? z == 0 : z && strcmp(z, zRef) == 0;
      if (!bOk && nBad++ == 0)
        printf("# allocation %d (%s): rc %d, dump:\n%s\n", i,
               bPersist ? "persistent" : "transient", rc, z ? z : "(none)");
      free(z);
      sqlite3_close(db);
      if (nFault == 0) break;
    }
  }
  printf("# %d runs\n", nRun);
  CHECK_EQ_INT("dump-oom-error-or-whole", nBad, 0);
  free(zRef);
  return unit_failures();
}
