/*
** lint.c: devdb_lint, the findings of the lint rules over one schema and,
** for a source other than main, over main's live data.
**
**   CREATE TABLE devdb_lint(
**     severity TEXT,  -- error (will fail / is broken), warning (likely a
**                     -- mistake), info
**     rule     TEXT,  -- kebab-case id of the rule, e.g. fk-type-mismatch
**     object   TEXT,  -- what it is about: "t", "t.c", "t(a, b)", an index,
**                     -- view or trigger name
**     detail   TEXT,  -- a sentence, with the counts where there are some
**     fix      TEXT,  -- SQL that fixes it where it can be exact, else a
**                     -- sentence; NULL when there is nothing to do
**     source   HIDDEN -- the source (DESIGN.md); default 'main'
**   );
**
** Rows come errors first, then warnings, then infos. The rules:
**
**   error    fk-missing-table      a foreign key references no table
**   error    fk-missing-column     ... a column its parent does not have
**   error    fk-parent-not-unique  the parent columns are not a PRIMARY KEY or
**                                  UNIQUE (SQLite's "foreign key mismatch":
**                                  every write to the child fails)
**   error    fk-violation          rows that PRAGMA foreign_key_check reports,
**                                  counted per foreign key
**   error    view-broken           a view that does not prepare (then every
**                                  ALTER TABLE RENAME / DROP COLUMN fails)
**   error    trigger-broken        a trigger whose body names missing tables
**                                  or columns
**   warning  fk-type-mismatch      child and parent key columns differ in
**                                  affinity (the bigint-to-uuid case)
**   warning  fk-collation-mismatch ... in collation
**   warning  fk-no-index           no index starts with the child columns
**   warning  dqs-literal           a double-quoted string literal in a CHECK,
**                                  generated column, index, view or trigger
**   warning  int-pk-not-rowid      INT/BIGINT PRIMARY KEY: not a rowid alias
**   warning  type-affinity         a declared type whose affinity is not what
**                                  its name says (STRING, UUID, JSON -> NUMERIC,
**                                  FLOATING POINT -> INTEGER ...)
**   warning  table-no-pk           a table without a PRIMARY KEY
**   warning  index-duplicate       two indexes on the same columns
**   info     index-redundant       an index that is a prefix of another one,
**                                  or on the rowid alias alone
**   info     fk-type-differs       same affinity, different declared type
**   info     fk-parent-unique-index the parent key is unique only through a
**                                  CREATE UNIQUE INDEX that can be dropped
**   info     fk-disabled           PRAGMA foreign_keys is off on this connection
**   info     type-date             DATE/DATETIME/TIMESTAMP: NUMERIC affinity
**   info     type-unusual          a type SQLite does not know: NUMERIC
**   info     column-no-type        a column without a declared type
**
** When the source is not this connection's main (a file, SQL text, another
** schema), its tables are also checked against main's rows where the table
** names match, each count one aggregate query:
**
**   error    will-fail-unique      a UNIQUE / PRIMARY KEY over N duplicate groups
**   error    will-fail-not-null    NOT NULL over N NULLs
**   error    will-fail-check       a CHECK violated by N rows
**   error    will-fail-fk          a foreign key with N orphan rows
**   error    will-fail-type        N values a STRICT column or a rowid alias
**                                  cannot take (datatype mismatch)
**   warning  type-values-unconverted N text values that stay text under the
**                                  new numeric affinity
**   info     check-not-counted     a CHECK that calls a function a schema may
**                                  not call: not run on main's rows
**
** Examples:
**   SELECT severity, rule, object FROM devdb_lint;
**   -- error|fk-parent-not-unique|orders(sku)
**   SELECT rule, detail FROM devdb_lint('schema.sql') WHERE severity='error';
**   -- will-fail-unique|UNIQUE(user, course) of enrollment: main.enrollment
**   --   holds 2 duplicate groups (3 rows beyond the first of each)
**
** A NULL source gives no rows; a source that cannot be resolved or loaded is
** an error naming it. DIRECTONLY: it reads files and runs the SQL text it is
** given (into a scratch database), which a schema must not do behind the
** user's back. CHECK expressions of a source are run on main's rows only
** when every function they call is safe in a schema (innocuous).
*/
#include "devdb.h"

#include <stdarg.h>
#include <string.h>

/* ------------------------------------------------------------ findings */

void devdb_lint_add(DevdbLint *p, int eSeverity, const char *zRule, char *zObject,
                    char *zDetail, char *zFix) {
  if (zDetail == 0 || zObject == 0) {
    p->arena.bOom = 1;
    return;
  }
  if (p->nFinding == p->nAlloc) {
    int nNew = p->nAlloc ? p->nAlloc * 2 : 32;
    DevdbFinding *aNew = sqlite3_realloc64(p->aFinding, sizeof(DevdbFinding) * nNew);
    if (aNew == 0) {
      p->arena.bOom = 1;
      return;
    }
    p->aFinding = aNew;
    p->nAlloc = nNew;
  }
  DevdbFinding *pF = &p->aFinding[p->nFinding++];
  pF->eSeverity = eSeverity;
  pF->zRule = zRule;
  pF->zObject = zObject;
  pF->zDetail = zDetail;
  pF->zFix = zFix;
}

char *devdb_lint_names(DevdbLint *p, char *const *az, int n, int bSql) {
  sqlite3_str *s = sqlite3_str_new(0);
  for (int i = 0; i < n; i++) {
    const char *z = az[i] ? az[i] : "?";
    sqlite3_str_appendf(s, bSql ? "%s\"%w\"" : "%s%s", i ? ", " : "", z);
  }
  char *z = sqlite3_str_finish(s);
  char *zOut = z ? devdb_arena_strndup(&p->arena, z, -1) : 0;
  if (zOut == 0) p->arena.bOom = 1;
  sqlite3_free(z);
  return zOut;
}

int devdb_lint_check(DevdbLint *p, sqlite3 *db, int rc) {
  int e = rc & 0xff;
  if (e != SQLITE_OK && e != SQLITE_ERROR && e != SQLITE_ROW && e != SQLITE_DONE &&
      p->rc == SQLITE_OK) {
    p->rc = rc;
    p->zErr = sqlite3_mprintf("%s", e == SQLITE_NOMEM || db == 0 ? sqlite3_errstr(rc)
                                                                 : sqlite3_errmsg(db));
  }
  if (p->arena.bOom && p->rc == SQLITE_OK) p->rc = SQLITE_NOMEM;
  return p->rc != SQLITE_OK;
}

int devdb_lint_query_int(DevdbLint *p, sqlite3 *db, sqlite3_int64 *pVal, const char *zFmt,
                         ...) {
  va_list ap;
  va_start(ap, zFmt);
  char *zSql = sqlite3_vmprintf(zFmt, ap);
  va_end(ap);
  sqlite3_stmt *pStmt = 0;
  int rc = zSql ? sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0) : SQLITE_NOMEM;
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(pStmt);
    if (rc == SQLITE_ROW) *pVal = sqlite3_column_int64(pStmt, 0);
    rc = sqlite3_finalize(pStmt);
  }
  sqlite3_free(zSql);
  devdb_lint_check(p, db, rc);
  return rc == SQLITE_OK ? rc : p->rc ? p->rc : SQLITE_ERROR;
}

static void lint_free(DevdbLint *p) {
  sqlite3_free(p->zErr);
  sqlite3_free(p->aFinding);
  devdb_arena_free(&p->arena);
  memset(p, 0, sizeof(*p));
}

/* 1 when any table of the model has a foreign key. */
static int has_fks(const DevdbSchema *pS) {
  for (int i = 0; i < pS->nTable; i++) {
    if (pS->aTable[i].nFk) return 1;
  }
  return 0;
}

/* fk-disabled: the schema has foreign keys that this connection ignores. */
static void lint_fk_pragma(DevdbLint *p, sqlite3 *db, const char *zSchema,
                           const DevdbSchema *pS) {
  sqlite3_int64 bOn = 1;
  if (!has_fks(pS) || devdb_lint_query_int(p, db, &bOn, "PRAGMA foreign_keys") || bOn)
    return;
  devdb_lint_add(
      p, DEVDB_LINT_INFO, "fk-disabled", devdb_arena_printf(&p->arena, "%s", zSchema),
      devdb_arena_printf(&p->arena,
                         "the schema has foreign keys but PRAGMA foreign_keys is off on "
                         "this connection: they are not enforced"),
      devdb_arena_printf(&p->arena, "PRAGMA foreign_keys = ON;"));
}

/*
** Every rule over the source zSource, for the calling connection db.
** Returns an SQLite code and a message in *pzErr.
*/
static int lint_run(DevdbLint *p, sqlite3 *db, const char *zSource, char **pzErr) {
  DevdbSource src;
  DevdbSchema *pS = 0, *pMain = 0;
  int rc = devdb_source_open(db, zSource, &src, pzErr);
  if (rc != SQLITE_OK) return rc;
  rc = devdb_schema_load(src.db, src.zSchema, &pS, pzErr);
  if (rc == SQLITE_OK) {
    devdb_lint_model(p, pS);
    rc = devdb_lint_fk_check(p, src.db, src.zSchema, pS);
  }
  if (rc == SQLITE_OK) rc = devdb_lint_resolve(p, src.db, src.zSchema, pS);
  if (rc == SQLITE_OK && src.eKind == DEVDB_SRC_SCHEMA) {
    lint_fk_pragma(p, db, src.zSchema, pS);
  }
  int bMain = src.eKind == DEVDB_SRC_SCHEMA && devdb_stricmp(src.zSchema, "main") == 0;
  if (rc == SQLITE_OK && !bMain && pS->nTable > 0) {
    rc = devdb_schema_load(db, "main", &pMain, pzErr);
    if (rc == SQLITE_OK) rc = devdb_lint_data(p, db, pS, pMain);
  }
  if (rc == SQLITE_OK && devdb_lint_check(p, 0, SQLITE_OK)) {
    rc = p->rc;
    *pzErr = p->zErr;
    p->zErr = 0;
  }
  if (rc != SQLITE_OK && *pzErr == 0 && rc != SQLITE_NOMEM) {
    *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(db));
  }
  devdb_schema_free(pMain);
  devdb_schema_free(pS);
  devdb_source_close(&src);
  return rc;
}

/* ------------------------------------------------------ virtual table */

typedef struct lint_vtab {
  sqlite3_vtab base; /* Base class - must be first */
  sqlite3 *db;
} lint_vtab;

typedef struct lint_cursor {
  sqlite3_vtab_cursor base; /* Base class - must be first */
  DevdbLint lint;
  int *aOrder; /* finding indexes, errors first, each severity in found order */
  int iRow;
} lint_cursor;

#define LINT_SEVERITY 0
#define LINT_RULE 1
#define LINT_OBJECT 2
#define LINT_DETAIL 3
#define LINT_FIX 4
#define LINT_SOURCE 5

static int lintConnect(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                       sqlite3_vtab **ppVtab, char **pzErr) {
  int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(severity TEXT, rule TEXT, "
                                    "object TEXT, detail TEXT, fix TEXT, source HIDDEN)");
  if (rc != SQLITE_OK) return rc;
  lint_vtab *pNew = sqlite3_malloc(sizeof(*pNew));
  if (pNew == 0) return SQLITE_NOMEM;
  memset(pNew, 0, sizeof(*pNew));
  pNew->db = db;
  /* it reads files and runs the SQL text it is given */
  sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  *ppVtab = &pNew->base;
  return SQLITE_OK;
}

static int lintDisconnect(sqlite3_vtab *pVtab) {
  sqlite3_free(pVtab);
  return SQLITE_OK;
}

static int lintOpen(sqlite3_vtab *p, sqlite3_vtab_cursor **ppCursor) {
  lint_cursor *pCur = sqlite3_malloc(sizeof(*pCur));
  if (pCur == 0) return SQLITE_NOMEM;
  memset(pCur, 0, sizeof(*pCur));
  *ppCursor = &pCur->base;
  return SQLITE_OK;
}

static void lintReset(lint_cursor *pCur) {
  lint_free(&pCur->lint);
  sqlite3_free(pCur->aOrder);
  pCur->aOrder = 0;
  pCur->iRow = 0;
}

static int lintClose(sqlite3_vtab_cursor *cur) {
  lintReset((lint_cursor *)cur);
  sqlite3_free(cur);
  return SQLITE_OK;
}

/* The report order: by severity, each severity in the order found. */
static int order_findings(lint_cursor *pCur) {
  const DevdbLint *p = &pCur->lint;
  pCur->aOrder = sqlite3_malloc64(sizeof(int) * (p->nFinding + 1));
  if (pCur->aOrder == 0) return SQLITE_NOMEM;
  int n = 0;
  for (int eSev = DEVDB_LINT_ERROR; eSev <= DEVDB_LINT_INFO; eSev++) {
    for (int i = 0; i < p->nFinding; i++) {
      if (p->aFinding[i].eSeverity == eSev) pCur->aOrder[n++] = i;
    }
  }
  return SQLITE_OK;
}

/* idxNum bit 1: the source argument is constrained (argv[0]). */
static int lintFilter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc,
                      sqlite3_value **argv) {
  lint_cursor *pCur = (lint_cursor *)cur;
  lint_vtab *pTab = (lint_vtab *)cur->pVtab;
  lintReset(pCur);
  const char *zSource = "main";
  if (idxNum & 1) {
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return SQLITE_OK;
    zSource = (const char *)sqlite3_value_text(argv[0]);
    if (zSource == 0) return SQLITE_NOMEM;
  }
  char *zErr = 0;
  int rc = lint_run(&pCur->lint, pTab->db, zSource, &zErr);
  if (rc != SQLITE_OK) {
    devdb_vtab_error(cur->pVtab, "devdb_lint: %s", zErr ? zErr : sqlite3_errstr(rc));
    sqlite3_free(zErr);
    lintReset(pCur);
    return rc == SQLITE_NOMEM ? rc : SQLITE_ERROR;
  }
  return order_findings(pCur);
}

static int lintNext(sqlite3_vtab_cursor *cur) {
  ((lint_cursor *)cur)->iRow++;
  return SQLITE_OK;
}

static int lintEof(sqlite3_vtab_cursor *cur) {
  lint_cursor *pCur = (lint_cursor *)cur;
  return pCur->iRow >= pCur->lint.nFinding;
}

static const char *azSeverity[] = {"error", "warning", "info"};

static int lintColumn(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i) {
  lint_cursor *pCur = (lint_cursor *)cur;
  const DevdbFinding *pF = &pCur->lint.aFinding[pCur->aOrder[pCur->iRow]];
  const char *z = 0;
  switch (i) {
  case LINT_SEVERITY:
    z = azSeverity[pF->eSeverity];
    break;
  case LINT_RULE:
    z = pF->zRule;
    break;
  case LINT_OBJECT:
    z = pF->zObject;
    break;
  case LINT_DETAIL:
    z = pF->zDetail;
    break;
  case LINT_FIX:
    z = pF->zFix;
    break;
  default:
    break;
  }
  if (z) sqlite3_result_text(ctx, z, -1, SQLITE_TRANSIENT);
  return SQLITE_OK;
}

static int lintRowid(sqlite3_vtab_cursor *cur, sqlite_int64 *pRowid) {
  *pRowid = ((lint_cursor *)cur)->iRow + 1;
  return SQLITE_OK;
}

/* Use an equality constraint on source; reject an unusable one. */
static int lintBestIndex(sqlite3_vtab *tab, sqlite3_index_info *pInfo) {
  int iSource = -1;
  for (int i = 0; i < pInfo->nConstraint; i++) {
    const struct sqlite3_index_constraint *pC = &pInfo->aConstraint[i];
    if (pC->iColumn != LINT_SOURCE) continue;
    if (!pC->usable) return SQLITE_CONSTRAINT;
    if (pC->op == SQLITE_INDEX_CONSTRAINT_EQ) iSource = i;
  }
  pInfo->estimatedCost = 1000;
  pInfo->estimatedRows = 100;
  if (iSource >= 0) {
    pInfo->aConstraintUsage[iSource].argvIndex = 1;
    pInfo->aConstraintUsage[iSource].omit = 1;
    pInfo->idxNum = 1;
  }
  return SQLITE_OK;
}

static sqlite3_module lintModule = {
    0,              /* iVersion */
    0,              /* xCreate: eponymous only */
    lintConnect,    /* xConnect */
    lintBestIndex,  /* xBestIndex */
    lintDisconnect, /* xDisconnect */
    0,              /* xDestroy */
    lintOpen,       /* xOpen */
    lintClose,      /* xClose */
    lintFilter,     /* xFilter */
    lintNext,       /* xNext */
    lintEof,        /* xEof */
    lintColumn,     /* xColumn */
    lintRowid,      /* xRowid */
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

int lint_register(sqlite3 *db) {
  return sqlite3_create_module(db, "devdb_lint", &lintModule, 0);
}
