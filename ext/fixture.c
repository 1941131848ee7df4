/*
** fixture.c: fixtures in and a dump out (the fixture area).
**
**   devdb_load(path [, tbl])   -> rows (records) loaded
**   devdb_dump([source])       -> SQL text that rebuilds the source
**
** devdb_load reads the file by its extension, all of it in one transaction
** (atomic: on any error nothing is loaded; foreign keys are checked at the
** end, as deferred). The write lock comes first: BEGIN IMMEDIATE, waiting
** up to the connection's busy timeout (a savepoint inside the caller's
** transaction), so a concurrent writer makes it wait and a lock it cannot
** get is reported as "database is locked". A NUL byte in the file is an
** error naming its offset (the text after it would be silently dropped).
**   .sql    every statement, in order. BEGIN, COMMIT, END and ROLLBACK
**           statements are skipped (the load is one transaction), so the
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
#include <stdio.h>
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

/* Append value v as an SQL literal that reads back to the same value.
** SQLITE_NOMEM when the value could not be had: never a NULL in its place. */
static int str_literal(sqlite3_str *p, sqlite3_value *v) {
  switch (sqlite3_value_type(v)) {
  case SQLITE_INTEGER:
    sqlite3_str_appendf(p, "%lld", sqlite3_value_int64(v));
    return SQLITE_OK;
  case SQLITE_FLOAT: {
    double r = sqlite3_value_double(v);
    if (isinf(r)) {
      sqlite3_str_appendall(p, r < 0 ? "-1e999" : "1e999");
      return SQLITE_OK;
    }
    char *z = sqlite3_mprintf("%!.15g", r);
    if (z && strtod(z, 0) != r) {
      sqlite3_free(z);
      z = sqlite3_mprintf("%!.17g", r);
    }
    if (z == 0) return SQLITE_NOMEM;
    sqlite3_str_appendall(p, z);
    sqlite3_free(z);
    return SQLITE_OK;
  }
  case SQLITE_TEXT: {
    const char *z = (const char *)sqlite3_value_text(v);
    int n = sqlite3_value_bytes(v);
    if (z == 0) return SQLITE_NOMEM;
    if (memchr(z, 0, n) == 0) {
      sqlite3_str_appendf(p, "%Q", z);
      return SQLITE_OK;
    }
    sqlite3_str_appendall(p, "CAST(X'"); /* a NUL inside: keep every byte */
    for (int i = 0; i < n; i++) sqlite3_str_appendf(p, "%02x", (unsigned char)z[i]);
    sqlite3_str_appendall(p, "' AS TEXT)");
    return SQLITE_OK;
  }
  case SQLITE_BLOB: {
    const unsigned char *a = sqlite3_value_blob(v);
    int n = sqlite3_value_bytes(v);
    if (a == 0 && n > 0) return SQLITE_NOMEM;
    sqlite3_str_appendall(p, "X'");
    for (int i = 0; i < n; i++) sqlite3_str_appendf(p, "%02x", a[i]);
    sqlite3_str_appendall(p, "'");
    return SQLITE_OK;
  }
  default:
    sqlite3_str_appendall(p, "NULL");
    return SQLITE_OK;
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
    if (zCol == 0) {
      rc = SQLITE_NOMEM;
      break;
    }
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
    for (int i = 0; i < sqlite3_column_count(pStmt) && rc == SQLITE_OK; i++) {
      if (i) sqlite3_str_appendchar(p, 1, ',');
      rc = str_literal(p, sqlite3_column_value(pStmt, i));
    }
    sqlite3_str_appendall(p, ");\n");
    if (rc == SQLITE_OK) rc = sqlite3_str_errcode(p);
    if (rc != SQLITE_OK) break;
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
    const char *zSql = (const char *)sqlite3_column_text(pStmt, 1);
    if (zName == 0 || zType == 0 || zSql == 0) {
      rc = SQLITE_NOMEM; /* every table has all three */
      break;
    }
    if (strcmp(zType, "shadow") == 0) {
      /* the virtual table made it; give it the stored content */
      dump_printf(pOut, "DELETE FROM \"%w\";\n", zName);
      dump_rows(pOut, db, zSchema, zName, sqlite3_column_int(pStmt, 3) == 0);
      continue;
    }
    dump_printf(pOut, "%s;\n", zSql);
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

/* sqlite_sequence and sqlite_stat1, when zSchema has them. Whether it has
** them is read, not guessed: a failed read (a lock, an I/O error) is the
** dump's error, never a dump without them. */
static int dump_internal(DumpOut *pOut, sqlite3 *db, const char *zSchema) {
  static const char *const azTable[] = {"sqlite_sequence", "sqlite_stat1"};
  static const char *const azFirst[] = {"DELETE FROM sqlite_sequence;\n",
                                        "ANALYZE sqlite_schema;\n"};
  for (int i = 0; i < 2; i++) {
    sqlite3_int64 n = 0;
    int rc = devdb_query_int_rc(db, 0, &n,
                                "SELECT count(*) FROM \"%w\".sqlite_schema WHERE name=%Q",
                                zSchema, azTable[i]);
    if (rc != SQLITE_OK) return rc;
    if (n == 0) continue;
    dump_printf(pOut, "%s", azFirst[i]);
    dump_rows(pOut, db, zSchema, azTable[i], 0);
  }
  return SQLITE_OK;
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
    sqlite3_int64 iVersion = 0, iAppId = 0;
    rc = devdb_query_int_rc(src.db, 0, &iVersion, "PRAGMA \"%w\".user_version",
                            src.zSchema);
    if (rc == SQLITE_OK) {
      rc = devdb_query_int_rc(src.db, 0, &iAppId, "PRAGMA \"%w\".application_id",
                              src.zSchema);
    }
    dump_printf(&out, "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n");
    dump_printf(&out, "PRAGMA user_version=%lld;\nPRAGMA application_id=%lld;\n",
                iVersion, iAppId);
    if (rc == SQLITE_OK) rc = dump_tables(&out, src.db, src.zSchema, pModel);
    if (rc == SQLITE_OK) rc = dump_internal(&out, src.db, src.zSchema);
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
  int iGen; /* how many times it was emptied: a statement kept elsewhere is
            ** valid while the generation it was had in is */
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
  int rcErr; /* the first error recorded: the load fails whatever follows */
} Load;

static void cache_clear(StmtCache *p) {
  for (int i = 0; i < p->n; i++) {
    sqlite3_free(p->azSql[i]);
    sqlite3_finalize(p->apStmt[i]);
  }
  p->n = 0;
  p->iGen++;
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
  if (p->rcErr == SQLITE_OK) p->rcErr = rc == SQLITE_OK ? SQLITE_ERROR : rc;
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

/* 1 when the count query built printf-style finds a row; 0 when not, or
** when it fails: then the error (a lock, an I/O error) is the load's, and
** is the message, not the "no such table" the caller reports next. */
static int load_exists(Load *p, const char *zFmt, ...) {
  va_list ap;
  va_start(ap, zFmt);
  char *zSql = sqlite3_vmprintf(zFmt, ap);
  va_end(ap);
  sqlite3_int64 n = 0;
  int rc = zSql ? devdb_query_int_rc(p->db, 0, &n, "%s", zSql) : SQLITE_NOMEM;
  sqlite3_free(zSql);
  if (rc != SQLITE_OK) {
    load_error(p, rc, "cannot read the schema: %s",
               rc == SQLITE_NOMEM ? sqlite3_errstr(rc) : sqlite3_errmsg(p->db));
  }
  return n > 0;
}

/* 1 when table zTable of main has column zCol. */
static int has_column(Load *p, const char *zTable, const char *zCol) {
  return load_exists(p,
                     "SELECT count(*) FROM pragma_table_xinfo(%Q, 'main') "
                     "WHERE name=%Q COLLATE NOCASE",
                     zTable, zCol);
}

static int has_table(Load *p, const char *zTable) {
  return load_exists(p,
                     "SELECT count(*) FROM pragma_table_list WHERE schema='main' "
                     "AND name=%Q COLLATE NOCASE",
                     zTable);
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

/* csv_field, with a field whose text could not be kept (out of memory) an
** error, never an empty or NULL field. */
static int csv_next(CsvReader *p) {
  int rc = csv_field(p);
  if (rc == SQLITE_OK && sqlite3_str_errcode(p->pField) != SQLITE_OK) rc = SQLITE_NOMEM;
  return rc;
}

/* Read the header and build the INSERT for table zTable. */
static int csv_header(Load *p, CsvReader *r, const char *zTable, char **pzInsert,
                      int *pnCol) {
  sqlite3_str *pIns = sqlite3_str_new(0), *pVal = sqlite3_str_new(0);
  int rc = SQLITE_OK, nCol = 0;
  sqlite3_str_appendf(pIns, "INSERT INTO main.\"%w\"(", zTable);
  do {
    rc = csv_next(r);
    if (rc != SQLITE_OK) break;
    /* an empty field names the column '' (a legal name) */
    const char *zCol = sqlite3_str_value(r->pField);
    if (zCol == 0) zCol = "";
    if (!has_column(p, zTable, zCol)) {
      rc = load_error(p, SQLITE_ERROR, "line 1: no column '%s' in %s", zCol, zTable);
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
  if (rc == SQLITE_OK && !has_table(p, zTable)) {
    rc =
        load_error(p, SQLITE_ERROR, "fills table %s, and there is no such table", zTable);
  }
  if (rc == SQLITE_OK) rc = csv_header(p, &r, zTable, &zInsert, &nCol);
  if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(p->db, zInsert, -1, &pStmt, 0);
  while (rc == SQLITE_OK && *r.z) {
    int iLine = r.iLine, i = 0;
    for (r.bEol = 0; rc == SQLITE_OK && !r.bEol; i++) {
      rc = csv_next(&r);
      if (rc == SQLITE_ERROR)
        rc = load_error(p, rc, "line %d: unterminated quote", iLine);
      if (rc != SQLITE_OK || i >= nCol) continue;
      const char *z = sqlite3_str_value(r.pField);
      if (z == 0 && !r.bQuoted)
        rc = sqlite3_bind_null(pStmt, i + 1);
      else
        rc = sqlite3_bind_text(pStmt, i + 1, z ? z : "", -1, SQLITE_TRANSIENT);
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

/*
** The whole document is parsed once: json_tree walks it, and records are
** put together from its rows (a record's fields, a many-to-many list's
** items), so no record is parsed or rendered again. Only object and array
** values below a record (a JSONField, a list) are rendered, as JSON text.
*/

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

/* A table records go to: a Django model's, or one named in the file. */
typedef struct TableInfo {
  char *zTable;
  char *zModel;       /* "app.model" for Django records, else NULL */
  char *zPk;          /* the primary key column (Django records) */
  DevdbMap mScalar;   /* field name -> FieldInfo, for a scalar or object */
  DevdbMap mList;     /* field name -> FieldInfo, for a list */
  int nLast, bLastPk; /* the INSERT of the last record: its fields */
  FieldInfo **apLast;
  sqlite3_stmt *pLast; /* owned by the statement cache */
  int iLastGen;        /* the cache's generation pLast is of */
} TableInfo;

/* A field of the record being read. */
typedef struct JsonField {
  char *zKey;
  int bContainer; /* an object or array (pVal is its JSON text) */
  int bList;      /* an array */
  sqlite3_value *pVal;
  int nItem, nItemAlloc; /* a list's items (scalars) */
  sqlite3_value **apItem;
  FieldInfo *pInfo; /* resolved when the record is written */
} JsonField;

/* The record being read. */
typedef struct JsonRecord {
  int iRec;              /* the number of the record (for messages) */
  int bOpen;             /* a record has started and is not written yet */
  char *zModel;          /* Django: "model" */
  sqlite3_value *pPk;    /* Django: "pk" */
  sqlite3_int64 iFields; /* json_tree id of "fields" */
  const char *zTable;    /* a plain row: its table (the file's key or tbl) */
  int nField, nFieldAlloc;
  JsonField *aField; /* Django: the fields; a plain row: its columns */
  int nTop, nTopAlloc;
  JsonField *aTop; /* the record's own members (a plain row's columns) */
} JsonRecord;

/*
** Django records waiting to be inserted by one INSERT of many rows: records
** of one table with the same columns and a pk, and no many-to-many list,
** in file order. One statement per row pays, per row, what SQLite does per
** statement (an AUTOINCREMENT table's sequence looked up and written back,
** the statement started and ended); a batch pays it once.
*/
#define BATCH_ROWS 64
typedef struct JsonBatch {
  TableInfo *pTab;
  int nCol;              /* values per record (the pk first) */
  FieldInfo **apCol;     /* their fields (apCol[0] NULL: the pk) */
  int nRec;              /* records waiting */
  int nRecMax;           /* at most this many (BATCH_ROWS, or fewer for
                         ** SQLite's limit on parameters) */
  int aiRec[BATCH_ROWS]; /* their numbers, for messages */
  sqlite3_value **apVal; /* nRec * nCol values, owned */
} JsonBatch;

typedef struct JsonLoad {
  Load *p;
  DevdbArena arena;
  DevdbMap mTable; /* "m:app.model" / "t:table" -> TableInfo */
  int nTable, nTableAlloc;
  TableInfo **apTable;
  JsonRecord rec;
  sqlite3_value **apBind; /* the values of the INSERT being run */
  FieldInfo **apCols;     /* and their fields */
  int nBindAlloc;
  JsonBatch batch;
} JsonLoad;

static void field_clear(JsonField *f) {
  sqlite3_free(f->zKey);
  sqlite3_value_free(f->pVal);
  for (int i = 0; i < f->nItem; i++) sqlite3_value_free(f->apItem[i]);
  sqlite3_free(f->apItem);
  memset(f, 0, sizeof(*f));
}

static void record_clear(JsonRecord *r) {
  for (int i = 0; i < r->nField; i++) field_clear(&r->aField[i]);
  for (int i = 0; i < r->nTop; i++) field_clear(&r->aTop[i]);
  sqlite3_free(r->zModel);
  sqlite3_value_free(r->pPk);
  r->zModel = 0;
  r->pPk = 0;
  r->nField = r->nTop = 0;
  r->iFields = -1;
  r->zTable = 0;
  r->bOpen = 0;
}

/* A new field zKey = pVal (copied) at the end of *paField. */
static JsonField *field_push(JsonField **paField, int *pn, int *pnAlloc, const char *zKey,
                             sqlite3_value *pVal) {
  if (*pn == *pnAlloc) {
    int nNew = *pnAlloc ? *pnAlloc * 2 : 16;
    JsonField *aNew = sqlite3_realloc64(*paField, sizeof(JsonField) * nNew);
    if (aNew == 0) return 0;
    *paField = aNew;
    *pnAlloc = nNew;
  }
  JsonField *f = &(*paField)[(*pn)++];
  memset(f, 0, sizeof(*f));
  size_t nKey = zKey ? strlen(zKey) : 0;
  f->zKey = sqlite3_malloc64(nKey + 1);
  if (f->zKey) {
    memcpy(f->zKey, zKey ? zKey : "", nKey);
    f->zKey[nKey] = 0;
  }
  f->pVal = sqlite3_value_dup(pVal);
  return f->zKey && f->pVal ? f : 0;
}

/* Add item pVal to the list f. */
static int item_push(JsonField *f, sqlite3_value *pVal) {
  if (f->nItem == f->nItemAlloc) {
    int nNew = f->nItemAlloc ? f->nItemAlloc * 2 : 8;
    sqlite3_value **aNew = sqlite3_realloc64(f->apItem, sizeof(sqlite3_value *) * nNew);
    if (aNew == 0) return SQLITE_NOMEM;
    f->apItem = aNew;
    f->nItemAlloc = nNew;
  }
  f->apItem[f->nItem] = sqlite3_value_dup(pVal);
  return f->apItem[f->nItem++] ? SQLITE_OK : SQLITE_NOMEM;
}

/* Lower-case the ASCII letters of z in place. */
static void lower_ascii(char *z) {
  for (; z && *z; z++) {
    if (*z >= 'A' && *z <= 'Z') *z += 32;
  }
}

/* The TableInfo for Django model zModel or, when zModel is NULL, for table
** zTable; NULL (error recorded) when its table does not exist. */
static TableInfo *json_table(JsonLoad *j, const char *zModel, const char *zTable) {
  char zKey[512];
  snprintf(zKey, sizeof(zKey), "%c:%s", zModel ? 'm' : 't', zModel ? zModel : zTable);
  TableInfo *t = devdb_map_get(&j->mTable, zKey);
  if (t) return t;
  t = devdb_arena_alloc(&j->arena, sizeof(*t));
  char *zStored = devdb_arena_strndup(&j->arena, zKey, -1);
  if (t == 0 || zStored == 0) return 0;
  if (zModel) {
    const char *zDot = strchr(zModel, '.');
    t->zModel = devdb_arena_strndup(&j->arena, zModel, -1);
    t->zTable = zDot ? devdb_arena_printf(&j->arena, "%.*s_%s", (int)(zDot - zModel),
                                          zModel, zDot + 1)
                     : 0;
    lower_ascii(t->zTable);
  } else {
    t->zTable = devdb_arena_strndup(&j->arena, zTable, -1);
  }
  if (t->zTable == 0 || !has_table(j->p, t->zTable)) {
    if (zModel) {
      load_error(j->p, SQLITE_ERROR, "record %d: no table %s for model %s", j->rec.iRec,
                 t->zTable ? t->zTable : "?", zModel);
    } else {
      load_error(j->p, SQLITE_ERROR, "record %d: no table %s", j->rec.iRec, zTable);
    }
    return 0;
  }
  if (zModel) {
    sqlite3_stmt *pStmt = 0;
    int rc = devdb_prepare(j->p->db, &pStmt,
                           "SELECT name FROM pragma_table_info(%Q, 'main') WHERE pk=1",
                           t->zTable);
    if (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
      const char *zPk = (const char *)sqlite3_column_text(pStmt, 0);
      t->zPk = zPk ? devdb_arena_strndup(&j->arena, zPk, -1) : 0;
      if (t->zPk == 0) rc = SQLITE_NOMEM;
    }
    int rc2 = sqlite3_finalize(pStmt);
    if (rc == SQLITE_OK) rc = rc2;
    if (rc != SQLITE_OK) {
      load_error(j->p, rc, "record %d: cannot read the primary key of %s: %s",
                 j->rec.iRec, t->zTable, sqlite3_errstr(rc));
      return 0;
    }
    if (t->zPk == 0) t->zPk = "id";
  }
  if (j->nTable == j->nTableAlloc) {
    int nNew = j->nTableAlloc ? j->nTableAlloc * 2 : 16;
    TableInfo **aNew = sqlite3_realloc64(j->apTable, sizeof(TableInfo *) * nNew);
    if (aNew == 0) return 0;
    j->apTable = aNew;
    j->nTableAlloc = nNew;
  }
  j->apTable[j->nTable++] = t;
  return devdb_map_put(&j->mTable, zStored, t) == SQLITE_OK ? t : 0;
}

/* The conversion Django applies to values of column zCol of zTable, by
** the type its SQLite backend declares: datetime, and char(32) (UUID). */
static int field_conv(sqlite3 *db, const char *zTable, const char *zCol, int *peConv) {
  sqlite3_stmt *pStmt = 0;
  *peConv = CONV_NONE;
  int rc = devdb_prepare(db, &pStmt,
                         "SELECT lower(type) FROM pragma_table_info(%Q, 'main') WHERE "
                         "name=%Q COLLATE NOCASE",
                         zTable, zCol);
  if (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    int eType = sqlite3_column_type(pStmt, 0);
    const char *zType = (const char *)sqlite3_column_text(pStmt, 0);
    if (zType == 0 && eType != SQLITE_NULL) rc = SQLITE_NOMEM;
    if (zType && strcmp(zType, "datetime") == 0) *peConv = CONV_DATETIME;
    if (zType && strcmp(zType, "char(32)") == 0) *peConv = CONV_UUID;
  }
  int rc2 = sqlite3_finalize(pStmt);
  return rc == SQLITE_OK ? rc2 : rc;
}

/* The columns of Django's many-to-many table f->zThrough for model t:
** from_<model>_id/to_<model>_id when it relates a model to itself, else
** <model>_id and the other one. */
static int m2m_columns(JsonLoad *j, FieldInfo *f, const TableInfo *t) {
  const char *zDot = strrchr(t->zModel, '.');
  char *zName = devdb_arena_printf(&j->arena, "%s", zDot ? zDot + 1 : t->zModel);
  lower_ascii(zName);
  if (zName == 0) return SQLITE_NOMEM;
  f->zFrom = devdb_arena_printf(&j->arena, "from_%s_id", zName);
  f->zTo = devdb_arena_printf(&j->arena, "to_%s_id", zName);
  if (f->zFrom && has_column(j->p, f->zThrough, f->zFrom)) return SQLITE_OK;
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
  return f->zFrom && f->zTo && has_column(j->p, f->zThrough, f->zFrom) ? SQLITE_OK
                                                                       : SQLITE_ERROR;
}

/*
** How field zField of a record for t reaches the database, or NULL when it
** cannot. A Django field may be the column itself, field_id (a foreign
** key), or for a list the table t_field (many-to-many); a plain row's field
** is its column.
*/
static FieldInfo *json_field(JsonLoad *j, TableInfo *t, const char *zField, int bList) {
  DevdbMap *pMap = bList ? &t->mList : &t->mScalar;
  FieldInfo *f = devdb_map_get(pMap, zField);
  if (f) return f->eKind ? f : 0;
  f = devdb_arena_alloc(&j->arena, sizeof(*f));
  char *zKey = devdb_arena_strndup(&j->arena, zField, -1);
  if (f == 0 || zKey == 0) return 0;
  sqlite3 *db = j->p->db;
  if (has_column(j->p, t->zTable, zField)) {
    f->eKind = FIELD_COLUMN;
    f->zCol = zKey;
  } else if (t->zModel && !bList &&
             (f->zCol = devdb_arena_printf(&j->arena, "%s_id", zField)) != 0 &&
             has_column(j->p, t->zTable, f->zCol)) {
    f->eKind = FIELD_FK;
  } else if (t->zModel && bList &&
             (f->zThrough = devdb_arena_printf(&j->arena, "%s_%s", t->zTable, zField)) !=
                 0 &&
             has_table(j->p, f->zThrough) && m2m_columns(j, f, t) == SQLITE_OK) {
    f->eKind = FIELD_M2M;
  }
  if (t->zModel && f->zCol && f->eKind) {
    int rc = field_conv(db, t->zTable, f->zCol, &f->eConv);
    if (rc != SQLITE_OK) {
      load_error(j->p, rc, "cannot read the type of %s.%s: %s", t->zTable, f->zCol,
                 sqlite3_errstr(rc));
      return 0;
    }
  }
  if (devdb_map_put(pMap, zKey, f) != SQLITE_OK) {
    load_error(j->p, SQLITE_NOMEM, "%s", sqlite3_errstr(SQLITE_NOMEM));
    return 0;
  }
  return f->eKind ? f : 0;
}

/*
** Django's stored form of a fixture datetime "YYYY-MM-DDTHH:MM:SS[.fff][Z|
** +HH:MM]": UTC as "YYYY-MM-DD HH:MM:SS[.ffffff]". NULL when z is not one,
** or when the conversion failed (*pRc the error: out of memory).
*/
static char *django_datetime(sqlite3 *db, const char *z, int *pRc) {
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
      !(strlen(zTz) == 6 && (zTz[0] == '+' || zTz[0] == '-'))) {
    return 0;
  }
  char *zOut = 0;
  sqlite3_stmt *pStmt = 0;
  int rc =
      sqlite3_prepare_v2(db, "SELECT strftime('%Y-%m-%d %H:%M:%S', ?1)", -1, &pStmt, 0);
  if (rc == SQLITE_OK) {
    char *zIn = sqlite3_mprintf("%.10s %.8s%s", z, z + 11, strcmp(zTz, "Z") ? zTz : "");
    rc = zIn ? sqlite3_bind_text(pStmt, 1, zIn, -1, sqlite3_free) : SQLITE_NOMEM;
  }
  if (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW &&
      sqlite3_column_type(pStmt, 0) == SQLITE_TEXT) {
    const char *zDay = (const char *)sqlite3_column_text(pStmt, 0);
    zOut = zDay ? sqlite3_mprintf("%s%s%s", zDay, zFrac[0] ? "." : "", zFrac) : 0;
    if (zOut == 0) rc = SQLITE_NOMEM;
  }
  int rc2 = sqlite3_finalize(pStmt);
  if (rc == SQLITE_OK) rc = rc2;
  if (rc != SQLITE_OK) {
    sqlite3_free(zOut);
    zOut = 0;
    *pRc = rc;
  }
  return zOut;
}

/* Django's stored form of a UUID "8-4-4-4-12": the 32 hex digits. NULL when
** z is not one, or out of memory (*pRc SQLITE_NOMEM). */
static char *django_uuid(const char *z, int *pRc) {
  if (strlen(z) != 36 || z[8] != '-' || z[13] != '-' || z[18] != '-' || z[23] != '-') {
    return 0;
  }
  char *zOut = sqlite3_mprintf("%.8s%.4s%.4s%.4s%.12s", z, z + 9, z + 14, z + 19, z + 24);
  if (zOut == 0) *pRc = SQLITE_NOMEM;
  return zOut;
}

/* Bind v to parameter i of pStmt, converted as f says. */
static int bind_field(sqlite3 *db, sqlite3_stmt *pStmt, int i, const FieldInfo *f,
                      sqlite3_value *v) {
  char *z = 0;
  int rc = SQLITE_OK;
  if (f && f->eConv && sqlite3_value_type(v) == SQLITE_TEXT) {
    const char *zIn = (const char *)sqlite3_value_text(v);
    if (zIn == 0) return SQLITE_NOMEM;
    z = f->eConv == CONV_DATETIME ? django_datetime(db, zIn, &rc) : django_uuid(zIn, &rc);
    if (rc != SQLITE_OK) return rc;
  }
  if (z) return sqlite3_bind_text(pStmt, i, z, -1, sqlite3_free);
  return sqlite3_bind_value(pStmt, i, v);
}

/*
** The INSERT of nRow rows for the columns apCol[0..n) of t (bPk: apCol[0]
** is NULL and stands for the primary key, and an existing row of that key
** is updated), sqlite3_malloc'd.
*/
static char *insert_sql(TableInfo *t, FieldInfo **apCol, int n, int bPk, int nRow) {
  sqlite3_str *p = sqlite3_str_new(0);
  sqlite3_str_appendf(p, "INSERT INTO main.\"%w\"%s", t->zTable, n ? "(" : "");
  for (int i = 0; i < n; i++) {
    sqlite3_str_appendf(p, "%s\"%w\"", i ? "," : "", apCol[i] ? apCol[i]->zCol : t->zPk);
  }
  sqlite3_str_appendall(p, n ? ") VALUES" : " DEFAULT VALUES");
  for (int r = 0; n && r < nRow; r++) {
    sqlite3_str_appendall(p, r ? ",(" : "(");
    for (int i = 0; i < n; i++) sqlite3_str_appendall(p, i ? ",?" : "?");
    sqlite3_str_appendall(p, ")");
  }
  if (bPk && n > 1) {
    sqlite3_str_appendf(p, " ON CONFLICT(\"%w\") DO UPDATE SET ", t->zPk);
    for (int i = 1; i < n; i++) {
      sqlite3_str_appendf(p, "%s\"%w\"=excluded.\"%w\"", i > 1 ? "," : "", apCol[i]->zCol,
                          apCol[i]->zCol);
    }
  } else if (bPk) {
    sqlite3_str_appendall(p, " ON CONFLICT DO NOTHING");
  }
  return sqlite3_str_finish(p);
}

/*
** The INSERT of one row for the columns apCol[0..n) of t (see insert_sql),
** reused while records keep the same fields.
*/
static int insert_stmt(JsonLoad *j, TableInfo *t, FieldInfo **apCol, int n, int bPk,
                       sqlite3_stmt **ppStmt) {
  if (t->pLast && t->iLastGen == j->p->cache.iGen && t->nLast == n && t->bLastPk == bPk &&
      memcmp(t->apLast, apCol, sizeof(FieldInfo *) * n) == 0) {
    *ppStmt = t->pLast;
    return SQLITE_OK;
  }
  char *zSql = insert_sql(t, apCol, n, bPk, 1);
  int rc = zSql ? cache_get(j->p, zSql, ppStmt) : SQLITE_NOMEM;
  sqlite3_free(zSql);
  FieldInfo **apLast = rc == SQLITE_OK && n > 0
                           ? sqlite3_realloc64(t->apLast, sizeof(FieldInfo *) * n)
                           : t->apLast;
  if (rc == SQLITE_OK && n > 0 && apLast == 0) rc = SQLITE_NOMEM;
  if (rc == SQLITE_OK) {
    t->apLast = apLast;
    if (n) memcpy(apLast, apCol, sizeof(FieldInfo *) * n);
    t->nLast = n;
    t->bLastPk = bPk;
    t->pLast = *ppStmt;
    t->iLastGen = j->p->cache.iGen;
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

/* Give the many-to-many table of f exactly the items of list pList for the
** object whose key is pKey. */
static int json_m2m(JsonLoad *j, const FieldInfo *f, sqlite3_value *pKey,
                    const JsonField *pList) {
  int rc = json_exec2(j, pKey, 0, "DELETE FROM main.\"%w\" WHERE \"%w\"=?1", f->zThrough,
                      f->zFrom);
  for (int i = 0; rc == SQLITE_OK && i < pList->nItem; i++) {
    rc = json_exec2(j, pKey, pList->apItem[i],
                    "INSERT INTO main.\"%w\"(\"%w\", \"%w\") VALUES(?1, ?2)", f->zThrough,
                    f->zFrom, f->zTo);
  }
  return rc;
}

/* Room for n values to bind. */
static int bind_room(JsonLoad *j, int n) {
  if (n <= j->nBindAlloc) return SQLITE_OK;
  int nNew = n + 16;
  sqlite3_value **apBind = sqlite3_realloc64(j->apBind, sizeof(sqlite3_value *) * nNew);
  if (apBind) j->apBind = apBind;
  FieldInfo **apCols = sqlite3_realloc64(j->apCols, sizeof(FieldInfo *) * nNew);
  if (apCols) j->apCols = apCols;
  if (apBind == 0 || apCols == 0) return SQLITE_NOMEM;
  j->nBindAlloc = nNew;
  return SQLITE_OK;
}

/* Insert the values apBind[0..n) of columns apCols[0..n) into t. */
static int json_insert(JsonLoad *j, TableInfo *t, int n, int bPk) {
  sqlite3_stmt *pStmt = 0;
  int rc = insert_stmt(j, t, j->apCols, n, bPk, &pStmt);
  for (int i = 0; rc == SQLITE_OK && i < n; i++) {
    rc = bind_field(j->p->db, pStmt, i + 1, j->apCols[i], j->apBind[i]);
  }
  if (rc == SQLITE_OK) {
    sqlite3_step(pStmt);
    rc = sqlite3_reset(pStmt);
  }
  return rc;
}

/* Forget the records of the batch, freeing their values. */
static void batch_reset(JsonBatch *b) {
  for (int i = 0; i < b->nRec * b->nCol; i++) sqlite3_value_free(b->apVal[i]);
  b->nRec = 0;
}

static void batch_free(JsonBatch *b) {
  batch_reset(b);
  sqlite3_free(b->apVal);
  sqlite3_free(b->apCol);
  memset(b, 0, sizeof(*b));
}

/* Insert record k of the batch alone; its error names it. */
static int batch_one(JsonLoad *j, int k) {
  JsonBatch *b = &j->batch;
  sqlite3_value **apVal = &b->apVal[k * b->nCol];
  sqlite3_stmt *pStmt = 0;
  int rc = insert_stmt(j, b->pTab, b->apCol, b->nCol, 1, &pStmt);
  for (int i = 0; rc == SQLITE_OK && i < b->nCol; i++) {
    rc = bind_field(j->p->db, pStmt, i + 1, b->apCol[i], apVal[i]);
  }
  if (rc == SQLITE_OK) {
    sqlite3_step(pStmt);
    rc = sqlite3_reset(pStmt);
  }
  if (rc != SQLITE_OK) {
    const char *zPk = (const char *)sqlite3_value_text(apVal[0]);
    rc = load_error(j->p, rc, "record %d (%s pk %s): %s", b->aiRec[k], b->pTab->zModel,
                    zPk ? zPk : "none", sqlite3_errmsg(j->p->db));
  }
  return rc;
}

/*
** Insert the records of the batch: a full batch with one INSERT of
** BATCH_ROWS rows, fewer one by one. When the INSERT of many rows fails,
** SQLite has undone it (a statement is atomic): its records are then
** inserted one by one, so the error names the record that has it.
*/
static int batch_flush(JsonLoad *j) {
  JsonBatch *b = &j->batch;
  int rc = SQLITE_OK, bDone = 0;
  if (b->nRec == 0) return SQLITE_OK;
  if (b->nRec == b->nRecMax && b->nRec > 1) {
    sqlite3_stmt *pStmt = 0;
    char *zSql = insert_sql(b->pTab, b->apCol, b->nCol, 1, b->nRec);
    rc = zSql ? cache_get(j->p, zSql, &pStmt) : SQLITE_NOMEM;
    sqlite3_free(zSql);
    for (int i = 0; rc == SQLITE_OK && i < b->nRec * b->nCol; i++) {
      rc = bind_field(j->p->db, pStmt, i + 1, b->apCol[i % b->nCol], b->apVal[i]);
    }
    if (rc == SQLITE_OK) {
      sqlite3_step(pStmt);
      rc = sqlite3_reset(pStmt);
      bDone = rc == SQLITE_OK;
    }
  }
  if (!bDone && rc != SQLITE_OK && sqlite3_get_autocommit(j->p->db)) {
    /* SQLite rolled the whole transaction back (an I/O error, a full
    ** disk): nothing is run outside it */
    const char *zPk = (const char *)sqlite3_value_text(b->apVal[0]);
    rc = load_error(j->p, rc, "record %d (%s pk %s): %s", b->aiRec[0], b->pTab->zModel,
                    zPk ? zPk : "none", sqlite3_errmsg(j->p->db));
  } else if (rc == SQLITE_NOMEM) {
    rc = load_error(j->p, rc, "%s", sqlite3_errstr(rc));
  } else {
    rc = SQLITE_OK;
  }
  for (int k = 0; rc == SQLITE_OK && !bDone && k < b->nRec; k++) rc = batch_one(j, k);
  batch_reset(b);
  return rc;
}

/*
** Add the record whose values are j->apBind[0..n) (the pk first) for the
** columns j->apCols[0..n) of t to the batch, taking the values (*pbTaken);
** the batch is inserted first when it holds other columns or another
** table, and when it is full after.
*/
static int batch_add(JsonLoad *j, TableInfo *t, int n, int iRec, int *pbTaken) {
  JsonBatch *b = &j->batch;
  int rc = SQLITE_OK;
  if (b->nRec > 0 && (b->pTab != t || b->nCol != n ||
                      memcmp(b->apCol, j->apCols, sizeof(FieldInfo *) * n) != 0)) {
    rc = batch_flush(j);
  }
  if (rc == SQLITE_OK && b->nRec == 0 && (b->pTab != t || b->nCol != n)) {
    int nVar = sqlite3_limit(j->p->db, SQLITE_LIMIT_VARIABLE_NUMBER, -1);
    FieldInfo **apCol = sqlite3_realloc64(b->apCol, sizeof(FieldInfo *) * n);
    sqlite3_value **apVal =
        apCol ? sqlite3_realloc64(b->apVal, sizeof(sqlite3_value *) * n * BATCH_ROWS) : 0;
    if (apCol) b->apCol = apCol;
    if (apVal) b->apVal = apVal;
    if (apCol == 0 || apVal == 0) {
      b->pTab = 0;
      b->nCol = 0;
      return load_error(j->p, SQLITE_NOMEM, "%s", sqlite3_errstr(SQLITE_NOMEM));
    }
    b->pTab = t;
    b->nCol = n;
    b->nRecMax = nVar / n < BATCH_ROWS ? nVar / n : BATCH_ROWS;
    if (b->nRecMax < 1) b->nRecMax = 1;
  }
  if (rc != SQLITE_OK) return rc;
  memcpy(b->apCol, j->apCols, sizeof(FieldInfo *) * n);
  memcpy(&b->apVal[b->nRec * n], j->apBind, sizeof(sqlite3_value *) * n);
  b->aiRec[b->nRec++] = iRec;
  *pbTaken = 1;
  return b->nRec == b->nRecMax ? batch_flush(j) : SQLITE_OK;
}

/*
** Write the record j->rec read in Django's format: into the batch when it
** has a pk and no many-to-many list, else at once (after the batch, so
** records reach the database, and their errors are seen, in file order).
*/
static int write_django(JsonLoad *j) {
  JsonRecord *r = &j->rec;
  Load *p = j->p;
  /* the pk's type before its text: a failed conversion makes it NULL */
  int bPk = r->pPk && sqlite3_value_type(r->pPk) != SQLITE_NULL, n = 0, bM2m = 0;
  const char *zPk = r->pPk ? (const char *)sqlite3_value_text(r->pPk) : 0;
  if (bPk && zPk == 0)
    return load_error(p, SQLITE_NOMEM, "%s", sqlite3_errstr(SQLITE_NOMEM));
  int rc = SQLITE_OK;
  if (j->batch.nRec > 0 && strcmp(j->batch.pTab->zModel, r->zModel) != 0) {
    rc = batch_flush(j); /* before another model's table is looked up */
    if (rc != SQLITE_OK) return rc;
  }
  TableInfo *t = json_table(j, r->zModel, 0);
  if (t == 0) return SQLITE_ERROR;
  rc = bind_room(j, r->nField + 1);
  if (rc == SQLITE_OK && bPk) {
    j->apCols[n] = 0;
    j->apBind[n++] = r->pPk;
  }
  for (int i = 0; rc == SQLITE_OK && i < r->nField; i++) {
    JsonField *f = &r->aField[i];
    f->pInfo = json_field(j, t, f->zKey, f->bList);
    if (f->pInfo == 0) {
      if ((rc = batch_flush(j)) != SQLITE_OK) return rc; /* an earlier record's */
      return load_error(p, SQLITE_ERROR, "record %d (%s pk %s) field '%s': %s", r->iRec,
                        r->zModel, zPk ? zPk : "none", f->zKey,
                        f->bList ? "a list, but no many-to-many table for it (natural "
                                   "keys are not supported)"
                                 : "no such column (nor a foreign key column ..._id)");
    }
    if (f->pInfo->eKind == FIELD_M2M) {
      bM2m = 1;
      continue;
    }
    j->apCols[n] = f->pInfo;
    j->apBind[n++] = f->pVal;
  }
  if (rc == SQLITE_OK && bPk && !bM2m) {
    int bTaken = 0;
    rc = batch_add(j, t, n, r->iRec, &bTaken);
    if (bTaken) { /* the batch owns the values now */
      r->pPk = 0;
      for (int i = 0; i < r->nField; i++) r->aField[i].pVal = 0;
    }
    if (rc == SQLITE_OK) p->nRow++;
    return rc;
  }
  if (rc == SQLITE_OK) rc = batch_flush(j);
  if (rc != SQLITE_OK) return rc;
  rc = json_insert(j, t, n, bPk);
  if (rc != SQLITE_OK) {
    return load_error(p, rc, "record %d (%s pk %s): %s", r->iRec, r->zModel,
                      zPk ? zPk : "none", sqlite3_errmsg(p->db));
  }
  if (bM2m) {
    sqlite3_value *pKey = bPk ? sqlite3_value_dup(r->pPk) : 0;
    if (!bPk) {
      sqlite3_stmt *pId = 0;
      if (sqlite3_prepare_v2(p->db, "SELECT last_insert_rowid()", -1, &pId, 0) ==
              SQLITE_OK &&
          sqlite3_step(pId) == SQLITE_ROW) {
        pKey = sqlite3_value_dup(sqlite3_column_value(pId, 0));
      }
      sqlite3_finalize(pId);
    }
    if (pKey == 0) {
      rc = load_error(p, SQLITE_NOMEM, "record %d (%s pk %s): cannot keep its key: %s",
                      r->iRec, r->zModel, zPk ? zPk : "none",
                      sqlite3_errstr(SQLITE_NOMEM));
    }
    for (int i = 0; rc == SQLITE_OK && i < r->nField; i++) {
      JsonField *f = &r->aField[i];
      if (f->pInfo->eKind != FIELD_M2M) continue;
      rc = json_m2m(j, f->pInfo, pKey, f);
      if (rc != SQLITE_OK) {
        rc = load_error(p, rc, "record %d (%s pk %s) field '%s': %s", r->iRec, r->zModel,
                        zPk ? zPk : "none", f->zKey, sqlite3_errmsg(p->db));
      }
    }
    sqlite3_value_free(pKey);
  }
  p->nRow++;
  return rc;
}

/* Write the record j->rec as a row of its table (or zTbl). */
static int write_row(JsonLoad *j, const char *zTbl) {
  JsonRecord *r = &j->rec;
  const char *zTable = r->zTable ? r->zTable : zTbl;
  if (zTable == 0) {
    return load_error(j->p, SQLITE_ERROR,
                      "record %d has no \"model\" (Django's format) and "
                      "no table was given",
                      r->iRec);
  }
  int rc = batch_flush(j); /* Django's records before it go in first */
  if (rc != SQLITE_OK) return rc;
  TableInfo *t = json_table(j, 0, zTable);
  if (t == 0) return SQLITE_ERROR;
  rc = bind_room(j, r->nTop);
  for (int i = 0; rc == SQLITE_OK && i < r->nTop; i++) {
    JsonField *f = &r->aTop[i];
    j->apCols[i] = json_field(j, t, f->zKey, 0);
    j->apBind[i] = f->pVal;
    if (j->apCols[i] == 0) {
      return load_error(j->p, SQLITE_ERROR, "record %d field '%s': no column %s in %s",
                        r->iRec, f->zKey, f->zKey, zTable);
    }
  }
  if (rc == SQLITE_OK) rc = json_insert(j, t, r->nTop, 0);
  if (rc != SQLITE_OK) {
    return load_error(j->p, rc, "record %d (%s): %s", r->iRec, zTable,
                      sqlite3_errmsg(j->p->db));
  }
  j->p->nRow++;
  return SQLITE_OK;
}

/* Write the record read so far, if any, and forget it. */
static int record_end(JsonLoad *j, const char *zTbl) {
  int rc = SQLITE_OK;
  if (j->rec.bOpen && j->p->zErr == 0) {
    rc = j->rec.zModel ? write_django(j) : write_row(j, zTbl);
  }
  record_clear(&j->rec);
  return rc;
}

/* The depth of the json_tree row whose parent is iParent; aStack holds the
** ids of the open containers by depth. */
typedef struct TreeStack {
  sqlite3_int64 aId[8];
  int n;
} TreeStack;

static int tree_depth(TreeStack *s, int bRoot, sqlite3_int64 iParent) {
  if (bRoot) return s->n = 0;
  while (s->n > 0 && s->aId[s->n - 1] != iParent) s->n--;
  return s->n;
}

/*
** One json_tree row: id, depth, key, type, atom (the SQL value of a
** scalar) and for a container below a record its JSON text.
*/
static int tree_row(JsonLoad *j, sqlite3_stmt *pTree, int bArray, int iDepth,
                    const char *zTbl) {
  JsonRecord *r = &j->rec;
  /* a value whose text cannot be made (out of memory) turns NULL: its type
  ** is read first */
  int eKey = sqlite3_column_type(pTree, 2);
  const char *zKey = (const char *)sqlite3_column_text(pTree, 2);
  const char *zType = (const char *)sqlite3_column_text(pTree, 3);
  if (zType == 0 || (zKey == 0 && eKey != SQLITE_NULL)) {
    return SQLITE_NOMEM;
  }
  if (zKey == 0) zKey = "";
  int bContainer = zType[0] == 'o' || zType[0] == 'a';
  sqlite3_value *pAtom = sqlite3_column_value(pTree, bContainer ? 5 : 4);
  int iRecDepth = bArray ? 1 : 2; /* where records are */
  if (!bArray && iDepth == 1) {
    if (zType[0] != 'a') {
      return load_error(j->p, SQLITE_ERROR, "\"%s\" is not a list of rows of a table",
                        zKey);
    }
    int rc = record_end(j, zTbl);
    r->zTable = devdb_arena_strndup(&j->arena, zKey, -1);
    return rc == SQLITE_OK && r->zTable == 0 ? SQLITE_NOMEM : rc;
  }
  if (iDepth == iRecDepth) {
    const char *zTable = bArray ? 0 : r->zTable;
    int iRec = r->iRec + 1, rc = record_end(j, zTbl);
    r->iRec = iRec;
    r->zTable = zTable;
    r->bOpen = 1;
    if (rc == SQLITE_OK && zType[0] != 'o') {
      rc = load_error(j->p, SQLITE_ERROR, "record %d is not an object", iRec);
    }
    return rc;
  }
  if (iDepth == iRecDepth + 1) {
    /* a key repeated in a record: the last one counts, as in JSON parsers */
    if (bArray && strcmp(zKey, "model") == 0 && !bContainer) {
      int eModel = sqlite3_value_type(pAtom);
      const char *zModel = (const char *)sqlite3_value_text(pAtom);
      if (zModel == 0 && eModel != SQLITE_NULL) return SQLITE_NOMEM;
      sqlite3_free(r->zModel);
      r->zModel = sqlite3_mprintf("%s", zModel);
      if (r->zModel == 0) return SQLITE_NOMEM;
    } else if (bArray && strcmp(zKey, "pk") == 0 && !bContainer) {
      sqlite3_value_free(r->pPk);
      r->pPk = sqlite3_value_dup(pAtom);
      if (r->pPk == 0) return SQLITE_NOMEM;
    } else if (bArray && strcmp(zKey, "fields") == 0 && zType[0] == 'o') {
      r->iFields = sqlite3_column_int64(pTree, 0);
    }
    /* the record's own members are a plain row's columns: a record with a
    ** "model" is Django's, whose are not kept */
    if (r->zModel) return SQLITE_OK;
    JsonField *f = field_push(&r->aTop, &r->nTop, &r->nTopAlloc, zKey, pAtom);
    if (f == 0) return SQLITE_NOMEM;
    f->bContainer = bContainer;
    return SQLITE_OK;
  }
  if (bArray && iDepth == iRecDepth + 2 && sqlite3_column_int64(pTree, 1) == r->iFields) {
    JsonField *f = field_push(&r->aField, &r->nField, &r->nFieldAlloc, zKey, pAtom);
    if (f == 0) return SQLITE_NOMEM;
    f->bContainer = bContainer;
    f->bList = zType[0] == 'a';
    return SQLITE_OK;
  }
  if (bArray && iDepth == iRecDepth + 3 && r->nField > 0 && !bContainer) {
    JsonField *f = &r->aField[r->nField - 1];
    if (f->bList) return item_push(f, pAtom);
  }
  return SQLITE_OK; /* deeper: inside a value already rendered */
}

/* Read the records of the JSON array or object zText. */
static int json_records(JsonLoad *j, const char *zText, const char *zTbl, int bArray) {
  sqlite3_stmt *pTree = 0;
  /* value is asked only of containers below the record level, so records
  ** and the document are never rendered: in a list, those whose parent is
  ** not the root (id 0), which costs no path; in an object of tables, those
  ** whose path has a subscript */
  int rc =
      sqlite3_prepare_v2(j->p->db,
                         bArray ? "SELECT id, parent, key, type, atom, CASE WHEN type "
                                  "IN ('object','array') AND parent > 0 THEN value "
                                  "END FROM json_tree(?1)"
                                : "SELECT id, parent, key, type, atom, CASE WHEN type "
                                  "IN ('object','array') AND (path GLOB '$[[]*' OR "
                                  "path GLOB '$.*[[]*') THEN value END FROM "
                                  "json_tree(?1)",
                         -1, &pTree, 0);
  TreeStack stack = {{0}, 0};
  if (rc == SQLITE_OK) rc = sqlite3_bind_text(pTree, 1, zText, -1, SQLITE_STATIC);
  while (rc == SQLITE_OK && sqlite3_step(pTree) == SQLITE_ROW) {
    int bRoot = sqlite3_column_type(pTree, 1) == SQLITE_NULL;
    int iDepth = tree_depth(&stack, bRoot, sqlite3_column_int64(pTree, 1));
    const char *zType = (const char *)sqlite3_column_text(pTree, 3);
    if (zType == 0) {
      rc = SQLITE_NOMEM;
      break;
    }
    if ((zType[0] == 'o' || zType[0] == 'a') && stack.n < 8) {
      stack.aId[stack.n++] = sqlite3_column_int64(pTree, 0);
    }
    rc = tree_row(j, pTree, bArray, iDepth, zTbl);
  }
  if (rc == SQLITE_OK) rc = record_end(j, zTbl);
  if (rc == SQLITE_OK) rc = batch_flush(j);
  if (rc == SQLITE_OK && (rc = sqlite3_finalize(pTree)) != SQLITE_OK) {
    rc = load_error(j->p, rc, "is not valid JSON: %s", sqlite3_errmsg(j->p->db));
  } else if (rc != SQLITE_OK) {
    sqlite3_finalize(pTree);
  }
  return rc;
}

static int load_json(Load *p, const char *zText, const char *zTbl) {
  JsonLoad j;
  memset(&j, 0, sizeof(j));
  j.p = p;
  j.rec.iFields = -1;
  /* the first character says list or object; json_tree's one parse finds
  ** any error (a separate json_type would parse the whole text again) */
  const char *z = zText;
  while (*z == ' ' || *z == '\t' || *z == '\n' || *z == '\r') z++;
  int rc = SQLITE_OK, bArray = *z == '[';
  if (*z != '[' && *z != '{') {
    rc = load_error(p, SQLITE_ERROR, "holds no list or object of records");
  }
  if (rc == SQLITE_OK) rc = json_records(&j, zText, zTbl, bArray);
  record_clear(&j.rec);
  sqlite3_free(j.rec.aField);
  sqlite3_free(j.rec.aTop);
  for (int i = 0; i < j.nTable; i++) {
    devdb_map_clear(&j.apTable[i]->mScalar);
    devdb_map_clear(&j.apTable[i]->mList);
    sqlite3_free(j.apTable[i]->apLast);
  }
  sqlite3_free(j.apTable);
  batch_free(&j.batch);
  sqlite3_free(j.apBind);
  sqlite3_free(j.apCols);
  devdb_map_clear(&j.mTable);
  devdb_arena_free(&j.arena);
  return rc;
}

/* ---------------------------------------------------------- the load */

/* *pn gets the rows of main whose foreign key points at no row. */
static int count_orphans(Load *p, sqlite3_int64 *pn) {
  int rc = devdb_query_int_rc(p->db, 0, pn,
                              "SELECT count(*) FROM main.pragma_foreign_key_check");
  if (rc != SQLITE_OK) {
    return load_error(p, rc, "cannot check foreign keys: %s", sqlite3_errmsg(p->db));
  }
  return SQLITE_OK;
}

/* An error when the load added rows whose foreign key points at nothing. */
static int check_new_orphans(Load *p, sqlite3_int64 nBefore) {
  sqlite3_int64 nAfter = 0;
  int rc = count_orphans(p, &nAfter);
  if (rc != SQLITE_OK || nAfter <= nBefore) return rc;
  sqlite3_stmt *pStmt = 0;
  const char *zTab = "?", *zParent = "?";
  sqlite3_int64 iRow = 0;
  if (devdb_prepare(
          p->db, &pStmt,
          "SELECT \"table\", rowid, parent FROM main.pragma_foreign_key_check") ==
          SQLITE_OK &&
      sqlite3_step(pStmt) == SQLITE_ROW) {
    zTab = (const char *)sqlite3_column_text(pStmt, 0);
    iRow = sqlite3_column_int64(pStmt, 1);
    zParent = (const char *)sqlite3_column_text(pStmt, 2);
  }
  rc = load_error(p, SQLITE_CONSTRAINT,
                  "adds %lld row%s whose foreign key points at no row (e.g. %s rowid "
                  "%lld, parent %s)",
                  nAfter - nBefore, nAfter - nBefore == 1 ? "" : "s", zTab ? zTab : "?",
                  iRow, zParent ? zParent : "?");
  sqlite3_finalize(pStmt);
  return rc;
}

/*
** Start the load's write before it reads anything. Outside a transaction
** BEGIN IMMEDIATE, waiting for the write lock as the migration runner does
** (devdb_exec_retry), up to the connection's busy timeout: a concurrent
** writer makes it wait, where a read that upgrades to a write would fail at
** once, and no read of the schema is taken for "no such table" while
** another connection holds the lock. Inside the caller's transaction a
** savepoint. *pbOwn says which.
*/
static int load_begin(Load *p, int *pbOwn, char **pzErr) {
  *pbOwn = sqlite3_get_autocommit(p->db);
  int rc = SQLITE_OK;
  if (*pbOwn) {
    int msTimeout = (int)devdb_query_int(p->db, 0, "PRAGMA busy_timeout");
    rc = devdb_exec_retry(p->db, msTimeout, "BEGIN IMMEDIATE");
  } else {
    rc = sqlite3_exec(p->db, "SAVEPOINT devdb_load", 0, 0, 0);
  }
  if (rc == SQLITE_OK) {
    rc = sqlite3_exec(p->db, "PRAGMA defer_foreign_keys=ON", 0, 0, 0);
    if (rc != SQLITE_OK) {
      *pzErr = sqlite3_mprintf("'%s' %s", p->zPath, sqlite3_errmsg(p->db));
      devdb_exec(p->db, 0,
                 *pbOwn ? "ROLLBACK" : "ROLLBACK TO devdb_load; RELEASE devdb_load");
    }
  } else {
    *pzErr = sqlite3_mprintf("'%s' cannot start a write transaction: %s", p->zPath,
                             sqlite3_errmsg(p->db));
  }
  return rc;
}

/* End what load_begin started: commit when rc is SQLITE_OK (a deferred
** foreign key or the COMMIT's lock is the load's error), else roll back.
** Returns the outcome. */
static int load_end(Load *p, int bOwn, int rc) {
  if (rc == SQLITE_OK) {
    int msTimeout = (int)devdb_query_int(p->db, 0, "PRAGMA busy_timeout");
    rc = bOwn ? devdb_exec_retry(p->db, msTimeout, "COMMIT")
              : sqlite3_exec(p->db, "RELEASE devdb_load", 0, 0, 0);
    if (rc != SQLITE_OK) rc = load_error(p, rc, "%s", sqlite3_errmsg(p->db));
  }
  if (rc != SQLITE_OK) {
    if (bOwn) {
      if (!sqlite3_get_autocommit(p->db)) devdb_exec(p->db, 0, "ROLLBACK");
    } else {
      devdb_exec(p->db, 0, "ROLLBACK TO devdb_load; RELEASE devdb_load");
    }
  }
  return rc;
}

/* Read the fixture and load it; the load's transaction is open. */
static int load_body(Load *p, int eKind, const char *zText, const char *zTbl) {
  /* with enforcement off (SQLite's default) the load checks its own
  ** foreign keys: it may not add rows that point at nothing */
  sqlite3_int64 bFkOn = 1, nOrphanBefore = 0;
  int rc = devdb_query_int_rc(p->db, 1, &bFkOn, "PRAGMA foreign_keys");
  if (rc != SQLITE_OK) {
    rc = load_error(p, rc, "cannot read foreign_keys: %s", sqlite3_errmsg(p->db));
  }
  int bCheckFks = bFkOn == 0;
  if (rc == SQLITE_OK && bCheckFks) rc = count_orphans(p, &nOrphanBefore);
  if (rc == SQLITE_OK) {
    rc = eKind == 1   ? load_sql(p, zText)
         : eKind == 2 ? load_csv(p, zText, zTbl)
                      : load_json(p, zText, zTbl);
  }
  /* an error recorded where the caller went on (a failed schema read taken
  ** for "no such column" and then another way found) still fails the load */
  if (rc == SQLITE_OK) rc = p->rcErr;
  cache_clear(&p->cache);
  if (rc == SQLITE_OK && bCheckFks) rc = check_new_orphans(p, nOrphanBefore);
  return rc;
}

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
  char *zLabel = sqlite3_mprintf("'%s'", zPath);
  if (zLabel == 0) return SQLITE_NOMEM;
  char *zText = devdb_read_text_file(zPath, zLabel, pzErr);
  sqlite3_free(zLabel);
  if (zText == 0) return SQLITE_ERROR;
  int bOwn = 0;
  int rc = load_begin(&load, &bOwn, pzErr);
  if (rc != SQLITE_OK) {
    sqlite3_free(zText);
    return rc;
  }
  /* a page cache the size of a big fixture: no page spills to the file
  ** (and its journal) before the end; the caller's setting comes back */
  sqlite3_int64 nCache = -2000;
  int bCache =
      devdb_query_int_rc(db, -2000, &nCache, "PRAGMA main.cache_size") == SQLITE_OK &&
      nCache > -65536 && nCache < 16384;
  if (bCache) devdb_exec(db, 0, "PRAGMA main.cache_size=-65536");
  rc = load_end(&load, bOwn, load_body(&load, eKind, zText, zTbl));
  if (rc != SQLITE_OK) {
    *pzErr =
        load.zErr ? load.zErr : sqlite3_mprintf("'%s': %s", zPath, sqlite3_errstr(rc));
    load.zErr = 0;
  }
  if (bCache) devdb_exec(db, 0, "PRAGMA main.cache_size=%lld", nCache);
  sqlite3_free(load.zErr);
  sqlite3_free(zText);
  if (pnRow) *pnRow = load.nRow;
  return rc;
}

/* devdb_load(path [, tbl]) */
static void loadFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  /* types first: an argument whose text cannot be made turns NULL */
  int bPath = sqlite3_value_type(argv[0]) != SQLITE_NULL;
  int bTbl = argc > 1 && sqlite3_value_type(argv[1]) != SQLITE_NULL;
  const char *zPath = (const char *)sqlite3_value_text(argv[0]);
  const char *zTbl = argc > 1 ? (const char *)sqlite3_value_text(argv[1]) : 0;
  if ((bPath && zPath == 0) || (bTbl && zTbl == 0)) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
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
