/*
** The schema model reads the CREATE text of a large schema in a thread of
** its own while the PRAGMAs run (model.c, load_tables). The model must be
** exactly the one a load without the thread makes, for a schema that uses
** every clause (fixtures/schema/every_clause.sql) grown past the size from
** which the thread runs.
*/
#include "devdb.h"
#include "unit.h"

#include <stdlib.h>

static const char *zRows =
    "SELECT kind, tbl, name, seq, def, detail, sql FROM devdb_schema";

int main(void) {
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
  free(zAlone);
  free(zThread);
  sqlite3_close(db);
  return unit_failures();
}
