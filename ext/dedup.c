/*
** dedup.c: duplicate rows (the dedup area). For now it holds the shared
** counter devdb_dup_count (devdb.h) that diff and lint use to predict a
** UNIQUE index failing on existing rows; devdb_duplicates and devdb_dedup
** come with the dedup feature.
*/
#include "devdb.h"

#include <string.h>

/*
** Build "c1 COLLATE x, c2" (as GROUP BY terms) and "c1 IS NOT NULL AND c2
** IS NOT NULL" from the column list zCols, checking every column exists in
** zSchema.zTbl. Returns SQLITE_OK or an error with a message.
*/
static int build_key_terms(sqlite3 *db, const char *zSchema, const char *zTbl,
                           const char *zCols, sqlite3_str *pKey, sqlite3_str *pNotNull,
                           char **pzErr) {
  DevdbToken *aTok = 0;
  int nTok = devdb_tokens(zCols, -1, &aTok), rc = SQLITE_OK, nItem = 0;
  if (nTok < 0) return SQLITE_NOMEM;
  for (int i = 0; i < nTok && rc == SQLITE_OK; i++) {
    const DevdbToken *t = &aTok[i];
    if (t->eType != DEVDB_TK_WORD && t->eType != DEVDB_TK_QUOTED) {
      *pzErr = sqlite3_mprintf("cannot read the column list '%s'", zCols);
      rc = SQLITE_ERROR;
      break;
    }
    char *zCol = devdb_token_ident(t);
    if (zCol == 0) {
      rc = SQLITE_NOMEM;
      break;
    }
    if (devdb_query_int(db, 0,
                        "SELECT count(*) FROM pragma_table_xinfo(%Q, %Q) WHERE name=%Q",
                        zTbl, zSchema, zCol) == 0) {
      *pzErr = sqlite3_mprintf("no such column: %s.%s", zTbl, zCol);
      rc = SQLITE_ERROR;
    }
    sqlite3_str_appendf(pKey, "%s\"%w\"", nItem ? ", " : "", zCol);
    sqlite3_str_appendf(pNotNull, "%s\"%w\" IS NOT NULL", nItem ? " AND " : "", zCol);
    sqlite3_free(zCol);
    nItem++;
    if (i + 2 < nTok && devdb_token_is(&aTok[i + 1], "collate")) {
      char *zColl = devdb_token_ident(&aTok[i + 2]);
      if (zColl) sqlite3_str_appendf(pKey, " COLLATE \"%w\"", zColl);
      sqlite3_free(zColl);
      i += 2;
    }
    if (i + 1 < nTok && aTok[i + 1].eType != DEVDB_TK_COMMA && rc == SQLITE_OK) {
      *pzErr = sqlite3_mprintf("cannot read the column list '%s'", zCols);
      rc = SQLITE_ERROR;
    }
    i++; /* the comma */
  }
  if (rc == SQLITE_OK && nItem == 0) {
    *pzErr = sqlite3_mprintf("empty column list");
    rc = SQLITE_ERROR;
  }
  sqlite3_free(aTok);
  return rc;
}

int devdb_dup_count(sqlite3 *db, const char *zSchema, const char *zTbl, const char *zCols,
                    sqlite3_int64 *pnGroups, sqlite3_int64 *pnRows, char **pzErr) {
  *pzErr = 0;
  if (devdb_query_int(db, 0, "SELECT count(*) FROM pragma_table_xinfo(%Q, %Q)", zTbl,
                      zSchema) == 0) {
    *pzErr = sqlite3_mprintf("no such table: %s", zTbl);
    return SQLITE_ERROR;
  }
  sqlite3_str *pKey = sqlite3_str_new(0), *pNotNull = sqlite3_str_new(0);
  int rc = build_key_terms(db, zSchema, zTbl, zCols, pKey, pNotNull, pzErr);
  char *zKey = sqlite3_str_finish(pKey), *zNotNull = sqlite3_str_finish(pNotNull);
  sqlite3_stmt *pStmt = 0;
  if (rc == SQLITE_OK && (zKey == 0 || zNotNull == 0)) rc = SQLITE_NOMEM;
  if (rc == SQLITE_OK) {
    rc = devdb_prepare(
        db, &pStmt,
        "SELECT count(*), coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n "
        "FROM \"%w\".\"%w\" WHERE %s GROUP BY %s HAVING count(*) > 1)",
        zSchema, zTbl, zNotNull, zKey);
    if (rc != SQLITE_OK) *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(db));
  }
  if (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    *pnGroups = sqlite3_column_int64(pStmt, 0);
    if (pnRows) *pnRows = sqlite3_column_int64(pStmt, 1);
  }
  if (pStmt && sqlite3_finalize(pStmt) != SQLITE_OK && rc == SQLITE_OK) {
    rc = SQLITE_ERROR;
    *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(db));
  }
  sqlite3_free(zKey);
  sqlite3_free(zNotNull);
  return rc;
}

int dedup_register(sqlite3 *db) {
  (void)db;
  return SQLITE_OK;
}
