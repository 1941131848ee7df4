/*
** migrate.c: migrations directories and the runner (the migrations area).
** Directory formats are read by migfile.c; history tables by history.c.
**
**   devdb_migrate(dir [, target [, options]])  -> number applied
**     Applies the pending migrations of dir up to target (a version; NULL
**     or absent: all), oldest first. Each migration and its history row
**     commit together in one BEGIN IMMEDIATE transaction, and whether it is
**     still pending is checked again inside it, so several processes
**     migrating at once apply each migration once. A brand-new database
**     (no tables, no history) gets all of them in one transaction: all or
**     nothing. A failure rolls its migration back whole and is reported as
**     "devdb_migrate: FILE:LINE: message".
**   devdb_rollback(dir [, steps [, options]])  -> number rolled back
**     Runs the down sections of the newest applied migrations (steps,
**     default 1), newest first, each in its own transaction with its
**     history row.
**   devdb_redo(dir [, steps])                   -> number re-applied
**     devdb_rollback(dir, steps), then devdb_migrate up to where it was, in
**     one BEGIN IMMEDIATE transaction: concurrent redos take turns, and an
**     up step that fails leaves the database as it was. When a migration
**     involved opts out of the transaction or sets PRAGMA foreign_keys,
**     each step runs in its own transaction instead: a failing up step
**     then leaves the migrations rolled back (pending), and another
**     process may act between the steps.
**   devdb_mark(dir, version, state [, options]) -> 1 changed, 0 already so
**     Records a migration as 'applied' or 'pending' without running it
**     (Django's --fake): this also clears a dirty migration, and marking an
**     applied one 'applied' stores its file's checksum again (accepting an
**     edit).
**
** options, a comma-separated list:
**   plan                 return the SQL that would run, in order, with a
**                        comment line per migration; run nothing
**   each                 a transaction per migration even on a new database
**   all-or-nothing       all pending migrations in one transaction
**   allow-out-of-order   apply pending migrations older than the newest
**                        applied one (otherwise an error lists them)
**   allow-modified       run although an applied file changed since
**   to:VERSION           (rollback) roll back every migration newer than
**                        VERSION; all: every one
**   history:TOOL         write TOOL's table (devdb, dbmate, golang-migrate,
**                        goose, flyway, django), creating it if missing
**   app:NAME             the Django app (default: the directory's name, or
**                        its parent's when it is called migrations or sql)
**   timeout:MS           how long to wait for the write lock (10000)
**
**   CREATE TABLE devdb_migrations(
**     version TEXT, name TEXT, file TEXT,
**     state TEXT,       -- applied, pending, modified, line_endings (only
**                       -- the line endings changed), missing (applied, no
**                       -- file), out_of_order (pending, older than the
**                       -- newest applied), dirty (failed or unfinished)
**     applied_at TEXT, checksum TEXT (SHA-256 of the file),
**     up_sql TEXT, down_sql TEXT,
**     tool TEXT,        -- whose history table it was read from
**     dir HIDDEN
**   );
**
** Which history table: the database's table of the directory's own tool
** (dbmate, golang-migrate, goose, Flyway; Rails' schema_migrations counts as
** dbmate's), kept in that tool's format so the tool still agrees; else
** devdb's own _devdb_migrations (version, name, checksum, applied_at,
** duration_ms, state, file_stat), made on first use; a plain directory also
** continues a django_migrations table. file_stat is the file's size and
** mtime when it was applied: while they are unchanged, devdb_migrations
** trusts the stored checksum instead of reading the file again (as git
** trusts its index), so status stays fast on large directories.
**
** Inside a transaction, a migration may not BEGIN, COMMIT, SAVEPOINT,
** ATTACH or DETACH (refused by an authorizer while it runs) nor switch
** journal_mode or VACUUM, unless its file opts out of the transaction
** (dbmate transaction:false, goose NO TRANSACTION, Flyway's .conf
** executeInTransaction=false, a first line "-- no-transaction"). PRAGMA
** foreign_keys statements at the start of a migration run before its
** transaction and those at its end after it, with PRAGMA foreign_key_check
** before the COMMIT; elsewhere they are an error. An opted-out migration is
** recorded dirty first (devdb's table, golang-migrate) and clean when done.
**
** Examples:
**   SELECT devdb_migrate('db/migrations');               -- 3
**   SELECT devdb_migrate('db/migrations', '20240101', 'plan');
**   SELECT version, state FROM devdb_migrations('db/migrations')
**    WHERE state <> 'applied';
**   SELECT devdb_rollback('db/migrations', 2);
**   SELECT devdb_mark('db/migrations', '0003', 'applied');
**
** NULL dir or version gives NULL; a directory without migration files is an
** error. The functions refuse to run inside an open transaction. While a
** migration runs devdb's authorizer is installed on the connection and
** removed after it (SQLite cannot hand back a previous one: a program that
** uses its own authorizer sets it again after migrating). All are
** DIRECTONLY: they read files and change the database; devdb_migrations is
** DIRECTONLY as it reads files.
*/
#include "devdb.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------ options */

/* An option's value: room enough for a version, a tool or an app name. */
#define OPT_MAX 256

/* The value of "key:value" in the option list, copied into zOut
** (OPT_MAX bytes; no allocation, so no out-of-memory error can pass for
** an absent option): zOut, or NULL when the list has no such key. */
static char *opt_value(const char *zOpts, const char *zKey, char *zOut) {
  int nKey = (int)strlen(zKey);
  for (const char *z = zOpts; z && *z;) {
    while (*z == ' ' || *z == ',') z++;
    const char *zEnd = z;
    while (*zEnd && *zEnd != ',') zEnd++;
    if (zEnd - z > nKey && devdb_strnicmp(z, zKey, nKey) == 0 && z[nKey] == ':') {
      const char *zLast = zEnd;
      while (zLast > z && zLast[-1] == ' ') zLast--;
      int n = (int)(zLast - z - nKey - 1);
      if (n > OPT_MAX - 1) n = OPT_MAX - 1;
      memcpy(zOut, z + nKey + 1, n);
      zOut[n] = 0;
      return zOut;
    }
    z = zEnd;
  }
  return 0;
}

/* ------------------------------------------------------ history tables */

/* The tools whose tables devdb writes. */
enum { HT_DEVDB = 1, HT_DBMATE, HT_GOLANG, HT_GOOSE, HT_FLYWAY, HT_DJANGO };

static const char *azToolName[] = {"",      "devdb",  "dbmate", "golang-migrate",
                                   "goose", "flyway", "django"};
static const char *azToolTable[] = {"",
                                    "_devdb_migrations",
                                    "schema_migrations",
                                    "schema_migrations",
                                    "goose_db_version",
                                    "flyway_schema_history",
                                    "django_migrations"};

/* The writer tool of a history.c tool name, or 0. */
static int tool_of(const char *zTool) {
  if (strcmp(zTool, "rails") == 0 || strcmp(zTool, "rails-or-dbmate") == 0)
    return HT_DBMATE;
  for (int i = 1; i <= HT_DJANGO; i++) {
    if (strcmp(zTool, azToolName[i]) == 0) return i;
  }
  return 0;
}

/* The tool whose table a directory format continues. */
static int tool_of_format(int eFormat) {
  switch (eFormat) {
  case DEVDB_FMT_DBMATE:
    return HT_DBMATE;
  case DEVDB_FMT_GOOSE:
    return HT_GOOSE;
  case DEVDB_FMT_GOLANG:
    return HT_GOLANG;
  case DEVDB_FMT_FLYWAY:
    return HT_FLYWAY;
  default:
    return 0;
  }
}

/* One row of the history, matched to files by its key. */
typedef struct Applied {
  char *zKey; /* the version; Django: the migration name; Flyway R: the script */
  char *zName;
  char *zState; /* applied, dirty, failed, baseline */
  char *zAppliedAt;
  char *zChecksum;
  char *zFileStat; /* devdb: the file's "size:mtime" when it was applied */
  int bSeen;       /* a file matched it */
} Applied;

/* The history table a run reads and writes. */
typedef struct Hist {
  int eTool;           /* HT_* */
  char *zTable;        /* its name */
  const char *zSelect; /* its reader (history.c), NULL until it exists */
  char *zApp;          /* Django's app */
  int bExists;         /* the table is there (else made on the first write) */
  int nApplied;
  Applied *aApplied; /* sorted by key (version order) */
  int bGolangRow;    /* golang-migrate: its one row */
  char *zGolangVersion;
  int bGolangDirty;
  char *zBaseline; /* Flyway: the baseline version */
} Hist;

static void hist_clear_rows(Hist *pH) {
  for (int i = 0; i < pH->nApplied; i++) {
    Applied *p = &pH->aApplied[i];
    sqlite3_free(p->zKey);
    sqlite3_free(p->zName);
    sqlite3_free(p->zState);
    sqlite3_free(p->zAppliedAt);
    sqlite3_free(p->zChecksum);
    sqlite3_free(p->zFileStat);
  }
  sqlite3_free(pH->aApplied);
  sqlite3_free(pH->zGolangVersion);
  sqlite3_free(pH->zBaseline);
  pH->aApplied = 0;
  pH->nApplied = 0;
  pH->zGolangVersion = pH->zBaseline = 0;
  pH->bGolangRow = pH->bGolangDirty = 0;
}

static void hist_free(Hist *pH) {
  hist_clear_rows(pH);
  sqlite3_free(pH->zTable);
  sqlite3_free(pH->zApp);
  memset(pH, 0, sizeof(*pH));
}

/* Django's app for the directory: option app:NAME, else the directory's
** name, or its parent's when that is "migrations" or "sql". */
static char *django_app(const char *zDir, const char *zOpts) {
  char zApp[OPT_MAX];
  if (opt_value(zOpts, "app", zApp)) return sqlite3_mprintf("%s", zApp);
  int n = (int)strlen(zDir);
  while (n > 1 && zDir[n - 1] == '/') n--;
  int i = n;
  while (i > 0 && zDir[i - 1] != '/') i--;
  if ((n - i == 10 && strncmp(zDir + i, "migrations", 10) == 0) ||
      (n - i == 3 && strncmp(zDir + i, "sql", 3) == 0)) {
    int e = i > 0 ? i - 1 : 0, s = e;
    while (s > 0 && zDir[s - 1] != '/') s--;
    if (e > s) return sqlite3_mprintf("%.*s", e - s, zDir + s);
  }
  return sqlite3_mprintf("%.*s", n - i, zDir + i);
}

/*
** Choose the history table for directory pDir: option history:TOOL; else
** the table of the directory's tool; else devdb's own; else (plain
** directory) a dbmate/Rails, goose or Django table; else devdb's own, made
** on first write.
*/
static int hist_choose(sqlite3 *db, const DevdbMigDir *pDir, const char *zOpts, Hist *pH,
                       char **pzErr) {
  DevdbHistTable *aTab = 0;
  int nTab = 0, rc = devdb_history_find(db, "main", 0, &aTab, &nTab, pzErr);
  if (rc) return rc;
  char zBuf[OPT_MAX];
  const char *zWant = opt_value(zOpts, "history", zBuf);
  int eWant = zWant ? tool_of(zWant) : 0;
  if (zWant && eWant == 0) {
    *pzErr = sqlite3_mprintf("unknown history table format '%s' (devdb, dbmate, "
                             "golang-migrate, goose, flyway, django)",
                             zWant);
    rc = SQLITE_ERROR;
  }
  static const int aPlain[] = {HT_DEVDB, HT_DBMATE, HT_GOOSE, HT_DJANGO};
  int aPref[4], nPref = 0;
  if (eWant) {
    aPref[nPref++] = eWant;
  } else if (pDir->eFormat == DEVDB_FMT_PLAIN) {
    for (int i = 0; i < 4; i++) aPref[nPref++] = aPlain[i];
  } else {
    aPref[nPref++] = tool_of_format(pDir->eFormat);
    aPref[nPref++] = HT_DEVDB;
  }
  for (int k = 0; k < nPref && rc == SQLITE_OK && pH->eTool == 0; k++) {
    for (int i = 0; i < nTab && pH->eTool == 0; i++) {
      if (tool_of(aTab[i].zTool) != aPref[k]) continue;
      pH->eTool = aPref[k];
      pH->bExists = 1;
      pH->zSelect = aTab[i].zSelect;
      pH->zTable = sqlite3_mprintf("%s", aTab[i].zTable);
    }
  }
  if (rc == SQLITE_OK && pH->eTool == 0) {
    pH->eTool = eWant ? eWant : HT_DEVDB;
    pH->zTable = sqlite3_mprintf("%s", azToolTable[pH->eTool]);
  }
  if (rc == SQLITE_OK && pH->eTool == HT_DJANGO) pH->zApp = django_app(pDir->zDir, zOpts);
  if (rc == SQLITE_OK && (pH->zTable == 0 || (pH->eTool == HT_DJANGO && pH->zApp == 0)))
    rc = SQLITE_NOMEM;
  devdb_history_free(aTab, nTab);
  return rc;
}

static int cmp_applied(const void *a, const void *b) {
  return devdb_version_cmp(((const Applied *)a)->zKey, ((const Applied *)b)->zKey);
}

/* Copy column i of pStmt as an sqlite3_malloc'd string (NULL stays NULL);
** sets *pRc on OOM. */
static char *col_dup(sqlite3_stmt *pStmt, int i, int *pRc) {
  if (sqlite3_column_type(pStmt, i) == SQLITE_NULL) return 0;
  char *z = sqlite3_mprintf("%s", (const char *)sqlite3_column_text(pStmt, i));
  if (z == 0) *pRc = SQLITE_NOMEM;
  return z;
}

/* The query that reads pH's table as (key, name, state, applied_at,
** checksum), one row per key (Flyway: its latest run): history.c's reader,
** keyed the way this tool matches files. */
static char *hist_read_sql(const Hist *pH) {
  /* the simple tables are read as they are (the status path stays fast) */
  switch (pH->eTool) {
  case HT_DEVDB:
    return sqlite3_mprintf("SELECT version, name, state, applied_at, checksum, file_stat "
                           "FROM \"main\".\"%w\"",
                           pH->zTable);
  case HT_DBMATE:
    return sqlite3_mprintf("SELECT version, NULL, 'applied', NULL, NULL, NULL FROM "
                           "\"main\".\"%w\"",
                           pH->zTable);
  default:
    break;
  }
  DevdbHistTable t = {pH->zTable, azToolName[pH->eTool], pH->zSelect};
  char *zReader = devdb_history_sql("main", &t);
  if (zReader == 0) return 0;
  const char *zKey = pH->eTool == HT_DJANGO   ? "name"
                     : pH->eTool == HT_FLYWAY ? "coalesce(version, json_extract(extra, "
                                                "'$.script'))"
                                              : "version";
  const char *zOrder =
      pH->eTool == HT_FLYWAY ? "json_extract(extra, '$.installed_rank')" : "1";
  char *zSql = sqlite3_mprintf(
      "WITH h(app, version, name, applied_at, state, checksum, extra) AS (%s)"
      " SELECT k, name, state, applied_at, checksum, NULL FROM (SELECT %s AS k, *,"
      " row_number() OVER (PARTITION BY %s ORDER BY %s DESC) AS rn FROM h"
      " WHERE %d OR app IS %Q) WHERE rn = 1",
      zReader, zKey, zKey, zOrder, pH->eTool != HT_DJANGO, pH->zApp);
  sqlite3_free(zReader);
  return zSql;
}

/* Read the rows of pH's table (inside the caller's transaction). */
static int hist_read(sqlite3 *db, Hist *pH, char **pzErr) {
  hist_clear_rows(pH);
  if (!pH->bExists) return SQLITE_OK;
  char *zSql = hist_read_sql(pH);
  if (zSql == 0) return SQLITE_NOMEM;
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0), nAlloc = 0;
  sqlite3_free(zSql);
  while (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    if (sqlite3_column_type(pStmt, 0) == SQLITE_NULL) continue;
    if (pH->eTool == HT_GOLANG) {
      pH->bGolangRow = 1;
      pH->zGolangVersion = col_dup(pStmt, 0, &rc);
      pH->bGolangDirty =
          strcmp((const char *)sqlite3_column_text(pStmt, 2), "dirty") == 0;
      continue;
    }
    if (pH->nApplied == nAlloc) {
      nAlloc = nAlloc ? nAlloc * 2 : 64;
      Applied *aNew = sqlite3_realloc64(pH->aApplied, sizeof(Applied) * nAlloc);
      if (aNew == 0) {
        rc = SQLITE_NOMEM;
        break;
      }
      pH->aApplied = aNew;
    }
    Applied *p = &pH->aApplied[pH->nApplied++];
    memset(p, 0, sizeof(*p));
    p->zKey = col_dup(pStmt, 0, &rc);
    p->zName = col_dup(pStmt, 1, &rc);
    p->zState = col_dup(pStmt, 2, &rc);
    p->zAppliedAt = col_dup(pStmt, 3, &rc);
    p->zChecksum = col_dup(pStmt, 4, &rc);
    p->zFileStat = col_dup(pStmt, 5, &rc);
    if (rc == SQLITE_OK && p->zState && strcmp(p->zState, "baseline") == 0 &&
        (pH->zBaseline == 0 || devdb_version_cmp(p->zKey, pH->zBaseline) > 0)) {
      sqlite3_free(pH->zBaseline);
      pH->zBaseline = sqlite3_mprintf("%s", p->zKey);
      if (pH->zBaseline == 0) rc = SQLITE_NOMEM;
    }
  }
  int rc2 = sqlite3_finalize(pStmt);
  if (rc == SQLITE_OK) rc = rc2;
  if (rc != SQLITE_OK) {
    *pzErr = sqlite3_mprintf("cannot read the history table %s: %s", pH->zTable,
                             rc == SQLITE_NOMEM ? "out of memory" : sqlite3_errmsg(db));
    return rc;
  }
  if (pH->nApplied > 1) qsort(pH->aApplied, pH->nApplied, sizeof(Applied), cmp_applied);
  return SQLITE_OK;
}

/* The history row of migration pM, or NULL. */
static Applied *hist_find(Hist *pH, const DevdbMigration *pM) {
  char *zStem = 0;
  const char *zKey = pM->zVersion;
  if (pH->eTool == HT_DJANGO || !zKey) {
    zStem = sqlite3_mprintf(
        "%.*s", (int)strlen(pM->zFile) - (pH->eTool == HT_DJANGO ? 4 : 0), pM->zFile);
    if (zStem == 0) return 0;
    zKey = zStem;
  }
  int lo = 0, hi = pH->nApplied - 1;
  Applied *pFound = 0;
  while (lo <= hi && !pFound) {
    int mid = (lo + hi) / 2, c = devdb_version_cmp(pH->aApplied[mid].zKey, zKey);
    if (c == 0)
      pFound = &pH->aApplied[mid];
    else if (c < 0)
      lo = mid + 1;
    else
      hi = mid - 1;
  }
  sqlite3_free(zStem);
  return pFound;
}

/* The newest applied version in the history ("" when none). */
static const char *hist_newest(const Hist *pH) {
  if (pH->eTool == HT_GOLANG) return pH->zGolangVersion ? pH->zGolangVersion : "";
  const char *z = "";
  for (int i = 0; i < pH->nApplied; i++) {
    const Applied *p = &pH->aApplied[i];
    int bDigits = p->zKey[0] >= '0' && p->zKey[0] <= '9';
    if (bDigits && (z[0] == 0 || devdb_version_cmp(p->zKey, z) > 0)) z = p->zKey;
  }
  return z;
}

/* ---------------------------------------------------------- states */

/* The SHA-256 of z with every CRLF made LF (bToCrlf 0) or every lone LF
** made CRLF (bToCrlf 1). */
static int sha_eol(const char *z, int n, int bToCrlf, char *zOut) {
  char *zBuf = sqlite3_malloc64((sqlite3_int64)n * 2 + 1);
  if (zBuf == 0) return SQLITE_NOMEM;
  int k = 0;
  for (int i = 0; i < n; i++) {
    if (!bToCrlf && z[i] == '\r' && i + 1 < n && z[i + 1] == '\n') continue;
    if (bToCrlf && z[i] == '\n' && (i == 0 || z[i - 1] != '\r')) zBuf[k++] = '\r';
    zBuf[k++] = z[i];
  }
  devdb_sha256_hex(zBuf, k, zOut);
  sqlite3_free(zBuf);
  return SQLITE_OK;
}

/*
** "applied", "modified" or "line_endings": the file against the checksum
** the history stored (devdb: SHA-256; Flyway: its CRC-32, which ignores
** line endings; others keep none). devdb's table also keeps the file's size
** and mtime: when they are unchanged the file is not read again (as git
** trusts its index). NULL on error, with the message in *pzErr.
*/
static const char *checksum_state(const Hist *pH, const Applied *pA, DevdbMigDir *pDir,
                                  DevdbMigration *pM, char **pzErr) {
  if (!pA->zChecksum || (pH->eTool != HT_DEVDB && pH->eTool != HT_FLYWAY))
    return "applied";
  char zStat[48];
  if (pH->eTool == HT_DEVDB && pA->zFileStat && !pM->bLoaded &&
      devdb_migdir_stat(pDir, pM, zStat) == SQLITE_OK &&
      strcmp(zStat, pA->zFileStat) == 0) {
    return "applied";
  }
  if (devdb_migdir_content(pDir, pM, pzErr)) return 0;
  if (pH->eTool == HT_FLYWAY) {
    char zCrc[16];
    sqlite3_snprintf(sizeof(zCrc), zCrc, "%d", devdb_flyway_crc32(pM->zText, pM->nText));
    return strcmp(zCrc, pA->zChecksum) == 0 ? "applied" : "modified";
  }
  if (strcmp(pA->zChecksum, pM->zChecksum) == 0) return "applied";
  char zSha[65];
  for (int bToCrlf = 0; bToCrlf < 2; bToCrlf++) {
    if (sha_eol(pM->zText, pM->nText, bToCrlf, zSha) == SQLITE_OK &&
        strcmp(zSha, pA->zChecksum) == 0) {
      return "line_endings";
    }
  }
  return "modified";
}

/* The state of migration pM (its history row in *ppA) against pH; NULL on
** error. */
static const char *mig_state(Hist *pH, DevdbMigDir *pDir, DevdbMigration *pM,
                             const char *zNewest, Applied **ppA, char **pzErr) {
  *ppA = 0;
  if (pH->eTool == HT_GOLANG) {
    if (!pH->bGolangRow || devdb_version_cmp(pM->zVersion, pH->zGolangVersion) > 0)
      return "pending";
    if (devdb_version_cmp(pM->zVersion, pH->zGolangVersion) == 0 && pH->bGolangDirty)
      return "dirty";
    return "applied";
  }
  Applied *pA = *ppA = hist_find(pH, pM);
  if (pA) {
    pA->bSeen = 1;
    if (strcmp(pA->zState, "dirty") == 0 || strcmp(pA->zState, "failed") == 0)
      return "dirty";
    const char *zState = checksum_state(pH, pA, pDir, pM, pzErr);
    /* a repeatable whose file changed runs again */
    if (zState && !pM->zVersion && strcmp(zState, "applied")) return "pending";
    return zState;
  }
  if (pM->zVersion && pH->zBaseline &&
      devdb_version_cmp(pM->zVersion, pH->zBaseline) <= 0)
    return "applied";
  if (pM->zVersion && zNewest[0] && devdb_version_cmp(pM->zVersion, zNewest) < 0)
    return "out_of_order";
  return "pending";
}

/* The state of every migration of the directory. */
typedef struct Status {
  int n;
  const char **azState; /* per migration of the directory */
  Applied **apApplied;  /* its history row, or NULL */
} Status;

static void status_free(Status *p) {
  sqlite3_free(p->azState);
  sqlite3_free(p->apApplied);
  memset(p, 0, sizeof(*p));
}

static int status_compute(Hist *pH, DevdbMigDir *pDir, Status *p, char **pzErr) {
  memset(p, 0, sizeof(*p));
  p->azState = sqlite3_malloc64(sizeof(char *) * (pDir->nMig + 1));
  p->apApplied = sqlite3_malloc64(sizeof(Applied *) * (pDir->nMig + 1));
  if (p->azState == 0 || p->apApplied == 0) {
    status_free(p);
    return SQLITE_NOMEM;
  }
  p->n = pDir->nMig;
  const char *zNewest = hist_newest(pH);
  for (int i = 0; i < pH->nApplied; i++) pH->aApplied[i].bSeen = 0;
  for (int i = 0; i < pDir->nMig; i++) {
    p->azState[i] = mig_state(pH, pDir, &pDir->aMig[i], zNewest, &p->apApplied[i], pzErr);
    if (p->azState[i] == 0) return SQLITE_ERROR;
  }
  return SQLITE_OK;
}

/* ------------------------------------------------- writing the history */

/* Create pH's table in its tool's format when it is not there yet. */
static int hist_create(sqlite3 *db, Hist *pH, char **pzErr) {
  if (pH->bExists) return SQLITE_OK;
  static const char *azDdl[] = {
      "",
      "CREATE TABLE \"%w\"(version TEXT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT, "
      "applied_at TEXT NOT NULL DEFAULT (strftime('%%Y-%%m-%%d %%H:%%M:%%f','now')), "
      "duration_ms INTEGER, state TEXT NOT NULL DEFAULT 'applied', file_stat TEXT)",
      "CREATE TABLE \"%w\" (version varchar(128) primary key)",
      "CREATE TABLE \"%w\" (version uint64,dirty bool)",
      "CREATE TABLE \"%w\" (id INTEGER PRIMARY KEY AUTOINCREMENT, version_id INTEGER NOT "
      "NULL, is_applied INTEGER NOT NULL, tstamp TIMESTAMP DEFAULT (datetime('now')));"
      "INSERT INTO \"%w\"(version_id, is_applied) VALUES (0, 1)",
      "CREATE TABLE \"%w\" (\"installed_rank\" INT NOT NULL PRIMARY KEY, \"version\" "
      "VARCHAR(50), \"description\" VARCHAR(200) NOT NULL, \"type\" VARCHAR(20) NOT "
      "NULL, "
      "\"script\" VARCHAR(1000) NOT NULL, \"checksum\" INT, \"installed_by\" "
      "VARCHAR(100) "
      "NOT NULL, \"installed_on\" TEXT NOT NULL DEFAULT "
      "(strftime('%%Y-%%m-%%d %%H:%%M:%%f','now')), \"execution_time\" INT NOT NULL, "
      "\"success\" BOOLEAN NOT NULL)",
      "CREATE TABLE \"%w\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \"app\" "
      "varchar(255) NOT NULL, \"name\" varchar(255) NOT NULL, \"applied\" datetime NOT "
      "NULL)"};
  int rc = devdb_exec(db, pzErr, azDdl[pH->eTool], pH->zTable, pH->zTable);
  if (rc == SQLITE_OK && pH->eTool == HT_GOLANG) {
    rc = devdb_exec(db, pzErr,
                    "CREATE UNIQUE INDEX \"version_unique\" ON \"%w\" (version)",
                    pH->zTable);
  }
  if (rc == SQLITE_OK && pH->eTool == HT_FLYWAY) {
    rc = devdb_exec(db, pzErr, "CREATE INDEX \"%w_s_idx\" ON \"%w\" (\"success\")",
                    pH->zTable, pH->zTable);
  }
  if (rc == SQLITE_OK) {
    pH->bExists = 1;
    DevdbHistTable *aTab = 0;
    int nTab = 0;
    rc = devdb_history_find(db, "main", 0, &aTab, &nTab, pzErr);
    for (int i = 0; i < nTab; i++) {
      if (devdb_stricmp(aTab[i].zTable, pH->zTable) == 0) pH->zSelect = aTab[i].zSelect;
    }
    devdb_history_free(aTab, nTab);
    if (rc == SQLITE_OK && pH->zSelect == 0) {
      *pzErr = sqlite3_mprintf("cannot find the history table %s just made", pH->zTable);
      rc = SQLITE_ERROR;
    }
  }
  return rc;
}

/* Record pM as applied (bDirty: started but not finished) in pH's table. */
static int hist_write(sqlite3 *db, Hist *pH, DevdbMigDir *pDir, DevdbMigration *pM,
                      int bDirty, sqlite3_int64 msDuration, char **pzErr) {
  int rc = devdb_migdir_content(pDir, pM, pzErr);
  if (rc == SQLITE_OK) rc = hist_create(db, pH, pzErr);
  if (rc) return rc;
  const char *zT = pH->zTable;
  const char *zVer = pM->zVersion ? pM->zVersion : pM->zFile;
  switch (pH->eTool) {
  case HT_DEVDB:
    return devdb_exec(
        db, pzErr,
        "INSERT OR REPLACE INTO \"%w\"(version, name, checksum, duration_ms, "
        "state, file_stat) VALUES (%Q, %Q, %Q, %lld, %Q, %Q)",
        zT, zVer, pM->zName, pM->zChecksum, msDuration, bDirty ? "dirty" : "applied",
        pM->zStat);
  case HT_DBMATE:
    return bDirty ? SQLITE_OK
                  : devdb_exec(db, pzErr,
                               "INSERT OR IGNORE INTO \"%w\"(version) VALUES (%Q)", zT,
                               zVer);
  case HT_GOLANG:
    return devdb_exec(db, pzErr,
                      "DELETE FROM \"%w\"; INSERT INTO \"%w\"(version, dirty) VALUES "
                      "(CAST(%Q AS INTEGER), %d)",
                      zT, zT, zVer, bDirty);
  case HT_GOOSE:
    return bDirty ? SQLITE_OK
                  : devdb_exec(db, pzErr,
                               "INSERT INTO \"%w\"(version_id, is_applied) VALUES "
                               "(CAST(%Q AS INTEGER), 1)",
                               zT, zVer);
  case HT_FLYWAY:
    if (bDirty) return SQLITE_OK;
    return devdb_exec(
        db, pzErr,
        "INSERT INTO \"%w\"(installed_rank, version, description, type, "
        "script, checksum, installed_by, execution_time, success) VALUES "
        "((SELECT coalesce(max(installed_rank), 0) + 1 FROM \"%w\"), %Q, %Q, "
        "'SQL', %Q, %d, 'devdb', %lld, 1)",
        zT, zT, pM->zVersion, pM->zName, pM->zFile,
        devdb_flyway_crc32(pM->zText, pM->nText), msDuration);
  default: /* HT_DJANGO */
    if (bDirty) return SQLITE_OK;
    return devdb_exec(db, pzErr,
                      "INSERT INTO \"%w\"(app, name, applied) VALUES (%Q, '%.*q', "
                      "strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now'))",
                      zT, pH->zApp, (int)strlen(pM->zFile) - 4, pM->zFile);
  }
}

/* Remove pM's history row (pA); golang-migrate's pointer moves to zPrev
** (NULL: no row). */
static int hist_delete(sqlite3 *db, Hist *pH, const Applied *pA, const char *zPrev,
                       char **pzErr) {
  const char *zT = pH->zTable;
  switch (pH->eTool) {
  case HT_GOLANG:
    if (zPrev == 0) return devdb_exec(db, pzErr, "DELETE FROM \"%w\"", zT);
    return devdb_exec(db, pzErr,
                      "DELETE FROM \"%w\"; INSERT INTO \"%w\"(version, dirty) VALUES "
                      "(CAST(%Q AS INTEGER), 0)",
                      zT, zT, zPrev);
  case HT_GOOSE:
    return devdb_exec(db, pzErr,
                      "DELETE FROM \"%w\" WHERE version_id = CAST(%Q AS INTEGER)", zT,
                      pA->zKey);
  case HT_FLYWAY:
    return devdb_exec(db, pzErr,
                      "DELETE FROM \"%w\" WHERE coalesce(version, script) = %Q", zT,
                      pA->zKey);
  case HT_DJANGO:
    return devdb_exec(db, pzErr, "DELETE FROM \"%w\" WHERE app = %Q AND name = %Q", zT,
                      pH->zApp, pA->zKey);
  default:
    return devdb_exec(db, pzErr, "DELETE FROM \"%w\" WHERE version = %Q", zT, pA->zKey);
  }
}

/* ------------------------------------------------------------ a run */

typedef struct Run {
  sqlite3 *db;
  const char *zFunc; /* the SQL function, for messages */
  DevdbMigDir *pDir;
  const char *zOpts;
  Hist hist;
  int bChosen;
  Status st;
  int msTimeout;
  int nDone;
  int bAllOrNothing;       /* the current transaction holds every migration */
  const char *zDenied;     /* what the authorizer refused last */
  int bOwnTx;              /* began outside a transaction: any open one is its own */
  int bAuthSet;            /* auth_cb is the connection's authorizer */
  int bAuthOn;             /* auth_cb refuses (a migration's statements run) */
  sqlite3_stmt *pRollback; /* ROLLBACK, prepared while memory was there */
  char *zErr;              /* the message (without the function name) */
} Run;

static void run_free(Run *r) {
  sqlite3_finalize(r->pRollback);
  if (r->bAuthSet) sqlite3_set_authorizer(r->db, 0, 0);
  hist_free(&r->hist);
  status_free(&r->st);
  devdb_migdir_free(r->pDir);
  sqlite3_free(r->zErr);
}

/* Set the run's message (printf-style) unless one is set; returns rc. */
static int run_error(Run *r, int rc, const char *zFmt, ...) {
  if (r->zErr == 0) {
    va_list ap;
    va_start(ap, zFmt);
    r->zErr = sqlite3_vmprintf(zFmt, ap);
    va_end(ap);
  }
  return rc == SQLITE_OK ? SQLITE_ERROR : rc;
}

/* Run zSql, retrying while the database is busy, up to the run's timeout. */
static int exec_retry(Run *r, const char *zSql) {
  return devdb_exec_retry(r->db, r->msTimeout, zSql);
}

static int auth_cb(void *pArg, int op, const char *z1, const char *z2, const char *z3,
                   const char *z4);

/* Keep the run's ROLLBACK ready to run without memory: a schema change
** (ALTER TABLE, PRAGMA foreign_keys...) expires every prepared statement,
** and an expired one is prepared again when it runs. */
static void rollback_ready(Run *r) {
  if (r->pRollback && !sqlite3_expired(r->pRollback)) return;
  sqlite3_stmt *pNew = 0;
  if (sqlite3_prepare_v2(r->db, "ROLLBACK", -1, &pNew, 0) != SQLITE_OK) return;
  sqlite3_finalize(r->pRollback);
  r->pRollback = pNew;
}

/*
** BEGIN IMMEDIATE. The first time, the run's authorizer is installed (off
** until a migration's statements run: installing it later would expire the
** statement below) and a ROLLBACK is prepared before the transaction starts,
** for when an out-of-memory error makes SQLite refuse to prepare anything
** until the calling statement ends.
*/
static int tx_begin(Run *r) {
  if (!r->bAuthSet) {
    sqlite3_set_authorizer(r->db, auth_cb, r);
    r->bAuthSet = 1;
  }
  /* prepared anew each time: a PRAGMA foreign_keys between two transactions
  ** expires every statement, and an expired one needs memory to run */
  sqlite3_finalize(r->pRollback);
  r->pRollback = 0;
  int rc = sqlite3_prepare_v2(r->db, "ROLLBACK", -1, &r->pRollback, 0);
  if (rc == SQLITE_OK) rc = exec_retry(r, "BEGIN IMMEDIATE");
  if (rc)
    return run_error(r, rc, "cannot start a write transaction: %s",
                     sqlite3_errmsg(r->db));
  return SQLITE_OK;
}

static int tx_commit(Run *r) {
  int rc = exec_retry(r, "COMMIT");
  if (rc) return run_error(r, rc, "cannot commit: %s", sqlite3_errmsg(r->db));
  return SQLITE_OK;
}

/* Roll back until the connection is out of its transaction: a busy
** ROLLBACK is retried; after an out-of-memory error, when SQLite prepares
** nothing more, the ROLLBACK prepared by tx_begin runs. */
static void tx_rollback(Run *r) {
  for (int i = 0; i < 100 && !sqlite3_get_autocommit(r->db); i++) {
    int rc = sqlite3_exec(r->db, "ROLLBACK", 0, 0, 0);
    if (rc == SQLITE_NOMEM && r->pRollback) {
      sqlite3_reset(r->pRollback);
      sqlite3_step(r->pRollback);
      sqlite3_reset(r->pRollback);
      if (!sqlite3_get_autocommit(r->db)) break;
    } else if (rc != SQLITE_OK) {
      sqlite3_sleep(10);
    }
  }
}

/* Choose the history table (first time) and read it and the states. */
static int run_refresh(Run *r) {
  int rc = SQLITE_OK;
  if (!r->bChosen) {
    rc = hist_choose(r->db, r->pDir, r->zOpts, &r->hist, &r->zErr);
    r->bChosen = rc == SQLITE_OK;
  } else if (!r->hist.bExists) {
    /* another process may have made it since */
    Hist h;
    memset(&h, 0, sizeof(h));
    rc = hist_choose(r->db, r->pDir, r->zOpts, &h, &r->zErr);
    if (rc == SQLITE_OK && h.bExists && h.eTool == r->hist.eTool) {
      r->hist.bExists = 1;
      r->hist.zSelect = h.zSelect;
    }
    hist_free(&h);
  }
  if (rc == SQLITE_OK) rc = hist_read(r->db, &r->hist, &r->zErr);
  status_free(&r->st);
  if (rc == SQLITE_OK) rc = status_compute(&r->hist, r->pDir, &r->st, &r->zErr);
  return rc;
}

/* The index of the migration with version zVersion (Django: or file stem). */
static int find_version(const DevdbMigDir *pDir, const char *zVersion) {
  for (int i = 0; i < pDir->nMig; i++) {
    const DevdbMigration *pM = &pDir->aMig[i];
    if (pM->zVersion && devdb_version_cmp(pM->zVersion, zVersion) == 0) return i;
  }
  int n = (int)strlen(zVersion);
  for (int i = 0; i < pDir->nMig; i++) {
    const char *zF = pDir->aMig[i].zFile;
    if (strcmp(zF, zVersion) == 0 ||
        (strncmp(zF, zVersion, n) == 0 && strcmp(zF + n, ".sql") == 0))
      return i;
  }
  return -1;
}

/*
** The migrations devdb_migrate would apply, in order, into aIdx (room for
** nMig); their count, or -1 with the run's error set: a dirty migration, a
** modified one (unless allow-modified) or an out-of-order one (unless
** allow-out-of-order) stops everything.
*/
static int collect_up(Run *r, const char *zTarget, int *aIdx) {
  int n = 0, bOoo = devdb_opt_has(r->zOpts, "allow-out-of-order");
  DevdbMigDir *pDir = r->pDir;
  for (int i = 0; i < pDir->nMig; i++) {
    const char *zState = r->st.azState[i];
    DevdbMigration *pM = &pDir->aMig[i];
    if (strcmp(zState, "dirty") == 0) {
      run_error(r, SQLITE_ERROR,
                "%s is dirty (it failed or did not finish outside a transaction): repair "
                "the database, then record it with devdb_mark(dir, '%s', 'applied') or "
                "'pending'",
                pM->zFile, pM->zVersion ? pM->zVersion : pM->zFile);
      return -1;
    }
    if (strcmp(zState, "modified") == 0 && !devdb_opt_has(r->zOpts, "allow-modified")) {
      run_error(
          r, SQLITE_ERROR,
          "%s was modified after it was applied (its checksum differs): restore it, "
          "or accept it with devdb_mark(dir, '%s', 'applied')",
          pM->zFile, pM->zVersion);
      return -1;
    }
    int bPending = strcmp(zState, "pending") == 0 || strcmp(zState, "out_of_order") == 0;
    if (!bPending) continue;
    if (zTarget && (!pM->zVersion || devdb_version_cmp(pM->zVersion, zTarget) > 0))
      continue;
    if (zState[0] == 'o' && !bOoo) {
      run_error(r, SQLITE_ERROR,
                "%s is older than the newest applied migration (%s): apply it with the "
                "option 'allow-out-of-order'",
                pM->zFile, hist_newest(&r->hist));
      return -1;
    }
    aIdx[n++] = i;
  }
  return n;
}

/* 1 when the statement is "PRAGMA [schema.]zName ..." */
static int is_pragma(const char *z, int n, const char *zName) {
  DevdbLexer lx;
  devdb_lexer_init(&lx, z, n);
  DevdbToken t = devdb_lexer_next(&lx);
  if (!devdb_token_is(&t, "pragma")) return 0;
  t = devdb_lexer_next(&lx);
  DevdbToken t2 = devdb_lexer_next(&lx);
  if (t2.eType == DEVDB_TK_DOT) t = devdb_lexer_next(&lx);
  return devdb_token_is(&t, zName);
}

/* 1 when the statement's first word is zWord. */
static int first_word_is(const char *z, int n, const char *zWord) {
  DevdbLexer lx;
  devdb_lexer_init(&lx, z, n);
  DevdbToken t = devdb_lexer_next(&lx);
  return devdb_token_is(&t, zWord);
}

/* The k-th statement of the sections (and its section in *ppSec). */
static DevdbMigStmt *stmt_at(DevdbMigSection *aSec, int nSec, int k,
                             DevdbMigSection **ppSec) {
  for (int i = 0; i < nSec; i++) {
    if (k < aSec[i].nStmt) {
      *ppSec = &aSec[i];
      return &aSec[i].aStmt[k];
    }
    k -= aSec[i].nStmt;
  }
  return 0;
}

static int stmt_count(const DevdbMigSection *aSec, int nSec) {
  int n = 0;
  for (int i = 0; i < nSec; i++) n += aSec[i].nStmt;
  return n;
}

/* How the file opts out of the transaction, for messages. */
static const char *notx_hint(const Run *r, const char *zFile) {
  switch (r->pDir->eFormat) {
  case DEVDB_FMT_DBMATE:
    return "with '-- migrate:up transaction:false'";
  case DEVDB_FMT_GOOSE:
    return "with '-- +goose NO TRANSACTION'";
  case DEVDB_FMT_FLYWAY:
    return "with executeInTransaction=false in its .sql.conf file";
  default:
    (void)zFile;
    return "with a first line '-- no-transaction'";
  }
}

/* One direction of one migration, as the runner sees it. */
typedef struct Step {
  DevdbMigration *pM;
  int bUp;
  DevdbMigSection *aSec;
  int nSec;
  const char *zFile;
  int nStmt;
  int nPre, nPost; /* leading and trailing PRAGMA foreign_keys statements */
  int bNoTx;
} Step;

/*
** Fill pS for migration pM in direction bUp, and check what a transaction
** cannot hold: PRAGMA foreign_keys other than at the start or the end,
** journal_mode, VACUUM.
*/
static int step_init(Run *r, Step *pS, DevdbMigration *pM, int bUp) {
  memset(pS, 0, sizeof(*pS));
  if (devdb_migdir_content(r->pDir, pM, &r->zErr)) return SQLITE_ERROR;
  pS->pM = pM;
  pS->bUp = bUp;
  pS->aSec = bUp ? pM->aUp : pM->aDown;
  pS->nSec = bUp ? pM->nUp : pM->nDown;
  pS->zFile = !bUp && pM->zDownFile ? pM->zDownFile : pM->zFile;
  if (devdb_migdir_split(r->pDir, pS->aSec, pS->nSec)) return SQLITE_NOMEM;
  pS->nStmt = stmt_count(pS->aSec, pS->nSec);
  pS->bNoTx = bUp ? pM->bNoTx : (pS->nSec > 0 && pS->aSec[0].bNoTx);
  if (pS->bNoTx) return SQLITE_OK;
  int bLeading = 1;
  for (int k = 0; k < pS->nStmt; k++) {
    DevdbMigSection *pSec;
    DevdbMigStmt *p = stmt_at(pS->aSec, pS->nSec, k, &pSec);
    const char *z = pSec->zSql + p->iOff;
    int bThis = is_pragma(z, p->n, "foreign_keys");
    if (bThis && bLeading) {
      pS->nPre++;
      continue;
    }
    bLeading = 0;
    if (is_pragma(z, p->n, "journal_mode") || first_word_is(z, p->n, "vacuum")) {
      return run_error(r, SQLITE_ERROR,
                       "%s:%d: this statement cannot run inside a transaction: let the "
                       "migration opt out %s",
                       pS->zFile, p->iLine, notx_hint(r, pS->zFile));
    }
    if (bThis) {
      pS->nPost++;
    } else if (pS->nPost) {
      DevdbMigStmt *pPrev = stmt_at(pS->aSec, pS->nSec, k - 1, &pSec);
      return run_error(
          r, SQLITE_ERROR,
          "%s:%d: PRAGMA foreign_keys does nothing inside a transaction: put it "
          "at the start or the end of the migration, or let the migration opt "
          "out %s",
          pS->zFile, pPrev->iLine, notx_hint(r, pS->zFile));
    }
  }
  return SQLITE_OK;
}

/* The authorizer while a migration runs in devdb's transaction. */
static int auth_cb(void *pArg, int op, const char *z1, const char *z2, const char *z3,
                   const char *z4) {
  Run *r = pArg;
  if (!r->bAuthOn) return SQLITE_OK;
  switch (op) {
  case SQLITE_TRANSACTION:
  case SQLITE_SAVEPOINT:
    r->zDenied = "transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE)";
    return SQLITE_DENY;
  case SQLITE_ATTACH:
  case SQLITE_DETACH:
    r->zDenied = "ATTACH and DETACH";
    return SQLITE_DENY;
  case SQLITE_PRAGMA:
    if (z1 && (devdb_stricmp(z1, "foreign_keys") == 0 ||
               devdb_stricmp(z1, "journal_mode") == 0)) {
      r->zDenied = "this PRAGMA";
      return SQLITE_DENY;
    }
    return SQLITE_OK;
  default:
    return SQLITE_OK;
  }
}

/* Run statements [iFrom, iTo) of the step; an error names the file and line. */
static int run_stmts(Run *r, const Step *pS, int iFrom, int iTo, int bAuth) {
  int rc = SQLITE_OK;
  r->bAuthOn = bAuth;
  for (int k = iFrom; k < iTo && rc == SQLITE_OK; k++) {
    DevdbMigSection *pSec;
    DevdbMigStmt *p = stmt_at(pS->aSec, pS->nSec, k, &pSec);
    sqlite3_stmt *pStmt = 0;
    r->zDenied = 0;
    rc = sqlite3_prepare_v2(r->db, pSec->zSql + p->iOff, p->n, &pStmt, 0);
    while (rc == SQLITE_OK && pStmt && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    }
    if (rc == SQLITE_DONE) rc = SQLITE_OK;
    if (bAuth && rc == SQLITE_OK) rollback_ready(r);
    if (rc != SQLITE_OK) {
      if (r->zDenied) {
        run_error(
            r, rc,
            "%s:%d: %s is not allowed in a migration that runs in a transaction: let "
            "it opt out %s",
            pS->zFile, p->iLine, r->zDenied, notx_hint(r, pS->zFile));
      } else {
        run_error(r, rc, "%s:%d: %s", pS->zFile, p->iLine, sqlite3_errmsg(r->db));
      }
    }
    sqlite3_finalize(pStmt);
  }
  r->bAuthOn = 0;
  return rc;
}

/* After a migration that turned foreign keys off: PRAGMA foreign_key_check. */
static int fk_check(Run *r, const Step *pS) {
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(r->db, "PRAGMA foreign_key_check", -1, &pStmt, 0);
  if (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    rc = run_error(r, SQLITE_CONSTRAINT,
                   "%s: foreign key check failed: table %s has rows (rowid %lld) whose "
                   "parent is missing in %s",
                   pS->zFile, sqlite3_column_text(pStmt, 0),
                   sqlite3_column_int64(pStmt, 1), sqlite3_column_text(pStmt, 2));
  }
  sqlite3_finalize(pStmt);
  return rc;
}

/* ------------------------------------------------------- applying */

/* The foreign_keys setting of the connection. */
static int fk_setting(sqlite3 *db) {
  return (int)devdb_query_int(db, 0, "PRAGMA foreign_keys");
}

/* Record a step done: up writes the history row, down removes it. */
static int step_record(Run *r, const Step *pS, int iMig, sqlite3_int64 ms, char **pzErr) {
  if (pS->bUp) return hist_write(r->db, &r->hist, r->pDir, pS->pM, 0, ms, pzErr);
  /* golang-migrate's pointer moves to the migration before this one */
  const char *zPrev = iMig > 0 ? r->pDir->aMig[iMig - 1].zVersion : 0;
  Applied *pA = r->st.apApplied[iMig];
  Applied tmp = {0};
  tmp.zKey = pS->pM->zVersion;
  return hist_delete(r->db, &r->hist, pA ? pA : &tmp, zPrev, pzErr);
}

/*
** Run one transactional step inside the open transaction: its statements
** (but the leading and trailing foreign_keys pragmas) under the
** authorizer, the foreign key check when it turned them off, its history.
*/
static int step_run_in_tx(Run *r, const Step *pS, int iMig, int bFkOff) {
  sqlite3_int64 t0 = devdb_now_ms();
  int rc = run_stmts(r, pS, pS->nPre, pS->nStmt - pS->nPost, 1);
  if (rc == SQLITE_OK && bFkOff) rc = fk_check(r, pS);
  char *zErr = 0;
  if (rc == SQLITE_OK &&
      (rc = step_record(r, pS, iMig, devdb_now_ms() - t0, &zErr)) != SQLITE_OK) {
    run_error(r, rc, "%s: cannot record it in %s: %s", pS->zFile, r->hist.zTable,
              zErr ? zErr : sqlite3_errstr(rc));
  }
  if (rc == SQLITE_OK) rollback_ready(r);
  sqlite3_free(zErr);
  return rc;
}

/*
** Run a step that opted out of the transaction: recorded dirty first (where
** the table can say so), its statements as they come, then recorded done.
** Called inside the run's transaction; leaves it committed.
*/
static int step_run_notx(Run *r, const Step *pS, int iMig) {
  char *zErr = 0;
  int rc =
      pS->bUp ? hist_write(r->db, &r->hist, r->pDir, pS->pM, 1, 0, &zErr) : SQLITE_OK;
  if (rc == SQLITE_OK) rc = tx_commit(r);
  sqlite3_int64 t0 = devdb_now_ms();
  if (rc == SQLITE_OK) rc = run_stmts(r, pS, 0, pS->nStmt, 0);
  if (rc != SQLITE_OK) {
    tx_rollback(r);
    if (pS->bUp && (r->hist.eTool == HT_DEVDB || r->hist.eTool == HT_GOLANG)) {
      char *z = sqlite3_mprintf("%s (it ran outside a transaction and may be partly "
                                "applied: it is marked dirty)",
                                r->zErr);
      sqlite3_free(r->zErr);
      r->zErr = z;
    }
    sqlite3_free(zErr);
    return rc;
  }
  rc = tx_begin(r);
  if (rc == SQLITE_OK &&
      (rc = step_record(r, pS, iMig, devdb_now_ms() - t0, &zErr)) != SQLITE_OK) {
    run_error(r, rc, "%s: cannot record it: %s", pS->zFile, zErr ? zErr : "");
  }
  sqlite3_free(zErr);
  if (rc == SQLITE_OK) rc = tx_commit(r);
  return rc;
}

/*
** Run step pS of migration iMig. Called inside the run's transaction, in
** which it was found still to be done; returns with the transaction
** committed (or rolled back on error). *pbGone is set when, after leaving
** the transaction for its foreign_keys pragmas, another process had done it.
*/
static int step_run(Run *r, Step *pS, int iMig, int *pbGone) {
  *pbGone = 0;
  if (pS->bNoTx) return step_run_notx(r, pS, iMig);
  int fkBefore = -1, rc = SQLITE_OK;
  if (pS->nPre) {
    /* PRAGMA foreign_keys only works outside a transaction */
    fkBefore = fk_setting(r->db);
    rc = tx_commit(r);
    if (rc == SQLITE_OK) rc = run_stmts(r, pS, 0, pS->nPre, 0);
    if (rc == SQLITE_OK) rc = tx_begin(r);
    if (rc == SQLITE_OK) rc = run_refresh(r);
    if (rc == SQLITE_OK) {
      const char *zState = r->st.azState[iMig];
      int bPending = zState[0] == 'p' || zState[0] == 'o';
      if (pS->bUp != bPending) {
        *pbGone = 1;
        rc = tx_commit(r);
        if (fkBefore >= 0) devdb_exec(r->db, 0, "PRAGMA foreign_keys=%d", fkBefore);
        return rc;
      }
    }
  }
  if (rc == SQLITE_OK) {
    rc = step_run_in_tx(r, pS, iMig, fkBefore == 1 && fk_setting(r->db) == 0);
  }
  if (rc == SQLITE_OK) rc = tx_commit(r);
  if (rc == SQLITE_OK && pS->nPost)
    rc = run_stmts(r, pS, pS->nStmt - pS->nPost, pS->nStmt, 0);
  if (rc != SQLITE_OK) {
    tx_rollback(r);
    if (fkBefore >= 0) devdb_exec(r->db, 0, "PRAGMA foreign_keys=%d", fkBefore);
  }
  return rc;
}

/* 1 when main holds no schema object at all: a brand-new database. */
static int brand_new(sqlite3 *db) {
  return devdb_query_int(db, 1, "SELECT count(*) FROM main.sqlite_schema") == 0;
}

/*
** All of aIdx in the open transaction, when none needs to leave it. Returns
** SQLITE_OK, an error, or SQLITE_DONE when some migration needs its own
** transaction (nothing done).
*/
static int run_all_in_tx(Run *r, const int *aIdx, int n) {
  Step *aStep = sqlite3_malloc64(sizeof(Step) * (n + 1));
  if (aStep == 0) return SQLITE_NOMEM;
  int rc = SQLITE_OK;
  for (int i = 0; i < n && rc == SQLITE_OK; i++) {
    rc = step_init(r, &aStep[i], &r->pDir->aMig[aIdx[i]], 1);
    if (rc == SQLITE_OK && (aStep[i].bNoTx || aStep[i].nPre || aStep[i].nPost)) {
      rc = SQLITE_DONE;
      if (devdb_opt_has(r->zOpts, "all-or-nothing")) {
        rc = run_error(r, SQLITE_ERROR,
                       "%s cannot run in one transaction with the others (it %s): run "
                       "without all-or-nothing",
                       aStep[i].zFile,
                       aStep[i].bNoTx ? "opts out of the transaction"
                                      : "sets PRAGMA foreign_keys");
      }
    }
  }
  r->bAllOrNothing = 1;
  for (int i = 0; i < n && rc == SQLITE_OK; i++) {
    rc = step_run_in_tx(r, &aStep[i], aIdx[i], 0);
  }
  if (rc == SQLITE_OK) rc = tx_commit(r);
  if (rc == SQLITE_OK) r->nDone = n;
  r->bAllOrNothing = rc != SQLITE_DONE;
  sqlite3_free(aStep);
  return rc;
}

/* Apply what collect_up finds, one migration per transaction (or all in
** one, for a brand-new database or with all-or-nothing). */
static int run_up(Run *r, const char *zTarget) {
  int *aIdx = sqlite3_malloc64(sizeof(int) * (r->pDir->nMig + 1));
  if (aIdx == 0) return SQLITE_NOMEM;
  int rc = SQLITE_OK, bFirst = 1;
  while (rc == SQLITE_OK) {
    rc = tx_begin(r);
    if (rc == SQLITE_OK) rc = run_refresh(r);
    int n = rc == SQLITE_OK ? collect_up(r, zTarget, aIdx) : 0;
    if (n < 0) rc = SQLITE_ERROR;
    if (rc == SQLITE_OK && n == 0) {
      rc = tx_commit(r);
      break;
    }
    if (rc == SQLITE_OK && bFirst && !devdb_opt_has(r->zOpts, "each") &&
        (devdb_opt_has(r->zOpts, "all-or-nothing") || brand_new(r->db))) {
      rc = run_all_in_tx(r, aIdx, n);
      if (rc != SQLITE_DONE) break;
      rc = SQLITE_OK;
    }
    bFirst = 0;
    Step step;
    int bGone = 0;
    if (rc == SQLITE_OK) rc = step_init(r, &step, &r->pDir->aMig[aIdx[0]], 1);
    if (rc == SQLITE_OK) rc = step_run(r, &step, aIdx[0], &bGone);
    if (rc == SQLITE_OK && !bGone) r->nDone++;
  }
  if (rc != SQLITE_OK) tx_rollback(r);
  sqlite3_free(aIdx);
  return rc;
}

/* --------------------------------------------------------- rolling back */

static int cmp_desc(const void *a, const void *b) {
  return devdb_version_cmp(*(char *const *)b, *(char *const *)a);
}

/*
** The migrations to roll back, newest first, into aIdx: the newest nSteps
** applied ones, or (zTo) every one newer than zTo. Their count, or -1 with
** the run's error set when one has no file or no down section.
*/
static int collect_down(Run *r, int nSteps, const char *zTo, int *aIdx) {
  Hist *pH = &r->hist;
  DevdbMigDir *pDir = r->pDir;
  int nKey = 0, n = 0;
  const char **azKey = sqlite3_malloc64(sizeof(char *) * (pH->nApplied + pDir->nMig + 1));
  if (azKey == 0) return run_error(r, SQLITE_NOMEM, "out of memory"), -1;
  if (pH->eTool == HT_GOLANG) {
    for (int i = 0; i < pDir->nMig; i++) {
      if (strcmp(r->st.azState[i], "pending")) azKey[nKey++] = pDir->aMig[i].zVersion;
    }
  } else {
    for (int i = 0; i < pH->nApplied; i++) {
      const char *z = pH->aApplied[i].zKey;
      if (z[0] >= '0' && z[0] <= '9' && strcmp(pH->aApplied[i].zState, "baseline"))
        azKey[nKey++] = z;
    }
  }
  qsort(azKey, nKey, sizeof(char *), cmp_desc);
  for (int k = 0; k < nKey; k++) {
    if (zTo ? devdb_version_cmp(azKey[k], zTo) <= 0 : n >= nSteps) break;
    int i = find_version(pDir, azKey[k]);
    if (i < 0) {
      run_error(r, SQLITE_ERROR, "cannot roll back %s: it has no file in %s", azKey[k],
                pDir->zDir);
      n = -1;
      break;
    }
    if (devdb_migdir_content(pDir, &pDir->aMig[i], &r->zErr)) {
      n = -1;
      break;
    }
    if (pDir->aMig[i].nDown == 0) {
      run_error(r, SQLITE_ERROR, "cannot roll back %s: it has no down migration",
                pDir->aMig[i].zFile);
      n = -1;
      break;
    }
    aIdx[n++] = i;
  }
  sqlite3_free(azKey);
  return n;
}

/* Roll back nSteps migrations (or those newer than zTo), each in its own
** transaction; the indexes rolled back go to aDone when not NULL. */
static int run_down(Run *r, int nSteps, const char *zTo, int *aDone) {
  int *aIdx = sqlite3_malloc64(sizeof(int) * (r->pDir->nMig + 1));
  if (aIdx == 0) return SQLITE_NOMEM;
  int rc = SQLITE_OK;
  while (rc == SQLITE_OK && (zTo || r->nDone < nSteps)) {
    rc = tx_begin(r);
    if (rc == SQLITE_OK) rc = run_refresh(r);
    int n = rc == SQLITE_OK ? collect_down(r, 1, zTo, aIdx) : 0;
    if (n < 0) rc = SQLITE_ERROR;
    if (rc == SQLITE_OK && n == 0) {
      rc = tx_commit(r);
      break;
    }
    Step step;
    int bGone = 0;
    if (rc == SQLITE_OK) rc = step_init(r, &step, &r->pDir->aMig[aIdx[0]], 0);
    if (rc == SQLITE_OK) rc = step_run(r, &step, aIdx[0], &bGone);
    if (rc == SQLITE_OK && !bGone) {
      if (aDone) aDone[r->nDone] = aIdx[0];
      r->nDone++;
    }
  }
  if (rc != SQLITE_OK) tx_rollback(r);
  sqlite3_free(aIdx);
  return rc;
}

/* -------------------------------------------------------------- plans */

/* Append the SQL of a step to p, under a comment naming it; steps are
** separated by a newline, and the text does not end in one. */
static void plan_step(sqlite3_str *p, const Step *pS) {
  const DevdbMigration *pM = pS->pM;
  if (sqlite3_str_length(p)) sqlite3_str_appendall(p, "\n");
  sqlite3_str_appendf(p, "-- %s %s (%s)%s", pS->bUp ? "up" : "down",
                      pM->zVersion ? pM->zVersion : "repeatable", pS->zFile,
                      pS->bNoTx ? ", outside a transaction" : "");
  for (int i = 0; i < pS->nSec; i++) {
    const char *z = pS->aSec[i].zSql;
    int n = (int)strlen(z);
    while (n > 0 && (z[n - 1] == '\n' || z[n - 1] == '\r' || z[n - 1] == ' ')) n--;
    int k = 0;
    while (k < n && (z[k] == '\n' || z[k] == '\r')) k++;
    if (n > k) sqlite3_str_appendf(p, "\n%.*s", n - k, z + k);
  }
}

/* The plan of the indexes aIdx in direction bUp, as text. */
static int plan_text(Run *r, const int *aIdx, int n, int bUp, sqlite3_str *p) {
  for (int i = 0; i < n; i++) {
    Step step;
    int rc = step_init(r, &step, &r->pDir->aMig[aIdx[i]], bUp);
    if (rc) return rc;
    plan_step(p, &step);
  }
  return SQLITE_OK;
}

/* ------------------------------------------------------ SQL functions */

/*
** Start a run of function zFunc on directory argv[0]. Returns 0 when the
** result is already set (NULL directory, or an error), else 1.
*/
static int run_start(sqlite3_context *ctx, Run *r, const char *zFunc, sqlite3_value *pDir,
                     const char *zOpts) {
  memset(r, 0, sizeof(*r));
  r->db = sqlite3_context_db_handle(ctx);
  r->zFunc = zFunc;
  r->zOpts = zOpts ? zOpts : "";
  r->msTimeout = DEVDB_LOCK_WAIT_MS;
  if (sqlite3_value_type(pDir) == SQLITE_NULL) return 0;
  const char *zDir = (const char *)sqlite3_value_text(pDir);
  if (zDir == 0) {
    sqlite3_result_error_nomem(ctx);
    return 0;
  }
  if (!sqlite3_get_autocommit(r->db) && !devdb_opt_has(r->zOpts, "plan")) {
    devdb_result_error(
        ctx, "%s: cannot run inside a transaction: COMMIT or ROLLBACK first", zFunc);
    return 0;
  }
  r->bOwnTx = sqlite3_get_autocommit(r->db);
  char zMs[OPT_MAX];
  if (opt_value(r->zOpts, "timeout", zMs)) r->msTimeout = atoi(zMs);
  int rc = devdb_migdir_load(zDir, &r->pDir, &r->zErr);
  if (rc != SQLITE_OK) {
    devdb_result_error(ctx, "%s: %s", zFunc, r->zErr ? r->zErr : sqlite3_errstr(rc));
    return 0;
  }
  if (r->pDir->nMig == 0) { /* most likely a mistaken path */
    devdb_result_error(ctx, "%s: no migration files found in '%s'", zFunc, zDir);
    return 0;
  }
  return 1;
}

/* Report the end of a run: the count, or the error with what was kept. */
static void run_finish(sqlite3_context *ctx, Run *r, int rc) {
  if (r->bOwnTx && !sqlite3_get_autocommit(r->db)) {
    /* Only when memory ran out while SQLite reloaded the schema (which
    ** expires even the prepared ROLLBACK): say so, the caller must ROLLBACK */
    char *z = sqlite3_mprintf("%s (out of memory: SQLite refused the ROLLBACK; the "
                              "transaction devdb began is still open: ROLLBACK it)",
                              r->zErr ? r->zErr : "out of memory");
    if (z) {
      sqlite3_free(r->zErr);
      r->zErr = z;
    }
    if (rc == SQLITE_OK) rc = SQLITE_NOMEM;
  }
  if (rc == SQLITE_NOMEM && r->zErr == 0) {
    sqlite3_result_error_nomem(ctx);
  } else if (rc != SQLITE_OK) {
    if (r->bAllOrNothing)
      devdb_result_error(ctx, "%s: %s (all in one transaction: nothing was applied)",
                         r->zFunc, r->zErr ? r->zErr : sqlite3_errstr(rc));
    else if (r->nDone)
      devdb_result_error(ctx, "%s: %s (%d earlier migration%s done and kept)", r->zFunc,
                         r->zErr ? r->zErr : sqlite3_errstr(rc), r->nDone,
                         r->nDone == 1 ? " was" : "s were");
    else
      devdb_result_error(ctx, "%s: %s", r->zFunc, r->zErr ? r->zErr : sqlite3_errstr(rc));
  } else {
    sqlite3_result_int(ctx, r->nDone);
  }
  run_free(r);
}

/* argv[i] as text, or NULL when absent or NULL. */
static const char *arg_text(int argc, sqlite3_value **argv, int i) {
  if (i >= argc || sqlite3_value_type(argv[i]) == SQLITE_NULL) return 0;
  return (const char *)sqlite3_value_text(argv[i]);
}

/* The plan (no transaction, nothing run) as the function's text result. */
static int run_plan(sqlite3_context *ctx, Run *r, const int *aIdx, int n, int bUp) {
  sqlite3_str *p = sqlite3_str_new(r->db);
  int rc = plan_text(r, aIdx, n, bUp, p);
  if (rc != SQLITE_OK) {
    sqlite3_free(sqlite3_str_finish(p));
    return rc;
  }
  devdb_result_str(ctx, p);
  run_free(r);
  return SQLITE_OK;
}

/* Check that zTarget names a migration of the directory. */
static int check_target(Run *r, const char *zTarget) {
  if (zTarget && find_version(r->pDir, zTarget) < 0) {
    return run_error(r, SQLITE_ERROR, "no migration with version '%s' in %s", zTarget,
                     r->pDir->zDir);
  }
  return SQLITE_OK;
}

/* devdb_migrate(dir [, target [, options]]) */
static void migrateFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  Run r;
  if (!run_start(ctx, &r, "devdb_migrate", argv[0], arg_text(argc, argv, 2))) {
    run_free(&r);
    return;
  }
  const char *zTarget = arg_text(argc, argv, 1);
  int rc = check_target(&r, zTarget);
  if (rc == SQLITE_OK && devdb_opt_has(r.zOpts, "plan")) {
    int *aIdx = sqlite3_malloc64(sizeof(int) * (r.pDir->nMig + 1));
    rc = aIdx ? run_refresh(&r) : SQLITE_NOMEM;
    int n = rc == SQLITE_OK ? collect_up(&r, zTarget, aIdx) : 0;
    if (n < 0) rc = SQLITE_ERROR;
    if (rc == SQLITE_OK) rc = run_plan(ctx, &r, aIdx, n, 1);
    sqlite3_free(aIdx);
    if (rc == SQLITE_OK) return;
  } else if (rc == SQLITE_OK) {
    rc = run_up(&r, zTarget);
  }
  run_finish(ctx, &r, rc);
}

/* devdb_rollback(dir [, steps [, options]]) */
static void rollbackFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  Run r;
  if (!run_start(ctx, &r, "devdb_rollback", argv[0], arg_text(argc, argv, 2))) {
    run_free(&r);
    return;
  }
  int nSteps = argc > 1 && sqlite3_value_type(argv[1]) != SQLITE_NULL
                   ? sqlite3_value_int(argv[1])
                   : 1;
  char zToBuf[OPT_MAX];
  const char *zTo = opt_value(r.zOpts, "to", zToBuf);
  if (devdb_opt_has(r.zOpts, "all")) nSteps = 0x7fffffff;
  int rc = SQLITE_OK;
  if (nSteps < 0 || (argc > 1 && sqlite3_value_type(argv[1]) != SQLITE_NULL &&
                     sqlite3_value_numeric_type(argv[1]) != SQLITE_INTEGER)) {
    rc = run_error(&r, SQLITE_ERROR, "steps must be a whole number >= 0, not '%s'",
                   sqlite3_value_text(argv[1]));
  }
  if (rc == SQLITE_OK) rc = check_target(&r, zTo);
  if (rc == SQLITE_OK && devdb_opt_has(r.zOpts, "plan")) {
    int *aIdx = sqlite3_malloc64(sizeof(int) * (r.pDir->nMig + 1));
    rc = aIdx ? run_refresh(&r) : SQLITE_NOMEM;
    int n = rc == SQLITE_OK ? collect_down(&r, nSteps, zTo, aIdx) : 0;
    if (n < 0) rc = SQLITE_ERROR;
    if (rc == SQLITE_OK) rc = run_plan(ctx, &r, aIdx, n, 0);
    sqlite3_free(aIdx);
    if (rc == SQLITE_OK) return;
    run_finish(ctx, &r, rc);
    return;
  }
  if (rc == SQLITE_OK) rc = run_down(&r, nSteps, zTo, 0);
  run_finish(ctx, &r, rc);
}

/* 1 when the step must leave the transaction: it opts out of it, or sets
** PRAGMA foreign_keys (which works only outside one). */
static int step_leaves_tx(const Step *pS) {
  return pS->bNoTx || pS->nPre || pS->nPost;
}

/*
** Steps n of aIdx in direction bUp inside the open transaction, each with
** its history. SQLITE_DONE (nothing run) when one must leave the
** transaction.
*/
static int run_steps_in_tx(Run *r, const int *aIdx, int n, int bUp) {
  Step *aStep = sqlite3_malloc64(sizeof(Step) * (n + 1));
  if (aStep == 0) return run_error(r, SQLITE_NOMEM, "out of memory");
  int rc = SQLITE_OK;
  for (int i = 0; i < n && rc == SQLITE_OK; i++) {
    rc = step_init(r, &aStep[i], &r->pDir->aMig[aIdx[i]], bUp);
    if (rc == SQLITE_OK && step_leaves_tx(&aStep[i])) rc = SQLITE_DONE;
  }
  for (int i = 0; i < n && rc == SQLITE_OK; i++) {
    rc = step_run_in_tx(r, &aStep[i], aIdx[i], 0);
  }
  sqlite3_free(aStep);
  return rc;
}

/*
** devdb_redo in one transaction: the write lock is held from the first
** down step to the last up step, so concurrent redos take turns and a
** failing up step leaves the database as it was. SQLITE_DONE (rolled back,
** nothing done) when a step involved must leave the transaction.
*/
static int redo_in_tx(Run *r, int nSteps, int *aIdx) {
  int rc = tx_begin(r);
  if (rc == SQLITE_OK) rc = run_refresh(r);
  int n = rc == SQLITE_OK ? collect_down(r, nSteps, 0, aIdx) : 0;
  if (n < 0) rc = SQLITE_ERROR;
  r->bAllOrNothing = 1;
  if (rc == SQLITE_OK && n > 0) {
    char *zTarget = r->pDir->aMig[aIdx[0]].zVersion;
    rc = run_steps_in_tx(r, aIdx, n, 0);
    if (rc == SQLITE_OK) rc = run_refresh(r);
    n = rc == SQLITE_OK ? collect_up(r, zTarget, aIdx) : 0;
    if (n < 0) rc = SQLITE_ERROR;
    if (rc == SQLITE_OK) rc = run_steps_in_tx(r, aIdx, n, 1);
  }
  if (rc == SQLITE_OK) rc = tx_commit(r);
  if (rc == SQLITE_OK) r->nDone = n;
  if (rc != SQLITE_OK) tx_rollback(r);
  r->bAllOrNothing = rc != SQLITE_DONE;
  return rc;
}

/*
** devdb_redo(dir [, steps]): roll back, then migrate up to where it was,
** in one transaction (redo_in_tx); when a migration involved opts out of
** the transaction or sets PRAGMA foreign_keys, as devdb_rollback then
** devdb_migrate, each step in its own transaction.
*/
static void redoFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  Run r;
  if (!run_start(ctx, &r, "devdb_redo", argv[0], "")) {
    run_free(&r);
    return;
  }
  int nSteps = argc > 1 && sqlite3_value_type(argv[1]) != SQLITE_NULL
                   ? sqlite3_value_int(argv[1])
                   : 1;
  int *aDone = sqlite3_malloc64(sizeof(int) * (r.pDir->nMig + 1));
  int rc = aDone ? redo_in_tx(&r, nSteps, aDone) : SQLITE_NOMEM;
  if (rc == SQLITE_DONE) rc = run_down(&r, nSteps, 0, aDone);
  if (rc == SQLITE_OK && r.nDone > 0 && !r.bAllOrNothing) {
    const char *zTarget = r.pDir->aMig[aDone[0]].zVersion;
    r.nDone = 0;
    rc = run_up(&r, zTarget);
  }
  sqlite3_free(aDone);
  run_finish(ctx, &r, rc);
}

/* Mark migration iMig (or the history row zVersion of a missing file) as
** applied or pending; *pnChanged gets 1 when that changed anything. */
static int mark_one(Run *r, int iMig, const char *zVersion, int bApplied,
                    int *pnChanged) {
  Hist *pH = &r->hist;
  const char *zState = iMig >= 0 ? r->st.azState[iMig] : 0;
  Applied *pA = iMig >= 0 ? r->st.apApplied[iMig] : 0;
  char *zErr = 0;
  int rc = SQLITE_OK;
  if (iMig < 0) { /* only a history row without its file can be made pending */
    for (int i = 0; i < pH->nApplied && !pA; i++) {
      if (devdb_version_cmp(pH->aApplied[i].zKey, zVersion) == 0) pA = &pH->aApplied[i];
    }
    if (pA == 0 || bApplied) {
      return run_error(r, SQLITE_ERROR, "no migration with version '%s' in %s", zVersion,
                       r->pDir->zDir);
    }
    rc = hist_delete(r->db, pH, pA, 0, &zErr);
  } else if (bApplied && pH->eTool == HT_GOLANG) {
    /* golang-migrate's "force V": the pointer moves to V, clean */
    DevdbMigration *pM = &r->pDir->aMig[iMig];
    if (pH->bGolangRow && !pH->bGolangDirty &&
        devdb_version_cmp(pH->zGolangVersion, pM->zVersion) == 0) {
      return SQLITE_OK;
    }
    rc = hist_write(r->db, pH, r->pDir, pM, 0, 0, &zErr);
  } else if (bApplied) {
    if (strcmp(zState, "applied") == 0) return SQLITE_OK;
    if (pA && pH->eTool != HT_DEVDB) rc = hist_delete(r->db, pH, pA, 0, &zErr);
    if (rc == SQLITE_OK)
      rc = hist_write(r->db, pH, r->pDir, &r->pDir->aMig[iMig], 0, 0, &zErr);
  } else {
    if (zState[0] == 'p' || zState[0] == 'o') return SQLITE_OK;
    Applied tmp = {0};
    tmp.zKey = r->pDir->aMig[iMig].zVersion;
    const char *zPrev = iMig > 0 ? r->pDir->aMig[iMig - 1].zVersion : 0;
    rc = hist_delete(r->db, pH, pA ? pA : &tmp, zPrev, &zErr);
  }
  if (rc != SQLITE_OK) {
    run_error(r, rc, "cannot write %s: %s", pH->zTable, zErr ? zErr : sqlite3_errstr(rc));
  }
  sqlite3_free(zErr);
  *pnChanged = rc == SQLITE_OK;
  return rc;
}

/* devdb_mark(dir, version, state): state 'applied' or 'pending'. */
static void markFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  Run r;
  if (sqlite3_value_type(argv[1]) == SQLITE_NULL ||
      sqlite3_value_type(argv[2]) == SQLITE_NULL)
    return;
  if (!run_start(ctx, &r, "devdb_mark", argv[0], arg_text(argc, argv, 3))) {
    run_free(&r);
    return;
  }
  const char *zVersion = (const char *)sqlite3_value_text(argv[1]);
  const char *zState = (const char *)sqlite3_value_text(argv[2]);
  int rc = SQLITE_OK, nChanged = 0;
  if (zVersion == 0 || zState == 0) rc = SQLITE_NOMEM;
  int bApplied = zState && strcmp(zState, "applied") == 0;
  if (rc == SQLITE_OK && !bApplied && strcmp(zState, "pending") != 0) {
    rc = run_error(&r, SQLITE_ERROR, "state must be 'applied' or 'pending', not '%s'",
                   zState);
  }
  if (rc == SQLITE_OK) rc = tx_begin(&r);
  if (rc == SQLITE_OK) rc = run_refresh(&r);
  if (rc == SQLITE_OK) {
    rc = mark_one(&r, find_version(r.pDir, zVersion), zVersion, bApplied, &nChanged);
  }
  if (rc == SQLITE_OK) rc = tx_commit(&r);
  if (rc != SQLITE_OK) tx_rollback(&r);
  r.nDone = nChanged;
  run_finish(ctx, &r, rc);
}

/* ------------------------------------------------- the directory source */

int devdb_migrations_build(sqlite3 *db, const char *zDir, char **pzErr) {
  Run r;
  memset(&r, 0, sizeof(r));
  r.db = db;
  r.zOpts = "";
  int rc = devdb_migdir_load(zDir, &r.pDir, &r.zErr);
  if (rc == SQLITE_OK && (r.pDir == 0 || r.pDir->nMig == 0)) {
    /* as a source, an empty directory would read as "drop everything" */
    r.zErr = sqlite3_mprintf("no migration files found");
    rc = SQLITE_ERROR;
  }
  for (int i = 0; rc == SQLITE_OK && r.pDir && i < r.pDir->nMig; i++) {
    Step step;
    memset(&step, 0, sizeof(step));
    DevdbMigration *pM = &r.pDir->aMig[i];
    rc = devdb_migdir_content(r.pDir, pM, &r.zErr);
    if (rc) break;
    step.pM = pM;
    step.aSec = pM->aUp;
    step.nSec = pM->nUp;
    step.zFile = pM->zFile;
    if (devdb_migdir_split(r.pDir, pM->aUp, pM->nUp)) rc = SQLITE_NOMEM;
    step.nStmt = stmt_count(pM->aUp, pM->nUp);
    if (rc == SQLITE_OK) rc = run_stmts(&r, &step, 0, step.nStmt, 0);
  }
  if (rc != SQLITE_OK) {
    *pzErr = sqlite3_mprintf("migrations in '%s': %s", zDir,
                             r.zErr ? r.zErr : sqlite3_errstr(rc));
  }
  if (!sqlite3_get_autocommit(db))
    sqlite3_exec(db, "COMMIT", 0, 0, 0); /* a BEGIN left open */
  run_free(&r);
  return rc;
}

/* ------------------------------------------- devdb_migrations(dir) */

#define MIGS_VERSION 0
#define MIGS_NAME 1
#define MIGS_FILE 2
#define MIGS_STATE 3
#define MIGS_APPLIED_AT 4
#define MIGS_CHECKSUM 5
#define MIGS_UP 6
#define MIGS_DOWN 7
#define MIGS_TOOL 8
#define MIGS_DIR 9

typedef struct migs_vtab {
  sqlite3_vtab base; /* Base class - must be first */
  sqlite3 *db;
} migs_vtab;

typedef struct migs_cursor {
  sqlite3_vtab_cursor base; /* Base class - must be first */
  Run run;
  int bRun; /* run holds a loaded directory */
  int iRow; /* rows 0..nMig-1 are files, then the missing ones */
  int nRow;
  int *aMissing; /* history rows without a file */
} migs_cursor;

static int migsConnect(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                       sqlite3_vtab **ppVtab, char **pzErr) {
  int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(version TEXT, name TEXT, file TEXT, "
                                    "state TEXT, applied_at TEXT, checksum TEXT, up_sql "
                                    "TEXT, down_sql TEXT, tool TEXT, dir HIDDEN)");
  if (rc != SQLITE_OK) return rc;
  migs_vtab *pNew = sqlite3_malloc(sizeof(*pNew));
  if (pNew == 0) return SQLITE_NOMEM;
  memset(pNew, 0, sizeof(*pNew));
  pNew->db = db;
  /* it reads files named by its argument */
  sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  *ppVtab = &pNew->base;
  return SQLITE_OK;
}

static int migsDisconnect(sqlite3_vtab *pVtab) {
  sqlite3_free(pVtab);
  return SQLITE_OK;
}

static int migsOpen(sqlite3_vtab *p, sqlite3_vtab_cursor **ppCursor) {
  migs_cursor *pCur = sqlite3_malloc(sizeof(*pCur));
  if (pCur == 0) return SQLITE_NOMEM;
  memset(pCur, 0, sizeof(*pCur));
  *ppCursor = &pCur->base;
  return SQLITE_OK;
}

static void migsReset(migs_cursor *pCur) {
  if (pCur->bRun) run_free(&pCur->run);
  sqlite3_free(pCur->aMissing);
  pCur->aMissing = 0;
  pCur->bRun = 0;
  pCur->iRow = pCur->nRow = 0;
}

static int migsClose(sqlite3_vtab_cursor *cur) {
  migsReset((migs_cursor *)cur);
  sqlite3_free(cur);
  return SQLITE_OK;
}

static int migsFilter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc,
                      sqlite3_value **argv) {
  migs_cursor *pCur = (migs_cursor *)cur;
  migsReset(pCur);
  if (idxNum == 0) { /* no plan had the argument */
    devdb_vtab_error(cur->pVtab, "devdb_migrations: the directory argument is required");
    return SQLITE_ERROR;
  }
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return SQLITE_OK;
  Run *r = &pCur->run;
  memset(r, 0, sizeof(*r));
  r->db = ((migs_vtab *)cur->pVtab)->db;
  r->zOpts = "";
  pCur->bRun = 1;
  const char *zDir = (const char *)sqlite3_value_text(argv[0]);
  int rc = zDir ? devdb_migdir_load(zDir, &r->pDir, &r->zErr) : SQLITE_NOMEM;
  if (rc == SQLITE_OK) rc = run_refresh(r);
  Hist *pH = &r->hist;
  if (rc == SQLITE_OK) {
    pCur->aMissing = sqlite3_malloc64(sizeof(int) * (pH->nApplied + 1));
    if (pCur->aMissing == 0) rc = SQLITE_NOMEM;
  }
  if (rc != SQLITE_OK) {
    devdb_vtab_error(cur->pVtab, "devdb_migrations: %s",
                     r->zErr ? r->zErr : sqlite3_errstr(rc));
    return rc == SQLITE_NOMEM ? rc : SQLITE_ERROR;
  }
  pCur->nRow = r->pDir->nMig;
  for (int i = 0; i < pH->nApplied; i++) {
    if (!pH->aApplied[i].bSeen) pCur->aMissing[pCur->nRow++ - r->pDir->nMig] = i;
  }
  return SQLITE_OK;
}

static int migsNext(sqlite3_vtab_cursor *cur) {
  ((migs_cursor *)cur)->iRow++;
  return SQLITE_OK;
}

static int migsEof(sqlite3_vtab_cursor *cur) {
  migs_cursor *pCur = (migs_cursor *)cur;
  return pCur->iRow >= pCur->nRow;
}

static void result_text(sqlite3_context *ctx, const char *z) {
  if (z) sqlite3_result_text(ctx, z, -1, SQLITE_TRANSIENT);
}

/* The text of sections joined by newlines. */
static void result_sections(sqlite3_context *ctx, const DevdbMigSection *aSec, int nSec) {
  if (nSec == 0) return;
  if (nSec == 1) {
    result_text(ctx, aSec[0].zSql);
    return;
  }
  sqlite3_str *p = sqlite3_str_new(0);
  for (int i = 0; i < nSec; i++)
    sqlite3_str_appendf(p, "%s%s", i ? "\n" : "", aSec[i].zSql);
  devdb_result_str(ctx, p);
}

static int migsColumn(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i) {
  migs_cursor *pCur = (migs_cursor *)cur;
  Run *r = &pCur->run;
  DevdbMigration *pM = 0;
  const Applied *pA = 0;
  const char *zState = "missing";
  if (pCur->iRow < r->pDir->nMig) {
    pM = &r->pDir->aMig[pCur->iRow];
    pA = r->st.apApplied[pCur->iRow];
    zState = r->st.azState[pCur->iRow];
  } else {
    pA = &r->hist.aApplied[pCur->aMissing[pCur->iRow - r->pDir->nMig]];
  }
  if (pM && (i == MIGS_CHECKSUM || i == MIGS_UP || i == MIGS_DOWN)) {
    /* the file is read when these are asked for */
    char *zErr = 0;
    int rc = devdb_migdir_content(r->pDir, pM, &zErr);
    if (rc != SQLITE_OK) {
      devdb_result_error(ctx, "devdb_migrations: %s", zErr ? zErr : sqlite3_errstr(rc));
      sqlite3_free(zErr);
      return SQLITE_OK;
    }
  }
  switch (i) {
  case MIGS_VERSION:
    result_text(ctx, pM ? pM->zVersion : pA->zKey);
    break;
  case MIGS_NAME:
    result_text(ctx, pM ? pM->zName : pA->zName);
    break;
  case MIGS_FILE:
    if (pM) result_text(ctx, pM->zFile);
    break;
  case MIGS_STATE:
    result_text(ctx, zState);
    break;
  case MIGS_APPLIED_AT:
    if (pA) result_text(ctx, pA->zAppliedAt);
    break;
  case MIGS_CHECKSUM:
    result_text(ctx, pM ? pM->zChecksum : pA->zChecksum);
    break;
  case MIGS_UP:
    if (pM) result_sections(ctx, pM->aUp, pM->nUp);
    break;
  case MIGS_DOWN:
    if (pM) result_sections(ctx, pM->aDown, pM->nDown);
    break;
  case MIGS_TOOL:
    result_text(ctx, azToolName[r->hist.eTool]);
    break;
  default:
    break;
  }
  return SQLITE_OK;
}

static int migsRowid(sqlite3_vtab_cursor *cur, sqlite_int64 *pRowid) {
  *pRowid = ((migs_cursor *)cur)->iRow + 1;
  return SQLITE_OK;
}

/*
** The dir argument comes from an equality constraint on it; a plan whose
** constraint is not usable is rejected. A plan without one (a branch of an
** OR, or a query that names no directory) is no error here: it costs more
** than any plan with the argument, so SQLite takes one of those when there
** is one, and it fails in xFilter only when there is none.
*/
static int migsBestIndex(sqlite3_vtab *tab, sqlite3_index_info *pInfo) {
  int iDir = -1;
  for (int i = 0; i < pInfo->nConstraint; i++) {
    const struct sqlite3_index_constraint *pC = &pInfo->aConstraint[i];
    if (pC->iColumn != MIGS_DIR) continue;
    if (!pC->usable) return SQLITE_CONSTRAINT;
    if (pC->op == SQLITE_INDEX_CONSTRAINT_EQ) iDir = i;
  }
  if (iDir < 0) {
    pInfo->estimatedCost = 1e18;
    pInfo->estimatedRows = 100;
    return SQLITE_OK;
  }
  pInfo->estimatedCost = 1000;
  pInfo->estimatedRows = 100;
  pInfo->aConstraintUsage[iDir].argvIndex = 1;
  pInfo->aConstraintUsage[iDir].omit = 1;
  pInfo->idxNum = 1;
  return SQLITE_OK;
}

static sqlite3_module migsModule = {
    0,              /* iVersion */
    0,              /* xCreate: eponymous only */
    migsConnect,    /* xConnect */
    migsBestIndex,  /* xBestIndex */
    migsDisconnect, /* xDisconnect */
    0,              /* xDestroy */
    migsOpen,       /* xOpen */
    migsClose,      /* xClose */
    migsFilter,     /* xFilter */
    migsNext,       /* xNext */
    migsEof,        /* xEof */
    migsColumn,     /* xColumn */
    migsRowid,      /* xRowid */
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

int migrate_register(sqlite3 *db) {
  static const DevdbFunc aFunc[] = {
      {"devdb_migrate", 1, DEVDB_SIDE_EFFECT, migrateFunc},
      {"devdb_migrate", 2, DEVDB_SIDE_EFFECT, migrateFunc},
      {"devdb_migrate", 3, DEVDB_SIDE_EFFECT, migrateFunc},
      {"devdb_rollback", 1, DEVDB_SIDE_EFFECT, rollbackFunc},
      {"devdb_rollback", 2, DEVDB_SIDE_EFFECT, rollbackFunc},
      {"devdb_rollback", 3, DEVDB_SIDE_EFFECT, rollbackFunc},
      {"devdb_redo", 1, DEVDB_SIDE_EFFECT, redoFunc},
      {"devdb_redo", 2, DEVDB_SIDE_EFFECT, redoFunc},
      {"devdb_mark", 3, DEVDB_SIDE_EFFECT, markFunc},
      {"devdb_mark", 4, DEVDB_SIDE_EFFECT, markFunc},
  };
  int rc = devdb_register_funcs(db, aFunc, sizeof(aFunc) / sizeof(aFunc[0]));
  if (rc == SQLITE_OK) rc = sqlite3_create_module(db, "devdb_migrations", &migsModule, 0);
  return rc;
}
