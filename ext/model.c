/*
** model.c: loading the schema model (devdb.h, DevdbSchema) of one schema.
**
** SQLite parses: the model comes from PRAGMA table_list, table_xinfo,
** index_list, index_xinfo and foreign_key_list, each run directly on one
** object, all inside one read transaction (one snapshot of the schema, and
** no lock taken and released per PRAGMA). The CREATE text is read with
** parse.c only for what no PRAGMA shows: COLLATE, CHECK, generated expressions,
*constraint
** names, ON CONFLICT, MATCH, DEFERRABLE, AUTOINCREMENT, index expressions
** and WHERE clauses, virtual table arguments. On a large schema that text
** is parsed in a thread of its own while the PRAGMAs run (load_tables).
**
** Normalisation makes equal schemas compare equal: every expression goes
** through devdb_sql_norm (case, quoting, spaces, outer parentheses), types
** are upper-cased with canonical spacing, CHECK constraints are compared
** without regard to the column they were written on, inline and table-level
** primary keys give the same key, and omitted foreign key parent columns are
** resolved to the parent's key. Each object carries zDef, its normalised
** definition: two objects are equal when their zDef are.
**
** No SQL functions live here; devdb_schema (schema.c) is the SQL view of it.
*/
#include "devdb.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Loader {
  DevdbSchema *pS;
  sqlite3 *db;
  const char *zSchema;
  char *zErr;                     /* sqlite3_malloc'd first error */
  sqlite3_str *pBuf;              /* scratch for building text, reused */
  DevdbMap mShadow;               /* shadow tables, when the schema has virtual tables */
  DevdbParsedTable *aParsed;      /* the CREATE TABLE text of each table, parsed */
  DevdbParsedIndex *aParsedIndex; /* the CREATE INDEX text of each index; nCol -1: none */
  int *anColAlloc;                /* room in each table's aCol */
  int nSchemaIndex;               /* indexes with a sqlite_schema row: aIndex[0..n) */
  DevdbArena textArena;           /* what the text thread allocates, then the model's */
} Loader;

#define MODEL_THREAD_OBJECTS 200 /* objects from which the text is read in a thread */

#define A(n) devdb_arena_alloc(&L->pS->arena, (n))
#define S(z) devdb_arena_strndup(&L->pS->arena, (z), -1)

/* Record the first error: the message of db, naming what was being read. */
static int load_error(Loader *L, const char *zWhat) {
  if (L->zErr == 0) {
    L->zErr = sqlite3_mprintf("cannot read the %s of schema '%s': %s", zWhat, L->zSchema,
                              sqlite3_errmsg(L->db));
  }
  return SQLITE_ERROR;
}

/* Start building text in the loader's scratch buffer. */
static sqlite3_str *buf(Loader *L) {
  sqlite3_str_reset(L->pBuf);
  return L->pBuf;
}

/*
** Prepare PRAGMA "schema".zPragma('zArg') directly: the pragma_* table
** functions would prepare the same statement and copy every value once more.
*/
static int prepare_pragma(Loader *L, sqlite3_stmt **ppStmt, const char *zPragma,
                          const char *zArg) {
  *ppStmt = 0;
  sqlite3_str *p = buf(L); /* free until the rows are read */
  sqlite3_str_appendf(p, "PRAGMA \"%w\".%s(%Q)", L->zSchema, zPragma, zArg);
  if (sqlite3_str_errcode(p)) return SQLITE_NOMEM;
  return sqlite3_prepare_v2(L->db, sqlite3_str_value(p), sqlite3_str_length(p), ppStmt,
                            0);
}

/* Column text as an arena string (NULL stays NULL). */
static char *col_str(Loader *L, sqlite3_stmt *pStmt, int i) {
  const char *z = (const char *)sqlite3_column_text(pStmt, i);
  return z ? devdb_arena_strndup(&L->pS->arena, z, sqlite3_column_bytes(pStmt, i)) : 0;
}

/* Upper-case z in place; returns z. */
static char *upper(char *z) {
  for (char *c = z; c && *c; c++) {
    if (*c >= 'a' && *c <= 'z') *c -= 32;
  }
  return z;
}

/* The text built in the scratch buffer, copied into the arena. */
static char *buf_done(Loader *L) {
  if (sqlite3_str_errcode(L->pBuf)) {
    L->pS->arena.bOom = 1;
    return S("");
  }
  const char *z = sqlite3_str_value(L->pBuf);
  return devdb_arena_strndup(&L->pS->arena, z ? z : "", sqlite3_str_length(L->pBuf));
}

/* 1 when a declared type is already canonical: upper-case words, one space. */
static int is_canonical_type(const char *z) {
  if (z == 0) return 0;
  for (int i = 0; z[i]; i++) {
    int c = (unsigned char)z[i];
    int bWord = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!bWord && !(c == ' ' && i > 0 && z[i + 1] && z[i + 1] != ' ')) return 0;
  }
  return 1;
}

/*
** The declared type in canonical form: upper case, single spaces between
** words, none around parentheses and a space after commas.
*/
static char *norm_type(Loader *L, const char *zType) {
  if (is_canonical_type(zType)) return S(zType);
  sqlite3_str *p = buf(L);
  DevdbLexer lx;
  devdb_lexer_init(&lx, zType ? zType : "", -1);
  DevdbToken prev = {DEVDB_TK_EOF, "", 0};
  for (DevdbToken t = devdb_lexer_next(&lx); t.eType != DEVDB_TK_EOF;
       t = devdb_lexer_next(&lx)) {
    int bSpace = prev.eType != DEVDB_TK_EOF && prev.eType != DEVDB_TK_LP &&
                 t.eType != DEVDB_TK_LP && t.eType != DEVDB_TK_RP &&
                 t.eType != DEVDB_TK_COMMA;
    if (bSpace) sqlite3_str_appendchar(p, 1, ' ');
    sqlite3_str_append(p, t.z, t.n);
    prev = t;
  }
  return upper(buf_done(L));
}

/* 1 when zHay contains zNeedle (upper case), compared without case. */
static int contains_nocase(const char *zHay, const char *zNeedle) {
  int n = (int)strlen(zNeedle);
  for (; *zHay; zHay++) {
    if (devdb_strnicmp(zHay, zNeedle, n) == 0) return 1;
  }
  return 0;
}

const char *devdb_affinity(const char *zType) {
  if (zType == 0 || zType[0] == 0) return "BLOB";
  if (contains_nocase(zType, "INT")) return "INTEGER";
  if (contains_nocase(zType, "CHAR") || contains_nocase(zType, "CLOB") ||
      contains_nocase(zType, "TEXT")) {
    return "TEXT";
  }
  if (contains_nocase(zType, "BLOB")) return "BLOB";
  if (contains_nocase(zType, "REAL") || contains_nocase(zType, "FLOA") ||
      contains_nocase(zType, "DOUB")) {
    return "REAL";
  }
  return "NUMERIC";
}

/*
** The shadow tables of the schema's virtual tables, from PRAGMA table_list
** (only asked when there are virtual tables: it resolves every view).
*/
static int load_shadow_names(Loader *L) {
  sqlite3_stmt *pStmt;
  if (devdb_prepare(L->db, &pStmt,
                    "SELECT name FROM pragma_table_list WHERE schema=%Q COLLATE NOCASE "
                    "AND type='shadow'",
                    L->zSchema)) {
    return load_error(L, "table list");
  }
  while (sqlite3_step(pStmt) == SQLITE_ROW) {
    char *zName = col_str(L, pStmt, 0);
    if (zName == 0 || devdb_map_put(&L->mShadow, zName, zName)) L->pS->arena.bOom = 1;
  }
  if (sqlite3_finalize(pStmt)) return load_error(L, "table list");
  return L->pS->arena.bOom ? SQLITE_NOMEM : SQLITE_OK;
}

/* 1 when a sqlite_schema row belongs to SQLite or to a virtual table. */
static int is_hidden_object(Loader *L, const char *zName, const char *zTbl) {
  if (devdb_strnicmp(zName, "sqlite_", 7) == 0 &&
      devdb_strnicmp(zName, "sqlite_autoindex_", 17)) {
    return 1;
  }
  return devdb_map_get(&L->mShadow, zTbl) != 0 || devdb_strnicmp(zTbl, "sqlite_", 7) == 0;
}

/* 1 when the CREATE statement zSql makes a virtual table. */
static int is_virtual_sql(const char *zSql) {
  return zSql && devdb_strnicmp(zSql, "CREATE VIRTUAL ", 15) == 0;
}

/* One row of sqlite_schema, its strings in the model's arena. */
typedef struct SchemaRow {
  char *zType, *zName, *zTbl, *zSql;
} SchemaRow;

/*
** Read sqlite_schema once, in creation order, into *paRow (sqlite3_malloc'd,
** the caller frees it), counting the objects of each type.
*/
static int read_schema_rows(Loader *L, SchemaRow **paRow, int *pnRow, int *anCount,
                            int *pbVirtual) {
  static const char *azType[] = {"table", "index", "view", "trigger"};
  sqlite3_stmt *pStmt;
  int nAlloc = 0, rc = SQLITE_OK;
  if (devdb_prepare(
          L->db, &pStmt,
          "SELECT type, name, tbl_name, sql FROM \"%w\".sqlite_schema ORDER BY rowid",
          L->zSchema)) {
    return load_error(L, "schema");
  }
  while (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    const char *zType = (const char *)sqlite3_column_text(pStmt, 0);
    int k = 0;
    while (k < 4 && (zType == 0 || strcmp(zType, azType[k]))) k++;
    if (k == 4) continue;
    if (*pnRow == nAlloc) {
      nAlloc = nAlloc ? nAlloc * 2 : 64;
      SchemaRow *aNew = sqlite3_realloc64(*paRow, sizeof(SchemaRow) * nAlloc);
      if (aNew == 0) {
        rc = SQLITE_NOMEM;
        break;
      }
      *paRow = aNew;
    }
    SchemaRow *pRow = &(*paRow)[*pnRow];
    pRow->zType = (char *)azType[k];
    pRow->zName = col_str(L, pStmt, 1);
    pRow->zTbl = col_str(L, pStmt, 2);
    pRow->zSql = col_str(L, pStmt, 3);
    if (pRow->zName == 0 || pRow->zTbl == 0) continue;
    (*pnRow)++;
    anCount[k]++;
    *pbVirtual |= k == 0 && is_virtual_sql(pRow->zSql);
  }
  if (sqlite3_finalize(pStmt) && rc == SQLITE_OK) rc = load_error(L, "schema");
  if (rc == SQLITE_OK && L->pS->arena.bOom) rc = SQLITE_NOMEM;
  return rc;
}

/* Add one sqlite_schema row to the model. */
static void add_object(Loader *L, const char *zType, char *zName, char *zTbl,
                       char *zSql) {
  DevdbSchema *pS = L->pS;
  if (strcmp(zType, "table") == 0) {
    if (is_hidden_object(L, zName, zTbl)) {
      if (devdb_map_get(&L->mShadow, zName)) pS->azShadow[pS->nShadow++] = zName;
      return;
    }
    DevdbTable *pTab = &pS->aTable[pS->nTable++];
    pTab->zName = zName;
    pTab->zSql = zSql;
    pTab->iRowidAlias = -1;
    pTab->eKind = is_virtual_sql(zSql) ? DEVDB_VIRTUAL : DEVDB_TABLE;
  } else if (strcmp(zType, "index") == 0) {
    if (is_hidden_object(L, zName, zTbl)) return;
    DevdbIndex *pIdx = &pS->aIndex[pS->nIndex++];
    pIdx->zName = zName;
    pIdx->zTable = zTbl;
    pIdx->zSql = zSql;
    pIdx->eOrigin = zSql ? DEVDB_IDX_CREATE : DEVDB_IDX_UNIQUE; /* pk decided later */
    pIdx->bUnique = zSql == 0;
  } else if (strcmp(zType, "view") == 0) {
    DevdbView *pView = &pS->aView[pS->nView++];
    pView->zName = zName;
    pView->zSql = zSql;
  } else if (strcmp(zType, "trigger") == 0) {
    DevdbTrigger *pTrig = &pS->aTrigger[pS->nTrigger++];
    pTrig->zName = zName;
    pTrig->zTable = zTbl;
    pTrig->zSql = zSql;
  }
}

/* Read sqlite_schema into the arrays of the model, in creation order. */
static int load_objects(Loader *L) {
  DevdbSchema *pS = L->pS;
  int anCount[4] = {0, 0, 0, 0};
  int nRow = 0, bVirtual = 0;
  SchemaRow *aRow = 0;
  int rc = read_schema_rows(L, &aRow, &nRow, anCount, &bVirtual);
  if (rc == SQLITE_OK && bVirtual) rc = load_shadow_names(L);
  if (rc == SQLITE_OK) {
    pS->aTable = A(sizeof(DevdbTable) * (anCount[0] + 1));
    pS->azShadow = A(sizeof(char *) * (anCount[0] + 1));
    /* room for the primary key index of each WITHOUT ROWID table, which has
    ** no row of its own in sqlite_schema */
    pS->aIndex = A(sizeof(DevdbIndex) * (anCount[1] + anCount[0] + 1));
    pS->aView = A(sizeof(DevdbView) * (anCount[2] + 1));
    pS->aTrigger = A(sizeof(DevdbTrigger) * (anCount[3] + 1));
    if (pS->arena.bOom) rc = SQLITE_NOMEM;
  }
  for (int i = 0; i < nRow && rc == SQLITE_OK; i++) {
    add_object(L, aRow[i].zType, aRow[i].zName, aRow[i].zTbl, aRow[i].zSql);
  }
  sqlite3_free(aRow);
  return rc;
}

/* Index the model's objects by name. */
static int build_maps(DevdbSchema *pS) {
  int rc = SQLITE_OK;
  for (int i = 0; i < pS->nTable && rc == SQLITE_OK; i++) {
    rc = devdb_map_put(&pS->mTable, pS->aTable[i].zName, &pS->aTable[i]);
  }
  for (int i = 0; i < pS->nIndex && rc == SQLITE_OK; i++) {
    rc = devdb_map_put(&pS->mIndex, pS->aIndex[i].zName, &pS->aIndex[i]);
  }
  for (int i = 0; i < pS->nView && rc == SQLITE_OK; i++) {
    rc = devdb_map_put(&pS->mView, pS->aView[i].zName, &pS->aView[i]);
  }
  for (int i = 0; i < pS->nTrigger && rc == SQLITE_OK; i++) {
    rc = devdb_map_put(&pS->mTrigger, pS->aTrigger[i].zName, &pS->aTrigger[i]);
  }
  return rc;
}

/* Append a zeroed element to an arena array of the model. */
static void *push(Loader *L, void **pa, int *pn, size_t sz) {
  return devdb_arena_push(&L->pS->arena, pa, pn, sz);
}

/*
** A new column slot of pTab: room for 8, doubled as needed (the text that
** would tell the count is parsed while the columns are read).
*/
static DevdbColumn *new_column(Loader *L, DevdbTable *pTab) {
  int *pnAlloc = &L->anColAlloc[pTab - L->pS->aTable];
  if (pTab->nCol < *pnAlloc) return &pTab->aCol[pTab->nCol++];
  int nNew = *pnAlloc ? *pnAlloc * 2 : 8;
  DevdbColumn *aNew = A(sizeof(DevdbColumn) * nNew);
  if (aNew == 0) return 0;
  if (pTab->nCol) memcpy(aNew, pTab->aCol, sizeof(DevdbColumn) * pTab->nCol);
  pTab->aCol = aNew;
  *pnAlloc = nNew;
  return &pTab->aCol[pTab->nCol++];
}

/*
** Run PRAGMA zPragma(zArg) on L's schema, calling xRow(L, pStmt, pCtx) for
** each row. SQLITE_NOMEM when memory ran out (here or in xRow), else
** SQLite's code for the statement.
*/
static int run_pragma(Loader *L, const char *zPragma, const char *zArg,
                      void (*xRow)(Loader *, sqlite3_stmt *, void *), void *pCtx) {
  sqlite3_stmt *pStmt;
  int rc = prepare_pragma(L, &pStmt, zPragma, zArg);
  while (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) xRow(L, pStmt, pCtx);
  if (rc == SQLITE_OK) rc = sqlite3_finalize(pStmt);
  return rc == SQLITE_NOMEM || L->pS->arena.bOom ? SQLITE_NOMEM : rc;
}

/* Add a column to table pCtx from a row of PRAGMA table_xinfo: cid name
** type notnull dflt_value pk hidden. */
static void column_row(Loader *L, sqlite3_stmt *pStmt, void *pCtx) {
  DevdbColumn *pCol = new_column(L, pCtx);
  if (pCol == 0) return;
  pCol->zName = col_str(L, pStmt, 1);
  pCol->zType = norm_type(L, (const char *)sqlite3_column_text(pStmt, 2));
  pCol->bNotNull = sqlite3_column_int(pStmt, 3);
  const char *zDflt = (const char *)sqlite3_column_text(pStmt, 4);
  if (zDflt) pCol->zDefault = devdb_sql_norm(&L->pS->arena, zDflt, -1, 1);
  pCol->iPk = sqlite3_column_int(pStmt, 5);
  int iHidden = sqlite3_column_int(pStmt, 6);
  pCol->bHidden = iHidden == 1;
  pCol->eGen = iHidden == 2 ? DEVDB_GEN_VIRTUAL : iHidden == 3 ? DEVDB_GEN_STORED : 0;
}

/*
** The columns of one table (PRAGMA table_xinfo). A virtual table whose
** module is not loaded here is kept, marked with the error; any other
** table that cannot be read is an error.
*/
static int load_table_columns(Loader *L, DevdbTable *pTab) {
  int rc = run_pragma(L, "table_xinfo", pTab->zName, column_row, pTab);
  if (rc == SQLITE_NOMEM) return rc;
  if (rc != SQLITE_OK && pTab->eKind == DEVDB_VIRTUAL) {
    pTab->bError = 1;
    pTab->zError = S(sqlite3_errmsg(L->db));
    return L->pS->arena.bOom ? SQLITE_NOMEM : SQLITE_OK;
  }
  return rc == SQLITE_OK ? SQLITE_OK : load_error(L, "columns");
}

/* The module and arguments of a virtual table, then its columns. */
static int load_vtab_columns(Loader *L, DevdbTable *pTab) {
  DevdbSpan args;
  devdb_parse_vtab(&L->pS->arena, pTab->zSql, &pTab->zModule, &args);
  pTab->zArgs = devdb_sql_norm(&L->pS->arena, args.z, args.n, 0);
  return load_table_columns(L, pTab);
}

/* Add the next key column of an index from a row: cid name desc coll at i0. */
static void fill_index_column(Loader *L, DevdbIndex *pIdx, sqlite3_stmt *pStmt, int i0) {
  DevdbIndexColumn *pCol =
      push(L, (void **)&pIdx->aCol, &pIdx->nCol, sizeof(DevdbIndexColumn));
  if (pCol == 0) return;
  if (sqlite3_column_int(pStmt, i0) >= 0) pCol->zName = col_str(L, pStmt, i0 + 1);
  pCol->bDesc = sqlite3_column_int(pStmt, i0 + 2);
  const char *zColl = (const char *)sqlite3_column_text(pStmt, i0 + 3);
  if (zColl && devdb_stricmp(zColl, "BINARY")) pCol->zCollate = upper(S(zColl));
}

/* The key columns of one index (PRAGMA index_xinfo: names, expressions,
** DESC, collation). */
static void index_key_row(Loader *L, sqlite3_stmt *pStmt, void *pCtx) {
  /* seqno cid name desc coll key: only the key columns */
  if (sqlite3_column_int(pStmt, 5)) fill_index_column(L, pCtx, pStmt, 1);
}

static int load_index_columns(Loader *L, DevdbIndex *pIdx) {
  int rc = run_pragma(L, "index_xinfo", pIdx->zName, index_key_row, pIdx);
  if (rc == SQLITE_NOMEM) return rc;
  return rc == SQLITE_OK ? SQLITE_OK : load_error(L, "indexes");
}

/* The key columns of every index that has a sqlite_schema row. */
static int load_indexes(Loader *L) {
  int rc = SQLITE_OK;
  for (int i = 0; i < L->nSchemaIndex && rc == SQLITE_OK; i++) {
    rc = load_index_columns(L, &L->pS->aIndex[i]);
  }
  return rc;
}

/*
** The primary key index of a WITHOUT ROWID table: PRAGMA index_list shows
** it, sqlite_schema has no row for it.
*/
static int load_pk_index(Loader *L, DevdbTable *pTab) {
  sqlite3_stmt *pStmt;
  if (devdb_prepare(L->db, &pStmt,
                    "SELECT il.name, ix.cid, ix.name, ix.\"desc\", ix.coll FROM "
                    "pragma_index_list(%Q, %Q) il, pragma_index_xinfo(il.name, %Q) ix "
                    "WHERE il.origin='pk' AND ix.key",
                    pTab->zName, L->zSchema, L->zSchema)) {
    return load_error(L, "primary key");
  }
  DevdbIndex *pIdx = 0;
  while (sqlite3_step(pStmt) == SQLITE_ROW && !L->pS->arena.bOom) {
    if (pIdx == 0) {
      pIdx = &L->pS->aIndex[L->pS->nIndex++];
      pIdx->zName = col_str(L, pStmt, 0);
      pIdx->zTable = pTab->zName;
      pIdx->eOrigin = DEVDB_IDX_PK;
      pIdx->bUnique = 1;
      if (pIdx->zName && devdb_map_put(&L->pS->mIndex, pIdx->zName, pIdx))
        L->pS->arena.bOom = 1;
    }
    fill_index_column(L, pIdx, pStmt, 1);
  }
  if (sqlite3_finalize(pStmt)) return load_error(L, "primary key");
  return L->pS->arena.bOom ? SQLITE_NOMEM : SQLITE_OK;
}

/*
** Add the next foreign key column of table pCtx from a row of PRAGMA
** foreign_key_list: id seq table from to on_update on_delete. A key's rows
** are consecutive, seq 0 first.
*/
static void fk_row(Loader *L, sqlite3_stmt *pStmt, void *pCtx) {
  DevdbTable *pTab = pCtx;
  DevdbForeignKey *pFk;
  if (pTab->nFk == 0 || sqlite3_column_int(pStmt, 1) == 0) {
    pFk = push(L, (void **)&pTab->aFk, &pTab->nFk, sizeof(DevdbForeignKey));
    if (pFk == 0) return;
    pFk->zParent = col_str(L, pStmt, 2);
    pFk->zOnUpdate = col_str(L, pStmt, 5);
    pFk->zOnDelete = col_str(L, pStmt, 6);
  } else {
    pFk = &pTab->aFk[pTab->nFk - 1];
  }
  int nCol = pFk->nCol;
  char **azFrom = push(L, (void **)&pFk->azFrom, &pFk->nCol, sizeof(char *));
  int nTo = nCol;
  char **azTo = push(L, (void **)&pFk->azTo, &nTo, sizeof(char *));
  if (azFrom == 0 || azTo == 0) return;
  *azFrom = col_str(L, pStmt, 3);
  *azTo = col_str(L, pStmt, 4);
  if (*azTo == 0) pFk->bToImplicit = 1;
}

/* Reverse the foreign keys of pTab: PRAGMA ids run from the last declared. */
static void reverse_fks(DevdbTable *pTab) {
  for (int i = 0, j = pTab->nFk - 1; i < j; i++, j--) {
    DevdbForeignKey t = pTab->aFk[i];
    pTab->aFk[i] = pTab->aFk[j];
    pTab->aFk[j] = t;
  }
}

/* The foreign keys of one table, kept in text order. */
static int load_table_fks(Loader *L, DevdbTable *pTab) {
  int rc = run_pragma(L, "foreign_key_list", pTab->zName, fk_row, pTab);
  reverse_fks(pTab);
  if (rc == SQLITE_NOMEM) return rc;
  return rc == SQLITE_OK ? SQLITE_OK : load_error(L, "foreign keys");
}

/* The foreign keys of every ordinary table whose text says REFERENCES. */
static int load_fks(Loader *L) {
  int rc = SQLITE_OK;
  for (int i = 0; i < L->pS->nTable && rc == SQLITE_OK; i++) {
    DevdbTable *pTab = &L->pS->aTable[i];
    if (pTab->eKind != DEVDB_TABLE || pTab->zSql == 0 ||
        !contains_nocase(pTab->zSql, "REFERENCES")) {
      continue;
    }
    rc = load_table_fks(L, pTab);
  }
  return rc;
}

/* ----------------------------------------- what only the text says */

/* 1 when the name lists a[0..n) and b[0..n) are equal, any case. */
static int same_names(char **a, char **b, int n) {
  for (int i = 0; i < n; i++) {
    if (a[i] == 0 || b[i] == 0 || devdb_stricmp(a[i], b[i])) return 0;
  }
  return 1;
}

/* 1 when index pIdx is keyed on exactly the columns azCol[0..nCol). */
static int index_on(const DevdbIndex *pIdx, char **azCol, int nCol) {
  if (pIdx->nCol != nCol) return 0;
  for (int i = 0; i < nCol; i++) {
    if (pIdx->aCol[i].zName == 0 || azCol[i] == 0 ||
        devdb_stricmp(pIdx->aCol[i].zName, azCol[i])) {
      return 0;
    }
  }
  return 1;
}

/* The parsed PRIMARY KEY of a table, or NULL. */
static const DevdbParsedKey *parsed_pk(const DevdbParsedTable *pP) {
  for (int k = 0; k < pP->nKey; k++) {
    if (pP->aKey[k].bPrimary) return &pP->aKey[k];
  }
  return 0;
}

/* Name, ON CONFLICT, DESC and AUTOINCREMENT of the primary key. */
static void apply_pk(DevdbTable *pTab, const DevdbParsedTable *pP) {
  const DevdbParsedKey *pKey = parsed_pk(pP);
  if (pKey == 0) return;
  pTab->zPkName = pKey->zName;
  pTab->zPkConflict = pKey->zConflict;
  pTab->bPkDesc = pKey->bDesc;
  pTab->bAutoinc = pKey->bAutoinc;
}

/*
** Names and ON CONFLICT of the UNIQUE constraints. Each goes to the first
** constraint index on its columns not already taken (SQLite makes one index
** per distinct column list).
*/
static void apply_uniques(Loader *L, DevdbTable *pTab, const DevdbParsedTable *pP) {
  char *aTaken = A(pTab->nIndex + 1);
  if (aTaken == 0) return;
  for (int k = 0; k < pP->nKey; k++) {
    const DevdbParsedKey *pKey = &pP->aKey[k];
    if (pKey->bPrimary) continue;
    for (int i = 0; i < pTab->nIndex; i++) {
      DevdbIndex *pIdx = pTab->apIndex[i];
      if (pIdx->eOrigin != DEVDB_IDX_UNIQUE || aTaken[i]) continue;
      if (!index_on(pIdx, pKey->azCol, pKey->nCol)) continue;
      pIdx->zConstraint = pKey->zName;
      pIdx->zConflict = pKey->zConflict;
      aTaken[i] = 1;
      break;
    }
  }
}

/*
** Names, MATCH and DEFERRABLE of the foreign keys. The model's keys are in
** text order (the PRAGMA's ids reversed), as are the parsed ones; a key whose
** columns disagree is matched by content instead.
*/
static void apply_fks(DevdbTable *pTab, const DevdbParsedTable *pP) {
  if (pP->nFk == 0) return;
  for (int k = 0; k < pTab->nFk; k++) {
    DevdbForeignKey *pFk = &pTab->aFk[k];
    for (int j = 0; j < pP->nFk; j++) {
      const DevdbParsedFk *pPk = &pP->aFk[(k + j) % pP->nFk];
      if (pPk->nFrom != pFk->nCol || !same_names(pPk->azFrom, pFk->azFrom, pFk->nCol))
        continue;
      if (pPk->zParent == 0 || devdb_stricmp(pPk->zParent, pFk->zParent)) continue;
      pFk->zName = pPk->zName;
      pFk->zMatch = pPk->zMatch;
      pFk->zDeferrable = pPk->zDeferrable;
      break;
    }
  }
}

/* COLLATE, NOT NULL ON CONFLICT and generated expressions of columns. */
static void apply_columns(Loader *L, DevdbTable *pTab, const DevdbParsedTable *pP) {
  for (int k = 0; k < pP->nCol; k++) {
    const DevdbParsedCol *pPc = &pP->aCol[k];
    DevdbColumn *pCol = pPc->zName ? devdb_table_column(pTab, pPc->zName) : 0;
    if (pCol == 0) continue;
    pCol->zCollate = pPc->zCollate;
    if (pCol->zCollate && strcmp(pCol->zCollate, "BINARY") == 0) pCol->zCollate = 0;
    pCol->zNotNullConflict = pPc->zNotNullConflict;
    if (pPc->eGen)
      pCol->zGenExpr = devdb_sql_norm(&L->pS->arena, pPc->gen.z, pPc->gen.n, 1);
  }
}

/* The CHECK constraints, normalised. */
static void apply_checks(Loader *L, DevdbTable *pTab, const DevdbParsedTable *pP) {
  pTab->aCheck = A(sizeof(DevdbCheck) * (pP->nCheck + 1));
  if (pTab->aCheck == 0) return;
  for (int k = 0; k < pP->nCheck; k++) {
    DevdbCheck *pC = &pTab->aCheck[pTab->nCheck++];
    pC->zName = pP->aCheck[k].zName;
    pC->zCol = pP->aCheck[k].zCol;
    pC->zExpr =
        devdb_sql_norm(&L->pS->arena, pP->aCheck[k].expr.z, pP->aCheck[k].expr.n, 1);
  }
}

/* What the parsed CREATE TABLE text says that no PRAGMA shows. */
static void apply_table_text(Loader *L, DevdbTable *pTab, DevdbParsedTable *pP) {
  pTab->bStrict = pP->bStrict;
  pTab->bWithoutRowid = pP->bWithoutRowid;
  apply_columns(L, pTab, pP);
  apply_checks(L, pTab, pP);
  apply_pk(pTab, pP);
}

/* UNIQUE, expressions and WHERE of an explicit index, from CREATE INDEX. */
static void apply_index_text(Loader *L, DevdbIndex *pIdx, const DevdbParsedIndex *pP) {
  if (pP->nCol < 0) return;
  pIdx->bUnique = pP->bUnique;
  for (int i = 0; i < pIdx->nCol && i < pP->nCol; i++) {
    if (pIdx->aCol[i].zName) continue;
    pIdx->aCol[i].zExpr =
        devdb_sql_norm(&L->pS->arena, pP->aCol[i].expr.z, pP->aCol[i].expr.n, 0);
  }
  if (pP->where.n) {
    pIdx->zWhere = devdb_sql_norm(&L->pS->arena, pP->where.z, pP->where.n, 1);
  }
}

/* Attach each index to its table. */
static int attach_indexes(Loader *L) {
  DevdbSchema *pS = L->pS;
  for (int i = 0; i < pS->nIndex; i++) {
    DevdbTable *pTab = devdb_schema_table(pS, pS->aIndex[i].zTable);
    if (pTab == 0) continue;
    DevdbIndex **ap =
        push(L, (void **)&pTab->apIndex, &pTab->nIndex, sizeof(DevdbIndex *));
    if (ap == 0) return SQLITE_NOMEM;
    *ap = &pS->aIndex[i];
  }
  return SQLITE_OK;
}

/*
** The rowid alias, by SQLite's rule: a rowid table whose primary key is one
** column declared exactly INTEGER, unless written "INTEGER PRIMARY KEY DESC"
** on the column itself (a table-level PRIMARY KEY(id DESC) is an alias).
*/
static void find_rowid_alias(DevdbTable *pTab, const DevdbParsedTable *pP) {
  int nPk = 0, iPk = -1;
  for (int i = 0; i < pTab->nCol; i++) {
    if (pTab->aCol[i].iPk) nPk++, iPk = i;
  }
  if (nPk != 1 || pTab->bWithoutRowid || pTab->eKind != DEVDB_TABLE) return;
  if (strcmp(pTab->aCol[iPk].zType, "INTEGER") != 0) return;
  const DevdbParsedKey *pKey = parsed_pk(pP);
  if (pKey && pKey->bInline && pKey->bDesc) return;
  pTab->iRowidAlias = iPk;
}

/*
** An automatic index is the primary key's when the table has a primary key
** that is not the rowid and the index is on exactly its columns; otherwise
** it belongs to a UNIQUE constraint.
*/
static void classify_autoindexes(DevdbTable *pTab) {
  if (pTab->iRowidAlias >= 0 || pTab->bWithoutRowid) return;
  int nPk = 0;
  for (int i = 0; i < pTab->nCol; i++) nPk += pTab->aCol[i].iPk > 0;
  for (int i = 0; i < pTab->nIndex && nPk > 0; i++) {
    DevdbIndex *pIdx = pTab->apIndex[i];
    if (pIdx->eOrigin != DEVDB_IDX_UNIQUE || pIdx->nCol != nPk) continue;
    int bSame = 1;
    for (int k = 0; k < pIdx->nCol && bSame; k++) {
      DevdbColumn *pCol =
          pIdx->aCol[k].zName ? devdb_table_column(pTab, pIdx->aCol[k].zName) : 0;
      bSame = pCol && pCol->iPk == k + 1;
    }
    if (bSame) {
      pIdx->eOrigin = DEVDB_IDX_PK;
      return;
    }
  }
}

/* Omitted parent columns of a foreign key: the parent's primary key. */
static void resolve_fk_targets(DevdbSchema *pS, DevdbTable *pTab) {
  for (int k = 0; k < pTab->nFk; k++) {
    DevdbForeignKey *pFk = &pTab->aFk[k];
    if (!pFk->bToImplicit) continue;
    DevdbTable *pParent = devdb_schema_table(pS, pFk->zParent);
    if (pParent == 0) continue;
    for (int i = 0; i < pParent->nCol; i++) {
      int iPk = pParent->aCol[i].iPk;
      if (iPk > 0 && iPk <= pFk->nCol) pFk->azTo[iPk - 1] = pParent->aCol[i].zName;
    }
  }
}

/* Names of tables and views that the statement zSql names, except zSelf. */
static void find_deps(const DevdbSchema *pS, DevdbArena *pA, const char *zSql,
                      const char *zSelf, char ***pazDep, int *pnDep) {
  DevdbToken *aTok = 0;
  int nTok = devdb_tokens(zSql ? zSql : "", -1, &aTok);
  if (nTok < 0) pA->bOom = 1;
  for (int i = 0; i < nTok; i++) {
    if (aTok[i].eType != DEVDB_TK_WORD && aTok[i].eType != DEVDB_TK_QUOTED) continue;
    char *zId = devdb_token_ident(&aTok[i]);
    if (zId == 0) {
      pA->bOom = 1;
      break;
    }
    DevdbTable *pTab = devdb_schema_table(pS, zId);
    DevdbView *pView = devdb_schema_view(pS, zId);
    const char *zName = pTab ? pTab->zName : pView ? pView->zName : 0;
    sqlite3_free(zId);
    if (zName == 0 || devdb_stricmp(zName, zSelf) == 0) continue;
    int bSeen = 0;
    for (int j = 0; j < *pnDep && !bSeen; j++)
      bSeen = devdb_stricmp((*pazDep)[j], zName) == 0;
    if (bSeen) continue;
    char **pz = devdb_arena_push(pA, (void **)pazDep, pnDep, sizeof(char *));
    if (pz) *pz = (char *)zName;
  }
  sqlite3_free(aTok);
}

/* The normalised text of a CREATE VIEW/TRIGGER after the object's name.
** Every stored CREATE statement names its object, so finding no name means
** the parser ran out of memory. */
static char *norm_after_name(DevdbArena *pA, const char *zSql) {
  if (zSql == 0) return devdb_arena_strndup(pA, "", 0);
  DevdbSpan name = devdb_parse_create_name(zSql);
  if (name.n == 0) {
    pA->bOom = 1;
    return 0;
  }
  const char *zRest = name.z + name.n;
  return devdb_sql_norm(pA, zRest, -1, 0);
}

/* Views and triggers: definitions and dependencies, allocated in pA. */
static void load_views_triggers(DevdbSchema *pS, DevdbArena *pA) {
  for (int i = 0; i < pS->nView; i++) {
    DevdbView *pV = &pS->aView[i];
    pV->zDef = norm_after_name(pA, pV->zSql);
    find_deps(pS, pA, pV->zSql, pV->zName, &pV->azDep, &pV->nDep);
  }
  for (int i = 0; i < pS->nTrigger; i++) {
    DevdbTrigger *pT = &pS->aTrigger[i];
    pT->zDef = norm_after_name(pA, pT->zSql);
    find_deps(pS, pA, pT->zSql, pT->zName, &pT->azDep, &pT->nDep);
  }
}

/* --------------------------------------------------- normalised defs */

/* "a, b" as canonical identifiers. */
static void str_names(sqlite3_str *p, char **az, int n) {
  for (int i = 0; i < n; i++) {
    if (i) sqlite3_str_appendall(p, ", ");
    devdb_str_ident(p, az[i] ? az[i] : "");
  }
}

/* 1 when the normalised expression z is one token (or a signed number). */
static int is_simple_expr(const char *z) {
  DevdbLexer lx;
  devdb_lexer_init(&lx, z, -1);
  DevdbToken t = devdb_lexer_next(&lx);
  if (t.eType == DEVDB_TK_OP) t = devdb_lexer_next(&lx);
  return devdb_lexer_next(&lx).eType == DEVDB_TK_EOF;
}

static char *column_def(Loader *L, const DevdbColumn *pCol) {
  sqlite3_str *p = buf(L);
  sqlite3_str_appendall(p, pCol->zType);
  if (pCol->bNotNull) sqlite3_str_appendall(p, " NOT NULL");
  if (pCol->bNotNull && pCol->zNotNullConflict) {
    sqlite3_str_appendf(p, " ON CONFLICT %s", pCol->zNotNullConflict);
  }
  if (pCol->zDefault) {
    sqlite3_str_appendf(p,
                        is_simple_expr(pCol->zDefault) ? " DEFAULT %s" : " DEFAULT (%s)",
                        pCol->zDefault);
  }
  if (pCol->zCollate) sqlite3_str_appendf(p, " COLLATE %s", pCol->zCollate);
  if (pCol->eGen) {
    sqlite3_str_appendf(p, " GENERATED ALWAYS AS (%s) %s",
                        pCol->zGenExpr ? pCol->zGenExpr : "",
                        pCol->eGen == DEVDB_GEN_STORED ? "STORED" : "VIRTUAL");
  }
  if (pCol->bHidden) sqlite3_str_appendall(p, " HIDDEN");
  char *z = buf_done(L);
  return z[0] == ' ' ? z + 1 : z;
}

static char *fk_def(Loader *L, const DevdbForeignKey *pFk) {
  sqlite3_str *p = buf(L);
  sqlite3_str_appendall(p, "FOREIGN KEY(");
  str_names(p, pFk->azFrom, pFk->nCol);
  sqlite3_str_appendall(p, ") REFERENCES ");
  devdb_str_ident(p, pFk->zParent ? pFk->zParent : "");
  sqlite3_str_appendchar(p, 1, '(');
  str_names(p, pFk->azTo, pFk->nCol);
  sqlite3_str_appendchar(p, 1, ')');
  if (pFk->zOnDelete && strcmp(pFk->zOnDelete, "NO ACTION")) {
    sqlite3_str_appendf(p, " ON DELETE %s", pFk->zOnDelete);
  }
  if (pFk->zOnUpdate && strcmp(pFk->zOnUpdate, "NO ACTION")) {
    sqlite3_str_appendf(p, " ON UPDATE %s", pFk->zOnUpdate);
  }
  if (pFk->zMatch && strcmp(pFk->zMatch, "SIMPLE"))
    sqlite3_str_appendf(p, " MATCH %s", pFk->zMatch);
  if (pFk->zDeferrable) sqlite3_str_appendf(p, " %s", pFk->zDeferrable);
  return buf_done(L);
}

/* "(a COLLATE X DESC, expr)" of an index. */
static void str_index_columns(sqlite3_str *p, const DevdbIndex *pIdx) {
  sqlite3_str_appendchar(p, 1, '(');
  for (int i = 0; i < pIdx->nCol; i++) {
    const DevdbIndexColumn *pC = &pIdx->aCol[i];
    if (i) sqlite3_str_appendall(p, ", ");
    if (pC->zName)
      devdb_str_ident(p, pC->zName);
    else
      sqlite3_str_appendall(p, pC->zExpr ? pC->zExpr : "?");
    if (pC->zCollate) sqlite3_str_appendf(p, " COLLATE %s", pC->zCollate);
    if (pC->bDesc) sqlite3_str_appendall(p, " DESC");
  }
  sqlite3_str_appendchar(p, 1, ')');
}

static char *index_def(Loader *L, const DevdbIndex *pIdx) {
  sqlite3_str *p = buf(L);
  if (pIdx->eOrigin == DEVDB_IDX_UNIQUE) {
    sqlite3_str_appendall(p, "UNIQUE");
    str_index_columns(p, pIdx);
    if (pIdx->zConflict) sqlite3_str_appendf(p, " ON CONFLICT %s", pIdx->zConflict);
    return buf_done(L);
  }
  sqlite3_str_appendall(p, pIdx->bUnique ? "UNIQUE ON " : "ON ");
  devdb_str_ident(p, pIdx->zTable);
  str_index_columns(p, pIdx);
  if (pIdx->zWhere) sqlite3_str_appendf(p, " WHERE %s", pIdx->zWhere);
  return buf_done(L);
}

/* "STRICT, WITHOUT ROWID" or "USING module(args)". */
static char *table_def(Loader *L, const DevdbTable *pTab) {
  if (pTab->eKind == DEVDB_VIRTUAL) {
    return devdb_arena_printf(&L->pS->arena, "USING %s(%s)",
                              pTab->zModule ? pTab->zModule : "?",
                              pTab->zArgs ? pTab->zArgs : "");
  }
  const char *zS = pTab->bStrict ? "STRICT" : "";
  const char *zW = pTab->bWithoutRowid ? "WITHOUT ROWID" : "";
  return devdb_arena_printf(&L->pS->arena, "%s%s%s", zS, (*zS && *zW) ? ", " : "", zW);
}

/* Definitions of a table and everything that belongs to it. */
static void make_defs(Loader *L, DevdbTable *pTab) {
  pTab->zDef = table_def(L, pTab);
  for (int i = 0; i < pTab->nCol; i++) {
    DevdbColumn *pCol = &pTab->aCol[i];
    pCol->zAff = pTab->bStrict && strcmp(pCol->zType, "ANY") == 0
                     ? "BLOB"
                     : devdb_affinity(pCol->zType);
    pCol->zDef = column_def(L, pCol);
  }
  for (int i = 0; i < pTab->nFk; i++) pTab->aFk[i].zDef = fk_def(L, &pTab->aFk[i]);
  for (int i = 0; i < pTab->nIndex; i++) {
    if (pTab->apIndex[i]->zDef == 0)
      pTab->apIndex[i]->zDef = index_def(L, pTab->apIndex[i]);
  }
}

/* ------------------------------------------------------------ entry */

/*
** Parse the text of every ordinary table (into L->aParsed) and explicit
** index (L->aParsedIndex), and make the definitions and dependencies of
** views and triggers. Allocates only in L->textArena and writes nothing the
** PRAGMAs write, so it may run in its own thread while they run.
*/
static void *read_text(void *pArg) {
  Loader *L = pArg;
  DevdbSchema *pS = L->pS;
  for (int i = 0; i < pS->nTable; i++) {
    DevdbTable *pTab = &pS->aTable[i];
    if (pTab->eKind == DEVDB_VIRTUAL || pTab->zSql == 0 ||
        devdb_parse_table(&L->textArena, pTab->zSql, &L->aParsed[i])) {
      memset(&L->aParsed[i], 0, sizeof(DevdbParsedTable));
    }
  }
  for (int i = 0; i < L->nSchemaIndex; i++) {
    DevdbIndex *pIdx = &pS->aIndex[i];
    if (pIdx->zSql == 0 ||
        devdb_parse_index(&L->textArena, pIdx->zSql, &L->aParsedIndex[i])) {
      L->aParsedIndex[i].nCol = -1;
    }
  }
  load_views_triggers(pS, &L->textArena);
  return 0;
}

/* What SQLite says of every object: columns, index keys, foreign keys. */
static int load_pragmas(Loader *L) {
  DevdbSchema *pS = L->pS;
  int rc = SQLITE_OK;
  for (int i = 0; i < pS->nTable && rc == SQLITE_OK; i++) {
    DevdbTable *pTab = &pS->aTable[i];
    rc = pTab->eKind == DEVDB_VIRTUAL ? load_vtab_columns(L, pTab)
                                      : load_table_columns(L, pTab);
  }
  if (rc == SQLITE_OK) rc = load_indexes(L);
  if (rc == SQLITE_OK) rc = load_fks(L);
  return rc;
}

/* What only the parsed text says, onto what SQLite said. */
static int apply_text(Loader *L) {
  DevdbSchema *pS = L->pS;
  int rc = SQLITE_OK;
  for (int i = 0; i < pS->nTable && rc == SQLITE_OK; i++) {
    DevdbTable *pTab = &pS->aTable[i];
    if (pTab->eKind == DEVDB_VIRTUAL) continue;
    apply_table_text(L, pTab, &L->aParsed[i]);
    find_rowid_alias(pTab, &L->aParsed[i]);
    if (pTab->bWithoutRowid) rc = load_pk_index(L, pTab);
  }
  if (rc == SQLITE_OK) rc = attach_indexes(L);
  for (int i = 0; i < L->nSchemaIndex && rc == SQLITE_OK; i++)
    apply_index_text(L, &pS->aIndex[i], &L->aParsedIndex[i]);
  for (int i = 0; i < pS->nTable && rc == SQLITE_OK; i++) {
    classify_autoindexes(&pS->aTable[i]);
    apply_uniques(L, &pS->aTable[i], &L->aParsed[i]);
    apply_fks(&pS->aTable[i], &L->aParsed[i]);
  }
  return rc;
}

/* Tests: how many loads read the text in a thread (two loads may run at
** once: the diff's two sides). */
static int nTextThreads;
int devdb_model_text_threads(void) {
  return __atomic_load_n(&nTextThreads, __ATOMIC_RELAXED);
}

/*
** The PRAGMAs and the text, then the text applied. A schema of
** MODEL_THREAD_OBJECTS objects or more reads its text in a thread of its
** own while the PRAGMAs run (about a sixth of a load, hidden behind them).
*/
static int load_tables(Loader *L) {
  DevdbSchema *pS = L->pS;
  int nObject = pS->nTable + pS->nIndex + pS->nView + pS->nTrigger;
  L->aParsed = A(sizeof(DevdbParsedTable) * (pS->nTable + 1));
  L->anColAlloc = A(sizeof(int) * (pS->nTable + 1));
  L->aParsedIndex = A(sizeof(DevdbParsedIndex) * (L->nSchemaIndex + 1));
  if (L->aParsed == 0 || L->anColAlloc == 0 || L->aParsedIndex == 0) return SQLITE_NOMEM;
  pthread_t thread;
  int bThread = nObject >= MODEL_THREAD_OBJECTS && devdb_threads_ok() &&
                pthread_create(&thread, 0, read_text, L) == 0;
  if (bThread)
    __atomic_fetch_add(&nTextThreads, 1, __ATOMIC_RELAXED);
  else
    read_text(L);
  int rc = load_pragmas(L);
  if (bThread) pthread_join(thread, 0);
  if (rc == SQLITE_OK && L->textArena.bOom) rc = SQLITE_NOMEM;
  return rc == SQLITE_OK ? apply_text(L) : rc;
}

/*
** Start the read transaction the whole load runs in: a statement on the
** schema that has returned its row and stays open until the load is done
** (devdb_schema_load finalizes it).
*/
static int begin_read(Loader *L, sqlite3_stmt **ppHold) {
  if (devdb_prepare(L->db, ppHold, "SELECT max(rowid) FROM \"%w\".sqlite_schema",
                    L->zSchema) ||
      sqlite3_step(*ppHold) != SQLITE_ROW) {
    return load_error(L, "schema");
  }
  return SQLITE_OK;
}

static int load_all(Loader *L) {
  DevdbSchema *pS = L->pS;
  int rc = load_objects(L);
  L->nSchemaIndex = pS->nIndex;
  if (rc == SQLITE_OK) rc = build_maps(pS);
  if (rc == SQLITE_OK) rc = load_tables(L);
  for (int i = 0; i < pS->nTable && rc == SQLITE_OK; i++) {
    resolve_fk_targets(pS, &pS->aTable[i]);
    make_defs(L, &pS->aTable[i]);
  }
  if (rc == SQLITE_OK && pS->arena.bOom) rc = SQLITE_NOMEM;
  return rc;
}

int devdb_schema_load(sqlite3 *db, const char *zSchema, DevdbSchema **ppOut,
                      char **pzErr) {
  Loader L;
  memset(&L, 0, sizeof(L));
  *ppOut = 0;
  *pzErr = 0;
  L.pS = sqlite3_malloc64(sizeof(DevdbSchema));
  if (L.pS == 0) return SQLITE_NOMEM;
  memset(L.pS, 0, sizeof(DevdbSchema));
  L.db = db;
  L.zSchema = zSchema;
  L.pBuf = sqlite3_str_new(0);
  sqlite3_stmt *pHold = 0;
  int rc = begin_read(&L, &pHold);
  if (rc == SQLITE_OK) rc = load_all(&L);
  sqlite3_finalize(pHold);
  devdb_arena_adopt(&L.pS->arena, &L.textArena);
  sqlite3_free(sqlite3_str_finish(L.pBuf));
  devdb_map_clear(&L.mShadow);
  if (rc != SQLITE_OK) {
    devdb_schema_free(L.pS);
    *pzErr = L.zErr ? L.zErr : sqlite3_mprintf("%s", sqlite3_errstr(rc));
    return rc;
  }
  sqlite3_free(L.zErr);
  *ppOut = L.pS;
  return SQLITE_OK;
}

int devdb_schema_load_source(sqlite3 *db, const char *zSource, DevdbSchema **ppOut,
                             char **pzErr) {
  DevdbSource src;
  *ppOut = 0;
  int rc = devdb_source_open(db, zSource, &src, pzErr);
  if (rc != SQLITE_OK) return rc;
  rc = devdb_schema_load(src.db, src.zSchema, ppOut, pzErr);
  devdb_source_close(&src);
  return rc;
}

void devdb_schema_free(DevdbSchema *p) {
  if (p == 0) return;
  devdb_map_clear(&p->mTable);
  devdb_map_clear(&p->mIndex);
  devdb_map_clear(&p->mView);
  devdb_map_clear(&p->mTrigger);
  devdb_arena_free(&p->arena);
  sqlite3_free(p);
}

DevdbTable *devdb_schema_table(const DevdbSchema *p, const char *zName) {
  return devdb_map_get(&p->mTable, zName);
}
DevdbIndex *devdb_schema_index(const DevdbSchema *p, const char *zName) {
  return devdb_map_get(&p->mIndex, zName);
}
DevdbView *devdb_schema_view(const DevdbSchema *p, const char *zName) {
  return devdb_map_get(&p->mView, zName);
}
DevdbTrigger *devdb_schema_trigger(const DevdbSchema *p, const char *zName) {
  return devdb_map_get(&p->mTrigger, zName);
}

DevdbColumn *devdb_table_column(const DevdbTable *pTab, const char *zName) {
  for (int i = 0; i < pTab->nCol; i++) {
    if (devdb_stricmp(pTab->aCol[i].zName, zName) == 0) return &pTab->aCol[i];
  }
  return 0;
}
