/*
** The split scan of the grouping engine (dupgroup.c: a helper connection
** scans the upper half of the rowids in a thread) and its grouper thread
** give exactly the output of the single scan grouped in the caller's
** thread, and the split is used only where both halves provably read the
** same state of the file. Each table is listed with the split and every
** thread forced (devdb_dup_test_split(1), thread rows 1, whatever the size)
** and with no thread at all, and the two listings must be equal byte for
** byte: NULL keys, integer keys mixed with
** text and reals (1 = 1.0, 1 <> '1'), sparse and negative rowids, a tiny
** budget (several scans, each half shrinking its own range). Where the
** split must not run it must not (WITHOUT ROWID, in-memory, WAL, immutable,
** read_uncommitted, inside
** BEGIN, a writer waiting to commit), and the listing is still right; a
** writer holding uncommitted rows does not show through the helper.
*/
#include "devdb.h"
#include "unit.h"

#include <stdlib.h>
#include <unistd.h>

int sqlite3_devdb_init(sqlite3 *, char **, const sqlite3_api_routines *);

static char zDir[] = "/tmp/devdb_split_XXXXXX";

static sqlite3 *open_db(const char *zName) {
  sqlite3 *db = 0;
  char *zPath = sqlite3_mprintf("%s/%s", zDir, zName);
  sqlite3_open(zPath, &db);
  sqlite3_free(zPath);
  sqlite3_busy_timeout(db, 0);
  sqlite3_devdb_init(db, 0, 0);
  return db;
}

static void exec(sqlite3 *db, const char *zSql) {
  char *zErr = 0;
  if (sqlite3_exec(db, zSql, 0, 0, &zErr) != SQLITE_OK) {
    printf("# %s: %s\n", zSql, zErr);
    sqlite3_free(zErr);
  }
}

static int eMode;             /* the split mode the test set */
static sqlite3_int64 nBudget; /* and the memory budget and bucket count */
static int nBuckets;
static int nListSplit; /* scans done split by the last listing's query */

/* Every row of devdb_duplicates(zTbl, zCols, zKeep) and devdb_dup_count,
** as one string (sqlite3_malloc'd). */
static char *listing(sqlite3 *db, const char *zTbl, const char *zCols,
                     const char *zKeep) {
  sqlite3_str *pOut = sqlite3_str_new(db);
  sqlite3_stmt *pStmt = 0;
  char *zSql = sqlite3_mprintf(
      "SELECT key, n, keep_rowid, drop_rowids FROM devdb_duplicates(%Q, %Q, %Q)", zTbl,
      zCols, zKeep);
  devdb_dup_test_split(eMode); /* count this query's scans alone */
  int rc = sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0);
  sqlite3_free(zSql);
  while (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    for (int i = 0; i < 4; i++)
      sqlite3_str_appendf(pOut, "%s%s", i ? "|" : "", sqlite3_column_text(pStmt, i));
    sqlite3_str_appendall(pOut, "\n");
  }
  if (sqlite3_finalize(pStmt) != SQLITE_OK)
    sqlite3_str_appendf(pOut, "error: %s\n", sqlite3_errmsg(db));
  nListSplit = devdb_dup_test_split(eMode);
  sqlite3_int64 nGroups = -1, nRows = -1;
  char *zErr = 0;
  devdb_dup_count(db, "main", zTbl, zCols, &nGroups, &nRows, &zErr);
  sqlite3_str_appendf(pOut, "count %lld %lld %s\n", nGroups, nRows, zErr ? zErr : "");
  sqlite3_free(zErr);
  return sqlite3_str_finish(pOut);
}

/* List zTbl split and not; check that they are equal and whether the
** split ran (bSplit) or not. */
static void same(sqlite3 *db, const char *zCase, const char *zTbl, const char *zCols,
                 const char *zKeep, int bSplit) {
  char zName[160];
  devdb_dup_test_limits(nBudget, nBuckets, 0, (sqlite3_int64)1 << 50); /* no thread */
  devdb_dup_test_split(eMode = -1);
  char *zSingle = listing(db, zTbl, zCols, zKeep);
  devdb_dup_test_limits(nBudget, nBuckets, 0, 1); /* every thread */
  devdb_dup_test_split(eMode = 1);
  char *zSplit = listing(db, zTbl, zCols, zKeep);
  devdb_dup_test_limits(nBudget, nBuckets, 0, 0);
  int nSplit = nListSplit;
  devdb_dup_test_split(eMode = 0);
  snprintf(zName, sizeof(zName), "split-%s-same-listing", zCase);
  CHECK(zName, zSingle && zSplit && strcmp(zSingle, zSplit) == 0);
  snprintf(zName, sizeof(zName), "split-%s-has-groups", zCase);
  CHECK(zName, zSingle && strchr(zSingle, '[') != 0 && strstr(zSingle, "error") == 0);
  snprintf(zName, sizeof(zName), bSplit ? "split-%s-ran-split" : "split-%s-not-split",
           zCase);
  CHECK(zName, bSplit ? nSplit >= 1 : nSplit == 0);
  sqlite3_free(zSingle);
  sqlite3_free(zSplit);
}

/* t: 20000 rows, rowids from -70000 by 7, keys a (NULL every 101st), b
** (integers, text, reals equal to integers, a huge integer) and c. */
static const char *zFill =
    "CREATE TABLE t(id INTEGER PRIMARY KEY, a INT, b, c TEXT);"
    "WITH RECURSIVE n(i) AS (VALUES(0) UNION ALL SELECT i + 1 FROM n WHERE i < 19999)"
    " INSERT INTO t SELECT (i - 10000) * 7, CASE WHEN i % 101 = 0 THEN NULL ELSE i % 997 "
    "END,"
    " CASE i % 4 WHEN 0 THEN 'x' || (i % 5) WHEN 1 THEN (i % 5) * 1.0"
    " WHEN 2 THEN 9223372036854775807 - (i % 3) ELSE i % 5 END,"
    " CASE WHEN i % 7 = 0 THEN 'A' ELSE 'a' END FROM n;";

int main(void) {
  if (mkdtemp(zDir) == 0) return 1;
  sqlite3 *db = open_db("split.db");
  exec(db, zFill);
  exec(db, "CREATE TABLE w(a INT, b INT, PRIMARY KEY(a, b)) WITHOUT ROWID;"
           "INSERT INTO w SELECT id, a FROM t WHERE a IS NOT NULL;"
           "CREATE TABLE u(x INT, y INT);"
           "INSERT INTO u SELECT a % 50, a % 7 FROM t WHERE a IS NOT NULL;");

  same(db, "int-pair", "t", "a, b", 0, 1);
  same(db, "int", "t", "a", 0, 1);
  same(db, "mixed", "t", "b", 0, 1);
  same(db, "nocase", "t", "b, c COLLATE NOCASE", 0, 1);
  same(db, "plain-rowids", "u", "x, y", 0, 1);
  nBudget = 3000;
  nBuckets = 64;
  same(db, "tiny-budget", "t", "a, b", 0, 1);
  same(db, "tiny-budget-mixed", "t", "b", 0, 1);
  nBuckets = 2048; /* more buckets than the grouper has slots, several scans */
  same(db, "tiny-budget-many-buckets", "t", "a", 0, 1);
  nBudget = nBuckets = 0;
  same(db, "without-rowid", "w", "b", 0, 0);
  same(db, "keep-ordering", "t", "a", "c DESC", 0);
  same(db, "keep-last", "t", "a, b", "last", 1);

  /* a table this small is not split unless a test asks */
  char *z = listing(db, "t", "a, b", 0);
  CHECK_EQ_INT("split-small-table-automatic-not-split", nListSplit, 0);
  sqlite3_free(z);

  exec(db, "BEGIN");
  same(db, "inside-begin", "t", "a, b", 0, 0);
  exec(db, "COMMIT");

  /* a writer holding RESERVED with rows not committed: they show on neither
  ** connection, and the split runs */
  devdb_dup_test_split(eMode = -1);
  char *zBefore = listing(db, "t", "a, b", 0);
  sqlite3 *dbW = open_db("split.db");
  exec(dbW, "BEGIN IMMEDIATE; INSERT INTO t SELECT id + 1, a, b, c FROM t WHERE id > 0;");
  devdb_dup_test_split(eMode = 1);
  char *zDuring = listing(db, "t", "a, b", 0);
  CHECK("split-reserved-writer-ran-split", nListSplit >= 1);
  CHECK("split-reserved-writer-not-seen",
        zBefore && zDuring && strcmp(zBefore, zDuring) == 0);
  sqlite3_free(zDuring);

  /* the writer waits to commit (PENDING) while this connection reads: the
  ** helper cannot start its read, and the single scan gives the listing */
  sqlite3_stmt *pRead = 0;
  sqlite3_prepare_v2(db, "SELECT 1 FROM t", -1, &pRead, 0);
  CHECK_EQ_INT("split-pending-reader", sqlite3_step(pRead), SQLITE_ROW);
  CHECK_EQ_INT("split-pending-commit-busy", sqlite3_exec(dbW, "COMMIT", 0, 0, 0),
               SQLITE_BUSY);
  zDuring = listing(db, "t", "a, b", 0);
  CHECK_EQ_INT("split-pending-writer-fell-back", nListSplit, 0);
  CHECK("split-pending-writer-same", zBefore && zDuring && strcmp(zBefore, zDuring) == 0);
  sqlite3_free(zDuring);
  sqlite3_finalize(pRead);
  devdb_dup_test_split(eMode = 0);
  exec(dbW, "ROLLBACK");
  sqlite3_close(dbW);
  sqlite3_free(zBefore);
  sqlite3_close(db);

  sqlite3 *dbWal = open_db("wal.db");
  exec(dbWal, "PRAGMA journal_mode=WAL");
  exec(dbWal, zFill);
  same(dbWal, "wal", "t", "a, b", 0, 0);
  sqlite3_close(dbWal);

  /* a database the caller reads without locks (immutable), or with other
  ** connections' uncommitted rows (shared cache, read_uncommitted): the
  ** helper would read another state, so the scan is not split */
  char *zUri = sqlite3_mprintf("file:%s/split.db?immutable=1", zDir);
  sqlite3 *dbImm = 0;
  sqlite3_open_v2(zUri, &dbImm, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, 0);
  sqlite3_devdb_init(dbImm, 0, 0);
  same(dbImm, "immutable", "t", "a, b", 0, 0);
  sqlite3_close(dbImm);
  sqlite3_free(zUri);
  zUri = sqlite3_mprintf("file:%s/split.db?cache=shared", zDir);
  sqlite3 *dbShared = 0;
  sqlite3_open_v2(zUri, &dbShared, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI, 0);
  sqlite3_devdb_init(dbShared, 0, 0);
  exec(dbShared, "PRAGMA read_uncommitted=1");
  same(dbShared, "read-uncommitted", "t", "a, b", 0, 0);
  exec(dbShared, "PRAGMA read_uncommitted=0");
  same(dbShared, "shared-cache-committed", "t", "a, b", 0, 1);
  sqlite3_close(dbShared);
  sqlite3_free(zUri);

  sqlite3 *dbMem = 0;
  sqlite3_open(":memory:", &dbMem);
  sqlite3_devdb_init(dbMem, 0, 0);
  exec(dbMem, zFill);
  same(dbMem, "memory", "t", "a, b", 0, 0);
  sqlite3_close(dbMem);

  char *zCmd = sqlite3_mprintf("rm -rf %s", zDir);
  if (system(zCmd) != 0) printf("# could not remove %s\n", zDir);
  sqlite3_free(zCmd);
  return unit_failures();
}
