/*
** lint_data.c: the lint rules that count rows (lint.c holds the manual).
**
** fk-violation runs PRAGMA foreign_key_check once for the whole schema,
** grouped by foreign key (table by table when a broken key makes the whole
** check fail). The will-fail rules check a source's tables against the rows
** of the table of the same name in main: NOT NULL, CHECK and type counts of
** one table are one aggregate query over it (count(*) FILTER per rule, a
** single scan); each UNIQUE is devdb_dup_count (the grouping its index
** uses); each foreign key is one NOT EXISTS count. Empty tables are skipped.
**
** A CHECK expression comes from the source, which may be hostile: it is run
** on main's rows only when every function it calls is one a schema may call
** (built in or innocuous, never DIRECTONLY, never load_extension), and only
** as one read-only statement.
**
** No SQL functions live here.
*/
#include "devdb.h"

#include <string.h>

#define PRINTF(...) devdb_arena_printf(&p->arena, __VA_ARGS__)

/* ---------------------------------------------------------- fk-violation */

/* The join terms of a foreign key between a child aliased c and a parent
** aliased p, in the arena: "c.a IS NOT NULL AND ..." and "p.x = c.a AND
** ..." (the parent on the left: the comparison takes its collation). */
static void fk_terms(DevdbLint *p, const DevdbForeignKey *pFk, char **pzNotNull,
                     char **pzMatch) {
  sqlite3_str *sNotNull = sqlite3_str_new(0), *sMatch = sqlite3_str_new(0);
  for (int i = 0; i < pFk->nCol; i++) {
    const char *zTo = pFk->azTo[i] ? pFk->azTo[i] : "";
    sqlite3_str_appendf(sNotNull, "%sc.\"%w\" IS NOT NULL", i ? " AND " : "",
                        pFk->azFrom[i]);
    sqlite3_str_appendf(sMatch, "%sp.\"%w\" = c.\"%w\"", i ? " AND " : "", zTo,
                        pFk->azFrom[i]);
  }
  char *zNotNull = sqlite3_str_finish(sNotNull), *zMatch = sqlite3_str_finish(sMatch);
  *pzNotNull = zNotNull ? PRINTF("%s", zNotNull) : 0;
  *pzMatch = zMatch ? PRINTF("%s", zMatch) : 0;
  if (*pzNotNull == 0 || *pzMatch == 0) p->arena.bOom = 1;
  sqlite3_free(zNotNull);
  sqlite3_free(zMatch);
}

/* The fix of an orphan finding: what to do, and the query that lists them. */
static char *orphan_fix(DevdbLint *p, const char *zChild, const DevdbForeignKey *pFk) {
  char *zNotNull, *zMatch;
  fk_terms(p, pFk, &zNotNull, &zMatch);
  return PRINTF("insert the missing %s rows, or set %s to NULL or delete the rows listed "
                "by SELECT * FROM \"%w\" AS c WHERE %s AND NOT EXISTS (SELECT 1 FROM "
                "\"%w\" AS p WHERE %s);",
                pFk->zParent, devdb_lint_names(p, pFk->azFrom, pFk->nCol, 0), zChild,
                zNotNull ? zNotNull : "", pFk->zParent, zMatch ? zMatch : "");
}

/* One fk-violation finding: n rows of table zTab break its foreign key fkid. */
static void fk_violation(DevdbLint *p, const DevdbSchema *pS, const char *zTab, int fkid,
                         sqlite3_int64 n) {
  const DevdbTable *pTab = devdb_schema_table(pS, zTab);
  if (pTab == 0 || fkid < 0 || fkid >= pTab->nFk) return;
  const DevdbForeignKey *pFk = &pTab->aFk[pTab->nFk - 1 - fkid]; /* ids run backwards */
  if (devdb_schema_table(pS, pFk->zParent) == 0) return; /* fk-missing-table says it */
  char *zFrom = devdb_lint_names(p, pFk->azFrom, pFk->nCol, 0);
  devdb_lint_add(
      p, DEVDB_LINT_ERROR, "fk-violation", PRINTF("%s(%s)", pTab->zName, zFrom),
      PRINTF("%lld row%s of %s reference%s no row of %s(%s) (foreign key %s(%s))", n,
             n == 1 ? "" : "s", pTab->zName, n == 1 ? "s" : "", pFk->zParent,
             devdb_lint_names(p, pFk->azTo, pFk->nCol, 0), pTab->zName, zFrom),
      orphan_fix(p, pTab->zName, pFk));
}

/* The violations of one foreign_key_check query (zTab NULL: all tables).
** Findings are added only when the whole query succeeds. */
static int fk_check_query(DevdbLint *p, sqlite3 *db, const char *zSchema,
                          const DevdbSchema *pS, const char *zTab) {
  sqlite3_stmt *pStmt = 0;
  int rc =
      devdb_prepare(db, &pStmt,
                    "SELECT \"table\", fkid, count(*) FROM "
                    "pragma_foreign_key_check(%Q, %Q) GROUP BY 1, 2 ORDER BY 1, 2 DESC",
                    zTab, zSchema);
  int nBefore = p->nFinding;
  while (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    const char *zTable = (const char *)sqlite3_column_text(pStmt, 0);
    if (zTable == 0) p->arena.bOom = 1; /* the violation would be lost */
    fk_violation(p, pS, zTable, sqlite3_column_int(pStmt, 1),
                 sqlite3_column_int64(pStmt, 2));
    rc = SQLITE_OK;
  }
  if (pStmt) rc = sqlite3_finalize(pStmt);
  if (rc != SQLITE_OK) p->nFinding = nBefore;
  devdb_lint_check(p, db, rc); /* a foreign key mismatch is SQLITE_ERROR */
  return rc;
}

int devdb_lint_fk_check(DevdbLint *p, sqlite3 *db, const char *zSchema,
                        const DevdbSchema *pS) {
  int bFks = 0;
  for (int i = 0; i < pS->nTable && !bFks; i++) bFks = pS->aTable[i].nFk > 0;
  if (!bFks || fk_check_query(p, db, zSchema, pS, 0) == SQLITE_OK) return SQLITE_OK;
  /* a foreign key mismatch fails the whole check: go table by table */
  for (int i = 0; i < pS->nTable && !devdb_lint_check(p, db, SQLITE_OK); i++) {
    if (pS->aTable[i].nFk) fk_check_query(p, db, zSchema, pS, pS->aTable[i].zName);
  }
  return SQLITE_OK;
}

/* ------------------------------------------------------- scan counts */

/* What one count of the per-table scan is about. */
enum { COUNT_NOT_NULL, COUNT_CHECK, COUNT_TYPE_FAIL, COUNT_TYPE_TEXT };

typedef struct ScanCount {
  int eKind;
  const DevdbColumn *pCol;  /* the source column (not null, type) */
  const DevdbCheck *pCheck; /* the source CHECK */
  const char *zTarget;      /* type: what the column becomes, for the detail */
  char *zPred;              /* SQL true for a row that counts (arena) */
  sqlite3_int64 n;          /* the count; -1 when it could not be run */
} ScanCount;

/* Everything the checks of one table need. */
typedef struct TableCheck {
  DevdbLint *p;
  sqlite3 *db;
  const DevdbSchema *pSrc, *pMain;
  const DevdbTable *pS, *pM; /* the source table, main's table of that name */
  ScanCount *aCount;
  int nCount;
} TableCheck;

static void add_count(TableCheck *T, int eKind, const DevdbColumn *pCol,
                      const DevdbCheck *pCheck, const char *zTarget, char *zPred) {
  if (zPred == 0) return;
  ScanCount *c = &T->aCount[T->nCount++];
  c->eKind = eKind;
  c->pCol = pCol;
  c->pCheck = pCheck;
  c->zTarget = zTarget;
  c->zPred = zPred;
  c->n = -1;
}

/* The predicate true for a value of "c" that is not an integer after
** INTEGER affinity (a rowid or a STRICT INTEGER column refuses it). */
static char *pred_not_integer(DevdbLint *p, const char *zCol) {
  return PRINTF("\"%w\" IS NOT NULL AND NOT (\"%w\" = CAST(\"%w\" AS INTEGER))", zCol,
                zCol, zCol);
}

/*
** The type counts of one column: values main holds that the source column
** cannot take (a rowid alias, a STRICT column) or that stay text under a
** numeric affinity the column did not have.
*/
static void type_counts(TableCheck *T, const DevdbColumn *pC, const DevdbColumn *pMc) {
  DevdbLint *p = T->p;
  const DevdbTable *pS = T->pS, *pM = T->pM;
  const char *zCol = pMc->zName;
  int bAlias = pS->iRowidAlias >= 0 && &pS->aCol[pS->iRowidAlias] == pC;
  int bMAlias = pM->iRowidAlias >= 0 && &pM->aCol[pM->iRowidAlias] == pMc;
  if (bAlias) {
    if (!bMAlias) {
      add_count(T, COUNT_TYPE_FAIL, pC, 0, "the rowid (INTEGER PRIMARY KEY)",
                pred_not_integer(p, zCol));
    }
    return;
  }
  if (pS->bStrict) {
    if (pM->bStrict && strcmp(pC->zType, pMc->zType) == 0) return;
    const char *zT = pC->zType;
    char *zPred = 0;
    if (strcmp(zT, "INT") == 0 || strcmp(zT, "INTEGER") == 0) {
      zPred = pred_not_integer(p, zCol);
    } else if (strcmp(zT, "REAL") == 0) {
      zPred = PRINTF("\"%w\" IS NOT NULL AND typeof(\"%w\") NOT IN ('integer', 'real') "
                     "AND NOT (\"%w\" = CAST(\"%w\" AS REAL))",
                     zCol, zCol, zCol, zCol);
    } else if (strcmp(zT, "TEXT") == 0) {
      zPred = PRINTF("typeof(\"%w\") = 'blob'", zCol);
    } else if (strcmp(zT, "BLOB") == 0) {
      zPred = PRINTF("typeof(\"%w\") NOT IN ('blob', 'null')", zCol);
    }
    if (zPred) add_count(T, COUNT_TYPE_FAIL, pC, 0, PRINTF("STRICT %s", zT), zPred);
    return;
  }
  int bNumeric = strcmp(pC->zAff, "TEXT") != 0 && strcmp(pC->zAff, "BLOB") != 0;
  int bWasText = strcmp(pMc->zAff, "TEXT") == 0 || strcmp(pMc->zAff, "BLOB") == 0;
  if (bNumeric && bWasText) {
    add_count(T, COUNT_TYPE_TEXT, pC, 0, PRINTF("%s (%s affinity)", pC->zType, pC->zAff),
              PRINTF("typeof(\"%w\") = 'text' AND NOT (\"%w\" = CAST(\"%w\" AS NUMERIC))",
                     zCol, zCol, zCol));
  }
}

/* 1 when main's table already has a CHECK with this expression. */
static int main_has_check(const DevdbTable *pM, const DevdbCheck *pCheck) {
  for (int i = 0; i < pM->nCheck; i++) {
    if (strcmp(pM->aCheck[i].zExpr, pCheck->zExpr) == 0) return 1;
  }
  return 0;
}

/*
** 1 when every function the expression zExpr calls may run on db from a
** schema: built in or innocuous, not DIRECTONLY, not one that loads code.
** The functions are the words before '(' and the operators that call one.
*/
static int safe_functions(DevdbLint *p, sqlite3 *db, const char *zExpr) {
  DevdbLexer lx;
  devdb_lexer_init(&lx, zExpr, -1);
  DevdbToken prev = {DEVDB_TK_EOF, "", 0};
  for (DevdbToken t = devdb_lexer_next(&lx);; prev = t, t = devdb_lexer_next(&lx)) {
    const DevdbToken *pName = 0;
    if (t.eType == DEVDB_TK_LP && prev.eType == DEVDB_TK_WORD) pName = &prev;
    if (t.eType == DEVDB_TK_LP && prev.eType == DEVDB_TK_QUOTED) pName = &prev;
    if (devdb_token_is(&t, "like") || devdb_token_is(&t, "glob") ||
        devdb_token_is(&t, "regexp") || devdb_token_is(&t, "match")) {
      pName = &t;
    }
    if (pName) {
      char *zName = devdb_token_ident(pName);
      if (zName == 0) return 0;
      sqlite3_int64 nUnsafe = 1;
      int rc = devdb_lint_query_int(
          p, db, &nUnsafe,
          "SELECT count(*) FROM pragma_function_list WHERE name = %Q COLLATE NOCASE AND "
          "(flags & %d OR NOT (builtin OR flags & %d) OR name IN ('load_extension', "
          "'fts3_tokenizer'))",
          zName, SQLITE_DIRECTONLY, SQLITE_INNOCUOUS);
      sqlite3_free(zName);
      if (rc != SQLITE_OK || nUnsafe) return 0;
    }
    if (t.eType == DEVDB_TK_EOF) return 1;
  }
}

/* The NOT NULL, CHECK and type counts of a table, to run in one scan. */
static void plan_scan(TableCheck *T) {
  DevdbLint *p = T->p;
  const DevdbTable *pS = T->pS, *pM = T->pM;
  for (int i = 0; i < pS->nCol; i++) {
    const DevdbColumn *pC = &pS->aCol[i];
    const DevdbColumn *pMc = devdb_table_column(pM, pC->zName);
    if (pMc == 0 || pMc->eGen || pC->eGen) continue;
    if (pC->bNotNull && !pMc->bNotNull) {
      add_count(T, COUNT_NOT_NULL, pC, 0, 0, PRINTF("\"%w\" IS NULL", pMc->zName));
    }
    type_counts(T, pC, pMc);
  }
  for (int i = 0; i < pS->nCheck; i++) {
    const DevdbCheck *pCheck = &pS->aCheck[i];
    if (main_has_check(pM, pCheck)) continue;
    if (!safe_functions(p, T->db, pCheck->zExpr)) {
      devdb_lint_add(p, DEVDB_LINT_INFO, "check-not-counted", PRINTF("%s", pS->zName),
                     PRINTF("CHECK(%s) of %s calls a function that is not safe to run "
                            "here: its violations in main.%s were not counted",
                            pCheck->zExpr, pS->zName, pS->zName),
                     0);
      continue;
    }
    add_count(T, COUNT_CHECK, 0, pCheck, 0, PRINTF("NOT (%s)", pCheck->zExpr));
  }
}

/* Prepare a read-only, single-statement query on main's table; run it and
** store its columns in the counts [i0, i0+n). Returns an SQLite code:
** SQLITE_ERROR when it does not prepare or run, anything worse recorded. */
static int run_counts(TableCheck *T, int i0, int n) {
  sqlite3_str *s = sqlite3_str_new(0);
  sqlite3_str_appendall(s, "SELECT ");
  for (int i = i0; i < i0 + n; i++) {
    sqlite3_str_appendf(s, "%scount(*) FILTER (WHERE %s)", i > i0 ? ", " : "",
                        T->aCount[i].zPred);
  }
  sqlite3_str_appendf(s, " FROM \"main\".\"%w\"", T->pM->zName);
  char *zSql = sqlite3_str_finish(s);
  if (zSql == 0) return SQLITE_NOMEM;
  sqlite3_stmt *pStmt = 0;
  const char *zTail = 0;
  int rc = sqlite3_prepare_v2(T->db, zSql, -1, &pStmt, &zTail);
  if (rc == SQLITE_OK && (pStmt == 0 || !sqlite3_stmt_readonly(pStmt) ||
                          (zTail && zTail[strspn(zTail, " \t\n;")]))) {
    rc = SQLITE_ERROR; /* not one read-only statement: not ours to run */
  }
  if (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    for (int i = 0; i < n; i++) T->aCount[i0 + i].n = sqlite3_column_int64(pStmt, i);
  }
  int rc2 = sqlite3_finalize(pStmt);
  sqlite3_free(zSql);
  if (rc == SQLITE_OK) rc = rc2;
  devdb_lint_check(T->p, T->db, rc);
  return rc;
}

/* The finding of one scan count that found rows. */
static void scan_finding(TableCheck *T, const ScanCount *c) {
  DevdbLint *p = T->p;
  const char *zTab = T->pS->zName;
  sqlite3_int64 n = c->n;
  const char *zRows = n == 1 ? "row" : "rows";
  if (c->eKind == COUNT_NOT_NULL) {
    const DevdbColumn *pC = c->pCol;
    devdb_lint_add(
        p, DEVDB_LINT_ERROR, "will-fail-not-null", PRINTF("%s.%s", zTab, pC->zName),
        PRINTF(
            "%s.%s is NOT NULL in the source, but %lld %s of main.%s hold%s NULL there",
            zTab, pC->zName, n, zRows, zTab, n == 1 ? "s" : ""),
        pC->zDefault
            ? PRINTF("UPDATE \"%w\" SET \"%w\" = %s WHERE \"%w\" IS NULL;", zTab,
                     pC->zName, pC->zDefault, pC->zName)
            : PRINTF("set %s.%s in the rows listed by SELECT * FROM \"%w\" WHERE "
                     "\"%w\" IS NULL; or delete them",
                     zTab, pC->zName, zTab, pC->zName));
  } else if (c->eKind == COUNT_CHECK) {
    const DevdbCheck *pK = c->pCheck;
    devdb_lint_add(
        p, DEVDB_LINT_ERROR, "will-fail-check",
        pK->zName ? PRINTF("%s.%s", zTab, pK->zName) : PRINTF("%s", zTab),
        PRINTF("CHECK(%s) of %s is violated by %lld %s of main.%s", pK->zExpr, zTab, n,
               zRows, zTab),
        PRINTF("correct or delete the rows listed by SELECT * FROM \"%w\" WHERE "
               "NOT (%s);",
               zTab, pK->zExpr));
  } else {
    const DevdbColumn *pC = c->pCol;
    int bFail = c->eKind == COUNT_TYPE_FAIL;
    devdb_lint_add(
        p, bFail ? DEVDB_LINT_ERROR : DEVDB_LINT_WARNING,
        bFail ? "will-fail-type" : "type-values-unconverted",
        PRINTF("%s.%s", zTab, pC->zName),
        bFail ? PRINTF("%s.%s becomes %s, which %lld value%s of main.%s cannot be "
                       "(datatype mismatch)",
                       zTab, pC->zName, c->zTarget, n, n == 1 ? "" : "s", zTab)
              : PRINTF("%s.%s becomes %s, but %lld text value%s of main.%s %s", zTab,
                       pC->zName, c->zTarget, n, n == 1 ? "" : "s", zTab,
                       n == 1 ? "does not look like a number and stays text"
                              : "do not look like numbers and stay text"),
        PRINTF("convert or clear the values listed by SELECT rowid, \"%w\" FROM \"%w\" "
               "WHERE %s;",
               pC->zName, zTab, c->zPred));
  }
}

/* 1 when zMsg is "no such column: c" for a column the source adds. */
static int is_new_column(const TableCheck *T, const char *zMsg) {
  static const char zPrefix[] = "no such column: ";
  if (zMsg == 0 || strncmp(zMsg, zPrefix, sizeof(zPrefix) - 1)) return 0;
  const char *zCol = zMsg + sizeof(zPrefix) - 1;
  return devdb_table_column(T->pS, zCol) && !devdb_table_column(T->pM, zCol);
}

/* The scan counts of a table: one query, or one each when that fails (a
** CHECK that names a column main does not have, or fails on a value). */
static void scan_table(TableCheck *T) {
  DevdbLint *p = T->p;
  if (T->nCount == 0) return;
  if (run_counts(T, 0, T->nCount) != SQLITE_OK) {
    for (int i = 0; i < T->nCount && !devdb_lint_check(p, T->db, SQLITE_OK); i++) {
      const ScanCount *c = &T->aCount[i];
      if (run_counts(T, i, 1) == SQLITE_OK || c->eKind != COUNT_CHECK) continue;
      if (is_new_column(T, sqlite3_errmsg(T->db))) continue; /* rows get its default */
      devdb_lint_add(p, DEVDB_LINT_INFO, "check-not-counted", PRINTF("%s", T->pS->zName),
                     PRINTF("CHECK(%s) of %s could not be counted on main.%s: %s",
                            c->pCheck->zExpr, T->pS->zName, T->pS->zName,
                            sqlite3_errmsg(T->db)),
                     0);
    }
  }
  for (int i = 0; i < T->nCount; i++) {
    if (T->aCount[i].n > 0) scan_finding(T, &T->aCount[i]);
  }
}

/* ---------------------------------------------------------- uniques */

/* 1 when the index pIdx (or the rowid alias, when pIdx is NULL and nCol
** is 1) enforces uniqueness on exactly the columns/collations of pKey. */
static int same_unique(const DevdbIndex *pIdx, const DevdbIndex *pKey) {
  if (!pIdx->bUnique || pIdx->zWhere || pIdx->nCol != pKey->nCol) return 0;
  for (int i = 0; i < pKey->nCol; i++) {
    int bFound = 0;
    for (int k = 0; k < pIdx->nCol && !bFound; k++) {
      const DevdbIndexColumn *a = &pKey->aCol[i], *b = &pIdx->aCol[k];
      bFound = a->zName && b->zName && devdb_stricmp(a->zName, b->zName) == 0 &&
               devdb_stricmp(a->zCollate ? a->zCollate : "BINARY",
                             b->zCollate ? b->zCollate : "BINARY") == 0;
    }
    if (!bFound) return 0;
  }
  return 1;
}

/* 1 when main's table already enforces the unique key pKey. */
static int main_has_unique(const DevdbTable *pM, const DevdbIndex *pKey) {
  if (pKey->nCol == 1 && pM->iRowidAlias >= 0 && pKey->aCol[0].zName &&
      devdb_stricmp(pKey->aCol[0].zName, pM->aCol[pM->iRowidAlias].zName) == 0) {
    return 1;
  }
  for (int i = 0; i < pM->nIndex; i++) {
    if (same_unique(pM->apIndex[i], pKey)) return 1;
  }
  return 0;
}

/* Count the duplicate groups main's rows hold for the key "a COLLATE x, b"
** of zLabel (e.g. "UNIQUE(a, b)"); a finding when there are some. */
static void unique_count(TableCheck *T, const char *zLabel, char *const *azCol,
                         char *const *azColl, int nCol) {
  DevdbLint *p = T->p;
  sqlite3_str *sKey = sqlite3_str_new(0), *sUser = sqlite3_str_new(0);
  for (int i = 0; i < nCol; i++) {
    const char *zColl = azColl && azColl[i] ? azColl[i] : "BINARY";
    sqlite3_str_appendf(sKey, "%s\"%w\" COLLATE \"%w\"", i ? ", " : "", azCol[i], zColl);
    sqlite3_str_appendf(sUser, "%s%s", i ? ", " : "", azCol[i]);
    if (strcmp(zColl, "BINARY")) sqlite3_str_appendf(sUser, " COLLATE %s", zColl);
  }
  char *zKey = sqlite3_str_finish(sKey), *zUser = sqlite3_str_finish(sUser), *zErr = 0;
  sqlite3_int64 nGroup = 0, nRow = 0;
  int rc = zKey && zUser
               ? devdb_dup_count(T->db, "main", T->pM->zName, zKey, &nGroup, &nRow, &zErr)
               : SQLITE_NOMEM;
  devdb_lint_check(p, T->db, rc);
  if (rc == SQLITE_OK && nGroup > 0) {
    const char *zTab = T->pS->zName;
    devdb_lint_add(
        p, DEVDB_LINT_ERROR, "will-fail-unique", PRINTF("%s(%s)", zTab, zUser),
        PRINTF("%s of %s: main.%s holds %lld duplicate group%s (%lld row%s beyond the "
               "first of each)",
               zLabel, zTab, zTab, nGroup, nGroup == 1 ? "" : "s", nRow,
               nRow == 1 ? "" : "s"),
        PRINTF("see them with SELECT * FROM devdb_duplicates(%Q, %Q); remove them with "
               "SELECT devdb_dedup(%Q, %Q);",
               zTab, zUser, zTab, zUser));
  }
  sqlite3_free(zErr);
  sqlite3_free(zKey);
  sqlite3_free(zUser);
}

/* The unique keys of the source table that main does not enforce yet. */
static void unique_counts(TableCheck *T) {
  DevdbLint *p = T->p;
  const DevdbTable *pS = T->pS, *pM = T->pM;
  if (pS->iRowidAlias >= 0) {
    const DevdbColumn *pC = &pS->aCol[pS->iRowidAlias];
    const DevdbColumn *pMc = devdb_table_column(pM, pC->zName);
    int bMAlias = pM->iRowidAlias >= 0 && &pM->aCol[pM->iRowidAlias] == pMc;
    DevdbIndex key;
    DevdbIndexColumn col;
    memset(&key, 0, sizeof(key));
    memset(&col, 0, sizeof(col));
    col.zName = pC->zName;
    key.nCol = 1;
    key.aCol = &col;
    key.bUnique = 1;
    if (pMc && !bMAlias && !main_has_unique(pM, &key)) {
      char *az[1] = {pMc->zName};
      unique_count(T, PRINTF("INTEGER PRIMARY KEY(%s)", pC->zName), az, 0, 1);
    }
  }
  for (int i = 0; i < pS->nIndex; i++) {
    const DevdbIndex *pIdx = pS->apIndex[i];
    if (!pIdx->bUnique || pIdx->zWhere || pIdx->nCol == 0) continue;
    if (main_has_unique(pM, pIdx)) continue;
    char **azCol = devdb_arena_alloc(&p->arena, sizeof(char *) * pIdx->nCol * 2);
    if (azCol == 0) return;
    char **azColl = azCol + pIdx->nCol;
    int k = 0;
    for (; k < pIdx->nCol; k++) {
      const DevdbColumn *pMc =
          pIdx->aCol[k].zName ? devdb_table_column(pM, pIdx->aCol[k].zName) : 0;
      if (pMc == 0) break;
      azCol[k] = pMc->zName;
      azColl[k] = pIdx->aCol[k].zCollate;
    }
    if (k < pIdx->nCol) continue; /* an expression, or a column main lacks */
    const char *zKind = pIdx->eOrigin == DEVDB_IDX_PK       ? "PRIMARY KEY"
                        : pIdx->eOrigin == DEVDB_IDX_UNIQUE ? "UNIQUE"
                                                            : 0;
    char *zCols = devdb_lint_names(p, azCol, pIdx->nCol, 0);
    unique_count(T,
                 zKind ? PRINTF("%s(%s)", zKind, zCols)
                       : PRINTF("unique index %s(%s)", pIdx->zName, zCols),
                 azCol, azColl, pIdx->nCol);
  }
}

/* ------------------------------------------------------ foreign keys */

/* Orphans in main of each foreign key of the source table. */
static void fk_counts(TableCheck *T) {
  DevdbLint *p = T->p;
  const DevdbTable *pS = T->pS, *pM = T->pM;
  for (int k = 0; k < pS->nFk; k++) {
    const DevdbForeignKey *pFk = &pS->aFk[k];
    const DevdbTable *pPar = devdb_schema_table(T->pMain, pFk->zParent);
    if (pPar == 0 || pPar->eKind != DEVDB_TABLE) continue;
    int i = 0;
    while (i < pFk->nCol && pFk->azTo[i] && devdb_table_column(pM, pFk->azFrom[i]) &&
           devdb_table_column(pPar, pFk->azTo[i])) {
      i++;
    }
    if (i < pFk->nCol) continue; /* a column main does not have */
    char *zNotNull, *zMatch;
    fk_terms(p, pFk, &zNotNull, &zMatch);
    /* a LEFT JOIN finds the orphans as fast as the plain query would (a
    ** correlated NOT EXISTS runs twice as long); a parent matched several
    ** times still leaves no row with a NULL parent column */
    sqlite3_int64 n = -1;
    if (zNotNull && zMatch) {
      devdb_lint_query_int(p, T->db, &n,
                           "SELECT count(*) FROM \"main\".\"%w\" AS c LEFT JOIN "
                           "\"main\".\"%w\" AS p ON %s WHERE %s AND p.\"%w\" IS NULL",
                           pM->zName, pPar->zName, zMatch, zNotNull, pFk->azTo[0]);
    }
    if (n > 0) {
      char *zFrom = devdb_lint_names(p, pFk->azFrom, pFk->nCol, 0);
      char *zTo = devdb_lint_names(p, pFk->azTo, pFk->nCol, 0);
      devdb_lint_add(
          p, DEVDB_LINT_ERROR, "will-fail-fk", PRINTF("%s(%s)", pS->zName, zFrom),
          PRINTF("foreign key %s(%s) -> %s(%s): %lld row%s of main.%s reference%s no row "
                 "of main.%s",
                 pS->zName, zFrom, pFk->zParent, zTo, n, n == 1 ? "" : "s", pS->zName,
                 n == 1 ? "s" : "", pFk->zParent),
          orphan_fix(p, pS->zName, pFk));
    }
  }
}

/* ------------------------------------------------------------- entry */

int devdb_lint_data(DevdbLint *p, sqlite3 *db, const DevdbSchema *pSrc,
                    const DevdbSchema *pMain) {
  for (int i = 0; i < pSrc->nTable && !devdb_lint_check(p, db, SQLITE_OK); i++) {
    TableCheck t, *T = &t;
    memset(T, 0, sizeof(*T));
    T->p = p;
    T->db = db;
    T->pSrc = pSrc;
    T->pMain = pMain;
    T->pS = &pSrc->aTable[i];
    T->pM = devdb_schema_table(pMain, T->pS->zName);
    if (T->pS->eKind != DEVDB_TABLE || T->pM == 0 || T->pM->eKind != DEVDB_TABLE)
      continue;
    sqlite3_int64 nAny = 0;
    if (devdb_lint_query_int(
            p, db, &nAny, "SELECT count(*) FROM (SELECT 1 FROM \"main\".\"%w\" LIMIT 1)",
            T->pM->zName) != SQLITE_OK ||
        nAny == 0) {
      continue; /* nothing there can fail */
    }
    T->aCount = devdb_arena_alloc(&p->arena, sizeof(ScanCount) *
                                                 (T->pS->nCol * 2 + T->pS->nCheck + 1));
    if (T->aCount == 0) break;
    plan_scan(T);
    scan_table(T);
    unique_counts(T);
    fk_counts(T);
  }
  return SQLITE_OK;
}
