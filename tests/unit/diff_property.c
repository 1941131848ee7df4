/*
** diff_property: the property test of devdb_apply. A seeded generator makes
** pairs of schemas (a source and a target that differs from it in a few
** changes) that use every object kind and clause devdb models, fills the
** source with random rows, and applies the target. Then either
**   - it succeeded: main's model equals the target's (columns in order,
**     constraints, indexes, views, triggers), every surviving column kept
**     its values (converted by the target's affinity, NULLs of new NOT NULL
**     columns filled from the default), rowids kept, integrity_check ok,
**     foreign_key_check empty, no transaction open, foreign_keys restored;
**   - or it refused with a message that names the conflicting data, and
**     the database is unchanged (schema text and rows).
**
**   diff_property [--pairs N] [--seconds S] [--seed X] [--verbose]
**
** Default: 1,000 pairs from seed 1 (make test). make fuzz-diff SECONDS=N
** runs as many pairs as fit in N seconds from a seed taken from the clock.
** Prints "ok ..." per property, "FAIL ..." with the seed and both schemas.
*/
#include "devdb.h"
#include "unit.h"

#include <stdlib.h>
#include <time.h>

int sqlite3_devdb_init(sqlite3 *, char **, const sqlite3_api_routines *);

/* ------------------------------------------------------------ random */

static unsigned long long rngState;
static unsigned rnd(unsigned n) {
  rngState = rngState * 6364136223846793005ULL + 1442695040888963407ULL;
  return n ? (unsigned)((rngState >> 33) % n) : 0;
}
static int chance(int pct) {
  return (int)rnd(100) < pct;
}
static const char *pick(const char **a, int n) {
  return a[rnd(n)];
}

/* -------------------------------------------------------------- model */

#define MAXT 5
#define MAXC 7
#define MAXI 8
#define MAXV 4
#define MAXTR 4

typedef struct GCol {
  char zName[16];
  const char *zType;
  int bNotNull;
  const char *zDefault; /* NULL: none */
  int bNocase;
  int bCheck;
  int bUnique;
  int eGen; /* 0, 1 VIRTUAL, 2 STORED: AS (<col 0> || '') */
  int iFk;  /* parent table or -1 */
  const char *zFkAction;
} GCol;

typedef struct GTable {
  char zName[16];
  int bAlive, bStrict, bWr;
  int ePk; /* 0 none, 1 INTEGER PRIMARY KEY col 0, 2 PRIMARY KEY(c0, c1), 3 INT PRIMARY
              KEY col 0 */
  int bAutoinc;
  int bTableCheck;
  int nCol;
  GCol aCol[MAXC];
} GTable;

typedef struct GIndex {
  char zName[16];
  int bAlive, iTab, iCol, eKind; /* 0 column, 1 expression, 2 partial */
  int bUnique, bDesc;
} GIndex;

typedef struct GView {
  char zName[16];
  int bAlive, iTab, iView; /* over a table, or over another view (iView >= 0) */
} GView;

typedef struct GTrig {
  char zName[16];
  int bAlive, iTab, iCol;
} GTrig;

typedef struct GSchema {
  GTable aTab[MAXT];
  GIndex aIdx[MAXI];
  GView aView[MAXV];
  GTrig aTrig[MAXTR];
  int nTab, nIdx, nView, nTrig;
  int nNameSeq;
} GSchema;

static const char *azLooseType[] = {"INTEGER", "INT",     "TEXT",        "REAL",
                                    "BLOB",    "NUMERIC", "VARCHAR(10)", ""};
static const char *azStrictType[] = {"INTEGER", "INT", "TEXT", "REAL", "BLOB", "ANY"};
static const char *azDefault[] = {"0", "1", "'x'", "'12'", "1.5", "NULL", "-3", "x'00'"};
static const char *azFkAction[] = {"", " ON DELETE CASCADE", " ON DELETE SET NULL",
                                   " ON UPDATE CASCADE"};

/* The table's primary key column for foreign keys: a single-column key. */
static int single_pk(const GTable *t) {
  return t->bAlive && (t->ePk == 1 || t->ePk == 3);
}

static void random_column(GSchema *g, GTable *t, GCol *c, int iCol, int iTab) {
  snprintf(c->zName, sizeof(c->zName), "c%d", g->nNameSeq++);
  c->zType = t->bStrict ? pick(azStrictType, 6) : pick(azLooseType, 8);
  c->bNotNull = chance(20);
  c->zDefault = chance(35) ? pick(azDefault, 8) : 0;
  c->bNocase = chance(10) && strcmp(c->zType, "TEXT") == 0;
  c->bCheck = chance(10);
  c->bUnique = chance(8);
  c->eGen = iCol > 1 && chance(8) ? 1 + (int)rnd(2) : 0;
  c->iFk = -1;
  if (c->eGen) c->bUnique = 0, c->zDefault = 0, c->bNotNull = 0;
  if (c->eGen && t->bStrict) c->zType = chance(50) ? "TEXT" : "ANY";
  if (!c->eGen && chance(25)) {
    int p = (int)rnd(iTab + 1);
    if (p < iTab && single_pk(&g->aTab[p])) {
      c->iFk = p;
      c->zFkAction = pick(azFkAction, 4);
    }
  }
}

static void random_table(GSchema *g, int iTab) {
  GTable *t = &g->aTab[iTab];
  memset(t, 0, sizeof(*t));
  snprintf(t->zName, sizeof(t->zName), "t%d", iTab);
  t->bAlive = 1;
  t->bStrict = chance(20);
  t->ePk = (int)rnd(4);
  t->bWr = t->ePk && chance(15);
  t->bAutoinc = t->ePk == 1 && !t->bWr && chance(30);
  t->nCol = 2 + (int)rnd(MAXC - 2);
  for (int i = 0; i < t->nCol; i++) random_column(g, t, &t->aCol[i], i, iTab);
  if (t->ePk == 1 || t->ePk == 3) {
    t->aCol[0].zType = t->ePk == 1 ? "INTEGER" : "INT";
    t->aCol[0].eGen = 0;
    t->aCol[0].iFk = -1;
  }
  if (t->ePk == 2) t->aCol[0].eGen = t->aCol[1].eGen = 0;
  t->bTableCheck = chance(10);
}

static void random_schema(GSchema *g) {
  memset(g, 0, sizeof(*g));
  g->nTab = 1 + (int)rnd(4);
  for (int i = 0; i < g->nTab; i++) random_table(g, i);
  g->nIdx = (int)rnd(4);
  for (int i = 0; i < g->nIdx; i++) {
    GIndex *x = &g->aIdx[i];
    snprintf(x->zName, sizeof(x->zName), "i%d", i);
    x->bAlive = 1;
    x->iTab = (int)rnd(g->nTab);
    x->iCol = (int)rnd(g->aTab[x->iTab].nCol);
    x->eKind = (int)rnd(3);
    x->bUnique = chance(25);
    x->bDesc = chance(20);
  }
  g->nView = (int)rnd(3);
  for (int i = 0; i < g->nView; i++) {
    GView *v = &g->aView[i];
    snprintf(v->zName, sizeof(v->zName), "v%d", i);
    v->bAlive = 1;
    v->iTab = (int)rnd(g->nTab);
    v->iView = i > 0 && chance(40) ? (int)rnd(i) : -1;
  }
  g->nTrig = (int)rnd(3);
  for (int i = 0; i < g->nTrig; i++) {
    GTrig *tr = &g->aTrig[i];
    snprintf(tr->zName, sizeof(tr->zName), "tr%d", i);
    tr->bAlive = 1;
    tr->iTab = (int)rnd(g->nTab);
    tr->iCol = (int)rnd(g->aTab[tr->iTab].nCol);
  }
}

/* ------------------------------------------------------------- render */

static void render_column(sqlite3_str *p, const GSchema *g, const GTable *t, int i) {
  const GCol *c = &t->aCol[i];
  sqlite3_str_appendf(p, "%s%s %s", i ? ",\n  " : "  ", c->zName, c->zType);
  if ((t->ePk == 1 || t->ePk == 3) && i == 0) {
    sqlite3_str_appendall(p, " PRIMARY KEY");
    if (t->bAutoinc) sqlite3_str_appendall(p, " AUTOINCREMENT");
  }
  if (c->eGen) {
    sqlite3_str_appendf(p, " AS (%s || '') %s", t->aCol[0].zName,
                        c->eGen == 2 ? "STORED" : "VIRTUAL");
    return;
  }
  if (c->bNotNull) sqlite3_str_appendall(p, " NOT NULL");
  if (c->zDefault) sqlite3_str_appendf(p, " DEFAULT %s", c->zDefault);
  if (c->bNocase) sqlite3_str_appendall(p, " COLLATE NOCASE");
  if (c->bCheck) sqlite3_str_appendf(p, " CHECK (length(%s) < 4)", c->zName);
  if (c->bUnique) sqlite3_str_appendall(p, " UNIQUE");
  if (c->iFk >= 0) {
    const GTable *pP = &g->aTab[c->iFk];
    sqlite3_str_appendf(p, " REFERENCES %s(%s)%s", pP->zName, pP->aCol[0].zName,
                        c->zFkAction);
  }
}

static void render_table(sqlite3_str *p, const GSchema *g, const GTable *t) {
  sqlite3_str_appendf(p, "CREATE TABLE %s (\n", t->zName);
  for (int i = 0; i < t->nCol; i++) render_column(p, g, t, i);
  if (t->ePk == 2)
    sqlite3_str_appendf(p, ",\n  PRIMARY KEY (%s, %s)", t->aCol[0].zName,
                        t->aCol[1].zName);
  if (t->bTableCheck && t->nCol > 1 && !t->aCol[1].eGen)
    sqlite3_str_appendf(p, ",\n  CHECK (%s IS NOT %s || 'zz')", t->aCol[0].zName,
                        t->aCol[1].zName);
  sqlite3_str_appendf(p, "\n)%s%s%s;\n", t->bStrict ? " STRICT" : "",
                      t->bStrict && t->bWr ? "," : "", t->bWr ? " WITHOUT ROWID" : "");
}

static char *render(const GSchema *g) {
  sqlite3_str *p = sqlite3_str_new(0);
  for (int i = 0; i < g->nTab; i++) {
    if (g->aTab[i].bAlive) render_table(p, g, &g->aTab[i]);
  }
  for (int i = 0; i < g->nIdx; i++) {
    const GIndex *x = &g->aIdx[i];
    if (!x->bAlive) continue;
    const GTable *t = &g->aTab[x->iTab];
    const char *zCol = t->aCol[x->iCol].zName;
    sqlite3_str_appendf(p, "CREATE %sINDEX %s ON %s(", x->bUnique ? "UNIQUE " : "",
                        x->zName, t->zName);
    if (x->eKind == 1)
      sqlite3_str_appendf(p, "lower(%s)", zCol);
    else
      sqlite3_str_appendf(p, "%s%s", zCol, x->bDesc ? " DESC" : "");
    sqlite3_str_appendf(p, ")%s%s%s;\n", x->eKind == 2 ? " WHERE " : "",
                        x->eKind == 2 ? zCol : "", x->eKind == 2 ? " IS NOT NULL" : "");
  }
  for (int i = 0; i < g->nView; i++) {
    const GView *v = &g->aView[i];
    if (!v->bAlive) continue;
    if (v->iView >= 0)
      sqlite3_str_appendf(p, "CREATE VIEW %s AS SELECT n + 1 AS n FROM %s;\n", v->zName,
                          g->aView[v->iView].zName);
    else
      sqlite3_str_appendf(p, "CREATE VIEW %s AS SELECT count(*) AS n FROM %s;\n",
                          v->zName, g->aTab[v->iTab].zName);
  }
  for (int i = 0; i < g->nTrig; i++) {
    const GTrig *tr = &g->aTrig[i];
    if (!tr->bAlive) continue;
    const GTable *t = &g->aTab[tr->iTab];
    sqlite3_str_appendf(p,
                        "CREATE TRIGGER %s AFTER UPDATE OF %s ON %s BEGIN SELECT "
                        "count(*) FROM %s; END;\n",
                        tr->zName, t->aCol[tr->iCol].zName, t->zName, t->zName);
  }
  char *z = sqlite3_str_finish(p);
  return z ? z : sqlite3_mprintf("");
}

/* ------------------------------------------------------------ mutate */

/* Remove what depends on column iCol of table iTab (before it goes). */
static void drop_column_uses(GSchema *g, int iTab, int iCol) {
  GTable *t = &g->aTab[iTab];
  for (int i = 0; i < g->nIdx; i++) {
    if (g->aIdx[i].iTab == iTab && g->aIdx[i].iCol == iCol) g->aIdx[i].bAlive = 0;
    if (g->aIdx[i].iTab == iTab && g->aIdx[i].iCol > iCol) g->aIdx[i].iCol--;
  }
  for (int i = 0; i < g->nTrig; i++) {
    if (g->aTrig[i].iTab == iTab && g->aTrig[i].iCol == iCol) g->aTrig[i].bAlive = 0;
    if (g->aTrig[i].iTab == iTab && g->aTrig[i].iCol > iCol) g->aTrig[i].iCol--;
  }
  if (iCol <= 1) t->bTableCheck = 0;
}

/* Remove what depends on table iTab (before it goes). */
static void drop_table_uses(GSchema *g, int iTab) {
  for (int i = 0; i < g->nIdx; i++)
    if (g->aIdx[i].iTab == iTab) g->aIdx[i].bAlive = 0;
  for (int i = 0; i < g->nTrig; i++)
    if (g->aTrig[i].iTab == iTab) g->aTrig[i].bAlive = 0;
  for (int k = 0; k < 2; k++) {
    for (int i = 0; i < g->nView; i++) {
      GView *v = &g->aView[i];
      if ((v->iView < 0 && v->iTab == iTab) ||
          (v->iView >= 0 && !g->aView[v->iView].bAlive))
        v->bAlive = 0;
    }
  }
  for (int i = 0; i < g->nTab; i++) {
    for (int k = 0; k < g->aTab[i].nCol; k++)
      if (g->aTab[i].aCol[k].iFk == iTab) g->aTab[i].aCol[k].iFk = -1;
  }
}

/* A rename hint the mutation made, to pass to devdb_apply. */
static char zHints[256];

static void mutate_column(GSchema *g, GTable *t, int iTab) {
  int iCol = (int)rnd(t->nCol);
  GCol *c = &t->aCol[iCol];
  int bKey = iCol == 0 || (t->ePk == 2 && iCol == 1);
  switch (rnd(9)) {
  case 0: /* add a column at the end or in the middle */
    if (t->nCol < MAXC) {
      int at = chance(60) ? t->nCol : 2 + (int)rnd(t->nCol - 1);
      if (at > t->nCol) at = t->nCol;
      memmove(&t->aCol[at + 1], &t->aCol[at], sizeof(GCol) * (t->nCol - at));
      random_column(g, t, &t->aCol[at], at, iTab);
      t->aCol[at].iFk = -1;
      t->nCol++;
      for (int i = 0; i < g->nIdx; i++)
        if (g->aIdx[i].iTab == iTab && g->aIdx[i].iCol >= at) g->aIdx[i].iCol++;
      for (int i = 0; i < g->nTrig; i++)
        if (g->aTrig[i].iTab == iTab && g->aTrig[i].iCol >= at) g->aTrig[i].iCol++;
    }
    break;
  case 1: /* drop a column */
    if (!bKey && t->nCol > 2 && iCol > 1) {
      drop_column_uses(g, iTab, iCol);
      memmove(c, c + 1, sizeof(GCol) * (t->nCol - iCol - 1));
      t->nCol--;
    }
    break;
  case 2:
    if (!bKey && !c->eGen)
      c->zType = t->bStrict ? pick(azStrictType, 6) : pick(azLooseType, 8);
    break;
  case 3:
    if (!c->eGen) c->bNotNull = !c->bNotNull;
    break;
  case 4:
    if (!c->eGen) c->zDefault = chance(30) ? 0 : pick(azDefault, 8);
    break;
  case 5:
    if (!c->eGen) c->bCheck = !c->bCheck;
    break;
  case 6:
    if (!c->eGen && !bKey) c->bUnique = !c->bUnique;
    break;
  case 7:
    if (!c->eGen && strcmp(c->zType, "TEXT") == 0) c->bNocase = !c->bNocase;
    break;
  default: /* rename, with a hint */
    if (!bKey && zHints[0] == 0) {
      char zOld[16];
      memcpy(zOld, c->zName, sizeof(zOld));
      snprintf(c->zName, sizeof(c->zName), "r%d", g->nNameSeq++);
      snprintf(zHints, sizeof(zHints), "rename:%s.%s=%s", t->zName, zOld, c->zName);
    }
    break;
  }
}

static void mutate_table(GSchema *g, int iTab) {
  GTable *t = &g->aTab[iTab];
  switch (rnd(6)) {
  case 0:
    t->bStrict = !t->bStrict;
    for (int i = 0; i < t->nCol; i++) {
      GCol *c = &t->aCol[i];
      if (t->bStrict && (c->zType[0] == 0 || strcmp(c->zType, "NUMERIC") == 0 ||
                         strcmp(c->zType, "VARCHAR(10)") == 0))
        c->zType = "TEXT";
      if (!t->bStrict && strcmp(c->zType, "ANY") == 0) c->zType = "";
      if (t->bStrict && c->eGen) c->zType = "TEXT";
    }
    break;
  case 1:
    if (t->ePk) t->bWr = !t->bWr, t->bAutoinc = 0;
    break;
  case 2:
    t->bTableCheck = !t->bTableCheck;
    break;
  case 3:
    if (!t->bWr && t->ePk != 2) {
      t->ePk = t->ePk == 1 ? 3 : 1;
      t->aCol[0].zType = t->ePk == 1 ? "INTEGER" : "INT";
      t->bAutoinc = 0;
      for (int i = 0; i < g->nTab; i++)
        for (int k = 0; k < g->aTab[i].nCol; k++)
          if (g->aTab[i].aCol[k].iFk == iTab) g->aTab[i].aCol[k].iFk = -1;
    }
    break;
  case 4:
    for (int i = 0; i < t->nCol; i++)
      if (t->aCol[i].iFk >= 0) t->aCol[i].zFkAction = pick(azFkAction, 4);
    break;
  default:
    mutate_column(g, t, iTab);
    break;
  }
}

static void mutate(GSchema *g) {
  int n = 1 + (int)rnd(3);
  for (int k = 0; k < n; k++) {
    int iTab = (int)rnd(g->nTab);
    switch (rnd(10)) {
    case 0:
      if (g->nTab < MAXT) {
        random_table(g, g->nTab);
        g->nTab++;
      }
      break;
    case 1:
      if (g->aTab[iTab].bAlive) {
        drop_table_uses(g, iTab);
        g->aTab[iTab].bAlive = 0;
      }
      break;
    case 2:
      if (g->nIdx > 0) {
        GIndex *x = &g->aIdx[rnd(g->nIdx)];
        x->bUnique = !x->bUnique;
      }
      break;
    case 3:
      if (g->nView > 0) g->aView[rnd(g->nView)].bAlive = 0;
      break;
    case 4:
      if (g->nTrig > 0) g->aTrig[rnd(g->nTrig)].bAlive = 0;
      break;
    case 5: /* rename a table, with a hint */
      if (g->aTab[iTab].bAlive && zHints[0] == 0 && chance(50)) {
        char zOld[16];
        memcpy(zOld, g->aTab[iTab].zName, sizeof(zOld));
        snprintf(g->aTab[iTab].zName, 16, "n%d", g->nNameSeq++);
        snprintf(zHints, sizeof(zHints), "rename:%s=%s", zOld, g->aTab[iTab].zName);
      }
      break;
    default:
      if (g->aTab[iTab].bAlive) mutate_table(g, iTab);
      break;
    }
  }
}

/* ---------------------------------------------------------------- data */

static const char *azValue[] = {"NULL",  "1",     "2",     "-7", "1.5", "'12'", "'abc'",
                                "'ABC'", "x'01'", "'1.0'", "3",  "''",  "'x'",  "0"};

/* Fill the alive tables with random rows (foreign keys on: no orphans). */
static void fill(sqlite3 *db, const GSchema *g) {
  sqlite3_exec(db, "PRAGMA foreign_keys=ON", 0, 0, 0);
  for (int i = 0; i < g->nTab; i++) {
    const GTable *t = &g->aTab[i];
    if (!t->bAlive) continue;
    int nRow = (int)rnd(12);
    for (int r = 0; r < nRow; r++) {
      sqlite3_str *p = sqlite3_str_new(0);
      sqlite3_str_appendf(p, "INSERT INTO %s(", t->zName);
      int n = 0;
      for (int k = 0; k < t->nCol; k++) {
        if (t->aCol[k].eGen) continue;
        sqlite3_str_appendf(p, "%s%s", n++ ? ", " : "", t->aCol[k].zName);
      }
      sqlite3_str_appendall(p, ") VALUES (");
      n = 0;
      for (int k = 0; k < t->nCol; k++) {
        if (t->aCol[k].eGen) continue;
        const char *zV = azValue[rnd(14)];
        if (t->aCol[k].iFk >= 0 || (k == 0 && t->ePk)) zV = azValue[1 + rnd(3)];
        if (t->aCol[k].iFk >= 0 && chance(30)) zV = "NULL";
        sqlite3_str_appendf(p, "%s%s", n++ ? ", " : "", zV);
      }
      sqlite3_str_appendall(p, ")");
      char *zSql = sqlite3_str_finish(p);
      sqlite3_exec(db, zSql, 0, 0, 0);
      sqlite3_free(zSql);
    }
    if (chance(30) && !t->bWr) { /* a gap: AUTOINCREMENT's counter is above max(rowid) */
      char *zSql =
          sqlite3_mprintf("DELETE FROM %s WHERE rowid IN (SELECT max(rowid) FROM %s)",
                          t->zName, t->zName);
      sqlite3_exec(db, zSql, 0, 0, 0);
      sqlite3_free(zSql);
    }
  }
  sqlite3_exec(db, "PRAGMA foreign_keys=OFF", 0, 0, 0);
}

/* -------------------------------------------------------------- checks */

/* The text of a query's rows, one "a|b" per line (malloc'd). */
static char *query_text(sqlite3 *db, const char *zSql) {
  sqlite3_str *p = sqlite3_str_new(0);
  sqlite3_stmt *pStmt = 0;
  if (sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0) != SQLITE_OK) {
    sqlite3_str_appendf(p, "error: %s", sqlite3_errmsg(db));
  }
  while (pStmt && sqlite3_step(pStmt) == SQLITE_ROW) {
    for (int i = 0; i < sqlite3_column_count(pStmt); i++) {
      const char *z = (const char *)sqlite3_column_text(pStmt, i);
      sqlite3_str_appendf(p, "%s%s", i ? "|" : "", z ? z : "NULL");
    }
    sqlite3_str_appendchar(p, 1, '\n');
  }
  sqlite3_finalize(pStmt);
  char *z = sqlite3_str_finish(p);
  return z ? z : sqlite3_mprintf("");
}

/* The model of a source as comparable text: columns in order, the rest sorted. */
static char *model_text(sqlite3 *db, const char *zSource) {
  char *zSql = sqlite3_mprintf(
      "SELECT kind, tbl, name, CASE WHEN kind = 'column' THEN seq END, def FROM "
      "devdb_schema(%Q) ORDER BY tbl, kind = 'column' DESC, 4, kind, name, def",
      zSource);
  char *z = query_text(db, zSql);
  sqlite3_free(zSql);
  return z;
}

/* Every row of every table of main, as text (the "logically unchanged" check). */
static char *data_text(sqlite3 *db) {
  sqlite3_str *p = sqlite3_str_new(0);
  char *zNames =
      query_text(db, "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name");
  for (char *z = zNames; z && *z;) {
    char *zEnd = strchr(z, '\n');
    if (zEnd == 0) break;
    *zEnd = 0;
    char *zSql = sqlite3_mprintf("SELECT * FROM \"%w\"", z);
    sqlite3_stmt *pStmt = 0;
    int nCol =
        sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0) ? 1 : sqlite3_column_count(pStmt);
    sqlite3_finalize(pStmt);
    sqlite3_free(zSql);
    sqlite3_str *pOrder = sqlite3_str_new(0);
    for (int i = 1; i <= nCol; i++)
      sqlite3_str_appendf(pOrder, "%s%d", i > 1 ? ", " : "", i);
    char *zOrder = sqlite3_str_finish(pOrder);
    zSql = sqlite3_mprintf("SELECT * FROM \"%w\" ORDER BY %s", z, zOrder);
    sqlite3_free(zOrder);
    char *zRows = query_text(db, zSql);
    sqlite3_str_appendf(p, "%s:\n%s", z, zRows);
    sqlite3_free(zRows);
    sqlite3_free(zSql);
    z = zEnd + 1;
  }
  sqlite3_free(zNames);
  return sqlite3_str_finish(p);
}

static char *schema_text(sqlite3 *db) {
  return query_text(db,
                    "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY 1, 2");
}

/* The source table iTab survives into the target under the same position. */
typedef struct Case {
  GSchema a, b;
  char *zA, *zB;
  char zOpts[300];
  int iPair;
} Case;

/* The column rename hint of the current pair: table, old and new name. */
static char zHintTab[16], zHintOld[16], zHintNew[16];

/*
** The values main now holds in the columns of table t (target) that the
** source had, against the source values converted by the target's column
** types (a scratch table declared like the target), rowids included for
** rowid tables. Returns NULL when equal, else a description.
*/
static char *compare_table_data(sqlite3 *db, const GTable *ta, const GTable *tb) {
  sqlite3_str *pDecl = sqlite3_str_new(0), *pSel = sqlite3_str_new(0),
              *pCols = sqlite3_str_new(0);
  /* rowids survive, unless the target makes another column the rowid */
  int bAliasA = ta->ePk == 1 && !ta->bWr, bAliasB = tb->ePk == 1 && !tb->bWr;
  int n = 0, bRowid = !ta->bWr && !tb->bWr && (!bAliasB || bAliasA);
  for (int j = 0; j < tb->nCol; j++) {
    const GCol *cb = &tb->aCol[j];
    const char *zSrc = cb->zName;
    if (strcmp(zHintTab, ta->zName) == 0 && strcmp(zHintNew, cb->zName) == 0)
      zSrc = zHintOld;
    const GCol *ca = 0;
    for (int i = 0; i < ta->nCol; i++) {
      if (strcmp(ta->aCol[i].zName, zSrc) == 0) ca = &ta->aCol[i];
    }
    if (ca == 0 || ca->eGen || cb->eGen) continue;
    if (j == 0 && bAliasB && !bAliasA) continue; /* NULLs there get new rowids */
    sqlite3_str_appendf(pDecl, "%s%s %s", n ? ", " : "", cb->zName, cb->zType);
    if (cb->bNotNull && cb->zDefault && strcmp(cb->zDefault, "NULL"))
      sqlite3_str_appendf(pSel, "%scoalesce(%s, %s)", n ? ", " : "", ca->zName,
                          cb->zDefault);
    else
      sqlite3_str_appendf(pSel, "%s%s", n ? ", " : "", ca->zName);
    sqlite3_str_appendf(pCols, "%squote(%s)", n ? ", " : "", cb->zName);
    n++;
  }
  char *zDecl = sqlite3_str_finish(pDecl), *zSel = sqlite3_str_finish(pSel);
  char *zCols = sqlite3_str_finish(pCols);
  char *zResult = 0;
  if (n > 0) {
    char *zSql = sqlite3_mprintf(
        "DROP TABLE IF EXISTS temp.expect; CREATE TEMP TABLE expect(%s%s)%s; "
        "INSERT INTO temp.expect SELECT %s%s FROM snap.%s;",
        bRowid ? "rid INTEGER, " : "", zDecl, tb->bStrict ? " STRICT" : "",
        bRowid ? "rid, " : "", zSel, ta->zName);
    char *zErr = 0;
    if (sqlite3_exec(db, zSql, 0, 0, &zErr) != SQLITE_OK) {
      zResult =
          sqlite3_mprintf("cannot build the expected rows of %s: %s", tb->zName, zErr);
    }
    sqlite3_free(zErr);
    sqlite3_free(zSql);
    if (zResult == 0) {
      char *zQ1 =
          sqlite3_mprintf("SELECT %s%s FROM temp.expect ORDER BY 1, 2, 3, 4, 5, 6, 7",
                          bRowid ? "rid, " : "", zCols);
      char *zQ2 = sqlite3_mprintf("SELECT %s%s FROM main.%s ORDER BY 1, 2, 3, 4, 5, 6, 7",
                                  bRowid ? "rowid, " : "", zCols, tb->zName);
      char *zE = query_text(db, zQ1), *zG = query_text(db, zQ2);
      if (strcmp(zE, zG)) {
        zResult = sqlite3_mprintf("data of %s differs:\n--- expected\n%s--- got\n%s",
                                  tb->zName, zE, zG);
      }
      sqlite3_free(zQ1);
      sqlite3_free(zQ2);
      sqlite3_free(zE);
      sqlite3_free(zG);
    }
  }
  sqlite3_free(zDecl);
  sqlite3_free(zSel);
  sqlite3_free(zCols);
  return zResult;
}

/* Snapshot main's tables into the attached database snap (by source names). */
static void snapshot(sqlite3 *db, const GSchema *g) {
  sqlite3_exec(db, "ATTACH ':memory:' AS snap", 0, 0, 0);
  sqlite3_exec(db, "CREATE TABLE snap.seq AS SELECT * FROM main.sqlite_sequence", 0, 0,
               0);
  for (int i = 0; i < g->nTab; i++) {
    const GTable *t = &g->aTab[i];
    if (!t->bAlive) continue;
    char *zSql = t->bWr
                     ? sqlite3_mprintf("CREATE TABLE snap.%s AS SELECT * FROM main.%s",
                                       t->zName, t->zName)
                     : sqlite3_mprintf("CREATE TABLE snap.%s AS SELECT rowid AS rid, * "
                                       "FROM main.%s",
                                       t->zName, t->zName);
    sqlite3_exec(db, zSql, 0, 0, 0);
    sqlite3_free(zSql);
  }
}

/* After a successful apply: every property. NULL or what failed. */
static char *check_success(sqlite3 *db, Case *pCase) {
  char *zGot = model_text(db, "main"), *zWant = model_text(db, pCase->zB);
  char *zFail = 0;
  if (strcmp(zGot, zWant)) {
    zFail = sqlite3_mprintf("schema differs from the target:\n--- target\n%s--- main\n%s",
                            zWant, zGot);
  }
  sqlite3_free(zGot);
  sqlite3_free(zWant);
  const GSchema *pA = &pCase->a;
  const char *zHint = strstr(pCase->zOpts, "rename:");
  zHintTab[0] = zHintOld[0] = zHintNew[0] = 0;
  if (zHint) sscanf(zHint, "rename:%15[^.].%15[^=]=%15s", zHintTab, zHintOld, zHintNew);
  for (int i = 0; i < pCase->b.nTab && zFail == 0; i++) {
    const GTable *tb = &pCase->b.aTab[i];
    if (!tb->bAlive || i >= pA->nTab || !pA->aTab[i].bAlive) continue;
    zFail = compare_table_data(db, &pA->aTab[i], tb);
  }
  for (int i = 0; i < pCase->b.nTab && zFail == 0; i++) {
    const GTable *tb = &pCase->b.aTab[i];
    if (!tb->bAlive || !tb->bAutoinc || i >= pA->nTab || !pA->aTab[i].bAutoinc) continue;
    char *zSql =
        sqlite3_mprintf("SELECT s.seq, n.seq FROM snap.seq s LEFT JOIN "
                        "main.sqlite_sequence n ON n.name = %Q WHERE s.name = %Q "
                        "AND NOT (n.seq >= s.seq)",
                        tb->zName, pA->aTab[i].zName);
    char *z = query_text(db, zSql);
    if (z[0])
      zFail = sqlite3_mprintf("AUTOINCREMENT counter of %s went back: %s", tb->zName, z);
    sqlite3_free(z);
    sqlite3_free(zSql);
  }
  if (zFail == 0) {
    char *z = query_text(db, "PRAGMA main.integrity_check");
    if (strcmp(z, "ok\n")) zFail = sqlite3_mprintf("integrity_check: %s", z);
    sqlite3_free(z);
  }
  if (zFail == 0) {
    char *z =
        query_text(db, "SELECT * FROM pragma_foreign_key_check WHERE schema = 'main'");
    if (z[0]) zFail = sqlite3_mprintf("foreign_key_check: %s", z);
    sqlite3_free(z);
  }
  return zFail;
}

/* The message of a refusal must name the data it conflicts with. */
static int names_data(const char *zMsg) {
  static const char *az[] = {"row",
                             "value",
                             "duplicate",
                             "violation",
                             "NULL",
                             "constraint failed",
                             "cannot store",
                             "datatype mismatch",
                             "inside a transaction"};
  for (size_t k = 0; k < sizeof(az) / sizeof(az[0]); k++) {
    if (strstr(zMsg, az[k])) return 1;
  }
  return 0;
}

static int nApplied, nRefused, nLate, nInvalid;

/* Run one pair; NULL when every property held, else what failed. */
static char *run_case(Case *pCase, int bVerbose) {
  sqlite3 *db = 0;
  char *zErr = 0, *zFail = 0;
  sqlite3_open(":memory:", &db);
  sqlite3_devdb_init(db, 0, 0);
  if (sqlite3_exec(db, pCase->zA, 0, 0, &zErr) != SQLITE_OK) {
    nInvalid++;
    goto done;
  }
  sqlite3 *dbCheck = 0;
  sqlite3_open(":memory:", &dbCheck);
  int bBad = sqlite3_exec(dbCheck, pCase->zB, 0, 0, 0) != SQLITE_OK;
  sqlite3_close(dbCheck);
  if (bBad) {
    nInvalid++;
    goto done;
  }
  fill(db, &pCase->a);
  int bFkOn = chance(50);
  if (bFkOn) sqlite3_exec(db, "PRAGMA foreign_keys=ON", 0, 0, 0);
  char *zSchema0 = schema_text(db), *zData0 = data_text(db);
  snapshot(db, &pCase->a);
  sqlite3_stmt *pStmt = 0;
  if (bVerbose > 1) {
    char *zQ =
        sqlite3_mprintf("SELECT seq, change, detail, risk, sql FROM devdb_diff('main', "
                        "%Q, %Q)",
                        pCase->zB, pCase->zOpts);
    char *zRows = query_text(db, zQ);
    printf("--- data\n%s--- diff\n%s", zData0, zRows);
    sqlite3_free(zRows);
    sqlite3_free(zQ);
  }
  int bTxn = chance(20);
  if (bTxn) sqlite3_exec(db, "BEGIN", 0, 0, 0);
  sqlite3_prepare_v2(db, "SELECT devdb_apply(?1, ?2)", -1, &pStmt, 0);
  sqlite3_bind_text(pStmt, 1, pCase->zB, -1, SQLITE_STATIC);
  sqlite3_bind_text(pStmt, 2, pCase->zOpts, -1, SQLITE_STATIC);
  int rc = sqlite3_step(pStmt);
  char *zMsg =
      sqlite3_mprintf("%s", rc == SQLITE_ROW ? (const char *)sqlite3_column_text(pStmt, 0)
                                             : sqlite3_errmsg(db));
  sqlite3_finalize(pStmt);
  if (bVerbose)
    printf("# pair %d%s: %s\n", pCase->iPair, bTxn ? " (in a transaction)" : "", zMsg);
  if (bTxn && sqlite3_get_autocommit(db))
    zFail = sqlite3_mprintf("the caller's transaction ended");
  if (bTxn) sqlite3_exec(db, rc == SQLITE_ROW ? "COMMIT" : "ROLLBACK", 0, 0, 0);
  if (!zFail && !sqlite3_get_autocommit(db))
    zFail = sqlite3_mprintf("a transaction was left open");
  char *zFk = query_text(db, "PRAGMA foreign_keys");
  if (!zFail && bFkOn != (strcmp(zFk, "1\n") == 0))
    zFail = sqlite3_mprintf("foreign_keys was not restored");
  sqlite3_free(zFk);
  if (zFail == 0 && rc == SQLITE_ROW) {
    nApplied++;
    zFail = check_success(db, pCase);
  } else if (zFail == 0) {
    char *zSchema1 = schema_text(db), *zData1 = data_text(db);
    if (strstr(zMsg, "bug of devdb") || !names_data(zMsg)) {
      zFail = sqlite3_mprintf("apply failed: %s", zMsg);
    } else if (strcmp(zSchema0, zSchema1) || strcmp(zData0, zData1)) {
      zFail = sqlite3_mprintf("refused (%s) but the database changed", zMsg);
    }
    if (!strstr(zMsg, "would fail") && !strstr(zMsg, "refusing") &&
        !strstr(zMsg, "inside a transaction"))
      nLate++;
    else
      nRefused++;
    sqlite3_free(zSchema1);
    sqlite3_free(zData1);
  }
  sqlite3_free(zMsg);
  sqlite3_free(zSchema0);
  sqlite3_free(zData0);
done:
  sqlite3_free(zErr);
  sqlite3_close(db);
  return zFail;
}

/* The alive table of g named z, or NULL. */
static const GTable *table_named(const GSchema *g, const char *z) {
  for (int i = 0; i < g->nTab; i++) {
    if (g->aTab[i].bAlive && strcmp(g->aTab[i].zName, z) == 0) return &g->aTab[i];
  }
  return 0;
}

/* 1 when the hint of the mutation names objects of both schemas (a later
** mutation may have dropped what it renamed). */
static int hint_valid(const GSchema *a, const GSchema *b) {
  char zTab[16] = "", zOld[16] = "", zNew[16] = "";
  if (zHints[0] == 0) return 1;
  if (sscanf(zHints, "rename:%15[^.=].%15[^=]=%15s", zTab, zOld, zNew) == 3) {
    const GTable *ta = table_named(a, zTab), *tb = table_named(b, zTab);
    if (ta == 0 || tb == 0) return 0;
    int bOld = 0, bNew = 0;
    for (int i = 0; i < ta->nCol; i++) bOld |= strcmp(ta->aCol[i].zName, zOld) == 0;
    for (int i = 0; i < tb->nCol; i++) bNew |= strcmp(tb->aCol[i].zName, zNew) == 0;
    return bOld && bNew;
  }
  if (sscanf(zHints, "rename:%15[^=]=%15s", zOld, zNew) == 2)
    return table_named(a, zOld) && table_named(b, zNew) && !table_named(a, zNew);
  return 0;
}

/* Generate pair number iPair of seed iSeed into pCase. */
static void make_case(Case *pCase, unsigned long long iSeed, int iPair) {
  rngState = iSeed * 1000003ULL + (unsigned long long)iPair;
  rnd(1);
  memset(pCase, 0, sizeof(*pCase));
  pCase->iPair = iPair;
  zHints[0] = 0;
  random_schema(&pCase->a);
  pCase->b = pCase->a;
  mutate(&pCase->b);
  pCase->zA = render(&pCase->a);
  pCase->zB = render(&pCase->b);
  if (!hint_valid(&pCase->a, &pCase->b)) zHints[0] = 0;
  const char *zVersion = !chance(10)  ? ""
                         : chance(50) ? ",sqlite-version:3.24.0"
                                      : ",sqlite-version:3.34.0";
  snprintf(pCase->zOpts, sizeof(pCase->zOpts), "%s%s%s%s",
           chance(70) ? "allow-data-loss" : "", zHints[0] ? "," : "", zHints, zVersion);
}

int main(int argc, char **argv) {
  int nPairs = 1000, nSeconds = 0, bVerbose = 0, iOnly = -1;
  unsigned long long iSeed = 1;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--pairs") == 0 && i + 1 < argc)
      nPairs = atoi(argv[++i]);
    else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
      nSeconds = atoi(argv[++i]);
    else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
      iSeed = strtoull(argv[++i], 0, 10);
    else if (strcmp(argv[i], "--verbose") == 0)
      bVerbose = 1;
    else if (strcmp(argv[i], "--pair") == 0 && i + 1 < argc)
      iOnly = atoi(argv[++i]);
  }
  if (nSeconds > 0 && iSeed == 1) iSeed = (unsigned long long)time(0);
  time_t tEnd = time(0) + nSeconds;
  int nFail = 0, n = 0;
  for (int iPair = 0; nSeconds ? time(0) < tEnd : iPair < nPairs; iPair++, n++) {
    Case c;
    if (iOnly >= 0 && iPair != iOnly) continue;
    make_case(&c, iSeed, iPair);
    if (iOnly >= 0) bVerbose = 2;
    if (iOnly >= 0)
      printf("--- options %s\n--- source\n%s--- target\n%s", c.zOpts, c.zA, c.zB);
    char *zFail = run_case(&c, bVerbose);
    if (zFail) {
      nFail++;
      printf("FAIL diff-property seed %llu pair %d (options '%s'): %s\n--- source\n%s--- "
             "target\n%s",
             iSeed, iPair, c.zOpts, zFail, c.zA, c.zB);
      sqlite3_free(zFail);
    }
    sqlite3_free(c.zA);
    sqlite3_free(c.zB);
    if (nFail >= 5) break;
  }
  printf(
      "# %d pairs from seed %llu: %d applied, %d refused up front, %d failed during the "
      "change (rolled back), %d invalid\n",
      n, iSeed, nApplied, nRefused, nLate, nInvalid);
  if (nFail == 0) printf("ok diff-property %d pairs\n", n);
  return nFail || unit_failures() ? 1 : 0;
}
