/*
** source.c: resolving a *source* (DESIGN.md) into a connection and a schema.
**
** A source is, in the order they are tried:
**   ''                    the empty schema
**   main, temp, aux ...   a schema of the calling connection (any case)
**   path/to/dir           a migrations directory: its up-migrations run in
**                         order into a scratch in-memory database
**   path/to/file.sql      a SQL file run into a scratch in-memory database
**   path/to/file          a SQLite database, opened read-only
**   CREATE TABLE ...      SQL text (anything with the word CREATE) run into
**                         a scratch in-memory database
** Anything else is an error that names the source.
**
** Scratch and read-only connections are locked down: defensive on, they
** cannot ATTACH another database or load extensions, and they hold only
** SQLite's built-in functions (devdb is not loaded on them), so SQL text or
** a hostile file cannot make devdb write anywhere.
**
** No SQL functions live here.
*/
#include "devdb.h"

#include <string.h>

/*
** Settings every connection devdb opens for a source gets: no ATTACH, no
** extension loading, defensive. Its schema is trusted to call functions not
** marked innocuous because such a connection has only SQLite's built-in
** functions (no extension is loaded on it) and devdb only reads and
** prepares there: SQLite 3.40 does not mark json_valid() and friends
** innocuous, and Django puts them in CHECK constraints and views, which
** would otherwise fail to load ("unsafe use of json_valid()").
*/
static int lock_down(sqlite3 *db) {
  sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)0);
  sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 1, (int *)0);
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, (int *)0);
  return SQLITE_OK;
}

/*
** Connections devdb opens for a source are used by one thread at a time
** (the one loading a model), so they skip SQLite's per-call mutex.
*/
#define OWN SQLITE_OPEN_NOMUTEX

int devdb_scratch_open(sqlite3 **pDb, char **pzErr) {
  int rc = sqlite3_open_v2(":memory:", pDb,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | OWN, 0);
  if (rc != SQLITE_OK) {
    *pzErr = sqlite3_mprintf("cannot open a scratch database: %s", sqlite3_errstr(rc));
    sqlite3_close(*pDb);
    *pDb = 0;
    return rc;
  }
  return lock_down(*pDb);
}

/* 1 when zName is a schema of db (main, temp or attached), any case. main
** and temp always are: no query, so a database locked by another
** connection still reads as the schema it is (and loading it then says
** the database is locked). */
static int is_schema_name(sqlite3 *db, const char *zName) {
  if (devdb_stricmp(zName, "main") == 0 || devdb_stricmp(zName, "temp") == 0) return 1;
  sqlite3_stmt *pStmt = 0;
  int bFound = 0;
  if (sqlite3_prepare_v2(db, "SELECT name FROM pragma_database_list", -1, &pStmt, 0))
    return 0;
  while (!bFound && sqlite3_step(pStmt) == SQLITE_ROW) {
    const char *z = (const char *)sqlite3_column_text(pStmt, 0);
    bFound = z && devdb_stricmp(z, zName) == 0;
  }
  sqlite3_finalize(pStmt);
  return bFound || devdb_stricmp(zName, "temp") == 0;
}

/* 1 when z holds CREATE as a word outside strings and comments. */
static int has_create_word(const char *z) {
  DevdbLexer lx;
  devdb_lexer_init(&lx, z, -1);
  for (;;) {
    DevdbToken t = devdb_lexer_next(&lx);
    if (t.eType == DEVDB_TK_EOF) return 0;
    if (devdb_token_is(&t, "create")) return 1;
  }
}

/* Run zSql into the scratch db; the message names zLabel. */
static int run_sql(sqlite3 *db, const char *zSql, const char *zLabel, char **pzErr) {
  char *zErr = 0;
  int rc = sqlite3_exec(db, zSql, 0, 0, &zErr);
  if (rc != SQLITE_OK) {
    *pzErr = sqlite3_mprintf("error in %s: %s", zLabel, zErr ? zErr : sqlite3_errstr(rc));
  }
  sqlite3_free(zErr);
  return rc;
}

/* Open the SQLite database file zPath read-only into pSrc. */
static int open_db_file(const char *zPath, DevdbSource *pSrc, char **pzErr) {
  int rc = sqlite3_open_v2(zPath, &pSrc->db, SQLITE_OPEN_READONLY | OWN, 0);
  if (rc == SQLITE_OK) rc = lock_down(pSrc->db);
  /* room for the whole schema: the model reads sqlite_schema more than once */
  if (rc == SQLITE_OK) rc = sqlite3_exec(pSrc->db, "PRAGMA cache_size=-65536", 0, 0, 0);
  if (rc == SQLITE_OK) {
    rc = sqlite3_exec(pSrc->db, "SELECT 1 FROM sqlite_schema LIMIT 1", 0, 0, 0);
  }
  if (rc != SQLITE_OK) {
    *pzErr = sqlite3_mprintf("cannot read '%s' as a SQLite database: %s", zPath,
                             pSrc->db ? sqlite3_errmsg(pSrc->db) : sqlite3_errstr(rc));
  }
  return rc;
}

/* Open a scratch database for pSrc and fill it as eKind says. */
static int fill_scratch(const char *zSource, DevdbSource *pSrc, char **pzErr) {
  int rc = devdb_scratch_open(&pSrc->db, pzErr);
  if (rc != SQLITE_OK) return rc;
  switch (pSrc->eKind) {
  case DEVDB_SRC_SQLTEXT:
    return run_sql(pSrc->db, zSource, "the SQL text", pzErr);
  case DEVDB_SRC_SQLFILE: {
    char *zSql = devdb_read_text_file(zSource, pSrc->zLabel, pzErr);
    if (zSql == 0) return SQLITE_ERROR;
    rc = run_sql(pSrc->db, zSql, pSrc->zLabel, pzErr);
    sqlite3_free(zSql);
    return rc;
  }
  case DEVDB_SRC_MIGRATIONS:
    return devdb_migrations_build(pSrc->db, zSource, pzErr);
  default:
    return SQLITE_OK; /* the empty schema */
  }
}

int devdb_source_kind(sqlite3 *db, const char *zSource) {
  if (zSource[0] == 0) return DEVDB_SRC_EMPTY;
  if (is_schema_name(db, zSource)) return DEVDB_SRC_SCHEMA;
  switch (devdb_path_kind(zSource)) {
  case 1:
    return DEVDB_SRC_MIGRATIONS;
  case 2:
    return devdb_has_suffix(zSource, ".sql") ? DEVDB_SRC_SQLFILE : DEVDB_SRC_DBFILE;
  default:
    break;
  }
  if (has_create_word(zSource)) return DEVDB_SRC_SQLTEXT;
  return 0;
}

int devdb_source_open(sqlite3 *db, const char *zSource, DevdbSource *pSrc, char **pzErr) {
  memset(pSrc, 0, sizeof(*pSrc));
  *pzErr = 0;
  pSrc->eKind = devdb_source_kind(db, zSource);
  if (pSrc->eKind == 0) {
    *pzErr = sqlite3_mprintf("no such schema, file or directory, and no CREATE "
                             "statement: '%s'",
                             zSource);
    return SQLITE_ERROR;
  }
  pSrc->zLabel = pSrc->eKind == DEVDB_SRC_SQLTEXT ? sqlite3_mprintf("SQL text")
                                                  : sqlite3_mprintf("'%s'", zSource);
  pSrc->zSchema =
      sqlite3_mprintf("%s", pSrc->eKind == DEVDB_SRC_SCHEMA ? zSource : "main");
  if (pSrc->zLabel == 0 || pSrc->zSchema == 0) {
    devdb_source_close(pSrc);
    return SQLITE_NOMEM;
  }
  if (pSrc->eKind == DEVDB_SRC_SCHEMA) {
    pSrc->db = db;
    return SQLITE_OK;
  }
  pSrc->bOwned = 1;
  int rc = pSrc->eKind == DEVDB_SRC_DBFILE ? open_db_file(zSource, pSrc, pzErr)
                                           : fill_scratch(zSource, pSrc, pzErr);
  if (rc != SQLITE_OK) devdb_source_close(pSrc);
  return rc;
}

void devdb_source_close(DevdbSource *pSrc) {
  if (pSrc->bOwned) sqlite3_close(pSrc->db);
  sqlite3_free(pSrc->zSchema);
  sqlite3_free(pSrc->zLabel);
  memset(pSrc, 0, sizeof(*pSrc));
}
