/*
** plan.c: the schema diff planner. It compares two schema models (model.c)
** and plans the SQL that turns the first (the source) into the second (the
** target), one DevdbChange per change, in the order they must run.
**
** Comparing: tables pair by name (or by a rename hint); inside a pair,
** columns pair by name (or hint) and every clause of the model is compared
** through keys built here from the model's normalised fields, so equal
** definitions compare equal however they were written. A table whose stored
** CREATE text is byte-equal on both sides is equal without more work.
**
** Planning, per paired table, for the running library (or the version given
** with the option sqlite-version:X.Y.Z):
**   - native ALTER when it is exactly right: RENAME TO, RENAME COLUMN
**     (3.25), DROP COLUMN (3.35.5) when nothing inside the table depends on
**     the column, ADD COLUMN at the end within every ADD COLUMN rule that
**     fails on a non-empty table (so a plan that works on an empty dev
**     database also works on real data);
**   - else the 12-step rebuild: CREATE the target's own stored text under a
**     temporary name, INSERT OR ABORT ... SELECT only the columns the old
**     table has (qualified, so no name can become a string literal), NOT
**     NULL columns filled from their default with coalesce, generated
**     columns skipped, the rowid kept; the AUTOINCREMENT high-water mark
**     carried over; DROP; RENAME under legacy_alter_table (no view or
**     trigger anywhere can make it fail).
** Around that, in this order: drop triggers and views that change or that
** depend on a table being rebuilt, renamed or losing/renaming columns
** (dependents first); drop indexes that change; drop tables; rename
** tables; create, alter or rebuild tables (parents first); create indexes
** (all indexes of rebuilt tables too); create virtual tables, views (in
** dependency order) and triggers.
**
** Risk: every row that touches data gets counts from the live source, over
** the rows as the copy would produce them (values converted by the target's
** affinity, NULLs filled from defaults): data-loss, will-fail, rebuild,
** cascade-hazard, warnings, and the SQLite version the statement needs. Each
** count is the plain aggregate a person would write (devdb_dup_count for a
** UNIQUE over plain columns), or, for a table no index can help, one scan
** with a FILTER per count. Which risks are counted is the caller's choice:
** devdb_apply counts data loss up front and the rest only to explain a
** failure.
**
** No SQL functions live here; diff.c and apply.c use the plan.
*/
#include "devdb.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define V_RENAME_COLUMN 3025000
#define V_RENAME_REWRITE 3026000
#define V_GENERATED 3031000
#define V_DROP_COLUMN 3035000
#define V_DROP_COLUMN_SAFE 3035005
#define V_STRICT 3037000
#define V_WITHOUT_ROWID 3008002
#define V_PARTIAL_INDEX 3008000
#define V_EXPR_INDEX 3009000

/* A list of renames old -> new (few: linear search). */
typedef struct NameMap {
  int n;
  const char **azOld, **azNew;
} NameMap;

/* What a paired table needs. */
enum { ACT_NONE = 0, ACT_CREATE, ACT_DROP, ACT_NATIVE, ACT_REBUILD };

/* One difference inside a paired table. */
typedef struct Item {
  const char *zKind;   /* column, primary_key, unique, check, foreign_key, table */
  const char *zChange; /* add, drop, alter, rename */
  const char *zName;
  char *zDetail;
  int bNative;             /* a native ALTER can do it */
  int iS, iT;              /* source / target column, or -1 */
  const void *pObS, *pObT; /* the source / target check, key or index */
  int iRow;                /* its row in the plan */
} Item;

typedef struct Pair {
  const DevdbTable *pS, *pT;
  int *aMap;    /* target column -> source column, -1 when new */
  int *aRev;    /* source column -> target column, -1 when dropped */
  NameMap cols; /* column rename hints, source name -> target name */
  int bTabRename;
  int bNativeRen; /* the column renames run as RENAME COLUMN */
  int eAct;
  int bAffected; /* its views and triggers are dropped and recreated */
  int nItem, nItemAlloc;
  Item *aItem;
  DevdbParsedTable *pParsedT; /* the target's CREATE text, parsed on demand */
  int iRowMain;               /* the create/drop/rebuild row, or -1 */
  int bVisited;
} Pair;

/* A count over the live rows of a source table, attached to a row. */
typedef struct Probe {
  struct Pair *pPair;        /* the table whose rows it counts */
  int iRow;                  /* the row that gets the risk */
  int mRisk;                 /* DEVDB_RISK_*, 0 for a warning */
  const char *zLevel;        /* data-loss, will-fail, rebuild, warning */
  const char *zExpr;         /* summed over the rows as the copy makes them */
  const char *zNoun;         /* what is counted: "row", "value" */
  const char *zRest;         /* the rest of the message */
  const DevdbIndex *pUnique; /* a UNIQUE key to count duplicates of */
  const DevdbTable *pPkOf;   /* or the primary key of this table */
} Probe;

typedef struct ProbeList {
  int n, nAlloc;
  Probe *a;
} ProbeList;

typedef struct Planner {
  DevdbPlan *pPlan;
  DevdbArena *pA;
  const DevdbSchema *pS, *pT;
  sqlite3 *db; /* holds pS, for counts; NULL: no counts */
  const char *zSchema;
  DevdbDiffOpts opts;
  int nPair;
  Pair *aPair;
  DevdbMap mByS, mByT; /* table name -> Pair */
  NameMap tabs;        /* table renames */
  DevdbMap mViewDrop, mTrigDrop, mIdxDrop;
  DevdbMap mParents; /* tables some foreign key of either side names */
  DevdbMap mCascade; /* parent -> its children with ON DELETE actions */
  DevdbMap mShape;   /* shape of a created table -> the table */
  DevdbMap mHistory; /* the source's migration history tables (kept) */
  int bCascadeBuilt, bShapeBuilt, bParentsBuilt;
  ProbeList probes;
  int mCount; /* the risks to count (DEVDB_COUNT_*) */
  char *zErr;
  int rc;
} Planner;

#define PF(...) devdb_arena_printf(P->pA, __VA_ARGS__)

/* ------------------------------------------------------------ options */

/* Parse "a.b.c" into a version number like sqlite3_libversion_number(). */
static int parse_version(const char *z) {
  int a = 0, b = 0, c = 0, n = 0;
  const char *p = z;
  int *ap[3] = {&a, &b, &c};
  for (int k = 0; k < 3 && *p; k++) {
    if (*p < '0' || *p > '9') return 0;
    while (*p >= '0' && *p <= '9') *ap[k] = *ap[k] * 10 + (*p++ - '0');
    n++;
    if (*p == '.') p++;
  }
  return (*p || n < 2) ? 0 : a * 1000000 + b * 1000 + c;
}

/* "[tbl.]old=new" of a rename hint, names possibly quoted, into pHint. */
static int parse_rename(DevdbArena *pA, const char *z, int n, DevdbRenameHint *pHint) {
  DevdbToken *aTok = 0;
  int nTok = devdb_tokens(z, n, &aTok), rc = SQLITE_ERROR;
  char *az[3] = {0, 0, 0};
  int nName = 0, i = 0;
  if (nTok < 0) return SQLITE_NOMEM;
  while (i < nTok && nName < 3) {
    int e = aTok[i].eType;
    if (e != DEVDB_TK_WORD && e != DEVDB_TK_QUOTED && e != DEVDB_TK_STRING) break;
    az[nName++] = devdb_arena_ident(pA, &aTok[i++]);
    if (i < nTok && aTok[i].eType == DEVDB_TK_DOT && nName == 1)
      i++;
    else if (i < nTok && aTok[i].eType == DEVDB_TK_OP && aTok[i].n == 1 &&
             aTok[i].z[0] == '=')
      i++;
    else
      break;
  }
  int bDot = nTok == 5 && aTok[1].eType == DEVDB_TK_DOT;
  if (i == nTok && (nName == 2 || (nName == 3 && bDot)) && az[nName - 1]) {
    pHint->zTbl = nName == 3 ? az[0] : 0;
    pHint->zOld = az[nName - 2];
    pHint->zNew = az[nName - 1];
    rc = SQLITE_OK;
  }
  sqlite3_free(aTok);
  return rc;
}

/* One option item z[0..n). */
static int parse_option(DevdbArena *pA, const char *z, int n, DevdbDiffOpts *pOpts,
                        char **pzErr) {
  if (n == 15 && devdb_strnicmp(z, "allow-data-loss", 15) == 0) {
    pOpts->bAllowDataLoss = 1;
    return SQLITE_OK;
  }
  if (n > 7 && devdb_strnicmp(z, "rename:", 7) == 0) {
    DevdbRenameHint *a = devdb_arena_alloc(pA, sizeof(*a) * (pOpts->nRename + 1));
    if (a == 0) return SQLITE_NOMEM;
    if (pOpts->nRename) memcpy(a, pOpts->aRename, sizeof(*a) * pOpts->nRename);
    pOpts->aRename = a;
    int rc = parse_rename(pA, z + 7, n - 7, &a[pOpts->nRename]);
    if (rc == SQLITE_OK) pOpts->nRename++;
    if (rc != SQLITE_ERROR) return rc;
    *pzErr = sqlite3_mprintf("cannot read the rename hint '%.*s' (expected "
                             "rename:old=new or rename:table.old=new)",
                             n, z);
    return SQLITE_ERROR;
  }
  if (n > 15 && devdb_strnicmp(z, "sqlite-version:", 15) == 0) {
    char *zV = devdb_arena_strndup(pA, z + 15, n - 15);
    if (zV == 0) return SQLITE_NOMEM;
    pOpts->iVersion = parse_version(zV);
    if (pOpts->iVersion) return SQLITE_OK;
  }
  *pzErr = sqlite3_mprintf("unknown option '%.*s' (expected allow-data-loss, "
                           "rename:old=new, rename:table.old=new or "
                           "sqlite-version:X.Y.Z)",
                           n, z);
  return SQLITE_ERROR;
}

int devdb_diff_opts(DevdbArena *pA, const char *zOpts, DevdbDiffOpts *pOpts,
                    char **pzErr) {
  memset(pOpts, 0, sizeof(*pOpts));
  pOpts->iVersion = sqlite3_libversion_number();
  *pzErr = 0;
  const char *z = zOpts ? zOpts : "";
  while (*z) {
    while (*z == ' ' || *z == ',') z++;
    const char *zEnd = z;
    while (*zEnd && *zEnd != ',') zEnd++;
    int n = (int)(zEnd - z);
    while (n > 0 && z[n - 1] == ' ') n--;
    if (n > 0) {
      int rc = parse_option(pA, z, n, pOpts, pzErr);
      if (rc != SQLITE_OK) return rc;
    }
    z = zEnd;
  }
  return SQLITE_OK;
}

/* ------------------------------------------------------------ helpers */

/* Record the first error of the planner. */
static void plan_error(Planner *P, int rc, char *zMsg) {
  if (P->rc == SQLITE_OK) {
    P->rc = rc;
    P->zErr = zMsg;
  } else {
    sqlite3_free(zMsg);
  }
}

/* The text of p copied into the plan's arena; p is freed. */
static char *str_done(Planner *P, sqlite3_str *p) {
  int n = sqlite3_str_length(p);
  if (sqlite3_str_errcode(p)) P->pA->bOom = 1;
  char *z = sqlite3_str_finish(p);
  char *zOut = devdb_arena_strndup(P->pA, z ? z : "", z ? n : 0);
  sqlite3_free(z);
  return zOut;
}

/* Equal strings, NULL equal to NULL; bCase: compare without case. */
static int same(const char *a, const char *b, int bNoCase) {
  if (a == 0 || b == 0) return a == b;
  return bNoCase ? devdb_stricmp(a, b) == 0 : strcmp(a, b) == 0;
}

static const char *map_get(const NameMap *m, const char *zOld) {
  for (int i = 0; m && i < m->n; i++) {
    if (devdb_stricmp(m->azOld[i], zOld) == 0) return m->azNew[i];
  }
  return 0;
}

static const char *map_rev(const NameMap *m, const char *zNew) {
  for (int i = 0; m && i < m->n; i++) {
    if (devdb_stricmp(m->azNew[i], zNew) == 0) return m->azOld[i];
  }
  return 0;
}

static void map_add(Planner *P, NameMap *m, const char *zOld, const char *zNew) {
  const char **azO = devdb_arena_alloc(P->pA, sizeof(char *) * (m->n + 1));
  const char **azN = devdb_arena_alloc(P->pA, sizeof(char *) * (m->n + 1));
  if (azO == 0 || azN == 0) return;
  if (m->n) memcpy(azO, m->azOld, sizeof(char *) * m->n);
  if (m->n) memcpy(azN, m->azNew, sizeof(char *) * m->n);
  azO[m->n] = zOld;
  azN[m->n] = zNew;
  m->azOld = azO;
  m->azNew = azN;
  m->n++;
}

/* 1 when token i of aTok is an identifier (not a keyword, not a function). */
static int is_ident_token(const DevdbToken *aTok, int nTok, int i) {
  const DevdbToken *t = &aTok[i];
  if (t->eType == DEVDB_TK_WORD && sqlite3_keyword_check(t->z, t->n)) return 0;
  if (t->eType != DEVDB_TK_WORD && t->eType != DEVDB_TK_QUOTED) return 0;
  return i + 1 >= nTok || aTok[i + 1].eType != DEVDB_TK_LP;
}

/*
** The normalised expression z with identifiers renamed: column names
** through pCols, names before a '.' through pTabs. Unchanged (the same
** pointer) when there is nothing to rename.
*/
static const char *map_idents(Planner *P, const char *z, const NameMap *pCols,
                              const NameMap *pTabs) {
  if (z == 0 || ((pCols == 0 || pCols->n == 0) && (pTabs == 0 || pTabs->n == 0))) {
    return z;
  }
  DevdbToken *aTok = 0;
  int nTok = devdb_tokens(z, -1, &aTok);
  if (nTok < 0) {
    P->pA->bOom = 1;
    return z;
  }
  sqlite3_str *p = sqlite3_str_new(0);
  const char *zPrev = z;
  for (int i = 0; i < nTok; i++) {
    if (!is_ident_token(aTok, nTok, i)) continue;
    char *zId = devdb_token_ident(&aTok[i]);
    int bTab = i + 1 < nTok && aTok[i + 1].eType == DEVDB_TK_DOT;
    const char *zNew = zId ? map_get(bTab ? pTabs : pCols, zId) : 0;
    sqlite3_free(zId);
    if (zNew == 0) continue;
    sqlite3_str_append(p, zPrev, (int)(aTok[i].z - zPrev));
    devdb_str_ident(p, zNew);
    zPrev = aTok[i].z + aTok[i].n;
  }
  sqlite3_str_appendall(p, zPrev);
  sqlite3_free(aTok);
  return str_done(P, p);
}

/* 1 when the normalised expression z names the column zCol. */
static int expr_mentions(const char *z, const char *zCol) {
  DevdbToken *aTok = 0;
  int nTok = devdb_tokens(z ? z : "", -1, &aTok), bFound = nTok < 0;
  for (int i = 0; i < nTok && !bFound; i++) {
    if (!is_ident_token(aTok, nTok, i)) continue;
    char *zId = devdb_token_ident(&aTok[i]);
    bFound = zId == 0 || devdb_stricmp(zId, zCol) == 0;
    sqlite3_free(zId);
  }
  sqlite3_free(aTok);
  return bFound;
}

/* Append a name folded to lower case (keys compare without case). */
static void key_name(sqlite3_str *p, const char *z) {
  if (z) devdb_str_ident(p, z);
  sqlite3_str_appendchar(p, 1, '\x1f');
}

/* The name zName renamed through m, or itself. */
static const char *mapped(const NameMap *m, const char *zName) {
  const char *z = zName ? map_get(m, zName) : 0;
  return z ? z : zName;
}

/* ---------------------------------------------------------------- keys */

/* A CHECK: its name and expression. */
static char *key_check(Planner *P, const DevdbCheck *pC, const NameMap *pCols) {
  sqlite3_str *p = sqlite3_str_new(0);
  key_name(p, pC->zName);
  sqlite3_str_appendall(p, map_idents(P, pC->zExpr, pCols, 0));
  return str_done(P, p);
}

/* The key columns of an index: names (renamed), expressions, COLLATE, DESC. */
static void key_index_columns(Planner *P, sqlite3_str *p, const DevdbIndex *pIdx,
                              const NameMap *pCols) {
  for (int i = 0; i < pIdx->nCol; i++) {
    const DevdbIndexColumn *pC = &pIdx->aCol[i];
    if (pC->zName)
      key_name(p, mapped(pCols, pC->zName));
    else
      sqlite3_str_appendf(p, "(%s)\x1f", map_idents(P, pC->zExpr, pCols, 0));
    sqlite3_str_appendf(p, "%s\x1f%d\x1e", pC->zCollate ? pC->zCollate : "", pC->bDesc);
  }
}

/* A UNIQUE constraint or an explicit index (then with table and WHERE). */
static char *key_index(Planner *P, const DevdbIndex *pIdx, const char *zTable,
                       const NameMap *pCols) {
  sqlite3_str *p = sqlite3_str_new(0);
  if (pIdx->eOrigin == DEVDB_IDX_CREATE) {
    sqlite3_str_appendf(p, "%d\x1f", pIdx->bUnique);
    key_name(p, zTable);
    sqlite3_str_appendall(p, map_idents(P, pIdx->zWhere, pCols, 0));
    sqlite3_str_appendchar(p, 1, '\x1f');
  } else {
    key_name(p, pIdx->zConstraint);
    sqlite3_str_appendf(p, "%s\x1f", pIdx->zConflict ? pIdx->zConflict : "");
  }
  key_index_columns(P, p, pIdx, pCols);
  return str_done(P, p);
}

/* A foreign key: columns renamed through pCols, the parent through pTabs,
** its columns through pParentCols. */
static char *key_fk(Planner *P, const DevdbForeignKey *pFk, const NameMap *pCols,
                    const NameMap *pTabs, const NameMap *pParentCols) {
  sqlite3_str *p = sqlite3_str_new(0);
  key_name(p, pFk->zName);
  for (int i = 0; i < pFk->nCol; i++) key_name(p, mapped(pCols, pFk->azFrom[i]));
  key_name(p, mapped(pTabs, pFk->zParent));
  for (int i = 0; i < pFk->nCol; i++) key_name(p, mapped(pParentCols, pFk->azTo[i]));
  sqlite3_str_appendf(p, "%s\x1f%s\x1f%s\x1f%s", pFk->zOnDelete ? pFk->zOnDelete : "",
                      pFk->zOnUpdate ? pFk->zOnUpdate : "",
                      pFk->zMatch ? pFk->zMatch : "",
                      pFk->zDeferrable ? pFk->zDeferrable : "");
  return str_done(P, p);
}

/* The index that implements a table's primary key, or NULL. */
static const DevdbIndex *pk_index(const DevdbTable *pTab) {
  for (int i = 0; i < pTab->nIndex; i++) {
    if (pTab->apIndex[i]->eOrigin == DEVDB_IDX_PK) return pTab->apIndex[i];
  }
  return 0;
}

/* The primary key: columns in key order, their COLLATE and DESC, conflict,
** AUTOINCREMENT, name and whether it is the rowid. */
static char *key_pk(Planner *P, const DevdbTable *pTab, const NameMap *pCols) {
  sqlite3_str *p = sqlite3_str_new(0);
  const DevdbIndex *pIdx = pk_index(pTab);
  for (int k = 1; k <= pTab->nCol; k++) {
    for (int i = 0; i < pTab->nCol; i++) {
      if (pTab->aCol[i].iPk == k) key_name(p, mapped(pCols, pTab->aCol[i].zName));
    }
  }
  if (pIdx) key_index_columns(P, p, pIdx, 0);
  key_name(p, pTab->zPkName);
  sqlite3_str_appendf(p, "%s\x1f%d%d%d", pTab->zPkConflict ? pTab->zPkConflict : "",
                      pTab->bAutoinc, pTab->iRowidAlias >= 0, pTab->bPkDesc);
  return str_done(P, p);
}

/* ------------------------------------------------------------- pairing */

/* The pair of the source table zName / target table zName, or NULL. */
static Pair *pair_of_source(Planner *P, const char *zName) {
  return devdb_map_get(&P->mByS, zName);
}
static Pair *pair_of_target(Planner *P, const char *zName) {
  return devdb_map_get(&P->mByT, zName);
}

static Pair *new_pair(Planner *P, const DevdbTable *pS, const DevdbTable *pT) {
  Pair *pPair = &P->aPair[P->nPair++];
  pPair->pS = pS;
  pPair->pT = pT;
  pPair->iRowMain = -1;
  if (pS && devdb_map_put(&P->mByS, pS->zName, pPair)) P->pA->bOom = 1;
  if (pT && devdb_map_put(&P->mByT, pT->zName, pPair)) P->pA->bOom = 1;
  pPair->eAct = pS == 0 ? ACT_CREATE : pT == 0 ? ACT_DROP : ACT_NONE;
  return pPair;
}

/* Check the rename hints against both models and record them. */
static void read_hints(Planner *P) {
  for (int i = 0; i < P->opts.nRename && P->rc == SQLITE_OK; i++) {
    const DevdbRenameHint *h = &P->opts.aRename[i];
    if (h->zTbl) continue;
    const DevdbTable *pS = devdb_schema_table(P->pS, h->zOld);
    const DevdbTable *pT = devdb_schema_table(P->pT, h->zNew);
    if (pS == 0 || pT == 0) {
      plan_error(P, SQLITE_ERROR,
                 sqlite3_mprintf("rename hint '%s=%s': %s", h->zOld, h->zNew,
                                 pS == 0 ? "no such table in the source"
                                         : "no such table in the target"));
      return;
    }
    map_add(P, &P->tabs, pS->zName, pT->zName);
  }
}

static void mark(Planner *P, DevdbMap *pMap, const char *zName);

/*
** Note the source's migration history tables (any framework's, as
** devdb_history finds them, here from the model's columns, and devdb's own
** _devdb_* tables): they belong to
** the migration runner, not the application, so no migration or schema file
** creates them, and a target that lacks them must not drop them (nor would
** the user want `apply --allow-data-loss` to delete the history).
*/
static void find_history(Planner *P) {
  for (int i = 0; i < P->pS->nTable; i++) {
    const char *zName = P->pS->aTable[i].zName;
    if (devdb_strnicmp(zName, "_devdb_", 7) == 0) mark(P, &P->mHistory, zName);
  }
  const DevdbTable **apHist =
      devdb_arena_alloc(P->pA, sizeof(DevdbTable *) * (P->pS->nTable + 1));
  if (apHist == 0) return;
  int nHist = devdb_history_in_model(P->pS, apHist);
  for (int i = 0; i < nHist; i++) mark(P, &P->mHistory, apHist[i]->zName);
}

/* Pair the tables of both models: by rename hint, then by name. A history
** table of the source that the target lacks is left out (kept as it is). */
static void pair_tables(Planner *P) {
  P->aPair = devdb_arena_alloc(P->pA, sizeof(Pair) * (P->pS->nTable + P->pT->nTable + 1));
  if (P->aPair == 0) return;
  read_hints(P);
  find_history(P);
  for (int i = 0; i < P->pS->nTable && P->rc == SQLITE_OK; i++) {
    const DevdbTable *pS = &P->pS->aTable[i];
    const char *zNew = map_get(&P->tabs, pS->zName);
    const DevdbTable *pT = devdb_schema_table(P->pT, zNew ? zNew : pS->zName);
    if (pT == 0 && devdb_map_get(&P->mHistory, pS->zName)) continue;
    if (zNew == 0 && pT && map_rev(&P->tabs, pT->zName)) pT = 0; /* taken by a hint */
    if (pT && pT->eKind != pS->eKind) pT = 0;
    if (pT && pT->eKind == DEVDB_VIRTUAL && strcmp(pT->zDef, pS->zDef)) pT = 0;
    Pair *pPair = new_pair(P, pS, pT);
    pPair->bTabRename = zNew != 0;
  }
  for (int i = 0; i < P->pT->nTable; i++) {
    if (pair_of_target(P, P->pT->aTable[i].zName) == 0) new_pair(P, 0, &P->pT->aTable[i]);
  }
}

/* Record the column rename hints of pair pPair. */
static void read_column_hints(Planner *P, Pair *pPair) {
  for (int i = 0; i < P->opts.nRename; i++) {
    const DevdbRenameHint *h = &P->opts.aRename[i];
    if (h->zTbl == 0) continue;
    if (devdb_stricmp(h->zTbl, pPair->pS->zName) &&
        devdb_stricmp(h->zTbl, pPair->pT->zName))
      continue;
    const DevdbColumn *pS = devdb_table_column(pPair->pS, h->zOld);
    const DevdbColumn *pT = devdb_table_column(pPair->pT, h->zNew);
    if (pS == 0 || pT == 0) {
      plan_error(P, SQLITE_ERROR,
                 sqlite3_mprintf("rename hint '%s.%s=%s': no such column in the %s",
                                 h->zTbl, h->zOld, h->zNew, pS ? "target" : "source"));
      return;
    }
    map_add(P, &pPair->cols, pS->zName, pT->zName);
  }
}

/* Column maps of a pair: target column -> source column and back. */
static void map_columns(Planner *P, Pair *pPair) {
  const DevdbTable *pS = pPair->pS, *pT = pPair->pT;
  pPair->aMap = devdb_arena_alloc(P->pA, sizeof(int) * (pT->nCol + 1));
  pPair->aRev = devdb_arena_alloc(P->pA, sizeof(int) * (pS->nCol + 1));
  if (pPair->aMap == 0 || pPair->aRev == 0) return;
  for (int i = 0; i < pS->nCol; i++) pPair->aRev[i] = -1;
  for (int j = 0; j < pT->nCol; j++) {
    const char *zOld = map_rev(&pPair->cols, pT->aCol[j].zName);
    const char *zName = zOld ? zOld : pT->aCol[j].zName;
    pPair->aMap[j] = -1;
    if (zOld == 0 && map_get(&pPair->cols, zName)) continue; /* renamed away */
    for (int i = 0; i < pS->nCol; i++) {
      if (devdb_stricmp(pS->aCol[i].zName, zName) == 0 && pPair->aRev[i] < 0) {
        pPair->aMap[j] = i;
        pPair->aRev[i] = j;
        break;
      }
    }
  }
}

/* The column renames of a pair run natively: the library has RENAME
** COLUMN and no new name is taken by another column of the table. */
static void decide_native_renames(Planner *P, Pair *pPair) {
  if (pPair->cols.n == 0) return;
  if (P->opts.iVersion < V_RENAME_COLUMN) return;
  for (int k = 0; k < pPair->cols.n; k++) {
    const DevdbColumn *pOther = devdb_table_column(pPair->pS, pPair->cols.azNew[k]);
    if (pOther && devdb_stricmp(pOther->zName, pPair->cols.azOld[k])) return;
  }
  pPair->bNativeRen = 1;
}

/* The column renames other tables see for pPair's columns: those SQLite
** rewrites for them (native renames), else none. */
static const NameMap *seen_renames(Planner *P, const char *zSourceTable) {
  Pair *pPair = zSourceTable ? pair_of_source(P, zSourceTable) : 0;
  return pPair && pPair->bNativeRen ? &pPair->cols : 0;
}

/* ---------------------------------------------------------- comparing */

static Item *add_item(Planner *P, Pair *pPair, const char *zKind, const char *zChange,
                      const char *zName, char *zDetail, int bNative) {
  if (pPair->nItem == pPair->nItemAlloc) {
    int nNew = pPair->nItemAlloc ? pPair->nItemAlloc * 2 : 8;
    Item *aNew = devdb_arena_alloc(P->pA, sizeof(Item) * nNew);
    if (aNew == 0) return 0;
    if (pPair->nItem) memcpy(aNew, pPair->aItem, sizeof(Item) * pPair->nItem);
    pPair->aItem = aNew;
    pPair->nItemAlloc = nNew;
  }
  Item *pItem = &pPair->aItem[pPair->nItem++];
  memset(pItem, 0, sizeof(*pItem));
  pItem->zKind = zKind;
  pItem->zChange = zChange;
  pItem->zName = zName;
  pItem->zDetail = zDetail;
  pItem->bNative = bNative;
  pItem->iS = pItem->iT = pItem->iRow = -1;
  return pItem;
}

/* "X -> Y", "X added" or "X removed" of one attribute into p (NULL: none). */
static void say_change(sqlite3_str *p, const char *zWhat, const char *a, const char *b) {
  if (sqlite3_str_length(p)) sqlite3_str_appendall(p, ", ");
  const char *zSep = zWhat[0] ? " " : "";
  if (a == 0) {
    sqlite3_str_appendf(p, "%s%s%s added", zWhat, zSep, b);
  } else if (b == 0) {
    sqlite3_str_appendf(p, "%s%s%s removed", zWhat, zSep, a);
  } else {
    sqlite3_str_appendf(p, "%s%s%s -> %s", zWhat, zSep, a, b);
  }
}

/* "NOT NULL" or "NOT NULL ON CONFLICT X" of a column, NULL when nullable. */
static const char *not_null_text(Planner *P, const DevdbColumn *c) {
  if (!c->bNotNull) return 0;
  if (c->zNotNullConflict) return PF("NOT NULL ON CONFLICT %s", c->zNotNullConflict);
  return "NOT NULL";
}

/*
** What changed from column a to column b ("type TEXT -> VARCHAR(255), NOT
** NULL added"), or NULL when they are equal. Expressions of a are read
** with the column renames pCols.
*/
static char *column_change(Planner *P, const DevdbColumn *a, const DevdbColumn *b,
                           const NameMap *pCols) {
  const char *zGenA = map_idents(P, a->zGenExpr, pCols, 0);
  if (pCols == 0 || pCols->n == 0) {
    if (strcmp(a->zDef, b->zDef) == 0) return 0;
  }
  sqlite3_str *p = sqlite3_str_new(0);
  static const char *azGen[] = {0, "VIRTUAL", "STORED"};
  if (strcmp(a->zType, b->zType)) {
    say_change(p, "type", a->zType[0] ? a->zType : "(none)",
               b->zType[0] ? b->zType : "(none)");
  }
  if (a->bNotNull != b->bNotNull || !same(a->zNotNullConflict, b->zNotNullConflict, 0)) {
    say_change(p, "", not_null_text(P, a), not_null_text(P, b));
  }
  if (!same(a->zDefault, b->zDefault, 0))
    say_change(p, "DEFAULT", a->zDefault, b->zDefault);
  if (!same(a->zCollate, b->zCollate, 0))
    say_change(p, "COLLATE", a->zCollate, b->zCollate);
  if (a->eGen != b->eGen || !same(zGenA, b->zGenExpr, 0)) {
    char *zA = a->eGen ? PF("AS (%s) %s", zGenA, azGen[a->eGen]) : 0;
    char *zB = b->eGen ? PF("AS (%s) %s", b->zGenExpr, azGen[b->eGen]) : 0;
    say_change(p, "generated", zA, zB);
  }
  if (a->bHidden != b->bHidden)
    say_change(p, "", a->bHidden ? "HIDDEN" : 0, b->bHidden ? "HIDDEN" : 0);
  if (sqlite3_str_length(p) == 0) {
    sqlite3_free(sqlite3_str_finish(p));
    return 0;
  }
  return str_done(P, p);
}

/* 1 when the normalised DEFAULT z is a constant ADD COLUMN accepts on a
** non-empty table: one literal, possibly signed (not TRUE, not CURRENT_*). */
static int is_constant_default(const char *z) {
  DevdbLexer lx;
  devdb_lexer_init(&lx, z, -1);
  DevdbToken t = devdb_lexer_next(&lx);
  if (t.eType == DEVDB_TK_OP && t.n == 1 && (t.z[0] == '-' || t.z[0] == '+')) {
    t = devdb_lexer_next(&lx);
    if (t.eType != DEVDB_TK_NUMBER) return 0;
  }
  int bLiteral = t.eType == DEVDB_TK_NUMBER || t.eType == DEVDB_TK_STRING ||
                 t.eType == DEVDB_TK_BLOB || devdb_token_is(&t, "null");
  return bLiteral && devdb_lexer_next(&lx).eType == DEVDB_TK_EOF;
}

/* 1 when the normalised DEFAULT z is absent or NULL. */
static int is_null_default(const char *z) {
  return z == 0 || devdb_stricmp(z, "NULL") == 0;
}

/* 1 when index pIdx has a key column named zCol. */
static int index_has_column(const DevdbIndex *pIdx, const char *zCol) {
  for (int k = 0; k < pIdx->nCol; k++) {
    if (pIdx->aCol[k].zName && devdb_stricmp(pIdx->aCol[k].zName, zCol) == 0) return 1;
  }
  return 0;
}

/* 1 when a UNIQUE constraint of pTab covers zCol. */
static int in_unique(const DevdbTable *pTab, const char *zCol) {
  for (int i = 0; i < pTab->nIndex; i++) {
    const DevdbIndex *pIdx = pTab->apIndex[i];
    if (pIdx->eOrigin == DEVDB_IDX_UNIQUE && index_has_column(pIdx, zCol)) return 1;
  }
  return 0;
}

/* The foreign key of pTab that has zCol among its child columns, or NULL. */
static const DevdbForeignKey *fk_from(const DevdbTable *pTab, const char *zCol) {
  for (int i = 0; i < pTab->nFk; i++) {
    for (int k = 0; k < pTab->aFk[i].nCol; k++) {
      if (devdb_stricmp(pTab->aFk[i].azFrom[k], zCol) == 0) return &pTab->aFk[i];
    }
  }
  return 0;
}

/* The target's CREATE TABLE text of a pair, parsed (NULL if it cannot be). */
static const DevdbParsedTable *target_parsed(Planner *P, Pair *pPair) {
  if (pPair->pParsedT == 0) {
    pPair->pParsedT = devdb_arena_alloc(P->pA, sizeof(DevdbParsedTable));
    if (pPair->pParsedT == 0) return 0;
    if (devdb_parse_table(P->pA, pPair->pT->zSql, pPair->pParsedT)) {
      memset(pPair->pParsedT, 0, sizeof(DevdbParsedTable));
    }
  }
  return pPair->pParsedT->nCol ? pPair->pParsedT : 0;
}

/* The span of target column zCol's whole definition, or an empty span. */
static DevdbSpan target_column_def(Planner *P, Pair *pPair, const char *zCol) {
  DevdbSpan none = {"", 0};
  const DevdbParsedTable *pParsed = target_parsed(P, pPair);
  for (int k = 0; pParsed && k < pParsed->nCol; k++) {
    if (pParsed->aCol[k].zName && devdb_stricmp(pParsed->aCol[k].zName, zCol) == 0)
      return pParsed->aCol[k].def;
  }
  return none;
}

/* 1 when the span holds the word zWord. */
static int span_has_word(DevdbSpan s, const char *zWord) {
  DevdbLexer lx;
  devdb_lexer_init(&lx, s.z, s.n);
  for (DevdbToken t = devdb_lexer_next(&lx); t.eType != DEVDB_TK_EOF;
       t = devdb_lexer_next(&lx)) {
    if (devdb_token_is(&t, zWord)) return 1;
  }
  return 0;
}

static char *strict_misfit(Planner *P, const char *z, const char *zType);

/*
** 1 when the DEFAULT of a STRICT column fits its type. ADD COLUMN does not
** check it (3.40 adds the column and integrity_check then reports every
** row), a rebuild's INSERT does. Asked of SQLite on the source's connection;
** without one, 0; a default SQLite cannot evaluate (SQLITE_ERROR), 0. A
** read that fails (memory, I/O) is a planner error: taken for "misfit" it
** would plan another change than a fault-free run.
*/
static int default_fits(Planner *P, const DevdbColumn *c) {
  char *zMisfit = strict_misfit(P, PF("(%s)", c->zDefault), c->zType);
  if (zMisfit == 0) return 1; /* ANY */
  if (P->db == 0) return 0;
  sqlite3_int64 iMisfit = 1;
  int rc = devdb_query_int_rc(P->db, 1, &iMisfit, "SELECT %s", zMisfit);
  if (rc != SQLITE_OK && rc != SQLITE_ERROR)
    plan_error(P, rc,
               sqlite3_mprintf("cannot check the default of column %s: %s", c->zName,
                               sqlite3_errmsg(P->db)));
  return iMisfit == 0;
}

/*
** 1 when ALTER TABLE ADD COLUMN can add target column j of the pair on a
** table with rows: not a key, not STORED, a constant default that is not
** NULL when NOT NULL and NULL when it has REFERENCES, and a definition the
** target text shows (it is copied from there).
*/
static int addable(Planner *P, Pair *pPair, int j) {
  const DevdbTable *pT = pPair->pT;
  const DevdbColumn *c = &pT->aCol[j];
  if (c->iPk || in_unique(pT, c->zName) || c->eGen == DEVDB_GEN_STORED) return 0;
  if (c->eGen == DEVDB_GEN_VIRTUAL && P->opts.iVersion < V_GENERATED) return 0;
  DevdbSpan def = target_column_def(P, pPair, c->zName);
  if (def.n == 0) return 0;
  const DevdbForeignKey *pFk = fk_from(pT, c->zName);
  if (pFk && (pFk->nCol != 1 || !span_has_word(def, "references"))) return 0;
  if (c->eGen) return 1;
  int bNull = is_null_default(c->zDefault);
  if (!bNull && !is_constant_default(c->zDefault)) return 0;
  if (!bNull && pT->bStrict && !default_fits(P, c)) return 0;
  if (c->bNotNull && bNull) return 0;
  return !(pFk && !bNull);
}

/*
** 1 when ALTER TABLE DROP COLUMN can drop source column i of the pair:
** nothing inside the table uses it (key, UNIQUE, foreign key, another
** column's CHECK or generated expression). Indexes, views and triggers
** that use it are dropped before.
*/
static int droppable(Planner *P, Pair *pPair, int i) {
  const DevdbTable *pS = pPair->pS;
  const char *zCol = pS->aCol[i].zName;
  if (P->opts.iVersion < V_DROP_COLUMN_SAFE || pS->aCol[i].iPk) return 0;
  if (in_unique(pS, zCol) || fk_from(pS, zCol)) return 0;
  for (int k = 0; k < pS->nCheck; k++) {
    const DevdbCheck *pC = &pS->aCheck[k];
    if (pC->zCol && devdb_stricmp(pC->zCol, zCol) == 0) continue;
    if (expr_mentions(pC->zExpr, zCol)) return 0;
  }
  for (int k = 0; k < pS->nCol; k++) {
    if (k != i && pS->aCol[k].eGen && expr_mentions(pS->aCol[k].zGenExpr, zCol)) return 0;
  }
  return 1;
}

/* The target column j of a pair is new (no source column). */
static int is_new_column(const Pair *pPair, const char *zCol) {
  for (int j = 0; j < pPair->pT->nCol; j++) {
    if (devdb_stricmp(pPair->pT->aCol[j].zName, zCol) == 0) return pPair->aMap[j] < 0;
  }
  return 0;
}

/* The source column zCol of a pair is dropped. */
static int is_dropped_column(const Pair *pPair, const char *zCol) {
  for (int i = 0; i < pPair->pS->nCol; i++) {
    if (devdb_stricmp(pPair->pS->aCol[i].zName, zCol) == 0) return pPair->aRev[i] < 0;
  }
  return 0;
}

/* Items for the columns: added, dropped, renamed, changed, moved. */
static void compare_columns(Planner *P, Pair *pPair) {
  const DevdbTable *pS = pPair->pS, *pT = pPair->pT;
  int iLastCommon = -1, iPrevSrc = -1, bMoved = 0;
  for (int j = 0; j < pT->nCol; j++) {
    if (pPair->aMap[j] < 0) continue;
    iLastCommon = j;
    bMoved |= pPair->aMap[j] < iPrevSrc;
    iPrevSrc = pPair->aMap[j];
  }
  for (int j = 0; j < pT->nCol; j++) {
    const DevdbColumn *c = &pT->aCol[j];
    int i = pPair->aMap[j];
    Item *pItem;
    if (i < 0) {
      int bEnd = j > iLastCommon;
      pItem = add_item(P, pPair, "column", "add", c->zName,
                       PF("column %s.%s added: %s%s", pT->zName, c->zName, c->zDef,
                          bEnd ? "" : " (not at the end: the table is rebuilt)"),
                       bEnd && addable(P, pPair, j));
      if (pItem) pItem->iT = j;
      continue;
    }
    if (devdb_stricmp(pS->aCol[i].zName, c->zName)) {
      pItem = add_item(
          P, pPair, "column", "rename", c->zName,
          PF("column %s.%s renamed to %s", pT->zName, pS->aCol[i].zName, c->zName),
          pPair->bNativeRen);
      if (pItem) pItem->iS = i, pItem->iT = j;
    }
    char *zWhat = column_change(P, &pS->aCol[i], c, &pPair->cols);
    if (zWhat) {
      pItem = add_item(P, pPair, "column", "alter", c->zName,
                       PF("column %s.%s: %s", pT->zName, c->zName, zWhat), 0);
      if (pItem) pItem->iS = i, pItem->iT = j;
    }
  }
  for (int i = 0; i < pS->nCol; i++) {
    if (pPair->aRev[i] >= 0) continue;
    Item *pItem = add_item(P, pPair, "column", "drop", pS->aCol[i].zName,
                           PF("column %s.%s dropped", pS->zName, pS->aCol[i].zName),
                           droppable(P, pPair, i));
    if (pItem) pItem->iS = i;
  }
  if (bMoved)
    add_item(P, pPair, "table", "alter", pT->zName,
             PF("table %s: columns in a new order", pT->zName), 0);
}

/* An element with its comparison key. */
typedef struct Keyed {
  const char *zKey;
  const void *pOb;
} Keyed;

static int keyed_cmp(const void *a, const void *b) {
  return strcmp(((const Keyed *)a)->zKey, ((const Keyed *)b)->zKey);
}

typedef void (*OnlyFunc)(Planner *, Pair *, const void *pObS, const void *pObT);

/* Call xOnly for each element that only one side has (the other NULL). */
static void diff_keyed(Planner *P, Pair *pPair, Keyed *aS, int nS, Keyed *aT, int nT,
                       OnlyFunc xOnly) {
  if (P->pA->bOom) return;
  qsort(aS, nS, sizeof(Keyed), keyed_cmp);
  qsort(aT, nT, sizeof(Keyed), keyed_cmp);
  int i = 0, j = 0;
  while (i < nS || j < nT) {
    int c = i >= nS ? 1 : j >= nT ? -1 : strcmp(aS[i].zKey, aT[j].zKey);
    if (c == 0) {
      i++, j++;
    } else if (c < 0) {
      xOnly(P, pPair, aS[i++].pOb, 0);
    } else {
      xOnly(P, pPair, 0, aT[j++].pOb);
    }
  }
}

/* An array of n Keyed in the arena (at least one element). */
static Keyed *keyed_array(Planner *P, int n) {
  return devdb_arena_alloc(P->pA, sizeof(Keyed) * (n + 1));
}

static void check_only(Planner *P, Pair *pPair, const void *pObS, const void *pObT) {
  const DevdbCheck *c = pObS ? pObS : pObT;
  int bNative = c->zCol != 0 && (pObT ? is_new_column(pPair, c->zCol)
                                      : is_dropped_column(pPair, c->zCol));
  const char *zTbl = pObT ? pPair->pT->zName : pPair->pS->zName;
  Item *pItem = add_item(P, pPair, "check", pObT ? "add" : "drop", c->zName,
                         PF("table %s: %s%s%sCHECK(%s) %s", zTbl,
                            c->zName ? "CONSTRAINT " : "", c->zName ? c->zName : "",
                            c->zName ? " " : "", c->zExpr, pObT ? "added" : "dropped"),
                         bNative);
  if (pItem) pItem->pObS = pObS, pItem->pObT = pObT;
}

static void unique_only(Planner *P, Pair *pPair, const void *pObS, const void *pObT) {
  const DevdbIndex *pIdx = pObS ? pObS : pObT;
  const char *zTbl = pObT ? pPair->pT->zName : pPair->pS->zName;
  const char *zName = pIdx->zConstraint;
  Item *pItem = add_item(P, pPair, "unique", pObT ? "add" : "drop", zName,
                         PF("table %s: %s%s%s%s %s", zTbl, zName ? "CONSTRAINT " : "",
                            zName ? zName : "", zName ? " " : "", pIdx->zDef,
                            pObT ? "added" : "dropped"),
                         0);
  if (pItem) pItem->pObS = pObS, pItem->pObT = pObT;
}

static void fk_only(Planner *P, Pair *pPair, const void *pObS, const void *pObT) {
  const DevdbForeignKey *pFk = pObS ? pObS : pObT;
  int bNative = 0;
  if (pObT && pFk->nCol == 1 && is_new_column(pPair, pFk->azFrom[0])) {
    bNative = span_has_word(target_column_def(P, pPair, pFk->azFrom[0]), "references");
  }
  const char *zTbl = pObT ? pPair->pT->zName : pPair->pS->zName;
  Item *pItem = add_item(
      P, pPair, "foreign_key", pObT ? "add" : "drop", pFk->zName,
      PF("table %s: %s %s", zTbl, pFk->zDef, pObT ? "added" : "dropped"), bNative);
  if (pItem) pItem->pObS = pObS, pItem->pObT = pObT;
}

/* Items for CHECK constraints that only one side has. */
static void compare_checks(Planner *P, Pair *pPair) {
  const DevdbTable *pS = pPair->pS, *pT = pPair->pT;
  Keyed *aS = keyed_array(P, pS->nCheck), *aT = keyed_array(P, pT->nCheck);
  if (aS == 0 || aT == 0) return;
  for (int i = 0; i < pS->nCheck; i++) {
    aS[i].zKey = key_check(P, &pS->aCheck[i], &pPair->cols);
    aS[i].pOb = &pS->aCheck[i];
  }
  for (int i = 0; i < pT->nCheck; i++) {
    aT[i].zKey = key_check(P, &pT->aCheck[i], 0);
    aT[i].pOb = &pT->aCheck[i];
  }
  diff_keyed(P, pPair, aS, pS->nCheck, aT, pT->nCheck, check_only);
}

/* The UNIQUE constraints of a table with their keys into a; the count. */
static int unique_keys(Planner *P, const DevdbTable *pTab, const NameMap *pCols,
                       Keyed *a) {
  int n = 0;
  for (int i = 0; i < pTab->nIndex; i++) {
    const DevdbIndex *pIdx = pTab->apIndex[i];
    if (pIdx->eOrigin != DEVDB_IDX_UNIQUE) continue;
    a[n].zKey = key_index(P, pIdx, 0, pCols);
    a[n++].pOb = pIdx;
  }
  return n;
}

/* Items for UNIQUE constraints and foreign keys that only one side has. */
static void compare_keys(Planner *P, Pair *pPair) {
  const DevdbTable *pS = pPair->pS, *pT = pPair->pT;
  Keyed *aS = keyed_array(P, pS->nIndex), *aT = keyed_array(P, pT->nIndex);
  if (aS == 0 || aT == 0) return;
  int nS = unique_keys(P, pS, &pPair->cols, aS), nT = unique_keys(P, pT, 0, aT);
  diff_keyed(P, pPair, aS, nS, aT, nT, unique_only);
  aS = keyed_array(P, pS->nFk);
  aT = keyed_array(P, pT->nFk);
  if (aS == 0 || aT == 0) return;
  for (int i = 0; i < pS->nFk; i++) {
    const DevdbForeignKey *pFk = &pS->aFk[i];
    aS[i].zKey = key_fk(P, pFk, &pPair->cols, &P->tabs, seen_renames(P, pFk->zParent));
    aS[i].pOb = pFk;
  }
  for (int i = 0; i < pT->nFk; i++) {
    aT[i].zKey = key_fk(P, &pT->aFk[i], 0, 0, 0);
    aT[i].pOb = &pT->aFk[i];
  }
  diff_keyed(P, pPair, aS, pS->nFk, aT, pT->nFk, fk_only);
}

/* "PRIMARY KEY(a, b DESC) AUTOINCREMENT", or "no primary key". */
static char *pk_text(Planner *P, const DevdbTable *pTab) {
  sqlite3_str *p = sqlite3_str_new(0);
  const DevdbIndex *pIdx = pk_index(pTab);
  int n = 0;
  for (int k = 1; k <= pTab->nCol; k++) {
    for (int i = 0; i < pTab->nCol; i++) {
      if (pTab->aCol[i].iPk != k) continue;
      sqlite3_str_appendall(p, n++ ? ", " : "PRIMARY KEY(");
      devdb_str_ident(p, pTab->aCol[i].zName);
      if (pIdx && k <= pIdx->nCol && pIdx->aCol[k - 1].zCollate)
        sqlite3_str_appendf(p, " COLLATE %s", pIdx->aCol[k - 1].zCollate);
      if ((pIdx && k <= pIdx->nCol && pIdx->aCol[k - 1].bDesc) ||
          (n == 1 && pTab->bPkDesc))
        sqlite3_str_appendall(p, " DESC");
    }
  }
  sqlite3_str_appendall(p, n ? ")" : "no primary key");
  if (pTab->zPkConflict) sqlite3_str_appendf(p, " ON CONFLICT %s", pTab->zPkConflict);
  if (pTab->bAutoinc) sqlite3_str_appendall(p, " AUTOINCREMENT");
  return str_done(P, p);
}

/* Items for the primary key and the table options. */
static void compare_table(Planner *P, Pair *pPair) {
  const DevdbTable *pS = pPair->pS, *pT = pPair->pT;
  if (strcmp(key_pk(P, pS, &pPair->cols), key_pk(P, pT, 0))) {
    Item *pItem =
        add_item(P, pPair, "primary_key", "alter", pT->zPkName,
                 PF("table %s: %s -> %s", pT->zName, pk_text(P, pS), pk_text(P, pT)), 0);
    if (pItem) pItem->pObT = pT;
  }
  if (strcmp(pS->zDef, pT->zDef)) {
    add_item(P, pPair, "table", "alter", pT->zName,
             PF("table %s: options '%s' -> '%s'", pT->zName, pS->zDef, pT->zDef), 0);
  }
}

/* Rows for dropped and added columns with the same definition: likely
** renames, for the user to confirm with a hint. */
static void column_rename_candidates(Planner *P, Pair *pPair) {
  int nItem = pPair->nItem;
  for (int a = 0; a < nItem; a++) {
    Item *pDrop = &pPair->aItem[a];
    if (strcmp(pDrop->zChange, "drop") || pDrop->iS < 0) continue;
    for (int b = 0; b < nItem; b++) {
      Item *pAdd = &pPair->aItem[b];
      if (strcmp(pAdd->zChange, "add") || pAdd->iT < 0 || pAdd->iS == -2) continue;
      const DevdbColumn *pS = &pPair->pS->aCol[pDrop->iS],
                        *pT = &pPair->pT->aCol[pAdd->iT];
      if (strcmp(pS->zDef, pT->zDef)) continue;
      pAdd->iS = -2; /* taken */
      Item *pItem = add_item(
          P, pPair, "column", "rename?", pT->zName,
          PF("column %s.%s may be %s renamed: if so, use the option 'rename:%s.%s=%s' "
             "to keep its values",
             pPair->pT->zName, pT->zName, pS->zName, pPair->pS->zName, pS->zName,
             pT->zName),
          1);
      if (pItem) pItem->iS = pDrop->iS, pItem->iT = pAdd->iT;
      break;
    }
  }
  for (int b = 0; b < pPair->nItem; b++) {
    if (pPair->aItem[b].iS == -2) pPair->aItem[b].iS = -1;
  }
}

/* Native ALTER when every item allows it, else a rebuild. */
static void decide(Pair *pPair) {
  int n = 0, bNative = 1;
  for (int k = 0; k < pPair->nItem; k++) {
    if (strcmp(pPair->aItem[k].zChange, "rename?") == 0) continue;
    n++;
    bNative &= pPair->aItem[k].bNative;
  }
  pPair->eAct = n == 0 ? ACT_NONE : bNative ? ACT_NATIVE : ACT_REBUILD;
  int bNativeDrop = 0;
  for (int k = 0; k < pPair->nItem && pPair->eAct == ACT_NATIVE; k++) {
    bNativeDrop |= strcmp(pPair->aItem[k].zChange, "drop") == 0;
  }
  pPair->bAffected = pPair->eAct == ACT_REBUILD || pPair->bTabRename ||
                     (pPair->bNativeRen && pPair->cols.n) || bNativeDrop;
}

/* First pass over a pair of tables present on both sides: hints, column
** maps, native renames (other tables' comparisons depend on them). */
static void prepare_pair(Planner *P, Pair *pPair) {
  if (pPair->pS == 0 || pPair->pT == 0) return;
  read_column_hints(P, pPair);
  if (pPair->pS->eKind == DEVDB_VIRTUAL) return;
  if (pPair->cols.n == 0 && !pPair->bTabRename &&
      strcmp(pPair->pS->zSql, pPair->pT->zSql) == 0)
    return;
  map_columns(P, pPair);
  decide_native_renames(P, pPair);
}

/* Second pass: compare and decide. */
static void compare_pair(Planner *P, Pair *pPair) {
  if (pPair->pS == 0 || pPair->pT == 0 || pPair->aMap == 0) {
    if (pPair->pS && pPair->pT) pPair->bAffected = pPair->bTabRename;
    return;
  }
  compare_columns(P, pPair);
  compare_table(P, pPair);
  compare_checks(P, pPair);
  compare_keys(P, pPair);
  column_rename_candidates(P, pPair);
  decide(pPair);
}

/* ---------------------------------------------------------------- rows */

/* Append a row; returns its index, or -1 on OOM. */
static int add_row(Planner *P, const char *zKind, const char *zChange, const char *zName,
                   const char *zTbl, char *zDetail, char *zSql) {
  DevdbPlan *pPlan = P->pPlan;
  if (pPlan->nChange == pPlan->nAlloc) {
    int nNew = pPlan->nAlloc ? pPlan->nAlloc * 2 : 32;
    DevdbChange *aNew = sqlite3_realloc64(pPlan->aChange, sizeof(DevdbChange) * nNew);
    if (aNew == 0) {
      P->pA->bOom = 1;
      return -1;
    }
    pPlan->aChange = aNew;
    pPlan->nAlloc = nNew;
  }
  DevdbChange *pRow = &pPlan->aChange[pPlan->nChange];
  memset(pRow, 0, sizeof(*pRow));
  pRow->zKind = zKind;
  pRow->zChange = zChange;
  pRow->zName = zName ? devdb_arena_strndup(P->pA, zName, -1) : 0;
  pRow->zTbl = zTbl ? devdb_arena_strndup(P->pA, zTbl, -1) : 0;
  pRow->zDetail = zDetail;
  pRow->zSql = zSql;
  size_t n = zSql ? strlen(zSql) : 0;
  if (n > 0 && zSql[n - 1] == '\n') zSql[n - 1] = 0; /* statements end with ";" */
  return pPlan->nChange++;
}

/* Add one risk (level and printf-style text) to row iRow. */
static void add_risk(Planner *P, int iRow, int mRisk, const char *zLevel,
                     const char *zFmt, ...) {
  if (iRow < 0) return;
  va_list ap;
  va_start(ap, zFmt);
  char *zText = sqlite3_vmprintf(zFmt, ap);
  va_end(ap);
  DevdbChange *pRow = &P->pPlan->aChange[iRow];
  if (zText == 0) {
    P->pA->bOom = 1;
    return;
  }
  pRow->zRisk = pRow->zRisk ? PF("%s; %s: %s", pRow->zRisk, zLevel, zText)
                            : PF("%s: %s", zLevel, zText);
  pRow->mRisk |= mRisk;
  sqlite3_free(zText);
}

/* The SQL of row iRow needs SQLite iVersion or later. */
static void need_version(Planner *P, int iRow, int iVersion) {
  if (iRow >= 0 && P->pPlan->aChange[iRow].iMinVersion < iVersion)
    P->pPlan->aChange[iRow].iMinVersion = iVersion;
}

/* "schema"."name" of an object of the source schema, appended to p. */
static void str_qname(Planner *P, sqlite3_str *p, const char *zName) {
  sqlite3_str_appendf(p, "\"%w\".\"%w\"", P->zSchema, zName);
}

/*
** The stored CREATE statement zSql with its object named "schema"."zName"
** (zName NULL: its own name), a schema prefix in the text replaced, and a
** ";\n" after it; into p.
*/
static void str_create(Planner *P, sqlite3_str *p, const char *zSql, const char *zName) {
  DevdbSpan name = devdb_parse_create_name(zSql);
  if (name.n == 0) {
    sqlite3_str_appendf(p, "%s;\n", zSql);
    return;
  }
  const char *zStart = name.z; /* back over "schema." written before the name */
  const char *z = zStart;
  while (z > zSql && (z[-1] == ' ' || z[-1] == '\t' || z[-1] == '\n')) z--;
  if (z > zSql && z[-1] == '.') {
    DevdbToken *aTok = 0;
    int nTok = devdb_tokens(zSql, (int)(zStart - zSql), &aTok);
    if (nTok >= 2) zStart = aTok[nTok - 2].z;
    sqlite3_free(aTok);
  }
  sqlite3_str_append(p, zSql, (int)(zStart - zSql));
  if (zName) {
    str_qname(P, p, zName);
  } else {
    sqlite3_str_appendf(p, "\"%w\".", P->zSchema);
    sqlite3_str_append(p, name.z, name.n);
  }
  sqlite3_str_appendf(p, "%s;\n", name.z + name.n);
}

/* "CREATE ..." of a target object, qualified, as arena text. */
static char *create_sql(Planner *P, const char *zSql) {
  sqlite3_str *p = sqlite3_str_new(0);
  str_create(P, p, zSql, 0);
  return str_done(P, p);
}

/* "DROP <zWhat> "schema"."name";" as arena text. */
static char *drop_sql(Planner *P, const char *zWhat, const char *zName) {
  return PF("DROP %s \"%w\".\"%w\";\n", zWhat, P->zSchema, zName);
}

/* The version a CREATE statement needs for the features its model shows. */
static int table_version(const DevdbTable *pTab) {
  int v = 0;
  if (pTab->bWithoutRowid) v = V_WITHOUT_ROWID;
  for (int i = 0; i < pTab->nCol; i++) {
    if (pTab->aCol[i].eGen) v = V_GENERATED;
  }
  if (pTab->bStrict) v = V_STRICT;
  return v;
}

static int index_version(const DevdbIndex *pIdx) {
  for (int i = 0; i < pIdx->nCol; i++) {
    if (pIdx->aCol[i].zName == 0) return V_EXPR_INDEX;
  }
  return pIdx->zWhere ? V_PARTIAL_INDEX : 0;
}

/* ------------------------------------------------------------ probes */

/* Ask for a count of the rows of pPair's source where zExpr is true (NULL:
** all rows); the message is "<n> <noun>(s)<rest>". */
static Probe *add_probe(Planner *P, Pair *pPair, int iRow, int mRisk, const char *zLevel,
                        const char *zExpr, const char *zNoun, const char *zRest) {
  ProbeList *pL = &P->probes;
  if (iRow < 0 || pPair->pS == 0 || P->db == 0) return 0;
  if (pL->n == pL->nAlloc) {
    int nNew = pL->nAlloc ? pL->nAlloc * 2 : 16;
    Probe *aNew = devdb_arena_alloc(P->pA, sizeof(Probe) * nNew);
    if (aNew == 0) return 0;
    if (pL->n) memcpy(aNew, pL->a, sizeof(Probe) * pL->n);
    pL->a = aNew;
    pL->nAlloc = nNew;
  }
  Probe *p = &pL->a[pL->n++];
  memset(p, 0, sizeof(*p));
  p->pPair = pPair;
  p->iRow = iRow;
  p->mRisk = mRisk;
  p->zLevel = zLevel;
  p->zExpr = zExpr;
  p->zNoun = zNoun;
  p->zRest = zRest;
  return p;
}

static int key_converts(const Pair *pPair, const DevdbIndex *pIdx);
static char *orphans_expr(Planner *P, const DevdbForeignKey *pFk);
static void probe_unique(Planner *P, Pair *pPair, int iRow, const DevdbIndex *pIdx,
                         const DevdbTable *pPkOf, const char *zWhat);

/* -------------------------------------------- views, triggers, indexes */

/* 1 when one of the names azDep is an affected table or a dropped view. */
static int deps_touched(Planner *P, char **azDep, int nDep) {
  for (int k = 0; k < nDep; k++) {
    Pair *pPair = pair_of_source(P, azDep[k]);
    if (pPair && (pPair->bAffected || pPair->eAct == ACT_DROP)) return 1;
    if (devdb_map_get(&P->mViewDrop, azDep[k])) return 1;
  }
  return 0;
}

static void mark(Planner *P, DevdbMap *pMap, const char *zName) {
  if (devdb_map_put(pMap, zName, (void *)zName)) P->pA->bOom = 1;
}

/*
** Whether source view i is dropped (2) or kept (1): dropped when the target
** does not have it or has changed it, when it uses a table that is rebuilt,
** renamed or loses or renames columns, or a view that is dropped. Memoised
** in aState (0 unknown, 3 being visited), so the whole pass is linear.
*/
static int view_drop_state(Planner *P, int i, char *aState) {
  if (aState[i]) return aState[i];
  aState[i] = 3;
  const DevdbView *pV = &P->pS->aView[i], *pT = devdb_schema_view(P->pT, pV->zName);
  int bDrop =
      pT == 0 || strcmp(pV->zDef, pT->zDef) || deps_touched(P, pV->azDep, pV->nDep);
  for (int k = 0; k < pV->nDep; k++) {
    const DevdbView *pDep = devdb_schema_view(P->pS, pV->azDep[k]);
    if (pDep && view_drop_state(P, (int)(pDep - P->pS->aView), aState) == 2) bDrop = 1;
  }
  aState[i] = bDrop ? 2 : 1;
  if (bDrop) mark(P, &P->mViewDrop, pV->zName);
  return aState[i];
}

/* The source views and triggers to drop (views first: triggers that use a
** dropped view are dropped too). */
static void mark_views_triggers(Planner *P) {
  const DevdbSchema *pS = P->pS;
  char *aState = devdb_arena_alloc(P->pA, pS->nView + 1);
  for (int i = 0; aState && i < pS->nView; i++) view_drop_state(P, i, aState);
  for (int i = 0; i < pS->nTrigger; i++) {
    const DevdbTrigger *pTr = &pS->aTrigger[i];
    const DevdbTrigger *pT = devdb_schema_trigger(P->pT, pTr->zName);
    /* a trigger on a kept history table stays with it */
    if (pT == 0 && pair_of_source(P, pTr->zTable) == 0 &&
        devdb_map_get(&P->mHistory, pTr->zTable)) {
      continue;
    }
    if (pT == 0 || strcmp(pTr->zDef, pT->zDef) || deps_touched(P, pTr->azDep, pTr->nDep))
      mark(P, &P->mTrigDrop, pTr->zName);
  }
}

/* Why a source view or trigger is dropped, for the detail. */
static char *drop_reason(Planner *P, const char *zWhat, const char *zName,
                         const char *zDefS, const char *zDefT) {
  if (zDefT == 0) return PF("%s %s is not in the target", zWhat, zName);
  if (strcmp(zDefS, zDefT)) return PF("%s %s changed: created again below", zWhat, zName);
  return PF("%s %s uses a table that changes: dropped and created again below", zWhat,
            zName);
}

/* Depth-first: the views of pSch marked in pMarked, dependencies first. */
static void view_visit(Planner *P, const DevdbSchema *pSch, int i, char *aSeen, int *aOut,
                       int *pn, int (*xMarked)(Planner *, const DevdbView *)) {
  if (aSeen[i]) return;
  aSeen[i] = 1;
  const DevdbView *pV = &pSch->aView[i];
  for (int k = 0; k < pV->nDep; k++) {
    const DevdbView *pDep = devdb_schema_view(pSch, pV->azDep[k]);
    if (pDep && xMarked(P, pDep))
      view_visit(P, pSch, (int)(pDep - pSch->aView), aSeen, aOut, pn, xMarked);
  }
  aOut[(*pn)++] = i;
}

/* The marked views of pSch, dependencies first; count in *pn. */
static int *view_order(Planner *P, const DevdbSchema *pSch, int *pn,
                       int (*xMarked)(Planner *, const DevdbView *)) {
  char *aSeen = devdb_arena_alloc(P->pA, pSch->nView + 1);
  int *aOut = devdb_arena_alloc(P->pA, sizeof(int) * (pSch->nView + 1));
  *pn = 0;
  if (aSeen == 0 || aOut == 0) return 0;
  for (int i = 0; i < pSch->nView; i++) {
    if (xMarked(P, &pSch->aView[i])) view_visit(P, pSch, i, aSeen, aOut, pn, xMarked);
  }
  return aOut;
}

static int view_dropped(Planner *P, const DevdbView *pV) {
  return devdb_map_get(&P->mViewDrop, pV->zName) != 0;
}

/* A target view is created: new, changed, or dropped above. */
static int view_created(Planner *P, const DevdbView *pV) {
  const DevdbView *pS = devdb_schema_view(P->pS, pV->zName);
  return pS == 0 || view_dropped(P, pS);
}

/* Phase 1 and 2: drop triggers, then views (those that use others first). */
static void emit_drop_views_triggers(Planner *P) {
  const DevdbSchema *pS = P->pS;
  for (int i = 0; i < pS->nTrigger; i++) {
    const DevdbTrigger *pTr = &pS->aTrigger[i];
    if (devdb_map_get(&P->mTrigDrop, pTr->zName) == 0) continue;
    const DevdbTrigger *pT = devdb_schema_trigger(P->pT, pTr->zName);
    add_row(P, "trigger", "drop", pTr->zName, pTr->zTable,
            drop_reason(P, "trigger", pTr->zName, pTr->zDef, pT ? pT->zDef : 0),
            drop_sql(P, "TRIGGER", pTr->zName));
  }
  int n = 0;
  int *aOrder = view_order(P, pS, &n, view_dropped);
  for (int k = n - 1; k >= 0; k--) {
    const DevdbView *pV = &pS->aView[aOrder[k]];
    const DevdbView *pT = devdb_schema_view(P->pT, pV->zName);
    add_row(P, "view", "drop", pV->zName, pV->zName,
            drop_reason(P, "view", pV->zName, pV->zDef, pT ? pT->zDef : 0),
            drop_sql(P, "VIEW", pV->zName));
  }
}

/* 1 when source index pS (of a table that stays) equals target index pT. */
static int same_index(Planner *P, const DevdbIndex *pS, const DevdbIndex *pT) {
  Pair *pPair = pair_of_source(P, pS->zTable);
  if (pT == 0 || pT->eOrigin != DEVDB_IDX_CREATE || pPair == 0 || pPair->pT == 0)
    return 0;
  if (devdb_stricmp(pPair->pT->zName, pT->zTable)) return 0;
  return strcmp(key_index(P, pS, pPair->pT->zName, &pPair->cols),
                key_index(P, pT, pT->zTable, 0)) == 0;
}

/* Phase 3: drop the explicit indexes that change, on tables that stay. */
static void emit_drop_indexes(Planner *P) {
  const DevdbSchema *pS = P->pS;
  for (int i = 0; i < pS->nIndex; i++) {
    const DevdbIndex *pIdx = &pS->aIndex[i];
    if (pIdx->eOrigin != DEVDB_IDX_CREATE) continue;
    Pair *pPair = pair_of_source(P, pIdx->zTable);
    if (pPair == 0 || pPair->eAct == ACT_DROP || pPair->eAct == ACT_REBUILD) continue;
    const DevdbIndex *pT = devdb_schema_index(P->pT, pIdx->zName);
    if (same_index(P, pIdx, pT)) continue;
    mark(P, &P->mIdxDrop, pIdx->zName);
    add_row(P, "index", "drop", pIdx->zName, pIdx->zTable,
            pT ? PF("index %s changed: created again below", pIdx->zName)
               : PF("index %s on %s is not in the target", pIdx->zName, pIdx->zTable),
            drop_sql(P, "INDEX", pIdx->zName));
  }
}

/* The children of source table zParent whose ON DELETE action would
** change them if it were dropped with foreign keys on: "c (ON DELETE
** CASCADE), ..." or NULL. The map of them is built once, for every parent. */
static char *cascade_children(Planner *P, const char *zParent) {
  if (!P->bCascadeBuilt) {
    for (int i = 0; i < P->pS->nTable; i++) {
      const DevdbTable *pTab = &P->pS->aTable[i];
      for (int k = 0; k < pTab->nFk; k++) {
        const DevdbForeignKey *pFk = &pTab->aFk[k];
        if (pFk->zOnDelete == 0 || pFk->zParent == 0) continue;
        if (strcmp(pFk->zOnDelete, "CASCADE") && strncmp(pFk->zOnDelete, "SET ", 4))
          continue;
        char **pz = devdb_map_get(&P->mCascade, pFk->zParent); /* a slot per parent */
        if (pz == 0 && (pz = devdb_arena_alloc(P->pA, sizeof(char *))) != 0 &&
            devdb_map_put(&P->mCascade, pFk->zParent, pz)) {
          P->pA->bOom = 1;
        }
        if (pz == 0) return 0;
        *pz = *pz ? PF("%s, %s (ON DELETE %s)", *pz, pTab->zName, pFk->zOnDelete)
                  : PF("%s (ON DELETE %s)", pTab->zName, pFk->zOnDelete);
      }
    }
    P->bCascadeBuilt = 1;
  }
  char **pz = devdb_map_get(&P->mCascade, zParent);
  return pz ? *pz : 0;
}

/* 1 when a table that is dropped or rebuilt takes part in a foreign key
** (parent or child): then foreign key enforcement must be off for it. */
static int fk_involved(Planner *P, const Pair *pPair) {
  if (!P->bParentsBuilt) {
    const DevdbSchema *ap[2] = {P->pS, P->pT};
    for (int k = 0; k < 2; k++) {
      for (int i = 0; i < ap[k]->nTable; i++) {
        for (int f = 0; f < ap[k]->aTable[i].nFk; f++)
          mark(P, &P->mParents, ap[k]->aTable[i].aFk[f].zParent);
      }
    }
    P->bParentsBuilt = 1;
  }
  const DevdbTable *ap[2] = {pPair->pS, pPair->pT};
  for (int k = 0; k < 2; k++) {
    if (ap[k] && (ap[k]->nFk || devdb_map_get(&P->mParents, ap[k]->zName))) return 1;
  }
  return 0;
}

/* The cascade-hazard risk of a row that drops or rebuilds source table zTbl. */
static void add_cascade_risk(Planner *P, int iRow, const char *zTbl) {
  char *zChildren = cascade_children(P, zTbl);
  if (zChildren) {
    add_risk(P, iRow, DEVDB_RISK_CASCADE, "cascade-hazard",
             "with foreign keys on, DROP TABLE %s would change rows of %s; "
             "it must run with foreign_keys off, outside a transaction",
             zTbl, zChildren);
  }
}

/* A string that sums identically for two tables of the same shape. */
static char *table_shape(Planner *P, const DevdbTable *pTab) {
  sqlite3_str *p = sqlite3_str_new(0);
  for (int i = 0; i < pTab->nCol; i++) {
    key_name(p, pTab->aCol[i].zName);
    sqlite3_str_appendf(p, "%s\x1e", pTab->aCol[i].zDef);
  }
  sqlite3_str_appendf(p, "%s\x1f%s\x1f%d\x1f%d", key_pk(P, pTab, 0), pTab->zDef,
                      pTab->nCheck, pTab->nFk);
  return str_done(P, p);
}

/* A row for a dropped table that a new table of the same shape may replace
** (the shapes of the created tables are mapped once). */
static void table_rename_candidate(Planner *P, const DevdbTable *pS) {
  if (pS->eKind != DEVDB_TABLE) return;
  if (!P->bShapeBuilt) {
    for (int i = 0; i < P->nPair; i++) {
      const DevdbTable *pT = P->aPair[i].eAct == ACT_CREATE ? P->aPair[i].pT : 0;
      char *zShape = pT && pT->eKind == DEVDB_TABLE ? table_shape(P, pT) : 0;
      if (zShape && devdb_map_put(&P->mShape, zShape, (void *)pT)) P->pA->bOom = 1;
    }
    P->bShapeBuilt = 1;
  }
  char *zShape = table_shape(P, pS);
  const DevdbTable *pT = zShape ? devdb_map_get(&P->mShape, zShape) : 0;
  if (pT == 0 || strcmp(table_shape(P, pT), zShape)) return; /* the map folds case */
  add_row(P, "table", "rename?", pT->zName, pS->zName,
          PF("table %s may be %s renamed: if so, use the option 'rename:%s=%s' to keep "
             "its rows",
             pT->zName, pS->zName, pS->zName, pT->zName),
          0);
}

/* Phase 4: drop the tables the target does not have (last created first). */
static void emit_drop_tables(Planner *P) {
  for (int i = P->nPair - 1; i >= 0; i--) {
    Pair *pPair = &P->aPair[i];
    if (pPair->eAct != ACT_DROP) continue;
    const DevdbTable *pS = pPair->pS;
    int bVirtual = pS->eKind == DEVDB_VIRTUAL;
    const DevdbTable *pT = devdb_schema_table(P->pT, pS->zName);
    table_rename_candidate(P, pS);
    char *zDetail =
        pT && pT->eKind == pS->eKind
            ? PF("virtual table %s changed: %s -> %s (dropped and created again)",
                 pS->zName, pS->zDef, pT->zDef)
            : PF("%s %s is not in the target", bVirtual ? "virtual table" : "table",
                 pS->zName);
    pPair->iRowMain = add_row(P, bVirtual ? "virtual_table" : "table", "drop", pS->zName,
                              pS->zName, zDetail, drop_sql(P, "TABLE", pS->zName));
    add_probe(P, pPair, pPair->iRowMain, DEVDB_RISK_DATA_LOSS, "data-loss", 0, "row",
              PF(" of %s", pS->zName));
    add_cascade_risk(P, pPair->iRowMain, pS->zName);
    if (fk_involved(P, pPair)) P->pPlan->bFkOff = 1;
  }
}

/* Phase 5: table renames, each after the rename that frees its new name. */
static void emit_table_renames(Planner *P) {
  int nLeft = 0;
  for (int i = 0; i < P->nPair; i++) nLeft += P->aPair[i].bTabRename;
  char *aDone = devdb_arena_alloc(P->pA, P->nPair + 1);
  while (nLeft > 0 && aDone && P->rc == SQLITE_OK) {
    int nBefore = nLeft;
    for (int i = 0; i < P->nPair; i++) {
      Pair *pPair = &P->aPair[i];
      if (!pPair->bTabRename || aDone[i]) continue;
      Pair *pHolder = pair_of_source(P, pPair->pT->zName);
      if (pHolder && pHolder != pPair && pHolder->eAct != ACT_DROP &&
          !(pHolder->bTabRename && aDone[pHolder - P->aPair])) {
        continue; /* its new name is still taken */
      }
      int iRow = add_row(P, "table", "rename", pPair->pT->zName, pPair->pS->zName,
                         PF("table %s renamed to %s", pPair->pS->zName, pPair->pT->zName),
                         PF("ALTER TABLE \"%w\".\"%w\" RENAME TO \"%w\";\n", P->zSchema,
                            pPair->pS->zName, pPair->pT->zName));
      need_version(P, iRow, V_RENAME_REWRITE);
      aDone[i] = 1;
      nLeft--;
    }
    if (nLeft == nBefore) {
      plan_error(P, SQLITE_ERROR, sqlite3_mprintf("the table rename hints form a cycle"));
    }
  }
}

/* ------------------------------------------------------------- tables */

/* The name a source table has once the table renames ran. */
static const char *current_name(const Pair *pPair) {
  return pPair->bTabRename ? pPair->pT->zName : pPair->pS->zName;
}

/* The name source column i of a pair has once the column renames ran. */
static const char *current_column(const Pair *pPair, int i) {
  const char *zName = pPair->pS->aCol[i].zName;
  if (pPair->bNativeRen) {
    const char *zNew = map_get(&pPair->cols, zName);
    if (zNew) return zNew;
  }
  return zName;
}

/* 1 when zName is the name of any object of either model. */
static int name_taken(Planner *P, const char *zName) {
  const DevdbSchema *ap[2] = {P->pS, P->pT};
  for (int k = 0; k < 2; k++) {
    if (devdb_schema_table(ap[k], zName) || devdb_schema_view(ap[k], zName) ||
        devdb_schema_index(ap[k], zName) || devdb_schema_trigger(ap[k], zName))
      return 1;
  }
  return 0;
}

/* A name for the new table of a rebuild that no object has. */
static char *temp_name(Planner *P, const char *zTbl) {
  char *zName = PF("devdb_new_%s", zTbl);
  for (int i = 2; zName && name_taken(P, zName); i++)
    zName = PF("devdb_new_%s_%d", zTbl, i);
  return zName;
}

/* One of rowid, _rowid_, oid that is not a column of pTab, or NULL. */
static const char *rowid_word(const DevdbTable *pTab) {
  static const char *az[] = {"rowid", "_rowid_", "oid"};
  for (int k = 0; k < 3; k++) {
    if (devdb_table_column(pTab, az[k]) == 0) return az[k];
  }
  return 0;
}

/* 1 when the copy fills NULLs of source column pS with the default of
** target column pT: pT is NOT NULL with a default and pS may hold NULL. */
static int needs_coalesce(const DevdbColumn *pS, const DevdbColumn *pT) {
  return pT->bNotNull && !is_null_default(pT->zDefault) && !(pS->bNotNull && !pS->eGen);
}

/*
** The expression the copy of a rebuild reads for target column j from the
** old table (aliased "src"), or NULL when the column is new (it gets its
** default). A column that becomes NOT NULL and has a default reads
** coalesce(old, default). bNow: names as they are before any rename ran.
*/
static char *column_source(Planner *P, Pair *pPair, int j, int bNow) {
  int i = pPair->aMap[j];
  if (i < 0) return 0;
  const DevdbColumn *pT = &pPair->pT->aCol[j], *pS = &pPair->pS->aCol[i];
  const char *zCol = bNow ? pS->zName : current_column(pPair, i);
  char *zRef = PF("\"src\".\"%w\"", zCol);
  if (needs_coalesce(pS, pT)) return PF("coalesce(%s, %s)", zRef, pT->zDefault);
  return zRef;
}

/* The target column that is the rowid of a rebuilt table and gets the old
** rowid (a new INTEGER PRIMARY KEY), or -1. */
static int new_rowid_alias(const Pair *pPair) {
  int a = pPair->pT->iRowidAlias;
  if (a < 0 || pPair->aMap[a] >= 0 || pPair->pS->bWithoutRowid) return -1;
  return a;
}

/* "INSERT OR ABORT INTO new (cols) SELECT exprs FROM old AS src;" into p. */
static void str_copy(Planner *P, sqlite3_str *p, Pair *pPair, const char *zNew) {
  const DevdbTable *pS = pPair->pS, *pT = pPair->pT;
  sqlite3_str *pSel = sqlite3_str_new(0);
  sqlite3_str_appendf(p, "INSERT OR ABORT INTO \"%w\".\"%w\" (", P->zSchema, zNew);
  int n = 0, iAlias = new_rowid_alias(pPair);
  const char *zRowT = rowid_word(pT), *zRowS = rowid_word(pS);
  if (!pT->bWithoutRowid && !pS->bWithoutRowid && pT->iRowidAlias < 0 && zRowT && zRowS) {
    sqlite3_str_appendall(p, zRowT);
    sqlite3_str_appendf(pSel, "\"src\".%s", zRowS);
    n++;
  }
  for (int j = 0; j < pT->nCol; j++) {
    const char *zExpr = column_source(P, pPair, j, 0);
    if (j == iAlias && zRowS) zExpr = PF("\"src\".%s", zRowS);
    if (zExpr == 0 || pT->aCol[j].eGen || pT->aCol[j].bHidden) continue;
    sqlite3_str_appendf(p, "%s\"%w\"", n ? ", " : "", pT->aCol[j].zName);
    sqlite3_str_appendf(pSel, "%s%s", n ? ", " : "", zExpr);
    n++;
  }
  char *zSel = str_done(P, pSel);
  sqlite3_str_appendf(p, ") SELECT %s FROM \"%w\".\"%w\" AS \"src\"", zSel ? zSel : "",
                      P->zSchema, current_name(pPair));
  /* NULL in a new INTEGER PRIMARY KEY gets max(rowid)+1: insert those rows
  ** last, so the number cannot be one a later row brings */
  int a = pT->iRowidAlias, i = a >= 0 ? pPair->aMap[a] : -1;
  if (i >= 0 && pS->iRowidAlias != i && !(pS->aCol[i].bNotNull && !pS->aCol[i].eGen))
    sqlite3_str_appendf(p, " ORDER BY %s IS NULL", column_source(P, pPair, a, 0));
  sqlite3_str_appendall(p, ";\n");
}

/* The statements that carry the AUTOINCREMENT high-water mark of zOld over
** to zNew (which the copy gave max(rowid)). */
static void str_sequence(Planner *P, sqlite3_str *p, const char *zOld, const char *zNew) {
  const char *zS = P->zSchema;
  sqlite3_str_appendf(p,
                      "UPDATE \"%w\".sqlite_sequence SET seq = (SELECT max(seq) FROM "
                      "\"%w\".sqlite_sequence WHERE name IN (%Q, %Q)) WHERE name = %Q;\n",
                      zS, zS, zOld, zNew, zNew);
  sqlite3_str_appendf(
      p,
      "INSERT INTO \"%w\".sqlite_sequence(name, seq) SELECT %Q, seq FROM "
      "\"%w\".sqlite_sequence WHERE name = %Q AND NOT EXISTS (SELECT 1 FROM "
      "\"%w\".sqlite_sequence WHERE name = %Q);\n",
      zS, zNew, zS, zOld, zS, zNew);
}

/* The 12-step rebuild of a pair (steps 4 to 7; the rest is the plan's). */
static char *rebuild_sql(Planner *P, Pair *pPair) {
  const DevdbTable *pS = pPair->pS, *pT = pPair->pT;
  char *zNew = temp_name(P, pT->zName);
  if (zNew == 0) return 0;
  sqlite3_str *p = sqlite3_str_new(0);
  str_create(P, p, pT->zSql, zNew);
  str_copy(P, p, pPair, zNew);
  if (pS->bAutoinc && pT->bAutoinc) str_sequence(P, p, current_name(pPair), zNew);
  sqlite3_str_appendf(p, "DROP TABLE \"%w\".\"%w\";\n", P->zSchema, current_name(pPair));
  sqlite3_str_appendf(p,
                      "PRAGMA legacy_alter_table=ON;\n"
                      "ALTER TABLE \"%w\".\"%w\" RENAME TO \"%w\";\n"
                      "PRAGMA legacy_alter_table=OFF;\n",
                      P->zSchema, zNew, pT->zName);
  return str_done(P, p);
}

/* What a rebuild keeps and drops, for its detail. */
static char *rebuild_detail(Planner *P, Pair *pPair) {
  const DevdbTable *pS = pPair->pS, *pT = pPair->pT;
  int nCopy = 0, nNew = 0;
  for (int j = 0; j < pT->nCol; j++) {
    if (pT->aCol[j].eGen) continue;
    if (pPair->aMap[j] >= 0)
      nCopy++;
    else
      nNew++;
  }
  const char *zRowid = pT->bWithoutRowid || pS->bWithoutRowid ? "" : ", rowids";
  return PF("table %s rebuilt from the target's definition: copies %d column%s%s%s%s; "
            "its indexes and triggers are created again below",
            pT->zName, nCopy, nCopy == 1 ? "" : "s",
            nNew ? PF(" (%d new from their default)", nNew) : "", zRowid,
            pS->bAutoinc && pT->bAutoinc ? " and the AUTOINCREMENT counter" : "");
}

/* The SQL of a native item: RENAME COLUMN, DROP COLUMN or ADD COLUMN. */
static char *native_sql(Planner *P, Pair *pPair, const Item *pItem) {
  const char *zTbl = pPair->pT->zName;
  if (strcmp(pItem->zKind, "column")) return 0;
  if (strcmp(pItem->zChange, "rename") == 0) {
    return PF("ALTER TABLE \"%w\".\"%w\" RENAME COLUMN \"%w\" TO \"%w\";\n", P->zSchema,
              current_name(pPair), pPair->pS->aCol[pItem->iS].zName,
              pPair->pT->aCol[pItem->iT].zName);
  }
  if (strcmp(pItem->zChange, "drop") == 0) {
    return PF("ALTER TABLE \"%w\".\"%w\" DROP COLUMN \"%w\";\n", P->zSchema, zTbl,
              current_column(pPair, pItem->iS));
  }
  if (strcmp(pItem->zChange, "add") == 0) {
    DevdbSpan def = target_column_def(P, pPair, pPair->pT->aCol[pItem->iT].zName);
    return PF("ALTER TABLE \"%w\".\"%w\" ADD COLUMN %.*s;\n", P->zSchema, zTbl, def.n,
              def.z);
  }
  return 0;
}

static int item_version(const Pair *pPair, const Item *pItem) {
  if (strcmp(pItem->zKind, "column")) return 0;
  if (strcmp(pItem->zChange, "rename") == 0) return V_RENAME_COLUMN;
  if (strcmp(pItem->zChange, "drop") == 0) return V_DROP_COLUMN;
  if (strcmp(pItem->zChange, "add") == 0 && pPair->pT->aCol[pItem->iT].eGen)
    return V_GENERATED;
  return 0;
}

/* Rows for the items of a pair whose zChange is zOnly (NULL: every item
** not yet emitted); native ones carry their SQL when bSql. */
static void emit_items(Planner *P, Pair *pPair, const char *zOnly, int bSql) {
  const char *zTbl = pPair->pT->zName;
  for (int k = 0; k < pPair->nItem; k++) {
    Item *pItem = &pPair->aItem[k];
    if (pItem->iRow >= 0 || (zOnly && strcmp(pItem->zChange, zOnly))) continue;
    if (zOnly && strcmp(pItem->zKind, "column")) continue;
    char *zSql = bSql && pItem->bNative ? native_sql(P, pPair, pItem) : 0;
    pItem->iRow = add_row(P, pItem->zKind, pItem->zChange, pItem->zName, zTbl,
                          pItem->zDetail, zSql);
    if (zSql) need_version(P, pItem->iRow, item_version(pPair, pItem));
  }
}

/* The rows of a table that is created, altered or rebuilt. */
static void emit_table(Planner *P, Pair *pPair) {
  const DevdbTable *pT = pPair->pT;
  int bVirtual = pT->eKind == DEVDB_VIRTUAL;
  switch (pPair->eAct) {
  case ACT_CREATE:
    pPair->iRowMain =
        add_row(P, bVirtual ? "virtual_table" : "table", "create", pT->zName, pT->zName,
                bVirtual ? PF("new virtual table %s %s", pT->zName, pT->zDef)
                         : PF("new table %s (%d column%s)", pT->zName, pT->nCol,
                              pT->nCol == 1 ? "" : "s"),
                create_sql(P, pT->zSql));
    need_version(P, pPair->iRowMain, table_version(pT));
    break;
  case ACT_NATIVE:
    emit_items(P, pPair, "rename", 1);
    emit_items(P, pPair, "rename?", 0);
    emit_items(P, pPair, "drop", 1);
    emit_items(P, pPair, "add", 1);
    emit_items(P, pPair, 0, 0);
    break;
  case ACT_REBUILD:
    emit_items(P, pPair, "rename", pPair->bNativeRen);
    emit_items(P, pPair, 0, 0);
    pPair->iRowMain = add_row(P, "table", "rebuild", pT->zName, pT->zName,
                              rebuild_detail(P, pPair), rebuild_sql(P, pPair));
    need_version(P, pPair->iRowMain, table_version(pT));
    add_cascade_risk(P, pPair->iRowMain, pPair->pS->zName);
    if (fk_involved(P, pPair)) P->pPlan->bFkOff = 1;
    break;
  default:
    break;
  }
}

/* Depth-first over foreign keys: the parents of a target table first. */
static void table_visit(Planner *P, Pair *pPair) {
  if (pPair->bVisited) return;
  pPair->bVisited = 1;
  for (int k = 0; pPair->pT && k < pPair->pT->nFk; k++) {
    Pair *pParent = pair_of_target(P, pPair->pT->aFk[k].zParent);
    if (pParent) table_visit(P, pParent);
  }
  if (pPair->pT) emit_table(P, pPair);
}

/* Phase 6: create, alter and rebuild tables, parents first. */
static void emit_tables(Planner *P) {
  for (int i = 0; i < P->pT->nTable; i++) {
    Pair *pPair = pair_of_target(P, P->pT->aTable[i].zName);
    if (pPair) table_visit(P, pPair);
  }
}

/* ------------------------------------------------ indexes, views, triggers */

/* Phase 7: create the explicit indexes that are new, changed, or on a
** rebuilt table. A new UNIQUE index over existing rows gets a count. */
static void emit_create_indexes(Planner *P) {
  const DevdbSchema *pT = P->pT;
  for (int i = 0; i < pT->nIndex; i++) {
    const DevdbIndex *pIdx = &pT->aIndex[i];
    if (pIdx->eOrigin != DEVDB_IDX_CREATE || pIdx->zSql == 0) continue;
    Pair *pPair = pair_of_target(P, pIdx->zTable);
    const DevdbIndex *pS = devdb_schema_index(P->pS, pIdx->zName);
    int bDropped = pS && devdb_map_get(&P->mIdxDrop, pS->zName);
    int bKept = pS && !bDropped && pPair && pPair->pS && pPair->eAct != ACT_REBUILD &&
                pair_of_source(P, pS->zTable) == pPair && pS->eOrigin == DEVDB_IDX_CREATE;
    if (bKept) continue;
    int bSame = pS && pPair && pPair->pS && !bDropped && pPair->eAct == ACT_REBUILD &&
                pair_of_source(P, pS->zTable) == pPair && same_index(P, pS, pIdx);
    char *zDetail =
        bSame ? PF("index %s created again (%s was rebuilt)", pIdx->zName, pIdx->zTable)
        : pS  ? PF("index %s: %s -> %s", pIdx->zName, pS->zDef, pIdx->zDef)
              : PF("new index %s %s", pIdx->zName, pIdx->zDef);
    int iRow = add_row(P, "index", "create", pIdx->zName, pIdx->zTable, zDetail,
                       create_sql(P, pIdx->zSql));
    need_version(P, iRow, index_version(pIdx));
    if (pIdx->bUnique && pPair && (!bSame || key_converts(pPair, pIdx)))
      probe_unique(P, pPair, iRow, pIdx, 0, pIdx->zDef);
  }
}

/* Phase 8: create the views that are new, changed or dropped above,
** dependencies first. */
static void emit_create_views(Planner *P) {
  int n = 0;
  int *aOrder = view_order(P, P->pT, &n, view_created);
  for (int k = 0; k < n; k++) {
    const DevdbView *pV = &P->pT->aView[aOrder[k]];
    const DevdbView *pS = devdb_schema_view(P->pS, pV->zName);
    char *zDetail = pS == 0                      ? PF("new view %s", pV->zName)
                    : strcmp(pS->zDef, pV->zDef) ? PF("view %s changed", pV->zName)
                                                 : PF("view %s created again", pV->zName);
    add_row(P, "view", "create", pV->zName, pV->zName, zDetail, create_sql(P, pV->zSql));
  }
}

/* Phase 9: create the triggers that are new, changed or dropped above (or
** whose table was rebuilt). */
static void emit_create_triggers(Planner *P) {
  const DevdbSchema *pT = P->pT;
  for (int i = 0; i < pT->nTrigger; i++) {
    const DevdbTrigger *pTr = &pT->aTrigger[i];
    const DevdbTrigger *pS = devdb_schema_trigger(P->pS, pTr->zName);
    if (pS && devdb_map_get(&P->mTrigDrop, pS->zName) == 0) continue;
    char *zDetail = pS == 0 ? PF("new trigger %s on %s", pTr->zName, pTr->zTable)
                    : strcmp(pS->zDef, pTr->zDef)
                        ? PF("trigger %s changed", pTr->zName)
                        : PF("trigger %s created again", pTr->zName);
    add_row(P, "trigger", "create", pTr->zName, pTr->zTable, zDetail,
            create_sql(P, pTr->zSql));
  }
}

/*
** The tables whose foreign keys are checked after the change: every
** target table with foreign keys that changes, or whose parent changes.
*/
static void list_fk_tables(Planner *P) {
  DevdbPlan *pPlan = P->pPlan;
  pPlan->azFkTable = devdb_arena_alloc(P->pA, sizeof(char *) * (P->pT->nTable + 1));
  pPlan->azFkSource = devdb_arena_alloc(P->pA, sizeof(char *) * (P->pT->nTable + 1));
  if (pPlan->azFkTable == 0 || pPlan->azFkSource == 0) return;
  for (int i = 0; i < P->pT->nTable; i++) {
    const DevdbTable *pTab = &P->pT->aTable[i];
    Pair *pPair = pair_of_target(P, pTab->zName);
    int bCheck = pPair && (pPair->eAct != ACT_NONE || pPair->bTabRename);
    for (int k = 0; k < pTab->nFk && !bCheck; k++) {
      Pair *pParent = pair_of_target(P, pTab->aFk[k].zParent);
      bCheck = pParent == 0 || pParent->eAct != ACT_NONE || pParent->bTabRename;
    }
    if (!bCheck || pTab->nFk == 0) continue;
    /* copies: the plan outlives the models */
    const char *zSource = pPair && pPair->pS ? pPair->pS->zName : 0;
    pPlan->azFkSource[pPlan->nFkTable] =
        zSource ? devdb_arena_strndup(P->pA, zSource, -1) : 0;
    pPlan->azFkTable[pPlan->nFkTable++] = devdb_arena_strndup(P->pA, pTab->zName, -1);
  }
}

/* ------------------------------------------------------- risk counts */

/*
** An expression over value z that is true when a STRICT column of type
** zType refuses it (datatype3.html, stricttables.html), or NULL when the
** column takes anything.
*/
static char *strict_misfit(Planner *P, const char *z, const char *zType) {
  if (strcmp(zType, "INT") == 0 || strcmp(zType, "INTEGER") == 0) {
    return PF(
        "(typeof(%s) NOT IN ('null', 'integer') AND NOT (typeof(%s) IN ('real', "
        "'text') AND typeof(CAST(%s AS NUMERIC)) = 'integer' AND CAST(%s AS NUMERIC) "
        "= %s))",
        z, z, z, z, z);
  }
  if (strcmp(zType, "REAL") == 0) {
    return PF(
        "(typeof(%s) NOT IN ('null', 'integer', 'real') AND NOT (typeof(%s) = 'text' "
        "AND CAST(%s AS NUMERIC) = %s))",
        z, z, z, z);
  }
  if (strcmp(zType, "TEXT") == 0) return PF("(typeof(%s) = 'blob')", z);
  if (strcmp(zType, "BLOB") == 0) return PF("(typeof(%s) NOT IN ('null', 'blob'))", z);
  return 0;
}

/* 1 when an affinity is INTEGER, REAL or NUMERIC. */
static int is_numeric_affinity(const char *zAff) {
  return strcmp(zAff, "TEXT") && strcmp(zAff, "BLOB");
}

/* What probe_column counts. */
#define PROBE_NOTNULL 1
#define PROBE_TYPE 2

/* Counts for target column j of a pair (added or changed), on row iRow:
** NULLs of a new NOT NULL, values the new type cannot hold. */
static void probe_column(Planner *P, Pair *pPair, int j, int iRow, int mWhat) {
  const DevdbTable *pS = pPair->pS, *pT = pPair->pT;
  const DevdbColumn *c = &pT->aCol[j];
  int i = pPair->aMap[j];
  const DevdbColumn *s = i >= 0 ? &pS->aCol[i] : 0;
  char *zRef = PF("\"%w\"", c->zName);
  char *zWhere = PF(" in %s.%s", pT->zName, c->zName);
  if ((mWhat & PROBE_NOTNULL) && c->bNotNull && !(s && s->bNotNull && !s->eGen)) {
    add_probe(P, pPair, iRow, DEVDB_RISK_WILL_FAIL, "will-fail", PF("%s IS NULL", zRef),
              "NULL",
              PF("%s (NOT NULL%s)", zWhere,
                 is_null_default(c->zDefault) ? ", no default" : ""));
  }
  if (!(mWhat & PROBE_TYPE) || c->eGen || j == pT->iRowidAlias) return;
  if (pT->bStrict) {
    char *zMisfit = strict_misfit(P, zRef, c->zType);
    if (zMisfit)
      add_probe(P, pPair, iRow, DEVDB_RISK_WILL_FAIL, "will-fail", zMisfit, "value",
                PF("%s that a STRICT %s column cannot hold", zWhere, c->zType));
  } else if (s && is_numeric_affinity(c->zAff) && !is_numeric_affinity(s->zAff)) {
    add_probe(
        P, pPair, iRow, 0, "warning",
        PF("(typeof(%s) = 'text' AND NOT (CAST(%s AS NUMERIC) = %s))", zRef, zRef, zRef),
        "value",
        PF("%s that will stay text in a column of %s affinity", zWhere, c->zAff));
  }
}

/* The rowid of a rebuilt table becomes a column the source did not have as
** its rowid: count the values that are not integers. */
static void probe_rowid_alias(Planner *P, Pair *pPair, int iRow) {
  const DevdbTable *pS = pPair->pS, *pT = pPair->pT;
  int a = pT->iRowidAlias;
  if (a < 0 || pPair->aMap[a] < 0 || pS->iRowidAlias == pPair->aMap[a]) return;
  const char *zCol = pT->aCol[a].zName;
  add_probe(P, pPair, iRow, DEVDB_RISK_WILL_FAIL, "will-fail",
            strict_misfit(P, PF("\"%w\"", zCol), "INTEGER"), "value",
            PF(" in %s.%s that cannot be an integer rowid (the column becomes the rowid)",
               pT->zName, zCol));
  if (fk_from(pT, zCol))
    add_probe(P, pPair, iRow, DEVDB_RISK_WILL_FAIL, "will-fail",
              PF("\"%w\" IS NULL", zCol), "NULL",
              PF(" in %s.%s: it becomes the rowid, a new number without a parent row",
                 pT->zName, zCol));
}

/* 1 when a changed or added column of the pair is named zCol (NULL: any). */
static int column_changes(const Pair *pPair, const char *zCol) {
  for (int k = 0; k < pPair->nItem; k++) {
    const Item *pItem = &pPair->aItem[k];
    if (strcmp(pItem->zKind, "column") || strcmp(pItem->zChange, "alter")) continue;
    if (zCol == 0 || devdb_stricmp(pItem->zName, zCol) == 0) return 1;
  }
  return 0;
}

/* 1 when the rebuild of a pair converts a key column of pIdx (its values may
** become equal: '1' and 1 in an INTEGER column, 'a' and 'A' under NOCASE). */
static int key_converts(const Pair *pPair, const DevdbIndex *pIdx) {
  if (pPair->eAct != ACT_REBUILD || pPair->pS == 0) return 0;
  for (int k = 0; pIdx && k < pIdx->nCol; k++) {
    if (column_changes(pPair, pIdx->aCol[k].zName)) return 1;
  }
  return 0;
}

/* A count of the duplicate groups of a UNIQUE key (pIdx, or pPkOf's key). */
static void probe_unique(Planner *P, Pair *pPair, int iRow, const DevdbIndex *pIdx,
                         const DevdbTable *pPkOf, const char *zWhat) {
  Probe *pProbe = add_probe(P, pPair, iRow, DEVDB_RISK_WILL_FAIL, "will-fail", 0,
                            "duplicate group", PF(" in %s", zWhat));
  if (pProbe) pProbe->pUnique = pIdx, pProbe->pPkOf = pPkOf;
}

/* Foreign keys the rebuild keeps but whose columns convert (a NULL filled
** from the default, text that becomes a number): they may lose parents. */
static void probe_kept_fks(Planner *P, Pair *pPair) {
  const DevdbTable *pT = pPair->pT;
  for (int i = 0; i < pT->nFk; i++) {
    const DevdbForeignKey *pFk = &pT->aFk[i];
    int bConverts = 0, bNew = 0;
    for (int k = 0; k < pFk->nCol; k++)
      bConverts |= column_changes(pPair, pFk->azFrom[k]);
    for (int k = 0; k < pPair->nItem; k++) bNew |= pPair->aItem[k].pObT == pFk;
    if (bConverts && !bNew)
      add_probe(P, pPair, pPair->iRowMain, DEVDB_RISK_WILL_FAIL, "will-fail",
                orphans_expr(P, pFk), "row",
                PF(" of %s without a parent once converted (%s)", pT->zName, pFk->zDef));
  }
}

/* CHECK constraints the rebuild keeps but whose columns convert (-7 in a
** REAL column is -7.0, longer as text): they may now fail. */
static void probe_kept_checks(Planner *P, Pair *pPair) {
  const DevdbTable *pT = pPair->pT;
  for (int i = 0; i < pT->nCheck; i++) {
    const DevdbCheck *pC = &pT->aCheck[i];
    int bConverts = 0, bNew = 0;
    for (int k = 0; k < pPair->nItem; k++) {
      const Item *pItem = &pPair->aItem[k];
      bNew |= pItem->pObT == pC;
      if (strcmp(pItem->zKind, "column") == 0 && strcmp(pItem->zChange, "alter") == 0)
        bConverts |= expr_mentions(pC->zExpr, pItem->zName);
    }
    if (bConverts && !bNew)
      add_probe(P, pPair, pPair->iRowMain, DEVDB_RISK_WILL_FAIL, "will-fail",
                PF("NOT (%s)", pC->zExpr), "row",
                PF(" failing CHECK(%s) once converted", pC->zExpr));
  }
}

/* Keys the rebuild keeps but whose columns convert: they may now fail. */
static void probe_kept_keys(Planner *P, Pair *pPair) {
  const DevdbTable *pT = pPair->pT;
  for (int i = 0; i < pT->nIndex; i++) {
    const DevdbIndex *pIdx = pT->apIndex[i];
    if (pIdx->eOrigin == DEVDB_IDX_CREATE || !key_converts(pPair, pIdx)) continue;
    int bNew = 0;
    for (int k = 0; k < pPair->nItem && !bNew; k++) {
      bNew =
          pPair->aItem[k].pObT == pIdx || (pIdx->eOrigin == DEVDB_IDX_PK &&
                                           !strcmp(pPair->aItem[k].zKind, "primary_key"));
    }
    if (!bNew)
      probe_unique(P, pPair, pPair->iRowMain, pIdx->eOrigin == DEVDB_IDX_PK ? 0 : pIdx,
                   pIdx->eOrigin == DEVDB_IDX_PK ? pT : 0,
                   pIdx->eOrigin == DEVDB_IDX_PK ? "the primary key" : pIdx->zDef);
  }
}

/* The orphans a new foreign key of target table pT would have. */
static char *orphans_expr(Planner *P, const DevdbForeignKey *pFk) {
  sqlite3_str *p = sqlite3_str_new(0);
  sqlite3_str_appendchar(p, 1, '(');
  for (int k = 0; k < pFk->nCol; k++)
    sqlite3_str_appendf(p, "\"devdb_row\".\"%w\" IS NOT NULL AND ", pFk->azFrom[k]);
  Pair *pParent = pair_of_target(P, pFk->zParent);
  if (pParent && pParent->pS && pParent->pS->eKind == DEVDB_TABLE) {
    sqlite3_str_appendf(p,
                        "NOT EXISTS (SELECT 1 FROM \"%w\".\"%w\" AS \"devdb_p\" WHERE ",
                        P->zSchema, pParent->pS->zName);
    for (int k = 0; k < pFk->nCol; k++) {
      const char *zTo = pFk->azTo[k] ? pFk->azTo[k] : "rowid";
      const char *zOld = map_rev(&pParent->cols, zTo);
      sqlite3_str_appendf(p, "%s\"devdb_p\".\"%w\" = \"devdb_row\".\"%w\"",
                          k ? " AND " : "", zOld ? zOld : zTo, pFk->azFrom[k]);
    }
    sqlite3_str_appendall(p, "))");
  } else {
    sqlite3_str_appendall(p, "1)");
  }
  return str_done(P, p);
}

/* Register the counts of a pair's items. */
static void probe_pair(Planner *P, Pair *pPair) {
  const DevdbTable *pS = pPair->pS, *pT = pPair->pT;
  if (pPair->eAct == ACT_REBUILD) {
    add_probe(P, pPair, pPair->iRowMain, DEVDB_RISK_REBUILD, "rebuild", 0, "row",
              " copied");
    probe_rowid_alias(P, pPair, pPair->iRowMain);
    probe_kept_keys(P, pPair);
    probe_kept_fks(P, pPair);
    probe_kept_checks(P, pPair);
  }
  for (int k = 0; k < pPair->nItem; k++) {
    const Item *pItem = &pPair->aItem[k];
    const char *zC = pItem->zChange;
    int bAdd = strcmp(zC, "add") == 0;
    if (strcmp(pItem->zKind, "column") == 0) {
      if (strcmp(zC, "drop") == 0 && !pS->aCol[pItem->iS].eGen) {
        add_probe(P, pPair, pItem->iRow, DEVDB_RISK_DATA_LOSS, "data-loss",
                  PF("\"devdb_s%d\" IS NOT NULL", pItem->iS), "non-NULL value",
                  PF(" in %s.%s", pS->zName, pS->aCol[pItem->iS].zName));
      } else if (bAdd || strcmp(zC, "alter") == 0) {
        probe_column(P, pPair, pItem->iT, pItem->iRow, PROBE_NOTNULL | PROBE_TYPE);
      }
    } else if (strcmp(pItem->zKind, "check") == 0 && bAdd) {
      const DevdbCheck *pC = pItem->pObT;
      add_probe(P, pPair, pItem->iRow, DEVDB_RISK_WILL_FAIL, "will-fail",
                PF("NOT (%s)", pC->zExpr), "row", PF(" failing CHECK(%s)", pC->zExpr));
    } else if (strcmp(pItem->zKind, "unique") == 0 && bAdd) {
      const DevdbIndex *pIdx = pItem->pObT;
      probe_unique(P, pPair, pItem->iRow, pIdx, 0, pIdx->zDef);
    } else if (strcmp(pItem->zKind, "primary_key") == 0) {
      probe_unique(P, pPair, pItem->iRow, 0, pT, "the primary key");
    } else if (strcmp(pItem->zKind, "foreign_key") == 0 && bAdd) {
      const DevdbForeignKey *pFk = pItem->pObT;
      add_probe(P, pPair, pItem->iRow, DEVDB_RISK_WILL_FAIL, "will-fail",
                orphans_expr(P, pFk), "row",
                PF(" of %s without a parent (%s)", pT->zName, pFk->zDef));
    } else if (strcmp(pItem->zKind, "table") == 0 && pT->bStrict && !pS->bStrict) {
      for (int j = 0; j < pT->nCol; j++) {
        int i = pPair->aMap[j];
        if (i < 0 || !column_changes(pPair, pT->aCol[j].zName))
          probe_column(P, pPair, j, pItem->iRow, PROBE_TYPE);
      }
    }
  }
}

/*
** Value zExpr as a column of affinity zAff stores it (datatype3.html 3.0):
** numbers become text in a TEXT column, text that reads as a number becomes
** one in a numeric column.
*/
static char *convert_expr(Planner *P, const char *zExpr, const char *zAff) {
  const char *z = zExpr;
  if (strcmp(zAff, "TEXT") == 0) {
    return PF(
        "(CASE WHEN typeof(%s) IN ('integer', 'real') THEN CAST(%s AS TEXT) ELSE %s "
        "END)",
        z, z, z);
  }
  if (strcmp(zAff, "REAL") == 0) {
    return PF("(CASE WHEN typeof(%s) = 'integer' OR (typeof(%s) = 'text' AND CAST(%s AS "
              "NUMERIC) = %s) THEN CAST(%s AS REAL) ELSE %s END)",
              z, z, z, z, z, z);
  }
  if (!is_numeric_affinity(zAff)) return (char *)zExpr;
  return PF("(CASE WHEN typeof(%s) IN ('text', 'real') AND CAST(%s AS NUMERIC) = %s THEN "
            "CAST(%s AS NUMERIC) ELSE %s END)",
            z, z, z, z, z);
}

/*
** The rows of a pair's source table as the change makes them, as a FROM
** term "(SELECT ...) AS devdb_row": each target column under its name (new
** ones from their default, generated ones computed), each dropped source
** column as devdb_s<i>.
*/
static char *projection(Planner *P, Pair *pPair) {
  const DevdbTable *pS = pPair->pS, *pT = pPair->pT;
  sqlite3_str *p = sqlite3_str_new(0);
  int n = 0, nGen = 0, iAlias = new_rowid_alias(pPair);
  sqlite3_str_appendall(p, "(SELECT ");
  for (int j = 0; j < pT->nCol; j++) {
    const DevdbColumn *c = &pT->aCol[j];
    if (c->eGen) {
      nGen++;
      continue;
    }
    const char *zExpr = column_source(P, pPair, j, 1);
    int i = pPair->aMap[j];
    if (zExpr && strcmp(pS->aCol[i].zAff, c->zAff))
      zExpr = convert_expr(P, zExpr, c->zAff);
    if (zExpr == 0 && j == iAlias && rowid_word(pS))
      zExpr = PF("\"src\".%s", rowid_word(pS));
    if (zExpr == 0)
      zExpr = is_null_default(c->zDefault) ? "NULL" : PF("(%s)", c->zDefault);
    sqlite3_str_appendf(p, "%s%s AS \"%w\"", n++ ? ", " : "", zExpr, c->zName);
  }
  for (int i = 0; i < pS->nCol; i++) {
    if (pPair->aRev[i] >= 0 || pS->aCol[i].eGen) continue;
    sqlite3_str_appendf(p, "%s\"src\".\"%w\" AS \"devdb_s%d\"", n++ ? ", " : "",
                        pS->aCol[i].zName, i);
  }
  sqlite3_str_appendf(p, "%sFROM \"%w\".\"%w\" AS \"src\")", n ? " " : "NULL ",
                      P->zSchema, pS->zName);
  char *zInner = str_done(P, p);
  if (nGen == 0 || zInner == 0) return PF("%s AS \"devdb_row\"", zInner);
  p = sqlite3_str_new(0);
  sqlite3_str_appendall(p, "(SELECT *");
  for (int j = 0; j < pT->nCol; j++) {
    if (pT->aCol[j].eGen)
      sqlite3_str_appendf(p, ", (%s) AS \"%w\"", pT->aCol[j].zGenExpr, pT->aCol[j].zName);
  }
  sqlite3_str_appendf(p, " FROM %s) AS \"devdb_row\"", zInner);
  return str_done(P, p);
}

/* The FROM term the probes of a pair count over. */
static char *probe_from(Planner *P, Pair *pPair) {
  if (pPair->pT == 0 || pPair->eAct == ACT_DROP)
    return PF("\"%w\".\"%w\" AS \"devdb_row\"", P->zSchema, pPair->pS->zName);
  if (pPair->aMap == 0) map_columns(P, pPair);
  return pPair->aMap ? projection(P, pPair) : 0;
}

/* One key part of a UNIQUE probe: a column of the rows or an expression. */
static void str_key_part(sqlite3_str *p, const char *zName, const char *zExpr,
                         const char *zColl, const char *zSep) {
  if (zName)
    sqlite3_str_appendf(p, "%s\"%w\"", zSep, zName);
  else
    sqlite3_str_appendf(p, "%s(%s)", zSep, zExpr);
  if (zColl) sqlite3_str_appendf(p, " COLLATE \"%w\"", zColl);
}

/* The key of a UNIQUE probe, "a COLLATE x, (expr)" (bNotNull: "a IS NOT
** NULL AND ..."); names are the target's. */
static char *unique_key(Planner *P, const Probe *pProbe, int bNotNull) {
  const DevdbTable *pT = pProbe->pPair->pT;
  const DevdbIndex *pIdx = pProbe->pUnique ? pProbe->pUnique : pk_index(pT);
  sqlite3_str *p = sqlite3_str_new(0);
  const char *zSep = bNotNull ? " AND " : ", ";
  int n = 0;
  for (int k = 0; pIdx && k < pIdx->nCol; k++) {
    const DevdbIndexColumn *pC = &pIdx->aCol[k];
    const DevdbColumn *pCol = pC->zName ? devdb_table_column(pT, pC->zName) : 0;
    const char *zColl = pC->zCollate ? pC->zCollate : pCol ? pCol->zCollate : 0;
    str_key_part(p, pC->zName, pC->zExpr, bNotNull ? 0 : zColl, n++ ? zSep : "");
    if (bNotNull) sqlite3_str_appendall(p, " IS NOT NULL");
  }
  if (pIdx == 0 && pT->iRowidAlias >= 0) {
    str_key_part(p, pT->aCol[pT->iRowidAlias].zName, 0, 0, "");
    if (bNotNull) sqlite3_str_appendall(p, " IS NOT NULL");
  }
  return str_done(P, p);
}

/*
** The same key as source columns for devdb_dup_count ("old COLLATE x,
** ..."), or NULL when the key is not plain source columns copied as they are.
*/
static char *plain_unique_key(Planner *P, const Probe *pProbe) {
  Pair *pPair = pProbe->pPair;
  const DevdbIndex *pIdx = pProbe->pUnique ? pProbe->pUnique : pk_index(pPair->pT);
  if (pIdx == 0 || pIdx->zWhere || pPair->aMap == 0) return 0;
  sqlite3_str *p = sqlite3_str_new(0);
  int bPlain = 1;
  for (int k = 0; k < pIdx->nCol && bPlain; k++) {
    const DevdbIndexColumn *pC = &pIdx->aCol[k];
    int j = -1;
    for (int x = 0; pC->zName && x < pPair->pT->nCol; x++) {
      if (devdb_stricmp(pPair->pT->aCol[x].zName, pC->zName) == 0) j = x;
    }
    int i = j >= 0 ? pPair->aMap[j] : -1;
    bPlain = i >= 0 && !needs_coalesce(&pPair->pS->aCol[i], &pPair->pT->aCol[j]) &&
             strcmp(pPair->pS->aCol[i].zAff, pPair->pT->aCol[j].zAff) == 0;
    if (!bPlain) break;
    const char *zColl = pC->zCollate ? pC->zCollate : pPair->pT->aCol[j].zCollate;
    sqlite3_str_appendf(p, "%s\"%w\" COLLATE \"%w\"", k ? ", " : "",
                        pPair->pS->aCol[i].zName, zColl ? zColl : "BINARY");
  }
  char *z = str_done(P, p);
  return bPlain ? z : 0;
}

/* Count the duplicate groups of a UNIQUE probe into *pn. */
static int run_unique(Planner *P, const Probe *pProbe, const char *zFrom,
                      sqlite3_int64 *pn, char **pzErr) {
  const DevdbIndex *pIdx = pProbe->pUnique;
  char *zPlain = plain_unique_key(P, pProbe);
  if (zPlain) {
    return devdb_dup_count(P->db, P->zSchema, pProbe->pPair->pS->zName, zPlain, pn, 0,
                           pzErr);
  }
  char *zKey = unique_key(P, pProbe, 0), *zNotNull = unique_key(P, pProbe, 1);
  if (zKey == 0 || zNotNull == 0 || zFrom == 0) return SQLITE_NOMEM;
  const char *zWhere = pIdx && pIdx->zWhere ? pIdx->zWhere : "1";
  sqlite3_stmt *pStmt;
  int rc =
      devdb_prepare(P->db, &pStmt,
                    "SELECT count(*) FROM (SELECT 1 FROM %s WHERE %s AND (%s) GROUP BY "
                    "%s HAVING count(*) > 1)",
                    zFrom, zNotNull[0] ? zNotNull : "1", zWhere, zKey);
  if (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW)
    *pn = sqlite3_column_int64(pStmt, 0);
  if (pStmt) rc = sqlite3_finalize(pStmt);
  if (rc != SQLITE_OK) *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(P->db));
  return rc;
}

/* Record a probe's count n (or its error) as risk on its row. */
static void probe_result(Planner *P, const Probe *pProbe, int rc, sqlite3_int64 n,
                         const char *zErr) {
  if (rc != SQLITE_OK) {
    add_risk(P, pProbe->iRow, 0, "warning", "cannot count: %s",
             zErr ? zErr : sqlite3_errstr(rc));
  } else if (n > 0 || pProbe->mRisk == DEVDB_RISK_REBUILD) {
    add_risk(P, pProbe->iRow, pProbe->mRisk, pProbe->zLevel, "%lld %s%s%s", n,
             pProbe->zNoun, n == 1 ? "" : "s", pProbe->zRest);
  }
}

/*
** Run one expression probe as the plain aggregate a person would write,
** "SELECT count(*) FROM rows WHERE expr", so SQLite can use an index for it.
*/
static void run_probe_query(Planner *P, const Probe *pProbe, const char *zFrom) {
  sqlite3_stmt *pStmt = 0;
  sqlite3_int64 n = 0;
  int rc =
      devdb_prepare(P->db, &pStmt, "SELECT count(*) FROM %s%s%s", zFrom,
                    pProbe->zExpr ? " WHERE " : "", pProbe->zExpr ? pProbe->zExpr : "");
  if (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW)
    n = sqlite3_column_int64(pStmt, 0);
  if (pStmt) rc = sqlite3_finalize(pStmt);
  probe_result(P, pProbe, rc, n, rc ? sqlite3_errmsg(P->db) : 0);
}

/*
** Run the expression probes a[0..n) in one scan: "SELECT count(*),
** count(*) FILTER (WHERE expr), ... FROM rows". SQLITE_OK, or an error and
** nothing recorded.
*/
static int run_probe_scan(Planner *P, Probe **a, int n, const char *zFrom) {
  sqlite3_str *p = sqlite3_str_new(0);
  sqlite3_str_appendall(p, "SELECT ");
  for (int k = 0; k < n; k++) { /* FILTER skips the rows as WHERE does (3.30) */
    const char *zFmt = sqlite3_libversion_number() >= 3030000
                           ? "%scount(*) FILTER (WHERE %s)"
                           : "%ssum(CASE WHEN %s THEN 1 ELSE 0 END)";
    if (a[k]->zExpr)
      sqlite3_str_appendf(p, zFmt, k ? ", " : "", a[k]->zExpr);
    else
      sqlite3_str_appendf(p, "%scount(*)", k ? ", " : "");
  }
  sqlite3_str_appendf(p, " FROM %s", zFrom);
  char *zSql = str_done(P, p);
  sqlite3_stmt *pStmt = 0;
  int rc = zSql ? sqlite3_prepare_v2(P->db, zSql, -1, &pStmt, 0) : SQLITE_NOMEM;
  if (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    for (int k = 0; k < n; k++)
      probe_result(P, a[k], SQLITE_OK, sqlite3_column_int64(pStmt, k), 0);
    rc = SQLITE_OK;
  }
  if (pStmt && sqlite3_finalize(pStmt) != SQLITE_OK && rc == SQLITE_OK) rc = SQLITE_ERROR;
  return rc;
}

/* 1 when a table has an index an aggregate could use instead of the table. */
static int has_index(const DevdbTable *pTab) {
  for (int i = 0; i < pTab->nIndex; i++) {
    if (pTab->apIndex[i]->eOrigin != DEVDB_IDX_PK || !pTab->bWithoutRowid) return 1;
  }
  return 0;
}

/*
** Run every probe of one pair. Duplicate counts are one GROUP BY each. The
** others: when the table has an index, one query per count, so each is the
** plain aggregate (an index can answer it, count(*) reads the smallest
** index); without one, every count needs the same full scan: one scan for all.
*/
static void run_pair_probes(Planner *P, Probe **aProbe, int nProbe) {
  Pair *pPair = aProbe[0]->pPair;
  Probe **a = devdb_arena_alloc(P->pA, sizeof(Probe *) * (nProbe + 1));
  char *zFrom = probe_from(P, pPair), *zErr = 0;
  int n = 0;
  if (zFrom == 0 || a == 0) return;
  for (int k = 0; k < nProbe; k++) {
    Probe *pProbe = aProbe[k];
    if (!((pProbe->mRisk ? pProbe->mRisk : DEVDB_COUNT_WARNING) & P->mCount)) continue;
    if (pProbe->pUnique || pProbe->pPkOf) {
      sqlite3_int64 nDup = 0;
      int rc = run_unique(P, pProbe, zFrom, &nDup, &zErr);
      probe_result(P, pProbe, rc, nDup, zErr);
      sqlite3_free(zErr);
      zErr = 0;
    } else {
      a[n++] = pProbe;
    }
  }
  if (n > 1 && !has_index(pPair->pS) && run_probe_scan(P, a, n, zFrom) == SQLITE_OK)
    return;
  for (int k = 0; k < n; k++) run_probe_query(P, a[k], zFrom);
}

/* Probes in the order of their tables, then of their registration. */
static int probe_cmp(const void *pA, const void *pB) {
  const Probe *a = *(Probe *const *)pA, *b = *(Probe *const *)pB;
  if (a->pPair != b->pPair) return a->pPair < b->pPair ? -1 : 1;
  return a < b ? -1 : a > b;
}

/* Register the counts of every changed pair and run them, table by table. */
static void run_probes(Planner *P) {
  if (P->db == 0) return;
  for (int i = 0; i < P->nPair; i++) {
    Pair *pPair = &P->aPair[i];
    if (pPair->pS && pPair->pT &&
        (pPair->eAct == ACT_NATIVE || pPair->eAct == ACT_REBUILD))
      probe_pair(P, pPair);
  }
  int n = P->probes.n;
  Probe **a = devdb_arena_alloc(P->pA, sizeof(Probe *) * (n + 1));
  if (a == 0) return;
  for (int k = 0; k < n; k++) a[k] = &P->probes.a[k];
  qsort(a, n, sizeof(Probe *), probe_cmp);
  for (int k = 0, j; k < n && !P->pA->bOom; k = j) {
    for (j = k + 1; j < n && a[j]->pPair == a[k]->pPair;) j++;
    run_pair_probes(P, &a[k], j - k);
  }
}

/* ------------------------------------------------------------- entry */

/* "needs SQLite X.Y.Z" on every row whose SQL needs more than 3.8.0. */
static void add_versions(Planner *P) {
  for (int i = 0; i < P->pPlan->nChange; i++) {
    int v = P->pPlan->aChange[i].iMinVersion;
    if (v > V_PARTIAL_INDEX && P->pPlan->aChange[i].zSql) {
      add_risk(P, i, 0, "needs", "SQLite %d.%d.%d", v / 1000000, v / 1000 % 1000,
               v % 1000);
    }
  }
}

static void plan_all(Planner *P) {
  pair_tables(P);
  for (int i = 0; i < P->nPair && P->rc == SQLITE_OK; i++) prepare_pair(P, &P->aPair[i]);
  for (int i = 0; i < P->nPair && P->rc == SQLITE_OK; i++) compare_pair(P, &P->aPair[i]);
  if (P->rc != SQLITE_OK || P->pA->bOom) return;
  mark_views_triggers(P);
  emit_drop_views_triggers(P);
  emit_drop_indexes(P);
  emit_drop_tables(P);
  emit_table_renames(P);
  emit_tables(P);
  emit_create_indexes(P);
  emit_create_views(P);
  emit_create_triggers(P);
  list_fk_tables(P);
  run_probes(P);
  add_versions(P);
}

int devdb_plan_build(sqlite3 *db, const char *zSchema, const DevdbSchema *pFrom,
                     const DevdbSchema *pTo, const char *zOpts, int mCount,
                     DevdbPlan **ppPlan, char **pzErr) {
  Planner P;
  memset(&P, 0, sizeof(P));
  *ppPlan = 0;
  *pzErr = 0;
  P.pPlan = sqlite3_malloc64(sizeof(DevdbPlan));
  if (P.pPlan == 0) return SQLITE_NOMEM;
  memset(P.pPlan, 0, sizeof(DevdbPlan));
  P.pA = &P.pPlan->arena;
  P.pS = pFrom;
  P.pT = pTo;
  P.db = db;
  P.mCount = mCount;
  P.zSchema = P.pPlan->zSchema = devdb_arena_strndup(P.pA, zSchema, -1);
  P.rc = devdb_diff_opts(P.pA, zOpts, &P.opts, &P.zErr);
  if (P.rc == SQLITE_OK && P.zSchema) plan_all(&P);
  devdb_map_clear(&P.mByS);
  devdb_map_clear(&P.mByT);
  devdb_map_clear(&P.mViewDrop);
  devdb_map_clear(&P.mTrigDrop);
  devdb_map_clear(&P.mIdxDrop);
  devdb_map_clear(&P.mParents);
  devdb_map_clear(&P.mCascade);
  devdb_map_clear(&P.mShape);
  devdb_map_clear(&P.mHistory);
  if (P.rc == SQLITE_OK && P.pA->bOom) P.rc = SQLITE_NOMEM;
  if (P.rc != SQLITE_OK) {
    devdb_plan_free(P.pPlan);
    *pzErr = P.zErr ? P.zErr : sqlite3_mprintf("%s", sqlite3_errstr(P.rc));
    return P.rc;
  }
  *ppPlan = P.pPlan;
  return SQLITE_OK;
}

void devdb_plan_free(DevdbPlan *p) {
  if (p == 0) return;
  sqlite3_free(p->aChange);
  devdb_arena_free(&p->arena);
  sqlite3_free(p);
}
