/*
** Unit tests for devdb_schema_load_pair: two sources load (on two threads
** when devdb opens both) into the same models as two single loads, and an
** error in either names that source and returns no model.
*/
#include "devdb.h"
#include "unit.h"

#include <stdlib.h>

/* The defs of every table and column of a model, joined (malloc'd). */
static char *defs(const DevdbSchema *p) {
  sqlite3_str *s = sqlite3_str_new(0);
  for (int i = 0; i < p->nTable; i++) {
    sqlite3_str_appendf(s, "%s:%s;", p->aTable[i].zName, p->aTable[i].zDef);
    for (int k = 0; k < p->aTable[i].nCol; k++) {
      sqlite3_str_appendf(s, "%s %s,", p->aTable[i].aCol[k].zName,
                          p->aTable[i].aCol[k].zDef);
    }
  }
  return sqlite3_str_finish(s);
}

static void check_pair(sqlite3 *db, const char *zName, const char *zA, const char *zB) {
  DevdbSchema *pA = 0, *pB = 0, *pA1 = 0, *pB1 = 0;
  char *zErr = 0;
  int rc = devdb_schema_load_pair(db, zA, zB, &pA, &pB, &zErr);
  devdb_schema_load_source(db, zA, &pA1, &zErr);
  devdb_schema_load_source(db, zB, &pB1, &zErr);
  char *a = pA ? defs(pA) : 0, *b = pB ? defs(pB) : 0;
  char *a1 = pA1 ? defs(pA1) : 0, *b1 = pB1 ? defs(pB1) : 0;
  char zLabel[128];
  snprintf(zLabel, sizeof(zLabel), "pair-%s-rc", zName);
  CHECK_EQ_INT(zLabel, rc, SQLITE_OK);
  snprintf(zLabel, sizeof(zLabel), "pair-%s-first-equals-single-load", zName);
  CHECK(zLabel, a && a1 && strcmp(a, a1) == 0);
  snprintf(zLabel, sizeof(zLabel), "pair-%s-second-equals-single-load", zName);
  CHECK(zLabel, b && b1 && strcmp(b, b1) == 0);
  sqlite3_free(a), sqlite3_free(b), sqlite3_free(a1), sqlite3_free(b1);
  devdb_schema_free(pA), devdb_schema_free(pB), devdb_schema_free(pA1),
      devdb_schema_free(pB1);
  sqlite3_free(zErr);
}

int main(void) {
  sqlite3 *db;
  sqlite3_open(":memory:", &db);
  sqlite3_exec(db, "CREATE TABLE here(a INTEGER PRIMARY KEY, b TEXT)", 0, 0, 0);
  const char *zA =
      "CREATE TABLE t(id INTEGER PRIMARY KEY, x TEXT COLLATE NOCASE NOT NULL)";
  const char *zB = "CREATE TABLE t(id INTEGER PRIMARY KEY, x TEXT, y REAL DEFAULT 1.5)";
  check_pair(db, "two-texts", zA, zB);
  check_pair(db, "schema-and-text", "main", zB);
  check_pair(db, "text-and-schema", zA, "main");

  DevdbSchema *pA = (DevdbSchema *)1, *pB = (DevdbSchema *)1;
  char *zErr = 0;
  int rc = devdb_schema_load_pair(db, zA, "nowhere", &pA, &pB, &zErr);
  CHECK("pair-error-rc", rc != SQLITE_OK);
  CHECK("pair-error-no-models", pA == 0 && pB == 0);
  CHECK("pair-error-names-source", zErr && strstr(zErr, "'nowhere'") != 0);
  sqlite3_free(zErr);
  zErr = 0;
  rc = devdb_schema_load_pair(db, "CREATE TABLE (", zB, &pA, &pB, &zErr);
  CHECK("pair-error-first-source", rc != SQLITE_OK && pA == 0 && pB == 0 && zErr != 0);
  sqlite3_free(zErr);
  sqlite3_close(db);
  return unit_failures();
}
