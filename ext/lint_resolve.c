/*
** lint_resolve.c: the lint rules that need SQLite to resolve names
** (view-broken, trigger-broken, dqs-literal; lint.c holds the manual).
**
** On the source's connection (prepared, never run): a view is broken when
** SELECT * FROM it does not prepare; a trigger may be broken when a
** statement of its event on its table does not prepare.
**
** Double-quoted string literals, and which trigger of a failing event is
** the broken one, are found on a scratch connection that holds a copy of
** the objects concerned, with SQLITE_DBCONFIG_DQS_DDL and DQS_DML off: an
** object that fails there with "no such column: x" and works once the
** setting is back on uses "x" as a string literal. Triggers go into the
** scratch one at a time, so a failure names its trigger.
**
** A literal can only hide in a double-quoted token, so an object goes to
** the scratch only when its text has a double-quoted token that names
** nothing the object can see (its table's columns and constraints, the
** tables and views it reads and their columns). Only those objects and the
** tables and views they read are copied (a table SQLite cannot create there,
** such as a virtual table whose module is missing, gets a plain stand-in
** with its column names): a 5,000-table schema written without stray
** double quotes opens no scratch at all.
**
** No SQL functions live here.
*/
#include "devdb.h"

#include <string.h>

#define PRINTF(...) devdb_arena_printf(&R->p->arena, __VA_ARGS__)

/* Flags per object. */
#define F_NEED 1   /* tables, views: the scratch needs a copy */
#define F_CAND 2   /* has a double-quoted token that names nothing it sees */
#define F_BROKEN 4 /* views: does not prepare on the source */
#define F_SEEN 8   /* views: checked (dependency order) */
#define F_FAIL 16  /* triggers: its event does not prepare on the source */

/* A statement that fires a trigger, in the scratch and on the source. */
typedef struct TriggerEvent {
  char *zScratch; /* sqlite3_malloc'd, or NULL when the event is unknown */
  char *zSource;
  char *zSourceMsg; /* why zSource failed, or NULL */
} TriggerEvent;

typedef struct Resolver {
  DevdbLint *p;
  const DevdbSchema *pS;
  sqlite3 *dbSrc;                    /* the source's connection */
  const char *zSchema;               /* the source's schema there */
  sqlite3 *db;                       /* the scratch connection, or NULL */
  char *aTab, *aIdx, *aView, *aTrig; /* F_* per object of the model */
  TriggerEvent *aEv;                 /* per trigger */
} Resolver;

static const char zNoColumn[] = "no such column: ";

/* The code rc of a call on db; an error that is not a finding (out of
** memory, I/O) is recorded and fails the run. */
static int chk(Resolver *R, sqlite3 *db, int rc) {
  devdb_lint_check(R->p, db, rc);
  return rc;
}

/* A copy of db's last message (caller frees). NULL when it cannot be kept:
** then the run fails (a finding read from the message would be lost). */
static char *msg_copy(Resolver *R, sqlite3 *db) {
  char *z = sqlite3_mprintf("%s", sqlite3_errmsg(db));
  if (z == 0) R->p->arena.bOom = 1;
  return z;
}

/* Prepare (never step) zSql on db. On failure returns the code and, when
** pzMsg is not NULL, SQLite's message (caller frees). */
static int try_prepare(Resolver *R, sqlite3 *db, const char *zSql, char **pzMsg) {
  if (zSql == 0) return chk(R, db, SQLITE_NOMEM);
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0);
  if (rc != SQLITE_OK && pzMsg) *pzMsg = msg_copy(R, db);
  sqlite3_finalize(pStmt);
  return chk(R, db, rc);
}

/* Run zSql on the scratch. */
static int run(Resolver *R, const char *zSql) {
  return chk(R, R->db, zSql ? sqlite3_exec(R->db, zSql, 0, 0, 0) : SQLITE_NOMEM);
}

/* Double-quoted string literals on (1) or off (0) in the scratch. */
static void set_dqs(Resolver *R, int bOn) {
  sqlite3_db_config(R->db, SQLITE_DBCONFIG_DQS_DDL, bOn, (int *)0);
  sqlite3_db_config(R->db, SQLITE_DBCONFIG_DQS_DML, bOn, (int *)0);
}

/* 1 when a message says a name did not resolve to a column. */
static int is_no_column(const char *zMsg) {
  return zMsg && strncmp(zMsg, zNoColumn, sizeof(zNoColumn) - 1) == 0;
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

/* Prepare zSql on the scratch with DQS off, then on: the message of the
** first failure in *pzOff and of the second in *pzOn (caller frees). */
static int prepare_both(Resolver *R, const char *zSql, char **pzOff, char **pzOn) {
  if (try_prepare(R, R->db, zSql, pzOff) == SQLITE_OK) return SQLITE_OK;
  set_dqs(R, 1);
  int rc = try_prepare(R, R->db, zSql, pzOn);
  set_dqs(R, 0);
  return rc;
}

/* ------------------------------------------------ double-quoted tokens */

/* What an object's text may name: its own names, the tables it reads. */
typedef struct Sight {
  const char *zSelf;
  const DevdbTable *pTab; /* a table whose columns and constraints it sees */
  char **azDep;           /* tables and views it reads (their columns too) */
  int nDep;
} Sight;

/* 1 when zName is a column or a constraint name of pTab, or a parent
** table or parent column of one of its foreign keys. */
static int table_knows(const DevdbTable *pTab, const char *zName) {
  if (devdb_stricmp(pTab->zName, zName) == 0 || devdb_table_column(pTab, zName)) return 1;
  if (pTab->zPkName && devdb_stricmp(pTab->zPkName, zName) == 0) return 1;
  for (int i = 0; i < pTab->nCheck; i++) {
    if (pTab->aCheck[i].zName && devdb_stricmp(pTab->aCheck[i].zName, zName) == 0)
      return 1;
  }
  for (int i = 0; i < pTab->nIndex; i++) {
    const char *z = pTab->apIndex[i]->zConstraint;
    if (z && devdb_stricmp(z, zName) == 0) return 1;
  }
  for (int i = 0; i < pTab->nFk; i++) {
    const DevdbForeignKey *pFk = &pTab->aFk[i];
    if (devdb_stricmp(pFk->zParent, zName) == 0) return 1;
    if (pFk->zName && devdb_stricmp(pFk->zName, zName) == 0) return 1;
    for (int k = 0; k < pFk->nCol; k++) {
      if (pFk->azTo[k] && devdb_stricmp(pFk->azTo[k], zName) == 0) return 1;
    }
  }
  return 0;
}

/* 1 when the object seen by pSight can mean the identifier zName. */
static int sight_knows(const DevdbSchema *pS, const Sight *pSight, const char *zName) {
  if (pSight->zSelf && devdb_stricmp(pSight->zSelf, zName) == 0) return 1;
  if (pSight->pTab && table_knows(pSight->pTab, zName)) return 1;
  for (int i = 0; i < pSight->nDep; i++) {
    if (devdb_stricmp(pSight->azDep[i], zName) == 0) return 1;
    const DevdbTable *pDep = devdb_schema_table(pS, pSight->azDep[i]);
    if (pDep && devdb_table_column(pDep, zName)) return 1;
  }
  return 0;
}

/* 1 when zSql has a double-quoted token (not a collation name) that names
** nothing the object sees: the only place a string literal can hide. */
static int has_odd_quote(const DevdbSchema *pS, const char *zSql, const Sight *pSight) {
  DevdbLexer lx;
  devdb_lexer_init(&lx, zSql ? zSql : "", -1);
  DevdbToken prev = {DEVDB_TK_EOF, "", 0};
  for (DevdbToken t = devdb_lexer_next(&lx); t.eType != DEVDB_TK_EOF;
       prev = t, t = devdb_lexer_next(&lx)) {
    if (t.eType != DEVDB_TK_QUOTED || t.z[0] != '"' || devdb_token_is(&prev, "collate"))
      continue;
    char *zName = devdb_token_ident(&t);
    int bKnown = zName && sight_knows(pS, pSight, zName);
    sqlite3_free(zName);
    if (!bKnown) return 1;
  }
  return 0;
}

/* ------------------------------------------------------------- views */

/* view-broken: every view that does not prepare on the source. */
static void views_on_source(Resolver *R) {
  for (int i = 0; i < R->pS->nView; i++) {
    const DevdbView *pV = &R->pS->aView[i];
    char *zMsg = 0;
    char *zSql = sqlite3_mprintf("SELECT * FROM \"%w\".\"%w\"", R->zSchema, pV->zName);
    int rc = try_prepare(R, R->dbSrc, zSql, &zMsg);
    sqlite3_free(zSql);
    if (rc != SQLITE_ERROR) {
      sqlite3_free(zMsg);
      continue; /* fine, or the run failed */
    }
    R->aView[i] |= F_BROKEN;
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

/* Mark what a view or trigger reads as needed in the scratch. */
static void need_deps(Resolver *R, char **azDep, int nDep) {
  for (int k = 0; k < nDep; k++) {
    const DevdbTable *pTab = devdb_schema_table(R->pS, azDep[k]);
    const DevdbView *pV = devdb_schema_view(R->pS, azDep[k]);
    if (pTab) R->aTab[pTab - R->pS->aTable] |= F_NEED;
    if (pV && !(R->aView[pV - R->pS->aView] & F_NEED)) {
      R->aView[pV - R->pS->aView] |= F_NEED;
      need_deps(R, pV->azDep, pV->nDep);
    }
  }
}

/* Run zDrop (when not NULL), then make zName a plain table with the
** columns the query zColSql returns, read before the drop: a stand-in for
** what the scratch cannot create or must not keep. */
static void stand_in(Resolver *R, const char *zName, const char *zColSql,
                     const char *zDrop) {
  sqlite3_stmt *pStmt = 0;
  if (chk(R, R->db, sqlite3_prepare_v2(R->db, zColSql, -1, &pStmt, 0)) != SQLITE_OK)
    return;
  sqlite3_str *s = sqlite3_str_new(0);
  sqlite3_str_appendf(s, "CREATE TABLE \"%w\"(", zName);
  int n = 0;
  while (sqlite3_step(pStmt) == SQLITE_ROW) {
    int eType = sqlite3_column_type(pStmt, 0);
    const char *zCol = (const char *)sqlite3_column_text(pStmt, 0);
    if (zCol == 0 && eType != SQLITE_NULL) R->p->arena.bOom = 1;
    sqlite3_str_appendf(s, "%s\"%w\"", n++ ? ", " : "", zCol ? zCol : "");
  }
  chk(R, R->db, sqlite3_finalize(pStmt));
  sqlite3_str_appendall(s, ")");
  char *zSql = sqlite3_str_finish(s);
  if (zSql == 0) R->p->arena.bOom = 1;
  if (zSql && n > 0 && (zDrop == 0 || run(R, zDrop) == SQLITE_OK)) run(R, zSql);
  sqlite3_free(zSql);
}

/* dqs-literal of view i, once the views it reads are checked. A view with
** a literal is replaced by a stand-in table so views over it resolve. */
static void view_visit(Resolver *R, int i) {
  const DevdbView *pV = &R->pS->aView[i];
  if (R->aView[i] & F_SEEN) return;
  R->aView[i] |= F_SEEN;
  for (int k = 0; k < pV->nDep; k++) {
    const DevdbView *pDep = devdb_schema_view(R->pS, pV->azDep[k]);
    if (pDep) view_visit(R, (int)(pDep - R->pS->aView));
  }
  if ((R->aView[i] & (F_CAND | F_BROKEN)) != F_CAND) return;
  char *zSql = sqlite3_mprintf("SELECT * FROM \"%w\"", pV->zName), *zOff = 0;
  if (zSql == 0) R->p->arena.bOom = 1;
  if (zSql && prepare_both(R, zSql, &zOff, 0) == SQLITE_OK && is_no_column(zOff)) {
    dqs_finding(R, "view", pV->zName, zOff);
    char *zCols = sqlite3_mprintf("SELECT name FROM pragma_table_info(%Q)", pV->zName);
    char *zDrop = sqlite3_mprintf("DROP VIEW \"%w\"", pV->zName);
    set_dqs(R, 1);
    if (zCols && zDrop) stand_in(R, pV->zName, zCols, zDrop);
    if (zCols == 0 || zDrop == 0) R->p->arena.bOom = 1;
    set_dqs(R, 0);
    sqlite3_free(zCols);
    sqlite3_free(zDrop);
  }
  sqlite3_free(zSql);
  sqlite3_free(zOff);
}

/* ---------------------------------------------------------- triggers */

/*
** The statements that fire trigger pT (DELETE, INSERT DEFAULT VALUES, or
** UPDATE of its first OF column or of its table's first column), for the
** scratch and qualified for the source. Both NULL when unknown.
*/
static void trigger_event(Resolver *R, const DevdbTrigger *pT, TriggerEvent *pEv) {
  DevdbSpan name = devdb_parse_create_name(pT->zSql ? pT->zSql : "");
  if (name.n == 0) {
    /* a stored CREATE TRIGGER names its trigger: the parser ran out of memory */
    if (pT->zSql) R->p->arena.bOom = 1;
    return;
  }
  DevdbLexer lx;
  devdb_lexer_init(&lx, name.z + name.n, -1);
  int eEvent = 0;
  char *zCol = 0;
  for (DevdbToken t = devdb_lexer_next(&lx); t.eType != DEVDB_TK_EOF && !eEvent;
       t = devdb_lexer_next(&lx)) {
    eEvent = devdb_token_is(&t, "delete")   ? 'D'
             : devdb_token_is(&t, "insert") ? 'I'
             : devdb_token_is(&t, "update") ? 'U'
                                            : 0;
    if (eEvent != 'U') continue;
    t = devdb_lexer_next(&lx);
    if (devdb_token_is(&t, "of")) {
      t = devdb_lexer_next(&lx);
      zCol = devdb_token_ident(&t);
      if (zCol == 0) R->p->arena.bOom = 1;
    }
  }
  if (eEvent == 'U' && zCol == 0) {
    sqlite3_stmt *pStmt = 0;
    if (chk(R, R->dbSrc,
            devdb_prepare(R->dbSrc, &pStmt,
                          "SELECT name FROM pragma_table_xinfo(%Q, %Q) WHERE hidden = 0 "
                          "LIMIT 1",
                          pT->zTable, R->zSchema)) == SQLITE_OK &&
        sqlite3_step(pStmt) == SQLITE_ROW) {
      const char *z = (const char *)sqlite3_column_text(pStmt, 0);
      zCol = z ? sqlite3_mprintf("%s", z) : 0;
      if (zCol == 0) R->p->arena.bOom = 1;
    }
    chk(R, R->dbSrc, sqlite3_finalize(pStmt));
  }
  for (int bSource = 0; bSource < 2; bSource++) {
    char *zTab = bSource ? sqlite3_mprintf("\"%w\".\"%w\"", R->zSchema, pT->zTable)
                         : sqlite3_mprintf("\"%w\"", pT->zTable);
    char *zSql = 0;
    if (zTab && eEvent == 'D') zSql = sqlite3_mprintf("DELETE FROM %s", zTab);
    if (zTab && eEvent == 'I')
      zSql = sqlite3_mprintf("INSERT INTO %s DEFAULT VALUES", zTab);
    if (zTab && eEvent == 'U' && zCol) {
      zSql = sqlite3_mprintf("UPDATE %s SET \"%w\" = \"%w\"", zTab, zCol, zCol);
    }
    /* an event that could not be written would skip the trigger's checks */
    if (eEvent && (zTab == 0 || (zSql == 0 && (eEvent != 'U' || zCol)))) {
      R->p->arena.bOom = 1;
    }
    *(bSource ? &pEv->zSource : &pEv->zScratch) = zSql;
    sqlite3_free(zTab);
  }
  sqlite3_free(zCol);
}

static void trigger_broken(Resolver *R, const DevdbTrigger *pT, const char *zMsg) {
  devdb_lint_add(R->p, DEVDB_LINT_ERROR, "trigger-broken", PRINTF("%s", pT->zName),
                 PRINTF("trigger %s on %s does not resolve (%s): every statement that "
                        "fires it fails, and so does every ALTER TABLE RENAME or DROP "
                        "COLUMN in the schema",
                        pT->zName, pT->zTable, zMsg ? zMsg : "?"),
                 PRINTF("recreate it against the current tables, or DROP TRIGGER \"%w\";",
                        pT->zName));
}

/* dqs-literal / trigger-broken of trigger i, alone in the scratch. */
static void trigger_check(Resolver *R, int i) {
  const DevdbTrigger *pT = &R->pS->aTrigger[i];
  const TriggerEvent *pEv = &R->aEv[i];
  int bFail = (R->aTrig[i] & F_FAIL) != 0;
  if (run(R, pT->zSql) != SQLITE_OK) {
    if (bFail) trigger_broken(R, pT, pEv->zSourceMsg); /* cannot isolate it */
    return;
  }
  char *zOff = 0, *zOn = 0;
  if (prepare_both(R, pEv->zScratch, &zOff, &zOn) == SQLITE_OK) {
    if (is_no_column(zOff)) dqs_finding(R, "trigger", pT->zName, zOff);
  } else if (bFail) {
    trigger_broken(R, pT, zOn);
  }
  sqlite3_free(zOff);
  sqlite3_free(zOn);
  chk(R, R->db, devdb_exec(R->db, 0, "DROP TRIGGER IF EXISTS \"%w\"", pT->zName));
}

/* Prepare each trigger's event on the source; mark the triggers that fail
** or may hold a literal, and what they read. */
static void triggers_on_source(Resolver *R) {
  const DevdbSchema *pS = R->pS;
  for (int i = 0; i < pS->nTrigger; i++) {
    const DevdbTrigger *pT = &pS->aTrigger[i];
    TriggerEvent *pEv = &R->aEv[i];
    trigger_event(R, pT, pEv);
    if (pEv->zSource == 0 || pEv->zScratch == 0) continue;
    /* a foreign key mismatch (foreign keys on) fails the event too, but
    ** says nothing of the trigger: fk-parent-not-unique reports it */
    if (try_prepare(R, R->dbSrc, pEv->zSource, &pEv->zSourceMsg) == SQLITE_ERROR &&
        strncmp(pEv->zSourceMsg ? pEv->zSourceMsg : "", "foreign key mismatch", 20)) {
      R->aTrig[i] |= F_FAIL;
    }
    Sight sight = {pT->zName, devdb_schema_table(pS, pT->zTable), pT->azDep, pT->nDep};
    if (has_odd_quote(pS, pT->zSql, &sight)) R->aTrig[i] |= F_CAND;
    if (R->aTrig[i]) need_deps(R, pT->azDep, pT->nDep);
  }
}

/* -------------------------------------------------- tables, indexes */

/* Copy table pTab into the scratch: its own SQL with DQS off, then on
** (dqs-literal when only that works), else a stand-in. */
static void scratch_table(Resolver *R, const DevdbTable *pTab) {
  char *zOff = 0;
  int rc = SQLITE_ERROR;
  if (pTab->zSql) {
    rc = run(R, pTab->zSql);
    if (rc == SQLITE_ERROR && pTab->eKind == DEVDB_TABLE) {
      zOff = msg_copy(R, R->db);
      set_dqs(R, 1);
      rc = run(R, pTab->zSql);
      set_dqs(R, 0);
      if (rc == SQLITE_OK && is_no_column(zOff)) {
        dqs_finding(R, "table", pTab->zName, zOff);
      }
    }
  }
  if (rc == SQLITE_ERROR && pTab->nCol > 0) {
    sqlite3_str *s = sqlite3_str_new(0);
    for (int i = 0; i < pTab->nCol; i++) {
      sqlite3_str_appendf(s, "%s(%Q)", i ? "," : "VALUES ", pTab->aCol[i].zName);
    }
    char *zCols = sqlite3_str_finish(s);
    if (zCols == 0) R->p->arena.bOom = 1;
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
  if (run(R, pIdx->zSql) != SQLITE_ERROR) return;
  char *zMsg = msg_copy(R, R->db);
  set_dqs(R, 1);
  if (run(R, pIdx->zSql) == SQLITE_OK && is_no_column(zMsg)) {
    dqs_finding(R, "index", pIdx->zName, zMsg);
  }
  set_dqs(R, 0);
  sqlite3_free(zMsg);
}

/* Tables with CHECKs or generated columns and indexes with expressions
** whose text may hold a literal. */
static void mark_tables(Resolver *R) {
  const DevdbSchema *pS = R->pS;
  for (int i = 0; i < pS->nTable; i++) {
    const DevdbTable *pTab = &pS->aTable[i];
    int bExpr = pTab->nCheck > 0;
    for (int k = 0; k < pTab->nCol && !bExpr; k++) bExpr = pTab->aCol[k].eGen != 0;
    Sight sight = {0, pTab, 0, 0};
    if (bExpr && pTab->eKind == DEVDB_TABLE && has_odd_quote(pS, pTab->zSql, &sight)) {
      R->aTab[i] |= F_CAND | F_NEED;
    }
  }
  for (int i = 0; i < pS->nIndex; i++) {
    const DevdbIndex *pIdx = &pS->aIndex[i];
    const DevdbTable *pTab = devdb_schema_table(pS, pIdx->zTable);
    if (pIdx->zSql == 0 || pTab == 0 || !index_has_expr(pIdx)) continue;
    Sight sight = {pIdx->zName, pTab, 0, 0};
    if (!has_odd_quote(pS, pIdx->zSql, &sight)) continue;
    R->aIdx[i] |= F_CAND;
    R->aTab[pTab - pS->aTable] |= F_NEED;
  }
  for (int i = 0; i < pS->nView; i++) {
    const DevdbView *pV = &pS->aView[i];
    Sight sight = {pV->zName, 0, pV->azDep, pV->nDep};
    if (R->aView[i] & F_BROKEN || !has_odd_quote(pS, pV->zSql, &sight)) continue;
    R->aView[i] |= F_CAND | F_NEED;
    need_deps(R, pV->azDep, pV->nDep);
  }
}

/* 1 when anything needs the scratch. */
static int scratch_needed(const Resolver *R) {
  const DevdbSchema *pS = R->pS;
  for (int i = 0; i < pS->nTable; i++) {
    if (R->aTab[i]) return 1;
  }
  for (int i = 0; i < pS->nIndex; i++) {
    if (R->aIdx[i]) return 1;
  }
  for (int i = 0; i < pS->nView; i++) {
    if (R->aView[i] & F_NEED) return 1;
  }
  for (int i = 0; i < pS->nTrigger; i++) {
    if (R->aTrig[i]) return 1;
  }
  return 0;
}

/* Everything on the scratch, once it is open. */
static void scratch_checks(Resolver *R) {
  const DevdbSchema *pS = R->pS;
  set_dqs(R, 0);
  for (int i = 0; i < pS->nTable; i++) {
    if (R->aTab[i] & F_NEED) scratch_table(R, &pS->aTable[i]);
  }
  for (int i = 0; i < pS->nIndex; i++) {
    if (R->aIdx[i] & F_CAND) scratch_index(R, &pS->aIndex[i]);
  }
  for (int i = 0; i < pS->nView; i++) {
    if (R->aView[i] & F_NEED) run(R, pS->aView[i].zSql);
  }
  for (int i = 0; i < pS->nView; i++) view_visit(R, i);
  for (int i = 0; i < pS->nTrigger; i++) {
    if (R->aTrig[i]) trigger_check(R, i);
  }
}

int devdb_lint_resolve(DevdbLint *p, sqlite3 *db, const char *zSchema,
                       const DevdbSchema *pS) {
  Resolver r, *R = &r;
  memset(R, 0, sizeof(*R));
  R->p = p;
  R->pS = pS;
  R->dbSrc = db;
  R->zSchema = zSchema;
  DevdbArena *pA = &p->arena;
  R->aTab = devdb_arena_alloc(pA, pS->nTable + 1);
  R->aIdx = devdb_arena_alloc(pA, pS->nIndex + 1);
  R->aView = devdb_arena_alloc(pA, pS->nView + 1);
  R->aTrig = devdb_arena_alloc(pA, pS->nTrigger + 1);
  R->aEv = devdb_arena_alloc(pA, sizeof(TriggerEvent) * (pS->nTrigger + 1));
  if (pA->bOom) return SQLITE_NOMEM;
  views_on_source(R);
  triggers_on_source(R);
  mark_tables(R);
  int rc = SQLITE_OK;
  if (scratch_needed(R)) {
    char *zErr = 0;
    rc = devdb_scratch_open(&R->db, &zErr);
    sqlite3_free(zErr);
    if (rc == SQLITE_OK) scratch_checks(R);
    sqlite3_close(R->db);
  }
  for (int i = 0; i < pS->nTrigger; i++) {
    sqlite3_free(R->aEv[i].zScratch);
    sqlite3_free(R->aEv[i].zSource);
    sqlite3_free(R->aEv[i].zSourceMsg);
  }
  return rc;
}
