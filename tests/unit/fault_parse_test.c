/*
** Regression tests for the CREATE TABLE parser on malformed foreign key
** clauses, found by make fuzz (fuzz_sql):
**   - cut short after REFERENCES ... ON or INITIALLY, the parser stepped
**     past the last token and read a column's span from beyond the token
**     array: every span must lie inside the text;
**   - "ON(" took the parenthesis and the next name for the action words, so
**     the parser found more columns than the slots it had counted and wrote
**     past the column array: columns never outnumber the list's items.
*/
#include "devdb.h"
#include "unit.h"

static const char *azCut[] = {
    "CREATE TABLE c(id INTEGER PRIMARY KEY, owner INT REFERENCES users(id) ON DELETE ",
    "CREATE TABLE c(owner INT REFERENCES users(id) ON",
    "CREATE TABLE c(owner INT REFERENCES users(id) ON DELETE SET",
    "CREATE TABLE c(owner INT REFERENCES users(id) DEFERRABLE INITIALLY",
    "CREATE TABLE c(owner INT REFERENCES users(id) NOT DEFERRABLE INITIALLY",
    "CREATE TABLE \xff(R REFERENCES()ON",
    "CREATE TABLE n(\x18REFERENCES r ON(u,R",
    "CREATE TABLE n(a REFERENCES r ON(u, v, w, x, y))",
};

static int inside(const char *z, DevdbSpan s) {
  return s.n == 0 || (s.z >= z && s.n > 0 && s.z + s.n <= z + strlen(z));
}

int main(void) {
  for (size_t i = 0; i < sizeof(azCut) / sizeof(azCut[0]); i++) {
    DevdbArena a;
    memset(&a, 0, sizeof(a));
    DevdbParsedTable t;
    int rc = devdb_parse_table(&a, azCut[i], &t);
    int bInside = 1;
    if (rc == SQLITE_OK) bInside = t.nCol <= 3;
    for (int k = 0; rc == SQLITE_OK && k < t.nCol; k++) {
      bInside =
          bInside && inside(azCut[i], t.aCol[k].def) && inside(azCut[i], t.aCol[k].type);
    }
    char zName[64];
    snprintf(zName, sizeof(zName), "parse-malformed-foreign-key-%d", (int)i + 1);
    CHECK(zName, bInside);
    devdb_arena_free(&a);
  }
  return unit_failures();
}
