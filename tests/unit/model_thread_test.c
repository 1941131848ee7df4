/*
** The schema model reads the CREATE text of a large schema in a thread of
** its own while the PRAGMAs run (model.c, load_tables). The model must be
** exactly the one a load without the thread makes, for a schema that uses
** every clause (fixtures/schema/every_clause.sql) grown past the size from
** which the thread runs, and a failed allocation in the thread must make
** the load fail, never a wrong model or a leak (this sweep found an index
** parse that spun when its column array could not grow: parse.c).
*/
#include "devdb.h"
#include "unit.h"
#include "../fault/faultsim.c"

#include <stdlib.h>
#include <unistd.h>

static const char *zRows =
    "SELECT kind, tbl, name, seq, def, detail, sql FROM devdb_schema";

/* Add n small tables (each with an automatic index) to db. */
static int add_tables(sqlite3 *db, const char *zPrefix, int n) {
  int rc = SQLITE_OK;
  for (int i = 0; i < n && rc == SQLITE_OK; i++) {
    char *z = sqlite3_mprintf("CREATE TABLE \"%s%d\"(id INTEGER PRIMARY KEY, a UNIQUE)",
                              zPrefix, i);
    rc = sqlite3_exec(db, z, 0, 0, 0);
    sqlite3_free(z);
  }
  return rc;
}

/* Below 200 objects the text is read on the calling thread; from 200 on in
** a thread of its own. */
static void check_threshold(void) {
  sqlite3 *db = unit_open("");
  CHECK_EQ_INT("99 tables, 99 automatic indexes built", add_tables(db, "s", 99),
               SQLITE_OK);
  sqlite3_exec(db, "CREATE VIEW v AS SELECT 1", 0, 0, 0);
  int n = devdb_model_text_threads();
  free(unit_rows(db, zRows));
  CHECK_EQ_INT("199 objects: no thread", devdb_model_text_threads(), n);
  sqlite3_exec(db, "CREATE VIEW w AS SELECT 2", 0, 0, 0);
  free(unit_rows(db, zRows));
  CHECK_EQ_INT("200 objects: a thread", devdb_model_text_threads(), n + 1);
  sqlite3_close(db);
}

/* Fail each allocation of the text thread in turn, once and from then on:
** the load must fail or give exactly zWant (main checks that nothing
** leaked once the connection is closed). */
static void check_thread_oom(sqlite3 *db, const char *zWant) {
  int nBad = 0, nPoint = 0;
  free(unit_rows(db, zRows)); /* anything cached on first use stays */
  for (int bPersist = 0; bPersist <= 1; bPersist++) {
    for (int i = 1;; i++) {
      faultsim_arm_others(i, bPersist, 1);
      char *zGot = unit_rows(db, zRows);
      int nFault = faultsim_disarm();
      nPoint++;
      if (zGot && strcmp(zGot, zWant) != 0 && nBad++ == 0) {
        printf("# thread allocation %d (%s) gave other rows\n", i,
               bPersist ? "persistent" : "transient");
      }
      free(zGot);
      if (nFault == 0) break;
    }
  }
  printf("# %d fault points\n", nPoint);
  CHECK("the text thread's allocations were failed", nPoint > 2);
  CHECK_EQ_INT("text thread out of memory: an error or the same model", nBad, 0);
}

int main(void) {
  alarm(120); /* a parse that cannot advance out of memory spins: fail, do not hang */
  faultsim_install();
  devdb_threads_ok(); /* its probe runs once per process */
  int64_t nLive = faultsim_live();
  char *zSql = devdb_read_text_file("fixtures/schema/every_clause.sql", "fixture", 0);
  CHECK("fixture read", zSql != 0);
  if (zSql == 0) return 1;
  sqlite3 *db = unit_open("");
  int rc = sqlite3_exec(db, zSql, 0, 0, 0);
  sqlite3_free(zSql);
  CHECK_EQ_INT("fixture loads", rc, SQLITE_OK);
  /* past the thread's threshold: tables with every kind of key and index */
  for (int i = 0; i < 60 && rc == SQLITE_OK; i++) {
    char *z = sqlite3_mprintf(
        "CREATE TABLE \"g %d\"(id INTEGER PRIMARY KEY, a TEXT COLLATE NOCASE UNIQUE, "
        "b INT CHECK (b > %d), c REFERENCES \"g %d\"(id) ON DELETE CASCADE);"
        "CREATE INDEX \"g %d_b\" ON \"g %d\"(b DESC, lower(a)) WHERE b > 0;"
        "CREATE VIEW \"gv %d\" AS SELECT a FROM \"g %d\";",
        i, i, i > 0 ? i - 1 : 0, i, i, i, i);
    rc = sqlite3_exec(db, z, 0, 0, 0);
    sqlite3_free(z);
  }
  CHECK_EQ_INT("large schema built", rc, SQLITE_OK);

  setenv("DEVDB_THREADS", "0", 1);
  int nBefore = devdb_model_text_threads();
  char *zAlone = unit_rows(db, zRows);
  CHECK_EQ_INT("DEVDB_THREADS=0: no thread", devdb_model_text_threads(), nBefore);
  unsetenv("DEVDB_THREADS");
  char *zThread = unit_rows(db, zRows);
  CHECK_EQ_INT("large schema: the text is read in a thread", devdb_model_text_threads(),
               nBefore + 1);
  CHECK("rows loaded", zAlone != 0 && zThread != 0);
  CHECK("the same model with and without the thread",
        zAlone && zThread && strcmp(zAlone, zThread) == 0);
  CHECK("the fixture's objects are in it", zAlone && strstr(zAlone, "GENERATED ALWAYS"));
  if (zAlone) check_thread_oom(db, zAlone);
  free(zAlone);
  free(zThread);
  CHECK_EQ_INT("nothing leaks",
               sqlite3_close(db) == SQLITE_OK ? faultsim_live() - nLive : -1, 0);
  check_threshold();
  return unit_failures();
}
