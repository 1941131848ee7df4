/*
** dupgroup.c: the grouping engine of the dedup area, behind
** devdb_duplicates, devdb_dedup (dedup.c) and devdb_dup_count (devdb.h).
** It registers no SQL of its own but the internal scan helper:
**
**   devdb_dup_scan(ptr, id..., key..., ord...)   (DIRECTONLY)
**     does nothing and fails unless ptr is the engine bound by devdb with
**     sqlite3_bind_pointer; SQL can never forge one.
**
** A duplicate group is a set of two or more rows that a UNIQUE index on
** the key columns would refuse: no key column NULL, and each key column
** equal under the collation of that index column (the column's declared
** collation, or one given as "col COLLATE x"). Equality is SQLite's record
** comparison: an integer and a real compare by value (1 = 1.0), values of
** different classes never compare equal (1 <> '1'), text compares as the
** BINARY, NOCASE or RTRIM collation does, embedded NULs included.
**
** How, for BINARY, NOCASE and RTRIM keys and orderings:
**   1. One scan of the table reads only the rowid (or primary key), the key
**      columns and the keep-ordering columns. It runs inside SQLite,
**      "SELECT 1 FROM t NOT INDEXED WHERE devdb_dup_scan(?1, ...)", so no
**      per-row API call takes the connection mutex.
**   2. Each row's key is hashed (canonically under its collation, so equal
**      keys hash equal) and the row appended, compactly encoded, to one of B
**      hash buckets (B ~ rows / 4096, so each bucket's work stays in cache).
**      For integer keys of large tables a worker thread does this step while
**      SQLite scans (the integer pipeline below).
**   3. Each bucket is grouped on its own with a small open-addressing table
**      that compares keys exactly (the hash only narrows). Its groups of two
**      or more rows are handed out as one batch, each with its survivor
**      first and the other rows in ascending id order. For large tables a
**      grouper thread groups buckets ahead of the caller (the grouper).
** Large tables of integer keys also split the scan (the split scan): a
** helper connection scans the upper half of the rowids in a thread into
** buckets of its own; bucket b is the caller's rows of it, then the
** helper's, so rows stay in rowid order and the output is the single
** scan's. Conditions (split_possible, split_run): threads may call
** sqlite3_malloc (not single-thread mode: devdb_threads_ok), the integer
** pipeline, at least DUP_SPLIT_ROWS rows and DUP_SPLIT_PER_OBJECT rows per
** schema object, a database file in rollback-journal mode (not WAL, not
** memdb, locking on), the caller's connection in autocommit with only a
** read transaction on the schema once its read is pinned. Any failure of
** the helper runs that scan single.
** Memory: the encoded rows (the key bytes plus a few bytes a row) up to a
** budget (DUP_BUDGET; half of it for each half of a split scan). A scan
** about to go over it drops the upper half of its bucket range and leaves
** it to a later scan (partition by hash passes), so memory stays near the
** budget whatever the table's size; only a single bucket above the budget
** (one huge group) is kept whole.
**
** Any other collation falls back to SQL: a window query numbers the groups
** under the real collation and orders each group by the keep ordering, and
** SQLite's sorter bounds its memory. One group is one batch there.
*/
#include "devdb.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned char u8;
typedef unsigned int u32;
typedef sqlite3_int64 i64;
typedef sqlite3_uint64 u64;

#define DUP_BUDGET (48 * 1024 * 1024) /* bytes of encoded rows per scan */
#define DUP_PER_BUCKET 4096       /* rows a bucket is sized for: its slot table fits L1 */
#define DUP_FAST_KEYS 4           /* key columns scan_row_ints takes */
#define DUP_BLOCK_ROWS 4096       /* integer rows in a block of the pipeline */
#define DUP_BLOCKS 4              /* blocks: one filling, three queued */
#define DUP_THREAD_ROWS 200000    /* rows below which a thread does not pay */
#define DUP_SLOTS 8               /* batches grouped ahead of the one handed out */
#define DUP_SPLIT_ROWS 200000     /* rows below which a split scan does not pay */
#define DUP_SPLIT_PER_OBJECT 1000 /* rows per schema object the split needs */
#define LARGEST_INT64 ((i64)(((u64)1 << 63) - 1))
#define SMALLEST_INT64 (-LARGEST_INT64 - 1)

#if !defined(_WIN32) && !defined(DEVDB_NO_THREADS)
#include <pthread.h>
#define DUP_THREADS 1
#endif

/* Test hooks (devdb_dup_test_limits): 0 = automatic. */
static i64 nTestBudget;
static int nTestBuckets;
static int bTestFallback;
static i64 nTestThreadRows;
static int eTestSplit;   /* 1 split whatever the size, -1 never, 0 automatic */
static int nSplitPasses; /* scans done split, for tests */

void devdb_dup_test_limits(sqlite3_int64 nBudget, int nBuckets, int bFallback,
                           sqlite3_int64 nThreadRows) {
  nTestBudget = nBudget;
  nTestBuckets = nBuckets;
  bTestFallback = bFallback;
  nTestThreadRows = nThreadRows;
}

int devdb_dup_test_split(int eMode) {
  eTestSplit = eMode;
  return __atomic_exchange_n(&nSplitPasses, 0, __ATOMIC_RELAXED);
}

sqlite3_int64 devdb_dup_budget(void) {
  return nTestBudget > 0 ? nTestBudget : DUP_BUDGET;
}

/* ------------------------------------------------------------- the spec */

enum { COLL_BINARY, COLL_NOCASE, COLL_RTRIM, COLL_OTHER };
enum { KEEP_FIRST, KEEP_LAST, KEEP_ORDER };
enum { NULLS_DEFAULT, NULLS_FIRST, NULLS_LAST };

/* One key column, ordering term or primary key column. */
typedef struct DupTerm {
  char *zName; /* the column as the table spells it, or the rowid alias */
  char *zColl; /* collation name */
  int eColl;   /* COLL_* */
  int bDesc;
  int eNulls; /* NULLS_* */
} DupTerm;

struct DevdbDupSpec {
  char *zSchema, *zTbl;
  int bWithoutRowid;
  const char *zRowid; /* a name that reaches the rowid (rowid tables) */
  int nKey;
  DupTerm *aKey;
  int nPk;
  DupTerm *aPk; /* WITHOUT ROWID: the primary key, in key order */
  int eKeep;    /* KEEP_*; WITHOUT ROWID first/last become KEEP_ORDER */
  int nOrd;
  DupTerm *aOrd; /* KEEP_ORDER: the ordering, ties broken by the id */
  int bFallback; /* some collation is not native */
};

static void terms_free(DupTerm *a, int n) {
  for (int i = 0; i < n; i++) {
    sqlite3_free(a[i].zName);
    sqlite3_free(a[i].zColl);
  }
  sqlite3_free(a);
}

void devdb_dup_spec_free(DevdbDupSpec *p) {
  if (p == 0) return;
  sqlite3_free(p->zSchema);
  sqlite3_free(p->zTbl);
  terms_free(p->aKey, p->nKey);
  terms_free(p->aPk, p->nPk);
  terms_free(p->aOrd, p->nOrd);
  sqlite3_free(p);
}

/* COLL_* of a collation name. */
static int coll_kind(const char *z) {
  if (devdb_stricmp(z, "BINARY") == 0) return COLL_BINARY;
  if (devdb_stricmp(z, "NOCASE") == 0) return COLL_NOCASE;
  if (devdb_stricmp(z, "RTRIM") == 0) return COLL_RTRIM;
  return COLL_OTHER;
}

/* Append a zeroed term to *pa (count *pn); NULL on OOM. */
static DupTerm *term_add(DupTerm **pa, int *pn) {
  DupTerm *aNew = sqlite3_realloc64(*pa, sizeof(DupTerm) * (*pn + 1));
  if (aNew == 0) return 0;
  *pa = aNew;
  memset(&aNew[*pn], 0, sizeof(DupTerm));
  return &aNew[(*pn)++];
}

/* Set the collation of t: zColl, or BINARY when NULL. */
static int term_coll(DupTerm *t, const char *zColl) {
  sqlite3_free(t->zColl);
  t->zColl = sqlite3_mprintf("%s", zColl ? zColl : "BINARY");
  if (t->zColl == 0) return SQLITE_NOMEM;
  t->eColl = coll_kind(t->zColl);
  return SQLITE_OK;
}

/* Look zTbl up in zSchema (any schema when NULL, temp and main first, as
** SQLite resolves a name). Sets the names as the database spells them;
** leaves p->zTbl NULL when there is no such table. */
static int lookup_table(sqlite3 *db, DevdbDupSpec *p, const char *zSchema,
                        const char *zTbl, char **pzErr) {
  sqlite3_stmt *pStmt = 0;
  int rc = devdb_prepare(
      db, &pStmt,
      "SELECT l.schema, l.name, l.type, l.wr FROM pragma_table_list AS l"
      " JOIN pragma_database_list AS d ON d.name = l.schema"
      " WHERE l.name = %Q COLLATE NOCASE AND (%Q IS NULL OR l.schema = %Q COLLATE NOCASE)"
      " ORDER BY l.schema <> 'temp', d.seq",
      zTbl, zSchema, zSchema);
  if (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    const char *zType = (const char *)sqlite3_column_text(pStmt, 2);
    if (zType && (strcmp(zType, "view") == 0 || strcmp(zType, "virtual") == 0)) {
      *pzErr = sqlite3_mprintf("'%s' is a %s, not a table", zTbl,
                               zType[0] == 'v' && zType[1] == 'i' && zType[2] == 'e'
                                   ? "view"
                                   : "virtual table");
      rc = SQLITE_ERROR;
    } else {
      p->zSchema = sqlite3_mprintf("%s", sqlite3_column_text(pStmt, 0));
      p->zTbl = sqlite3_mprintf("%s", sqlite3_column_text(pStmt, 1));
      p->bWithoutRowid = sqlite3_column_int(pStmt, 3);
      if (p->zSchema == 0 || p->zTbl == 0) rc = SQLITE_NOMEM;
    }
  }
  if (rc == SQLITE_OK)
    rc = sqlite3_finalize(pStmt);
  else
    sqlite3_finalize(pStmt);
  if (rc != SQLITE_OK && rc != SQLITE_NOMEM && *pzErr == 0)
    *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(db));
  return rc;
}

/*
** Find table zTbl: in schema zSchema when it is not NULL, else as SQLite
** resolves an unqualified name, and failing that as "schema.table".
*/
static int find_table(sqlite3 *db, DevdbDupSpec *p, const char *zSchema, const char *zTbl,
                      char **pzErr) {
  int rc = lookup_table(db, p, zSchema, zTbl, pzErr);
  const char *zDot = zSchema ? 0 : strchr(zTbl, '.');
  if (rc == SQLITE_OK && p->zTbl == 0 && zDot) {
    char *zS = sqlite3_mprintf("%.*s", (int)(zDot - zTbl), zTbl);
    rc = zS ? lookup_table(db, p, zS, zDot + 1, pzErr) : SQLITE_NOMEM;
    sqlite3_free(zS);
  }
  if (rc == SQLITE_OK && p->zTbl == 0) {
    *pzErr = sqlite3_mprintf("no such table: %s", zTbl);
    rc = SQLITE_ERROR;
  }
  return rc;
}

/* The column of the table named zName (any case) as the table spells it,
** in an sqlite3_malloc'd string; NULL when there is none (or OOM: *pRc). */
static char *table_column(sqlite3 *db, const DevdbDupSpec *p, const char *zName,
                          int *pRc) {
  sqlite3_stmt *pStmt = 0;
  char *zOut = 0;
  *pRc = devdb_prepare(db, &pStmt,
                       "SELECT name FROM pragma_table_xinfo(%Q, %Q) WHERE name = %Q "
                       "COLLATE NOCASE",
                       p->zTbl, p->zSchema, zName);
  if (*pRc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    zOut = sqlite3_mprintf("%s", sqlite3_column_text(pStmt, 0));
    if (zOut == 0) *pRc = SQLITE_NOMEM;
  }
  sqlite3_finalize(pStmt);
  return zOut;
}

/* The first of rowid, _rowid_ and oid that no column shadows, or NULL. */
static const char *rowid_name(sqlite3 *db, const DevdbDupSpec *p, int *pRc) {
  static const char *az[] = {"rowid", "_rowid_", "oid"};
  for (int i = 0; i < 3; i++) {
    char *z = table_column(db, p, az[i], pRc);
    if (*pRc) return 0;
    if (z == 0) return az[i];
    sqlite3_free(z);
  }
  return 0;
}

/* The primary key of a WITHOUT ROWID table, with its index collations. */
static int load_pk(sqlite3 *db, DevdbDupSpec *p) {
  sqlite3_stmt *pStmt = 0;
  int rc = devdb_prepare(db, &pStmt,
                         "SELECT x.name, x.coll FROM pragma_index_list(%Q, %Q) AS l, "
                         "pragma_index_xinfo(l.name, %Q) AS x "
                         "WHERE l.origin = 'pk' AND x.key ORDER BY x.seqno",
                         p->zTbl, p->zSchema, p->zSchema);
  while (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    DupTerm *t = term_add(&p->aPk, &p->nPk);
    if (t == 0) rc = SQLITE_NOMEM;
    if (t && (t->zName = sqlite3_mprintf("%s", sqlite3_column_text(pStmt, 0))) == 0)
      rc = SQLITE_NOMEM;
    if (rc == SQLITE_OK) rc = term_coll(t, (const char *)sqlite3_column_text(pStmt, 1));
  }
  if (rc == SQLITE_OK)
    rc = sqlite3_finalize(pStmt);
  else
    sqlite3_finalize(pStmt);
  return rc;
}

/*
** Read one term of a list at aTok[*pi]: a column name (or, when bRowid,
** the rowid), then optional COLLATE name, ASC/DESC and, when bOrder,
** NULLS FIRST/LAST. Advances *pi past the term and its comma.
*/
static int parse_term(sqlite3 *db, DevdbDupSpec *p, const DevdbToken *aTok, int nTok,
                      int *pi, int bOrder, DupTerm *t, char **pzErr) {
  int i = *pi, rc = SQLITE_OK;
  if (aTok[i].eType != DEVDB_TK_WORD && aTok[i].eType != DEVDB_TK_QUOTED &&
      aTok[i].eType != DEVDB_TK_STRING) {
    return SQLITE_MISUSE;
  }
  char *zName = devdb_token_ident(&aTok[i++]);
  if (zName == 0) return SQLITE_NOMEM;
  t->zName = table_column(db, p, zName, &rc);
  if (rc == SQLITE_OK && t->zName == 0 && bOrder && p->zRowid &&
      (devdb_stricmp(zName, "rowid") == 0 || devdb_stricmp(zName, "_rowid_") == 0 ||
       devdb_stricmp(zName, "oid") == 0)) {
    t->zName = sqlite3_mprintf("%s", p->zRowid);
    if (t->zName == 0) rc = SQLITE_NOMEM;
  }
  if (rc == SQLITE_OK && t->zName == 0) {
    *pzErr = sqlite3_mprintf("no such column: %s.%s", p->zTbl, zName);
    rc = SQLITE_ERROR;
  }
  sqlite3_free(zName);
  const char *zColl = 0;
  if (rc == SQLITE_OK && devdb_stricmp(t->zName, p->zRowid ? p->zRowid : "") != 0) {
    rc = sqlite3_table_column_metadata(db, p->zSchema, p->zTbl, t->zName, 0, &zColl, 0, 0,
                                       0);
    if (rc != SQLITE_OK) *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(db));
  }
  char *zGiven = 0;
  if (rc == SQLITE_OK && i + 1 < nTok && devdb_token_is(&aTok[i], "collate")) {
    if ((zGiven = devdb_token_ident(&aTok[i + 1])) == 0) rc = SQLITE_NOMEM;
    i += 2;
  }
  if (rc == SQLITE_OK) rc = term_coll(t, zGiven ? zGiven : zColl);
  sqlite3_free(zGiven);
  if (i < nTok && (devdb_token_is(&aTok[i], "asc") || devdb_token_is(&aTok[i], "desc"))) {
    t->bDesc = devdb_token_is(&aTok[i++], "desc");
  }
  if (bOrder && i + 1 < nTok && devdb_token_is(&aTok[i], "nulls")) {
    if (devdb_token_is(&aTok[i + 1], "first")) t->eNulls = NULLS_FIRST;
    if (devdb_token_is(&aTok[i + 1], "last")) t->eNulls = NULLS_LAST;
    if (t->eNulls == NULLS_DEFAULT) return rc ? rc : SQLITE_MISUSE;
    i += 2;
  }
  if (i < nTok && aTok[i].eType != DEVDB_TK_COMMA) return rc ? rc : SQLITE_MISUSE;
  *pi = i + 1;
  return rc;
}

/* Parse a comma-separated list of terms into *pa, *pn. */
static int parse_terms(sqlite3 *db, DevdbDupSpec *p, const char *zList, int bOrder,
                       DupTerm **pa, int *pn, char **pzErr) {
  DevdbToken *aTok = 0;
  int nTok = devdb_tokens(zList, -1, &aTok), rc = SQLITE_OK;
  if (nTok < 0) return SQLITE_NOMEM;
  for (int i = 0; i < nTok && rc == SQLITE_OK;) {
    DupTerm *t = term_add(pa, pn);
    rc = t ? parse_term(db, p, aTok, nTok, &i, bOrder, t, pzErr) : SQLITE_NOMEM;
  }
  sqlite3_free(aTok);
  const char *zWhat = bOrder ? "keep ordering" : "column list";
  if (rc == SQLITE_OK && nTok == 0) {
    *pzErr = sqlite3_mprintf("empty %s", zWhat);
    rc = *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  } else if (rc == SQLITE_MISUSE) {
    *pzErr = sqlite3_mprintf("cannot read the %s '%s'", zWhat, zList);
    rc = *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  return rc;
}

/* Append the id terms (rowid, or the primary key) as ordering terms,
** ascending or (bDesc) descending. */
static int add_id_order(DevdbDupSpec *p, int bDesc) {
  int n = p->bWithoutRowid ? p->nPk : 1;
  for (int i = 0; i < n; i++) {
    DupTerm *t = term_add(&p->aOrd, &p->nOrd);
    if (t == 0) return SQLITE_NOMEM;
    t->zName = sqlite3_mprintf("%s", p->bWithoutRowid ? p->aPk[i].zName : p->zRowid);
    if (t->zName == 0 || term_coll(t, p->bWithoutRowid ? p->aPk[i].zColl : 0))
      return SQLITE_NOMEM;
    t->bDesc = bDesc;
  }
  return SQLITE_OK;
}

/* Parse keep: NULL or first, last, or an ordering. */
static int parse_keep(sqlite3 *db, DevdbDupSpec *p, const char *zKeep, char **pzErr) {
  DevdbToken *aTok = 0;
  int nTok = zKeep ? devdb_tokens(zKeep, -1, &aTok) : 0, rc = SQLITE_OK;
  if (nTok < 0) return SQLITE_NOMEM;
  p->eKeep = KEEP_ORDER;
  if (nTok == 0 || (nTok == 1 && devdb_token_is(&aTok[0], "first")))
    p->eKeep = KEEP_FIRST;
  if (nTok == 1 && devdb_token_is(&aTok[0], "last")) p->eKeep = KEEP_LAST;
  sqlite3_free(aTok);
  if (p->eKeep == KEEP_ORDER) {
    rc = parse_terms(db, p, zKeep, 1, &p->aOrd, &p->nOrd, pzErr);
    if (rc == SQLITE_OK) rc = add_id_order(p, 0);
  } else if (p->bWithoutRowid) {
    rc = add_id_order(p, p->eKeep == KEEP_LAST);
    p->eKeep = KEEP_ORDER;
  }
  return rc;
}

int devdb_dup_spec_new(sqlite3 *db, const char *zSchema, const char *zTbl,
                       const char *zCols, const char *zKeep, DevdbDupSpec **ppSpec,
                       char **pzErr) {
  *ppSpec = 0;
  *pzErr = 0;
  DevdbDupSpec *p = sqlite3_malloc64(sizeof(*p));
  if (p == 0) return SQLITE_NOMEM;
  memset(p, 0, sizeof(*p));
  int rc = find_table(db, p, zSchema, zTbl, pzErr);
  if (rc == SQLITE_OK && !p->bWithoutRowid) {
    p->zRowid = rowid_name(db, p, &rc);
    if (rc == SQLITE_OK && p->zRowid == 0) {
      *pzErr = sqlite3_mprintf("every name of the rowid of '%s' is a column", p->zTbl);
      rc = SQLITE_ERROR;
    }
  }
  if (rc == SQLITE_OK && p->bWithoutRowid) rc = load_pk(db, p);
  if (rc == SQLITE_OK) rc = parse_terms(db, p, zCols, 0, &p->aKey, &p->nKey, pzErr);
  if (rc == SQLITE_OK) rc = parse_keep(db, p, zKeep, pzErr);
  for (int i = 0; i < p->nKey; i++) p->bFallback |= p->aKey[i].eColl == COLL_OTHER;
  for (int i = 0; i < p->nOrd; i++) p->bFallback |= p->aOrd[i].eColl == COLL_OTHER;
  if (rc != SQLITE_OK) {
    devdb_dup_spec_free(p);
    return rc;
  }
  *ppSpec = p;
  return SQLITE_OK;
}

const char *devdb_dup_spec_schema(const DevdbDupSpec *p) {
  return p->zSchema;
}
const char *devdb_dup_spec_table(const DevdbDupSpec *p) {
  return p->zTbl;
}
int devdb_dup_spec_npk(const DevdbDupSpec *p) {
  return p->bWithoutRowid ? p->nPk : 0;
}
const char *devdb_dup_spec_id(const DevdbDupSpec *p, int i) {
  return p->bWithoutRowid ? p->aPk[i].zName : p->zRowid;
}

/* ------------------------------------------------------------ values */

/* A value as the engine reads it, from an argument or from an encoding. */
typedef struct DupVal {
  int eType; /* SQLITE_INTEGER, _FLOAT, _TEXT, _BLOB or _NULL */
  i64 i;
  double r;
  const u8 *z;
  int n;
} DupVal;

/* Read p into v. SQLITE_NOMEM when text could not be had. */
static int val_from(sqlite3_value *p, DupVal *v) {
  v->eType = sqlite3_value_type(p);
  switch (v->eType) {
  case SQLITE_INTEGER:
    v->i = sqlite3_value_int64(p);
    break;
  case SQLITE_FLOAT:
    v->r = sqlite3_value_double(p);
    break;
  case SQLITE_TEXT:
    v->z = sqlite3_value_text(p);
    v->n = sqlite3_value_bytes(p);
    if (v->z == 0) return SQLITE_NOMEM;
    break;
  case SQLITE_BLOB:
    v->z = sqlite3_value_blob(p);
    v->n = sqlite3_value_bytes(p);
    break;
  }
  return SQLITE_OK;
}

/*
** The encoding: a LEB128 varint header h = payload << 2 | tag, then bytes.
**   tag 0: an integer, payload its zigzag form (when it fits in 62 bits)
**   tag 1: text, payload its length in bytes, the bytes follow
**   tag 2: a blob, the same
**   tag 3: payload 0 NULL, 1 a real (8 bytes follow), 2 an integer (8 bytes)
*/
static u64 zigzag(i64 i) {
  return ((u64)i << 1) ^ (u64)(i >> 63);
}
static i64 unzigzag(u64 u) {
  return (i64)(u >> 1) ^ -(i64)(u & 1);
}
static int varint_len(u64 v) {
  int n = 1;
  while (v >= 0x80) v >>= 7, n++;
  return n;
}
static u8 *varint_put(u8 *p, u64 v) {
  while (v >= 0x80) *p++ = (u8)(v | 0x80), v >>= 7;
  *p++ = (u8)v;
  return p;
}
static const u8 *varint_get(const u8 *p, u64 *pv) {
  if (*p < 0x80) {
    *pv = *p;
    return p + 1;
  }
  u64 v = 0;
  int s = 0;
  for (; *p & 0x80; p++, s += 7) v |= (u64)(*p & 0x7f) << s;
  *pv = v | (u64)*p << s;
  return p + 1;
}

#define ZZ_MAX ((u64)1 << 62)

static int val_size(const DupVal *v) {
  switch (v->eType) {
  case SQLITE_INTEGER: {
    u64 zz = zigzag(v->i);
    return zz < ZZ_MAX ? varint_len(zz << 2) : 9;
  }
  case SQLITE_FLOAT:
    return 9;
  case SQLITE_TEXT:
  case SQLITE_BLOB:
    return varint_len((u64)v->n << 2) + v->n;
  default:
    return 1;
  }
}

static u8 *val_put(u8 *p, const DupVal *v) {
  switch (v->eType) {
  case SQLITE_INTEGER: {
    u64 zz = zigzag(v->i);
    if (zz < ZZ_MAX) return varint_put(p, zz << 2);
    *p++ = 2 << 2 | 3;
    memcpy(p, &v->i, 8);
    return p + 8;
  }
  case SQLITE_FLOAT:
    *p++ = 1 << 2 | 3;
    memcpy(p, &v->r, 8);
    return p + 8;
  case SQLITE_TEXT:
  case SQLITE_BLOB:
    p = varint_put(p, (u64)v->n << 2 | (v->eType == SQLITE_TEXT ? 1 : 2));
    if (v->n) memcpy(p, v->z, v->n);
    return p + v->n;
  default:
    *p++ = 3;
    return p;
  }
}

static const u8 *val_get(const u8 *p, DupVal *v) {
  u64 h;
  p = varint_get(p, &h);
  switch (h & 3) {
  case 0:
    v->eType = SQLITE_INTEGER;
    v->i = unzigzag(h >> 2);
    return p;
  case 1:
  case 2:
    v->eType = (h & 3) == 1 ? SQLITE_TEXT : SQLITE_BLOB;
    v->n = (int)(h >> 2);
    v->z = p;
    return p + v->n;
  default:
    if (h >> 2 == 0) {
      v->eType = SQLITE_NULL;
      return p;
    }
    v->eType = h >> 2 == 1 ? SQLITE_FLOAT : SQLITE_INTEGER;
    memcpy(h >> 2 == 1 ? (void *)&v->r : (void *)&v->i, p, 8);
    return p + 8;
  }
}

static const u8 *val_skip(const u8 *p, int n) {
  DupVal v;
  while (n-- > 0) p = val_get(p, &v);
  return p;
}

/* 1 and the integer in *pi when r is a whole number an i64 holds exactly:
** then SQLite's record comparison finds r equal to that integer. */
static int real_as_int(double r, i64 *pi) {
  if (r >= -9223372036854775808.0 && r < 9223372036854775808.0) {
    i64 i = (i64)r;
    if ((double)i == r) {
      *pi = i;
      return 1;
    }
  }
  return 0;
}

/* ------------------------------------------------- compare and hash */

static int fold(int c) {
  return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Length of text z[0..n) without its trailing spaces (RTRIM). */
static int rtrim_len(const u8 *z, int n) {
  while (n > 0 && z[n - 1] == ' ') n--;
  return n;
}

/* BINARY order of two byte strings: memcmp, then the shorter first. */
static int bytes_cmp(const u8 *a, int na, const u8 *b, int nb) {
  int c = na && nb ? memcmp(a, b, na < nb ? na : nb) : 0;
  return c ? c : na - nb;
}

/* NOCASE as SQLite compares: ASCII folded up to the shorter length,
** stopping at a NUL of the first, then the shorter first. */
static int nocase_cmp(const u8 *a, int na, const u8 *b, int nb) {
  int n = na < nb ? na : nb, i = 0;
  while (i < n && a[i] != 0 && fold(a[i]) == fold(b[i])) i++;
  int c = i < n ? fold(a[i]) - fold(b[i]) : 0;
  return c ? c : na - nb;
}

static int text_cmp(const DupVal *a, const DupVal *b, int eColl) {
  if (eColl == COLL_NOCASE) return nocase_cmp(a->z, a->n, b->z, b->n);
  if (eColl == COLL_RTRIM)
    return bytes_cmp(a->z, rtrim_len(a->z, a->n), b->z, rtrim_len(b->z, b->n));
  return bytes_cmp(a->z, a->n, b->z, b->n);
}

/* An integer against a real, exactly (SQLite's sqlite3IntFloatCompare). */
static int int_real_cmp(i64 i, double r) {
  if (r < -9223372036854775808.0) return 1;
  if (r >= 9223372036854775808.0) return -1;
  i64 y = (i64)r;
  if (i != y) return i < y ? -1 : 1;
  double s = (double)i;
  return s < r ? -1 : s > r;
}

static int val_class(int eType) {
  static const int aClass[] = {0, 1, 1, 2, 3, 0}; /* by SQLITE_* type code */
  return aClass[eType];
}

/* SQLite's order of two values under collation eColl. */
static int val_cmp(const DupVal *a, const DupVal *b, int eColl) {
  int ca = val_class(a->eType), cb = val_class(b->eType);
  if (ca != cb) return ca - cb;
  switch (ca) {
  case 0:
    return 0;
  case 1:
    if (a->eType == SQLITE_INTEGER && b->eType == SQLITE_INTEGER)
      return (a->i > b->i) - (a->i < b->i);
    if (a->eType == SQLITE_FLOAT && b->eType == SQLITE_FLOAT)
      return (a->r > b->r) - (a->r < b->r);
    if (a->eType == SQLITE_INTEGER) return int_real_cmp(a->i, b->r);
    return -int_real_cmp(b->i, a->r);
  case 2:
    return text_cmp(a, b, eColl);
  default:
    return bytes_cmp(a->z, a->n, b->z, b->n);
  }
}

/* Equality as a UNIQUE index sees it (the hot path of grouping). */
static int val_eq(const DupVal *a, const DupVal *b, int eColl) {
  if (a->eType == SQLITE_INTEGER && b->eType == SQLITE_INTEGER) return a->i == b->i;
  if (a->eType == SQLITE_TEXT && b->eType == SQLITE_TEXT && eColl == COLL_BINARY) {
    return a->n == b->n && (a->n == 0 || memcmp(a->z, b->z, a->n) == 0);
  }
  return val_class(a->eType) == val_class(b->eType) && val_cmp(a, b, eColl) == 0;
}

#define H_SEED 0x2545F4914F6CDD1DULL
#define H_MUL 0x9E3779B97F4A7C15ULL

static u64 h_mix(u64 h, u64 x) {
  h = (h ^ x) * H_MUL;
  return h ^ (h >> 29);
}

/* An integer (or a real equal to one) into h: one multiply, the usual
** key's whole cost; h_final mixes the high bits down. */
static u64 h_int(u64 h, i64 i) {
  return (h ^ (u64)i) * H_MUL;
}

/* The hash of a key: its top bits (the product's best mixed) pick the
** bucket, its low 32 bits, folded with the high ones, the slot in the
** bucket's table. A xor, not another round of multiplies: the scan and
** the grouping each hash every row. */
static u64 h_final(u64 h) {
  return h ^ (h >> 32);
}

/* Hash n bytes, ASCII folded when bFold. */
static u64 h_bytes(u64 h, const u8 *z, int n, int bFold) {
  for (; n > 0; z += 8, n -= 8) {
    u8 a[8] = {0};
    int k = n < 8 ? n : 8;
    if (bFold)
      for (int i = 0; i < k; i++) a[i] = (u8)fold(z[i]);
    else
      memcpy(a, z, k);
    u64 x;
    memcpy(&x, a, 8);
    h = h_mix(h, x);
  }
  return h;
}

/* Fold v into hash h so that values val_eq finds equal hash equal. */
static u64 val_hash(u64 h, const DupVal *v, int eColl) {
  i64 i;
  switch (v->eType) {
  case SQLITE_INTEGER:
    return h_int(h, v->i);
  case SQLITE_FLOAT:
    if (real_as_int(v->r, &i)) return h_int(h, i);
    memcpy(&i, &v->r, 8);
    return h_mix(h_mix(h, 2), (u64)i);
  case SQLITE_TEXT: {
    int n = v->n;
    if (eColl == COLL_RTRIM) n = rtrim_len(v->z, n);
    if (eColl == COLL_NOCASE) {
      const u8 *zNul = n ? memchr(v->z, 0, n) : 0;
      h = h_bytes(h_mix(h, 3), v->z, zNul ? (int)(zNul - v->z) : n, 1);
    } else {
      h = h_bytes(h_mix(h, 3), v->z, n, 0);
    }
    return h_mix(h, (u64)n);
  }
  default:
    return h_mix(h_bytes(h_mix(h, 4), v->z, v->n, 0), (u64)v->n);
  }
}

/* ---------------------------------------------------------- the engine */

typedef struct DupChunk DupChunk;
struct DupChunk {
  DupChunk *pNext;
  u32 nUsed, nSize;
  u8 a[]; /* encoded rows; a row never spans two chunks */
};

/* The rows of one hash bucket, in scan order. A row is the id (rowid as a
** zigzag delta from the bucket's previous rowid, or the primary key
** values), the key values, then the ordering values. */
typedef struct DupBucket {
  DupChunk *pFirst, *pLast;
  u8 *zTail, *zEnd; /* the free part of pLast: rows go to zTail */
  i64 iPrev;
  u32 nRow;
} DupBucket;

/* A group of the current batch: nMember rows at aMember[iFirst...], the
** survivor first, the others in ascending id order. */
typedef struct DupGroup {
  u32 iFirst, nMember;
} DupGroup;

/* A batch: the rows of a bucket (the caller's scan's and the helper's),
** and per row of it what grouping needs; then its groups. */
typedef struct DupBatch {
  DupBucket cur;  /* the rows (owned) */
  DupBucket cur2; /* the helper's rows of the bucket (owned) */
  int nAlloc, nSlotAlloc;
  const u8 **aRow; /* the row */
  const u8 **aKey; /* its key values */
  i64 *aRowid;
  u32 *aHash, *aNext, *aCount, *aTail, *aSlot, *aMember, *aKeyLen;
  int nRow;
  DupGroup *aGroup;
  int nGroup;
} DupBatch;

struct DevdbDup {
  sqlite3 *db;
  const DevdbDupSpec *pSpec;
  int nArg;              /* arguments of devdb_dup_scan */
  DupVal *aV;            /* scratch values, one per argument */
  sqlite3_value **apCol; /* fallback: the columns of a row */
  i64 nBudget, nMem;
  int nBucket, nShift, nChunk;
  int bInts; /* scan_row_ints applies: rowid table, no ordering values */
  /* bInts: blocks of rows (rowid, keys), filled by the scan and processed
  ** by the worker or the scan itself (the integer pipeline) */
  i64 *aBlock[DUP_BLOCKS];
  int anBlock[DUP_BLOCKS];
  int iFill;     /* the block the scan fills */
  int bThreadOk; /* a worker may run */
  int bThread;   /* a worker runs */
#ifdef DUP_THREADS
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int iWork, nQueued, bStop, rcWorker;
#endif
  DupBucket *aBucket;
  int iLo, iHi; /* buckets of the current scan */
  int iNext;    /* next bucket to group */
  int bEof;
  /* the split scan: the helper engine scans the rowids above iMid on its
  ** own connection, in a thread, into its own buckets */
  int bSplit;      /* scans may be split (what holds for the whole grouping) */
  int bRange;      /* pScan takes a rowid range ?2..?3 */
  i64 iMin, iMax;  /* the rowids when the scan was sized */
  DevdbDup *pHelp; /* the helper engine, or NULL */
  int bHelper;     /* this is a helper: owns db */
  char *zFile;     /* helper: the database file and its VFS */
  char *zVfs;
  i64 iFrom;           /* helper: its scan starts at this rowid */
  int rcHelp;          /* helper: the result of its scan */
  int eSlot;           /* grouper slot: SLOT_*, under gmu */
  int iSlotBucket;     /* grouper slot: its bucket */
  sqlite3_stmt *pScan; /* the scan, or the fallback query */
  int bPending;        /* fallback: pScan holds a row not yet taken */
  int bDone;           /* fallback: pScan has returned SQLITE_DONE */
  int rc;              /* error of the scan function */
  DupBatch b;          /* the current batch */
  /* the grouper: a thread that groups buckets ahead of the caller */
  int bGroupOk;      /* it may run */
  int bGrouper;      /* it runs */
  DevdbDup **apSlot; /* DUP_SLOTS engines it groups into (their batch b) */
#ifdef DUP_THREADS
  pthread_t gthread;
  pthread_mutex_t gmu;
  pthread_cond_t gcv;
  /* under gmu: */
  int iClaim, iClaimHi; /* the next bucket to group, and the end of them */
  int bGroupStop;
#endif
};

static DevdbDup *engine_new(sqlite3 *db, const DevdbDupSpec *pSpec);

static void chunks_free(DevdbDup *p, DupBucket *pB) {
  while (pB->pFirst) {
    DupChunk *pNext = pB->pFirst->pNext;
    p->nMem -= sizeof(DupChunk) + pB->pFirst->nSize;
    sqlite3_free(pB->pFirst);
    pB->pFirst = pNext;
  }
  memset(pB, 0, sizeof(*pB));
}

/* Free the rows of the current batch (the helper's half too). */
static void cur_free(DevdbDup *p) {
  chunks_free(p, &p->b.cur);
  if (p->pHelp) chunks_free(p->pHelp, &p->b.cur2);
}

/* Shrink the scan's bucket range until n more bytes fit the budget (or
** one bucket is left): the dropped buckets wait for a later scan. */
static void shrink_range(DevdbDup *p, i64 n) {
  while (p->nMem + n > p->nBudget && p->iHi - p->iLo > 1) {
    int iMid = p->iLo + (p->iHi - p->iLo) / 2;
    for (int b = iMid; b < p->iHi; b++) chunks_free(p, &p->aBucket[b]);
    p->iHi = iMid;
  }
}

/* Record in the last chunk of pB how much of it its rows use. */
static void bucket_seal(DupBucket *pB) {
  if (pB->pLast) pB->pLast->nUsed = (u32)(pB->zTail - pB->pLast->a);
}

/* Start a new chunk for pB with room for n bytes. */
static int bucket_grow(DevdbDup *p, DupBucket *pB, int n) {
  u32 nSize = (u32)n > (u32)p->nChunk ? (u32)n : (u32)p->nChunk;
  DupChunk *c = sqlite3_malloc64(sizeof(DupChunk) + nSize);
  if (c == 0) return SQLITE_NOMEM;
  c->pNext = 0;
  c->nUsed = 0;
  c->nSize = nSize;
  bucket_seal(pB);
  if (pB->pLast)
    pB->pLast->pNext = c;
  else
    pB->pFirst = c;
  pB->pLast = c;
  pB->zTail = c->a;
  pB->zEnd = c->a + nSize;
  p->nMem += sizeof(DupChunk) + nSize;
  return SQLITE_OK;
}

/* Room for n bytes at pB->zTail, in a new chunk when needed. */
static int bucket_room(DevdbDup *p, DupBucket *pB, int n) {
  if (pB->pLast && pB->zEnd - pB->zTail >= n) return SQLITE_OK;
  return bucket_grow(p, pB, n);
}

/* n bytes at the end of bucket pB, in a new chunk when needed. */
static u8 *bucket_reserve(DevdbDup *p, DupBucket *pB, int n) {
  if (bucket_room(p, pB, n) != SQLITE_OK) return 0;
  u8 *pOut = pB->zTail;
  pB->zTail += n;
  return pOut;
}

/* Read the key values of a row (a: ids, keys, ords) into p->aV and hash
** them into *pH, their encoded size into *pnByte. SQLITE_DONE when one is
** NULL: such a row is never a duplicate. */
static int keys_read(DevdbDup *p, sqlite3_value **a, u64 *pH, int *pnByte) {
  const DevdbDupSpec *s = p->pSpec;
  int nId = s->bWithoutRowid ? s->nPk : 1, rc;
  u64 h = H_SEED;
  for (int k = 0; k < s->nKey; k++) {
    DupVal *v = &p->aV[nId + k];
    if ((rc = val_from(a[nId + k], v)) != SQLITE_OK) return rc;
    if (v->eType == SQLITE_NULL) return SQLITE_DONE;
    h = val_hash(h, v, s->aKey[k].eColl);
    *pnByte += val_size(v);
  }
  *pH = h_final(h);
  return SQLITE_OK;
}

/* Encode a row into pB: its keys are in p->aV already (keys_read). */
static int bucket_add(DevdbDup *p, DupBucket *pB, sqlite3_value **a, int nByte) {
  const DevdbDupSpec *s = p->pSpec;
  int nId = s->bWithoutRowid ? s->nPk : 1, nVal = p->nArg - 1, rc;
  i64 iRowid = 0;
  if (!s->bWithoutRowid) {
    iRowid = sqlite3_value_int64(a[0]);
    nByte += varint_len(zigzag(iRowid - pB->iPrev));
  }
  for (int i = s->bWithoutRowid ? 0 : 1; i < nVal; i++) {
    if (i >= nId && i < nId + s->nKey) continue;
    if ((rc = val_from(a[i], &p->aV[i])) != SQLITE_OK) return rc;
    nByte += val_size(&p->aV[i]);
  }
  u8 *pOut = bucket_reserve(p, pB, nByte);
  if (pOut == 0) return SQLITE_NOMEM;
  if (!s->bWithoutRowid) {
    pOut = varint_put(pOut, zigzag(iRowid - pB->iPrev));
    pB->iPrev = iRowid;
  }
  for (int i = s->bWithoutRowid ? 0 : 1; i < nVal; i++) pOut = val_put(pOut, &p->aV[i]);
  pB->nRow++;
  return SQLITE_OK;
}

/* One row of the scan: skipped when a key column is NULL or its bucket is
** not in this scan's range, else added to its bucket. */
static int scan_row(DevdbDup *p, sqlite3_value **a) {
  u64 h;
  int nByte = 0, rc = keys_read(p, a, &h, &nByte);
  if (rc != SQLITE_OK) return rc == SQLITE_DONE ? SQLITE_OK : rc;
  int b = p->nShift < 64 ? (int)(h >> p->nShift) : 0;
  if (b < p->iLo || b >= p->iHi) return SQLITE_OK;
  if (p->nMem + p->nChunk > p->nBudget) {
    shrink_range(p, p->nChunk);
    if (b >= p->iHi) return SQLITE_OK;
  }
  return bucket_add(p, &p->aBucket[b], a, nByte);
}

/* ------------------------------------------------ the integer pipeline */

/*
** The common case, a rowid table keyed by integers with no ordering values,
** goes through blocks: the scan callback, which alone may read SQLite's
** values, copies each row's rowid and keys into a block, and full blocks
** are hashed and bucketed (same hash, same encoding as scan_row) by a worker
** thread while the scan goes on, in order, so the buckets end up exactly as
** without it. The worker calls nothing of SQLite's but sqlite3_malloc, so it
** runs only where that is thread-safe (devdb_threads_ok: any mode but
** single-thread), and only for large
** tables; elsewhere the callback processes each block itself. Whenever the
** callback must touch the buckets (a row that is not all integers), it
** waits for the worker to finish every block first.
*/

/* Add an integer row (rowid, keys) with key hash h to its bucket. */
static int block_add(DevdbDup *p, const i64 *aRow, u64 h) {
  int nKey = p->pSpec->nKey;
  int b = p->nShift < 64 ? (int)(h >> p->nShift) : 0;
  if (b < p->iLo || b >= p->iHi) return SQLITE_OK;
  if (p->nMem + p->nChunk > p->nBudget) {
    shrink_range(p, p->nChunk);
    if (b >= p->iHi) return SQLITE_OK;
  }
  DupBucket *pB = &p->aBucket[b];
  if (bucket_room(p, pB, 10 * (nKey + 1)) != SQLITE_OK) return SQLITE_NOMEM;
  u8 *z = varint_put(pB->zTail, zigzag(aRow[0] - pB->iPrev));
  for (int k = 1; k <= nKey; k++) z = varint_put(z, zigzag(aRow[k]) << 2);
  pB->zTail = z;
  pB->iPrev = aRow[0];
  pB->nRow++;
  return SQLITE_OK;
}

/* Hash and add the nRow rows of block a. */
static int block_process(DevdbDup *p, const i64 *a, int nRow) {
  int nKey = p->pSpec->nKey, nW = nKey + 1, rc = SQLITE_OK;
  for (int r = 0; r < nRow && rc == SQLITE_OK; r++) {
    const i64 *aRow = &a[r * nW];
    u64 h = H_SEED;
    for (int k = 1; k <= nKey; k++) h = h_int(h, aRow[k]);
    rc = block_add(p, aRow, h_final(h));
  }
  return rc;
}

#ifdef DUP_THREADS
static void *block_worker(void *pArg) {
  DevdbDup *p = pArg;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (p->nQueued == 0 && !p->bStop) pthread_cond_wait(&p->cv, &p->mu);
    if (p->nQueued == 0) break;
    int i = p->iWork, rc = p->rcWorker;
    pthread_mutex_unlock(&p->mu);
    if (rc == SQLITE_OK) rc = block_process(p, p->aBlock[i], p->anBlock[i]);
    pthread_mutex_lock(&p->mu);
    if (rc != SQLITE_OK) p->rcWorker = rc;
    p->iWork = (p->iWork + 1) % DUP_BLOCKS;
    p->nQueued--;
    pthread_cond_broadcast(&p->cv);
  }
  pthread_mutex_unlock(&p->mu);
  return 0;
}
#endif

/* The block being filled is full (or, bDrain, must go now): process it,
** or hand it to the worker and take a free one; with bDrain wait until the
** worker has done every block. Returns the worker's error, if any. */
static int block_done(DevdbDup *p, int bDrain) {
  int n = p->anBlock[p->iFill], rc = SQLITE_OK;
  p->anBlock[p->iFill] = 0;
  if (!p->bThread) return n ? block_process(p, p->aBlock[p->iFill], n) : SQLITE_OK;
#ifdef DUP_THREADS
  pthread_mutex_lock(&p->mu);
  if (n) {
    p->anBlock[p->iFill] = n;
    p->nQueued++;
    p->iFill = (p->iFill + 1) % DUP_BLOCKS;
    pthread_cond_broadcast(&p->cv);
  }
  while (bDrain ? p->nQueued > 0 : p->nQueued == DUP_BLOCKS) {
    pthread_cond_wait(&p->cv, &p->mu);
  }
  p->anBlock[p->iFill] = 0; /* the scan's again: done, or never handed out */
  rc = p->rcWorker;
  pthread_mutex_unlock(&p->mu);
#endif
  return rc;
}

/* Start the worker for a scan when the table is large enough. */
static void block_start(DevdbDup *p) {
  p->bThread = 0;
  memset(p->anBlock, 0, sizeof(p->anBlock)); /* counts of the last scan's blocks */
#ifdef DUP_THREADS
  if (!p->bThreadOk) return;
  p->nQueued = 0;
  p->iWork = p->iFill = 0;
  p->bStop = 0;
  p->rcWorker = SQLITE_OK;
  if (pthread_create(&p->thread, 0, block_worker, p) == 0) p->bThread = 1;
#endif
}

#ifdef DUP_THREADS
/* Tell thread t to stop (*pbStop under mu, cv signalled) and wait for it. */
static void thread_stop(pthread_mutex_t *mu, pthread_cond_t *cv, int *pbStop,
                        pthread_t t) {
  pthread_mutex_lock(mu);
  *pbStop = 1;
  pthread_cond_broadcast(cv);
  pthread_mutex_unlock(mu);
  pthread_join(t, 0);
}
#endif

/* Finish the scan's blocks and stop the worker. */
static int block_stop(DevdbDup *p) {
  int rc = block_done(p, 1);
#ifdef DUP_THREADS
  if (p->bThread) {
    thread_stop(&p->mu, &p->cv, &p->bStop, p->thread);
    p->bThread = 0;
  }
#endif
  return rc;
}

/* A row of the integer case: into the block, or through scan_row (after
** the blocks so far) when a key value is not an integer. */
static int scan_row_ints(DevdbDup *p, sqlite3_value **a) {
  int nKey = p->pSpec->nKey, n = p->anBlock[p->iFill];
  i64 *aRow = &p->aBlock[p->iFill][n * (nKey + 1)];
  for (int k = 1; k <= nKey; k++) {
    int eType = sqlite3_value_type(a[k]);
    if (eType != SQLITE_INTEGER ||
        zigzag(aRow[k] = sqlite3_value_int64(a[k])) >= ZZ_MAX) {
      if (eType == SQLITE_NULL) return SQLITE_OK;
      int rc = block_done(p, 1);
      return rc ? rc : scan_row(p, a);
    }
  }
  aRow[0] = sqlite3_value_int64(a[0]);
  if (++p->anBlock[p->iFill] < DUP_BLOCK_ROWS) return SQLITE_OK;
  return block_done(p, 0);
}

/* 1 when a statement that writes runs on db (as util.c's guard asks). */
static int writer_runs(sqlite3 *db) {
  for (sqlite3_stmt *s = sqlite3_next_stmt(db, 0); s; s = sqlite3_next_stmt(db, s)) {
    if (sqlite3_stmt_busy(s) && !sqlite3_stmt_readonly(s)) return 1;
  }
  return 0;
}

/*
** devdb_dup_scan(ptr, id..., key..., ord...): one row of a scan. Not under
** devdb_register_funcs' guard: devdb's own scans may run inside a statement
** that writes (INSERT INTO x SELECT * FROM devdb_duplicates(...)), and the
** guard's statement walk would cost every row. Without devdb's pointer it
** does nothing, and refuses in the guard's words where the guard would.
*/
static void scan_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  DevdbDup *p = sqlite3_get_auxdata(ctx, 0); /* no type-name strcmp per row */
  if (p == 0 && argc > 0 && (p = sqlite3_value_pointer(argv[0], "devdb_dup")) != 0)
    sqlite3_set_auxdata(ctx, 0, p, 0);
  if (p == 0 || argc != p->nArg) {
    sqlite3_result_error(
        ctx,
        writer_runs(sqlite3_context_db_handle(ctx))
            ? "devdb_dup_scan: unsafe use from a statement that writes (a CHECK "
              "constraint?): call it on its own, as SELECT devdb_dup_scan(...)"
            : "devdb_dup_scan: for devdb's own use only",
        -1);
    return;
  }
  int rc = p->bInts ? scan_row_ints(p, argv + 1) : scan_row(p, argv + 1);
  if (rc != SQLITE_OK) {
    p->rc = rc;
    sqlite3_result_error_nomem(ctx);
  }
  /* else no result: NULL, which the scan's WHERE drops as it would 0 */
}

int devdb_dup_register(sqlite3 *db) {
  return sqlite3_create_function(db, "devdb_dup_scan", -1, DEVDB_SIDE_EFFECT, 0,
                                 scan_func, 0, 0);
}

/* Append the SQL list of the argument columns: ids, keys, ords. */
static void scan_columns(sqlite3_str *pSql, const DevdbDupSpec *s) {
  const char *zSep = "";
  for (int i = 0; i < (s->bWithoutRowid ? s->nPk : 1); i++, zSep = ", ") {
    sqlite3_str_appendf(pSql, "%s\"%w\"", zSep, devdb_dup_spec_id(s, i));
  }
  for (int i = 0; i < s->nKey; i++)
    sqlite3_str_appendf(pSql, ", \"%w\"", s->aKey[i].zName);
  for (int i = 0; i < s->nOrd; i++)
    sqlite3_str_appendf(pSql, ", \"%w\"", s->aOrd[i].zName);
}

/* Prepare a statement from a finished sqlite3_str. */
static int prepare_str(sqlite3 *db, sqlite3_str *pSql, sqlite3_stmt **ppStmt) {
  char *zSql = sqlite3_str_finish(pSql);
  if (zSql == 0) return SQLITE_NOMEM;
  int rc = sqlite3_prepare_v2(db, zSql, -1, ppStmt, 0);
  sqlite3_free(zSql);
  return rc;
}

/* The number of rows to size the buckets for (an upper bound); for a
** rowid table also its rowid range in iMin, iMax. */
static i64 estimate_rows(DevdbDup *p) {
  const DevdbDupSpec *s = p->pSpec;
  if (s->bWithoutRowid) {
    return devdb_query_int(p->db, 0, "SELECT count(*) FROM \"%w\".\"%w\"", s->zSchema,
                           s->zTbl);
  }
  sqlite3_stmt *pStmt = 0;
  double r = 0;
  if (devdb_prepare(p->db, &pStmt,
                    "SELECT (SELECT min(%s) FROM \"%w\".\"%w\"), "
                    "(SELECT max(%s) FROM \"%w\".\"%w\")",
                    s->zRowid, s->zSchema, s->zTbl, s->zRowid, s->zSchema,
                    s->zTbl) == SQLITE_OK &&
      sqlite3_step(pStmt) == SQLITE_ROW) {
    p->iMin = sqlite3_column_int64(pStmt, 0);
    p->iMax = sqlite3_column_int64(pStmt, 1);
    if (sqlite3_column_type(pStmt, 0) == SQLITE_INTEGER)
      r = (double)p->iMax - (double)p->iMin + 1.0;
  }
  sqlite3_finalize(pStmt);
  return r > 1e12 ? (i64)1e12 : (i64)r;
}

/* Prepare the scan of p on its connection, the table in schema zSchema;
** with bRange only the rowids ?2 to ?3 (2: from ?2 on). */
static int scan_sql(DevdbDup *p, const char *zSchema, int bRange) {
  const DevdbDupSpec *s = p->pSpec;
  sqlite3_str *pSql = sqlite3_str_new(p->db);
  sqlite3_str_appendf(pSql, "SELECT 1 FROM \"%w\".\"%w\" NOT INDEXED WHERE ", zSchema,
                      s->zTbl);
  if (bRange) {
    sqlite3_str_appendf(
        pSql, bRange == 2 ? "\"%w\" >= ?2 AND " : "\"%w\" BETWEEN ?2 AND ?3 AND ",
        s->zRowid);
  }
  sqlite3_str_appendall(pSql, "devdb_dup_scan(?1, ");
  scan_columns(pSql, s);
  sqlite3_str_appendall(pSql, ")");
  char *zSql = sqlite3_str_finish(pSql);
  if (zSql == 0) return SQLITE_NOMEM;
  int rc = sqlite3_prepare_v2(p->db, zSql, -1, &p->pScan, 0);
  if (rc != SQLITE_OK && strstr(sqlite3_errmsg(p->db), "devdb_dup_scan")) {
    /* a connection devdb is not loaded on (a scratch or source database, a
    ** helper): a new function may be added even while statements run */
    rc = devdb_dup_register(p->db);
    if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(p->db, zSql, -1, &p->pScan, 0);
  }
  sqlite3_free(zSql);
  p->bRange = bRange;
  return rc;
}

/* ---------------------------------------------------- the split scan */

/* 1 when the caller's connection reads schema zSchema as the helper will:
** not in WAL mode, and not reading other connections' uncommitted rows
** (shared cache with read_uncommitted). Asked again under the pin: a
** switch to WAL needs an exclusive lock the pin keeps out. */
static int reads_alike(sqlite3 *db, const char *zSchema) {
  int bWal = 1;
  return devdb_is_wal(db, zSchema, &bWal) == SQLITE_OK && !bWal &&
         devdb_query_int(db, -1, "PRAGMA read_uncommitted") == 0;
}

/* 1 when the VFS name says it takes no locks ("unix-none"). */
static int vfs_lockless(const char *zName) {
  size_t n = strlen(zName);
  return n >= 5 && strcmp(zName + n - 5, "-none") == 0;
}

/*
** 1 when the scans of p may be split: the integer pipeline on a large
** table, threads that may allocate, no transaction open (the caller sees
** nothing uncommitted), and a database file another connection can open
** and whose locks it shares: a rollback journal (not WAL, where a writer
** may commit between the two reads) through a registered VFS other than
** memdb, locking on. The table must be large next to the schema the
** helper's connection parses. What is checked again at each scan:
** split_run.
*/
static int split_possible(DevdbDup *p, i64 nRow) {
#ifdef DUP_THREADS
  const DevdbDupSpec *s = p->pSpec;
  if (eTestSplit < 0 || !p->bInts || (eTestSplit == 0 && nRow < DUP_SPLIT_ROWS) ||
      !sqlite3_get_autocommit(p->db) || !devdb_threads_ok()) {
    return 0;
  }
  const char *zFile = sqlite3_db_filename(p->db, s->zSchema);
  sqlite3_vfs *pVfs = 0;
  if (zFile == 0 || zFile[0] == 0 || sqlite3_uri_boolean(zFile, "nolock", 0) ||
      sqlite3_uri_boolean(zFile, "immutable", 0) ||
      sqlite3_file_control(p->db, s->zSchema, SQLITE_FCNTL_VFS_POINTER, &pVfs) !=
          SQLITE_OK ||
      pVfs == 0 || pVfs->zName == 0 || strcmp(pVfs->zName, "memdb") == 0 ||
      vfs_lockless(pVfs->zName) || sqlite3_vfs_find(pVfs->zName) != pVfs) {
    return 0;
  }
  int bOk = reads_alike(p->db, s->zSchema);
  if (bOk && eTestSplit == 0) {
    i64 nObj = devdb_query_int(p->db, -1, "SELECT count(*) FROM \"%w\".sqlite_schema",
                               s->zSchema);
    bOk = nObj >= 0 && nRow >= nObj * DUP_SPLIT_PER_OBJECT;
  }
  if (!bOk) return 0;
  DevdbDup *h = engine_new(0, s);
  if (h == 0 || !h->bInts) {
    devdb_dup_close(h);
    return 0;
  }
  h->bHelper = 1;
  h->zFile = sqlite3_mprintf("%s", zFile);
  h->zVfs = sqlite3_mprintf("%s", pVfs->zName);
  h->nBucket = p->nBucket;
  h->nShift = p->nShift;
  h->nChunk = p->nChunk;
  h->aBucket = sqlite3_malloc64(sizeof(DupBucket) * h->nBucket);
  if (h->zFile == 0 || h->zVfs == 0 || h->aBucket == 0) {
    devdb_dup_close(h);
    return 0;
  }
  memset(h->aBucket, 0, sizeof(DupBucket) * h->nBucket);
  p->pHelp = h;
  return 1;
#else
  return 0;
#endif
}

/* One scan of p over the buckets from iLo on, with its statement bound. */
static int scan_once(DevdbDup *p, char **pzErr) {
  p->iHi = p->nBucket;
  p->rc = SQLITE_OK;
  sqlite3_bind_pointer(p->pScan, 1, p, "devdb_dup", 0);
  if (p->bInts) block_start(p);
  int rc = sqlite3_step(p->pScan);
  if (rc == SQLITE_DONE || rc == SQLITE_ROW) rc = SQLITE_OK;
  if (rc != SQLITE_OK) *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(p->db));
  sqlite3_reset(p->pScan);
  if (p->bInts) {
    int rc2 = block_stop(p); /* always: the worker must be gone */
    if (rc == SQLITE_OK && rc2 != SQLITE_OK) rc = p->rc = rc2;
  }
  p->iNext = p->iLo;
  if (rc != SQLITE_OK && p->rc == SQLITE_NOMEM) rc = SQLITE_NOMEM;
  return rc;
}

#ifdef DUP_THREADS
/* Map at most the budget's worth of the file into the helper's connection:
** its reads then copy no pages, and the mapped pages it touches (they count
** as the process's resident memory) stay within that bound. */
static int help_map(DevdbDup *h) {
  sqlite3_stmt *pStmt = 0;
  int rc = devdb_prepare(h->db, &pStmt, "PRAGMA mmap_size=%lld", (long long)DUP_BUDGET);
  if (rc == SQLITE_OK) sqlite3_step(pStmt);
  sqlite3_finalize(pStmt);
  return rc;
}

/* The helper's thread: its connection (opened at its first scan: read
** only, its own page cache, the caller's VFS), then its scan of the rowids
** from iFrom on. Touches nothing but the helper and its connection. */
static void *help_main(void *pArg) {
  DevdbDup *h = pArg;
  int rc = SQLITE_OK;
  if (h->db == 0) {
    rc = sqlite3_open_v2(
        h->zFile, &h->db,
        SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_PRIVATECACHE, h->zVfs);
    if (rc == SQLITE_OK) rc = help_map(h);
    if (rc == SQLITE_OK) rc = scan_sql(h, "main", 2);
  }
  if (rc == SQLITE_OK) {
    char *zErr = 0;
    sqlite3_bind_int64(h->pScan, 2, h->iFrom);
    rc = scan_once(h, &zErr);
    sqlite3_free(zErr);
  }
  h->rcHelp = rc;
  return 0;
}

/* Free the buckets of p from iFrom on. */
static void buckets_free(DevdbDup *p, int iFrom) {
  for (int b = iFrom; b < p->nBucket; b++) chunks_free(p, &p->aBucket[b]);
}
#endif

/*
** One scan split in two: the caller's connection scans the rowids up to
** iMid while the helper scans the others, each into its own buckets with
** half the budget; bucket b is then p's rows of it followed by the
** helper's (devdb_dup_next), so rowid order holds. Both read the same
** state of the file: the caller's connection holds a read (pin: SHARED
** lock) from before the helper starts until after it ends, and outside a
** transaction and in rollback-journal mode no writer can commit while
** that lock is held. Where the read is not the caller's alone to start
** (a transaction, a write) or the helper fails in any way (SQLITE_BUSY
** under a pending writer, no file), the scan's rows are dropped and
** SQLITE_DONE asks for the single scan. A half over its budget shrinks
** its range as usual; the scan covers the buckets both kept.
*/
static int split_run(DevdbDup *p, char **pzErr) {
#ifdef DUP_THREADS
  const DevdbDupSpec *s = p->pSpec;
  DevdbDup *h = p->pHelp;
  sqlite3_stmt *pPin = 0;
  int rc =
      devdb_prepare(p->db, &pPin, "SELECT 1 FROM \"%w\".\"%w\"", s->zSchema, s->zTbl);
  if (rc != SQLITE_OK || sqlite3_step(pPin) != SQLITE_ROW ||
      !sqlite3_get_autocommit(p->db) ||
      sqlite3_txn_state(p->db, s->zSchema) != SQLITE_TXN_READ ||
      !reads_alike(p->db, s->zSchema)) {
    sqlite3_finalize(pPin);
    return SQLITE_DONE;
  }
  i64 nBudget = p->nBudget, iMid = p->iMin / 2 + p->iMax / 2;
  pthread_t thread;
  h->iLo = p->iLo;
  h->iFrom = iMid + 1;
  h->nBudget = p->nBudget = nBudget / 2;
  h->rcHelp = SQLITE_ERROR;
  if (pthread_create(&thread, 0, help_main, h) != 0) {
    sqlite3_finalize(pPin);
    p->nBudget = nBudget;
    return SQLITE_DONE;
  }
  sqlite3_bind_int64(p->pScan, 2, SMALLEST_INT64);
  sqlite3_bind_int64(p->pScan, 3, iMid);
  rc = scan_once(p, pzErr);
  pthread_join(thread, 0);
  sqlite3_finalize(pPin); /* the helper is done: writers may come */
  p->nBudget = nBudget;
  if (rc == SQLITE_OK && h->rcHelp != SQLITE_OK) {
    /* its connection could not open or read the schema (perhaps only busy):
    ** later scans of this listing run single */
    if (h->db == 0 || h->pScan == 0) p->bSplit = 0;
    rc = SQLITE_DONE;
  }
  if (rc != SQLITE_OK) {
    buckets_free(p, p->iLo);
    buckets_free(h, p->iLo);
    return rc;
  }
  if (h->iHi < p->iHi) p->iHi = h->iHi;
  buckets_free(p, p->iHi);
  buckets_free(h, p->iHi);
  __atomic_fetch_add(&nSplitPasses, 1, __ATOMIC_RELAXED);
  return SQLITE_OK;
#else
  return SQLITE_DONE;
#endif
}

/* Size the buckets and prepare the scan. */
static int scan_prepare(DevdbDup *p) {
  i64 nRow = estimate_rows(p);
#ifdef DUP_THREADS
  /* the worker allocates: only where sqlite3_malloc is thread-safe */
  int bLarge = nRow >= (nTestThreadRows ? nTestThreadRows : DUP_THREAD_ROWS);
  p->bGroupOk = bLarge && devdb_threads_ok();
  if (p->bInts && bLarge && devdb_threads_ok() && pthread_mutex_init(&p->mu, 0) == 0) {
    if (pthread_cond_init(&p->cv, 0) == 0)
      p->bThreadOk = 1;
    else
      pthread_mutex_destroy(&p->mu);
  }
#endif
  int nBits = 0;
  while (nBits < 14 && ((i64)DUP_PER_BUCKET << nBits) < nRow) nBits++;
  if (nTestBuckets > 0)
    for (nBits = 0; (1 << nBits) < nTestBuckets && nBits < 14; nBits++) {
    }
  p->nBucket = 1 << nBits;
  p->nShift = 64 - nBits;
  p->nChunk = p->nBucket >= 64 ? 2048 - (int)sizeof(DupChunk) : 16384;
  if (p->nChunk > p->nBudget / 16)
    p->nChunk = p->nBudget / 16 > 256 ? (int)(p->nBudget / 16) : 256;
  p->aBucket = sqlite3_malloc64(sizeof(DupBucket) * p->nBucket);
  if (p->aBucket == 0) return SQLITE_NOMEM;
  memset(p->aBucket, 0, sizeof(DupBucket) * p->nBucket);
  p->bSplit = split_possible(p, nRow);
  return scan_sql(p, p->pSpec->zSchema, p->bSplit);
}

/* Run one scan over the buckets from iLo on: split when it may be. */
static int scan_run(DevdbDup *p, char **pzErr) {
  if (p->bSplit) {
    int rc = split_run(p, pzErr);
    if (rc != SQLITE_DONE) return rc;
  }
  if (p->bRange) {
    sqlite3_bind_int64(p->pScan, 2, SMALLEST_INT64);
    sqlite3_bind_int64(p->pScan, 3, LARGEST_INT64);
  }
  return scan_once(p, pzErr);
}

/* Make room for n rows in the per-row arrays (and their slot table). */
static int rows_reserve(DevdbDup *p, int n) {
  if (n > p->b.nAlloc) {
    int nNew = n < 64 ? 64 : n;
    void **apArr[] = {(void **)&p->b.aRow,   (void **)&p->b.aKey,
                      (void **)&p->b.aRowid, (void **)&p->b.aHash,
                      (void **)&p->b.aNext,  (void **)&p->b.aCount,
                      (void **)&p->b.aTail,  (void **)&p->b.aMember,
                      (void **)&p->b.aGroup, (void **)&p->b.aKeyLen};
    size_t aSize[] = {sizeof(u8 *),     sizeof(u8 *), sizeof(i64), sizeof(u32),
                      sizeof(u32),      sizeof(u32),  sizeof(u32), sizeof(u32),
                      sizeof(DupGroup), sizeof(u32)};
    for (int i = 0; i < 10; i++) {
      void *pNew = sqlite3_realloc64(*apArr[i], aSize[i] * nNew);
      if (pNew == 0) return SQLITE_NOMEM;
      *apArr[i] = pNew;
    }
    p->b.nAlloc = nNew;
  }
  int nSlot = 64;
  while (nSlot < 2 * n) nSlot *= 2;
  if (nSlot > p->b.nSlotAlloc) {
    u32 *aNew = sqlite3_realloc64(p->b.aSlot, sizeof(u32) * nSlot);
    if (aNew == 0) return SQLITE_NOMEM;
    p->b.aSlot = aNew;
    p->b.nSlotAlloc = nSlot;
  }
  return SQLITE_OK;
}

/* Read the rows of bucket pB, then those of pB2 (the helper's half of it,
** or NULL), into the per-row arrays: where each row and its key start, its
** rowid and its key hash. Each list's rowid deltas start from 0. */
static void rows_read(DevdbDup *p, const DupBucket *pB, const DupBucket *pB2) {
  const DevdbDupSpec *s = p->pSpec;
  int n = 0;
  i64 iPrev = 0;
  for (const DupChunk *c = pB->pFirst; c || (pB2 && pB2->pFirst); c = c->pNext) {
    if (c == 0) { /* the second list */
      c = pB2->pFirst;
      pB2 = 0;
      iPrev = 0;
    }
    const u8 *z = c->a, *zEnd = c->a + c->nUsed;
    while (z < zEnd) {
      p->b.aRow[n] = z;
      if (s->bWithoutRowid) {
        z = val_skip(z, s->nPk);
        p->b.aRowid[n] = 0;
      } else {
        u64 u;
        z = varint_get(z, &u);
        p->b.aRowid[n] = iPrev += unzigzag(u);
      }
      p->b.aKey[n] = z;
      u64 h = H_SEED;
      for (int k = 0; k < s->nKey; k++) {
        if ((*z & 3) == 0) { /* an integer (the usual key) */
          u64 u;
          z = varint_get(z, &u);
          h = h_int(h, unzigzag(u >> 2));
        } else {
          DupVal v;
          z = val_get(z, &v);
          h = val_hash(h, &v, s->aKey[k].eColl);
        }
      }
      p->b.aKeyLen[n] = (u32)(z - p->b.aKey[n]);
      p->b.aHash[n++] = (u32)h_final(h);
      if (s->nOrd) z = val_skip(z, s->nOrd);
    }
  }
  p->b.nRow = n;
}

/* 1 when the keys at a and b are equal under the key collations. */
static int keys_eq(const DevdbDupSpec *s, const u8 *a, const u8 *b) {
  for (int k = 0; k < s->nKey; k++) {
    DupVal va, vb;
    a = val_get(a, &va);
    b = val_get(b, &vb);
    if (!val_eq(&va, &vb, s->aKey[k].eColl)) return 0;
  }
  return 1;
}

/* Chain each row to the first row with an equal key (aNext), counting
** each first row's group in aCount (0 for rows that are not first). */
static void rows_link(DevdbDup *p) {
  const DevdbDupSpec *s = p->pSpec;
  u32 nSlot = 64;
  while (nSlot < 2 * (u32)p->b.nRow) nSlot *= 2;
  memset(p->b.aSlot, 0, sizeof(u32) * nSlot);
  for (int i = 0; i < p->b.nRow; i++) {
    u32 h = p->b.aHash[i], j = h & (nSlot - 1), iFirst;
    p->b.aNext[i] = 0;
    p->b.aCount[i] = 0;
    while ((iFirst = p->b.aSlot[j]) != 0) {
      iFirst--;
      if (p->b.aHash[iFirst] == h &&
          ((p->b.aKeyLen[iFirst] == p->b.aKeyLen[i] &&
            memcmp(p->b.aKey[iFirst], p->b.aKey[i], p->b.aKeyLen[i]) == 0) ||
           keys_eq(s, p->b.aKey[iFirst], p->b.aKey[i]))) {
        break;
      }
      j = (j + 1) & (nSlot - 1);
    }
    if (p->b.aSlot[j] == 0) {
      p->b.aSlot[j] = i + 1;
      p->b.aCount[i] = 1;
      p->b.aTail[i] = i;
    } else {
      p->b.aNext[p->b.aTail[iFirst]] = i + 1;
      p->b.aTail[iFirst] = i;
      p->b.aCount[iFirst]++;
    }
  }
}

/* Order of two rows by id (rowid, or primary key ascending). */
static int id_cmp(const DevdbDup *p, u32 a, u32 b) {
  const DevdbDupSpec *s = p->pSpec;
  if (!s->bWithoutRowid)
    return (p->b.aRowid[a] > p->b.aRowid[b]) - (p->b.aRowid[a] < p->b.aRowid[b]);
  const u8 *za = p->b.aRow[a], *zb = p->b.aRow[b];
  for (int i = 0; i < s->nPk; i++) {
    DupVal va, vb;
    za = val_get(za, &va);
    zb = val_get(zb, &vb);
    int c = val_cmp(&va, &vb, s->aPk[i].eColl);
    if (c) return c;
  }
  return 0;
}

/* Order of two rows by the keep ordering: < 0 when a survives before b. */
static int keep_cmp(const DevdbDup *p, u32 a, u32 b) {
  const DevdbDupSpec *s = p->pSpec;
  if (s->eKeep == KEEP_FIRST) return id_cmp(p, a, b);
  if (s->eKeep == KEEP_LAST) return id_cmp(p, b, a);
  const u8 *za = val_skip(p->b.aKey[a], s->nKey), *zb = val_skip(p->b.aKey[b], s->nKey);
  for (int i = 0; i < s->nOrd; i++) {
    const DupTerm *t = &s->aOrd[i];
    DupVal va, vb;
    za = val_get(za, &va);
    zb = val_get(zb, &vb);
    int bNa = va.eType == SQLITE_NULL, bNb = vb.eType == SQLITE_NULL, c;
    if (bNa || bNb) {
      int bFirst = t->eNulls ? t->eNulls == NULLS_FIRST : !t->bDesc;
      c = bNa == bNb ? 0 : (bNa ? -1 : 1) * (bFirst ? 1 : -1);
    } else {
      c = val_cmp(&va, &vb, t->eColl);
      if (t->bDesc) c = -c;
    }
    if (c) return c;
  }
  return 0;
}

/* Sort a[0..n) by id: insertion sort, which is linear on the usual
** already-sorted input; a heap sort above a small size when it is not. */
static void sift(const DevdbDup *p, u32 *a, int i, int n) {
  for (int c; (c = 2 * i + 1) < n; i = c) {
    if (c + 1 < n && id_cmp(p, a[c + 1], a[c]) > 0) c++;
    if (id_cmp(p, a[c], a[i]) <= 0) break;
    u32 t = a[i];
    a[i] = a[c];
    a[c] = t;
  }
}

static void ids_sort(const DevdbDup *p, u32 *a, int n) {
  int nOut = 0;
  for (int i = 1; i < n; i++) nOut += id_cmp(p, a[i - 1], a[i]) > 0;
  if (nOut == 0) return;
  if (n <= 32) {
    for (int i = 1; i < n; i++) {
      u32 x = a[i];
      int j = i;
      for (; j > 0 && id_cmp(p, a[j - 1], x) > 0; j--) a[j] = a[j - 1];
      a[j] = x;
    }
    return;
  }
  for (int i = n / 2 - 1; i >= 0; i--) sift(p, a, i, n);
  for (int i = n - 1; i > 0; i--) {
    u32 t = a[0];
    a[0] = a[i];
    a[i] = t;
    sift(p, a, 0, i);
  }
}

/* Turn the chains of rows_link into groups: the survivor first. */
static void rows_group(DevdbDup *p) {
  int nMember = 0;
  p->b.nGroup = 0;
  for (int i = 0; i < p->b.nRow; i++) {
    if (p->b.aCount[i] < 2) continue;
    DupGroup *g = &p->b.aGroup[p->b.nGroup++];
    g->iFirst = nMember;
    g->nMember = p->b.aCount[i];
    u32 iKeep = i;
    for (u32 j = i + 1; j; j = p->b.aNext[j - 1]) {
      p->b.aMember[nMember++] = j - 1;
      if (keep_cmp(p, j - 1, iKeep) < 0) iKeep = j - 1;
    }
    u32 *a = &p->b.aMember[g->iFirst], k = 0;
    while (a[k] != iKeep) k++;
    a[k] = a[0];
    a[0] = iKeep;
    ids_sort(p, a + 1, g->nMember - 1);
  }
}

/* Group bucket pB: fills the current batch. */
static int bucket_group(DevdbDup *p, DupBucket *pB, DupBucket *pB2) {
  int rc = rows_reserve(p, pB->nRow + pB2->nRow);
  if (rc != SQLITE_OK) return rc;
  rows_read(p, pB, pB2);
  rows_link(p);
  rows_group(p);
  return SQLITE_OK;
}

/* -------------------------------------------------------- the fallback */

/* "k1" COLLATE "c1", "k2" COLLATE "c2" (the key under its collations). */
static void key_terms(sqlite3_str *pSql, const DevdbDupSpec *s) {
  for (int i = 0; i < s->nKey; i++) {
    sqlite3_str_appendf(pSql, "%s\"%w\" COLLATE \"%w\"", i ? ", " : "", s->aKey[i].zName,
                        s->aKey[i].zColl);
  }
}

/* The fallback query: the rows of groups of two or more, ordered by group
** and within it by the keep ordering (the survivor first). */
static int fallback_prepare(DevdbDup *p) {
  const DevdbDupSpec *s = p->pSpec;
  sqlite3_str *pSql = sqlite3_str_new(p->db);
  sqlite3_str_appendall(pSql, "SELECT * FROM (SELECT ");
  scan_columns(pSql, s);
  sqlite3_str_appendall(pSql, ", dense_rank() OVER (ORDER BY ");
  key_terms(pSql, s);
  sqlite3_str_appendall(pSql, ") AS devdb_g, row_number() OVER (PARTITION BY ");
  key_terms(pSql, s);
  sqlite3_str_appendall(pSql, " ORDER BY ");
  if (s->eKeep != KEEP_ORDER) {
    sqlite3_str_appendf(pSql, "%s %s", s->zRowid, s->eKeep == KEEP_LAST ? "DESC" : "ASC");
  }
  for (int i = 0; i < s->nOrd; i++) {
    const DupTerm *t = &s->aOrd[i];
    sqlite3_str_appendf(pSql, "%s\"%w\" COLLATE \"%w\"%s%s", i ? ", " : "", t->zName,
                        t->zColl, t->bDesc ? " DESC" : "",
                        t->eNulls == NULLS_FIRST  ? " NULLS FIRST"
                        : t->eNulls == NULLS_LAST ? " NULLS LAST"
                                                  : "");
  }
  sqlite3_str_appendall(pSql, ") AS devdb_r, count(*) OVER (PARTITION BY ");
  key_terms(pSql, s);
  sqlite3_str_appendf(pSql, ") AS devdb_n FROM \"%w\".\"%w\" WHERE ", s->zSchema,
                      s->zTbl);
  for (int i = 0; i < s->nKey; i++) {
    sqlite3_str_appendf(pSql, "%s\"%w\" IS NOT NULL", i ? " AND " : "", s->aKey[i].zName);
  }
  sqlite3_str_appendall(pSql, ") WHERE devdb_n > 1 ORDER BY devdb_g, devdb_r");
  return prepare_str(p->db, pSql, &p->pScan);
}

/* The next group of the fallback query as the batch. */
static int fallback_next(DevdbDup *p, char **pzErr) {
  cur_free(p);
  p->b.nGroup = 0;
  int nCol = p->nArg - 1, nRow = 0;
  int rc = p->bPending ? SQLITE_ROW : p->bDone ? SQLITE_DONE : sqlite3_step(p->pScan);
  i64 iGroup = rc == SQLITE_ROW ? sqlite3_column_int64(p->pScan, nCol) : 0;
  while (rc == SQLITE_ROW && sqlite3_column_int64(p->pScan, nCol) == iGroup) {
    u64 h;
    int nByte = 0;
    for (int i = 0; i < nCol; i++) p->apCol[i] = sqlite3_column_value(p->pScan, i);
    rc = keys_read(p, p->apCol, &h, &nByte);
    if (rc == SQLITE_OK) rc = bucket_add(p, &p->b.cur, p->apCol, nByte);
    if (rc != SQLITE_OK) return rc;
    nRow++;
    rc = sqlite3_step(p->pScan);
  }
  p->bPending = rc == SQLITE_ROW;
  p->bDone = rc == SQLITE_DONE; /* a step after DONE would start it again */
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(p->db));
    return rc;
  }
  if (nRow == 0) {
    p->bEof = 1;
    return SQLITE_OK;
  }
  bucket_seal(&p->b.cur);
  if ((rc = rows_reserve(p, nRow)) != SQLITE_OK) return rc;
  rows_read(p, &p->b.cur, 0);
  for (int i = 0; i < nRow; i++) p->b.aMember[i] = i;
  ids_sort(p, p->b.aMember + 1, nRow - 1);
  p->b.aGroup[0].iFirst = 0;
  p->b.aGroup[0].nMember = nRow;
  p->b.nGroup = 1;
  return SQLITE_OK;
}

/* ------------------------------------------------------------- batches */

/* Move bucket iBucket (the caller's rows of it, then the helper's) into
** batch pBat. */
static void bucket_take(DevdbDup *p, DupBatch *pBat, int iBucket) {
  bucket_seal(&p->aBucket[iBucket]);
  pBat->cur = p->aBucket[iBucket];
  memset(&p->aBucket[iBucket], 0, sizeof(DupBucket));
  if (p->pHelp) {
    DupBucket *pB2 = &p->pHelp->aBucket[iBucket];
    bucket_seal(pB2);
    pBat->cur2 = *pB2;
    memset(pB2, 0, sizeof(DupBucket));
  }
}

/* Free the per-row arrays of a batch (not its rows). */
static void batch_free(DupBatch *pBat) {
  void *ap[] = {(void *)pBat->aRow, (void *)pBat->aKey, pBat->aRowid, pBat->aHash,
                pBat->aNext,        pBat->aCount,       pBat->aTail,  pBat->aSlot,
                pBat->aMember,      pBat->aGroup,       pBat->aKeyLen};
  for (size_t i = 0; i < sizeof(ap) / sizeof(ap[0]); i++) sqlite3_free(ap[i]);
}

/*
** The grouper: a thread that groups the buckets after the caller's, up to
** DUP_SLOTS ahead, each into a batch of its own (a slot), while the caller
** hands groups out. The caller takes bucket i's batch from its slot whole
** (the two batches swap), or, when the grouper has not claimed bucket i,
** claims and groups it itself. The grouper reads rows and writes its
** slots, allocating with sqlite3_malloc only; the rows stay the caller's to
** free. Batches come out in bucket order as without it. Buckets are
** claimed under gmu, below iClaimHi, which the caller sets after each scan
** (the grouper is then idle: every bucket of the last scan was taken).
*/
enum { SLOT_FREE, SLOT_WORK, SLOT_READY };

#ifdef DUP_THREADS
/* The slot holding bucket iBucket, or NULL. Under gmu. */
static DevdbDup *slot_of(DevdbDup *p, int iBucket) {
  for (int i = 0; i < DUP_SLOTS; i++) {
    DevdbDup *g = p->apSlot[i];
    if (g->eSlot != SLOT_FREE && g->iSlotBucket == iBucket) return g;
  }
  return 0;
}

static int group_one(DevdbDup *p);

static void *group_main(void *pArg) {
  DevdbDup *p = pArg;
  pthread_mutex_lock(&p->gmu);
  while (!p->bGroupStop) {
    if (!group_one(p)) pthread_cond_wait(&p->gcv, &p->gmu);
  }
  pthread_mutex_unlock(&p->gmu);
  return 0;
}

/* Start the grouper; 0 when it cannot run (then it never will). */
static int group_start(DevdbDup *p) {
  p->apSlot = sqlite3_malloc64(sizeof(DevdbDup *) * DUP_SLOTS);
  if (p->apSlot == 0) return 0;
  memset(p->apSlot, 0, sizeof(DevdbDup *) * DUP_SLOTS);
  for (int i = 0; i < DUP_SLOTS; i++) {
    DevdbDup *g = p->apSlot[i] = sqlite3_malloc64(sizeof(*g));
    if (g == 0) return 0;
    memset(g, 0, sizeof(*g));
    g->pSpec = p->pSpec;
  }
  p->iClaim = p->iClaimHi = 0;
  p->bGroupStop = 0;
  if (pthread_mutex_init(&p->gmu, 0) == 0) {
    if (pthread_cond_init(&p->gcv, 0) == 0) {
      if (pthread_create(&p->gthread, 0, group_main, p) == 0) return p->bGrouper = 1;
      pthread_cond_destroy(&p->gcv);
    }
    pthread_mutex_destroy(&p->gmu);
  }
  return 0;
}

/* Stop the grouper and free its slots (their rows are the caller's). */
static void group_stop(DevdbDup *p) {
  if (p->bGrouper) {
    thread_stop(&p->gmu, &p->gcv, &p->bGroupStop, p->gthread);
    pthread_cond_destroy(&p->gcv);
    pthread_mutex_destroy(&p->gmu);
    p->bGrouper = 0;
  }
  for (int i = 0; p->apSlot && i < DUP_SLOTS; i++) {
    DevdbDup *g = p->apSlot[i];
    if (g == 0) continue;
    chunks_free(p, &g->b.cur);
    if (p->pHelp) chunks_free(p->pHelp, &g->b.cur2);
    batch_free(&g->b);
    sqlite3_free(g);
  }
  sqlite3_free(p->apSlot);
  p->apSlot = 0;
}
#endif

/* After a scan: let the grouper claim its buckets (starting it the first
** time, when it may run). */
static void group_scan_done(DevdbDup *p) {
#ifdef DUP_THREADS
  if (p->bGroupOk && !p->bGrouper && !group_start(p)) {
    group_stop(p);
    p->bGroupOk = 0;
  }
  if (!p->bGrouper) return;
  pthread_mutex_lock(&p->gmu);
  p->iClaim = p->iNext;
  p->iClaimHi = p->iHi;
  pthread_cond_broadcast(&p->gcv);
  pthread_mutex_unlock(&p->gmu);
#endif
}

#ifdef DUP_THREADS
/* Claim the next bucket into a free slot and group it there, when there
** are both; 0 when not. Under gmu (released while grouping). */
static int group_one(DevdbDup *p) {
  DevdbDup *g = 0;
  for (int i = 0; g == 0 && i < DUP_SLOTS; i++)
    if (p->apSlot[i]->eSlot == SLOT_FREE) g = p->apSlot[i];
  if (g == 0 || p->iClaim >= p->iClaimHi) return 0;
  g->iSlotBucket = p->iClaim++;
  g->eSlot = SLOT_WORK;
  pthread_mutex_unlock(&p->gmu);
  bucket_take(p, &g->b, g->iSlotBucket);
  int rc = bucket_group(g, &g->b.cur, &g->b.cur2);
  pthread_mutex_lock(&p->gmu);
  g->rc = rc;
  g->eSlot = SLOT_READY;
  pthread_cond_broadcast(&p->gcv);
  return 1;
}
#endif

/* Make bucket iNext the current batch: from its slot when the grouper (or
** the caller, while it waited) grouped it, else grouped here. */
static int group_next(DevdbDup *p) {
  int iBucket = p->iNext++;
#ifdef DUP_THREADS
  if (p->bGrouper) {
    pthread_mutex_lock(&p->gmu);
    DevdbDup *g;
    while ((g = slot_of(p, iBucket)) != 0 && g->eSlot == SLOT_WORK) {
      if (!group_one(p)) pthread_cond_wait(&p->gcv, &p->gmu);
    }
    if (g) {
      DupBatch t = p->b; /* its rows are freed */
      int rc = g->rc;
      p->b = g->b;
      g->b = t;
      g->eSlot = SLOT_FREE;
      pthread_cond_broadcast(&p->gcv);
      pthread_mutex_unlock(&p->gmu);
      return rc;
    }
    p->iClaim = iBucket + 1; /* the grouper is behind: this one is ours */
    pthread_mutex_unlock(&p->gmu);
  }
#endif
  bucket_take(p, &p->b, iBucket);
  return bucket_group(p, &p->b.cur, &p->b.cur2);
}

int devdb_dup_next(DevdbDup *p, char **pzErr) {
  *pzErr = 0;
  if (p->pSpec->bFallback || bTestFallback) return fallback_next(p, pzErr);
  cur_free(p);
  p->b.nGroup = 0;
  while (!p->bEof) {
    if (p->iNext >= p->iHi) {
      if (p->iHi >= p->nBucket) {
        p->bEof = 1;
        break;
      }
      p->iLo = p->iHi;
      int rc = scan_run(p, pzErr);
      if (rc != SQLITE_OK) return rc;
      group_scan_done(p);
      continue;
    }
    int rc = group_next(p);
    if (rc != SQLITE_OK) return rc;
    if (p->b.nGroup > 0) break;
    cur_free(p);
  }
  return SQLITE_OK;
}

/* A new engine for pSpec on db, without its scan: NULL on OOM. */
static DevdbDup *engine_new(sqlite3 *db, const DevdbDupSpec *pSpec) {
  DevdbDup *p = sqlite3_malloc64(sizeof(*p));
  if (p == 0) return 0;
  memset(p, 0, sizeof(*p));
  p->db = db;
  p->pSpec = pSpec;
  p->nArg = 1 + (pSpec->bWithoutRowid ? pSpec->nPk : 1) + pSpec->nKey + pSpec->nOrd;
  p->nBudget = devdb_dup_budget();
  p->bInts = !pSpec->bWithoutRowid && pSpec->nOrd == 0 && pSpec->nKey <= DUP_FAST_KEYS &&
             !bTestFallback && !pSpec->bFallback;
  for (int i = 0; p->bInts && i < DUP_BLOCKS; i++) {
    p->aBlock[i] = sqlite3_malloc64(sizeof(i64) * DUP_BLOCK_ROWS * (pSpec->nKey + 1));
    if (p->aBlock[i] == 0) p->bInts = 0;
  }
  p->nChunk = 4096;
  p->iHi = 0;
  p->aV = sqlite3_malloc64(sizeof(DupVal) * p->nArg);
  p->apCol = sqlite3_malloc64(sizeof(sqlite3_value *) * p->nArg);
  if (p->aV == 0 || p->apCol == 0) {
    devdb_dup_close(p);
    return 0;
  }
  return p;
}

int devdb_dup_open(sqlite3 *db, const DevdbDupSpec *pSpec, DevdbDup **pp, char **pzErr) {
  *pp = 0;
  *pzErr = 0;
  DevdbDup *p = engine_new(db, pSpec);
  if (p == 0) return SQLITE_NOMEM;
  int rc = pSpec->bFallback || bTestFallback ? fallback_prepare(p) : scan_prepare(p);
  if (rc != SQLITE_OK && rc != SQLITE_NOMEM)
    *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(db));
  if (rc == SQLITE_OK) rc = devdb_dup_next(p, pzErr);
  if (rc != SQLITE_OK) {
    devdb_dup_close(p);
    return rc;
  }
  *pp = p;
  return SQLITE_OK;
}

void devdb_dup_close(DevdbDup *p) {
  if (p == 0) return;
#ifdef DUP_THREADS
  group_stop(p); /* first: its batch holds rows of p and of the helper */
#endif
  sqlite3_finalize(p->pScan);
  for (int b = 0; p->aBucket && b < p->nBucket; b++) chunks_free(p, &p->aBucket[b]);
  cur_free(p);
  devdb_dup_close(p->pHelp);
  if (p->bHelper) sqlite3_close(p->db);
  sqlite3_free(p->zFile);
  sqlite3_free(p->zVfs);
  sqlite3_free(p->aBucket);
  sqlite3_free(p->apCol);
  for (int i = 0; i < DUP_BLOCKS; i++) sqlite3_free(p->aBlock[i]);
#ifdef DUP_THREADS
  if (p->bThreadOk) {
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
  }
#endif
  batch_free(&p->b);
  sqlite3_free(p->aV);
  sqlite3_free(p);
}

int devdb_dup_eof(const DevdbDup *p) {
  return p->bEof;
}
int devdb_dup_busy(const DevdbDup *p) {
  return p->pScan && sqlite3_stmt_busy(p->pScan);
}
int devdb_dup_ngroup(const DevdbDup *p) {
  return p->b.nGroup;
}
int devdb_dup_nmember(const DevdbDup *p, int iGroup) {
  return (int)p->b.aGroup[iGroup].nMember;
}

/* The row of member m of group g (0 is the survivor). */
static u32 member(const DevdbDup *p, int g, int m) {
  return p->b.aMember[p->b.aGroup[g].iFirst + m];
}

sqlite3_int64 devdb_dup_rowid(const DevdbDup *p, int iGroup, int iMember) {
  return p->b.aRowid[member(p, iGroup, iMember)];
}

const unsigned char *devdb_dup_id(const DevdbDup *p, int iGroup, int iMember,
                                  int *pnByte) {
  u32 r = member(p, iGroup, iMember);
  *pnByte = (int)(p->b.aKey[r] - p->b.aRow[r]);
  return p->b.aRow[r];
}

int devdb_dup_bind(sqlite3_stmt *pStmt, int iParam, const unsigned char *pId, int nVal) {
  int rc = SQLITE_OK;
  for (int i = 0; i < nVal && rc == SQLITE_OK; i++) {
    DupVal v;
    pId = val_get(pId, &v);
    switch (v.eType) {
    case SQLITE_INTEGER:
      rc = sqlite3_bind_int64(pStmt, iParam + i, v.i);
      break;
    case SQLITE_FLOAT:
      rc = sqlite3_bind_double(pStmt, iParam + i, v.r);
      break;
    case SQLITE_TEXT:
      rc = sqlite3_bind_text(pStmt, iParam + i, (const char *)v.z, v.n, SQLITE_STATIC);
      break;
    case SQLITE_BLOB:
      rc = sqlite3_bind_blob(pStmt, iParam + i, v.z, v.n, SQLITE_STATIC);
      break;
    default:
      rc = sqlite3_bind_null(pStmt, iParam + i);
    }
  }
  return rc;
}

/* ---------------------------------------------------------------- JSON */

/* Room for n more bytes in t, and one after them for a NUL. */
static int text_grow(DevdbDupText *t, i64 n) {
  if (t->rc) return 0;
  if (t->n + n + 1 > t->nAlloc) {
    i64 nNew = (t->nAlloc ? t->nAlloc * 2 : 256) + n;
    char *zNew = sqlite3_realloc64(t->z, nNew);
    if (zNew == 0) {
      t->rc = SQLITE_NOMEM;
      return 0;
    }
    t->z = zNew;
    t->nAlloc = nNew;
  }
  return 1;
}

static void text_append(DevdbDupText *t, const char *z, int n) {
  if (text_grow(t, n)) {
    memcpy(t->z + t->n, z, n);
    t->n += n;
  }
}

static void text_int(DevdbDupText *t, i64 i) {
  char a[24], *z = a + sizeof(a);
  u64 u = i < 0 ? (u64)0 - (u64)i : (u64)i;
  do *--z = (char)('0' + u % 10);
  while ((u /= 10) != 0);
  if (i < 0) *--z = '-';
  text_append(t, z, (int)(a + sizeof(a) - z));
}

/* A JSON string of n bytes of text. */
static void text_json_string(DevdbDupText *t, const u8 *z, int n) {
  static const char hex[] = "0123456789abcdef";
  if (!text_grow(t, (i64)n * 6 + 2)) return;
  char *o = t->z + t->n;
  *o++ = '"';
  for (int i = 0; i < n; i++) {
    u8 c = z[i];
    if (c >= 0x20 && c != '"' && c != '\\') {
      *o++ = (char)c;
    } else if (c == '"' || c == '\\') {
      *o++ = '\\';
      *o++ = (char)c;
    } else {
      memcpy(o, "\\u00", 4);
      o[4] = hex[c >> 4];
      o[5] = hex[c & 15];
      o += 6;
    }
  }
  *o++ = '"';
  t->n = o - t->z;
}

/* One value as JSON: a blob as the text of its SQL literal, x'..'. */
static void text_json_value(DevdbDupText *t, const DupVal *v) {
  char a[40];
  switch (v->eType) {
  case SQLITE_INTEGER:
    text_int(t, v->i);
    break;
  case SQLITE_FLOAT:
    if (isinf(v->r))
      sqlite3_snprintf(sizeof(a), a, "%s9.0e+999", v->r < 0 ? "-" : "");
    else
      sqlite3_snprintf(sizeof(a), a, "%!.15g", v->r);
    text_append(t, a, (int)strlen(a));
    break;
  case SQLITE_TEXT:
    text_json_string(t, v->z, v->n);
    break;
  case SQLITE_BLOB: {
    static const char hex[] = "0123456789abcdef";
    if (!text_grow(t, (i64)v->n * 2 + 5)) return;
    char *o = t->z + t->n;
    memcpy(o, "\"x'", 3);
    o += 3;
    for (int i = 0; i < v->n; i++) *o++ = hex[v->z[i] >> 4], *o++ = hex[v->z[i] & 15];
    memcpy(o, "'\"", 2);
    t->n = o + 2 - t->z;
    break;
  }
  default:
    text_append(t, "null", 4);
  }
}

/* A JSON array of n values encoded at z. */
static void text_json_values(DevdbDupText *t, const u8 *z, int n) {
  text_append(t, "[", 1);
  for (int i = 0; i < n; i++) {
    DupVal v;
    z = val_get(z, &v);
    if (i) text_append(t, ",", 1);
    text_json_value(t, &v);
  }
  text_append(t, "]", 1);
}

void devdb_dup_json_key(const DevdbDup *p, int iGroup, DevdbDupText *t) {
  text_json_values(t, p->b.aKey[member(p, iGroup, 0)], p->pSpec->nKey);
}

void devdb_dup_json_id(const DevdbDup *p, int iGroup, int iMember, DevdbDupText *t) {
  u32 r = member(p, iGroup, iMember);
  if (p->pSpec->bWithoutRowid)
    text_json_values(t, p->b.aRow[r], p->pSpec->nPk);
  else
    text_int(t, p->b.aRowid[r]);
}

void devdb_dup_json_drops(const DevdbDup *p, int iGroup, DevdbDupText *t) {
  int n = devdb_dup_nmember(p, iGroup);
  text_append(t, "[", 1);
  for (int m = 1; m < n; m++) {
    if (m > 1) text_append(t, ",", 1);
    devdb_dup_json_id(p, iGroup, m, t);
  }
  text_append(t, "]", 1);
}
