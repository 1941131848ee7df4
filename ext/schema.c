/*
** schema.c: devdb_schema, the SQL view of the schema model (model.c).
**
**   CREATE TABLE devdb_schema(
**     kind   TEXT,  -- table, virtual_table, column, primary_key, unique,
**                   -- check, foreign_key, index, view, trigger
**     tbl    TEXT,  -- the table it belongs to (a view's or table's own name)
**     name   TEXT,  -- object, column or constraint name (NULL: unnamed)
**     seq    INT,   -- position within its table (column order, key order)
**     def    TEXT,  -- normalised definition: equal objects have equal def
**     detail TEXT,  -- JSON object with the structured attributes
**     sql    TEXT,  -- the CREATE statement as stored, for objects with one
**     source HIDDEN -- the source (DESIGN.md); default 'main'
**   );
**
** One row per table (then its columns, primary key, unique constraints,
** checks, foreign keys and indexes), then per view and per trigger. Shadow
** tables of virtual tables and sqlite_ internals are not listed.
**
** detail holds, by kind:
**   table         {"strict","without_rowid","autoincrement","rowid_alias"}
**   virtual_table {"module","args","error"}
**   column        {"type","affinity","notnull","default","collate",
**                  "generated","expr","hidden","pk"}
**   primary_key   {"columns","conflict","autoincrement","index"}
**   unique        {"columns","conflict","index"}
**   check         {"expr","column"}
**   foreign_key   {"from","table","to","on_delete","on_update","match",
**                  "deferrable"}
**   index         {"unique","partial","columns":[{"name","expr","collate",
**                  "desc"}]}
**   view, trigger {"depends":[...]} (trigger also "table")
**
** Examples:
**   SELECT kind, name, def FROM devdb_schema('CREATE TABLE t(id INTEGER
**     PRIMARY KEY, email TEXT NOT NULL COLLATE NOCASE UNIQUE)');
**   -- table        t
**   -- column       id     INTEGER
**   -- column       email  TEXT NOT NULL COLLATE NOCASE
**   -- primary_key         PRIMARY KEY(id)
**   -- unique              UNIQUE(email COLLATE NOCASE)
**
**   SELECT name FROM devdb_schema('app.db') WHERE kind='table';
**   SELECT json_extract(detail,'$.affinity') FROM devdb_schema
**     WHERE kind='column' AND tbl='users';
**
** A NULL source gives no rows. A source that cannot be resolved or loaded is
** an error naming it. DIRECTONLY: it reads files and runs the SQL text it is
** given (into a scratch database), which a schema must not do behind the
** user's back.
*/
#include "devdb.h"

#include <stddef.h>
#include <string.h>

/* Row kinds; a row points at its model object, and detail is built only
** when a query reads it. */
enum {
  ROW_TABLE,
  ROW_COLUMN,
  ROW_PK,
  ROW_UNIQUE,
  ROW_CHECK,
  ROW_FK,
  ROW_INDEX,
  ROW_VIEW,
  ROW_TRIGGER
};

typedef struct SchemaRow {
  int eKind;
  const DevdbTable *pTab; /* the table of table-level rows */
  const void *pObj;       /* the column, check, key, index, view or trigger */
  const char *zTbl, *zName;
  int iSeq; /* -1: NULL */
  const char *zDef, *zSql;
} SchemaRow;

typedef struct schema_vtab {
  sqlite3_vtab base; /* Base class - must be first */
  sqlite3 *db;
} schema_vtab;

/* Where a cursor is: in the rows of table aTable[iObj], phase by phase,
** then at view iObj - nTable, then at trigger iObj - nTable - nView. */
enum { PH_TABLE, PH_COLUMN, PH_PK, PH_UNIQUE, PH_CHECK, PH_FK, PH_INDEX };

typedef struct schema_cursor {
  sqlite3_vtab_cursor base; /* Base class - must be first */
  DevdbSchema *pModel;
  SchemaRow row;          /* the current row, made from the model when reached */
  int iObj, ePhase, iSub; /* the position (above); iSub counts within a phase */
  int iSeq;               /* the next seq of the phase's rows */
  int bEof;
  sqlite3_int64 iRowid;
} schema_cursor;

#define SCHEMA_KIND 0
#define SCHEMA_TBL 1
#define SCHEMA_NAME 2
#define SCHEMA_SEQ 3
#define SCHEMA_DEF 4
#define SCHEMA_DETAIL 5
#define SCHEMA_SQL 6
#define SCHEMA_SOURCE 7

static int schemaConnect(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                         sqlite3_vtab **ppVtab, char **pzErr) {
  int rc =
      sqlite3_declare_vtab(db, "CREATE TABLE x(kind TEXT, tbl TEXT, name TEXT, seq INT, "
                               "def TEXT, detail TEXT, sql TEXT, source HIDDEN)");
  if (rc != SQLITE_OK) return rc;
  schema_vtab *pNew = sqlite3_malloc(sizeof(*pNew));
  if (pNew == 0) return SQLITE_NOMEM;
  memset(pNew, 0, sizeof(*pNew));
  pNew->db = db;
  sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  *ppVtab = &pNew->base;
  return SQLITE_OK;
}

static int schemaDisconnect(sqlite3_vtab *pVtab) {
  sqlite3_free(pVtab);
  return SQLITE_OK;
}

static int schemaOpen(sqlite3_vtab *p, sqlite3_vtab_cursor **ppCursor) {
  schema_cursor *pCur = sqlite3_malloc(sizeof(*pCur));
  if (pCur == 0) return SQLITE_NOMEM;
  memset(pCur, 0, sizeof(*pCur));
  *ppCursor = &pCur->base;
  return SQLITE_OK;
}

/* Drop the model the cursor holds; the cursor is at its end. */
static void schemaReset(schema_cursor *pCur) {
  devdb_schema_free(pCur->pModel);
  memset(&pCur->pModel, 0, sizeof(*pCur) - offsetof(schema_cursor, pModel));
  pCur->bEof = 1;
}

static int schemaClose(sqlite3_vtab_cursor *cur) {
  schemaReset((schema_cursor *)cur);
  sqlite3_free(cur);
  return SQLITE_OK;
}

/* Make the current row; returns 1. */
static int set_row(schema_cursor *pCur, int eKind, const void *pObj, const char *zTbl,
                   const char *zName, int iSeq, const char *zDef, const char *zSql) {
  SchemaRow *pRow = &pCur->row;
  pRow->eKind = eKind;
  pRow->pObj = pObj;
  pRow->zTbl = zTbl;
  pRow->zName = zName;
  pRow->iSeq = iSeq;
  pRow->zDef = zDef;
  pRow->zSql = zSql;
  return 1;
}

/* JSON array of names. */
static void json_names(sqlite3_str *p, char **az, int n) {
  sqlite3_str_appendchar(p, 1, '[');
  for (int i = 0; i < n; i++) {
    if (i) sqlite3_str_appendchar(p, 1, ',');
    devdb_str_json(p, az[i]);
  }
  sqlite3_str_appendchar(p, 1, ']');
}

/* ,"key":"value" with value as a JSON string or null. */
static void json_field(sqlite3_str *p, const char *zKey, const char *zValue) {
  sqlite3_str_appendf(p, ",\"%s\":", zKey);
  devdb_str_json(p, zValue);
}

static void column_detail(sqlite3_str *p, const DevdbColumn *pCol) {
  static const char *azGen[] = {0, "virtual", "stored"};
  sqlite3_str_appendall(p, "{\"type\":");
  devdb_str_json(p, pCol->zType);
  json_field(p, "affinity", pCol->zAff);
  sqlite3_str_appendf(p, ",\"notnull\":%d", pCol->bNotNull);
  json_field(p, "default", pCol->zDefault);
  json_field(p, "collate", pCol->zCollate);
  json_field(p, "generated", azGen[pCol->eGen]);
  json_field(p, "expr", pCol->zGenExpr);
  sqlite3_str_appendf(p, ",\"hidden\":%d,\"pk\":%d}", pCol->bHidden, pCol->iPk);
}

/* The primary key's columns in key order into az (nCol slots); the count. */
static int pk_columns(const DevdbTable *pTab, char **az) {
  int n = 0;
  for (int i = 0; i < pTab->nCol; i++) {
    int k = pTab->aCol[i].iPk;
    if (k > 0 && k <= pTab->nCol) {
      az[k - 1] = pTab->aCol[i].zName;
      if (k > n) n = k;
    }
  }
  return n;
}

/* The index that implements the primary key, or NULL (rowid alias). */
static const DevdbIndex *pk_index(const DevdbTable *pTab) {
  for (int i = 0; i < pTab->nIndex; i++) {
    if (pTab->apIndex[i]->eOrigin == DEVDB_IDX_PK) return pTab->apIndex[i];
  }
  return 0;
}

/* "PRIMARY KEY(a, b DESC) ON CONFLICT x AUTOINCREMENT" into p. */
static void pk_def(sqlite3_str *p, const DevdbTable *pTab, char **azPk, int nPk) {
  const DevdbIndex *pPkIdx = pk_index(pTab);
  sqlite3_str_appendall(p, "PRIMARY KEY(");
  for (int i = 0; i < nPk; i++) {
    if (i) sqlite3_str_appendall(p, ", ");
    devdb_str_ident(p, azPk[i] ? azPk[i] : "");
    const DevdbIndexColumn *pIc = pPkIdx && i < pPkIdx->nCol ? &pPkIdx->aCol[i] : 0;
    if (pIc && pIc->zCollate) sqlite3_str_appendf(p, " COLLATE %s", pIc->zCollate);
    if (pIc && pIc->bDesc) sqlite3_str_appendall(p, " DESC");
  }
  sqlite3_str_appendchar(p, 1, ')');
  if (pTab->zPkConflict) sqlite3_str_appendf(p, " ON CONFLICT %s", pTab->zPkConflict);
  if (pTab->bAutoinc) sqlite3_str_appendall(p, " AUTOINCREMENT");
}

static void pk_detail(sqlite3_str *p, const DevdbTable *pTab, char **azPk, int nPk) {
  const DevdbIndex *pPkIdx = pk_index(pTab);
  sqlite3_str_appendall(p, "{\"columns\":");
  json_names(p, azPk, nPk);
  json_field(p, "conflict", pTab->zPkConflict);
  sqlite3_str_appendf(p, ",\"autoincrement\":%d", pTab->bAutoinc);
  json_field(p, "index", pPkIdx ? pPkIdx->zName : 0);
  sqlite3_str_appendchar(p, 1, '}');
}

static void index_detail(sqlite3_str *p, const DevdbIndex *pIdx) {
  sqlite3_str_appendf(p, "{\"unique\":%d,\"origin\":\"%c\"", pIdx->bUnique,
                      pIdx->eOrigin);
  json_field(p, "partial", pIdx->zWhere);
  json_field(p, "conflict", pIdx->zConflict);
  sqlite3_str_appendall(p, ",\"columns\":[");
  for (int i = 0; i < pIdx->nCol; i++) {
    const DevdbIndexColumn *pC = &pIdx->aCol[i];
    sqlite3_str_appendall(p, i ? ",{\"name\":" : "{\"name\":");
    devdb_str_json(p, pC->zName);
    json_field(p, "expr", pC->zExpr);
    json_field(p, "collate", pC->zCollate);
    sqlite3_str_appendf(p, ",\"desc\":%d}", pC->bDesc);
  }
  sqlite3_str_appendchar(p, 1, ']');
  json_field(p, "index", pIdx->zName);
  sqlite3_str_appendchar(p, 1, '}');
}

static void fk_detail(sqlite3_str *p, const DevdbForeignKey *pFk) {
  sqlite3_str_appendall(p, "{\"from\":");
  json_names(p, pFk->azFrom, pFk->nCol);
  json_field(p, "table", pFk->zParent);
  sqlite3_str_appendall(p, ",\"to\":");
  json_names(p, pFk->azTo, pFk->nCol);
  json_field(p, "on_delete", pFk->zOnDelete);
  json_field(p, "on_update", pFk->zOnUpdate);
  json_field(p, "match", pFk->zMatch);
  json_field(p, "deferrable", pFk->zDeferrable);
  sqlite3_str_appendchar(p, 1, '}');
}

static void table_detail(sqlite3_str *p, const DevdbTable *pTab) {
  if (pTab->eKind == DEVDB_VIRTUAL) {
    sqlite3_str_appendall(p, "{\"module\":");
    devdb_str_json(p, pTab->zModule);
    json_field(p, "args", pTab->zArgs);
    json_field(p, "error", pTab->zError);
    sqlite3_str_appendchar(p, 1, '}');
    return;
  }
  sqlite3_str_appendf(p, "{\"strict\":%d,\"without_rowid\":%d,\"autoincrement\":%d",
                      pTab->bStrict, pTab->bWithoutRowid, pTab->bAutoinc);
  json_field(p, "rowid_alias",
             pTab->iRowidAlias >= 0 ? pTab->aCol[pTab->iRowidAlias].zName : 0);
  sqlite3_str_appendchar(p, 1, '}');
}

/* {"depends":[...]} with an optional "table". */
static void deps_detail(sqlite3_str *p, const char *zTable, char **azDep, int nDep) {
  sqlite3_str_appendall(p, "{\"depends\":");
  json_names(p, azDep, nDep);
  if (zTable) json_field(p, "table", zTable);
  sqlite3_str_appendchar(p, 1, '}');
}

/* The detail JSON of a row, into p. SQLITE_NOMEM when it cannot be built. */
static int row_detail(sqlite3_str *p, const SchemaRow *pRow) {
  switch (pRow->eKind) {
  case ROW_TABLE:
    table_detail(p, pRow->pTab);
    break;
  case ROW_COLUMN:
    column_detail(p, pRow->pObj);
    break;
  case ROW_PK: {
    char **azPk = sqlite3_malloc64(sizeof(char *) * (pRow->pTab->nCol + 1));
    if (azPk == 0) return SQLITE_NOMEM;
    pk_detail(p, pRow->pTab, azPk, pk_columns(pRow->pTab, azPk));
    sqlite3_free(azPk);
    break;
  }
  case ROW_UNIQUE:
  case ROW_INDEX:
    index_detail(p, pRow->pObj);
    break;
  case ROW_CHECK: {
    const DevdbCheck *pC = pRow->pObj;
    sqlite3_str_appendall(p, "{\"expr\":");
    devdb_str_json(p, pC->zExpr);
    json_field(p, "column", pC->zCol);
    sqlite3_str_appendchar(p, 1, '}');
    break;
  }
  case ROW_FK:
    fk_detail(p, pRow->pObj);
    break;
  case ROW_VIEW: {
    const DevdbView *pV = pRow->pObj;
    deps_detail(p, 0, pV->azDep, pV->nDep);
    break;
  }
  default: {
    const DevdbTrigger *pT = pRow->pObj;
    deps_detail(p, pT->zTable, pT->azDep, pT->nDep);
    break;
  }
  }
  return SQLITE_OK;
}

/* The def of rows whose definition is not stored in the model, into p.
** SQLITE_NOMEM when it cannot be built. */
static int row_def(sqlite3_str *p, const SchemaRow *pRow) {
  if (pRow->eKind == ROW_CHECK) {
    sqlite3_str_appendf(p, "CHECK(%s)", ((const DevdbCheck *)pRow->pObj)->zExpr);
  } else if (pRow->eKind == ROW_PK) {
    char **azPk = sqlite3_malloc64(sizeof(char *) * (pRow->pTab->nCol + 1));
    if (azPk == 0) return SQLITE_NOMEM;
    pk_def(p, pRow->pTab, azPk, pk_columns(pRow->pTab, azPk));
    sqlite3_free(azPk);
  }
  return SQLITE_OK;
}

/* Go to phase ePhase of the current table. */
static void enter(schema_cursor *pCur, int ePhase) {
  pCur->ePhase = ePhase;
  pCur->iSub = pCur->iSeq = 0;
}

/* The next index of pTab from iSub on whose origin is eOrigin, or NULL. */
static const DevdbIndex *next_index(schema_cursor *pCur, const DevdbTable *pTab,
                                    int eOrigin) {
  while (pCur->iSub < pTab->nIndex) {
    const DevdbIndex *pIdx = pTab->apIndex[pCur->iSub++];
    if (pIdx->eOrigin == eOrigin) return pIdx;
  }
  return 0;
}

/* 1 when a column of pTab is in its primary key. */
static int has_pk(const DevdbTable *pTab) {
  for (int i = 0; i < pTab->nCol; i++) {
    if (pTab->aCol[i].iPk > 0) return 1;
  }
  return 0;
}

/*
** Make the next row of table pTab: the table, its columns, primary key,
** unique constraints, checks, foreign keys and indexes, in that order.
** 0 when the table has no more rows.
*/
static int table_row(schema_cursor *pCur, const DevdbTable *pTab) {
  const char *zT = pTab->zName;
  const DevdbIndex *pIdx;
  pCur->row.pTab = pTab;
  if (pCur->ePhase == PH_TABLE) {
    enter(pCur, PH_COLUMN);
    return set_row(pCur, ROW_TABLE, pTab, zT, zT, -1, pTab->zDef, pTab->zSql);
  }
  if (pCur->ePhase == PH_COLUMN) {
    int i = pCur->iSub++;
    if (i < pTab->nCol) {
      const DevdbColumn *pCol = &pTab->aCol[i];
      return set_row(pCur, ROW_COLUMN, pCol, zT, pCol->zName, i, pCol->zDef, 0);
    }
    enter(pCur, PH_PK);
  }
  if (pCur->ePhase == PH_PK) {
    enter(pCur, PH_UNIQUE);
    if (has_pk(pTab)) return set_row(pCur, ROW_PK, pTab, zT, pTab->zPkName, 0, 0, 0);
  }
  if (pCur->ePhase == PH_UNIQUE) {
    if ((pIdx = next_index(pCur, pTab, DEVDB_IDX_UNIQUE)) != 0) {
      return set_row(pCur, ROW_UNIQUE, pIdx, zT, pIdx->zConstraint, pCur->iSeq++,
                     pIdx->zDef, 0);
    }
    enter(pCur, PH_CHECK);
  }
  if (pCur->ePhase == PH_CHECK) {
    int i = pCur->iSub++;
    if (i < pTab->nCheck) {
      return set_row(pCur, ROW_CHECK, &pTab->aCheck[i], zT, pTab->aCheck[i].zName, i, 0,
                     0);
    }
    enter(pCur, PH_FK);
  }
  if (pCur->ePhase == PH_FK) {
    int i = pCur->iSub++;
    if (i < pTab->nFk) {
      const DevdbForeignKey *pFk = &pTab->aFk[i];
      return set_row(pCur, ROW_FK, pFk, zT, pFk->zName, i, pFk->zDef, 0);
    }
    enter(pCur, PH_INDEX);
  }
  if ((pIdx = next_index(pCur, pTab, DEVDB_IDX_CREATE)) != 0) {
    return set_row(pCur, ROW_INDEX, pIdx, zT, pIdx->zName, pCur->iSeq++, pIdx->zDef,
                   pIdx->zSql);
  }
  return 0;
}

/* Move to the next row of the model: each table's rows, then each view,
** then each trigger. */
static void next_row(schema_cursor *pCur) {
  const DevdbSchema *pS = pCur->pModel;
  for (; pCur->iObj < pS->nTable; pCur->iObj++, enter(pCur, PH_TABLE)) {
    if (table_row(pCur, &pS->aTable[pCur->iObj])) return;
  }
  int i = pCur->iObj++ - pS->nTable;
  pCur->row.pTab = 0;
  if (i < pS->nView) {
    const DevdbView *pV = &pS->aView[i];
    set_row(pCur, ROW_VIEW, pV, pV->zName, pV->zName, -1, pV->zDef, pV->zSql);
  } else if ((i -= pS->nView) < pS->nTrigger) {
    const DevdbTrigger *pT = &pS->aTrigger[i];
    set_row(pCur, ROW_TRIGGER, pT, pT->zTable, pT->zName, -1, pT->zDef, pT->zSql);
  } else {
    pCur->bEof = 1;
  }
}

/*
** idxNum bit 1: the source argument is constrained (argv[0]); otherwise the
** source is 'main'.
*/
static int schemaFilter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr,
                        int argc, sqlite3_value **argv) {
  schema_cursor *pCur = (schema_cursor *)cur;
  schema_vtab *pTab = (schema_vtab *)cur->pVtab;
  schemaReset(pCur);
  const char *zSource = "main";
  if (idxNum & 1) {
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return SQLITE_OK;
    zSource = (const char *)sqlite3_value_text(argv[0]);
    if (zSource == 0) return SQLITE_NOMEM;
  }
  char *zErr = 0;
  int rc = devdb_schema_load_source(pTab->db, zSource, &pCur->pModel, &zErr);
  if (rc != SQLITE_OK) {
    devdb_vtab_error(cur->pVtab, "devdb_schema: %s", zErr ? zErr : sqlite3_errstr(rc));
    sqlite3_free(zErr);
    return rc == SQLITE_NOMEM ? rc : SQLITE_ERROR;
  }
  pCur->bEof = 0;
  next_row(pCur);
  return SQLITE_OK;
}

static int schemaNext(sqlite3_vtab_cursor *cur) {
  schema_cursor *pCur = (schema_cursor *)cur;
  pCur->iRowid++;
  next_row(pCur);
  return SQLITE_OK;
}

static int schemaEof(sqlite3_vtab_cursor *cur) {
  return ((schema_cursor *)cur)->bEof;
}

static void result_text(sqlite3_context *ctx, const char *z) {
  if (z)
    sqlite3_result_text(ctx, z, -1, SQLITE_TRANSIENT);
  else
    sqlite3_result_null(ctx);
}

/* Build text with x(p, pRow) and make it the result. */
static void result_built(sqlite3_context *ctx, const SchemaRow *pRow,
                         int (*x)(sqlite3_str *, const SchemaRow *)) {
  sqlite3_str *p = sqlite3_str_new(0);
  if (x(p, pRow) != SQLITE_OK) {
    sqlite3_free(sqlite3_str_finish(p));
    sqlite3_result_error_nomem(ctx);
    return;
  }
  devdb_result_str(ctx, p);
}

static const char *azKindName[] = {"table",  "column", "primary_key",
                                   "unique", "check",  "foreign_key",
                                   "index",  "view",   "trigger"};

static int schemaColumn(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i) {
  schema_cursor *pCur = (schema_cursor *)cur;
  const SchemaRow *pRow = &pCur->row;
  switch (i) {
  case SCHEMA_KIND:
    if (pRow->eKind == ROW_TABLE && pRow->pTab->eKind == DEVDB_VIRTUAL) {
      result_text(ctx, "virtual_table");
    } else {
      result_text(ctx, azKindName[pRow->eKind]);
    }
    break;
  case SCHEMA_TBL:
    result_text(ctx, pRow->zTbl);
    break;
  case SCHEMA_NAME:
    result_text(ctx, pRow->zName);
    break;
  case SCHEMA_SEQ:
    if (pRow->iSeq >= 0) sqlite3_result_int(ctx, pRow->iSeq);
    break;
  case SCHEMA_DEF:
    if (pRow->zDef)
      result_text(ctx, pRow->zDef);
    else
      result_built(ctx, pRow, row_def);
    break;
  case SCHEMA_DETAIL:
    result_built(ctx, pRow, row_detail);
    break;
  case SCHEMA_SQL:
    result_text(ctx, pRow->zSql);
    break;
  default:
    break;
  }
  return SQLITE_OK;
}

static int schemaRowid(sqlite3_vtab_cursor *cur, sqlite_int64 *pRowid) {
  *pRowid = ((schema_cursor *)cur)->iRowid + 1;
  return SQLITE_OK;
}

/* Use an equality constraint on source; reject an unusable one. */
static int schemaBestIndex(sqlite3_vtab *tab, sqlite3_index_info *pInfo) {
  int iSource = -1;
  for (int i = 0; i < pInfo->nConstraint; i++) {
    const struct sqlite3_index_constraint *pC = &pInfo->aConstraint[i];
    if (pC->iColumn != SCHEMA_SOURCE) continue;
    if (!pC->usable) return SQLITE_CONSTRAINT;
    if (pC->op == SQLITE_INDEX_CONSTRAINT_EQ) iSource = i;
  }
  pInfo->estimatedCost = 1000;
  pInfo->estimatedRows = 1000;
  if (iSource >= 0) {
    pInfo->aConstraintUsage[iSource].argvIndex = 1;
    pInfo->aConstraintUsage[iSource].omit = 1;
    pInfo->idxNum = 1;
  }
  return SQLITE_OK;
}

static sqlite3_module schemaModule = {
    0,                /* iVersion */
    0,                /* xCreate: eponymous only */
    schemaConnect,    /* xConnect */
    schemaBestIndex,  /* xBestIndex */
    schemaDisconnect, /* xDisconnect */
    0,                /* xDestroy */
    schemaOpen,       /* xOpen */
    schemaClose,      /* xClose */
    schemaFilter,     /* xFilter */
    schemaNext,       /* xNext */
    schemaEof,        /* xEof */
    schemaColumn,     /* xColumn */
    schemaRowid,      /* xRowid */
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0 /* no writes, transactions or shadows */
};

int schema_register(sqlite3 *db) {
  return sqlite3_create_module(db, "devdb_schema", &schemaModule, 0);
}
