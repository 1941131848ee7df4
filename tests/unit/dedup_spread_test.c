/*
** The grouping engine spreads keys evenly over its hash buckets: a batch
** of devdb_dup_next is one bucket's groups, so on tables where every key
** is a group of two, each of the 64 buckets (devdb_dup_test_limits) must
** hand out a batch, none with more than twice or less than half its share.
** The speed of devdb_duplicates rests on it (a bucket is grouped in cache;
** a lopsided hash makes a few huge ones): keys of the usual shapes, dense
** integers, integer pairs, multiples of a power of two, reals equal to
** integers, and text.
*/
#include "devdb.h"
#include "unit.h"

#define N_KEYS 16384
#define N_BUCKETS 64

/* Check the batches of grouping table t by zCols. */
static void spread(sqlite3 *db, const char *zName, const char *zCols) {
  DevdbDupSpec *pSpec = 0;
  DevdbDup *pDup = 0;
  char *zErr = 0, zCheck[100];
  int nBatch = 0, nMin = N_KEYS, nMax = 0, nGroup = 0;
  int rc = devdb_dup_spec_new(db, "main", "t", zCols, 0, &pSpec, &zErr);
  if (rc == SQLITE_OK) rc = devdb_dup_open(db, pSpec, &pDup, &zErr);
  while (rc == SQLITE_OK && !devdb_dup_eof(pDup)) {
    int n = devdb_dup_ngroup(pDup);
    nBatch++;
    nGroup += n;
    nMin = n < nMin ? n : nMin;
    nMax = n > nMax ? n : nMax;
    rc = devdb_dup_next(pDup, &zErr);
  }
  devdb_dup_close(pDup);
  devdb_dup_spec_free(pSpec);
  sqlite3_free(zErr);
  snprintf(zCheck, sizeof(zCheck), "spread-%s-ok", zName);
  CHECK_EQ_INT(zCheck, rc, SQLITE_OK);
  snprintf(zCheck, sizeof(zCheck), "spread-%s-groups", zName);
  CHECK_EQ_INT(zCheck, nGroup, N_KEYS);
  snprintf(zCheck, sizeof(zCheck), "spread-%s-every-bucket", zName);
  CHECK_EQ_INT(zCheck, nBatch, N_BUCKETS);
  snprintf(zCheck, sizeof(zCheck), "spread-%s-none-over-twice", zName);
  CHECK(zCheck, nMax <= 2 * N_KEYS / N_BUCKETS);
  snprintf(zCheck, sizeof(zCheck), "spread-%s-none-under-half", zName);
  CHECK(zCheck, nMin >= N_KEYS / N_BUCKETS / 2);
}

int main(void) {
  sqlite3 *db;
  sqlite3_open(":memory:", &db);
  char *zSql = sqlite3_mprintf(
      "CREATE TABLE t(i INT, pair INT, big INT, r REAL, s TEXT);"
      "WITH RECURSIVE c(i) AS (VALUES(0) UNION ALL SELECT i + 1 FROM c WHERE i < %d)"
      " INSERT INTO t SELECT i / 2, (i / 2) %% 50, (i / 2) * 1024, (i / 2) * 1.0,"
      " 'user' || (i / 2) FROM c;",
      2 * N_KEYS - 1);
  sqlite3_exec(db, zSql, 0, 0, 0);
  sqlite3_free(zSql);
  devdb_dup_test_limits(0, N_BUCKETS, 0, 0);
  spread(db, "dense", "i");
  spread(db, "pair", "i, pair");
  spread(db, "multiples", "big");
  spread(db, "reals", "r");
  spread(db, "text", "s");
  spread(db, "text-nocase", "s COLLATE NOCASE");
  devdb_dup_test_limits(0, 0, 0, 0);
  sqlite3_close(db);
  return unit_failures();
}
