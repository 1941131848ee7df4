/*
** Property test of the dedup area against SQLite itself: on random tables
** (seeded; random declared types, collations, keys, keep policies, rowids
** and values chosen to collide: 1, 1.0, '1', 'a', 'A', 'a ', embedded NULs,
** blobs, 2^53 + 1 ...) the oracle is a table with the UNIQUE index, filled
** with INSERT OR IGNORE in the keep order: what it ignores is exactly what
** devdb_dedup must delete, and each ignored row's conflicting row is the
** survivor devdb_duplicates must name. devdb_dup_count must count the same.
**
** Every case runs four ways: the default engine, a tiny memory budget with
** many buckets (several scans, halved ranges), the SQL fallback, and keys
** under a custom collation equal to NOCASE (the fallback for real).
** DEVDB_PROPERTY_CASES=N runs more cases (default bounded for make test).
*/
#include "devdb.h"
#include "unit.h"

#include <stdlib.h>
#include <time.h>

int sqlite3_devdb_init(sqlite3 *, char **, const sqlite3_api_routines *);

static unsigned long long rng = 0x9E3779B97F4A7C15ULL;
static unsigned rnd(unsigned n) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (unsigned)(rng % n);
}

/* MYNOCASE: NOCASE exactly (sqlite3_strnicmp is the one NOCASE uses). */
static int mynocase(void *p, int na, const void *a, int nb, const void *b) {
  int r = sqlite3_strnicmp(a, b, na < nb ? na : nb);
  return r ? r : na - nb;
}

static const char *azType[] = {"",
                               "TEXT",
                               "INT",
                               "REAL",
                               "NUMERIC",
                               "BLOB",
                               "TEXT COLLATE NOCASE",
                               "TEXT COLLATE RTRIM"};
static const char *azValue[] = {"NULL",
                                "0",
                                "1",
                                "-1",
                                "1.0",
                                "-0.0",
                                "2.5",
                                "'1'",
                                "'1.0'",
                                "'a'",
                                "'A'",
                                "'a '",
                                "'A  '",
                                "''",
                                "'b'",
                                "x'61'",
                                "x''",
                                "'a'||char(0)||'b'",
                                "'A'||char(0)||'c'",
                                "9007199254740993",
                                "9007199254740992.0",
                                "'ß'",
                                "'é '",
                                "' a'"};
#define N_TYPE (int)(sizeof(azType) / sizeof(azType[0]))
#define N_VALUE (int)(sizeof(azValue) / sizeof(azValue[0]))

/* One random case: the SQL texts it is made of. */
typedef struct Case {
  int nCol, bWr;
  char zCreate[1024]; /* CREATE TABLE %s(...), %s the table name */
  char zCols[256];    /* the key, as given to devdb */
  char zKeyDecl[512]; /* o's key columns with declarations */
  char zKeyList[256]; /* k0, k1 */
  char zUnique[256];  /* UNIQUE(...) with collations */
  char zKeep[256];    /* keep argument, or "" */
  char zOrder[256];   /* ORDER BY for the oracle */
} Case;

static void cat(char *z, size_t n, const char *zFmt, const char *zArg) {
  size_t len = strlen(z);
  snprintf(z + len, n - len, zFmt, zArg);
}

static void make_case(Case *c, int bCustom) {
  memset(c, 0, sizeof(*c));
  c->nCol = 1 + rnd(4);
  c->bWr = rnd(3) == 0;
  int aType[4];
  snprintf(c->zCreate, sizeof(c->zCreate), "CREATE TABLE %%s(id %s PRIMARY KEY",
           c->bWr && rnd(2) ? "TEXT COLLATE NOCASE" : "INTEGER");
  for (int i = 0; i < c->nCol; i++) {
    aType[i] = rnd(N_TYPE);
    char z[64];
    snprintf(z, sizeof(z), ", c%d %s", i, azType[aType[i]]);
    cat(c->zCreate, sizeof(c->zCreate), "%s", z);
  }
  cat(c->zCreate, sizeof(c->zCreate), "%s", c->bWr ? ") WITHOUT ROWID" : ")");
  int nKey = 1 + rnd(c->nCol), iFirst = rnd(c->nCol);
  for (int k = 0; k < nKey; k++) {
    int i = (iFirst + k) % c->nCol;
    const char *zColl = bCustom ? " COLLATE MYNOCASE"
                        : rnd(3) == 0
                            ? (const char *[]){" COLLATE NOCASE", " COLLATE RTRIM",
                                               " COLLATE BINARY"}[rnd(3)]
                            : "";
    char z[96];
    snprintf(z, sizeof(z), "%sc%d%s", k ? ", " : "", i, zColl);
    cat(c->zCols, sizeof(c->zCols), "%s", z);
    snprintf(z, sizeof(z), ", c%d %s", i, azType[aType[i]]);
    cat(c->zKeyDecl, sizeof(c->zKeyDecl), "%s", z);
    snprintf(z, sizeof(z), ", c%d", i);
    cat(c->zKeyList, sizeof(c->zKeyList), "%s", z);
    snprintf(z, sizeof(z), "%sc%d%s", k ? ", " : "", i, zColl);
    cat(c->zUnique, sizeof(c->zUnique), "%s", z);
  }
  switch (rnd(4)) {
  case 0:
    snprintf(c->zOrder, sizeof(c->zOrder), "id");
    break;
  case 1:
    snprintf(c->zKeep, sizeof(c->zKeep), "last");
    snprintf(c->zOrder, sizeof(c->zOrder), "id DESC");
    break;
  default: {
    int i = rnd(c->nCol);
    const char *zDir = (const char *[]){"", " DESC", " NULLS LAST", " DESC NULLS FIRST",
                                        " COLLATE NOCASE DESC"}[rnd(5)];
    char z[96];
    snprintf(z, sizeof(z), "c%d%s", i, zDir);
    snprintf(c->zKeep, sizeof(c->zKeep), "%s", z);
    snprintf(c->zOrder, sizeof(c->zOrder), "%s, id", z);
  }
  }
}

static int nSqlError;

/* Run SQL built printf-style; returns the first integer of the first row. */
static long long q(sqlite3 *db, const char *zFmt, ...) {
  va_list ap;
  va_start(ap, zFmt);
  char *zSql = sqlite3_vmprintf(zFmt, ap);
  va_end(ap);
  sqlite3_stmt *pStmt = 0;
  long long v = -999;
  int rc = sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0);
  if (rc == SQLITE_OK) {
    while ((rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
      if (v == -999) v = sqlite3_column_int64(pStmt, 0);
    }
  }
  if (rc != SQLITE_DONE) {
    nSqlError++;
    printf("# sql error: %s\n#   in: %s\n", sqlite3_errmsg(db), zSql);
    v = -1000;
  }
  sqlite3_finalize(pStmt);
  sqlite3_free(zSql);
  return v;
}

/* Fill t and tc with the same random rows. */
static void fill(sqlite3 *db, const Case *c, int nRow) {
  q(db, c->zCreate, "t");
  q(db, c->zCreate, "tc");
  for (int r = 0; r < nRow; r++) {
    char zVals[512] = "";
    for (int i = 0; i < c->nCol; i++) {
      cat(zVals, sizeof(zVals), ", %s", azValue[rnd(N_VALUE)]);
    }
    long long iId =
        c->bWr ? r : (long long)rnd(2000000) - 1000000 + (long long)r * 2000001;
    int bText = strstr(c->zCreate, "id TEXT") != 0;
    q(db, "INSERT INTO t VALUES(%s%lld%s%s)", bText ? "'r" : "", iId, bText ? "'" : "",
      zVals);
  }
  q(db, "INSERT INTO tc SELECT * FROM t");
}

/* Check one case under the current engine limits; returns failures. */
static int check_case(sqlite3 *db, const Case *c, const char *zMode) {
  const char *zKeep = c->zKeep[0] ? c->zKeep : 0;
  const char *zId = c->bWr ? "(x ->> 0)" : "x";
  int nBad = 0;
  q(db, "CREATE TABLE o(rid %s, UNIQUE(%s))", c->zKeyDecl, c->zUnique);
  q(db, "INSERT OR IGNORE INTO o SELECT id%s FROM t ORDER BY %s", c->zKeyList, c->zOrder);
  q(db,
    "CREATE TABLE d AS SELECT keep_rowid AS keep, drop_rowids AS drops, n FROM "
    "devdb_duplicates('t', %Q, %Q)",
    c->zCols, zKeep);
  q(db,
    "CREATE TABLE dropped AS SELECT %s AS rid, %s AS keep FROM d, json_each(d.drops) AS "
    "j",
    c->bWr ? "(j.value ->> 0)" : "j.value", c->bWr ? "(d.keep ->> 0)" : "d.keep");
  long long nExpect =
      q(db, "SELECT count(*) FROM (SELECT id FROM t EXCEPT SELECT rid FROM o)");
  long long nDropped = q(db, "SELECT count(*) FROM dropped");
  long long nDiff =
      q(db, "SELECT count(*) FROM (SELECT rid FROM dropped EXCEPT SELECT id "
            "FROM t WHERE id NOT IN (SELECT rid FROM o))");
  /* each dropped row's survivor is the oracle row its key conflicts with */
  char zMatch[512] = "";
  for (const char *z = c->zUnique; *z;) {
    int i = atoi(strchr(z, 'c') + 1);
    const char *zColl = strstr(z, "COLLATE");
    const char *zComma = strchr(z, ',');
    char zTerm[96];
    int bColl = zColl && (!zComma || zColl < zComma);
    snprintf(zTerm, sizeof(zTerm), "%so.c%d = t.c%d%s%.*s", zMatch[0] ? " AND " : "", i,
             i, bColl ? " " : "", bColl ? (int)strcspn(zColl, ",") : 0,
             bColl ? zColl : "");
    cat(zMatch, sizeof(zMatch), "%s", zTerm);
    z = zComma ? zComma + 2 : z + strlen(z);
  }
  long long nWrongKeep =
      q(db,
        "SELECT count(*) FROM dropped AS x JOIN t ON t.id = x.rid WHERE (SELECT o.rid "
        "FROM o WHERE %s) IS NOT x.keep",
        zMatch);
  long long nBadN =
      q(db, "SELECT count(*) FROM d WHERE n <> json_array_length(drops) + 1");
  long long nBadKeep = q(db,
                         "SELECT count(*) FROM (SELECT keep AS x FROM d) WHERE %s NOT "
                         "IN (SELECT rid FROM o)",
                         zId);
  sqlite3_int64 nGroups = -1, nRows = -1;
  char *zErr = 0;
  devdb_dup_count(db, "main", "t", c->zCols, &nGroups, &nRows, &zErr);
  long long nDeleted = q(db, "SELECT devdb_dedup('tc', %Q, %Q)", c->zCols, zKeep);
  long long nLeftDiff =
      q(db, "SELECT count(*) FROM (SELECT id FROM tc EXCEPT SELECT rid "
            "FROM o UNION ALL SELECT rid FROM o EXCEPT SELECT id FROM tc)");
  if (nDropped != nExpect || nDiff != 0 || nWrongKeep != 0 || nBadN != 0 ||
      nBadKeep != 0 || nDeleted != nExpect || nLeftDiff != 0 || nRows != nExpect ||
      nGroups != q(db, "SELECT count(*) FROM d")) {
    printf("# %s: %s cols '%s' keep '%s': expected %lld dropped; got %lld (diff %lld, "
           "wrong keep %lld, bad n %lld, bad keep %lld), dedup %lld (left diff %lld), "
           "count %lld/%lld %s\n",
           zMode, c->zCreate, c->zCols, c->zKeep, nExpect, nDropped, nDiff, nWrongKeep,
           nBadN, nBadKeep, nDeleted, nLeftDiff, (long long)nGroups, (long long)nRows,
           zErr ? zErr : "");
    nBad++;
  }
  sqlite3_free(zErr);
  q(db, "DROP TABLE o");
  q(db, "DROP TABLE d");
  q(db, "DROP TABLE dropped");
  return nBad;
}

int main(void) {
  sqlite3 *db;
  sqlite3_open(":memory:", &db);
  sqlite3_devdb_init(db, 0, 0);
  sqlite3_create_collation(db, "MYNOCASE", SQLITE_UTF8, 0, mynocase);
  const char *zN = getenv("DEVDB_PROPERTY_CASES");
  int nCase = zN ? atoi(zN) : 150, aBad[4] = {0, 0, 0, 0}, nRun = 0;
  static const char *azMode[] = {"default", "tiny budget", "fallback",
                                 "custom collation"};
  clock_t t0 = clock();
  for (int i = 0; i < nCase && (zN || clock() - t0 < 4 * CLOCKS_PER_SEC); i++, nRun++) {
    Case c;
    unsigned long long seed = rng;
    make_case(&c, 0);
    int nRow = rnd(4) == 0 ? rnd(8) : rnd(400);
    fill(db, &c, nRow);
    for (int m = 0; m < 3; m++) {
      devdb_dup_test_limits(m == 1 ? 3000 : 0, m == 1 ? 16 : 0, m == 2, m == 1 ? 1 : 0);
      if (check_case(db, &c, azMode[m])) aBad[m]++;
      q(db, "DELETE FROM tc");
      q(db, "INSERT INTO tc SELECT * FROM t");
    }
    devdb_dup_test_limits(0, 0, 0, 0);
    q(db, "DROP TABLE t");
    q(db, "DROP TABLE tc");
    rng = seed ^ 0x5555;
    make_case(&c, 1);
    fill(db, &c, rnd(200));
    if (check_case(db, &c, azMode[3])) aBad[3]++;
    q(db, "DROP TABLE t");
    q(db, "DROP TABLE tc");
    if (aBad[0] + aBad[1] + aBad[2] + aBad[3] > 5) break;
  }
  printf("# %d random cases\n", nRun);
  CHECK("dedup-property-cases-ran", nRun >= 20);
  CHECK_EQ_INT("dedup-property-no-sql-errors", nSqlError, 0);
  CHECK_EQ_INT("dedup-property-default", aBad[0], 0);
  CHECK_EQ_INT("dedup-property-tiny-budget-many-buckets", aBad[1], 0);
  CHECK_EQ_INT("dedup-property-sql-fallback", aBad[2], 0);
  CHECK_EQ_INT("dedup-property-custom-collation", aBad[3], 0);
  sqlite3_close(db);
  return unit_failures();
}
