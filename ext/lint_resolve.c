/*
** lint_resolve.c: the lint rules that need SQLite to resolve names
** (view-broken, trigger-broken, dqs-literal; lint.c holds the manual).
**
** A view is broken when it does not prepare on the source's connection.
** Double-quoted string literals and broken triggers are found on a scratch
** connection that holds a copy of the objects, with SQLITE_DBCONFIG_DQS_DDL
** and DQS_DML off: an object that fails there with "no such column: x" and
** works once the setting is back on uses "x" as a string literal. Only the
** tables the checked objects need are copied (a table SQLite cannot create
** there, such as a virtual table whose module is missing, gets a plain
** stand-in with its column names), so a schema without CHECKs, generated
** columns, expression indexes, views and triggers costs nothing here.
** Triggers are created one at a time and fired by preparing (never running)
** a statement of their event, so a failure names its trigger; a trigger is
** reported broken only when the same statement fails on the source too.
**
** No SQL functions live here.
*/
#include "devdb.h"

#include <string.h>

#define PRINTF(...) devdb_arena_printf(&R->p->arena, __VA_ARGS__)

typedef struct Resolver {
  DevdbLint *p;
  const DevdbSchema *pS;
  sqlite3 *dbSrc;      /* the source's connection */
  const char *zSchema; /* the source's schema there */
  sqlite3 *db;         /* the scratch connection */
  char *aNeed;         /* per table: the scratch needs a copy */
  char *aView;         /* per view: 1 visited, 2 broken on the source */
} Resolver;

static const char zNoColumn[] = "no such column: ";

/* Prepare (never step) zSql on db. On failure returns the code and, when
** pzMsg is not NULL, SQLite's message (caller frees). */
static int try_prepare(sqlite3 *db, const char *zSql, char **pzMsg) {
  if (zSql == 0) return SQLITE_NOMEM;
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0);
  if (rc != SQLITE_OK && pzMsg) *pzMsg = sqlite3_mprintf("%s", sqlite3_errmsg(db));
  sqlite3_finalize(pStmt);
  return rc;
}

/* Double-quoted string literals on (1) or off (0) in the scratch. */
static void set_dqs(Resolver *R, int bOn) {
  sqlite3_db_config(R->db, SQLITE_DBCONFIG_DQS_DDL, bOn, (int *)0);
  sqlite3_db_config(R->db, SQLITE_DBCONFIG_DQS_DML, bOn, (int *)0);
}

/* dqs-literal on an object, from the message it failed with (DQS off). */
static void dqs_finding(Resolver *R, const char *zKind, const char *zName,
                        const char *zMsg) {
  const char *zLit = zMsg + sizeof(zNoColumn) - 1;
  devdb_lint_add(
      R->p, DEVDB_LINT_WARNING, "dqs-literal", PRINTF("%s", zName),
      PRINTF("%s %s uses \"%s\", a double-quoted string literal: no column has "
             "that name, so SQLite reads it as the text '%s' (a column named %s "
             "would silently change its meaning)",
             zKind, zName, zLit, zLit, zLit),
      PRINTF("write it as %Q (single quotes) and recreate %s %s", zLit, zKind, zName));
}

/* 1 when a message says a name did not resolve to a column. */
static int is_no_column(const char *zMsg) {
  return zMsg && strncmp(zMsg, zNoColumn, sizeof(zNoColumn) - 1) == 0;
}

/* Prepare zSql on the scratch with DQS off, then on: the message of the
** first failure in *pzOff and of the second in *pzOn (caller frees). */
static int prepare_both(Resolver *R, const char *zSql, char **pzOff, char **pzOn) {
  if (try_prepare(R->db, zSql, pzOff) == SQLITE_OK) return SQLITE_OK;
  set_dqs(R, 1);
  int rc = try_prepare(R->db, zSql, pzOn);
  set_dqs(R, 0);
  return rc;
}

/* ------------------------------------------------------------- views */

/* view-broken: every view that does not prepare on the source. */
static void views_on_source(Resolver *R) {
  for (int i = 0; i < R->pS->nView; i++) {
    const DevdbView *pV = &R->pS->aView[i];
    char *zMsg = 0;
    char *zSql = sqlite3_mprintf("SELECT * FROM \"%w\".\"%w\"", R->zSchema, pV->zName);
    int rc = try_prepare(R->dbSrc, zSql, &zMsg);
    sqlite3_free(zSql);
    if (rc == SQLITE_OK) continue;
    R->aView[i] = 2;
    devdb_lint_add(
        R->p, DEVDB_LINT_ERROR, "view-broken", PRINTF("%s", pV->zName),
        PRINTF("view %s does not resolve (%s): it fails when used, and so does "
               "every ALTER TABLE RENAME or DROP COLUMN in the schema",
               pV->zName, zMsg ? zMsg : "?"),
        PRINTF("recreate it against the current tables, or DROP VIEW \"%w\";",
               pV->zName));
    sqlite3_free(zMsg);
  }
}

/* Run zDrop (when not NULL), then make zName a plain table with the
** columns the query zColSql returns, read before the drop: a stand-in for
** what the scratch cannot create or must not keep. */
static void stand_in(Resolver *R, const char *zName, const char *zColSql,
                     const char *zDrop) {
  sqlite3_stmt *pStmt = 0;
  if (sqlite3_prepare_v2(R->db, zColSql, -1, &pStmt, 0) != SQLITE_OK) return;
  sqlite3_str *s = sqlite3_str_new(0);
  sqlite3_str_appendf(s, "CREATE TABLE \"%w\"(", zName);
  int n = 0;
  while (sqlite3_step(pStmt) == SQLITE_ROW) {
    const char *zCol = (const char *)sqlite3_column_text(pStmt, 0);
    sqlite3_str_appendf(s, "%s\"%w\"", n++ ? ", " : "", zCol ? zCol : "");
  }
  sqlite3_finalize(pStmt);
  sqlite3_str_appendall(s, ")");
  char *zSql = sqlite3_str_finish(s);
  if (zSql && n > 0 && (zDrop == 0 || sqlite3_exec(R->db, zDrop, 0, 0, 0) == SQLITE_OK)) {
    sqlite3_exec(R->db, zSql, 0, 0, 0);
  }
  sqlite3_free(zSql);
}

/* dqs-literal of view i, once the views it reads are checked. A view with
** a literal is replaced by a stand-in table so views over it resolve. */
static void view_visit(Resolver *R, int i) {
  const DevdbView *pV = &R->pS->aView[i];
  if (R->aView[i] & 1) return;
  R->aView[i] |= 1;
  for (int k = 0; k < pV->nDep; k++) {
    const DevdbView *pDep = devdb_schema_view(R->pS, pV->azDep[k]);
    if (pDep) view_visit(R, (int)(pDep - R->pS->aView));
  }
  if (R->aView[i] & 2) return; /* broken: reported already */
  char *zSql = sqlite3_mprintf("SELECT * FROM \"%w\"", pV->zName), *zOff = 0;
  if (zSql && prepare_both(R, zSql, &zOff, 0) == SQLITE_OK && is_no_column(zOff)) {
    dqs_finding(R, "view", pV->zName, zOff);
    char *zCols = sqlite3_mprintf("SELECT name FROM pragma_table_info(%Q)", pV->zName);
    char *zDrop = sqlite3_mprintf("DROP VIEW \"%w\"", pV->zName);
    set_dqs(R, 1);
    if (zCols && zDrop) stand_in(R, pV->zName, zCols, zDrop);
    set_dqs(R, 0);
    sqlite3_free(zCols);
    sqlite3_free(zDrop);
  }
  sqlite3_free(zSql);
  sqlite3_free(zOff);
}

/* ---------------------------------------------------------- triggers */

/* What fires a trigger: its event and, for UPDATE OF, its first column. */
typedef struct TriggerEvent {
  int eEvent; /* 'D', 'I' or 'U'; 0 when unknown */
  char *zCol; /* UPDATE OF column, sqlite3_malloc'd, or NULL */
} TriggerEvent;

static void trigger_event(const DevdbTrigger *pT, TriggerEvent *pEv) {
  memset(pEv, 0, sizeof(*pEv));
  DevdbSpan name = devdb_parse_create_name(pT->zSql ? pT->zSql : "");
  if (name.n == 0) return;
  DevdbLexer lx;
  devdb_lexer_init(&lx, name.z + name.n, -1);
  for (DevdbToken t = devdb_lexer_next(&lx); t.eType != DEVDB_TK_EOF;
       t = devdb_lexer_next(&lx)) {
    if (devdb_token_is(&t, "delete")) pEv->eEvent = 'D';
    if (devdb_token_is(&t, "insert")) pEv->eEvent = 'I';
    if (devdb_token_is(&t, "update")) pEv->eEvent = 'U';
    if (pEv->eEvent == 0) continue;
    t = devdb_lexer_next(&lx);
    if (pEv->eEvent == 'U' && devdb_token_is(&t, "of")) {
      t = devdb_lexer_next(&lx);
      pEv->zCol = devdb_token_ident(&t);
    }
    return;
  }
}

/* A statement that fires the trigger's event on its table, the table
** qualified by zSchema when not NULL (sqlite3_malloc'd). */
static char *event_sql(Resolver *R, const DevdbTrigger *pT, const TriggerEvent *pEv,
                       const char *zSchema) {
  char *zTab = zSchema ? sqlite3_mprintf("\"%w\".\"%w\"", zSchema, pT->zTable)
                       : sqlite3_mprintf("\"%w\"", pT->zTable);
  char *zSql = 0;
  if (zTab == 0) return 0;
  if (pEv->eEvent == 'D') zSql = sqlite3_mprintf("DELETE FROM %s", zTab);
  if (pEv->eEvent == 'I') zSql = sqlite3_mprintf("INSERT INTO %s DEFAULT VALUES", zTab);
  if (pEv->eEvent == 'U') {
    char *zCol = pEv->zCol;
    sqlite3_stmt *pStmt = 0;
    if (zCol == 0 &&
        devdb_prepare(R->db, &pStmt,
                      "SELECT name FROM pragma_table_xinfo(%Q) WHERE hidden = 0 LIMIT 1",
                      pT->zTable) == SQLITE_OK &&
        sqlite3_step(pStmt) == SQLITE_ROW) {
      zCol = (char *)sqlite3_column_text(pStmt, 0);
    }
    if (zCol) zSql = sqlite3_mprintf("UPDATE %s SET \"%w\" = \"%w\"", zTab, zCol, zCol);
    sqlite3_finalize(pStmt);
  }
  sqlite3_free(zTab);
  return zSql;
}

/* dqs-literal / trigger-broken of one trigger, alone in the scratch. */
static void trigger_check(Resolver *R, const DevdbTrigger *pT) {
  TriggerEvent ev;
  trigger_event(pT, &ev);
  if (ev.eEvent == 0 || pT->zSql == 0 ||
      sqlite3_exec(R->db, pT->zSql, 0, 0, 0) != SQLITE_OK) {
    sqlite3_free(ev.zCol);
    return;
  }
  char *zSql = event_sql(R, pT, &ev, 0), *zOff = 0, *zOn = 0;
  if (zSql && prepare_both(R, zSql, &zOff, &zOn) == SQLITE_OK) {
    if (is_no_column(zOff)) dqs_finding(R, "trigger", pT->zName, zOff);
  } else if (zSql) {
    char *zSrc = event_sql(R, pT, &ev, R->zSchema);
    if (zSrc && try_prepare(R->dbSrc, zSrc, 0) != SQLITE_OK) {
      devdb_lint_add(
          R->p, DEVDB_LINT_ERROR, "trigger-broken", PRINTF("%s", pT->zName),
          PRINTF("trigger %s on %s does not resolve (%s): every statement that "
                 "fires it fails, and so does every ALTER TABLE RENAME or DROP "
                 "COLUMN in the schema",
                 pT->zName, pT->zTable, zOn ? zOn : "?"),
          PRINTF("recreate it against the current tables, or DROP TRIGGER "
                 "\"%w\";",
                 pT->zName));
    }
    sqlite3_free(zSrc);
  }
  sqlite3_free(zSql);
  sqlite3_free(zOff);
  sqlite3_free(zOn);
  sqlite3_free(ev.zCol);
  devdb_exec(R->db, 0, "DROP TRIGGER IF EXISTS \"%w\"", pT->zName);
}

/* -------------------------------------------------- tables, indexes */

/* Copy table pTab into the scratch: its own SQL with DQS off, then on
** (dqs-literal when only that works), else a stand-in. */
static void scratch_table(Resolver *R, const DevdbTable *pTab) {
  char *zOff = 0;
  int rc = SQLITE_ERROR;
  if (pTab->zSql) {
    rc = sqlite3_exec(R->db, pTab->zSql, 0, 0, 0);
    if (rc != SQLITE_OK && pTab->eKind == DEVDB_TABLE) {
      zOff = sqlite3_mprintf("%s", sqlite3_errmsg(R->db));
      set_dqs(R, 1);
      rc = sqlite3_exec(R->db, pTab->zSql, 0, 0, 0);
      set_dqs(R, 0);
      if (rc == SQLITE_OK && is_no_column(zOff)) {
        dqs_finding(R, "table", pTab->zName, zOff);
      }
    }
  }
  if (rc != SQLITE_OK && pTab->nCol > 0) {
    sqlite3_str *s = sqlite3_str_new(0);
    for (int i = 0; i < pTab->nCol; i++) {
      sqlite3_str_appendf(s, "%s(%Q)", i ? "," : "VALUES ", pTab->aCol[i].zName);
    }
    char *zCols = sqlite3_str_finish(s);
    if (zCols) stand_in(R, pTab->zName, zCols, 0);
    sqlite3_free(zCols);
  }
  sqlite3_free(zOff);
}

/* 1 when an index has an expression or a WHERE clause. */
static int index_has_expr(const DevdbIndex *pIdx) {
  if (pIdx->zWhere) return 1;
  for (int k = 0; k < pIdx->nCol; k++) {
    if (pIdx->aCol[k].zName == 0) return 1;
  }
  return 0;
}

/* dqs-literal in the expressions or WHERE of an index. */
static void scratch_index(Resolver *R, const DevdbIndex *pIdx) {
  char *zMsg = 0;
  if (sqlite3_exec(R->db, pIdx->zSql, 0, 0, 0) == SQLITE_OK) return;
  zMsg = sqlite3_mprintf("%s", sqlite3_errmsg(R->db));
  set_dqs(R, 1);
  if (sqlite3_exec(R->db, pIdx->zSql, 0, 0, 0) == SQLITE_OK && is_no_column(zMsg)) {
    dqs_finding(R, "index", pIdx->zName, zMsg);
  }
  set_dqs(R, 0);
  sqlite3_free(zMsg);
}

/* Mark the table named zName (if it is one) as needed in the scratch. */
static void need(Resolver *R, const char *zName) {
  const DevdbTable *pTab = devdb_schema_table(R->pS, zName);
  if (pTab) R->aNeed[pTab - R->pS->aTable] = 1;
}

/* Which tables the scratch needs; returns how many. */
static int mark_needed(Resolver *R) {
  const DevdbSchema *pS = R->pS;
  for (int i = 0; i < pS->nTable; i++) {
    const DevdbTable *pTab = &pS->aTable[i];
    int bExpr = pTab->nCheck > 0;
    for (int k = 0; k < pTab->nCol && !bExpr; k++) bExpr = pTab->aCol[k].eGen != 0;
    if (bExpr) R->aNeed[i] = 1;
  }
  for (int i = 0; i < pS->nIndex; i++) {
    if (pS->aIndex[i].zSql && index_has_expr(&pS->aIndex[i]))
      need(R, pS->aIndex[i].zTable);
  }
  for (int i = 0; i < pS->nView; i++) {
    for (int k = 0; k < pS->aView[i].nDep; k++) need(R, pS->aView[i].azDep[k]);
  }
  for (int i = 0; i < pS->nTrigger; i++) {
    need(R, pS->aTrigger[i].zTable);
    for (int k = 0; k < pS->aTrigger[i].nDep; k++) need(R, pS->aTrigger[i].azDep[k]);
  }
  int n = 0;
  for (int i = 0; i < pS->nTable; i++) n += R->aNeed[i];
  return n;
}

/* Everything on the scratch, once it is open. */
static void scratch_checks(Resolver *R) {
  const DevdbSchema *pS = R->pS;
  set_dqs(R, 0);
  for (int i = 0; i < pS->nTable; i++) {
    if (R->aNeed[i]) scratch_table(R, &pS->aTable[i]);
  }
  for (int i = 0; i < pS->nIndex; i++) {
    const DevdbIndex *pIdx = &pS->aIndex[i];
    if (pIdx->zSql && index_has_expr(pIdx)) scratch_index(R, pIdx);
  }
  for (int i = 0; i < pS->nView; i++) {
    if (pS->aView[i].zSql) sqlite3_exec(R->db, pS->aView[i].zSql, 0, 0, 0);
  }
  for (int i = 0; i < pS->nView; i++) view_visit(R, i);
  for (int i = 0; i < pS->nTrigger; i++) trigger_check(R, &pS->aTrigger[i]);
}

int devdb_lint_resolve(DevdbLint *p, sqlite3 *db, const char *zSchema,
                       const DevdbSchema *pS) {
  Resolver r, *R = &r;
  memset(R, 0, sizeof(*R));
  R->p = p;
  R->pS = pS;
  R->dbSrc = db;
  R->zSchema = zSchema;
  R->aNeed = devdb_arena_alloc(&p->arena, pS->nTable + 1);
  R->aView = devdb_arena_alloc(&p->arena, pS->nView + 1);
  if (R->aNeed == 0 || R->aView == 0) return SQLITE_NOMEM;
  views_on_source(R);
  if (mark_needed(R) == 0 && pS->nView == 0 && pS->nTrigger == 0) return SQLITE_OK;
  char *zErr = 0;
  int rc = devdb_scratch_open(&R->db, &zErr);
  sqlite3_free(zErr);
  if (rc != SQLITE_OK) return rc;
  scratch_checks(R);
  sqlite3_close(R->db);
  return SQLITE_OK;
}
