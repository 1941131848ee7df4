/*
** diff.c: the schema diff of devdb, as rows and as a script.
**
**   CREATE TABLE devdb_diff(
**     seq     INT,   -- 1, 2, ...: the order the changes must be applied in
**     kind    TEXT,  -- table, column, primary_key, unique, check,
**                    -- foreign_key, index, view, trigger, virtual_table
**     name    TEXT,  -- the object (NULL for an unnamed constraint)
**     tbl     TEXT,  -- its table
**     change  TEXT,  -- create, drop, add, alter, rename, rebuild, or
**                    -- rename? (a likely rename, for the user to confirm)
**     detail  TEXT,  -- what changes, as a sentence
**     risk    TEXT,  -- "level: text; ..." or NULL (below)
**     sql     TEXT,  -- the statements of this change (NULL when the
**                    -- table's rebuild row does it)
**     source  HIDDEN, target HIDDEN, options HIDDEN
**   );
**
**   devdb_diff_sql(source, target [, options])  -> TEXT
**
** Both compare two sources (README.md: a schema name, a database file, a
** .sql file, SQL text, a migrations directory, '') and plan the SQL that
** turns source into target; plan.c says how. devdb_diff_sql returns the
** whole script for `sqlite3 -bail DB < script.sql`: foreign keys turned
** off before BEGIN (inside a transaction the PRAGMA does nothing), guards
** that stop it when they are still on or when the change leaves foreign
** key violations, COMMIT, and foreign keys back on. '' when the schemas are
** equal.
**
** risk lists, "; "-separated, each "level: text":
**   data-loss: N rows of t / N non-NULL values in t.c
**   will-fail: N rows would have NULL in t.c (NOT NULL) / N duplicate
**              groups in UNIQUE(..) / N rows fail CHECK(..) / N rows of t
**              without a parent (FOREIGN KEY ..) / N values of t.c do not
**              fit a STRICT INTEGER column
**   rebuild: N rows copied
**   cascade-hazard: the children whose ON DELETE action a DROP TABLE with
**              foreign keys on would run
**   warning: N values of t.c stay text in a column of INTEGER affinity
**   needs: SQLite 3.35.0 (the version the statement needs)
** Counts come from the source's live rows (zero for SQL text sources).
**
** options (also of devdb_apply): rename:old=new and rename:table.old=new
** (renames are never guessed; a dropped and an added table or column of the
** same definition show as a 'rename?' row), sqlite-version:X.Y.Z (plan for
** an older library: no RENAME COLUMN before 3.25, no DROP COLUMN before
** 3.35.5, ...), allow-data-loss (only devdb_apply reads it).
**
** Examples:
**   SELECT seq, change, detail, risk FROM devdb_diff('main', 'schema.sql');
**   -- 1|add|column users.age added: INT DEFAULT 0|NULL
**   -- 2|alter|column users.email: NOT NULL added|will-fail: 2 rows would
**   --   have NULL in users.email (NOT NULL, no default)
**   -- 3|rebuild|table users rebuilt ...|rebuild: 10 rows copied
**   SELECT devdb_diff_sql('main', 'migrations/');  -- drift: '' when none
**
** A NULL source or target gives no rows (NULL from devdb_diff_sql). An
** unknown source, a source that fails to load or a bad option is an error
** naming it. Both are DIRECTONLY: they read files and run SQL text.
*/
#include "devdb.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ----------------------------------------------------- loading sources */

/* One side of a diff: its source, opened, and its model. */
typedef struct Side {
  sqlite3 *dbCaller; /* the calling connection, or NULL in a worker */
  const char *zSource;
  DevdbSource src;
  DevdbSchema *pModel;
  char *zErr;
  int rc;
} Side;

/* Open a side's source and load its model. In a worker thread the calling
** connection is never touched: a private connection resolves the source. */
static void *load_side(void *pArg) {
  Side *p = pArg;
  sqlite3 *db = p->dbCaller, *dbPrivate = 0;
  if (db == 0) {
    p->rc = devdb_scratch_open(&dbPrivate, &p->zErr);
    if (p->rc != SQLITE_OK) return 0;
    db = dbPrivate;
  }
  p->rc = devdb_source_open(db, p->zSource, &p->src, &p->zErr);
  sqlite3_close(dbPrivate);
  if (p->rc == SQLITE_OK) {
    p->rc = devdb_schema_load(p->src.db, p->src.zSchema, &p->pModel, &p->zErr);
  }
  return 0;
}

/* 1 when zSource can load in another thread: it opens a connection of its
** own (a file, SQL text, a migrations directory), not a schema of db, and
** devdb_threads_ok. */
static int loads_apart(sqlite3 *db, const char *zSource) {
  if (!devdb_threads_ok()) return 0;
  int eKind = devdb_source_kind(db, zSource);
  return eKind != 0 && eKind != DEVDB_SRC_SCHEMA && eKind != DEVDB_SRC_EMPTY;
}

/* Load both sides, the second in a worker thread when it loads apart. */
static void load_sides(sqlite3 *db, Side *a) {
  pthread_t thread;
  int bThread = loads_apart(db, a[1].zSource);
  a[0].dbCaller = db;
  a[1].dbCaller = bThread ? 0 : db;
  if (bThread && pthread_create(&thread, 0, load_side, &a[1]) != 0) {
    bThread = 0;
    a[1].dbCaller = db;
  }
  load_side(&a[0]);
  if (bThread)
    pthread_join(thread, 0);
  else
    load_side(&a[1]);
}

static void free_side(Side *p) {
  devdb_schema_free(p->pModel);
  devdb_source_close(&p->src);
}

int devdb_diff_load(sqlite3 *db, const char *zFrom, const char *zTo, DevdbDiffInput *pIn,
                    char **pzErr) {
  Side a[2];
  memset(a, 0, sizeof(a));
  memset(pIn, 0, sizeof(*pIn));
  a[0].zSource = zFrom;
  a[1].zSource = zTo;
  *pzErr = 0;
  load_sides(db, a);
  int rc = a[0].rc ? a[0].rc : a[1].rc;
  if (rc != SQLITE_OK) {
    char *zErr = a[0].rc ? a[0].zErr : a[1].zErr;
    *pzErr = sqlite3_mprintf("%s", zErr ? zErr : sqlite3_errstr(rc));
  }
  sqlite3_free(a[0].zErr);
  sqlite3_free(a[1].zErr);
  if (rc != SQLITE_OK) {
    free_side(&a[0]);
    free_side(&a[1]);
    return rc;
  }
  pIn->from = a[0].src;
  pIn->to = a[1].src;
  pIn->pFrom = a[0].pModel;
  pIn->pTo = a[1].pModel;
  return SQLITE_OK;
}

void devdb_diff_unload(DevdbDiffInput *pIn) {
  devdb_schema_free(pIn->pFrom);
  devdb_schema_free(pIn->pTo);
  devdb_source_close(&pIn->from);
  devdb_source_close(&pIn->to);
  memset(pIn, 0, sizeof(*pIn));
}

int devdb_plan_sources(sqlite3 *db, const char *zFrom, const char *zTo, const char *zOpts,
                       DevdbPlan **ppPlan, char **pzErr) {
  DevdbDiffInput in;
  *ppPlan = 0;
  int rc = devdb_diff_load(db, zFrom, zTo, &in, pzErr);
  if (rc != SQLITE_OK) return rc;
  rc = devdb_plan_build(in.from.db, in.from.zSchema, in.pFrom, in.pTo, zOpts,
                        DEVDB_COUNT_ALL, ppPlan, pzErr);
  if (rc == SQLITE_OK) {
    (*ppPlan)->zSource = devdb_arena_strndup(&(*ppPlan)->arena, in.from.zLabel, -1);
    (*ppPlan)->zTarget = devdb_arena_strndup(&(*ppPlan)->arena, in.to.zLabel, -1);
  }
  devdb_diff_unload(&in);
  return rc;
}

/* -------------------------------------------------------------- script */

/* The text z as "-- " comment lines into p. */
static void str_comment(sqlite3_str *p, const char *zPrefix, const char *z) {
  sqlite3_str_appendf(p, "-- %s", zPrefix);
  for (; *z; z++) {
    if (*z == '\n')
      sqlite3_str_appendall(p, "\n--   ");
    else
      sqlite3_str_appendchar(p, 1, *z);
  }
  sqlite3_str_appendchar(p, 1, '\n');
}

/* The guard table: a CHECK per condition, named with its message. */
static void str_guard(sqlite3_str *p) {
  sqlite3_str_appendall(
      p,
      "CREATE TEMP TABLE devdb_guard(what TEXT, ok INT,\n"
      "  CONSTRAINT \"foreign_keys is still on: run this script outside a transaction\"\n"
      "    CHECK (what <> 'foreign_keys' OR ok),\n"
      "  CONSTRAINT \"the change leaves foreign key violations\"\n"
      "    CHECK (what <> 'foreign_key_check' OR ok));\n");
}

/* "INSERT INTO temp.devdb_guard ..." that fails when the change left
** foreign key violations in the plan's checked tables. */
static void str_fk_guard(sqlite3_str *p, const DevdbPlan *pPlan) {
  sqlite3_str_appendall(p, "-- stops here when the change left foreign key violations\n"
                           "INSERT INTO temp.devdb_guard SELECT 'foreign_key_check', NOT "
                           "EXISTS (");
  for (int i = 0; i < pPlan->nFkTable; i++) {
    sqlite3_str_appendf(p, "%sSELECT 1 FROM pragma_foreign_key_check(%Q, %Q)",
                        i ? " UNION ALL " : "", pPlan->azFkTable[i], pPlan->zSchema);
  }
  sqlite3_str_appendall(p, ");\n");
}

/* The rows of the plan, each under a comment with its detail and risk. */
static void str_rows(sqlite3_str *p, const DevdbPlan *pPlan) {
  for (int i = 0; i < pPlan->nChange; i++) {
    const DevdbChange *pC = &pPlan->aChange[i];
    char *zHead = sqlite3_mprintf("%d. %s", i + 1, pC->zDetail ? pC->zDetail : "");
    if (zHead == 0) return;
    str_comment(p, "", zHead);
    sqlite3_free(zHead);
    if (pC->zRisk) str_comment(p, "   risk: ", pC->zRisk);
    if (pC->zSql)
      sqlite3_str_appendf(p, "%s\n", pC->zSql);
    else if (strcmp(pC->zChange, "rename?"))
      sqlite3_str_appendall(p, "--    (done by the rebuild of its table below)\n");
  }
}

char *devdb_plan_script(const DevdbPlan *pPlan) {
  if (pPlan->nChange == 0) return sqlite3_mprintf("%s", "");
  sqlite3_str *p = sqlite3_str_new(0);
  sqlite3_str_appendf(
      p,
      "-- devdb: the SQL that turns %s into %s.\n"
      "-- Run it outside any transaction with: sqlite3 -bail DB < script.sql\n",
      pPlan->zSource ? pPlan->zSource : "the source",
      pPlan->zTarget ? pPlan->zTarget : "the target");
  if (pPlan->bFkOff) {
    sqlite3_str_appendall(
        p, "-- Foreign keys off before the transaction: inside one this PRAGMA does\n"
           "-- nothing, and DROP TABLE with foreign keys on runs the ON DELETE actions\n"
           "-- of child rows (CASCADE deletes them).\n"
           "PRAGMA foreign_keys=OFF;\n");
  }
  sqlite3_str_appendall(p, "BEGIN;\n");
  str_guard(p);
  if (pPlan->bFkOff) {
    sqlite3_str_appendall(p, "-- stops here when foreign keys are still on\n"
                             "INSERT INTO temp.devdb_guard SELECT 'foreign_keys', NOT "
                             "foreign_keys FROM pragma_foreign_keys;\n");
  }
  str_rows(p, pPlan);
  if (pPlan->nFkTable) str_fk_guard(p, pPlan);
  sqlite3_str_appendall(p, "DROP TABLE temp.devdb_guard;\nCOMMIT;\n");
  if (pPlan->bFkOff) {
    sqlite3_str_appendall(p,
                          "-- Foreign keys back on (leave them off if they were off).\n"
                          "PRAGMA foreign_keys=ON;\n");
  }
  if (sqlite3_str_errcode(p)) {
    sqlite3_free(sqlite3_str_finish(p));
    return 0;
  }
  int n = sqlite3_str_length(p);
  char *z = sqlite3_str_finish(p);
  if (z && n > 0 && z[n - 1] == '\n')
    z[n - 1] = 0; /* like a query result, no final newline */
  return z;
}

/* ---------------------------------------------------------- devdb_diff */

typedef struct diff_vtab {
  sqlite3_vtab base; /* Base class - must be first */
  sqlite3 *db;
} diff_vtab;

typedef struct diff_cursor {
  sqlite3_vtab_cursor base; /* Base class - must be first */
  DevdbPlan *pPlan;
  int iRow;
} diff_cursor;

#define DIFF_SEQ 0
#define DIFF_KIND 1
#define DIFF_NAME 2
#define DIFF_TBL 3
#define DIFF_CHANGE 4
#define DIFF_DETAIL 5
#define DIFF_RISK 6
#define DIFF_SQL 7
#define DIFF_SOURCE 8
#define DIFF_TARGET 9
#define DIFF_OPTIONS 10

static int diffConnect(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                       sqlite3_vtab **ppVtab, char **pzErr) {
  int rc =
      sqlite3_declare_vtab(db, "CREATE TABLE x(seq INT, kind TEXT, name TEXT, tbl TEXT, "
                               "change TEXT, detail TEXT, risk TEXT, sql TEXT, "
                               "source HIDDEN, target HIDDEN, options HIDDEN)");
  if (rc != SQLITE_OK) return rc;
  diff_vtab *pNew = sqlite3_malloc(sizeof(*pNew));
  if (pNew == 0) return SQLITE_NOMEM;
  memset(pNew, 0, sizeof(*pNew));
  pNew->db = db;
  /* DIRECTONLY: it reads files and runs SQL text given as a source */
  sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  *ppVtab = &pNew->base;
  return SQLITE_OK;
}

static int diffDisconnect(sqlite3_vtab *pVtab) {
  sqlite3_free(pVtab);
  return SQLITE_OK;
}

static int diffOpen(sqlite3_vtab *p, sqlite3_vtab_cursor **ppCursor) {
  diff_cursor *pCur = sqlite3_malloc(sizeof(*pCur));
  if (pCur == 0) return SQLITE_NOMEM;
  memset(pCur, 0, sizeof(*pCur));
  *ppCursor = &pCur->base;
  return SQLITE_OK;
}

static int diffClose(sqlite3_vtab_cursor *cur) {
  devdb_plan_free(((diff_cursor *)cur)->pPlan);
  sqlite3_free(cur);
  return SQLITE_OK;
}

/* argv: source, target, then options when idxNum says so (bit 4). */
static int diffFilter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc,
                      sqlite3_value **argv) {
  diff_cursor *pCur = (diff_cursor *)cur;
  diff_vtab *pTab = (diff_vtab *)cur->pVtab;
  devdb_plan_free(pCur->pPlan);
  pCur->pPlan = 0;
  pCur->iRow = 0;
  if ((idxNum & 3) != 3) {
    devdb_vtab_error(cur->pVtab, "devdb_diff: needs a source and a target: "
                                 "devdb_diff(source, target [, options])");
    return SQLITE_ERROR;
  }
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL ||
      sqlite3_value_type(argv[1]) == SQLITE_NULL)
    return SQLITE_OK;
  const char *zFrom = (const char *)sqlite3_value_text(argv[0]);
  const char *zTo = (const char *)sqlite3_value_text(argv[1]);
  const char *zOpts = argc > 2 ? (const char *)sqlite3_value_text(argv[2]) : 0;
  if (zFrom == 0 || zTo == 0) return SQLITE_NOMEM;
  char *zErr = 0;
  int rc = devdb_plan_sources(pTab->db, zFrom, zTo, zOpts, &pCur->pPlan, &zErr);
  if (rc != SQLITE_OK) {
    devdb_vtab_error(cur->pVtab, "devdb_diff: %s", zErr ? zErr : sqlite3_errstr(rc));
    sqlite3_free(zErr);
    return rc == SQLITE_NOMEM ? rc : SQLITE_ERROR;
  }
  return SQLITE_OK;
}

static int diffNext(sqlite3_vtab_cursor *cur) {
  ((diff_cursor *)cur)->iRow++;
  return SQLITE_OK;
}

static int diffEof(sqlite3_vtab_cursor *cur) {
  diff_cursor *pCur = (diff_cursor *)cur;
  return pCur->pPlan == 0 || pCur->iRow >= pCur->pPlan->nChange;
}

static void result_text(sqlite3_context *ctx, const char *z) {
  if (z) sqlite3_result_text(ctx, z, -1, SQLITE_TRANSIENT);
}

static int diffColumn(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i) {
  diff_cursor *pCur = (diff_cursor *)cur;
  const DevdbChange *pC = &pCur->pPlan->aChange[pCur->iRow];
  switch (i) {
  case DIFF_SEQ:
    sqlite3_result_int(ctx, pCur->iRow + 1);
    break;
  case DIFF_KIND:
    result_text(ctx, pC->zKind);
    break;
  case DIFF_NAME:
    result_text(ctx, pC->zName);
    break;
  case DIFF_TBL:
    result_text(ctx, pC->zTbl);
    break;
  case DIFF_CHANGE:
    result_text(ctx, pC->zChange);
    break;
  case DIFF_DETAIL:
    result_text(ctx, pC->zDetail);
    break;
  case DIFF_RISK:
    result_text(ctx, pC->zRisk);
    break;
  case DIFF_SQL:
    result_text(ctx, pC->zSql);
    break;
  default:
    break;
  }
  return SQLITE_OK;
}

static int diffRowid(sqlite3_vtab_cursor *cur, sqlite_int64 *pRowid) {
  *pRowid = ((diff_cursor *)cur)->iRow + 1;
  return SQLITE_OK;
}

/*
** Equality constraints on source, target and options become argv[0..2]
** (idxNum bits 1, 2, 4); an unusable one is rejected.
*/
static int diffBestIndex(sqlite3_vtab *tab, sqlite3_index_info *pInfo) {
  int aIdx[3] = {-1, -1, -1};
  for (int i = 0; i < pInfo->nConstraint; i++) {
    const struct sqlite3_index_constraint *pC = &pInfo->aConstraint[i];
    if (pC->iColumn < DIFF_SOURCE) continue;
    if (!pC->usable) return SQLITE_CONSTRAINT;
    if (pC->op == SQLITE_INDEX_CONSTRAINT_EQ) aIdx[pC->iColumn - DIFF_SOURCE] = i;
  }
  pInfo->estimatedCost = 1000;
  pInfo->estimatedRows = 100;
  int iArg = 1;
  for (int k = 0; k < 3; k++) {
    if (aIdx[k] < 0 || (k == 2 && pInfo->idxNum != 3)) continue;
    pInfo->aConstraintUsage[aIdx[k]].argvIndex = iArg++;
    pInfo->aConstraintUsage[aIdx[k]].omit = 1;
    pInfo->idxNum |= 1 << k;
  }
  return SQLITE_OK;
}

static sqlite3_module diffModule = {
    0,              /* iVersion */
    0,              /* xCreate: eponymous only */
    diffConnect,    /* xConnect */
    diffBestIndex,  /* xBestIndex */
    diffDisconnect, /* xDisconnect */
    0,              /* xDestroy */
    diffOpen,       /* xOpen */
    diffClose,      /* xClose */
    diffFilter,     /* xFilter */
    diffNext,       /* xNext */
    diffEof,        /* xEof */
    diffColumn,     /* xColumn */
    diffRowid,      /* xRowid */
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

/* ------------------------------------------------------ devdb_diff_sql */

/* devdb_diff_sql(source, target [, options]): the whole script. */
static void diffSqlFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  for (int i = 0; i < argc; i++) {
    if (i < 2 && sqlite3_value_type(argv[i]) == SQLITE_NULL) return;
  }
  const char *zFrom = (const char *)sqlite3_value_text(argv[0]);
  const char *zTo = (const char *)sqlite3_value_text(argv[1]);
  const char *zOpts = argc > 2 ? (const char *)sqlite3_value_text(argv[2]) : 0;
  DevdbPlan *pPlan = 0;
  char *zErr = 0;
  int rc = devdb_plan_sources(sqlite3_context_db_handle(ctx), zFrom ? zFrom : "",
                              zTo ? zTo : "", zOpts, &pPlan, &zErr);
  if (rc != SQLITE_OK) {
    devdb_result_error(ctx, "devdb_diff_sql: %s", zErr ? zErr : sqlite3_errstr(rc));
    sqlite3_free(zErr);
    return;
  }
  char *zScript = devdb_plan_script(pPlan);
  devdb_plan_free(pPlan);
  if (zScript == 0) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  sqlite3_result_text(ctx, zScript, -1, sqlite3_free);
}

int diff_register(sqlite3 *db) {
  static const DevdbFunc aFunc[] = {
      {"devdb_diff_sql", 2, DEVDB_SIDE_EFFECT, diffSqlFunc},
      {"devdb_diff_sql", 3, DEVDB_SIDE_EFFECT, diffSqlFunc},
  };
  int rc = sqlite3_create_module(db, "devdb_diff", &diffModule, 0);
  if (rc == SQLITE_OK)
    rc = devdb_register_funcs(db, aFunc, sizeof(aFunc) / sizeof(aFunc[0]));
  if (rc == SQLITE_OK) rc = apply_register(db);
  return rc;
}
