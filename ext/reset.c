/*
** reset.c: wipe, backup, restore, in-process snapshots and the protection
** mark (the reset area). File-level work (verified backup files, the backups
** folder, the fast file wipe for the shell) lives in backup.c.
**
**   devdb_wipe([mode [, options]])       -> tables emptied (data) or objects
**                                            dropped (schema)
**   devdb_backup(path [, options])       -> bytes written
**   devdb_restore(path [, options])      -> bytes restored
**   devdb_snapshot(name)                 -> bytes held
**   devdb_revert(name [, options])       -> bytes restored
**   devdb_snapshot_drop(name)            -> 1 dropped, 0 there was none
**   devdb_protect([reason])              -> 1
**   devdb_unprotect()                    -> 1 was protected, 0 was not
**   devdb_protected()                    -> the reason, or NULL
**
** devdb_wipe('data') (the default) deletes every row of every table of
** main, resets sqlite_sequence, and keeps the migration history tables
** (those devdb_history finds, and a local rule of names; devdb_wipe_keeps)
** and devdb's own _devdb_meta. devdb_wipe('schema') drops
** every table, index, view and trigger but _devdb_meta, and sets
** user_version to 0. Both build the result in a scratch in-memory database
** (the schema run from its stored CREATE text, the kept rows copied) and
** put it in place with SQLite's backup API: one write transaction, so a
** failure changes nothing, and no row is deleted one by one. When the
** scratch cannot hold the schema (a virtual table module or a function only
** this connection has), wipe('data') falls back to DELETE of every table in
** one transaction, with foreign key enforcement off for its duration.
**
** devdb_backup(path) writes a verified copy of main to path (backup.c): a
** temp file beside it, synced, checked, then renamed into place; an
** interrupted backup never appears under path. The check is PRAGMA
** quick_check, not integrity_check: every page is read and the structure
** checked, but not that indexes match their tables nor UNIQUE constraints
** (that is what makes it faster). devdb_backup(path, 'integrity') runs the
** full integrity_check instead.
**
** devdb_restore(path) checks the file first (a SQLite header, the size it
** claims, quick_check; integrity_check with option 'integrity') and then
** replaces the content of main with it through the backup API, never by
** copying files.
**
** devdb_snapshot(name) keeps a copy of main in this process under name
** (any connection of the process can revert to it), made with the backup
** API into a private in-memory database; devdb_revert(name) puts it back
** the same way. Across processes, use devdb_backup and
** devdb_restore on a file (the shell's snapshot/revert do).
**
** The protection mark: devdb_protect() records in main's _devdb_meta table
** that the database is protected (like Rails' protected environments).
** wipe, restore and revert of a protected database fail unless options
** include 'allow-protected'; the mark survives all three.
**
** Examples:
**   SELECT devdb_snapshot('fixture');     -- 3145728
**   INSERT INTO users VALUES (...);
**   SELECT devdb_revert('fixture');       -- 3145728, users as before
**   SELECT devdb_wipe();                  -- 12 (tables emptied)
**   SELECT devdb_backup('/tmp/app.db');   -- 204800
**   SELECT devdb_protect('production copy');
**   SELECT devdb_wipe();        -- error: devdb_wipe: the database is
**                               -- protected (production copy); pass
**                               -- 'allow-protected' to override
**
** Errors: every one of these that changes main refuses inside an open
** transaction ("COMMIT or ROLLBACK first") and while another statement of
** the connection reads main. A read that fails (the database locked past
** the busy timeout, an I/O error) is an error: none reports a count, a size
** or "not protected" it could not read. devdb_protect and devdb_unprotect
** write in one BEGIN IMMEDIATE transaction (a savepoint inside the
** caller's), so they wait for a concurrent writer; devdb_wipe reads what it
** needs in one too, so concurrent wipes wait for each other and each finds
** the state as it is. NULL arguments give NULL. All are DIRECTONLY
** (devdb_protected too: it reads the schema of the caller).
*/
#include "devdb.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------ reading safely */

/* Set *pzErr (when unset) to "cannot read zWhat: <db's error>" for the
** failed read rc, and return rc. An out-of-memory error gets no message. */
static int read_failed(sqlite3 *db, int rc, const char *zWhat, char **pzErr) {
  if (*pzErr == 0 && rc != SQLITE_NOMEM) {
    *pzErr =
        sqlite3_mprintf("cannot read %s: %s", zWhat,
                        sqlite3_errcode(db) ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  }
  return rc;
}

/* *pbHas gets 1 when schema zSchema of db has a table named zTable. */
static int has_table(sqlite3 *db, const char *zSchema, const char *zTable, int *pbHas) {
  sqlite3_int64 n = 0;
  int rc = devdb_query_int_rc(db, 0, &n,
                              "SELECT count(*) FROM \"%w\".sqlite_schema "
                              "WHERE type='table' AND name=%Q",
                              zSchema, zTable);
  *pbHas = n > 0;
  return rc;
}

/*
** SQLITE_OK when db can take a whole new content for main from inside a SQL
** function: no open transaction, and no other statement reading it.
*/
static int check_idle(sqlite3 *db, const char *zFunc, char **pzErr) {
  if (!sqlite3_get_autocommit(db)) {
    *pzErr = sqlite3_mprintf("%s: cannot run inside a transaction (COMMIT or ROLLBACK "
                             "first)",
                             zFunc);
    return SQLITE_ERROR;
  }
  return SQLITE_OK;
}

/* Report zErr (or rc's text) from zFunc, freeing zErr. */
static void result_fail(sqlite3_context *ctx, const char *zFunc, int rc, char *zErr) {
  if (rc == SQLITE_NOMEM && zErr == 0) {
    sqlite3_result_error_nomem(ctx);
  } else if (zErr && strncmp(zErr, zFunc, strlen(zFunc)) == 0) {
    sqlite3_result_error(ctx, zErr, -1);
  } else {
    devdb_result_error(ctx, "%s: %s", zFunc, zErr ? zErr : sqlite3_errstr(rc));
  }
  sqlite3_free(zErr);
}

/* --------------------------------------------------------- transactions */

/*
** Start a write on db: BEGIN IMMEDIATE outside a transaction, so that a
** concurrent writer makes it wait on the busy handler instead of failing
** at once when a read would upgrade to a write (reliability.md 5.7); a
** savepoint inside the caller's transaction. *pbOwn says which.
*/
static int write_begin(sqlite3 *db, int *pbOwn, char **pzErr) {
  *pbOwn = sqlite3_get_autocommit(db);
  return devdb_exec(db, pzErr, *pbOwn ? "BEGIN IMMEDIATE" : "SAVEPOINT devdb_write");
}

/* End what write_begin started: commit when rc is SQLITE_OK (returning the
** COMMIT's error), else roll back. Returns the outcome. */
static int write_end(sqlite3 *db, int bOwn, int rc, char **pzErr) {
  if (rc == SQLITE_OK) {
    rc = devdb_exec(db, *pzErr ? 0 : pzErr, bOwn ? "COMMIT" : "RELEASE devdb_write");
  }
  if (rc != SQLITE_OK) {
    if (bOwn) {
      if (!sqlite3_get_autocommit(db)) devdb_exec(db, 0, "ROLLBACK");
    } else {
      devdb_exec(db, 0, "ROLLBACK TO devdb_write; RELEASE devdb_write");
    }
  }
  return rc;
}

/* ------------------------------------------------------ protection mark */

/*
** *pbMarked gets 1 when schema zSchema of db carries the protection mark,
** and *pzReason (when not NULL) its reason (sqlite3_malloc'd). An error
** reading it is returned: it never reads as "not protected".
*/
static int read_mark(sqlite3 *db, const char *zSchema, int *pbMarked, char **pzReason) {
  int bTable = 0;
  *pbMarked = 0;
  if (pzReason) *pzReason = 0;
  int rc = has_table(db, zSchema, DEVDB_META_TABLE, &bTable);
  if (rc != SQLITE_OK || !bTable) return rc;
  sqlite3_stmt *pStmt = 0;
  rc = devdb_prepare(db, &pStmt, "SELECT value FROM \"%w\".\"%w\" WHERE key='protected'",
                     zSchema, DEVDB_META_TABLE);
  if (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    *pbMarked = 1;
    if (pzReason) {
      const char *z = (const char *)sqlite3_column_text(pStmt, 0);
      *pzReason = sqlite3_mprintf("%s", z);
      if (*pzReason == 0 || (z == 0 && sqlite3_column_type(pStmt, 0) != SQLITE_NULL))
        rc = SQLITE_NOMEM;
    }
  }
  int rc2 = sqlite3_finalize(pStmt);
  if (rc == SQLITE_OK) rc = rc2;
  if (rc != SQLITE_OK && pzReason) {
    sqlite3_free(*pzReason);
    *pzReason = 0;
  }
  return rc;
}

int devdb_protected_reason(sqlite3 *db, const char *zSchema, char **pzReason) {
  int bMarked = 0;
  read_mark(db, zSchema, &bMarked, pzReason);
  return bMarked;
}

/*
** SQLITE_OK when the operation zFunc may change schema zSchema: it is not
** protected, or zOpts says allow-protected. *pbMarked tells whether it
** was, and *pzReason (when not NULL) gets the reason of the mark. A mark
** that cannot be read is an error.
*/
static int check_mark(sqlite3 *db, const char *zSchema, const char *zFunc,
                      const char *zOpts, int *pbMarked, char **pzReason, char **pzErr) {
  char *zReason = 0;
  int rc = read_mark(db, zSchema, pbMarked, &zReason);
  if (rc != SQLITE_OK) {
    read_failed(db, rc, "the protection mark", pzErr);
  } else if (*pbMarked && !(zOpts && devdb_opt_has(zOpts, "allow-protected"))) {
    *pzErr = sqlite3_mprintf("%s: the database is protected (%s); pass "
                             "'allow-protected' to override",
                             zFunc, zReason ? zReason : "");
    rc = SQLITE_ERROR;
  }
  if (rc == SQLITE_OK && pzReason) {
    *pzReason = zReason;
    zReason = 0;
  }
  sqlite3_free(zReason);
  return rc;
}

int devdb_check_protection(sqlite3 *db, const char *zSchema, const char *zFunc,
                           const char *zOpts, int *pbMarked, char **pzErr) {
  return check_mark(db, zSchema, zFunc, zOpts, pbMarked, 0, pzErr);
}

/* Write the protection mark with zReason into zSchema of db, in one write
** transaction (or a savepoint of the caller's). */
static int write_mark(sqlite3 *db, const char *zSchema, const char *zReason,
                      char **pzErr) {
  int bOwn = 0;
  int rc = write_begin(db, &bOwn, pzErr);
  if (rc != SQLITE_OK) return rc;
  rc = devdb_exec(db, pzErr,
                  "CREATE TABLE IF NOT EXISTS \"%w\".\"%w\"(key TEXT PRIMARY KEY, "
                  "value TEXT) WITHOUT ROWID;"
                  "INSERT OR REPLACE INTO \"%w\".\"%w\" VALUES('protected', %Q),"
                  "('protected_at', datetime('now'));",
                  zSchema, DEVDB_META_TABLE, zSchema, DEVDB_META_TABLE, zReason);
  return write_end(db, bOwn, rc, pzErr);
}

/* devdb_protect([reason]): mark main protected. */
static void protectFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  const char *zReason = argc > 0 ? (const char *)sqlite3_value_text(argv[0]) : 0;
  char *zErr = 0;
  if (write_mark(sqlite3_context_db_handle(ctx), "main", zReason ? zReason : "protected",
                 &zErr) != SQLITE_OK) {
    devdb_result_error(ctx, "devdb_protect: %s", zErr ? zErr : "out of memory");
    sqlite3_free(zErr);
    return;
  }
  sqlite3_result_int(ctx, 1);
}

/* Remove the mark from main of db; *pbWas gets 1 when there was one. Read
** and removed in one write transaction. */
static int remove_mark(sqlite3 *db, int *pbWas, char **pzErr) {
  int bOwn = 0;
  *pbWas = 0;
  int rc = write_begin(db, &bOwn, pzErr);
  if (rc != SQLITE_OK) return rc;
  rc = read_mark(db, "main", pbWas, 0);
  if (rc != SQLITE_OK) read_failed(db, rc, "the protection mark", pzErr);
  if (rc == SQLITE_OK && *pbWas) {
    rc = devdb_exec(db, pzErr,
                    "DELETE FROM main.\"%w\" WHERE key IN ('protected','protected_at')",
                    DEVDB_META_TABLE);
  }
  return write_end(db, bOwn, rc, pzErr);
}

/* devdb_unprotect(): remove the mark; 1 when there was one. */
static void unprotectFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  char *zErr = 0;
  int bWas = 0;
  int rc = remove_mark(sqlite3_context_db_handle(ctx), &bWas, &zErr);
  if (rc != SQLITE_OK) {
    result_fail(ctx, "devdb_unprotect", rc, zErr);
    return;
  }
  sqlite3_result_int(ctx, bWas);
}

/* devdb_protected(): the reason main is protected, or NULL. */
static void protectedFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  sqlite3 *db = sqlite3_context_db_handle(ctx);
  char *zReason = 0, *zErr = 0;
  int bMarked = 0;
  int rc = read_mark(db, "main", &bMarked, &zReason);
  if (rc != SQLITE_OK) {
    read_failed(db, rc, "the protection mark", &zErr);
    result_fail(ctx, "devdb_protected", rc, zErr);
    return;
  }
  if (bMarked) sqlite3_result_text(ctx, zReason ? zReason : "", -1, SQLITE_TRANSIENT);
  sqlite3_free(zReason);
}

/* --------------------------------------------------- what wipe keeps */

/*
** Migration history tables, recognised by name and the columns they must
** have, besides those devdb_history_find finds (Rails' metadata table is
** not a history but Rails keeps it too).
*/
static const struct {
  const char *zName;
  const char *azCol[4];
} aHistory[] = {
    {"schema_migrations", {"version"}},                 /* Rails, dbmate, migrate, Ecto */
    {"ar_internal_metadata", {"key", "value"}},         /* Rails */
    {"django_migrations", {"app", "name", "applied"}},  /* Django */
    {"goose_db_version", {"version_id", "is_applied"}}, /* goose */
    {"flyway_schema_history", {"installed_rank", "version", "script", "success"}},
    {"alembic_version", {"version_num"}},                        /* Alembic */
    {"__drizzle_migrations", {"hash", "created_at"}},            /* Drizzle */
    {"_prisma_migrations", {"migration_name", "checksum"}},      /* Prisma */
    {"_sqlx_migrations", {"version", "description", "success"}}, /* sqlx */
    {"__diesel_schema_migrations", {"version", "run_on"}},       /* Diesel */
    {"knex_migrations", {"name", "batch", "migration_time"}},    /* Knex */
    {"__EFMigrationsHistory", {"MigrationId", "ProductVersion"}},
};

/* *pbHas gets 1 when table zTable of zSchema has every column of azCol
** (NULL-ended, at most nCol), names compared without case. Asked of the
** schema SQLite holds in memory (sqlite3_table_column_metadata: no
** statement to compile per question); a schema that cannot be read is an
** error, a missing table or column is not. */
static int has_columns(sqlite3 *db, const char *zSchema, const char *zTable,
                       const char *const *azCol, int nCol, int *pbHas) {
  int rc = SQLITE_OK;
  *pbHas = 1;
  for (int i = 0; i < nCol && azCol[i] && *pbHas; i++) {
    rc = sqlite3_table_column_metadata(db, zSchema, zTable, azCol[i], 0, 0, 0, 0, 0);
    *pbHas = rc == SQLITE_OK;
    if (rc == SQLITE_ERROR) rc = SQLITE_OK; /* no such table or column */
    if (rc != SQLITE_OK) break;
  }
  return rc;
}

/* Add the table zTable to those p keeps (found by the local rule). */
static int keep_add(DevdbKeep *p, const char *zTable) {
  DevdbHistTable *aNew =
      sqlite3_realloc64(p->aHist, sizeof(DevdbHistTable) * (p->nHist + 1));
  if (aNew == 0) return SQLITE_NOMEM;
  p->aHist = aNew;
  memset(&aNew[p->nHist], 0, sizeof(DevdbHistTable));
  aNew[p->nHist].zTool = "devdb_wipe";
  aNew[p->nHist].zTable = sqlite3_mprintf("%s", zTable);
  return aNew[p->nHist++].zTable ? SQLITE_OK : SQLITE_NOMEM;
}

/*
** Every table a wipe keeps is found here, once: devdb_keep_has then only
** compares names, so no question about a table can fail (and be taken for
** "not kept") halfway through a wipe. An error reading the schema fails.
*/
int devdb_keep_open(sqlite3 *db, const char *zSchema, int eMode, DevdbKeep *p) {
  char *zErr = 0;
  memset(p, 0, sizeof(*p));
  p->eMode = eMode;
  if (eMode != DEVDB_WIPE_DATA) return SQLITE_OK;
  /* the questions below are asked of the schema in memory: a statement on
  ** the schema first makes SQLite check it is current (and read it again if
  ** another connection changed it) */
  int rc = devdb_exec(db, 0, "SELECT 1 FROM \"%w\".sqlite_schema WHERE 0", zSchema);
  if (rc == SQLITE_OK)
    rc = devdb_history_find(db, zSchema, 0, &p->aHist, &p->nHist, &zErr);
  sqlite3_free(zErr);
  for (size_t i = 0; i < sizeof(aHistory) / sizeof(aHistory[0]) && rc == SQLITE_OK; i++) {
    int bHas = 0;
    rc = has_columns(db, zSchema, aHistory[i].zName, aHistory[i].azCol, 4, &bHas);
    if (rc == SQLITE_OK && bHas) rc = keep_add(p, aHistory[i].zName);
  }
  if (rc != SQLITE_OK) {
    devdb_keep_close(p);
    p->eMode = eMode;
  }
  return rc;
}

int devdb_keep_has(sqlite3 *db, const char *zSchema, const DevdbKeep *p,
                   const char *zTable) {
  if (devdb_stricmp(zTable, DEVDB_META_TABLE) == 0) return 1;
  if (p->eMode != DEVDB_WIPE_DATA) return 0;
  if (devdb_strnicmp(zTable, "_devdb_", 7) == 0) return 1;
  if (devdb_strnicmp(zTable, "devdb_", 6) == 0) return 1;
  for (int i = 0; i < p->nHist; i++) {
    if (devdb_stricmp(p->aHist[i].zTable, zTable) == 0) return 1;
  }
  return 0;
}

void devdb_keep_close(DevdbKeep *p) {
  devdb_history_free(p->aHist, p->nHist);
  memset(p, 0, sizeof(*p));
}

int devdb_wipe_keeps(sqlite3 *db, const char *zSchema, const char *zTable, int eMode) {
  DevdbKeep keep;
  devdb_keep_open(db, zSchema, eMode, &keep);
  int bKeep = devdb_keep_has(db, zSchema, &keep, zTable);
  devdb_keep_close(&keep);
  return bKeep;
}

/* ------------------------------------------------------ the empty image */

/* Finalize pStmt; the first error of rc and the statement's. */
static int stmt_done(sqlite3_stmt *pStmt, int rc) {
  int rc2 = sqlite3_finalize(pStmt);
  return rc != SQLITE_OK ? rc : rc2;
}

/*
** The statements that copy the rows of zTable from zSchema of pFrom into
** the table of the same name in main of pTo: *ppRead selects the rowid
** (NULL when the table has none to keep: *pbRowid 0) and every column
** that is not generated, *ppWrite inserts them.
*/
static int copy_rows_prepare(sqlite3 *pFrom, const char *zSchema, sqlite3 *pTo,
                             const char *zTable, sqlite3_stmt **ppRead,
                             sqlite3_stmt **ppWrite, int *pbRowid) {
  sqlite3_str *pSel = sqlite3_str_new(0), *pIns = sqlite3_str_new(0);
  sqlite3_stmt *pCols = 0;
  sqlite3_int64 bRowid = 0;
  int nCol = 0;
  int rc = devdb_query_int_rc(pFrom, 0, &bRowid,
                              "SELECT wr=0 AND type='table' FROM pragma_table_list "
                              "WHERE schema=%Q AND name=%Q",
                              zSchema, zTable);
  if (rc == SQLITE_OK) {
    rc = devdb_prepare(pFrom, &pCols,
                       "SELECT name FROM pragma_table_xinfo(%Q, %Q) WHERE hidden=0",
                       zTable, zSchema);
  }
  sqlite3_str_appendall(pSel, bRowid ? "SELECT _rowid_" : "SELECT NULL");
  sqlite3_str_appendf(pIns, "INSERT INTO \"%w\"(%s", zTable, bRowid ? "_rowid_" : "");
  while (rc == SQLITE_OK && sqlite3_step(pCols) == SQLITE_ROW) {
    const char *zCol = (const char *)sqlite3_column_text(pCols, 0);
    if (zCol == 0) {
      rc = SQLITE_NOMEM;
      break;
    }
    sqlite3_str_appendf(pSel, ", \"%w\"", zCol);
    sqlite3_str_appendf(pIns, "%s\"%w\"", (nCol || bRowid) ? ", " : "", zCol);
    nCol++;
  }
  rc = stmt_done(pCols, rc);
  sqlite3_str_appendf(pSel, " FROM \"%w\".\"%w\"", zSchema, zTable);
  sqlite3_str_appendall(pIns, ") VALUES(");
  for (int i = 0; i < nCol + bRowid; i++) sqlite3_str_appendall(pIns, i ? ",?" : "?");
  sqlite3_str_appendall(pIns, ")");
  char *zSel = sqlite3_str_finish(pSel), *zIns = sqlite3_str_finish(pIns);
  if (rc == SQLITE_OK && (zSel == 0 || zIns == 0)) rc = SQLITE_NOMEM;
  if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(pFrom, zSel, -1, ppRead, 0);
  if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(pTo, zIns, -1, ppWrite, 0);
  sqlite3_free(zSel);
  sqlite3_free(zIns);
  *pbRowid = bRowid != 0;
  return rc;
}

/*
** Copy every row of table zTable from zSchema of pFrom into the table of the
** same name in main of pTo (rowids kept; generated columns left to SQLite).
*/
static int copy_rows(sqlite3 *pFrom, const char *zSchema, sqlite3 *pTo,
                     const char *zTable, char **pzErr) {
  sqlite3_stmt *pRead = 0, *pWrite = 0;
  int bRowid = 0;
  int rc = copy_rows_prepare(pFrom, zSchema, pTo, zTable, &pRead, &pWrite, &bRowid);
  /* which connection the error is on: pTo only for its INSERT */
  sqlite3 *pErrDb = pRead && !pWrite ? pTo : pFrom;
  int nCol = pRead ? sqlite3_column_count(pRead) : 0;
  while (rc == SQLITE_OK && sqlite3_step(pRead) == SQLITE_ROW) {
    /* a value that cannot be bound (no memory) fails the copy: never a
    ** NULL or the previous row's value in its place */
    for (int i = bRowid ? 0 : 1; i < nCol && rc == SQLITE_OK; i++) {
      rc = sqlite3_bind_value(pWrite, i + bRowid, sqlite3_column_value(pRead, i));
    }
    if (rc == SQLITE_OK) {
      sqlite3_step(pWrite);
      rc = sqlite3_reset(pWrite);
    }
    if (rc != SQLITE_OK) pErrDb = pTo;
  }
  rc = stmt_done(pRead, rc);
  if (rc != SQLITE_OK && *pzErr == 0 && rc != SQLITE_NOMEM) {
    *pzErr =
        sqlite3_mprintf("cannot copy the rows of %s: %s", zTable, sqlite3_errmsg(pErrDb));
  }
  sqlite3_finalize(pWrite);
  return rc;
}

/* Give the scratch pImg the page size, encoding, auto_vacuum and header
** numbers of zSchema of db (before any table exists in pImg). */
static int copy_settings(sqlite3 *db, const char *zSchema, sqlite3 *pImg, int eMode,
                         char **pzErr) {
  static const char *azInt[] = {"page_size", "auto_vacuum", "application_id",
                                "user_version"};
  int rc = SQLITE_OK;
  for (int i = 0; i < 4 && rc == SQLITE_OK; i++) {
    sqlite3_int64 v = 0;
    rc = devdb_query_int_rc(db, 0, &v, "PRAGMA \"%w\".%s", zSchema, azInt[i]);
    if (rc != SQLITE_OK) return read_failed(db, rc, "the database header", pzErr);
    if (i == 3 && eMode == DEVDB_WIPE_SCHEMA) v = 0;
    rc = devdb_exec(pImg, pzErr, "PRAGMA %s=%lld", azInt[i], v);
  }
  sqlite3_stmt *pStmt = 0;
  if (rc == SQLITE_OK) rc = devdb_prepare(db, &pStmt, "PRAGMA \"%w\".encoding", zSchema);
  if (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    const char *zEnc = (const char *)sqlite3_column_text(pStmt, 0);
    rc = zEnc ? devdb_exec(pImg, pzErr, "PRAGMA encoding=%Q", zEnc) : SQLITE_NOMEM;
  }
  return stmt_done(pStmt, rc);
}

/* Copy the sqlite_sequence rows of the kept tables into pImg. */
static int copy_sequences(sqlite3 *db, const char *zSchema, sqlite3 *pImg,
                          const DevdbKeep *pKeep, char **pzErr) {
  sqlite3_stmt *pStmt = 0;
  int rc =
      devdb_prepare(db, &pStmt, "SELECT name, seq FROM \"%w\".sqlite_sequence", zSchema);
  while (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    const char *zName = (const char *)sqlite3_column_text(pStmt, 0);
    if (zName == 0) rc = SQLITE_NOMEM; /* a name is never NULL */
    if (zName == 0 || !devdb_keep_has(db, zSchema, pKeep, zName)) continue;
    rc = devdb_exec(pImg, pzErr,
                    "DELETE FROM sqlite_sequence WHERE name=%Q;"
                    "INSERT INTO sqlite_sequence(name, seq) VALUES(%Q, %lld)",
                    zName, zName, sqlite3_column_int64(pStmt, 1));
  }
  return stmt_done(pStmt, rc);
}

/*
** Run in pImg the stored CREATE statements of every object of zSchema
** that the image keeps (tables first, then indexes, views and triggers,
** each in creation order; shadow tables come with their virtual table),
** then copy the rows of the kept tables and their sqlite_sequence rows.
*/
static int copy_objects(sqlite3 *db, const char *zSchema, sqlite3 *pImg, int eMode,
                        char **pzErr) {
  DevdbKeep keep;
  int bSeq = 0;
  int rc = devdb_keep_open(db, zSchema, eMode, &keep);
  if (rc == SQLITE_OK) rc = has_table(db, zSchema, "sqlite_sequence", &bSeq);
  if (rc != SQLITE_OK) {
    devdb_keep_close(&keep);
    return read_failed(db, rc, "the schema", pzErr);
  }
  sqlite3_stmt *pStmt = 0;
  rc = devdb_prepare(
      db, &pStmt,
      "SELECT s.type, s.name, s.sql FROM \"%w\".sqlite_schema s "
      "WHERE s.sql IS NOT NULL AND s.name NOT LIKE 'sqlite\\_%%' ESCAPE '\\' "
      "AND NOT EXISTS (SELECT 1 FROM pragma_table_list l WHERE l.schema=%Q "
      "AND l.name=s.name AND l.type='shadow') "
      "ORDER BY CASE s.type WHEN 'table' THEN 0 WHEN 'index' THEN 1 "
      "WHEN 'view' THEN 2 ELSE 3 END, s.rowid",
      zSchema, zSchema);
  while (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    const char *zType = (const char *)sqlite3_column_text(pStmt, 0);
    const char *zName = (const char *)sqlite3_column_text(pStmt, 1);
    const char *zSql = (const char *)sqlite3_column_text(pStmt, 2);
    if (zType == 0 || zName == 0 || zSql == 0) {
      rc = SQLITE_NOMEM; /* none is NULL in these rows */
      break;
    }
    int bKeep = devdb_keep_has(db, zSchema, &keep, zName);
    if (eMode == DEVDB_WIPE_SCHEMA && !bKeep) continue;
    rc = devdb_exec(pImg, pzErr, "%s", zSql);
    if (rc == SQLITE_OK && bKeep && strcmp(zType, "table") == 0) {
      rc = copy_rows(db, zSchema, pImg, zName, pzErr);
    }
  }
  rc = stmt_done(pStmt, rc);
  if (rc != SQLITE_OK) read_failed(db, rc, "the schema", pzErr);
  if (rc == SQLITE_OK && bSeq) rc = copy_sequences(db, zSchema, pImg, &keep, pzErr);
  devdb_keep_close(&keep);
  return rc;
}

int devdb_empty_image(sqlite3 *db, const char *zSchema, int eMode, sqlite3 **ppImg,
                      char **pzErr) {
  *ppImg = 0;
  *pzErr = 0;
  sqlite3 *pImg = 0;
  int rc = devdb_scratch_open(&pImg, pzErr);
  if (rc == SQLITE_OK) rc = copy_settings(db, zSchema, pImg, eMode, pzErr);
  if (rc == SQLITE_OK) rc = devdb_exec(pImg, pzErr, "BEGIN");
  if (rc == SQLITE_OK) rc = copy_objects(db, zSchema, pImg, eMode, pzErr);
  if (rc == SQLITE_OK) rc = devdb_exec(pImg, pzErr, "COMMIT");
  if (rc != SQLITE_OK) {
    if (*pzErr == 0) *pzErr = sqlite3_mprintf("%s", sqlite3_errstr(rc));
    sqlite3_close(pImg);
    return rc;
  }
  *ppImg = pImg;
  return SQLITE_OK;
}

/* ---------------------------------------------------- the backup API */

/*
** Whether anyone committed to a database since a point: the data version
** of its pager (SQLITE_FCNTL_DATA_VERSION), which moves when the pager,
** taking a lock, sees that another connection committed. A wipe reads the
** state inside its own write transaction but must end it before the backup
** API takes the write lock again: what another connection commits in that
** instant would be overwritten. *piVersion gets that version for main of db.
*/
static int data_version(sqlite3 *db, unsigned int *piVersion) {
  *piVersion = 0;
  return sqlite3_file_control(db, "main", SQLITE_FCNTL_DATA_VERSION, piVersion);
}

/* devdb_copy_into; with piVersion, the copy is made only when, with the
** write lock of pDest taken (so that its pager has looked), the data version
** of pDest is still *piVersion: nobody committed since (else *pbChanged 1). */
static int copy_into_watched(sqlite3 *pDest, const char *zDest, sqlite3 *pSrc,
                             const char *zSrc, const unsigned int *piVersion,
                             int *pbChanged, char **pzErr) {
  *pzErr = 0;
  sqlite3_backup *p = sqlite3_backup_init(pDest, zDest, pSrc, zSrc);
  if (p == 0) {
    if (sqlite3_get_autocommit(pDest)) {
      /* a statement of this connection still reads zDest */
      *pzErr = sqlite3_mprintf("the database is being read by a statement that is "
                               "still running; call this in a statement of its own");
    } else {
      *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(pDest));
    }
    return SQLITE_ERROR;
  }
  /* a step of no pages takes the write lock of pDest (waiting for it) */
  int rc = piVersion ? sqlite3_backup_step(p, 0) : SQLITE_OK;
  if (piVersion && rc == SQLITE_OK) {
    unsigned int iNow = 0;
    rc = data_version(pDest, &iNow);
    *pbChanged = rc == SQLITE_OK && iNow != *piVersion;
    if (*pbChanged) rc = SQLITE_BUSY;
  }
  if (rc == SQLITE_OK) rc = sqlite3_backup_step(p, -1);
  int rc2 = sqlite3_backup_finish(p); /* unfinished: pDest rolls back */
  if (rc == SQLITE_DONE) rc = rc2;
  if (piVersion && *pbChanged) {
    *pzErr = sqlite3_mprintf("another connection changed the database meanwhile");
    return SQLITE_BUSY;
  }
  if (rc == SQLITE_READONLY &&
      devdb_query_int(pSrc, 0, "PRAGMA \"%w\".page_size", zSrc) !=
          devdb_query_int(pDest, 0, "PRAGMA \"%w\".page_size", zDest)) {
    *pzErr = sqlite3_mprintf(
        "the page sizes differ (%lld here, %lld in the copy) and this database cannot "
        "change its page size (WAL or in-memory)",
        devdb_query_int(pDest, 0, "PRAGMA \"%w\".page_size", zDest),
        devdb_query_int(pSrc, 0, "PRAGMA \"%w\".page_size", zSrc));
  } else if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
    *pzErr = sqlite3_mprintf("the database is locked by another connection");
  } else if (rc != SQLITE_OK) {
    *pzErr = sqlite3_mprintf("%s", sqlite3_errstr(rc));
  }
  return rc;
}

int devdb_copy_into(sqlite3 *pDest, const char *zDest, sqlite3 *pSrc, const char *zSrc,
                    char **pzErr) {
  return copy_into_watched(pDest, zDest, pSrc, zSrc, 0, 0, pzErr);
}

/* *pnDest gets the page size main of db needs a copy from pSrc (of page
** size *pnSrc) to have: 0 when it takes the copy as it is (the same size,
** or a rollback-journal file, which adopts the copy's). */
static int page_size_needed(sqlite3 *db, sqlite3 *pSrc, sqlite3_int64 *pnDest,
                            sqlite3_int64 *pnSrc, char **pzErr) {
  const char *zFile = sqlite3_db_filename(db, "main");
  int bFile = zFile && zFile[0];
  int bWal = 0;
  int rc = devdb_query_int_rc(db, 0, pnDest, "PRAGMA main.page_size");
  if (rc == SQLITE_OK && bFile) rc = devdb_is_wal(db, "main", &bWal);
  if (rc != SQLITE_OK) return read_failed(db, rc, "the database", pzErr);
  rc = devdb_query_int_rc(pSrc, 0, pnSrc, "PRAGMA main.page_size");
  if (rc != SQLITE_OK) return read_failed(pSrc, rc, "the copy", pzErr);
  if (*pnDest == *pnSrc || (bFile && !bWal)) *pnDest = 0;
  return SQLITE_OK;
}

/*
** When main of db cannot take another page size (WAL, in memory) and pSrc
** has another one, *ppConv gets a copy of pSrc with db's page size: copied
** into a temporary database file (VACUUM cannot change the page size of an
** in-memory or private temporary database), vacuumed there to the new page
** size; the file is unlinked at once and lives while *ppConv is open.
** Otherwise *ppConv is NULL.
*/
static int resize_pages(sqlite3 *db, sqlite3 *pSrc, sqlite3 **ppConv, char **pzErr) {
  static int iCounter;
  sqlite3_int64 nDest = 0, nSrc = 0;
  *ppConv = 0;
  int rc = page_size_needed(db, pSrc, &nDest, &nSrc, pzErr);
  if (rc != SQLITE_OK || nDest == 0) return rc;
  const char *zDir = getenv("TMPDIR");
  char *zPath =
      sqlite3_mprintf("%s/devdb-resize-%d-%d.db", zDir && zDir[0] ? zDir : "/tmp",
                      (int)getpid(), __atomic_fetch_add(&iCounter, 1, __ATOMIC_RELAXED));
  sqlite3 *pConv = 0;
  rc = zPath ? sqlite3_open_v2(
                   zPath, &pConv,
                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_EXCLUSIVE, 0)
             : SQLITE_NOMEM;
  if (rc == SQLITE_OK) {
    rc = devdb_exec(pConv, pzErr, "PRAGMA journal_mode=OFF; PRAGMA main.page_size=%lld",
                    nSrc);
  }
  if (rc == SQLITE_OK) rc = devdb_copy_into(pConv, "main", pSrc, "main", pzErr);
  if (rc == SQLITE_OK) {
    rc = devdb_exec(pConv, pzErr, "PRAGMA main.page_size=%lld; VACUUM", nDest);
  }
  if (zPath) unlink(zPath);
  if (rc != SQLITE_OK) {
    if (*pzErr == 0) *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(pConv));
    sqlite3_close(pConv);
    pConv = 0;
  }
  sqlite3_free(zPath);
  *ppConv = pConv;
  return rc;
}

/*
** Replace main of db with schema main of pSrc. When bMark, the result keeps
** the protection mark even if pSrc has none: it goes through a scratch copy
** that gets the mark, so the whole change is still one transaction.
*/
static int replace_main(sqlite3 *db, sqlite3 *pSrc, int bMark, const char *zReason,
                        char **pzErr) {
  sqlite3 *pConv = 0, *pTmp = 0;
  sqlite3_int64 nPage = 0;
  int bSrcMarked = 0;
  int rc = resize_pages(db, pSrc, &pConv, pzErr);
  if (rc != SQLITE_OK) return rc;
  if (pConv) pSrc = pConv;
  if (bMark) rc = read_mark(pSrc, "main", &bSrcMarked, 0);
  if (rc == SQLITE_OK && bMark && !bSrcMarked) {
    rc = devdb_query_int_rc(pSrc, 0, &nPage, "PRAGMA main.page_size");
  }
  if (rc != SQLITE_OK) {
    read_failed(pSrc, rc, "the copy", pzErr);
  } else if (!bMark || bSrcMarked) {
    rc = devdb_copy_into(db, "main", pSrc, "main", pzErr);
  } else {
    rc = devdb_scratch_open(&pTmp, pzErr);
    if (rc == SQLITE_OK) rc = devdb_exec(pTmp, pzErr, "PRAGMA page_size=%lld", nPage);
    if (rc == SQLITE_OK) rc = devdb_copy_into(pTmp, "main", pSrc, "main", pzErr);
    if (rc == SQLITE_OK) rc = write_mark(pTmp, "main", zReason, pzErr);
    if (rc == SQLITE_OK) rc = devdb_copy_into(db, "main", pTmp, "main", pzErr);
  }
  sqlite3_close(pTmp);
  sqlite3_close(pConv);
  return rc;
}

/* ---------------------------------------------------------------- wipe */

/*
** The fallback of wipe('data'): DELETE every table that is not kept, and
** the sequences of those tables, in one transaction with foreign keys off.
*/
static int wipe_by_delete(sqlite3 *db, sqlite3_int64 *pnTable, char **pzErr) {
  sqlite3_int64 bFk = 0;
  int bSeq = 0;
  DevdbKeep keep;
  int rc = devdb_query_int_rc(db, 0, &bFk, "PRAGMA foreign_keys");
  if (rc != SQLITE_OK) return read_failed(db, rc, "the schema", pzErr);
  rc = devdb_keep_open(db, "main", DEVDB_WIPE_DATA, &keep);
  if (rc != SQLITE_OK) return read_failed(db, rc, "the schema", pzErr);
  rc = devdb_exec(db, pzErr, "PRAGMA foreign_keys=OFF; BEGIN IMMEDIATE");
  if (rc == SQLITE_OK) rc = has_table(db, "main", "sqlite_sequence", &bSeq);
  sqlite3_stmt *pStmt = 0;
  if (rc == SQLITE_OK) {
    rc = devdb_prepare(db, &pStmt,
                       "SELECT name FROM pragma_table_list WHERE schema='main' "
                       "AND type IN ('table','virtual') AND name NOT LIKE 'sqlite\\_%%' "
                       "ESCAPE '\\'");
  }
  while (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    const char *zName = (const char *)sqlite3_column_text(pStmt, 0);
    if (zName == 0) {
      rc = SQLITE_NOMEM;
      break;
    }
    if (devdb_keep_has(db, "main", &keep, zName)) continue;
    rc = devdb_exec(db, pzErr, "DELETE FROM main.\"%w\"", zName);
    if (rc == SQLITE_OK && bSeq) {
      rc = devdb_exec(db, pzErr, "DELETE FROM main.sqlite_sequence WHERE name=%Q", zName);
    }
    (*pnTable)++;
  }
  rc = stmt_done(pStmt, rc);
  if (rc == SQLITE_OK) rc = devdb_exec(db, pzErr, "COMMIT");
  if (rc != SQLITE_OK) read_failed(db, rc, "the tables", pzErr);
  if (rc != SQLITE_OK && !sqlite3_get_autocommit(db)) devdb_exec(db, 0, "ROLLBACK");
  devdb_exec(db, 0, "PRAGMA foreign_keys=%d", (int)bFk);
  devdb_keep_close(&keep);
  return rc;
}

/* *pn gets how many tables of main a wipe of eMode empties or drops. */
static int count_wiped(sqlite3 *db, int eMode, sqlite3_int64 *pn) {
  sqlite3_stmt *pStmt = 0;
  DevdbKeep keep;
  *pn = 0;
  int rc = devdb_keep_open(db, "main", eMode, &keep);
  if (rc != SQLITE_OK) return rc;
  rc = devdb_prepare(db, &pStmt,
                     "SELECT name FROM pragma_table_list WHERE schema='main' AND type IN "
                     "('table','virtual') AND name NOT LIKE 'sqlite\\_%%' ESCAPE '\\'");
  while (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    const char *zName = (const char *)sqlite3_column_text(pStmt, 0);
    if (zName == 0) {
      rc = SQLITE_NOMEM;
      break;
    }
    *pn += !devdb_keep_has(db, "main", &keep, zName);
  }
  rc = stmt_done(pStmt, rc);
  devdb_keep_close(&keep);
  return rc;
}

sqlite3_int64 devdb_wipe_count(sqlite3 *db, int eMode) {
  sqlite3_int64 n = 0;
  return count_wiped(db, eMode, &n) == SQLITE_OK ? n : -1;
}

/* One try of devdb_wipe_db; *pbChanged 1 when another connection committed
** between reading the state and copying the empty image in (nothing done). */
static int wipe_once(sqlite3 *db, int eMode, const char *zOpts, sqlite3_int64 *pnTable,
                     int *pbChanged, char **pzErr) {
  int bMarked = 0;
  unsigned int iVersion = 0;
  *pzErr = 0;
  *pbChanged = 0;
  int rc;
  /* everything is read in one write transaction: a concurrent wipe or
  ** writer is waited for (busy handler), and the state is then read as it
  ** is, whole, instead of in pieces a concurrent wipe could change between
  ** (a table gone between two reads failed with "SQL logic error") */
  rc = devdb_exec(db, pzErr, "BEGIN IMMEDIATE");
  if (rc == SQLITE_OK)
    rc = check_mark(db, "main", "devdb_wipe", zOpts, &bMarked, 0, pzErr);
  if (rc == SQLITE_OK) {
    rc = count_wiped(db, eMode, pnTable);
    if (rc != SQLITE_OK) read_failed(db, rc, "the tables", pzErr);
  }
  sqlite3 *pImg = 0;
  int bNoImage = 0;
  if (rc == SQLITE_OK) {
    rc = devdb_empty_image(db, "main", eMode, &pImg, pzErr);
    bNoImage = rc == SQLITE_ERROR;
  }
  /* the data version the state was read at: the copy must find it unchanged
  ** (the backup API needs the transaction ended, so another connection may
  ** commit before it takes the write lock again) */
  if (rc == SQLITE_OK && (rc = data_version(db, &iVersion)) != SQLITE_OK) {
    *pzErr = sqlite3_mprintf("cannot read the data version: %s", sqlite3_errstr(rc));
  }
  /* the backup API takes the write lock itself, with no transaction open */
  if (!sqlite3_get_autocommit(db)) devdb_exec(db, 0, "ROLLBACK");
  if (rc == SQLITE_OK && !sqlite3_get_autocommit(db)) {
    *pzErr = sqlite3_mprintf("cannot end the read transaction: %s", sqlite3_errmsg(db));
    rc = SQLITE_ERROR;
  }
  if (rc == SQLITE_OK) {
    rc = copy_into_watched(db, "main", pImg, "main", &iVersion, pbChanged, pzErr);
  } else if (eMode == DEVDB_WIPE_DATA && bNoImage && sqlite3_get_autocommit(db)) {
    /* the scratch cannot hold the schema (a module or function only this
    ** connection has); a read that failed is reported instead */
    sqlite3_free(*pzErr);
    *pzErr = 0;
    *pnTable = 0;
    rc = wipe_by_delete(db, pnTable, pzErr);
  }
  sqlite3_close(pImg);
  return rc;
}

int devdb_wipe_db(sqlite3 *db, int eMode, const char *zOpts, sqlite3_int64 *pnTable,
                  char **pzErr) {
  *pzErr = 0;
  int rc = check_idle(db, "devdb_wipe", pzErr);
  /* a commit by another connection in the instant between reading the state
  ** and copying the image in: read it again (each try waits its turn) */
  int bChanged = 1;
  for (int i = 0; rc == SQLITE_OK && bChanged && i < 50; i++) {
    sqlite3_free(*pzErr);
    rc = wipe_once(db, eMode, zOpts, pnTable, &bChanged, pzErr);
    if (bChanged) rc = SQLITE_OK; /* nothing was done: again */
  }
  if (rc == SQLITE_OK && bChanged) {
    sqlite3_free(*pzErr);
    *pzErr = sqlite3_mprintf("the database is locked: other connections kept writing to "
                             "it (50 tries); nothing was changed");
    rc = SQLITE_BUSY;
  }
  return rc;
}

/* devdb_wipe([mode [, options]]) */
static void wipeFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  const char *zMode = argc > 0 ? (const char *)sqlite3_value_text(argv[0]) : "data";
  const char *zOpts = argc > 1 ? (const char *)sqlite3_value_text(argv[1]) : 0;
  if (zMode == 0) return;
  int eMode = devdb_wipe_mode(zMode);
  if (eMode == 0) {
    devdb_result_error(ctx, "devdb_wipe: unknown mode '%s' (data or schema)", zMode);
    return;
  }
  char *zErr = 0;
  sqlite3_int64 nTable = 0;
  int rc = devdb_wipe_db(sqlite3_context_db_handle(ctx), eMode, zOpts, &nTable, &zErr);
  if (rc != SQLITE_OK) {
    result_fail(ctx, "devdb_wipe", rc, zErr);
    return;
  }
  sqlite3_result_int64(ctx, nTable);
}

int devdb_wipe_mode(const char *zMode) {
  if (zMode == 0 || devdb_stricmp(zMode, "data") == 0) return DEVDB_WIPE_DATA;
  if (devdb_stricmp(zMode, "schema") == 0) return DEVDB_WIPE_SCHEMA;
  return 0;
}

/* ----------------------------------------------------------- snapshots */

/* One in-process snapshot: a copy of a database held by a private
** in-memory connection, the source of every revert to it. */
typedef struct Snapshot Snapshot;
struct Snapshot {
  char *zName;
  sqlite3 *pDb;
  sqlite3_int64 nByte;
  Snapshot *pNext;
};

/* Every snapshot of the process, by name; guarded by snapMutex, which is
** also held while a revert reads a snapshot. */
static Snapshot *pSnapList;
static pthread_mutex_t snapMutex = PTHREAD_MUTEX_INITIALIZER;

static Snapshot **snapshot_find(const char *zName) {
  Snapshot **pp = &pSnapList;
  while (*pp && strcmp((*pp)->zName, zName) != 0) pp = &(*pp)->pNext;
  return pp;
}

static void snapshot_free(Snapshot *p) {
  if (p == 0) return;
  sqlite3_close(p->pDb);
  sqlite3_free(p->zName);
  sqlite3_free(p);
}

/*
** A copy of main of db in a new in-memory connection *ppDb (*pnByte its
** size), made with the backup API: it waits on db's busy handler for a
** lock and reports a page it cannot read (sqlite3_serialize would put
** zeros in its place and call the copy good).
*/
static int copy_main(sqlite3 *db, sqlite3 **ppDb, sqlite3_int64 *pnByte, char **pzErr) {
  sqlite3 *pDb = 0;
  sqlite3_int64 nPage = 0;
  *ppDb = 0;
  int rc = devdb_query_int_rc(db, 0, &nPage, "PRAGMA main.page_size");
  if (rc != SQLITE_OK) return read_failed(db, rc, "the database", pzErr);
  /* an in-memory copy cannot change its page size once it has pages */
  rc = devdb_scratch_open(&pDb, pzErr);
  if (rc == SQLITE_OK) rc = devdb_exec(pDb, pzErr, "PRAGMA page_size=%lld", nPage);
  if (rc == SQLITE_OK) rc = devdb_copy_into(pDb, "main", db, "main", pzErr);
  if (rc == SQLITE_OK) {
    rc = devdb_query_int_rc(pDb, 0, pnByte,
                            "SELECT page_count*page_size FROM pragma_page_count, "
                            "pragma_page_size");
  }
  if (rc != SQLITE_OK) {
    sqlite3_close(pDb);
    return rc;
  }
  *ppDb = pDb;
  return SQLITE_OK;
}

/* devdb_snapshot(name): keep an image of main under name. */
static void snapshotFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  sqlite3 *db = sqlite3_context_db_handle(ctx);
  const char *zName = (const char *)sqlite3_value_text(argv[0]);
  if (zName == 0) return;
  char *zErr = 0;
  Snapshot *pNew = sqlite3_malloc64(sizeof(*pNew));
  if (pNew) memset(pNew, 0, sizeof(*pNew));
  if (pNew == 0 || (pNew->zName = sqlite3_mprintf("%s", zName)) == 0) {
    snapshot_free(pNew);
    sqlite3_result_error_nomem(ctx);
    return;
  }
  int rc = check_idle(db, "devdb_snapshot", &zErr);
  if (rc == SQLITE_OK) rc = copy_main(db, &pNew->pDb, &pNew->nByte, &zErr);
  if (rc != SQLITE_OK) {
    snapshot_free(pNew);
    result_fail(ctx, "devdb_snapshot", rc, zErr);
    return;
  }
  sqlite3_int64 nByte = pNew->nByte;
  pthread_mutex_lock(&snapMutex);
  Snapshot **pp = snapshot_find(zName), *pOld = *pp;
  pNew->pNext = pOld ? pOld->pNext : 0;
  *pp = pNew;
  pthread_mutex_unlock(&snapMutex);
  snapshot_free(pOld);
  sqlite3_result_int64(ctx, nByte);
}

/* devdb_revert(name [, options]): put the snapshot back into main. */
static void revertFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  sqlite3 *db = sqlite3_context_db_handle(ctx);
  const char *zName = (const char *)sqlite3_value_text(argv[0]);
  const char *zOpts = argc > 1 ? (const char *)sqlite3_value_text(argv[1]) : 0;
  if (zName == 0) return;
  char *zErr = 0, *zReason = 0;
  int bMarked = 0;
  int rc = check_idle(db, "devdb_revert", &zErr);
  if (rc == SQLITE_OK) {
    rc = check_mark(db, "main", "devdb_revert", zOpts, &bMarked, &zReason, &zErr);
  }
  sqlite3_int64 nByte = 0;
  if (rc == SQLITE_OK) {
    pthread_mutex_lock(&snapMutex);
    Snapshot *p = *snapshot_find(zName);
    if (p == 0) {
      zErr = sqlite3_mprintf("devdb_revert: no snapshot named '%s'", zName);
      rc = SQLITE_ERROR;
    } else {
      nByte = p->nByte;
      rc = replace_main(db, p->pDb, bMarked, zReason, &zErr);
    }
    pthread_mutex_unlock(&snapMutex);
  }
  sqlite3_free(zReason);
  if (rc != SQLITE_OK) {
    result_fail(ctx, "devdb_revert", rc, zErr);
    return;
  }
  sqlite3_result_int64(ctx, nByte);
}

/* devdb_snapshot_drop(name): forget a snapshot; 1 when there was one. */
static void snapshotDropFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  const char *zName = (const char *)sqlite3_value_text(argv[0]);
  if (zName == 0) return;
  pthread_mutex_lock(&snapMutex);
  Snapshot **pp = snapshot_find(zName), *p = *pp;
  if (p) *pp = p->pNext;
  pthread_mutex_unlock(&snapMutex);
  snapshot_free(p);
  sqlite3_result_int(ctx, p != 0);
}

/* ------------------------------------------------- backup and restore */

/* devdb_backup(path [, options]): a verified copy of main at path. */
static void backupFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  const char *zPath = (const char *)sqlite3_value_text(argv[0]);
  const char *zOpts = argc > 1 ? (const char *)sqlite3_value_text(argv[1]) : 0;
  if (zPath == 0) return;
  DevdbBackupInfo info;
  char *zErr = 0;
  int rc = devdb_backup_file(sqlite3_context_db_handle(ctx), "main", zPath, zOpts, &info,
                             &zErr);
  if (rc != SQLITE_OK) {
    result_fail(ctx, "devdb_backup", rc, zErr);
    return;
  }
  sqlite3_free(info.zPath);
  sqlite3_result_int64(ctx, info.nByte);
}

int devdb_restore_file(sqlite3 *db, const char *zPath, const char *zOpts,
                       sqlite3_int64 *pnByte, char **pzErr) {
  int bMarked = 0;
  char *zReason = 0;
  sqlite3 *pSrc = 0;
  sqlite3_int64 nByte = 0;
  *pzErr = 0;
  int rc = check_idle(db, "devdb_restore", pzErr);
  if (rc == SQLITE_OK) {
    rc = check_mark(db, "main", "devdb_restore", zOpts, &bMarked, &zReason, pzErr);
  }
  if (rc == SQLITE_OK) rc = devdb_backup_open_checked(db, zPath, zOpts, &pSrc, pzErr);
  /* its size is read before main changes: an error after would hide a
  ** restore that was done */
  if (rc == SQLITE_OK) {
    rc = devdb_query_int_rc(pSrc, 0, &nByte,
                            "SELECT page_count*page_size FROM pragma_page_count, "
                            "pragma_page_size");
    if (rc != SQLITE_OK) read_failed(pSrc, rc, zPath, pzErr);
  }
  if (rc == SQLITE_OK) rc = replace_main(db, pSrc, bMarked, zReason, pzErr);
  if (rc == SQLITE_OK && pnByte) *pnByte = nByte;
  sqlite3_close(pSrc);
  sqlite3_free(zReason);
  return rc;
}

/* devdb_restore(path [, options]): replace main with a checked backup. */
static void restoreFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  const char *zPath = (const char *)sqlite3_value_text(argv[0]);
  const char *zOpts = argc > 1 ? (const char *)sqlite3_value_text(argv[1]) : 0;
  if (zPath == 0) return;
  sqlite3_int64 nByte = 0;
  char *zErr = 0;
  int rc =
      devdb_restore_file(sqlite3_context_db_handle(ctx), zPath, zOpts, &nByte, &zErr);
  if (rc != SQLITE_OK) {
    result_fail(ctx, "devdb_restore", rc, zErr);
    return;
  }
  sqlite3_result_int64(ctx, nByte);
}

int reset_register(sqlite3 *db) {
  static const DevdbFunc aFunc[] = {
      {"devdb_wipe", 0, DEVDB_SIDE_EFFECT, wipeFunc},
      {"devdb_wipe", 1, DEVDB_SIDE_EFFECT, wipeFunc},
      {"devdb_wipe", 2, DEVDB_SIDE_EFFECT, wipeFunc},
      {"devdb_backup", 1, DEVDB_SIDE_EFFECT, backupFunc},
      {"devdb_backup", 2, DEVDB_SIDE_EFFECT, backupFunc},
      {"devdb_restore", 1, DEVDB_SIDE_EFFECT, restoreFunc},
      {"devdb_restore", 2, DEVDB_SIDE_EFFECT, restoreFunc},
      {"devdb_snapshot", 1, DEVDB_SIDE_EFFECT, snapshotFunc},
      {"devdb_revert", 1, DEVDB_SIDE_EFFECT, revertFunc},
      {"devdb_revert", 2, DEVDB_SIDE_EFFECT, revertFunc},
      {"devdb_snapshot_drop", 1, DEVDB_SIDE_EFFECT, snapshotDropFunc},
      {"devdb_protect", 0, DEVDB_SIDE_EFFECT, protectFunc},
      {"devdb_protect", 1, DEVDB_SIDE_EFFECT, protectFunc},
      {"devdb_unprotect", 0, DEVDB_SIDE_EFFECT, unprotectFunc},
      {"devdb_protected", 0, DEVDB_SIDE_EFFECT, protectedFunc},
  };
  int rc = devdb_register_funcs(db, aFunc, sizeof(aFunc) / sizeof(aFunc[0]));
  if (rc == SQLITE_OK) rc = backup_register(db);
  return rc;
}
