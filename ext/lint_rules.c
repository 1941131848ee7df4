/*
** lint_rules.c: the lint rules that read only the schema model, in one pass
** over its tables (lint.c holds the manual of every rule). Foreign keys are
** checked by SQLite's own rule for a usable parent key (fkey.c,
** sqlite3FkLocateIndex); types by the affinity rules of datatype3.html.
**
** No SQL functions live here.
*/
#include "devdb.h"

#include <string.h>

#define PRINTF(...) devdb_arena_printf(&p->arena, __VA_ARGS__)

/* Collation names compare equal when both are BINARY (NULL) or the same. */
static int same_coll(const char *a, const char *b) {
  return devdb_stricmp(a ? a : "BINARY", b ? b : "BINARY") == 0;
}

/* 1 when zName is among az[0..n), any case. */
static int in_names(const char *zName, char *const *az, int n) {
  for (int i = 0; i < n; i++) {
    if (az[i] && zName && devdb_stricmp(az[i], zName) == 0) return 1;
  }
  return 0;
}

/* The number of primary key columns of a table. */
static int pk_count(const DevdbTable *pTab) {
  int n = 0;
  for (int i = 0; i < pTab->nCol; i++) n += pTab->aCol[i].iPk > 0;
  return n;
}

/* "t(a, b)": a table and a list of its columns, for the object column. */
static char *cols_object(DevdbLint *p, const char *zTab, char *const *az, int n) {
  return PRINTF("%s(%s)", zTab, devdb_lint_names(p, az, n, 0));
}

/* ------------------------------------------------------- foreign keys */

/*
** The parent key SQLite would use for pFk (sqlite3FkLocateIndex): the rowid
** alias for a one-column key naming it (or naming nothing), else a UNIQUE
** index without WHERE on exactly the parent columns in any order, each with
** its column's own collation (the primary key's index when the parent
** columns are omitted). Returns 1 when there is one; *ppIdx is then the
** index, or NULL for the rowid alias.
*/
static int fk_parent_key(const DevdbTable *pPar, const DevdbForeignKey *pFk,
                         const DevdbIndex **ppIdx) {
  *ppIdx = 0;
  if (pFk->nCol == 1 && pPar->iRowidAlias >= 0 &&
      (pFk->bToImplicit ||
       devdb_stricmp(pPar->aCol[pPar->iRowidAlias].zName, pFk->azTo[0]) == 0)) {
    return 1;
  }
  for (int i = 0; i < pPar->nIndex; i++) {
    const DevdbIndex *pIdx = pPar->apIndex[i];
    if (!pIdx->bUnique || pIdx->zWhere || pIdx->nCol != pFk->nCol) continue;
    if (pFk->bToImplicit) {
      if (pIdx->eOrigin != DEVDB_IDX_PK) continue;
      *ppIdx = pIdx;
      return 1;
    }
    int k = 0;
    for (; k < pIdx->nCol; k++) {
      const DevdbIndexColumn *pIc = &pIdx->aCol[k];
      const DevdbColumn *pCol = pIc->zName ? devdb_table_column(pPar, pIc->zName) : 0;
      if (pCol == 0 || !same_coll(pIc->zCollate, pCol->zCollate)) break;
      if (!in_names(pIc->zName, pFk->azTo, pFk->nCol)) break;
    }
    if (k == pIdx->nCol) {
      *ppIdx = pIdx;
      return 1;
    }
  }
  return 0;
}

/* 1 when the rows of pTab can be found by the columns az[0..n) through an
** index (or the rowid alias) that starts with them, in any order. */
static int has_index_on(const DevdbTable *pTab, char *const *az, int n) {
  if (n == 1 && pTab->iRowidAlias >= 0 &&
      devdb_stricmp(pTab->aCol[pTab->iRowidAlias].zName, az[0]) == 0) {
    return 1;
  }
  for (int i = 0; i < pTab->nIndex; i++) {
    const DevdbIndex *pIdx = pTab->apIndex[i];
    if (pIdx->zWhere || pIdx->nCol < n) continue;
    int k = 0;
    while (k < n && in_names(pIdx->aCol[k].zName, az, n)) k++;
    if (k == n) return 1;
  }
  return 0;
}

/* An index name "<tbl>_<cols>_<suffix>" that pS does not use yet. */
static char *new_index_name(DevdbLint *p, const DevdbSchema *pS, const char *zTab,
                            char *const *az, int n, const char *zSuffix) {
  sqlite3_str *s = sqlite3_str_new(0);
  sqlite3_str_appendall(s, zTab);
  for (int i = 0; i < n; i++) sqlite3_str_appendf(s, "_%s", az[i] ? az[i] : "");
  int rc = sqlite3_str_errcode(s);
  char *zBase = sqlite3_str_finish(s);
  if (rc != SQLITE_OK || zBase == 0) { /* the name is lost: the run fails */
    p->arena.bOom = 1;
    sqlite3_free(zBase);
    return 0;
  }
  char *zName = PRINTF("%s_%s", zBase, zSuffix);
  for (int k = 2;
       zName && (devdb_schema_index(pS, zName) || devdb_schema_table(pS, zName)); k++) {
    zName = PRINTF("%s_%s%d", zBase, zSuffix, k);
  }
  sqlite3_free(zBase);
  return zName;
}

/* fk-missing-table / fk-missing-column: 1 when the parent cannot be found. */
static int fk_missing(DevdbLint *p, const DevdbSchema *pS, const DevdbTable *pTab,
                      const DevdbForeignKey *pFk, const DevdbTable *pPar, char *zObj) {
  if (pPar == 0) {
    int bView = devdb_schema_view(pS, pFk->zParent) != 0;
    devdb_lint_add(
        p, DEVDB_LINT_ERROR, "fk-missing-table", zObj,
        PRINTF("foreign key %s references %s, which %s", zObj, pFk->zParent,
               bView ? "is a view, not a table" : "does not exist"),
        PRINTF("create table %s, or point the foreign key of %s at an existing table "
               "(a rebuild of %s)",
               pFk->zParent, pTab->zName, pTab->zName));
    return 1;
  }
  for (int i = 0; i < pFk->nCol && !pFk->bToImplicit; i++) {
    if (pFk->azTo[i] && devdb_table_column(pPar, pFk->azTo[i])) continue;
    devdb_lint_add(p, DEVDB_LINT_ERROR, "fk-missing-column", zObj,
                   PRINTF("foreign key %s references %s(%s), but %s has no column %s",
                          zObj, pPar->zName, devdb_lint_names(p, pFk->azTo, pFk->nCol, 0),
                          pPar->zName, pFk->azTo[i] ? pFk->azTo[i] : "?"),
                   PRINTF("point the foreign key at a column of %s (a rebuild of %s)",
                          pPar->zName, pTab->zName));
    return 1;
  }
  return 0;
}

/* fk-parent-not-unique / fk-parent-unique-index: 1 when the key is unusable. */
static int fk_parent_unique(DevdbLint *p, const DevdbSchema *pS,
                            const DevdbForeignKey *pFk, const DevdbTable *pPar,
                            char *zObj) {
  const DevdbIndex *pIdx;
  int nPk = pk_count(pPar);
  if (pFk->bToImplicit && nPk != pFk->nCol) {
    devdb_lint_add(
        p, DEVDB_LINT_ERROR, "fk-parent-not-unique", zObj,
        PRINTF("foreign key %s names no parent columns, so it means the primary key of "
               "%s, which %s: every write to the child fails with \"foreign key "
               "mismatch\" while foreign keys are on",
               zObj, pPar->zName,
               nPk ? PRINTF("has %d columns, not %d", nPk, pFk->nCol)
                   : PRINTF("has no PRIMARY KEY")),
        PRINTF("name the parent columns in the REFERENCES clause of %s", zObj));
    return 1;
  }
  char *zTo = devdb_lint_names(p, pFk->azTo, pFk->nCol, 0);
  if (!fk_parent_key(pPar, pFk, &pIdx)) {
    char *zName = new_index_name(p, pS, pPar->zName, pFk->azTo, pFk->nCol, "key");
    devdb_lint_add(
        p, DEVDB_LINT_ERROR, "fk-parent-not-unique", zObj,
        PRINTF("foreign key %s references %s(%s), which is not a PRIMARY KEY or UNIQUE "
               "(with the columns' own collation): every write to the child fails with "
               "\"foreign key mismatch\" while foreign keys are on",
               zObj, pPar->zName, zTo),
        PRINTF("CREATE UNIQUE INDEX \"%w\" ON \"%w\"(%s);", zName ? zName : "",
               pPar->zName, devdb_lint_names(p, pFk->azTo, pFk->nCol, 1)));
    return 1;
  }
  if (pIdx && pIdx->eOrigin == DEVDB_IDX_CREATE) {
    devdb_lint_add(p, DEVDB_LINT_INFO, "fk-parent-unique-index", zObj,
                   PRINTF("the parent key %s(%s) of %s is unique only through index %s, "
                          "which a DROP INDEX can remove (then the key mismatches)",
                          pPar->zName, zTo, zObj, pIdx->zName),
                   PRINTF("declare UNIQUE(%s) in the CREATE TABLE of %s (a rebuild)", zTo,
                          pPar->zName));
  }
  return 0;
}

/* fk-type-mismatch, fk-type-differs, fk-collation-mismatch per column pair. */
static void fk_types(DevdbLint *p, const DevdbTable *pTab, const DevdbForeignKey *pFk,
                     const DevdbTable *pPar, char *zObj) {
  for (int i = 0; i < pFk->nCol; i++) {
    const DevdbColumn *pC = devdb_table_column(pTab, pFk->azFrom[i]);
    const DevdbColumn *pP = pFk->azTo[i] ? devdb_table_column(pPar, pFk->azTo[i]) : 0;
    if (pC == 0 || pP == 0) continue;
    const char *zCT = pC->zType[0] ? pC->zType : "untyped";
    const char *zPT = pP->zType[0] ? pP->zType : "untyped";
    char *zFix = PRINTF("declare %s.%s as %s, the type of %s.%s (a rebuild of %s)",
                        pTab->zName, pC->zName, pP->zType[0] ? pP->zType : "untyped",
                        pPar->zName, pP->zName, pTab->zName);
    /* an untyped child (REFERENCES p alone) takes the parent's values as
    ** given: a difference to know of, not a likely mistake */
    if (strcmp(pC->zAff, pP->zAff) != 0 && pC->zType[0]) {
      devdb_lint_add(
          p, DEVDB_LINT_WARNING, "fk-type-mismatch", zObj,
          PRINTF("%s.%s is %s (%s affinity) but its parent key %s.%s is %s (%s "
                 "affinity): the same value can be stored differently on each "
                 "side and no longer match",
                 pTab->zName, pC->zName, zCT, pC->zAff, pPar->zName, pP->zName, zPT,
                 pP->zAff),
          zFix);
    } else if (strcmp(pC->zType, pP->zType) != 0 &&
               (strcmp(pC->zAff, "INTEGER") != 0 || strcmp(pP->zAff, "INTEGER") != 0)) {
      devdb_lint_add(
          p, DEVDB_LINT_INFO, "fk-type-differs", zObj,
          PRINTF("%s.%s is %s (%s affinity) but its parent key %s.%s is %s (%s "
                 "affinity)",
                 pTab->zName, pC->zName, zCT, pC->zAff, pPar->zName, pP->zName, zPT,
                 pP->zAff),
          zFix);
    }
    if (!same_coll(pC->zCollate, pP->zCollate)) {
      devdb_lint_add(
          p, DEVDB_LINT_WARNING, "fk-collation-mismatch", zObj,
          PRINTF("%s.%s collates %s but its parent key %s.%s collates %s: the foreign "
                 "key compares with the parent's collation, the child's queries with the "
                 "child's",
                 pTab->zName, pC->zName, pC->zCollate ? pC->zCollate : "BINARY",
                 pPar->zName, pP->zName, pP->zCollate ? pP->zCollate : "BINARY"),
          PRINTF("declare %s.%s COLLATE %s like its parent key (a rebuild of %s)",
                 pTab->zName, pC->zName, pP->zCollate ? pP->zCollate : "BINARY",
                 pTab->zName));
    }
  }
}

/* fk-no-index: deleting or changing a parent row scans the whole child. */
static void fk_index(DevdbLint *p, const DevdbSchema *pS, const DevdbTable *pTab,
                     const DevdbForeignKey *pFk, char *zObj) {
  if (has_index_on(pTab, pFk->azFrom, pFk->nCol)) return;
  char *zName = new_index_name(p, pS, pTab->zName, pFk->azFrom, pFk->nCol, "idx");
  devdb_lint_add(p, DEVDB_LINT_WARNING, "fk-no-index", zObj,
                 PRINTF("no index starts with the columns of foreign key %s: each delete "
                        "or key update in %s scans all of %s",
                        zObj, pFk->zParent, pTab->zName),
                 PRINTF("CREATE INDEX \"%w\" ON \"%w\"(%s);", zName ? zName : "",
                        pTab->zName, devdb_lint_names(p, pFk->azFrom, pFk->nCol, 1)));
}

static void lint_fks(DevdbLint *p, const DevdbSchema *pS, const DevdbTable *pTab) {
  for (int k = 0; k < pTab->nFk; k++) {
    const DevdbForeignKey *pFk = &pTab->aFk[k];
    const DevdbTable *pPar = devdb_schema_table(pS, pFk->zParent);
    char *zObj = cols_object(p, pTab->zName, pFk->azFrom, pFk->nCol);
    if (zObj == 0) return;
    if (pPar && pPar->eKind == DEVDB_VIRTUAL) continue;
    if (fk_missing(p, pS, pTab, pFk, pPar, zObj)) continue;
    fk_index(p, pS, pTab, pFk, zObj);
    if (fk_parent_unique(p, pS, pFk, pPar, zObj)) continue;
    fk_types(p, pTab, pFk, pPar, zObj);
  }
}

/* ------------------------------------------------------ primary keys */

/* The type name without its size: "BIGINT(20) UNSIGNED" -> "BIGINT". */
static int type_is(const char *zType, const char *zName) {
  int n = (int)strlen(zName);
  return devdb_strnicmp(zType, zName, n) == 0 &&
         (zType[n] == 0 || zType[n] == '(' || zType[n] == ' ');
}

/* int-pk-not-rowid and table-no-pk. */
static void lint_pk(DevdbLint *p, const DevdbTable *pTab) {
  if (pTab->bWithoutRowid) return;
  int nPk = 0, iPk = -1;
  for (int i = 0; i < pTab->nCol; i++) {
    if (pTab->aCol[i].iPk) nPk++, iPk = i;
  }
  if (nPk == 0) {
    devdb_lint_add(
        p, DEVDB_LINT_WARNING, "table-no-pk", PRINTF("%s", pTab->zName),
        PRINTF("%s has no PRIMARY KEY: its rows are known only by rowid, which "
               "VACUUM may renumber and a diff cannot pair",
               pTab->zName),
        PRINTF("give %s a primary key, e.g. id INTEGER PRIMARY KEY (a rebuild)",
               pTab->zName));
    return;
  }
  if (nPk != 1 || pTab->iRowidAlias >= 0) return;
  const DevdbColumn *pCol = &pTab->aCol[iPk];
  int bSerial = type_is(pCol->zType, "SERIAL") || type_is(pCol->zType, "BIGSERIAL") ||
                type_is(pCol->zType, "SMALLSERIAL");
  if (strcmp(pCol->zAff, "INTEGER") != 0 && !bSerial) return;
  devdb_lint_add(
      p, DEVDB_LINT_WARNING, "int-pk-not-rowid",
      PRINTF("%s.%s", pTab->zName, pCol->zName),
      PRINTF("%s.%s is %s PRIMARY KEY%s, which is not a rowid alias (only INTEGER "
             "PRIMARY KEY%s is): it is a separate unique index, and new rows get no id "
             "assigned",
             pTab->zName, pCol->zName, pCol->zType, pTab->bPkDesc ? " DESC" : "",
             pTab->bPkDesc ? " without DESC" : ""),
      PRINTF("declare it %s INTEGER PRIMARY KEY (a rebuild of %s)", pCol->zName,
             pTab->zName));
}

/* ------------------------------------------------------------- types */

/* Words in a declared type that say what its author meant to store. */
static const struct {
  const char *zWord;
  const char *zMeant; /* TEXT, BLOB, REAL; NULL: a date (info) */
} aTypeWord[] = {
    {"STRING", "TEXT"},  {"UUID", "TEXT"},
    {"GUID", "TEXT"},    {"JSON", "TEXT"},
    {"JSONB", "TEXT"},   {"XML", "TEXT"},
    {"ENUM", "TEXT"},    {"CITEXT", "TEXT"},
    {"INET", "TEXT"},    {"CIDR", "TEXT"},
    {"MACADDR", "TEXT"}, {"UNIQUEIDENTIFIER", "TEXT"},
    {"POINT", "TEXT"},   {"INTERVAL", "TEXT"},
    {"BINARY", "BLOB"},  {"VARBINARY", "BLOB"},
    {"BYTEA", "BLOB"},   {"IMAGE", "BLOB"},
    {"RAW", "BLOB"},     {"FLOATING POINT", "REAL"},
    {"DATE", 0},         {"DATETIME", 0},
    {"TIMESTAMP", 0},    {"TIMESTAMPTZ", 0},
    {"TIME", 0},         {"TIMETZ", 0},
    {"YEAR", 0},
};

/* Types whose NUMERIC affinity is what their author meant. */
static const char *azNumeric[] = {"NUMERIC", "DECIMAL",   "NUMBER",     "BOOLEAN",
                                  "BOOL",    "MONEY",     "SMALLMONEY", "BIT",
                                  "SERIAL",  "BIGSERIAL", "SMALLSERIAL"};

/* type-affinity, type-date, type-unusual, column-no-type for one column. */
static void lint_column_type(DevdbLint *p, const DevdbTable *pTab,
                             const DevdbColumn *pCol) {
  const char *zT = pCol->zType, *zAff = pCol->zAff;
  if (zT[0] == 0) {
    devdb_lint_add(p, DEVDB_LINT_INFO, "column-no-type",
                   PRINTF("%s.%s", pTab->zName, pCol->zName),
                   PRINTF("%s.%s has no declared type: values are stored as given (BLOB "
                          "affinity), '1' and 1 stay different",
                          pTab->zName, pCol->zName),
                   PRINTF("declare a type for %s.%s (a rebuild of %s)", pTab->zName,
                          pCol->zName, pTab->zName));
    return;
  }
  if (strcmp(zAff, "TEXT") == 0 || strcmp(zAff, "REAL") == 0 || strcmp(zAff, "BLOB") == 0)
    return;
  for (size_t i = 0; i < sizeof(azNumeric) / sizeof(azNumeric[0]); i++) {
    if (type_is(zT, azNumeric[i])) return;
  }
  for (size_t i = 0; i < sizeof(aTypeWord) / sizeof(aTypeWord[0]); i++) {
    if (!type_is(zT, aTypeWord[i].zWord)) continue;
    const char *zMeant = aTypeWord[i].zMeant;
    if (zMeant == 0) {
      devdb_lint_add(
          p, DEVDB_LINT_INFO, "type-date", PRINTF("%s.%s", pTab->zName, pCol->zName),
          PRINTF("%s.%s is %s: SQLite has no date type, %s has NUMERIC "
                 "affinity, so '2024-01-31' stays text but 20240131 is a number",
                 pTab->zName, pCol->zName, zT, aTypeWord[i].zWord),
          PRINTF("store one format in %s.%s (ISO-8601 text, or a Unix time as "
                 "INTEGER)",
                 pTab->zName, pCol->zName));
      return;
    }
    devdb_lint_add(
        p, DEVDB_LINT_WARNING, "type-affinity", PRINTF("%s.%s", pTab->zName, pCol->zName),
        PRINTF("%s.%s is %s, which has %s affinity, not %s: %s", pTab->zName, pCol->zName,
               zT, zAff, zMeant,
               strcmp(zMeant, "REAL") == 0
                   ? "3.0 is stored as the integer 3"
                   : "text that looks like a number is stored as a number ('007' becomes "
                     "7, '1e5' becomes 100000.0)"),
        PRINTF("declare %s.%s as %s (a rebuild of %s)", pTab->zName, pCol->zName, zMeant,
               pTab->zName));
    return;
  }
  if (strcmp(zAff, "NUMERIC") == 0) {
    devdb_lint_add(
        p, DEVDB_LINT_INFO, "type-unusual", PRINTF("%s.%s", pTab->zName, pCol->zName),
        PRINTF("%s.%s is %s, a type SQLite does not know: it gets NUMERIC "
               "affinity, so text that looks like a number is stored as one",
               pTab->zName, pCol->zName, zT),
        PRINTF("declare %s.%s as TEXT, INTEGER, REAL, NUMERIC or BLOB (a rebuild "
               "of %s)",
               pTab->zName, pCol->zName, pTab->zName));
  }
}

/* ----------------------------------------------------------- indexes */

/* 1 when the key columns a[0..n) of two indexes are equal. */
static int same_key_columns(const DevdbIndex *pA, const DevdbIndex *pB, int n) {
  for (int i = 0; i < n; i++) {
    const DevdbIndexColumn *a = &pA->aCol[i], *b = &pB->aCol[i];
    if ((a->zName == 0) != (b->zName == 0)) return 0;
    if (a->zName && devdb_stricmp(a->zName, b->zName)) return 0;
    if (!a->zName && strcmp(a->zExpr ? a->zExpr : "", b->zExpr ? b->zExpr : "")) return 0;
    if (!same_coll(a->zCollate, b->zCollate) || a->bDesc != b->bDesc) return 0;
  }
  return 1;
}

/* "(a, b)" of an index, for a detail. */
static char *index_cols(DevdbLint *p, const DevdbIndex *pIdx) {
  sqlite3_str *s = sqlite3_str_new(0);
  for (int i = 0; i < pIdx->nCol; i++) {
    const DevdbIndexColumn *c = &pIdx->aCol[i];
    sqlite3_str_appendf(s, "%s%s", i ? ", " : "", c->zName ? c->zName : c->zExpr);
  }
  char *z = sqlite3_str_finish(s);
  char *zOut = PRINTF("(%s)", z ? z : "");
  sqlite3_free(z);
  return zOut;
}

/* How a detail names an index: constraint indexes by their constraint. */
static char *index_label(DevdbLint *p, const DevdbIndex *pIdx) {
  if (pIdx->eOrigin == DEVDB_IDX_PK) return PRINTF("the PRIMARY KEY");
  if (pIdx->eOrigin == DEVDB_IDX_UNIQUE) return PRINTF("the UNIQUE constraint");
  return PRINTF("%sindex %s", pIdx->bUnique ? "unique " : "", pIdx->zName);
}

/*
** index-duplicate / index-redundant: pIdx (an explicit index) against pOther
** of the same table. Returns 1 when a finding was made.
*/
static int index_against(DevdbLint *p, const DevdbTable *pTab, const DevdbIndex *pIdx,
                         const DevdbIndex *pOther) {
  if (strcmp(pIdx->zWhere ? pIdx->zWhere : "", pOther->zWhere ? pOther->zWhere : ""))
    return 0;
  if (pIdx->nCol > pOther->nCol || !same_key_columns(pIdx, pOther, pIdx->nCol)) return 0;
  int bSame = pIdx->nCol == pOther->nCol;
  /* a unique index is needed unless the other enforces the same uniqueness */
  if (pIdx->bUnique && !(bSame && pOther->bUnique)) return 0;
  char *zFix = PRINTF("DROP INDEX \"%w\";", pIdx->zName);
  if (bSame) {
    devdb_lint_add(p, DEVDB_LINT_WARNING, "index-duplicate", PRINTF("%s", pIdx->zName),
                   PRINTF("index %s on %s%s has the same columns as %s", pIdx->zName,
                          pTab->zName, index_cols(p, pIdx), index_label(p, pOther)),
                   zFix);
  } else {
    devdb_lint_add(p, DEVDB_LINT_INFO, "index-redundant", PRINTF("%s", pIdx->zName),
                   PRINTF("index %s on %s%s is a prefix of %s%s, which serves the same "
                          "lookups",
                          pIdx->zName, pTab->zName, index_cols(p, pIdx),
                          index_label(p, pOther), index_cols(p, pOther)),
                   zFix);
  }
  return 1;
}

/* Duplicate and redundant explicit indexes of one table. */
static void lint_indexes(DevdbLint *p, const DevdbTable *pTab) {
  for (int i = 0; i < pTab->nIndex; i++) {
    const DevdbIndex *pIdx = pTab->apIndex[i];
    if (pIdx->eOrigin != DEVDB_IDX_CREATE) continue;
    const DevdbIndexColumn *c0 = &pIdx->aCol[0];
    if (pIdx->nCol == 1 && !pIdx->zWhere && !pIdx->bUnique && pTab->iRowidAlias >= 0 &&
        c0->zName && devdb_stricmp(c0->zName, pTab->aCol[pTab->iRowidAlias].zName) == 0) {
      devdb_lint_add(p, DEVDB_LINT_INFO, "index-redundant", PRINTF("%s", pIdx->zName),
                     PRINTF("index %s is on %s.%s, the rowid alias: the table is already "
                            "ordered by it",
                            pIdx->zName, pTab->zName, c0->zName),
                     PRINTF("DROP INDEX \"%w\";", pIdx->zName));
      continue;
    }
    /* against every other index; of two equal explicit ones, the later goes */
    for (int j = 0; j < pTab->nIndex; j++) {
      const DevdbIndex *pOther = pTab->apIndex[j];
      if (j == i) continue;
      int bEqualLater = pOther->eOrigin == DEVDB_IDX_CREATE && j > i &&
                        pOther->nCol == pIdx->nCol && pOther->bUnique == pIdx->bUnique;
      if (bEqualLater) continue;
      if (index_against(p, pTab, pIdx, pOther)) break;
    }
  }
}

/* ------------------------------------------------------------- entry */

void devdb_lint_model(DevdbLint *p, const DevdbSchema *pS) {
  for (int i = 0; i < pS->nTable; i++) {
    const DevdbTable *pTab = &pS->aTable[i];
    if (pTab->eKind != DEVDB_TABLE) continue;
    lint_pk(p, pTab);
    for (int k = 0; k < pTab->nCol; k++) {
      if (!pTab->bStrict) lint_column_type(p, pTab, &pTab->aCol[k]);
    }
    lint_fks(p, pS, pTab);
    lint_indexes(p, pTab);
  }
}
