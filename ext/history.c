/*
** history.c: the migration history of every framework (the history area).
**
**   CREATE TABLE devdb_history(
**     tool       TEXT, -- django, rails, dbmate, rails-or-dbmate,
**                      -- golang-migrate, goose, flyway, liquibase, alembic,
**                      -- prisma, sqlx, diesel, knex, ecto, laravel, typeorm,
**                      -- sequelize, drizzle, efcore, atlas, devdb
**     tbl        TEXT, -- the history table the row comes from
**     app        TEXT, -- Django's app, Liquibase's author; else NULL
**     version    TEXT, -- the version the tool knows the migration by
**     name       TEXT, -- the migration's name, where the tool keeps one
**     applied_at TEXT, -- when, as 'YYYY-MM-DD HH:MM:SS[.fff]' (epoch
**                      -- numbers converted); NULL where the tool keeps none
**     state      TEXT, -- applied, dirty, failed, rolled_back, head,
**                      -- baseline, skipped: as the tool means it
**     checksum   TEXT, -- the stored checksum (sqlx's as hex); NULL if none
**     extra      TEXT, -- a JSON object with the tool's other columns
**     schema     HIDDEN -- the schema to search; default 'main'
**   );
**
** A history table is found by its columns (names, lower-cased), not by its
** name, since most tools let users rename it; a few one-column shapes also
** need their column to be the primary key. Per tool, one row is:
**   django       one applied (app, name); version = the name's number
**   rails/dbmate one applied version (`schema_migrations(version)`); told
**                apart by ar_internal_metadata and the declared type,
**                'rails-or-dbmate' when nothing tells
**   golang-migrate  the current version only: applied, or dirty
**   goose        the latest event per version_id that is applied (the
**                version_id 0 sentinel is skipped)
**   flyway       every execution: applied, failed (success = 0), baseline
**                (type BASELINE), rolled_back (an UNDO type)
**   liquibase    every changeset: EXECUTED/RERAN/MARK_RAN applied, FAILED
**                failed, SKIPPED skipped; app = author, version = id
**   alembic      every current head (state head); no history is kept
**   prisma       every attempt: applied (finished), failed (not finished,
**                not rolled back), rolled_back
**   sqlx         applied, or dirty (success = 0)
**   drizzle      version = created_at (the journal's "when")
**   devdb        devdb's own table _devdb_migrations: applied or dirty
**
** Examples:
**   SELECT tool, version, name, state FROM devdb_history;
**   -- django|0001|0001_initial|applied   (app in its own column)
**   SELECT * FROM devdb_history('aux') WHERE state <> 'applied';
**
** A NULL schema gives no rows; an unknown schema is an error naming it.
** DIRECTONLY: it shows what a database was built from, which a view or
** trigger of an untrusted database has no business reading.
*/
#include "devdb.h"

#include <string.h>

/* SQL fragments the readers share. */
/* The leading digits of X, or NULL. */
#define DIGITS(X)                                                                        \
  "nullif(substr(" X ",1,length(" X ")-length(ltrim(" X ",'0123456789'))),'')"
/* X as date text: numbers are seconds or milliseconds since the epoch. */
#define EPOCH(X)                                                                         \
  "CASE WHEN typeof(" X ") IN ('integer','real') THEN CASE WHEN abs(" X                  \
  ")>1e11 THEN strftime('%%Y-%%m-%%d %%H:%%M:%%f'," X "/1000.0,'unixepoch') ELSE "       \
  "datetime(" X ",'unixepoch') END ELSE " X " END"

/*
** One history table shape. A table matches when it has every column of
** zCols, and no column outside zCols and zOptional; zPk, when set, must be
** its primary key. The first match in aShape wins. zSelect reads the table
** (written once, as "%w"."%w") into the seven normalised columns.
*/
typedef struct HistShape {
  const char *zTool;
  const char *zDefault; /* the tool's default table name */
  const char *zCols;    /* space-separated, lower case */
  const char *zOptional;
  const char *zPk;
  const char *zSelect;
} HistShape;

/* The readers are SQL, laid out by hand. */
/* clang-format off */
static const HistShape aShape[] = {
  {"devdb", "_devdb_migrations",
   "version name checksum applied_at duration_ms state file_stat", "", "version",
   "SELECT NULL, version, name, applied_at, state, checksum,"
   "  json_object('duration_ms', duration_ms)"
   " FROM \"%w\".\"%w\" ORDER BY rowid"},
  {"django", "django_migrations", "id app name applied", "", 0,
   "SELECT app, " DIGITS("name") ", name, applied, 'applied', NULL,"
   "  json_object('id', id)"
   " FROM \"%w\".\"%w\" ORDER BY id"},
  {"golang-migrate", "schema_migrations", "version dirty", "", 0,
   "SELECT NULL, CAST(version AS TEXT), NULL, NULL,"
   "  CASE WHEN dirty THEN 'dirty' ELSE 'applied' END, NULL,"
   "  json_object('dirty', dirty)"
   " FROM \"%w\".\"%w\""},
  {"goose", "goose_db_version", "id version_id is_applied tstamp", "", 0,
   "WITH h AS (SELECT * FROM \"%w\".\"%w\")"
   " SELECT NULL, CAST(version_id AS TEXT), NULL, tstamp, 'applied', NULL,"
   "  json_object('id', id)"
   " FROM h WHERE is_applied AND id IN"
   "  (SELECT max(id) FROM h WHERE version_id <> 0 GROUP BY version_id)"
   " ORDER BY id"},
  {"flyway", "flyway_schema_history",
   "installed_rank version description type script checksum installed_by"
   " installed_on execution_time success", "", 0,
   "SELECT NULL, version, description, installed_on,"
   "  CASE WHEN NOT success THEN 'failed' WHEN type = 'BASELINE' THEN 'baseline'"
   "   WHEN type LIKE 'UNDO%%' THEN 'rolled_back' ELSE 'applied' END,"
   "  CAST(checksum AS TEXT),"
   "  json_object('installed_rank', installed_rank, 'type', type, 'script', script,"
   "   'installed_by', installed_by, 'execution_time', execution_time)"
   " FROM \"%w\".\"%w\" ORDER BY installed_rank"},
  {"liquibase", "databasechangelog",
   "id author filename dateexecuted orderexecuted exectype md5sum description",
   "comments tag liquibase contexts labels deployment_id", 0,
   "SELECT author, id, description, dateexecuted,"
   "  CASE upper(exectype) WHEN 'FAILED' THEN 'failed' WHEN 'SKIPPED' THEN 'skipped'"
   "   ELSE 'applied' END, md5sum,"
   "  json_object('filename', filename, 'orderexecuted', orderexecuted,"
   "   'exectype', exectype)"
   " FROM \"%w\".\"%w\" ORDER BY orderexecuted"},
  {"alembic", "alembic_version", "version_num", "", "version_num",
   "SELECT NULL, version_num, NULL, NULL, 'head', NULL, NULL FROM \"%w\".\"%w\""},
  {"prisma", "_prisma_migrations",
   "id checksum finished_at migration_name logs rolled_back_at started_at"
   " applied_steps_count", "", 0,
   "SELECT NULL, " DIGITS("migration_name") ", migration_name,"
   "  " EPOCH("coalesce(finished_at, started_at)") ","
   "  CASE WHEN rolled_back_at IS NOT NULL THEN 'rolled_back'"
   "   WHEN finished_at IS NULL THEN 'failed' ELSE 'applied' END, checksum,"
   "  json_object('id', id, 'started_at', " EPOCH("started_at") ","
   "   'rolled_back_at', " EPOCH("rolled_back_at") ","
   "   'applied_steps_count', applied_steps_count, 'logs', logs)"
   " FROM \"%w\".\"%w\" ORDER BY started_at"},
  {"sqlx", "_sqlx_migrations",
   "version description installed_on success checksum execution_time", "", 0,
   "SELECT NULL, CAST(version AS TEXT), description, installed_on,"
   "  CASE WHEN success THEN 'applied' ELSE 'dirty' END, lower(hex(checksum)),"
   "  json_object('execution_time', execution_time)"
   " FROM \"%w\".\"%w\" ORDER BY version"},
  {"diesel", "__diesel_schema_migrations", "version run_on", "", 0,
   "SELECT NULL, version, NULL, run_on, 'applied', NULL, NULL"
   " FROM \"%w\".\"%w\" ORDER BY version"},
  {"knex", "knex_migrations", "id name batch migration_time", "", 0,
   "SELECT NULL, " DIGITS("name") ", name, " EPOCH("migration_time") ","
   "  'applied', NULL, json_object('id', id, 'batch', batch)"
   " FROM \"%w\".\"%w\" ORDER BY id"},
  {"ecto", "schema_migrations", "version inserted_at", "", 0,
   "SELECT NULL, CAST(version AS TEXT), NULL, inserted_at, 'applied', NULL, NULL"
   " FROM \"%w\".\"%w\" ORDER BY version"},
  {"laravel", "migrations", "migration batch", "id", 0,
   "SELECT NULL, rtrim(substr(migration, 1, length(migration)"
   "   - length(ltrim(migration, '0123456789_'))), '_'),"
   "  migration, NULL, 'applied', NULL, json_object('batch', batch)"
   " FROM \"%w\".\"%w\" ORDER BY rowid"},
  {"typeorm", "migrations", "id timestamp name", "", 0,
   "SELECT NULL, CAST(timestamp AS TEXT), name, NULL, 'applied', NULL,"
   "  json_object('id', id)"
   " FROM \"%w\".\"%w\" ORDER BY id"},
  {"sequelize", "SequelizeMeta", "name createdat updatedat", "", "name",
   "SELECT NULL, " DIGITS("name") ", name, " EPOCH("createdAt") ", 'applied',"
   "  NULL, NULL"
   " FROM \"%w\".\"%w\" ORDER BY rowid"},
  {"sequelize", "SequelizeMeta", "name", "", "name",
   "SELECT NULL, " DIGITS("name") ", name, NULL, 'applied', NULL, NULL"
   " FROM \"%w\".\"%w\" ORDER BY rowid"},
  {"drizzle", "__drizzle_migrations", "id hash created_at name applied_at", "", 0,
   "SELECT NULL, CAST(created_at AS TEXT), name,"
   "  coalesce(applied_at, " EPOCH("created_at") "), 'applied', hash,"
   "  json_object('id', id)"
   " FROM \"%w\".\"%w\" ORDER BY created_at"},
  {"drizzle", "__drizzle_migrations", "id hash created_at", "", 0,
   "SELECT NULL, CAST(created_at AS TEXT), NULL, " EPOCH("created_at") ","
   "  'applied', hash, json_object('id', id)"
   " FROM \"%w\".\"%w\" ORDER BY created_at"},
  {"efcore", "__EFMigrationsHistory", "migrationid productversion", "", 0,
   "SELECT NULL, " DIGITS("MigrationId") ", MigrationId, NULL, 'applied', NULL,"
   "  json_object('product_version', ProductVersion)"
   " FROM \"%w\".\"%w\" ORDER BY MigrationId"},
  {"atlas", "atlas_schema_revisions",
   "version description type applied total executed_at execution_time error"
   " error_stmt hash partial_hashes operator_version", "", 0,
   "SELECT NULL, version, description, executed_at,"
   "  CASE WHEN error IS NOT NULL OR applied < total THEN 'dirty'"
   "   ELSE 'applied' END, hash,"
   "  json_object('applied', applied, 'total', total, 'error', error)"
   " FROM \"%w\".\"%w\" ORDER BY version"},
  /* last: {version} alone is Rails or dbmate (settled by rails_or_dbmate) */
  {"rails-or-dbmate", "schema_migrations", "version", "", "version",
   "SELECT NULL, version, NULL, NULL, 'applied', NULL, NULL"
   " FROM \"%w\".\"%w\" ORDER BY version"},
};
/* clang-format on */

#define N_SHAPE ((int)(sizeof(aShape) / sizeof(aShape[0])))

/* 1 when the space-separated word list zList holds zWord (any case). */
static int list_has(const char *zList, const char *zWord) {
  int n = (int)strlen(zWord);
  for (const char *z = zList; *z;) {
    while (*z == ' ') z++;
    int k = 0;
    while (z[k] && z[k] != ' ') k++;
    if (k == n && devdb_strnicmp(z, zWord, n) == 0) return 1;
    z += k;
  }
  return 0;
}

/* The number of words in zList. */
static int list_count(const char *zList) {
  int n = 0;
  for (const char *z = zList; *z; z++) n += *z != ' ' && (z == zList || z[-1] == ' ');
  return n;
}

/* The columns of one table, as read from pragma_table_info. */
#define MAX_HIST_COLS 24 /* a history table never has more */
typedef struct TableCols {
  int n;
  int bTooMany; /* more than MAX_HIST_COLS: no history table */
  char *azName[MAX_HIST_COLS];
  char *azType[MAX_HIST_COLS];
  int aPk[MAX_HIST_COLS];
} TableCols;

static void cols_clear(TableCols *p) {
  for (int i = 0; i < p->n; i++) {
    sqlite3_free(p->azName[i]);
    sqlite3_free(p->azType[i]);
  }
  p->n = 0;
}

/* Read the columns of zSchema.zTable into p. */
static int cols_read(sqlite3 *db, const char *zSchema, const char *zTable, TableCols *p) {
  sqlite3_stmt *pStmt = 0;
  int rc = devdb_prepare(
      db, &pStmt, "SELECT name, pk, type FROM pragma_table_info(%Q,%Q)", zTable, zSchema);
  memset(p, 0, sizeof(*p));
  while (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    if (p->n == MAX_HIST_COLS) {
      p->bTooMany = 1;
      break;
    }
    int i = p->n++;
    const char *zName = (const char *)sqlite3_column_text(pStmt, 0);
    const char *zType = (const char *)sqlite3_column_text(pStmt, 2);
    p->azName[i] = zName ? sqlite3_mprintf("%s", zName) : 0;
    p->azType[i] = sqlite3_mprintf("%s", zType ? zType : "");
    p->aPk[i] = sqlite3_column_int(pStmt, 1);
    /* a NULL text is a failed conversion: pragma_table_info gives no NULL name */
    if (p->azName[i] == 0 || p->azType[i] == 0 ||
        (zType == 0 && sqlite3_column_type(pStmt, 2) != SQLITE_NULL))
      rc = SQLITE_NOMEM;
  }
  int rc2 = sqlite3_finalize(pStmt);
  return rc != SQLITE_OK ? rc : rc2;
}

/* The shape a table with columns p has, or NULL. */
static const HistShape *match_shape(const TableCols *p) {
  if (p->bTooMany || p->n == 0) return 0;
  for (int k = 0; k < N_SHAPE; k++) {
    const HistShape *pS = &aShape[k];
    int nReq = 0, bOk = 1;
    for (int i = 0; i < p->n && bOk; i++) {
      if (list_has(pS->zCols, p->azName[i]))
        nReq++;
      else if (!list_has(pS->zOptional, p->azName[i]))
        bOk = 0;
      if (bOk && pS->zPk && devdb_stricmp(pS->zPk, p->azName[i]) == 0 && p->aPk[i] != 1)
        bOk = 0;
    }
    if (bOk && nReq == list_count(pS->zCols)) return pS;
  }
  return 0;
}

/*
** Settle a {version} table: Rails declares `version varchar` and keeps
** ar_internal_metadata beside it; dbmate declares varchar(128).
*/
static const char *rails_or_dbmate(sqlite3 *db, const char *zSchema, const char *zType) {
  if (devdb_query_int(db, 0,
                      "SELECT count(*) FROM \"%w\".sqlite_schema WHERE type='table' AND "
                      "name='ar_internal_metadata'",
                      zSchema)) {
    return "rails";
  }
  if (devdb_stricmp(zType, "varchar(128)") == 0) return "dbmate";
  if (devdb_stricmp(zType, "varchar") == 0) return "rails";
  return "rails-or-dbmate";
}

/* The shape of zSchema.zTable, and in *pzTool the tool; NULL when it is no
** history table. */
static const HistShape *table_shape(sqlite3 *db, const char *zSchema, const char *zTable,
                                    const char **pzTool, int *pRc) {
  TableCols cols;
  *pRc = cols_read(db, zSchema, zTable, &cols);
  const HistShape *pS = *pRc == SQLITE_OK ? match_shape(&cols) : 0;
  if (pS) {
    *pzTool = pS->zTool;
    if (strcmp(pS->zTool, "rails-or-dbmate") == 0) {
      *pzTool = rails_or_dbmate(db, zSchema, cols.azType[0]);
    }
  }
  cols_clear(&cols);
  return pS;
}

/* The shape of a table of a schema model: its columns as PRAGMA table_info
** lists them (no generated or hidden ones), as table_shape reads them. */
static const HistShape *model_shape(const DevdbTable *pTab) {
  TableCols cols;
  memset(&cols, 0, sizeof(cols));
  if (pTab->eKind != DEVDB_TABLE) return 0;
  for (int i = 0; i < pTab->nCol && !cols.bTooMany; i++) {
    const DevdbColumn *pCol = &pTab->aCol[i];
    if (pCol->bHidden || pCol->eGen) continue;
    if (cols.n == MAX_HIST_COLS) {
      cols.bTooMany = 1;
      break;
    }
    cols.azName[cols.n] = pCol->zName;
    cols.aPk[cols.n++] = pCol->iPk;
  }
  return match_shape(&cols);
}

/* 1 when zName is one of the tools' default history table names. */
static int is_default_name(const char *zName) {
  for (int k = 0; k < N_SHAPE; k++) {
    if (devdb_stricmp(aShape[k].zDefault, zName) == 0) return 1;
  }
  return 0;
}

int devdb_history_in_model(const DevdbSchema *pS, const DevdbTable **apOut) {
  int n = 0;
  for (int pass = 0; pass < 2 && n == 0; pass++) {
    for (int i = 0; i < pS->nTable; i++) {
      const DevdbTable *pTab = &pS->aTable[i];
      if (pass == 0 && !is_default_name(pTab->zName)) continue;
      if (model_shape(pTab)) apOut[n++] = pTab;
    }
  }
  return n;
}

void devdb_history_free(DevdbHistTable *a, int n) {
  for (int i = 0; i < n; i++) sqlite3_free(a[i].zTable);
  sqlite3_free(a);
}

/*
** The query that lists candidate tables: every table of zSchema, or (bAll
** 0) those of the tools' default names that exist, looked up in the schema's
** hash of tables rather than by a scan of sqlite_schema. NULL when bAll is
** 0 and none exists.
*/
static char *candidates_sql(sqlite3 *db, const char *zSchema, int bAll, int *pRc) {
  sqlite3_str *p = sqlite3_str_new(0);
  if (bAll) {
    sqlite3_str_appendf(p,
                        "SELECT name FROM \"%w\".sqlite_schema WHERE type='table' "
                        "AND name NOT LIKE 'sqlite\\_%%' ESCAPE '\\' ORDER BY rowid",
                        zSchema);
  } else {
    int n = 0;
    for (int k = 0; k < N_SHAPE; k++) {
      const char *z = aShape[k].zDefault;
      int bDup = 0;
      for (int j = 0; j < k && !bDup; j++)
        bDup = devdb_stricmp(aShape[j].zDefault, z) == 0;
      if (bDup || sqlite3_table_column_metadata(db, zSchema, z, 0, 0, 0, 0, 0, 0))
        continue;
      sqlite3_str_appendf(p, "%s(%Q)", n++ ? "," : "SELECT column1 FROM (VALUES ", z);
    }
    if (n == 0) {
      sqlite3_free(sqlite3_str_finish(p));
      *pRc = SQLITE_OK;
      return 0;
    }
    sqlite3_str_appendall(p, ")");
  }
  char *z = sqlite3_str_finish(p);
  *pRc = z ? SQLITE_OK : SQLITE_NOMEM;
  return z;
}

/* Append the history tables that the candidates query zSql finds. */
static int find_tables(sqlite3 *db, const char *zSchema, const char *zSql,
                       DevdbHistTable **paTab, int *pnTab) {
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0);
  while (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    const char *zName = (const char *)sqlite3_column_text(pStmt, 0);
    const char *zTool = 0;
    if (zName == 0) { /* a table's name is never NULL: memory ran out */
      rc = SQLITE_NOMEM;
      break;
    }
    const HistShape *pS = table_shape(db, zSchema, zName, &zTool, &rc);
    if (pS == 0) continue;
    DevdbHistTable *aNew =
        sqlite3_realloc64(*paTab, sizeof(DevdbHistTable) * (*pnTab + 1));
    if (aNew == 0) {
      rc = SQLITE_NOMEM;
      break;
    }
    *paTab = aNew;
    aNew[*pnTab].zTool = zTool;
    aNew[*pnTab].zSelect = pS->zSelect;
    aNew[*pnTab].zTable = sqlite3_mprintf("%s", zName);
    if (aNew[(*pnTab)++].zTable == 0) rc = SQLITE_NOMEM;
  }
  int rc2 = sqlite3_finalize(pStmt);
  return rc != SQLITE_OK ? rc : rc2;
}

int devdb_history_find(sqlite3 *db, const char *zSchema, int bAll, DevdbHistTable **paTab,
                       int *pnTab, char **pzErr) {
  *paTab = 0;
  *pnTab = 0;
  int rc = SQLITE_OK;
  for (int pass = bAll ? 1 : 0; pass < 2 && *pnTab == 0 && rc == SQLITE_OK; pass++) {
    char *zSql = candidates_sql(db, zSchema, pass, &rc);
    if (zSql) rc = find_tables(db, zSchema, zSql, paTab, pnTab);
    sqlite3_free(zSql);
  }
  if (rc != SQLITE_OK) {
    *pzErr =
        sqlite3_mprintf("%s", rc == SQLITE_NOMEM ? "out of memory" : sqlite3_errmsg(db));
    devdb_history_free(*paTab, *pnTab);
    *paTab = 0;
    *pnTab = 0;
  }
  return rc;
}

char *devdb_history_sql(const char *zSchema, const DevdbHistTable *p) {
  return sqlite3_mprintf(p->zSelect, zSchema, p->zTable);
}

int devdb_history_query(sqlite3 *db, const char *zSchema, const DevdbHistTable *p,
                        sqlite3_stmt **ppStmt) {
  return devdb_prepare(db, ppStmt, p->zSelect, zSchema, p->zTable);
}

/* ------------------------------------------------------ the virtual table */

#define HIST_TOOL 0
#define HIST_TBL 1
#define HIST_NCOPY 7 /* app .. extra, copied from the reader's query */
#define HIST_SCHEMA 9

typedef struct HistRow {
  const char *zTool;
  char *zTable;
  sqlite3_value *apVal[HIST_NCOPY];
} HistRow;

typedef struct hist_vtab {
  sqlite3_vtab base; /* Base class - must be first */
  sqlite3 *db;
} hist_vtab;

typedef struct hist_cursor {
  sqlite3_vtab_cursor base; /* Base class - must be first */
  HistRow *aRow;
  int nRow, iRow;
} hist_cursor;

static int histConnect(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                       sqlite3_vtab **ppVtab, char **pzErr) {
  int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(tool TEXT, tbl TEXT, app TEXT, "
                                    "version TEXT, name TEXT, applied_at TEXT, state "
                                    "TEXT, checksum TEXT, extra TEXT, schema HIDDEN)");
  if (rc != SQLITE_OK) return rc;
  hist_vtab *pNew = sqlite3_malloc(sizeof(*pNew));
  if (pNew == 0) return SQLITE_NOMEM;
  memset(pNew, 0, sizeof(*pNew));
  pNew->db = db;
  /* what a database was built from is not for its views and triggers */
  sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  *ppVtab = &pNew->base;
  return SQLITE_OK;
}

static int histDisconnect(sqlite3_vtab *pVtab) {
  sqlite3_free(pVtab);
  return SQLITE_OK;
}

static int histOpen(sqlite3_vtab *p, sqlite3_vtab_cursor **ppCursor) {
  hist_cursor *pCur = sqlite3_malloc(sizeof(*pCur));
  if (pCur == 0) return SQLITE_NOMEM;
  memset(pCur, 0, sizeof(*pCur));
  *ppCursor = &pCur->base;
  return SQLITE_OK;
}

static void histReset(hist_cursor *pCur) {
  for (int i = 0; i < pCur->nRow; i++) {
    sqlite3_free(pCur->aRow[i].zTable);
    for (int k = 0; k < HIST_NCOPY; k++) sqlite3_value_free(pCur->aRow[i].apVal[k]);
  }
  sqlite3_free(pCur->aRow);
  pCur->aRow = 0;
  pCur->nRow = pCur->iRow = 0;
}

static int histClose(sqlite3_vtab_cursor *cur) {
  histReset((hist_cursor *)cur);
  sqlite3_free(cur);
  return SQLITE_OK;
}

/* Append the rows of one history table to the cursor. */
static int add_table_rows(hist_cursor *pCur, sqlite3 *db, const char *zSchema,
                          const DevdbHistTable *pTab) {
  sqlite3_stmt *pStmt = 0;
  int rc = devdb_history_query(db, zSchema, pTab, &pStmt);
  while (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    HistRow *aNew = sqlite3_realloc64(pCur->aRow, sizeof(HistRow) * (pCur->nRow + 1));
    if (aNew == 0) {
      rc = SQLITE_NOMEM;
      break;
    }
    pCur->aRow = aNew;
    HistRow *pRow = &aNew[pCur->nRow++];
    memset(pRow, 0, sizeof(*pRow));
    pRow->zTool = pTab->zTool;
    pRow->zTable = sqlite3_mprintf("%s", pTab->zTable);
    if (pRow->zTable == 0) rc = SQLITE_NOMEM;
    for (int k = 0; k < HIST_NCOPY && rc == SQLITE_OK; k++) {
      pRow->apVal[k] = sqlite3_value_dup(sqlite3_column_value(pStmt, k));
      if (pRow->apVal[k] == 0) rc = SQLITE_NOMEM;
    }
  }
  int rc2 = sqlite3_finalize(pStmt);
  return rc != SQLITE_OK ? rc : rc2;
}

static int histFilter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc,
                      sqlite3_value **argv) {
  hist_cursor *pCur = (hist_cursor *)cur;
  sqlite3 *db = ((hist_vtab *)cur->pVtab)->db;
  histReset(pCur);
  const char *zSchema = "main";
  if (idxNum & 1) {
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return SQLITE_OK;
    zSchema = (const char *)sqlite3_value_text(argv[0]);
    if (zSchema == 0) return SQLITE_NOMEM;
  }
  if (devdb_query_int(db, 0, "SELECT count(*) FROM pragma_database_list WHERE name=%Q",
                      zSchema) == 0 &&
      devdb_stricmp(zSchema, "temp") != 0) {
    devdb_vtab_error(cur->pVtab, "devdb_history: no such schema: '%s'", zSchema);
    return SQLITE_ERROR;
  }
  char *zSchemaCopy = sqlite3_mprintf("%s", zSchema);
  if (zSchemaCopy == 0) return SQLITE_NOMEM;
  DevdbHistTable *aTab = 0;
  int nTab = 0;
  char *zErr = 0;
  int rc = devdb_history_find(db, zSchemaCopy, 1, &aTab, &nTab, &zErr);
  for (int i = 0; i < nTab && rc == SQLITE_OK; i++) {
    rc = add_table_rows(pCur, db, zSchemaCopy, &aTab[i]);
    if (rc != SQLITE_OK && rc != SQLITE_NOMEM) {
      zErr = sqlite3_mprintf("cannot read %s: %s", aTab[i].zTable, sqlite3_errmsg(db));
    }
  }
  if (rc != SQLITE_OK) {
    devdb_vtab_error(cur->pVtab, "devdb_history: %s", zErr ? zErr : sqlite3_errstr(rc));
  }
  sqlite3_free(zErr);
  sqlite3_free(zSchemaCopy);
  devdb_history_free(aTab, nTab);
  return rc;
}

static int histNext(sqlite3_vtab_cursor *cur) {
  ((hist_cursor *)cur)->iRow++;
  return SQLITE_OK;
}

static int histEof(sqlite3_vtab_cursor *cur) {
  hist_cursor *pCur = (hist_cursor *)cur;
  return pCur->iRow >= pCur->nRow;
}

static int histColumn(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i) {
  hist_cursor *pCur = (hist_cursor *)cur;
  const HistRow *pRow = &pCur->aRow[pCur->iRow];
  if (i == HIST_TOOL) {
    sqlite3_result_text(ctx, pRow->zTool, -1, SQLITE_STATIC);
  } else if (i == HIST_TBL) {
    sqlite3_result_text(ctx, pRow->zTable, -1, SQLITE_TRANSIENT);
  } else if (i < HIST_SCHEMA) {
    sqlite3_result_value(ctx, pRow->apVal[i - 2]);
  }
  return SQLITE_OK;
}

static int histRowid(sqlite3_vtab_cursor *cur, sqlite_int64 *pRowid) {
  *pRowid = ((hist_cursor *)cur)->iRow + 1;
  return SQLITE_OK;
}

/* Use an equality constraint on schema; reject an unusable one. */
static int histBestIndex(sqlite3_vtab *tab, sqlite3_index_info *pInfo) {
  int iSchema = -1;
  for (int i = 0; i < pInfo->nConstraint; i++) {
    const struct sqlite3_index_constraint *pC = &pInfo->aConstraint[i];
    if (pC->iColumn != HIST_SCHEMA) continue;
    if (!pC->usable) return SQLITE_CONSTRAINT;
    if (pC->op == SQLITE_INDEX_CONSTRAINT_EQ) iSchema = i;
  }
  pInfo->estimatedCost = 100;
  pInfo->estimatedRows = 100;
  if (iSchema >= 0) {
    pInfo->aConstraintUsage[iSchema].argvIndex = 1;
    pInfo->aConstraintUsage[iSchema].omit = 1;
    pInfo->idxNum = 1;
  }
  return SQLITE_OK;
}

static sqlite3_module histModule = {
    0,              /* iVersion */
    0,              /* xCreate: eponymous only */
    histConnect,    /* xConnect */
    histBestIndex,  /* xBestIndex */
    histDisconnect, /* xDisconnect */
    0,              /* xDestroy */
    histOpen,       /* xOpen */
    histClose,      /* xClose */
    histFilter,     /* xFilter */
    histNext,       /* xNext */
    histEof,        /* xEof */
    histColumn,     /* xColumn */
    histRowid,      /* xRowid */
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

int history_register(sqlite3 *db) {
  return sqlite3_create_module(db, "devdb_history", &histModule, 0);
}
