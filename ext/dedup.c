/*
** dedup.c: duplicate rows, found and removed before a UNIQUE index fails
** on them (the dedup area). The grouping itself is dupgroup.c.
**
**   CREATE TABLE devdb_duplicates(
**     key         TEXT,  -- JSON array of the key values (the survivor's)
**     n           INT,   -- rows in the group
**     keep_rowid,        -- the row that survives: its rowid, or for a
**                        -- WITHOUT ROWID table its primary key as JSON
**     drop_rowids TEXT,  -- JSON array of the others, ascending
**     tbl  HIDDEN,       -- the table (name, or schema.name)
**     cols HIDDEN,       -- the key: "a, b", "email COLLATE NOCASE", ...
**     keep HIDDEN        -- first (default), last, or an ordering
**   );
**   devdb_dedup(tbl, cols [, keep [, refs]])   -> rows deleted
**   devdb_dup_scan(ptr, ...)                   -> internal (dupgroup.c)
**
** One row of devdb_duplicates per group of two or more rows that a UNIQUE
** index on cols would refuse: rows with a NULL in a key column are never
** duplicates, each key column compares under its declared collation or the
** one given in cols, an integer equals a real of the same value (1 = 1.0)
** and values of different classes never match (1 <> '1'), exactly as the
** index compares them. Groups of small tables come in the order of their
** first row; large tables are grouped bucket by bucket (ORDER BY for a
** fixed order). A BLOB key value shows as the text "x'0a0b'" in key.
**
** keep picks the survivor of each group: "first" (lowest rowid, or lowest
** primary key), "last", or an ordering such as "updated_at DESC, id": the
** first row in that order survives, ties going to the lowest rowid. An
** ordering term is "col [COLLATE c] [ASC|DESC] [NULLS FIRST|LAST]".
**
** devdb_dedup deletes every row of every group but the survivor and
** returns how many it deleted, in one transaction (a savepoint inside the
** caller's): on any error nothing has changed. refs says what happens to
** rows of other tables whose foreign keys point at a row to be deleted:
**   restrict  (default) refuse, naming each referencing table and count;
**   repoint   point them at the surviving row first (UPDATE OR ABORT), and
**             refuse, naming the child table, where that would break one of
**             its constraints (a UNIQUE key that would then repeat);
**   cascade   delete as the foreign keys say (ON DELETE CASCADE, SET NULL,
**             SET DEFAULT), refusing where one says RESTRICT or NO ACTION
**             and rows reference; PRAGMA foreign_keys is turned on for the
**             call when it is off (refused inside an open transaction).
** References are checked whatever PRAGMA foreign_keys says.
**
** Examples:
**   SELECT key, n, keep_rowid, drop_rowids
**     FROM devdb_duplicates('enrollment', 'user_id, course_id');
**   -- [7,3]|2|12|[40]
**   SELECT devdb_dedup('users', 'email COLLATE NOCASE', 'updated_at DESC');
**   -- 1
**   SELECT devdb_dedup('enrollment', 'user_id, course_id', 'first', 'repoint');
**
** NULL tbl or cols: no rows, NULL. Errors name the function and what is
** wrong: "devdb_dedup: no such column: users.mail". devdb_dedup refuses to
** run inside a statement that writes (call it from a plain SELECT) and on a
** read-only database. Both are DIRECTONLY: one deletes rows, the other
** scans whole tables with tens of megabytes of working memory, neither of
** which a view or trigger may start behind the user's back.
**
** Speed: one scan of the table reading only the id, key and ordering
** columns, then the deletes by rowid in ascending order with one prepared
** statement; memory stays near 48 MB at any table size (dupgroup.c).
*/
#include "devdb.h"

#include <string.h>

/* --------------------------------------------------------- dup_count */

int devdb_dup_count(sqlite3 *db, const char *zSchema, const char *zTbl, const char *zCols,
                    sqlite3_int64 *pnGroups, sqlite3_int64 *pnRows, char **pzErr) {
  DevdbDupSpec *pSpec = 0;
  DevdbDup *pDup = 0;
  sqlite3_int64 nGroups = 0, nRows = 0;
  int rc = devdb_dup_spec_new(db, zSchema, zTbl, zCols, 0, &pSpec, pzErr);
  if (rc == SQLITE_OK) rc = devdb_dup_open(db, pSpec, &pDup, pzErr);
  while (rc == SQLITE_OK && !devdb_dup_eof(pDup)) {
    for (int g = 0; g < devdb_dup_ngroup(pDup); g++) {
      nGroups++;
      nRows += devdb_dup_nmember(pDup, g) - 1;
    }
    rc = devdb_dup_next(pDup, pzErr);
  }
  devdb_dup_close(pDup);
  devdb_dup_spec_free(pSpec);
  if (rc == SQLITE_OK) {
    *pnGroups = nGroups;
    if (pnRows) *pnRows = nRows;
  }
  return rc;
}

/* ------------------------------------------------- devdb_duplicates */

typedef struct dup_vtab {
  sqlite3_vtab base; /* Base class - must be first */
  sqlite3 *db;
} dup_vtab;

typedef struct dup_cursor {
  sqlite3_vtab_cursor base; /* Base class - must be first */
  DevdbDupSpec *pSpec;
  DevdbDup *pDup;
  int iGroup;
  sqlite3_int64 iRowid;
  sqlite3_value *apArg[3]; /* tbl, cols, keep as given */
  DevdbDupText text;
} dup_cursor;

#define DUP_KEY 0
#define DUP_N 1
#define DUP_KEEP_ROWID 2
#define DUP_DROP_ROWIDS 3
#define DUP_TBL 4
#define DUP_COLS 5
#define DUP_KEEP 6

static int dupConnect(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                      sqlite3_vtab **ppVtab, char **pzErr) {
  int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(key TEXT, n INT, keep_rowid, "
                                    "drop_rowids TEXT, tbl HIDDEN, cols HIDDEN, "
                                    "keep HIDDEN)");
  if (rc != SQLITE_OK) return rc;
  dup_vtab *pNew = sqlite3_malloc(sizeof(*pNew));
  if (pNew == 0) return SQLITE_NOMEM;
  memset(pNew, 0, sizeof(*pNew));
  pNew->db = db;
  sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  *ppVtab = &pNew->base;
  return SQLITE_OK;
}

static int dupDisconnect(sqlite3_vtab *pVtab) {
  sqlite3_free(pVtab);
  return SQLITE_OK;
}

static int dupOpen(sqlite3_vtab *p, sqlite3_vtab_cursor **ppCursor) {
  dup_cursor *pCur = sqlite3_malloc(sizeof(*pCur));
  if (pCur == 0) return SQLITE_NOMEM;
  memset(pCur, 0, sizeof(*pCur));
  *ppCursor = &pCur->base;
  return SQLITE_OK;
}

static void dupReset(dup_cursor *pCur) {
  devdb_dup_close(pCur->pDup);
  devdb_dup_spec_free(pCur->pSpec);
  for (int i = 0; i < 3; i++) sqlite3_value_free(pCur->apArg[i]);
  sqlite3_free(pCur->text.z);
  memset(&pCur->pSpec, 0, sizeof(*pCur) - offsetof(dup_cursor, pSpec));
}

static int dupClose(sqlite3_vtab_cursor *cur) {
  dupReset((dup_cursor *)cur);
  sqlite3_free(cur);
  return SQLITE_OK;
}

/* idxNum bits 1, 2, 4: tbl, cols and keep are arguments, in that order. */
static int dupFilter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc,
                     sqlite3_value **argv) {
  dup_cursor *pCur = (dup_cursor *)cur;
  dupReset(pCur);
  for (int i = 0, j = 0; i < 3; i++) {
    if ((idxNum & (1 << i)) == 0) continue;
    if ((pCur->apArg[i] = sqlite3_value_dup(argv[j++])) == 0) return SQLITE_NOMEM;
  }
  if ((idxNum & 3) != 3) {
    devdb_vtab_error(cur->pVtab, "devdb_duplicates: needs a table and a column list: "
                                 "devdb_duplicates(tbl, cols [, keep])");
    return SQLITE_ERROR;
  }
  const char *azArg[3];
  for (int i = 0; i < 3; i++) azArg[i] = (const char *)sqlite3_value_text(pCur->apArg[i]);
  if (azArg[0] == 0 || azArg[1] == 0) return SQLITE_OK;
  char *zErr = 0;
  sqlite3 *db = ((dup_vtab *)cur->pVtab)->db;
  int rc = devdb_dup_spec_new(db, 0, azArg[0], azArg[1], azArg[2], &pCur->pSpec, &zErr);
  if (rc == SQLITE_OK) rc = devdb_dup_open(db, pCur->pSpec, &pCur->pDup, &zErr);
  if (rc != SQLITE_OK) {
    devdb_vtab_error(cur->pVtab, "devdb_duplicates: %s",
                     zErr ? zErr : sqlite3_errstr(rc));
    sqlite3_free(zErr);
    return rc == SQLITE_NOMEM ? rc : SQLITE_ERROR;
  }
  pCur->iRowid = 1;
  return SQLITE_OK;
}

static int dupNext(sqlite3_vtab_cursor *cur) {
  dup_cursor *pCur = (dup_cursor *)cur;
  pCur->iRowid++;
  if (++pCur->iGroup < devdb_dup_ngroup(pCur->pDup)) return SQLITE_OK;
  char *zErr = 0;
  pCur->iGroup = 0;
  int rc = devdb_dup_next(pCur->pDup, &zErr);
  if (rc != SQLITE_OK) {
    devdb_vtab_error(cur->pVtab, "devdb_duplicates: %s",
                     zErr ? zErr : sqlite3_errstr(rc));
    sqlite3_free(zErr);
  }
  return rc;
}

static int dupEof(sqlite3_vtab_cursor *cur) {
  dup_cursor *pCur = (dup_cursor *)cur;
  return pCur->pDup == 0 || devdb_dup_ngroup(pCur->pDup) == 0;
}

/* Make the text built by x the result. It goes with its NUL terminator
** (JSON holds none inside): SQLite copies it once, where text without one
** is copied again, to add it, by the first function that reads it. */
static void result_json(sqlite3_context *ctx, dup_cursor *pCur,
                        void (*x)(const DevdbDup *, int, DevdbDupText *)) {
  pCur->text.n = 0;
  x(pCur->pDup, pCur->iGroup, &pCur->text);
  if (pCur->text.rc != SQLITE_OK) {
    pCur->text.rc = SQLITE_OK;
    sqlite3_result_error_nomem(ctx);
    return;
  }
  pCur->text.z[pCur->text.n] = 0; /* DevdbDupText keeps a byte for it */
  sqlite3_result_text(ctx, pCur->text.z, -1, SQLITE_TRANSIENT);
}

static void json_keep(const DevdbDup *p, int iGroup, DevdbDupText *t) {
  devdb_dup_json_id(p, iGroup, 0, t);
}

static int dupColumn(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i) {
  dup_cursor *pCur = (dup_cursor *)cur;
  switch (i) {
  case DUP_KEY:
    result_json(ctx, pCur, devdb_dup_json_key);
    break;
  case DUP_N:
    sqlite3_result_int(ctx, devdb_dup_nmember(pCur->pDup, pCur->iGroup));
    break;
  case DUP_KEEP_ROWID:
    if (devdb_dup_spec_npk(pCur->pSpec) == 0)
      sqlite3_result_int64(ctx, devdb_dup_rowid(pCur->pDup, pCur->iGroup, 0));
    else
      result_json(ctx, pCur, json_keep);
    break;
  case DUP_DROP_ROWIDS:
    result_json(ctx, pCur, devdb_dup_json_drops);
    break;
  default:
    if (pCur->apArg[i - DUP_TBL]) sqlite3_result_value(ctx, pCur->apArg[i - DUP_TBL]);
  }
  return SQLITE_OK;
}

static int dupRowid(sqlite3_vtab_cursor *cur, sqlite_int64 *pRowid) {
  *pRowid = ((dup_cursor *)cur)->iRowid;
  return SQLITE_OK;
}

/* Use equality constraints on tbl, cols and keep; reject unusable ones. */
static int dupBestIndex(sqlite3_vtab *tab, sqlite3_index_info *pInfo) {
  int aiCons[3] = {-1, -1, -1}, nArg = 0;
  for (int i = 0; i < pInfo->nConstraint; i++) {
    const struct sqlite3_index_constraint *pC = &pInfo->aConstraint[i];
    if (pC->iColumn < DUP_TBL) continue;
    if (!pC->usable) return SQLITE_CONSTRAINT;
    if (pC->op == SQLITE_INDEX_CONSTRAINT_EQ) aiCons[pC->iColumn - DUP_TBL] = i;
  }
  pInfo->idxNum = 0;
  for (int i = 0; i < 3; i++) {
    if (aiCons[i] < 0) continue;
    pInfo->aConstraintUsage[aiCons[i]].argvIndex = ++nArg;
    pInfo->aConstraintUsage[aiCons[i]].omit = 1;
    pInfo->idxNum |= 1 << i;
  }
  pInfo->estimatedCost = (pInfo->idxNum & 3) == 3 ? 1e6 : 1e12;
  pInfo->estimatedRows = 1000;
  return SQLITE_OK;
}

static sqlite3_module dupModule = {
    0,             /* iVersion */
    0,             /* xCreate: eponymous only */
    dupConnect,    /* xConnect */
    dupBestIndex,  /* xBestIndex */
    dupDisconnect, /* xDisconnect */
    0,             /* xDestroy */
    dupOpen,       /* xOpen */
    dupClose,      /* xClose */
    dupFilter,     /* xFilter */
    dupNext,       /* xNext */
    dupEof,        /* xEof */
    dupColumn,     /* xColumn */
    dupRowid,      /* xRowid */
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

/* ------------------------------------------------------ devdb_dedup */

enum { REFS_RESTRICT, REFS_REPOINT, REFS_CASCADE };

/* A foreign key of a child table that points at the table being deduped. */
typedef struct DedupFk {
  char *zChild;
  int nCol;
  char **azFrom, **azTo;
  char *zOnDelete;
} DedupFk;

typedef struct Dedup {
  sqlite3 *db;
  const DevdbDupSpec *pSpec;
  const char *zSchema, *zTbl;
  int eRefs;
  int nPk; /* 0: rowid table */
  int nFk;
  DedupFk *aFk;
  /* the rows to delete, with their survivors when foreign keys need them */
  sqlite3_int64 nDrop, nAlloc;
  sqlite3_int64 *aDrop, *aKeep;
  DevdbDupText ids;      /* WITHOUT ROWID: encoded ids, drop then survivor */
  sqlite3_int64 *aOff;   /* WITHOUT ROWID: where each pair starts in ids */
  sqlite3_stmt *pDelete; /* DELETE one row by id */
  sqlite3_int64 nDeleted;
  int bStuck; /* the rollback failed: end the calling statement with NOMEM */
  char *zErr;
} Dedup;

static void fks_free(Dedup *p) {
  for (int i = 0; i < p->nFk; i++) {
    DedupFk *f = &p->aFk[i];
    sqlite3_free(f->zChild);
    sqlite3_free(f->zOnDelete);
    for (int j = 0; j < f->nCol; j++) {
      sqlite3_free(f->azFrom[j]);
      sqlite3_free(f->azTo[j]);
    }
    sqlite3_free(f->azFrom);
    sqlite3_free(f->azTo);
  }
  sqlite3_free(p->aFk);
  p->aFk = 0;
  p->nFk = 0;
}

/* Append column zFrom -> zTo to the last foreign key. */
static int fk_add_col(DedupFk *f, const char *zFrom, const char *zTo) {
  char **azFrom = sqlite3_realloc64(f->azFrom, sizeof(char *) * (f->nCol + 1));
  if (azFrom) f->azFrom = azFrom;
  char **azTo = sqlite3_realloc64(f->azTo, sizeof(char *) * (f->nCol + 1));
  if (azTo) f->azTo = azTo;
  if (azFrom == 0 || azTo == 0) return SQLITE_NOMEM;
  f->azFrom[f->nCol] = sqlite3_mprintf("%s", zFrom);
  f->azTo[f->nCol] = zTo ? sqlite3_mprintf("%s", zTo) : 0;
  f->nCol++;
  return f->azFrom[f->nCol - 1] && (zTo == 0 || f->azTo[f->nCol - 1]) ? SQLITE_OK
                                                                      : SQLITE_NOMEM;
}

/* An omitted parent column list means the parent's primary key. */
static int fk_resolve_to(Dedup *p, DedupFk *f) {
  for (int j = 0; j < f->nCol; j++) {
    if (f->azTo[j]) continue;
    sqlite3_stmt *pStmt = 0;
    int rc = devdb_prepare(p->db, &pStmt,
                           "SELECT name FROM pragma_table_info(%Q, %Q) WHERE pk = %d",
                           p->zTbl, p->zSchema, j + 1);
    if (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
      f->azTo[j] = sqlite3_mprintf("%s", sqlite3_column_text(pStmt, 0));
      if (f->azTo[j] == 0) rc = SQLITE_NOMEM;
    }
    sqlite3_finalize(pStmt);
    if (rc != SQLITE_OK) return rc;
    if (f->azTo[j] == 0) {
      p->zErr = sqlite3_mprintf("the foreign key of '%s' names no column of '%s', which "
                                "has no primary key",
                                f->zChild, p->zTbl);
      return SQLITE_ERROR;
    }
  }
  return SQLITE_OK;
}

/* Every foreign key (of any table of the schema) that points at the table. */
static int fks_load(Dedup *p) {
  sqlite3_stmt *pStmt = 0;
  int rc = devdb_prepare(p->db, &pStmt,
                         "SELECT m.name, f.id, f.\"from\", f.\"to\", f.on_delete"
                         " FROM \"%w\".sqlite_schema AS m,"
                         " pragma_foreign_key_list(m.name, %Q) AS f"
                         " WHERE m.type = 'table' AND f.\"table\" = %Q COLLATE NOCASE"
                         " ORDER BY m.name, f.id, f.seq",
                         p->zSchema, p->zSchema, p->zTbl);
  const char *zPrevChild = "";
  int iPrevId = -1;
  while (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    const char *zChild = (const char *)sqlite3_column_text(pStmt, 0);
    int iId = sqlite3_column_int(pStmt, 1);
    if (zChild == 0) {
      rc = SQLITE_NOMEM;
      break;
    }
    if (iId != iPrevId || strcmp(zChild, zPrevChild) != 0) {
      DedupFk *aNew = sqlite3_realloc64(p->aFk, sizeof(DedupFk) * (p->nFk + 1));
      if (aNew == 0) {
        /* a key left out would let rows that point here be deleted from */
        rc = SQLITE_NOMEM;
        break;
      }
      p->aFk = aNew;
      DedupFk *f = &p->aFk[p->nFk++];
      memset(f, 0, sizeof(*f));
      f->zChild = sqlite3_mprintf("%s", zChild);
      f->zOnDelete = sqlite3_mprintf("%s", sqlite3_column_text(pStmt, 4));
      if (f->zChild == 0 || f->zOnDelete == 0) rc = SQLITE_NOMEM;
      zPrevChild = f->zChild ? f->zChild : "";
      iPrevId = iId;
    }
    if (rc == SQLITE_OK)
      rc = fk_add_col(&p->aFk[p->nFk - 1], (const char *)sqlite3_column_text(pStmt, 2),
                      (const char *)sqlite3_column_text(pStmt, 3));
  }
  int rc2 = sqlite3_finalize(pStmt);
  if (rc == SQLITE_OK && rc2 != SQLITE_OK) {
    rc = rc2;
    p->zErr = sqlite3_mprintf("%s", sqlite3_errmsg(p->db));
  }
  for (int i = 0; i < p->nFk && rc == SQLITE_OK; i++) rc = fk_resolve_to(p, &p->aFk[i]);
  return rc;
}

/* Append "zA.id = zB.<cols>" for the id of the table (rowid or key). */
static void sql_id_match(sqlite3_str *pSql, Dedup *p, const char *zAlias,
                         const char *zCol) {
  for (int i = 0; i < (p->nPk ? p->nPk : 1); i++) {
    sqlite3_str_appendf(pSql, "%s%s.\"%w\" = m.%s%d", i ? " AND " : "", zAlias,
                        devdb_dup_spec_id(p->pSpec, i), zCol, i);
  }
}

/* Append "zA.to1 = zB.from1 AND ..." for foreign key f. */
static void sql_fk_match(sqlite3_str *pSql, const DedupFk *f, const char *zParent,
                         const char *zChild) {
  for (int j = 0; j < f->nCol; j++) {
    sqlite3_str_appendf(pSql, "%s%s.\"%w\" = %s.\"%w\"", j ? " AND " : "", zParent,
                        f->azTo[j], zChild, f->azFrom[j]);
  }
}

/* The number of rows of f's child that point at a row to be deleted. */
static int fk_count(Dedup *p, const DedupFk *f, sqlite3_int64 *pn) {
  sqlite3_str *pSql = sqlite3_str_new(p->db);
  sqlite3_str_appendf(pSql,
                      "SELECT count(*) FROM temp.devdb_dedup_map AS m JOIN \"%w\".\"%w\" "
                      "AS d ON ",
                      p->zSchema, p->zTbl);
  sql_id_match(pSql, p, "d", "d");
  sqlite3_str_appendf(pSql, " JOIN \"%w\".\"%w\" AS c ON ", p->zSchema, f->zChild);
  sql_fk_match(pSql, f, "d", "c");
  char *zSql = sqlite3_str_finish(pSql);
  if (zSql == 0) return SQLITE_NOMEM;
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(p->db, zSql, -1, &pStmt, 0);
  sqlite3_free(zSql);
  if (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW)
    *pn = sqlite3_column_int64(pStmt, 0);
  if (rc == SQLITE_OK) rc = sqlite3_finalize(pStmt);
  if (rc != SQLITE_OK) p->zErr = sqlite3_mprintf("%s", sqlite3_errmsg(p->db));
  return rc;
}

/* 1 when rows may point at deleted rows through f under this refs policy
** (restrict: any; cascade: where the key says RESTRICT or NO ACTION). */
static int fk_guarded(const Dedup *p, const DedupFk *f) {
  if (p->eRefs == REFS_RESTRICT) return 1;
  return p->eRefs == REFS_CASCADE && (devdb_stricmp(f->zOnDelete, "RESTRICT") == 0 ||
                                      devdb_stricmp(f->zOnDelete, "NO ACTION") == 0);
}

/* Refuse, naming every table and count, when rows point at rows to be
** deleted through a foreign key that does not let them go. */
static int refs_check(Dedup *p) {
  sqlite3_str *pMsg = sqlite3_str_new(p->db);
  int rc = SQLITE_OK, nTable = 0;
  sqlite3_int64 nAll = 0;
  for (int i = 0; i < p->nFk && rc == SQLITE_OK; i++) {
    sqlite3_int64 n = 0;
    if (!fk_guarded(p, &p->aFk[i]) || (rc = fk_count(p, &p->aFk[i], &n)) || n == 0)
      continue;
    sqlite3_str_appendf(pMsg, "%s%lld row%s of '%s'", nTable++ ? ", " : "", n,
                        n == 1 ? "" : "s", p->aFk[i].zChild);
    nAll += n;
    if (p->eRefs == REFS_CASCADE)
      sqlite3_str_appendf(pMsg, " (ON DELETE %s)", p->aFk[i].zOnDelete);
  }
  if (rc == SQLITE_OK && nTable) {
    sqlite3_str_appendf(pMsg, " point%s at rows that would be deleted; %s",
                        nAll == 1 ? "s" : "",
                        p->eRefs == REFS_RESTRICT
                            ? "refs 'repoint' or 'cascade' says what to do with them"
                            : "their foreign keys forbid deleting those rows");
    p->zErr = sqlite3_str_finish(pMsg);
    return p->zErr ? SQLITE_CONSTRAINT : SQLITE_NOMEM;
  }
  sqlite3_free(sqlite3_str_finish(pMsg));
  return rc;
}

/* Point the rows of f's child that reference a row to be deleted at that
** row's survivor. */
static int fk_repoint(Dedup *p, const DedupFk *f) {
  sqlite3_str *pSql = sqlite3_str_new(p->db);
  sqlite3_str_appendf(pSql, "UPDATE OR ABORT \"%w\".\"%w\" AS c SET ", p->zSchema,
                      f->zChild);
  for (int j = 0; j < f->nCol; j++) {
    sqlite3_str_appendf(pSql, "%s\"%w\" = k.\"%w\"", j ? ", " : "", f->azFrom[j],
                        f->azTo[j]);
  }
  sqlite3_str_appendf(pSql, " FROM temp.devdb_dedup_map AS m JOIN \"%w\".\"%w\" AS d ON ",
                      p->zSchema, p->zTbl);
  sql_id_match(pSql, p, "d", "d");
  sqlite3_str_appendf(pSql, " JOIN \"%w\".\"%w\" AS k ON ", p->zSchema, p->zTbl);
  sql_id_match(pSql, p, "k", "k");
  sqlite3_str_appendall(pSql, " WHERE ");
  sql_fk_match(pSql, f, "d", "c");
  char *zSql = sqlite3_str_finish(pSql);
  if (zSql == 0) return SQLITE_NOMEM;
  int rc = devdb_exec(p->db, 0, "%s", zSql);
  sqlite3_free(zSql);
  if (rc != SQLITE_OK && rc != SQLITE_NOMEM) {
    sqlite3_str *pMsg = sqlite3_str_new(p->db);
    sqlite3_str_appendf(pMsg, "cannot repoint '%s'(", f->zChild);
    for (int j = 0; j < f->nCol; j++)
      sqlite3_str_appendf(pMsg, "%s%s", j ? ", " : "", f->azFrom[j]);
    sqlite3_str_appendf(pMsg, ") at the surviving rows: %s", sqlite3_errmsg(p->db));
    if ((rc & 0xff) == SQLITE_CONSTRAINT)
      sqlite3_str_appendf(pMsg, " (two rows of '%s' would then repeat a unique key)",
                          f->zChild);
    p->zErr = sqlite3_str_finish(pMsg);
  }
  return rc;
}

/* The temp table of (row to delete, its survivor) the reference SQL joins;
** one an interrupted call could not drop is replaced. */
static int map_create(Dedup *p) {
  sqlite3_str *pSql = sqlite3_str_new(p->db);
  sqlite3_str_appendall(pSql, "DROP TABLE IF EXISTS temp.devdb_dedup_map; ");
  if (p->nPk == 0) {
    sqlite3_str_appendall(pSql, "CREATE TEMP TABLE devdb_dedup_map(d0 INTEGER PRIMARY "
                                "KEY, k0 INTEGER)");
  } else {
    sqlite3_str_appendall(pSql, "CREATE TEMP TABLE devdb_dedup_map(");
    for (int i = 0; i < p->nPk; i++) sqlite3_str_appendf(pSql, "d%d, ", i);
    for (int i = 0; i < p->nPk; i++) sqlite3_str_appendf(pSql, "k%d, ", i);
    sqlite3_str_appendall(pSql, "PRIMARY KEY(");
    for (int i = 0; i < p->nPk; i++) sqlite3_str_appendf(pSql, "%sd%d", i ? ", " : "", i);
    sqlite3_str_appendall(pSql, "))");
  }
  char *zSql = sqlite3_str_finish(pSql);
  if (zSql == 0) return SQLITE_NOMEM;
  int rc = devdb_exec(p->db, &p->zErr, "%s", zSql);
  sqlite3_free(zSql);
  return rc;
}

/* Fill the temp map with the held rows to delete and their survivors. */
static int map_fill(Dedup *p) {
  int nVal = p->nPk ? p->nPk : 1;
  sqlite3_stmt *pIns = 0;
  int rc = devdb_exec(p->db, &p->zErr, "DELETE FROM temp.devdb_dedup_map");
  if (rc == SQLITE_OK) {
    sqlite3_str *pSql = sqlite3_str_new(p->db);
    sqlite3_str_appendall(pSql, "INSERT INTO temp.devdb_dedup_map VALUES(?");
    for (int i = 1; i < 2 * nVal; i++) sqlite3_str_appendall(pSql, ", ?");
    sqlite3_str_appendall(pSql, ")");
    char *zSql = sqlite3_str_finish(pSql);
    rc = zSql ? sqlite3_prepare_v2(p->db, zSql, -1, &pIns, 0) : SQLITE_NOMEM;
    sqlite3_free(zSql);
  }
  for (sqlite3_int64 i = 0; i < p->nDrop && rc == SQLITE_OK; i++) {
    if (p->nPk == 0) {
      sqlite3_bind_int64(pIns, 1, p->aDrop[i]);
      sqlite3_bind_int64(pIns, 2, p->aKeep[i]);
    } else {
      const unsigned char *z = (const unsigned char *)p->ids.z + p->aOff[i];
      int nDrop = (int)p->aDrop[i];
      devdb_dup_bind(pIns, 1, z, nVal);
      devdb_dup_bind(pIns, 1 + nVal, z + nDrop, nVal);
    }
    sqlite3_step(pIns);
    rc = sqlite3_reset(pIns);
  }
  if (rc != SQLITE_OK && p->zErr == 0)
    p->zErr = sqlite3_mprintf("%s", sqlite3_errmsg(p->db));
  sqlite3_finalize(pIns);
  return rc;
}

/* Sort the held rowids (with their survivors) ascending: an LSD radix
** sort by 16 bits, so the deletes walk the table's b-tree in order. */
static int drops_sort(Dedup *p) {
  sqlite3_int64 n = p->nDrop;
  int bKeep = p->aKeep != 0;
  sqlite3_int64 *aTmp =
      sqlite3_malloc64(sizeof(sqlite3_int64) * (n ? n : 1) * (bKeep + 1));
  unsigned *aCount = sqlite3_malloc64(sizeof(unsigned) * 65536);
  if (aTmp == 0 || aCount == 0) {
    sqlite3_free(aTmp);
    sqlite3_free(aCount);
    return SQLITE_NOMEM;
  }
  sqlite3_int64 *aKeyIn = p->aDrop, *aValIn = p->aKeep, *aKeyOut = aTmp,
                *aValOut = bKeep ? aTmp + n : 0;
  for (int s = 0; s < 64; s += 16) {
    memset(aCount, 0, sizeof(unsigned) * 65536);
    for (sqlite3_int64 i = 0; i < n; i++)
      aCount[((sqlite3_uint64)aKeyIn[i] ^ (1ULL << 63)) >> s & 0xffff]++;
    unsigned nSum = 0;
    for (int d = 0; d < 65536; d++) {
      unsigned c = aCount[d];
      aCount[d] = nSum;
      nSum += c;
    }
    for (sqlite3_int64 i = 0; i < n; i++) {
      unsigned j = aCount[((sqlite3_uint64)aKeyIn[i] ^ (1ULL << 63)) >> s & 0xffff]++;
      aKeyOut[j] = aKeyIn[i];
      if (bKeep) aValOut[j] = aValIn[i];
    }
    sqlite3_int64 *t = aKeyIn;
    aKeyIn = aKeyOut;
    aKeyOut = t;
    t = aValIn;
    aValIn = aValOut;
    aValOut = t;
  }
  /* four passes: the sorted rows are back in p->aDrop and p->aKeep */
  sqlite3_free(aTmp);
  sqlite3_free(aCount);
  return SQLITE_OK;
}

/* Delete the held rows, one prepared DELETE by id each. */
static int drops_delete(Dedup *p) {
  int rc = SQLITE_OK, nVal = p->nPk ? p->nPk : 1;
  if (p->pDelete == 0) {
    sqlite3_str *pSql = sqlite3_str_new(p->db);
    sqlite3_str_appendf(pSql, "DELETE FROM \"%w\".\"%w\" WHERE ", p->zSchema, p->zTbl);
    for (int i = 0; i < nVal; i++) {
      sqlite3_str_appendf(pSql, "%s\"%w\" = ?%d", i ? " AND " : "",
                          devdb_dup_spec_id(p->pSpec, i), i + 1);
    }
    char *zSql = sqlite3_str_finish(pSql);
    rc = zSql ? sqlite3_prepare_v2(p->db, zSql, -1, &p->pDelete, 0) : SQLITE_NOMEM;
    sqlite3_free(zSql);
  }
  for (sqlite3_int64 i = 0; i < p->nDrop && rc == SQLITE_OK; i++) {
    if (p->nPk == 0)
      sqlite3_bind_int64(p->pDelete, 1, p->aDrop[i]);
    else
      devdb_dup_bind(p->pDelete, 1, (const unsigned char *)p->ids.z + p->aOff[i], nVal);
    sqlite3_step(p->pDelete);
    rc = sqlite3_reset(p->pDelete);
    if (rc == SQLITE_OK) p->nDeleted += sqlite3_changes(p->db);
  }
  if (rc != SQLITE_OK && p->zErr == 0)
    p->zErr = sqlite3_mprintf("%s", sqlite3_errmsg(p->db));
  return rc;
}

/* Deal with the rows that point at the held rows, then delete them. */
static int drops_flush(Dedup *p) {
  int rc = p->nPk == 0 ? drops_sort(p) : SQLITE_OK;
  if (rc == SQLITE_OK && p->nFk) {
    rc = map_fill(p);
    if (rc == SQLITE_OK) rc = refs_check(p);
    for (int i = 0; i < p->nFk && rc == SQLITE_OK && p->eRefs == REFS_REPOINT; i++)
      rc = fk_repoint(p, &p->aFk[i]);
  }
  if (rc == SQLITE_OK) rc = drops_delete(p);
  p->nDrop = 0;
  p->ids.n = 0;
  return rc;
}

/* Hold the rows of group g but its survivor for deleting. */
static int drops_add(Dedup *p, const DevdbDup *pDup, int g) {
  int n = devdb_dup_nmember(pDup, g);
  if (p->nDrop + n > p->nAlloc) {
    sqlite3_int64 nNew = (p->nAlloc ? p->nAlloc * 2 : 4096) + n;
    sqlite3_int64 *aDrop = sqlite3_realloc64(p->aDrop, sizeof(sqlite3_int64) * nNew);
    if (aDrop) p->aDrop = aDrop;
    if (aDrop && (p->nFk || p->nPk)) {
      sqlite3_int64 **pp = p->nPk ? &p->aOff : &p->aKeep;
      sqlite3_int64 *a = sqlite3_realloc64(*pp, sizeof(sqlite3_int64) * nNew);
      if (a == 0) return SQLITE_NOMEM;
      *pp = a;
    }
    if (aDrop == 0) return SQLITE_NOMEM;
    p->nAlloc = nNew;
  }
  for (int m = 1; m < n; m++) {
    sqlite3_int64 i = p->nDrop++;
    if (p->nPk == 0) {
      p->aDrop[i] = devdb_dup_rowid(pDup, g, m);
      if (p->aKeep) p->aKeep[i] = devdb_dup_rowid(pDup, g, 0);
      continue;
    }
    int nByte, nKeep;
    const unsigned char *z = devdb_dup_id(pDup, g, m, &nByte);
    const unsigned char *zKeep = devdb_dup_id(pDup, g, 0, &nKeep);
    p->aOff[i] = p->ids.n;
    p->aDrop[i] = nByte; /* WITHOUT ROWID: the length of the drop's id */
    DevdbDupText *t = &p->ids;
    if (t->n + nByte + nKeep + 1 > t->nAlloc) {
      sqlite3_int64 nNew = (t->nAlloc ? t->nAlloc * 2 : 65536) + nByte + nKeep;
      char *zNew = sqlite3_realloc64(t->z, nNew);
      if (zNew == 0) return SQLITE_NOMEM;
      t->z = zNew;
      t->nAlloc = nNew;
    }
    memcpy(t->z + t->n, z, nByte);
    memcpy(t->z + t->n + nByte, zKeep, nKeep);
    t->n += nByte + nKeep;
  }
  return SQLITE_OK;
}

/* Group the table and delete all but the survivor of every group. */
static int dedup_groups(Dedup *p) {
  DevdbDup *pDup = 0;
  int rc = devdb_dup_open(p->db, p->pSpec, &pDup, &p->zErr);
  while (rc == SQLITE_OK && !devdb_dup_eof(pDup)) {
    for (int g = 0; g < devdb_dup_ngroup(pDup) && rc == SQLITE_OK; g++)
      rc = drops_add(p, pDup, g);
    /* with no scan running between batches, rows may go as they come */
    if (rc == SQLITE_OK && p->nDrop * 16 >= devdb_dup_budget() / 4 &&
        !devdb_dup_busy(pDup))
      rc = drops_flush(p);
    if (rc == SQLITE_OK) rc = devdb_dup_next(pDup, &p->zErr);
  }
  devdb_dup_close(pDup);
  if (rc == SQLITE_OK && p->nDrop) rc = drops_flush(p);
  return rc;
}

/*
** The transaction of a dedup. Its ending statements are prepared before it
** starts: after an allocation failure SQLite refuses to prepare anything on
** the connection until the calling statement ends, but still runs what is
** prepared, so the rollback cannot be refused. Nothing in the transaction
** changes the schema or a connection flag (either would expire them): the
** temp map table and foreign key enforcement come before, and go after;
** enforcement through sqlite3_db_config, as a flag PRAGMA takes effect
** when it is prepared.
*/
typedef struct DedupTxn {
  int bOwn;  /* BEGIN IMMEDIATE ... COMMIT, else SAVEPOINT ... RELEASE */
  int bFkOn; /* PRAGMA foreign_keys was turned on for the call */
  int bMap;  /* the temp map table exists */
  sqlite3_stmt *pCommit, *pRollback, *pRelease, *pDropMap;
  /* a write that changes nothing: after sqlite3_interrupt every statement
  ** of the connection is refused until the calling one ends, ROLLBACK too,
  ** but SQLite rolls the transaction back itself when a write is refused */
  sqlite3_stmt *pAbort;
} DedupTxn;

/* Step a prepared statement once; its result code. */
static int step_once(sqlite3_stmt *pStmt) {
  if (pStmt == 0) return SQLITE_OK;
  sqlite3_step(pStmt);
  return sqlite3_reset(pStmt);
}

static int txn_prepare(sqlite3 *db, DedupTxn *t, const char *zSchema, const char *zTbl) {
  int rc = sqlite3_prepare_v2(db, t->bOwn ? "COMMIT" : "RELEASE devdb_dedup", -1,
                              &t->pCommit, 0);
  if (rc == SQLITE_OK)
    rc =
        devdb_prepare(db, &t->pAbort, "DELETE FROM \"%w\".\"%w\" WHERE 0", zSchema, zTbl);
  if (rc == SQLITE_OK)
    rc = sqlite3_prepare_v2(db, t->bOwn ? "ROLLBACK" : "ROLLBACK TO devdb_dedup", -1,
                            &t->pRollback, 0);
  if (rc == SQLITE_OK && !t->bOwn)
    rc = sqlite3_prepare_v2(db, "RELEASE devdb_dedup", -1, &t->pRelease, 0);
  if (rc == SQLITE_OK && t->bMap)
    rc = sqlite3_prepare_v2(db, "DROP TABLE temp.devdb_dedup_map", -1, &t->pDropMap, 0);
  return rc;
}

/* Undo what came before the transaction (all that is left to do when it
** could not start) and free the statements. */
static void txn_free(sqlite3 *db, DedupTxn *t) {
  if (t->bMap && (t->pDropMap ? step_once(t->pDropMap)
                              : devdb_exec(db, 0, "DROP TABLE temp.devdb_dedup_map"))) {
    devdb_exec(db, 0, "DROP TABLE temp.devdb_dedup_map");
  }
  if (t->bFkOn) sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_FKEY, 0, (int *)0);
  sqlite3_finalize(t->pCommit);
  sqlite3_finalize(t->pRollback);
  sqlite3_finalize(t->pRelease);
  sqlite3_finalize(t->pDropMap);
  sqlite3_finalize(t->pAbort);
}

/*
** End the transaction: commit when rc is SQLITE_OK, else (or when the
** commit fails) roll back. Sets *pbStuck when the connection is still in
** the transaction after that (the caller then fails with SQLITE_NOMEM).
*/
static int txn_end(sqlite3 *db, DedupTxn *t, int rc, char **pzErr, int *pbStuck) {
  if (rc == SQLITE_OK && (rc = step_once(t->pCommit)) != SQLITE_OK && pzErr)
    *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(db));
  if (rc != SQLITE_OK && !(t->bOwn && sqlite3_get_autocommit(db))) {
    int rcUndo = step_once(t->pRollback);
    if (rcUndo == SQLITE_OK) rcUndo = step_once(t->pRelease);
    if (t->bOwn ? !sqlite3_get_autocommit(db) : rcUndo != SQLITE_OK) step_once(t->pAbort);
    if (t->bOwn && !sqlite3_get_autocommit(db)) *pbStuck = 1;
  }
  txn_free(db, t);
  return rc;
}

/* Run the whole dedup in one transaction (or savepoint). */
static int dedup_run(Dedup *p) {
  sqlite3 *db = p->db;
  /* (a statement that writes around it is refused by devdb_register_funcs) */
  if (sqlite3_db_readonly(db, p->zSchema) == 1) {
    p->zErr = sqlite3_mprintf("the database '%s' is read-only", p->zSchema);
    return SQLITE_READONLY;
  }
  DedupTxn t;
  memset(&t, 0, sizeof(t));
  t.bOwn = sqlite3_get_autocommit(db);
  int rc = fks_load(p);
  int bFkOn = 0;
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_FKEY, -1, &bFkOn);
  if (rc == SQLITE_OK && p->nFk && p->eRefs == REFS_CASCADE && !bFkOn) {
    if (!t.bOwn) {
      p->zErr =
          sqlite3_mprintf("refs 'cascade' needs PRAGMA foreign_keys=ON, which cannot "
                          "change inside a transaction");
      return SQLITE_ERROR;
    }
    t.bFkOn = 1;
  }
  if (rc == SQLITE_OK && t.bFkOn)
    rc = sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_FKEY, 1, (int *)0);
  if (rc == SQLITE_OK && p->nFk && (rc = map_create(p)) == SQLITE_OK) t.bMap = 1;
  if (rc == SQLITE_OK) rc = txn_prepare(db, &t, p->zSchema, p->zTbl);
  if (rc == SQLITE_OK)
    rc = devdb_exec(db, &p->zErr, t.bOwn ? "BEGIN IMMEDIATE" : "SAVEPOINT devdb_dedup");
  if (rc != SQLITE_OK) {
    txn_free(db, &t);
    return rc;
  }
  rc = dedup_groups(p);
  sqlite3_finalize(p->pDelete);
  p->pDelete = 0;
  return txn_end(db, &t, rc, p->zErr ? 0 : &p->zErr, &p->bStuck);
}

/* devdb_dedup(tbl, cols [, keep [, refs]]): rows deleted. */
static void dedupFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  const char *zTbl = (const char *)sqlite3_value_text(argv[0]);
  const char *zCols = (const char *)sqlite3_value_text(argv[1]);
  const char *zKeep = argc > 2 ? (const char *)sqlite3_value_text(argv[2]) : 0;
  const char *zRefs = argc > 3 ? (const char *)sqlite3_value_text(argv[3]) : 0;
  if (zTbl == 0 || zCols == 0) return;
  Dedup d;
  memset(&d, 0, sizeof(d));
  d.db = sqlite3_context_db_handle(ctx);
  if (zRefs == 0 || devdb_stricmp(zRefs, "restrict") == 0) {
    d.eRefs = REFS_RESTRICT;
  } else if (devdb_stricmp(zRefs, "repoint") == 0) {
    d.eRefs = REFS_REPOINT;
  } else if (devdb_stricmp(zRefs, "cascade") == 0) {
    d.eRefs = REFS_CASCADE;
  } else {
    devdb_result_error(
        ctx, "devdb_dedup: unknown refs '%s' (restrict, repoint or cascade)", zRefs);
    return;
  }
  DevdbDupSpec *pSpec = 0;
  int rc = devdb_dup_spec_new(d.db, 0, zTbl, zCols, zKeep, &pSpec, &d.zErr);
  if (rc == SQLITE_OK) {
    d.pSpec = pSpec;
    d.zSchema = devdb_dup_spec_schema(pSpec);
    d.zTbl = devdb_dup_spec_table(pSpec);
    d.nPk = devdb_dup_spec_npk(pSpec);
    rc = dedup_run(&d);
  }
  if (rc == SQLITE_OK) {
    sqlite3_result_int64(ctx, d.nDeleted);
  } else if ((rc & 0xff) == SQLITE_NOMEM || d.bStuck) {
    /* the calling statement fails with NOMEM, so SQLite rolls back */
    sqlite3_result_error_nomem(ctx);
  } else {
    devdb_result_error(ctx, "devdb_dedup: %s", d.zErr ? d.zErr : sqlite3_errstr(rc));
  }
  fks_free(&d);
  sqlite3_free(d.aDrop);
  sqlite3_free(d.aKeep);
  sqlite3_free(d.aOff);
  sqlite3_free(d.ids.z);
  sqlite3_free(d.zErr);
  devdb_dup_spec_free(pSpec);
}

int dedup_register(sqlite3 *db) {
  static const DevdbFunc aFunc[] = {
      {"devdb_dedup", 2, DEVDB_SIDE_EFFECT, dedupFunc},
      {"devdb_dedup", 3, DEVDB_SIDE_EFFECT, dedupFunc},
      {"devdb_dedup", 4, DEVDB_SIDE_EFFECT, dedupFunc},
  };
  int rc = devdb_register_funcs(db, aFunc, sizeof(aFunc) / sizeof(aFunc[0]));
  if (rc == SQLITE_OK) rc = devdb_dup_register(db);
  if (rc == SQLITE_OK) rc = sqlite3_create_module(db, "devdb_duplicates", &dupModule, 0);
  return rc;
}
