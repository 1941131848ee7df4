/*
** Unit tests for devdb_dup_count: the grouping a UNIQUE index would use
** (NULLs never duplicate, declared and given collations, 1 = 1.0).
*/
#include "devdb.h"
#include "unit.h"

static sqlite3_int64 groups(sqlite3 *db, const char *zTbl, const char *zCols,
                            char **pzErr) {
  sqlite3_int64 nGroups = -1, nRows = -1;
  if (devdb_dup_count(db, "main", zTbl, zCols, &nGroups, &nRows, pzErr)) return -1;
  return nGroups * 1000 + nRows;
}

int main(void) {
  sqlite3 *db;
  char *zErr = 0;
  sqlite3_open(":memory:", &db);
  sqlite3_exec(db,
               "CREATE TABLE e(u INT, c TEXT, m TEXT COLLATE NOCASE, x);"
               "INSERT INTO e VALUES (1,'a','A',1),(1,'a','a',1.0),(1,'a','b','1'),"
               "(2,NULL,'b',NULL),(2,NULL,'B',NULL),(3,'z','q',2),(3,'Z','Q',2);",
               0, 0, 0);
  CHECK_EQ_INT("dup-two-columns", groups(db, "e", "u, c", &zErr), 1002);
  CHECK_EQ_INT("dup-nulls-never-duplicate", groups(db, "e", "c", &zErr), 1002);
  CHECK_EQ_INT("dup-declared-collation", groups(db, "e", "m", &zErr), 3004);
  CHECK_EQ_INT("dup-given-collation", groups(db, "e", "u, c COLLATE NOCASE", &zErr),
               2003);
  CHECK_EQ_INT("dup-integer-equals-real", groups(db, "e", "x", &zErr), 2002);
  CHECK_EQ_INT("dup-no-such-table", groups(db, "nope", "u", &zErr), -1);
  CHECK_EQ_STR("dup-no-such-table-message", zErr, "no such table: nope");
  sqlite3_free(zErr);
  zErr = 0;
  CHECK_EQ_INT("dup-no-such-column", groups(db, "e", "u, nope", &zErr), -1);
  CHECK_EQ_STR("dup-no-such-column-message", zErr, "no such column: e.nope");
  sqlite3_free(zErr);
  zErr = 0;
  CHECK_EQ_INT("dup-bad-list", groups(db, "e", "u +", &zErr), -1);
  sqlite3_free(zErr);
  sqlite3_close(db);
  return unit_failures();
}
