/*
** fixture.c: fixtures in and a dump out (the fixture area).
**
**   devdb_load(path [, tbl])   -> rows (records) loaded
**   devdb_dump([source])       -> SQL text that rebuilds the source
**
** devdb_load reads the file by its extension, all of it in one savepoint
** (atomic: on any error nothing is loaded; foreign keys are checked at the
** end, as deferred):
**   .sql    every statement, in order. BEGIN, COMMIT, END and ROLLBACK
**           statements are skipped (the load is one savepoint), so the
**           output of devdb_dump or sqlite3's .dump loads as it is.
**   .csv    a header row naming columns, then one row per record (RFC 4180:
**           quoted fields, "" inside quotes, newlines in quotes, CRLF). The
**           table is tbl, or the file name without .csv. An empty unquoted
**           field is NULL, a quoted empty one ''. Values go in as text and
**           take the column's affinity.
**   .json   parsed with SQLite's JSON functions, either
**           - Django's fixture format: [{"model": "app.model", "pk": 1,
**             "fields": {...}}, ...]. The table is app_model (lower case);
**             pk goes to the primary key column; a field names its column,
**             or field_id for a foreign key; a list for a field with a
**             table app_model_field is a many-to-many: that table gets
**             exactly those rows for the record. A record whose pk exists
**             is updated, as loaddata does. Natural keys are refused.
**           - {"table": [{"column": value, ...}, ...], ...}
**           - [{"column": value, ...}, ...] with tbl given.
**           true/false become 1/0; objects and arrays (a JSONField) are
**           stored as JSON text.
** Errors name the file and the line (SQL, CSV) or the record (JSON, from 1)
** and the field or column: "devdb_load: 'shop.json' record 3 (shop.book pk
** 7) field 'writer': no column writer or writer_id in shop_book".
**
** devdb_dump(source) writes schema and data as SQL, like sqlite3's .dump
** but without it: PRAGMA user_version/application_id, each table's CREATE
** statement and its rows (INSERT with the column names; rowids of tables
** without an INTEGER PRIMARY KEY kept; generated columns left out; REAL
** values written so they read back to the same bits), sqlite_sequence and
** sqlite_stat1, then indexes, views and triggers, inside BEGIN/COMMIT.
** Virtual tables are created by their CREATE VIRTUAL TABLE and their shadow
** tables filled. Migration history rows are rows like any other. source is
** a schema, a database file, .sql file or SQL text (see README's sources);
** default main.
**
**   SELECT devdb_load('fixtures/shop.json');          -- 120
**   SELECT devdb_load('data/prices.csv', 'price');    -- 40
**   SELECT devdb_dump();                              -- 'PRAGMA ...'
**
** NULL in, NULL out. Both are DIRECTONLY: load reads a file and runs what
** it says; dump reads files named by a source.
*/
#include "devdb.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ================================================================ dump */

/* Where the dump text goes. */
typedef struct DumpOut {
  int (*xOut)(void *, const char *, int);
  void *pArg;
  int rc;
  char *zErr; /* what failed, when rc is an error from SQLite */
} DumpOut;

/* Write text built printf-style to the dump. */
static void dump_printf(DumpOut *p, const char *zFmt, ...) {
  if (p->rc != SQLITE_OK) return;
  va_list ap;
  va_start(ap, zFmt);
  char *z = sqlite3_vmprintf(zFmt, ap);
  va_end(ap);
  p->rc = z ? p->xOut(p->pArg, z, (int)strlen(z)) : SQLITE_NOMEM;
  sqlite3_free(z);
}

/* Append value v as an SQL literal that reads back to the same value. */
static void str_literal(sqlite3_str *p, sqlite3_value *v) {
  switch (sqlite3_value_type(v)) {
  case SQLITE_INTEGER:
    sqlite3_str_appendf(p, "%lld", sqlite3_value_int64(v));
    break;
  case SQLITE_FLOAT: {
    double r = sqlite3_value_double(v);
    if (isinf(r)) {
      sqlite3_str_appendall(p, r < 0 ? "-1e999" : "1e999");
      break;
    }
    char *z = sqlite3_mprintf("%!.15g", r);
    if (z && strtod(z, 0) != r) {
      sqlite3_free(z);
      z = sqlite3_mprintf("%!.17g", r);
    }
    sqlite3_str_appendall(p, z ? z : "NULL");
    sqlite3_free(z);
    break;
  }
  case SQLITE_TEXT: {
    const char *z = (const char *)sqlite3_value_text(v);
    int n = sqlite3_value_bytes(v);
    if (memchr(z, 0, n) == 0) {
      sqlite3_str_appendf(p, "%Q", z);
      break;
    }
    sqlite3_str_appendall(p, "CAST(X'"); /* a NUL inside: keep every byte */
    for (int i = 0; i < n; i++) sqlite3_str_appendf(p, "%02x", (unsigned char)z[i]);
    sqlite3_str_appendall(p, "' AS TEXT)");
    break;
  }
  case SQLITE_BLOB: {
    const unsigned char *a = sqlite3_value_blob(v);
    int n = sqlite3_value_bytes(v);
    sqlite3_str_appendall(p, "X'");
    for (int i = 0; i < n; i++) sqlite3_str_appendf(p, "%02x", a[i]);
    sqlite3_str_appendall(p, "'");
    break;
  }
  default:
    sqlite3_str_appendall(p, "NULL");
  }
}

/*
** The INSERT prefix 'INSERT INTO "t"("rowid","a",...) VALUES(' and the
** SELECT that reads the same columns of zSchema.zTable. bRowid: the rowid
** is written too (a rowid table without an INTEGER PRIMARY KEY).
*/
static int row_sql(sqlite3 *db, const char *zSchema, const char *zTable, int bRowid,
                   char **pzInsert, char **pzSelect) {
  sqlite3_str *pIns = sqlite3_str_new(0), *pSel = sqlite3_str_new(0);
  sqlite3_stmt *pStmt = 0;
  int nCol = 0;
  sqlite3_str_appendf(pIns, "INSERT INTO \"%w\"(", zTable);
  sqlite3_str_appendall(pSel, "SELECT ");
  if (bRowid) {
    sqlite3_str_appendall(pIns, "rowid");
    sqlite3_str_appendall(pSel, "_rowid_");
    nCol++;
  }
  int rc = devdb_prepare(db, &pStmt,
                         "SELECT name FROM pragma_table_xinfo(%Q, %Q) WHERE hidden=0",
                         zTable, zSchema);
  while (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    const char *zCol = (const char *)sqlite3_column_text(pStmt, 0);
    sqlite3_str_appendf(pIns, "%s\"%w\"", nCol ? "," : "", zCol);
    sqlite3_str_appendf(pSel, "%s\"%w\"", nCol ? "," : "", zCol);
    nCol++;
  }
  if (rc == SQLITE_OK)
    rc = sqlite3_finalize(pStmt);
  else
    sqlite3_finalize(pStmt);
  sqlite3_str_appendall(pIns, ") VALUES(");
  sqlite3_str_appendf(pSel, " FROM \"%w\".\"%w\"", zSchema, zTable);
  *pzInsert = sqlite3_str_finish(pIns);
  *pzSelect = sqlite3_str_finish(pSel);
  if (rc == SQLITE_OK && (*pzInsert == 0 || *pzSelect == 0)) rc = SQLITE_NOMEM;
  return nCol == 0 && rc == SQLITE_OK ? SQLITE_ERROR : rc;
}

/* Dump every row of zSchema.zTable as INSERT statements. */
static void dump_rows(DumpOut *pOut, sqlite3 *db, const char *zSchema, const char *zTable,
                      int bRowid) {
  char *zInsert = 0, *zSelect = 0;
  sqlite3_stmt *pStmt = 0;
  int rc = row_sql(db, zSchema, zTable, bRowid, &zInsert, &zSelect);
  if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(db, zSelect, -1, &pStmt, 0);
  sqlite3_str *p = sqlite3_str_new(0);
  while (rc == SQLITE_OK && pOut->rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    sqlite3_str_reset(p);
    sqlite3_str_appendall(p, zInsert);
    for (int i = 0; i < sqlite3_column_count(pStmt); i++) {
      if (i) sqlite3_str_appendchar(p, 1, ',');
      str_literal(p, sqlite3_column_value(pStmt, i));
    }
    sqlite3_str_appendall(p, ");\n");
    if (sqlite3_str_errcode(p)) {
      rc = sqlite3_str_errcode(p);
      break;
    }
    pOut->rc = pOut->xOut(pOut->pArg, sqlite3_str_value(p), sqlite3_str_length(p));
  }
  if (rc == SQLITE_OK && pStmt)
    rc = sqlite3_finalize(pStmt);
  else
    sqlite3_finalize(pStmt);
  if (rc != SQLITE_OK && pOut->zErr == 0) {
    pOut->zErr = sqlite3_mprintf("cannot read table %s: %s", zTable, sqlite3_errmsg(db));
  }
  sqlite3_free(sqlite3_str_finish(p));
  sqlite3_free(zInsert);
  sqlite3_free(zSelect);
  if (pOut->rc == SQLITE_OK) pOut->rc = rc;
}

/* The tables of zSchema with what the dump needs to know of each. */
static int dump_tables(DumpOut *pOut, sqlite3 *db, const char *zSchema,
                       const DevdbSchema *pModel) {
  sqlite3_stmt *pStmt = 0;
  int rc =
      devdb_prepare(db, &pStmt,
                    "SELECT s.name, s.sql, l.type, l.wr FROM \"%w\".sqlite_schema s "
                    "JOIN pragma_table_list l ON l.schema=%Q AND l.name=s.name "
                    "WHERE s.type='table' AND s.name NOT LIKE 'sqlite\\_%%' ESCAPE '\\' "
                    "ORDER BY l.type='shadow', s.rowid",
                    zSchema, zSchema);
  while (rc == SQLITE_OK && pOut->rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    const char *zName = (const char *)sqlite3_column_text(pStmt, 0);
    const char *zType = (const char *)sqlite3_column_text(pStmt, 2);
    if (strcmp(zType, "shadow") == 0) {
      /* the virtual table made it; give it the stored content */
      dump_printf(pOut, "DELETE FROM \"%w\";\n", zName);
      dump_rows(pOut, db, zSchema, zName, sqlite3_column_int(pStmt, 3) == 0);
      continue;
    }
    dump_printf(pOut, "%s;\n", sqlite3_column_text(pStmt, 1));
    if (strcmp(zType, "table") != 0) continue;
    const DevdbTable *pTab = devdb_schema_table(pModel, zName);
    int bRowid = sqlite3_column_int(pStmt, 3) == 0 && pTab && pTab->iRowidAlias < 0;
    dump_rows(pOut, db, zSchema, zName, bRowid);
  }
  if (rc == SQLITE_OK)
    rc = sqlite3_finalize(pStmt);
  else
    sqlite3_finalize(pStmt);
  return rc;
}

/* sqlite_sequence and sqlite_stat1, when zSchema has them. */
static void dump_internal(DumpOut *pOut, sqlite3 *db, const char *zSchema) {
  if (devdb_query_int(db, 0,
                      "SELECT count(*) FROM \"%w\".sqlite_schema WHERE name="
                      "'sqlite_sequence'",
                      zSchema)) {
    dump_printf(pOut, "DELETE FROM sqlite_sequence;\n");
    dump_rows(pOut, db, zSchema, "sqlite_sequence", 0);
  }
  if (devdb_query_int(
          db, 0, "SELECT count(*) FROM \"%w\".sqlite_schema WHERE name='sqlite_stat1'",
          zSchema)) {
    dump_printf(pOut, "ANALYZE sqlite_schema;\n");
    dump_rows(pOut, db, zSchema, "sqlite_stat1", 0);
  }
}

/* Indexes, views and triggers, in the order they were made. */
static int dump_objects(DumpOut *pOut, sqlite3 *db, const char *zSchema) {
  sqlite3_stmt *pStmt = 0;
  int rc = devdb_prepare(db, &pStmt,
                         "SELECT sql FROM \"%w\".sqlite_schema WHERE sql IS NOT NULL AND "
                         "type IN ('index','view','trigger') ORDER BY rowid",
                         zSchema);
  while (rc == SQLITE_OK && pOut->rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    dump_printf(pOut, "%s;\n", sqlite3_column_text(pStmt, 0));
  }
  if (rc == SQLITE_OK)
    rc = sqlite3_finalize(pStmt);
  else
    sqlite3_finalize(pStmt);
  return rc;
}

int devdb_dump_write(sqlite3 *db, const char *zSource,
                     int (*xOut)(void *, const char *, int), void *pArg, char **pzErr) {
  DevdbSource src;
  DevdbSchema *pModel = 0;
  DumpOut out = {xOut, pArg, SQLITE_OK, 0};
  *pzErr = 0;
  int rc = devdb_source_open(db, zSource, &src, pzErr);
  if (rc != SQLITE_OK) return rc;
  rc = devdb_schema_load(src.db, src.zSchema, &pModel, pzErr);
  if (rc == SQLITE_OK) {
    dump_printf(&out, "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n");
    dump_printf(&out, "PRAGMA user_version=%lld;\nPRAGMA application_id=%lld;\n",
                devdb_query_int(src.db, 0, "PRAGMA \"%w\".user_version", src.zSchema),
                devdb_query_int(src.db, 0, "PRAGMA \"%w\".application_id", src.zSchema));
    rc = dump_tables(&out, src.db, src.zSchema, pModel);
    dump_internal(&out, src.db, src.zSchema);
    if (rc == SQLITE_OK) rc = dump_objects(&out, src.db, src.zSchema);
    dump_printf(&out, "COMMIT;\n");
    if (rc == SQLITE_OK) rc = out.rc;
    if (rc != SQLITE_OK && *pzErr == 0) {
      *pzErr = out.zErr ? out.zErr
                        : sqlite3_mprintf("cannot dump %s: %s", src.zLabel,
                                          sqlite3_errmsg(src.db));
      out.zErr = 0;
    }
    sqlite3_free(out.zErr);
  }
  devdb_schema_free(pModel);
  devdb_source_close(&src);
  return rc;
}

static int append_out(void *pArg, const char *z, int n) {
  sqlite3_str_append((sqlite3_str *)pArg, z, n);
  return sqlite3_str_errcode((sqlite3_str *)pArg);
}

/* devdb_dump([source]) */
static void dumpFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  const char *zSource = argc > 0 ? (const char *)sqlite3_value_text(argv[0]) : "main";
  if (zSource == 0) return;
  sqlite3_str *p = sqlite3_str_new(0);
  char *zErr = 0;
  int rc =
      devdb_dump_write(sqlite3_context_db_handle(ctx), zSource, append_out, p, &zErr);
  if (rc != SQLITE_OK) {
    sqlite3_free(sqlite3_str_finish(p));
    if (zErr)
      devdb_result_error(ctx, "devdb_dump: %s", zErr);
    else
      sqlite3_result_error_code(ctx, rc);
    sqlite3_free(zErr);
    return;
  }
  devdb_result_str(ctx, p);
}

/* ================================================================ load */

/* A prepared INSERT kept while a load runs, by its SQL text. */
typedef struct StmtCache {
  int n;
  char *azSql[16];
  sqlite3_stmt *apStmt[16];
} StmtCache;

/* The state of one load. */
typedef struct Load {
  sqlite3 *db;
  const char *zPath;
  sqlite3_int64 nRow;
  StmtCache cache;
  char *zErr;
} Load;

static void cache_clear(StmtCache *p) {
  for (int i = 0; i < p->n; i++) {
    sqlite3_free(p->azSql[i]);
    sqlite3_finalize(p->apStmt[i]);
  }
  p->n = 0;
}

/* The statement for zSql (owned by the cache), prepared when new. */
static int cache_get(Load *pLoad, const char *zSql, sqlite3_stmt **ppStmt) {
  StmtCache *p = &pLoad->cache;
  for (int i = 0; i < p->n; i++) {
    if (strcmp(p->azSql[i], zSql) == 0) {
      *ppStmt = p->apStmt[i];
      return SQLITE_OK;
    }
  }
  if (p->n == 16) { /* full: start over */
    cache_clear(p);
  }
  int rc = sqlite3_prepare_v2(pLoad->db, zSql, -1, ppStmt, 0);
  if (rc != SQLITE_OK) return rc;
  p->azSql[p->n] = sqlite3_mprintf("%s", zSql);
  p->apStmt[p->n] = *ppStmt;
  if (p->azSql[p->n] == 0) {
    sqlite3_finalize(*ppStmt);
    return SQLITE_NOMEM;
  }
  p->n++;
  return SQLITE_OK;
}

/* Record an error of the load, "'path' WHERE: message", once. */
static int load_error(Load *p, int rc, const char *zFmt, ...) {
  if (p->zErr == 0) {
    va_list ap;
    va_start(ap, zFmt);
    char *z = sqlite3_vmprintf(zFmt, ap);
    va_end(ap);
    p->zErr = sqlite3_mprintf("'%s' %s", p->zPath, z ? z : "");
    sqlite3_free(z);
  }
  return rc == SQLITE_OK ? SQLITE_ERROR : rc;
}

/* 1 when table zTable of main has column zCol. */
static int has_column(sqlite3 *db, const char *zTable, const char *zCol) {
  return devdb_query_int(db, 0,
                         "SELECT count(*) FROM pragma_table_xinfo(%Q, 'main') "
                         "WHERE name=%Q COLLATE NOCASE",
                         zTable, zCol) > 0;
}

static int has_table(sqlite3 *db, const char *zTable) {
  return devdb_query_int(db, 0,
                         "SELECT count(*) FROM pragma_table_list WHERE schema='main' "
                         "AND name=%Q COLLATE NOCASE",
                         zTable) > 0;
}

/* ------------------------------------------------------------- .sql */

/* 1 when the statement zSql starts a transaction control statement
** (BEGIN, COMMIT, END, ROLLBACK without TO), which the load's savepoint
** replaces. */
static int is_txn_control(const char *zSql) {
  DevdbLexer lx;
  devdb_lexer_init(&lx, zSql, -1);
  DevdbToken t = devdb_lexer_next(&lx);
  if (devdb_token_is(&t, "begin") || devdb_token_is(&t, "commit") ||
      devdb_token_is(&t, "end")) {
    return 1;
  }
  if (!devdb_token_is(&t, "rollback")) return 0;
  for (t = devdb_lexer_next(&lx); t.eType != DEVDB_TK_EOF && t.eType != DEVDB_TK_SEMI;
       t = devdb_lexer_next(&lx)) {
    if (devdb_token_is(&t, "to")) return 0;
  }
  return 1;
}

/* The 1-based line of zText at which z starts. */
static int line_of(const char *zText, const char *z) {
  int n = 1;
  for (; zText < z; zText++) n += *zText == '\n';
  return n;
}

static int load_sql(Load *p, const char *zText) {
  const char *zTail = zText;
  sqlite3_int64 nBefore = sqlite3_total_changes64(p->db);
  while (zTail && *zTail) {
    sqlite3_stmt *pStmt = 0;
    const char *zStart = zTail;
    int rc = sqlite3_prepare_v2(p->db, zStart, -1, &pStmt, &zTail);
    while (rc == SQLITE_OK && pStmt && !is_txn_control(zStart) &&
           (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    }
    if (rc == SQLITE_DONE || rc == SQLITE_ROW) rc = SQLITE_OK;
    if (rc != SQLITE_OK) {
      while (zStart < zTail &&
             (*zStart == ' ' || *zStart == '\n' || *zStart == '\t' || *zStart == '\r')) {
        zStart++;
      }
      rc =
          load_error(p, rc, "line %d: %s", line_of(zText, zStart), sqlite3_errmsg(p->db));
    }
    sqlite3_finalize(pStmt);
    if (rc != SQLITE_OK) return rc;
  }
  p->nRow = sqlite3_total_changes64(p->db) - nBefore;
  return SQLITE_OK;
}

/* ------------------------------------------------------------- .csv */

/* One CSV field: its text in the buffer and whether it was quoted. */
typedef struct CsvReader {
  const char *z; /* the input, NUL-terminated */
  int iLine;     /* line of the current position */
  sqlite3_str *pField;
  int bQuoted;
  int bEol; /* the field read ended its record */
} CsvReader;

/* Read the next field at p->z; SQLITE_DONE at the end of the input,
** SQLITE_ERROR for an unterminated quote. */
static int csv_field(CsvReader *p) {
  sqlite3_str_reset(p->pField);
  p->bQuoted = 0;
  p->bEol = 0;
  if (*p->z == 0) return SQLITE_DONE;
  if (*p->z == '"') {
    p->bQuoted = 1;
    for (p->z++;; p->z++) {
      if (*p->z == 0) return SQLITE_ERROR;
      if (*p->z == '"') {
        if (p->z[1] != '"') break;
        p->z++;
      }
      if (*p->z == '\n') p->iLine++;
      sqlite3_str_appendchar(p->pField, 1, *p->z);
    }
    p->z++;
  }
  while (*p->z && *p->z != ',' && *p->z != '\n' && *p->z != '\r') {
    sqlite3_str_appendchar(p->pField, 1, *p->z++);
  }
  if (*p->z == ',') {
    p->z++;
    return SQLITE_OK;
  }
  if (*p->z == '\r') p->z++;
  if (*p->z == '\n') p->z++, p->iLine++;
  p->bEol = 1;
  return SQLITE_OK;
}

/* Read the header and build the INSERT for table zTable. */
static int csv_header(Load *p, CsvReader *r, const char *zTable, char **pzInsert,
                      int *pnCol) {
  sqlite3_str *pIns = sqlite3_str_new(0), *pVal = sqlite3_str_new(0);
  int rc = SQLITE_OK, nCol = 0;
  sqlite3_str_appendf(pIns, "INSERT INTO main.\"%w\"(", zTable);
  do {
    rc = csv_field(r);
    if (rc != SQLITE_OK) break;
    const char *zCol = sqlite3_str_value(r->pField);
    if (zCol == 0 || !has_column(p->db, zTable, zCol)) {
      rc = load_error(p, SQLITE_ERROR, "line 1: no column '%s' in %s", zCol ? zCol : "",
                      zTable);
      break;
    }
    sqlite3_str_appendf(pIns, "%s\"%w\"", nCol ? "," : "", zCol);
    sqlite3_str_appendall(pVal, nCol ? ",?" : "?");
    nCol++;
  } while (!r->bEol);
  if (rc == SQLITE_DONE) rc = load_error(p, SQLITE_ERROR, "has no header row");
  char *zVal = sqlite3_str_finish(pVal);
  sqlite3_str_appendf(pIns, ") VALUES(%s)", zVal ? zVal : "");
  sqlite3_free(zVal);
  *pzInsert = sqlite3_str_finish(pIns);
  *pnCol = nCol;
  if (rc == SQLITE_OK && (*pzInsert == 0 || zVal == 0)) rc = SQLITE_NOMEM;
  return rc;
}

/* The table a CSV file fills: zTbl, or the file name without .csv. */
static char *csv_table(const char *zPath, const char *zTbl) {
  if (zTbl) return sqlite3_mprintf("%s", zTbl);
  const char *zBase = strrchr(zPath, '/');
  zBase = zBase ? zBase + 1 : zPath;
  return sqlite3_mprintf("%.*s", (int)strlen(zBase) - 4, zBase);
}

static int load_csv(Load *p, const char *zText, const char *zTbl) {
  CsvReader r = {zText, 1, sqlite3_str_new(0), 0, 0};
  char *zTable = csv_table(p->zPath, zTbl), *zInsert = 0;
  sqlite3_stmt *pStmt = 0;
  int nCol = 0, rc = zTable ? SQLITE_OK : SQLITE_NOMEM;
  if (rc == SQLITE_OK && !has_table(p->db, zTable)) {
    rc =
        load_error(p, SQLITE_ERROR, "fills table %s, and there is no such table", zTable);
  }
  if (rc == SQLITE_OK) rc = csv_header(p, &r, zTable, &zInsert, &nCol);
  if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(p->db, zInsert, -1, &pStmt, 0);
  while (rc == SQLITE_OK && *r.z) {
    int iLine = r.iLine, i = 0;
    for (r.bEol = 0; rc == SQLITE_OK && !r.bEol; i++) {
      rc = csv_field(&r);
      if (rc == SQLITE_ERROR)
        rc = load_error(p, rc, "line %d: unterminated quote", iLine);
      if (rc != SQLITE_OK || i >= nCol) continue;
      const char *z = sqlite3_str_value(r.pField);
      if (z == 0 && !r.bQuoted)
        sqlite3_bind_null(pStmt, i + 1);
      else
        sqlite3_bind_text(pStmt, i + 1, z ? z : "", -1, SQLITE_TRANSIENT);
    }
    if (rc == SQLITE_DONE) rc = SQLITE_OK;
    if (rc == SQLITE_OK && i != nCol) {
      rc = load_error(p, SQLITE_ERROR, "line %d: %d fields, the header has %d", iLine, i,
                      nCol);
    }
    if (rc == SQLITE_OK) {
      sqlite3_step(pStmt);
      rc = sqlite3_reset(pStmt);
      if (rc != SQLITE_OK) {
        rc = load_error(p, rc, "line %d: %s", iLine, sqlite3_errmsg(p->db));
      }
      p->nRow++;
    }
  }
  sqlite3_finalize(pStmt);
  sqlite3_free(sqlite3_str_finish(r.pField));
  sqlite3_free(zTable);
  sqlite3_free(zInsert);
  return rc;
}

/* ------------------------------------------------------------ .json */

/* How a field of a record reaches the database. */
enum { FIELD_COLUMN = 1, FIELD_FK, FIELD_M2M };

/* How a Django field's fixture text becomes what Django stores in SQLite. */
enum { CONV_NONE = 0, CONV_DATETIME, CONV_UUID };

typedef struct FieldInfo {
  int eKind;
  int eConv;                    /* CONV_*: by the column's declared type */
  char *zCol;                   /* FIELD_COLUMN, FIELD_FK: the column */
  char *zThrough, *zFrom, *zTo; /* FIELD_M2M: its table and columns */
} FieldInfo;

typedef struct ModelInfo {
  char *zTable; /* app_model */
  char *zPk;    /* its primary key column */
} ModelInfo;

/* What the JSON loader keeps between records. */
typedef struct JsonLoad {
  Load *p;
  DevdbArena arena;
  DevdbMap mModel, mField; /* "app.model" -> ModelInfo, "table\1field" -> FieldInfo */
  sqlite3_stmt *pRecord;   /* model, pk, fields of a record */
  sqlite3_stmt *pEach;     /* json_each of an object or array */
  int nField, nFieldAlloc;
  char **azCol;          /* the current record's columns ... */
  sqlite3_value **apVal; /* ... and values */
} JsonLoad;

static void json_fields_clear(JsonLoad *j) {
  for (int i = 0; i < j->nField; i++) sqlite3_value_free(j->apVal[i]);
  j->nField = 0;
}

/* Add column zCol = v to the current record. */
static int json_field_add(JsonLoad *j, const char *zCol, sqlite3_value *v) {
  if (j->nField == j->nFieldAlloc) {
    int nNew = j->nFieldAlloc ? j->nFieldAlloc * 2 : 16;
    char **azCol = sqlite3_realloc64(j->azCol, sizeof(char *) * nNew);
    if (azCol) j->azCol = azCol;
    sqlite3_value **apVal = sqlite3_realloc64(j->apVal, sizeof(sqlite3_value *) * nNew);
    if (apVal) j->apVal = apVal;
    if (azCol == 0 || apVal == 0) return SQLITE_NOMEM;
    j->nFieldAlloc = nNew;
  }
  j->azCol[j->nField] = (char *)zCol;
  j->apVal[j->nField] = sqlite3_value_dup(v);
  if (j->apVal[j->nField] == 0) return SQLITE_NOMEM;
  j->nField++;
  return SQLITE_OK;
}

/*
** Insert the current record into zTable. With zPk (the record's pk is the
** first field) an existing row of that key is updated instead.
*/
static int json_insert(JsonLoad *j, const char *zTable, const char *zPk) {
  sqlite3_str *p = sqlite3_str_new(0);
  sqlite3_str_appendf(p, "INSERT INTO main.\"%w\"(", zTable);
  for (int i = 0; i < j->nField; i++) {
    sqlite3_str_appendf(p, "%s\"%w\"", i ? "," : "", j->azCol[i]);
  }
  sqlite3_str_appendall(p, j->nField ? ") VALUES(" : ") DEFAULT VALUES");
  for (int i = 0; i < j->nField; i++) sqlite3_str_appendall(p, i ? ",?" : "?");
  if (j->nField) sqlite3_str_appendall(p, ")");
  if (zPk && j->nField > 1) {
    sqlite3_str_appendf(p, " ON CONFLICT(\"%w\") DO UPDATE SET ", zPk);
    for (int i = 1; i < j->nField; i++) {
      sqlite3_str_appendf(p, "%s\"%w\"=excluded.\"%w\"", i > 1 ? "," : "", j->azCol[i],
                          j->azCol[i]);
    }
  } else if (zPk) {
    sqlite3_str_appendall(p, " ON CONFLICT DO NOTHING");
  }
  char *zSql = sqlite3_str_finish(p);
  sqlite3_stmt *pStmt = 0;
  int rc = zSql ? cache_get(j->p, zSql, &pStmt) : SQLITE_NOMEM;
  sqlite3_free(zSql);
  for (int i = 0; rc == SQLITE_OK && i < j->nField; i++) {
    rc = sqlite3_bind_value(pStmt, i + 1, j->apVal[i]);
  }
  if (rc == SQLITE_OK) {
    sqlite3_step(pStmt);
    rc = sqlite3_reset(pStmt);
  }
  return rc;
}

/* Run one statement built printf-style with up to two bound values. */
static int json_exec2(JsonLoad *j, sqlite3_value *a, sqlite3_value *b, const char *zFmt,
                      ...) {
  va_list ap;
  va_start(ap, zFmt);
  char *zSql = sqlite3_vmprintf(zFmt, ap);
  va_end(ap);
  sqlite3_stmt *pStmt = 0;
  int rc = zSql ? cache_get(j->p, zSql, &pStmt) : SQLITE_NOMEM;
  sqlite3_free(zSql);
  if (rc == SQLITE_OK && a) rc = sqlite3_bind_value(pStmt, 1, a);
  if (rc == SQLITE_OK && b) rc = sqlite3_bind_value(pStmt, 2, b);
  if (rc == SQLITE_OK) {
    sqlite3_step(pStmt);
    rc = sqlite3_reset(pStmt);
  }
  return rc;
}

/* The ModelInfo of Django model zModel ("app.Model"), or NULL when it
** has no table (error recorded). */
static ModelInfo *json_model(JsonLoad *j, const char *zModel, int iRec) {
  ModelInfo *m = devdb_map_get(&j->mModel, zModel);
  if (m) return m;
  m = devdb_arena_alloc(&j->arena, sizeof(*m));
  char *zKey = devdb_arena_strndup(&j->arena, zModel, -1);
  const char *zDot = strchr(zModel, '.');
  if (m == 0 || zKey == 0) return 0;
  m->zTable = zDot ? devdb_arena_printf(&j->arena, "%.*s_%s", (int)(zDot - zModel),
                                        zModel, zDot + 1)
                   : 0;
  for (char *z = m->zTable; z && *z; z++) {
    if (*z >= 'A' && *z <= 'Z') *z += 32;
  }
  if (m->zTable == 0 || !has_table(j->p->db, m->zTable)) {
    load_error(j->p, SQLITE_ERROR, "record %d: no table %s for model %s", iRec,
               m->zTable ? m->zTable : "?", zModel);
    return 0;
  }
  sqlite3_stmt *pStmt = 0;
  if (devdb_prepare(j->p->db, &pStmt,
                    "SELECT name FROM pragma_table_info(%Q, 'main') WHERE pk=1",
                    m->zTable) == SQLITE_OK &&
      sqlite3_step(pStmt) == SQLITE_ROW) {
    m->zPk =
        devdb_arena_strndup(&j->arena, (const char *)sqlite3_column_text(pStmt, 0), -1);
  }
  sqlite3_finalize(pStmt);
  if (m->zPk == 0) m->zPk = "id";
  if (devdb_map_put(&j->mModel, zKey, m) != SQLITE_OK) return 0;
  return m;
}

/* The columns of Django's many-to-many table zThrough for model zModel:
** from_<model>_id/to_<model>_id when it relates a model to itself, else
** <model>_id and the other one. */
static int m2m_columns(JsonLoad *j, FieldInfo *f, const char *zModel) {
  const char *zDot = strrchr(zModel, '.');
  char *zName = devdb_arena_printf(&j->arena, "%s", zDot ? zDot + 1 : zModel);
  for (char *z = zName; z && *z; z++) {
    if (*z >= 'A' && *z <= 'Z') *z += 32;
  }
  if (zName == 0) return SQLITE_NOMEM;
  f->zFrom = devdb_arena_printf(&j->arena, "from_%s_id", zName);
  f->zTo = devdb_arena_printf(&j->arena, "to_%s_id", zName);
  if (f->zFrom && has_column(j->p->db, f->zThrough, f->zFrom)) return SQLITE_OK;
  f->zFrom = devdb_arena_printf(&j->arena, "%s_id", zName);
  sqlite3_stmt *pStmt = 0;
  f->zTo = 0;
  if (devdb_prepare(j->p->db, &pStmt,
                    "SELECT name FROM pragma_table_info(%Q, 'main') WHERE pk=0 AND "
                    "name<>%Q COLLATE NOCASE",
                    f->zThrough, f->zFrom) == SQLITE_OK &&
      sqlite3_step(pStmt) == SQLITE_ROW) {
    f->zTo =
        devdb_arena_strndup(&j->arena, (const char *)sqlite3_column_text(pStmt, 0), -1);
  }
  sqlite3_finalize(pStmt);
  return f->zFrom && f->zTo && has_column(j->p->db, f->zThrough, f->zFrom) ? SQLITE_OK
                                                                           : SQLITE_ERROR;
}

/* The conversion Django applies to values of column zCol of zTable, by
** the type its SQLite backend declares: datetime, and char(32) (UUID). */
static int field_conv(sqlite3 *db, const char *zTable, const char *zCol) {
  sqlite3_stmt *pStmt = 0;
  int eConv = CONV_NONE;
  if (devdb_prepare(db, &pStmt,
                    "SELECT lower(type) FROM pragma_table_info(%Q, 'main') WHERE name=%Q "
                    "COLLATE NOCASE",
                    zTable, zCol) == SQLITE_OK &&
      sqlite3_step(pStmt) == SQLITE_ROW) {
    const char *zType = (const char *)sqlite3_column_text(pStmt, 0);
    if (zType && strcmp(zType, "datetime") == 0) eConv = CONV_DATETIME;
    if (zType && strcmp(zType, "char(32)") == 0) eConv = CONV_UUID;
  }
  sqlite3_finalize(pStmt);
  return eConv;
}

/*
** Django's stored form of a fixture datetime "YYYY-MM-DDTHH:MM:SS[.fff][Z|
** +HH:MM]": UTC as "YYYY-MM-DD HH:MM:SS[.ffffff]". NULL when z is not one.
*/
static char *django_datetime(sqlite3 *db, const char *z) {
  int n = (int)strlen(z);
  if (n < 19 || z[10] != 'T' || z[4] != '-' || z[13] != ':') return 0;
  int i = 19, nFrac = 0;
  char zFrac[8] = "";
  if (z[i] == '.') {
    for (i++; z[i] >= '0' && z[i] <= '9'; i++) {
      if (nFrac < 6) zFrac[nFrac++] = z[i];
    }
    while (nFrac < 6) zFrac[nFrac++] = '0';
    zFrac[6] = 0;
    if (strcmp(zFrac, "000000") == 0) zFrac[0] = 0;
  }
  const char *zTz = z + i;
  if (*zTz && strcmp(zTz, "Z") != 0 &&
      !(strlen(zTz) == 6 && (zTz[0] == '+' || zTz[0] == '-')))
    return 0;
  char *zOut = 0;
  sqlite3_stmt *pStmt = 0;
  if (sqlite3_prepare_v2(db, "SELECT strftime('%Y-%m-%d %H:%M:%S', ?1)", -1, &pStmt, 0) ==
      SQLITE_OK) {
    char *zIn = sqlite3_mprintf("%.10s %.8s%s", z, z + 11, strcmp(zTz, "Z") ? zTz : "");
    sqlite3_bind_text(pStmt, 1, zIn, -1, sqlite3_free);
    if (sqlite3_step(pStmt) == SQLITE_ROW &&
        sqlite3_column_type(pStmt, 0) == SQLITE_TEXT) {
      zOut = sqlite3_mprintf("%s%s%s", sqlite3_column_text(pStmt, 0), zFrac[0] ? "." : "",
                             zFrac);
    }
  }
  sqlite3_finalize(pStmt);
  return zOut;
}

/* Django's stored form of a UUID "8-4-4-4-12": the 32 hex digits. */
static char *django_uuid(const char *z) {
  if (strlen(z) != 36 || z[8] != '-' || z[13] != '-' || z[18] != '-' || z[23] != '-')
    return 0;
  return sqlite3_mprintf("%.8s%.4s%.4s%.4s%.12s", z, z + 9, z + 14, z + 19, z + 24);
}

/* Add column zCol = v to the current record, converted as f says. */
static int json_field_add_conv(JsonLoad *j, const FieldInfo *f, sqlite3_value *v) {
  char *z = 0;
  if (f->eConv && sqlite3_value_type(v) == SQLITE_TEXT) {
    const char *zIn = (const char *)sqlite3_value_text(v);
    z = f->eConv == CONV_DATETIME ? django_datetime(j->p->db, zIn) : django_uuid(zIn);
  }
  if (z == 0) return json_field_add(j, f->zCol, v);
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(j->p->db, "SELECT ?1", -1, &pStmt, 0);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(pStmt, 1, z, -1, SQLITE_STATIC);
    rc = sqlite3_step(pStmt) == SQLITE_ROW
             ? json_field_add(j, f->zCol, sqlite3_column_value(pStmt, 0))
             : SQLITE_NOMEM;
  }
  sqlite3_finalize(pStmt);
  sqlite3_free(z);
  return rc;
}

/*
** How field zField of a record for zTable reaches the database (zModel
** for a Django record, NULL for a plain row), or NULL when it cannot.
** bList: the value is a JSON array (a candidate many-to-many).
*/
static FieldInfo *json_field(JsonLoad *j, const char *zTable, const char *zModel,
                             const char *zField, int bList) {
  char *zKey = devdb_arena_printf(&j->arena, "%s\001%s\001%d", zTable, zField, bList);
  if (zKey == 0) return 0;
  FieldInfo *f = devdb_map_get(&j->mField, zKey);
  if (f) return f->eKind ? f : 0;
  f = devdb_arena_alloc(&j->arena, sizeof(*f));
  if (f == 0) return 0;
  sqlite3 *db = j->p->db;
  if (has_column(db, zTable, zField)) {
    f->eKind = FIELD_COLUMN;
    f->zCol = devdb_arena_strndup(&j->arena, zField, -1);
  } else if (zModel && !bList &&
             (f->zCol = devdb_arena_printf(&j->arena, "%s_id", zField)) != 0 &&
             has_column(db, zTable, f->zCol)) {
    f->eKind = FIELD_FK;
  } else if (zModel && bList &&
             (f->zThrough = devdb_arena_printf(&j->arena, "%s_%s", zTable, zField)) !=
                 0 &&
             has_table(db, f->zThrough) && m2m_columns(j, f, zModel) == SQLITE_OK) {
    f->eKind = FIELD_M2M;
  }
  if (zModel && f->zCol) f->eConv = field_conv(db, zTable, f->zCol);
  devdb_map_put(&j->mField, zKey, f);
  return f->eKind ? f : 0;
}

/* Give the many-to-many table of f exactly the rows of the JSON array
** zList for the object whose key is pKey. */
static int json_m2m(JsonLoad *j, const FieldInfo *f, sqlite3_value *pKey,
                    const char *zList) {
  int rc = json_exec2(j, pKey, 0, "DELETE FROM main.\"%w\" WHERE \"%w\"=?1", f->zThrough,
                      f->zFrom);
  sqlite3_stmt *pEach = 0;
  if (rc == SQLITE_OK) {
    rc = sqlite3_prepare_v2(j->p->db, "SELECT value FROM json_each(?1)", -1, &pEach, 0);
  }
  if (rc == SQLITE_OK) sqlite3_bind_text(pEach, 1, zList, -1, SQLITE_STATIC);
  while (rc == SQLITE_OK && sqlite3_step(pEach) == SQLITE_ROW) {
    rc = json_exec2(j, pKey, sqlite3_column_value(pEach, 0),
                    "INSERT INTO main.\"%w\"(\"%w\", \"%w\") VALUES(?1, ?2)", f->zThrough,
                    f->zFrom, f->zTo);
  }
  sqlite3_finalize(pEach);
  return rc;
}

/* Step pEach over the object or array zJson (bound, static). */
static void each_bind(sqlite3_stmt *pEach, const char *zJson) {
  sqlite3_reset(pEach);
  sqlite3_bind_text(pEach, 1, zJson, -1, SQLITE_STATIC);
}

/* Load record iRec of Django's format, the object zRec. */
static int json_django(JsonLoad *j, int iRec, const char *zRec) {
  Load *p = j->p;
  sqlite3_reset(j->pRecord);
  sqlite3_bind_text(j->pRecord, 1, zRec, -1, SQLITE_STATIC);
  if (sqlite3_step(j->pRecord) != SQLITE_ROW) return sqlite3_reset(j->pRecord);
  const char *zModel = (const char *)sqlite3_column_text(j->pRecord, 0);
  sqlite3_value *pPk = sqlite3_column_value(j->pRecord, 1);
  const char *zFields = (const char *)sqlite3_column_text(j->pRecord, 2);
  const char *zPk = (const char *)sqlite3_column_text(j->pRecord, 1);
  ModelInfo *m = json_model(j, zModel, iRec);
  if (m == 0) return SQLITE_ERROR;
  int bPk = sqlite3_value_type(pPk) != SQLITE_NULL, rc = SQLITE_OK;
  json_fields_clear(j);
  if (bPk) rc = json_field_add(j, m->zPk, pPk);
  each_bind(j->pEach, zFields ? zFields : "{}");
  while (rc == SQLITE_OK && sqlite3_step(j->pEach) == SQLITE_ROW) {
    const char *zField = (const char *)sqlite3_column_text(j->pEach, 0);
    int bList = strcmp((const char *)sqlite3_column_text(j->pEach, 2), "array") == 0;
    FieldInfo *f = json_field(j, m->zTable, zModel, zField, bList);
    if (f == 0) {
      return load_error(p, SQLITE_ERROR, "record %d (%s pk %s) field '%s': %s", iRec,
                        zModel, zPk ? zPk : "none", zField,
                        bList ? "a list, but no many-to-many table for it (natural keys "
                                "are not supported)"
                              : "no such column (nor a foreign key column ..._id)");
    }
    if (f->eKind != FIELD_M2M) {
      rc = json_field_add_conv(j, f, sqlite3_column_value(j->pEach, 1));
    }
  }
  if (rc == SQLITE_OK) rc = json_insert(j, m->zTable, bPk ? m->zPk : 0);
  if (rc != SQLITE_OK) {
    return load_error(p, rc, "record %d (%s pk %s): %s", iRec, zModel, zPk ? zPk : "none",
                      sqlite3_errmsg(p->db));
  }
  sqlite3_value *pKey = bPk ? sqlite3_value_dup(j->apVal[0]) : 0;
  if (!bPk) {
    sqlite3_stmt *pId = 0;
    if (sqlite3_prepare_v2(p->db, "SELECT last_insert_rowid()", -1, &pId, 0) ==
            SQLITE_OK &&
        sqlite3_step(pId) == SQLITE_ROW) {
      pKey = sqlite3_value_dup(sqlite3_column_value(pId, 0));
    }
    sqlite3_finalize(pId);
  }
  each_bind(j->pEach, zFields ? zFields : "{}");
  while (rc == SQLITE_OK && sqlite3_step(j->pEach) == SQLITE_ROW) {
    if (strcmp((const char *)sqlite3_column_text(j->pEach, 2), "array") != 0) continue;
    FieldInfo *f = json_field(j, m->zTable, zModel,
                              (const char *)sqlite3_column_text(j->pEach, 0), 1);
    if (f && f->eKind == FIELD_M2M) {
      rc = json_m2m(j, f, pKey, (const char *)sqlite3_column_text(j->pEach, 1));
      if (rc != SQLITE_OK) {
        rc = load_error(p, rc, "record %d (%s pk %s) field '%s': %s", iRec, zModel,
                        zPk ? zPk : "none", sqlite3_column_text(j->pEach, 0),
                        sqlite3_errmsg(p->db));
      }
    }
  }
  sqlite3_value_free(pKey);
  p->nRow++;
  return rc;
}

/* Load record iRec, the object zRec, as a row of zTable. */
static int json_row(JsonLoad *j, int iRec, const char *zTable, const char *zRec) {
  int rc = SQLITE_OK;
  json_fields_clear(j);
  each_bind(j->pEach, zRec);
  while (rc == SQLITE_OK && sqlite3_step(j->pEach) == SQLITE_ROW) {
    const char *zField = (const char *)sqlite3_column_text(j->pEach, 0);
    FieldInfo *f = json_field(j, zTable, 0, zField, 0);
    if (f == 0) {
      return load_error(j->p, SQLITE_ERROR, "record %d field '%s': no column %s in %s",
                        iRec, zField, zField, zTable);
    }
    rc = json_field_add(j, f->zCol, sqlite3_column_value(j->pEach, 1));
  }
  if (rc == SQLITE_OK) rc = json_insert(j, zTable, 0);
  if (rc != SQLITE_OK) {
    return load_error(j->p, rc, "record %d (%s): %s", iRec, zTable,
                      sqlite3_errmsg(j->p->db));
  }
  j->p->nRow++;
  return SQLITE_OK;
}

/* Load the records of the JSON array or object zText. */
static int json_records(JsonLoad *j, const char *zText, const char *zTbl) {
  Load *p = j->p;
  sqlite3_stmt *pTop = 0, *pList = 0;
  int rc = sqlite3_prepare_v2(p->db,
                              "SELECT key, value, type, json_type(value, '$.model') "
                              "FROM json_each(?1)",
                              -1, &pTop, 0);
  if (rc == SQLITE_OK) {
    rc =
        sqlite3_prepare_v2(p->db, "SELECT value, type FROM json_each(?1)", -1, &pList, 0);
  }
  int bArray = devdb_query_int(p->db, 0, "SELECT json_type(%Q)='array'", zText) == 1;
  int iRec = 0;
  if (rc == SQLITE_OK) sqlite3_bind_text(pTop, 1, zText, -1, SQLITE_STATIC);
  while (rc == SQLITE_OK && sqlite3_step(pTop) == SQLITE_ROW) {
    const char *zKey = (const char *)sqlite3_column_text(pTop, 0);
    const char *zValue = (const char *)sqlite3_column_text(pTop, 1);
    const char *zType = (const char *)sqlite3_column_text(pTop, 2);
    if (bArray) {
      iRec++;
      if (strcmp(zType, "object") != 0) {
        rc = load_error(p, SQLITE_ERROR, "record %d is not an object", iRec);
      } else if (sqlite3_column_type(pTop, 3) != SQLITE_NULL) {
        rc = json_django(j, iRec, zValue);
      } else if (zTbl) {
        rc = json_row(j, iRec, zTbl, zValue);
      } else {
        rc = load_error(p, SQLITE_ERROR,
                        "record %d has no \"model\" (Django's format) and "
                        "no table was given",
                        iRec);
      }
      continue;
    }
    if (strcmp(zType, "array") != 0 || !has_table(p->db, zKey)) {
      rc = load_error(p, SQLITE_ERROR, "\"%s\" is not a list of rows of a table", zKey);
      continue;
    }
    sqlite3_reset(pList);
    sqlite3_bind_text(pList, 1, zValue, -1, SQLITE_STATIC);
    while (rc == SQLITE_OK && sqlite3_step(pList) == SQLITE_ROW) {
      iRec++;
      rc = strcmp((const char *)sqlite3_column_text(pList, 1), "object") != 0
               ? load_error(p, SQLITE_ERROR, "record %d is not an object", iRec)
               : json_row(j, iRec, zKey, (const char *)sqlite3_column_text(pList, 0));
    }
  }
  if (rc == SQLITE_OK && sqlite3_errcode(p->db) != SQLITE_OK &&
      sqlite3_errcode(p->db) != SQLITE_DONE && sqlite3_errcode(p->db) != SQLITE_ROW) {
    rc = load_error(p, SQLITE_ERROR, "%s", sqlite3_errmsg(p->db));
  }
  sqlite3_finalize(pTop);
  sqlite3_finalize(pList);
  return rc;
}

static int load_json(Load *p, const char *zText, const char *zTbl) {
  JsonLoad j;
  memset(&j, 0, sizeof(j));
  j.p = p;
  sqlite3_stmt *pType = 0;
  int rc = sqlite3_prepare_v2(p->db, "SELECT json_type(?1)", -1, &pType, 0);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(pType, 1, zText, -1, SQLITE_STATIC);
    if (sqlite3_step(pType) != SQLITE_ROW) {
      rc = load_error(p, SQLITE_ERROR, "is not valid JSON: %s", sqlite3_errmsg(p->db));
    } else if (sqlite3_column_type(pType, 0) == SQLITE_NULL ||
               (strcmp((const char *)sqlite3_column_text(pType, 0), "array") != 0 &&
                strcmp((const char *)sqlite3_column_text(pType, 0), "object") != 0)) {
      rc = load_error(p, SQLITE_ERROR, "holds no list or object of records");
    }
  }
  sqlite3_finalize(pType);
  if (rc == SQLITE_OK) {
    rc = sqlite3_prepare_v2(
        p->db,
        "SELECT json_extract(?1, '$.model'), json_extract(?1, '$.pk'), "
        "json_extract(?1, '$.fields')",
        -1, &j.pRecord, 0);
  }
  if (rc == SQLITE_OK) {
    rc = sqlite3_prepare_v2(p->db, "SELECT key, value, type FROM json_each(?1)", -1,
                            &j.pEach, 0);
  }
  if (rc == SQLITE_OK) rc = json_records(&j, zText, zTbl);
  json_fields_clear(&j);
  sqlite3_free(j.azCol);
  sqlite3_free(j.apVal);
  sqlite3_finalize(j.pRecord);
  sqlite3_finalize(j.pEach);
  devdb_map_clear(&j.mModel);
  devdb_map_clear(&j.mField);
  devdb_arena_free(&j.arena);
  return rc;
}

/* ---------------------------------------------------------- the load */

int devdb_load_file(sqlite3 *db, const char *zPath, const char *zTbl,
                    sqlite3_int64 *pnRow, char **pzErr) {
  Load load;
  memset(&load, 0, sizeof(load));
  load.db = db;
  load.zPath = zPath;
  *pzErr = 0;
  int eKind = devdb_has_suffix(zPath, ".sql")    ? 1
              : devdb_has_suffix(zPath, ".csv")  ? 2
              : devdb_has_suffix(zPath, ".json") ? 3
                                                 : 0;
  if (eKind == 0) {
    *pzErr =
        sqlite3_mprintf("cannot tell the format of '%s' (.sql, .csv or .json)", zPath);
    return SQLITE_ERROR;
  }
  char *zText = devdb_read_file(zPath, 0, pzErr);
  if (zText == 0) return SQLITE_ERROR;
  int rc = devdb_exec(db, pzErr, "SAVEPOINT devdb_load; PRAGMA defer_foreign_keys=ON");
  if (rc == SQLITE_OK) {
    rc = eKind == 1   ? load_sql(&load, zText)
         : eKind == 2 ? load_csv(&load, zText, zTbl)
                      : load_json(&load, zText, zTbl);
  }
  cache_clear(&load.cache);
  if (rc == SQLITE_OK && devdb_exec(db, 0, "RELEASE devdb_load") != SQLITE_OK) {
    rc = load_error(&load, SQLITE_CONSTRAINT, "%s", sqlite3_errmsg(db));
  }
  if (rc != SQLITE_OK && *pzErr == 0) {
    devdb_exec(db, 0, "ROLLBACK TO devdb_load; RELEASE devdb_load");
    *pzErr =
        load.zErr ? load.zErr : sqlite3_mprintf("'%s': %s", zPath, sqlite3_errstr(rc));
    load.zErr = 0;
  }
  sqlite3_free(load.zErr);
  sqlite3_free(zText);
  if (pnRow) *pnRow = load.nRow;
  return rc;
}

/* devdb_load(path [, tbl]) */
static void loadFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  const char *zPath = (const char *)sqlite3_value_text(argv[0]);
  const char *zTbl = argc > 1 ? (const char *)sqlite3_value_text(argv[1]) : 0;
  if (zPath == 0) return;
  sqlite3_int64 nRow = 0;
  char *zErr = 0;
  int rc = devdb_load_file(sqlite3_context_db_handle(ctx), zPath, zTbl, &nRow, &zErr);
  if (rc != SQLITE_OK) {
    devdb_result_error(ctx, "devdb_load: %s", zErr ? zErr : sqlite3_errstr(rc));
    sqlite3_free(zErr);
    return;
  }
  sqlite3_result_int64(ctx, nRow);
}

int fixture_register(sqlite3 *db) {
  static const DevdbFunc aFunc[] = {
      {"devdb_load", 1, DEVDB_SIDE_EFFECT, loadFunc},
      {"devdb_load", 2, DEVDB_SIDE_EFFECT, loadFunc},
      {"devdb_dump", 0, DEVDB_SIDE_EFFECT, dumpFunc},
      {"devdb_dump", 1, DEVDB_SIDE_EFFECT, dumpFunc},
  };
  return devdb_register_funcs(db, aFunc, sizeof(aFunc) / sizeof(aFunc[0]));
}
