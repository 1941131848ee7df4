/*
** Fault injection for devdb_dedup (reliability.md B1, B7): the N-th memory
** allocation fails, once (transient) or from then on (persistent), for N
** over every allocation a dedup makes (with a stride to stay quick). After
** each run the database must hold either the original rows or the fully
** deduplicated ones (in the table and in the child whose references get
** repointed), no transaction may be left open, and a failed run must say so.
** A file database, so the rollback journal is the real one (not synced).
** Then the same with sqlite3_interrupt (a shell's Ctrl-C) at every point,
** and devdb_duplicates under the allocation faults.
*/
#include "devdb.h"
#include "unit.h"

#include <stdlib.h>
#include <unistd.h>

int sqlite3_devdb_init(sqlite3 *, char **, const sqlite3_api_routines *);

static sqlite3_mem_methods orig;
static int nFailAt, nCount, bPersist, nFailed;

static int fail_now(void) {
  if (nFailAt == 0) return 0;
  nCount++;
  if (nCount == nFailAt || (bPersist && nCount > nFailAt)) {
    nFailed++;
    return 1;
  }
  return 0;
}
static void *fault_malloc(int n) {
  return fail_now() ? 0 : orig.xMalloc(n);
}
static void *fault_realloc(void *p, int n) {
  return fail_now() ? 0 : orig.xRealloc(p, n);
}

/* The table contents as one string: ids of t, then child (id:ref). */
static char *state(sqlite3 *db) {
  sqlite3_stmt *pStmt = 0;
  char *z = 0;
  if (sqlite3_prepare_v2(db,
                         "SELECT (SELECT group_concat(id) FROM t) || '/' || (SELECT "
                         "group_concat(id || ':' || t_id) FROM child)",
                         -1, &pStmt, 0) == SQLITE_OK &&
      sqlite3_step(pStmt) == SQLITE_ROW) {
    z = sqlite3_mprintf("%s", sqlite3_column_text(pStmt, 0));
  }
  sqlite3_finalize(pStmt);
  return z;
}

static sqlite3 *setup(const char *zPath, int bWithoutRowid) {
  sqlite3 *db = 0;
  unlink(zPath);
  sqlite3_open(zPath, &db);
  sqlite3_devdb_init(db, 0, 0);
  sqlite3_exec(db, "PRAGMA synchronous=OFF", 0, 0, 0); /* the journal stays; no fsync */
  sqlite3_exec(db,
               bWithoutRowid
                   ? "CREATE TABLE t(id INT PRIMARY KEY, k TEXT COLLATE NOCASE, at) "
                     "WITHOUT ROWID;"
                   : "CREATE TABLE t(id INTEGER PRIMARY KEY, k TEXT COLLATE NOCASE, at);",
               0, 0, 0);
  sqlite3_exec(
      db,
      "WITH RECURSIVE c(i) AS (VALUES(1) UNION ALL SELECT i+1 FROM c WHERE i<60)"
      " INSERT INTO t SELECT i, char(65 + i % 7 + (i % 2) * 32), i % 5 FROM c;"
      "CREATE TABLE child(id INTEGER PRIMARY KEY, t_id REFERENCES t(id));"
      "INSERT INTO child SELECT i, i * 3 % 60 + 1 FROM"
      " (WITH RECURSIVE c(i) AS (VALUES(1) UNION ALL SELECT i+1 FROM c WHERE i<20)"
      " SELECT i FROM c);",
      0, 0, 0);
  return db;
}

/* One table kind: every allocation point, transient and persistent. */
static void run(const char *zName, const char *zPath, int bWithoutRowid) {
  const char *zSql = "SELECT devdb_dedup('t', 'k', 'at DESC', 'repoint')";
  sqlite3 *db = setup(zPath, bWithoutRowid);
  char *zBefore = state(db);
  nCount = 0;
  nFailAt = 1 << 30; /* count the allocations of a clean run */
  int rc = sqlite3_exec(db, zSql, 0, 0, 0);
  int nTotal = nCount;
  nFailAt = 0;
  char *zAfter = state(db);
  sqlite3_close(db);
  char zLabel[96];
  snprintf(zLabel, sizeof(zLabel), "dedup-fault-%s-clean-run", zName);
  CHECK(zLabel, rc == SQLITE_OK && zBefore && zAfter && strcmp(zBefore, zAfter) != 0);
  int nBad = 0, nRuns = 0, nStep = nTotal / 250 + 1;
  for (bPersist = 0; bPersist < 2; bPersist++) {
    for (int n = 1; n <= nTotal + 1; n += nStep, nRuns++) {
      db = setup(zPath, bWithoutRowid);
      nCount = nFailed = 0;
      nFailAt = n;
      char *zErr = 0;
      rc = sqlite3_exec(db, zSql, 0, 0, &zErr);
      int bFaulted = nFailed > 0;
      nFailAt = 0;
      char *zNow = state(db);
      int bAuto = sqlite3_get_autocommit(db);
      int bOk =
          bAuto && zNow && (strcmp(zNow, zBefore) == 0 || strcmp(zNow, zAfter) == 0) &&
          (rc != SQLITE_OK || strcmp(zNow, zAfter) == 0) && (bFaulted || rc == SQLITE_OK);
      if (!bOk && nBad++ < 3) {
        printf("# %s fail at %d (%s): rc %d autocommit %d err [%s] state [%s]\n", zName,
               n, bPersist ? "persistent" : "transient", rc, bAuto, zErr ? zErr : "",
               zNow ? zNow : "(null)");
      }
      sqlite3_free(zErr);
      sqlite3_free(zNow);
      sqlite3_close(db);
    }
  }
  printf("# %s: %d allocations, %d runs\n", zName, nTotal, nRuns);
  snprintf(zLabel, sizeof(zLabel), "dedup-fault-%s-all-or-nothing", zName);
  CHECK_EQ_INT(zLabel, nBad, 0);
  sqlite3_free(zBefore);
  sqlite3_free(zAfter);
}

/* devdb_duplicates under the same faults (worker thread forced on): the
** right answer or an error, never a wrong answer (ASan: no leak). */
static void run_listing(const char *zName, const char *zPath, const char *zCols) {
  char *zSql = sqlite3_mprintf("SELECT count(*) || ':' || ifnull(sum(n), 0) || ':' || "
                               "ifnull(group_concat(drop_rowids), '') "
                               "FROM devdb_duplicates('t', %Q)",
                               zCols);
  sqlite3 *db = setup(zPath, 0);
  sqlite3_exec(db, "INSERT INTO t SELECT id + 1000, abs(id % 3), id % 4 FROM t", 0, 0, 0);
  devdb_dup_test_limits(0, 4, 0, 1);
  sqlite3_stmt *pStmt = 0;
  char *zWant = 0;
  nCount = 0;
  nFailAt = 1 << 30;
  if (sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0) == SQLITE_OK &&
      sqlite3_step(pStmt) == SQLITE_ROW)
    zWant = sqlite3_mprintf("%s", sqlite3_column_text(pStmt, 0));
  sqlite3_finalize(pStmt);
  int nTotal = nCount, nBad = 0, nErr = 0;
  nFailAt = 0;
  for (bPersist = 0; bPersist < 2; bPersist++) {
    for (int n = 1; n <= nTotal + 1; n += nTotal / 250 + 1) {
      nCount = nFailed = 0;
      nFailAt = n;
      int rc = sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0);
      if (rc == SQLITE_OK) rc = sqlite3_step(pStmt);
      nFailAt = 0; /* the copy below is the test's, not devdb's: no fault in it */
      char *zGot = rc == SQLITE_ROW && sqlite3_column_text(pStmt, 0)
                       ? sqlite3_mprintf("%s", sqlite3_column_text(pStmt, 0))
                       : 0;
      sqlite3_finalize(pStmt);
      pStmt = 0;
      if (rc == SQLITE_ROW && (zGot == 0 || zWant == 0 || strcmp(zGot, zWant) != 0)) {
        if (nBad++ < 3) printf("# %s fail at %d: got [%s]\n", zName, n, zGot ? zGot : "");
      } else if (rc != SQLITE_ROW) {
        nErr++;
      }
      sqlite3_free(zGot);
    }
  }
  devdb_dup_test_limits(0, 0, 0, 0);
  printf("# %s: %d allocations, %d runs failed cleanly\n", zName, nTotal, nErr);
  char zLabel[96];
  snprintf(zLabel, sizeof(zLabel), "dedup-fault-%s-clean-run", zName);
  CHECK(zLabel, zWant != 0 && nErr > 0);
  snprintf(zLabel, sizeof(zLabel), "dedup-fault-%s-right-or-error", zName);
  CHECK_EQ_INT(zLabel, nBad, 0);
  sqlite3_free(zWant);
  sqlite3_free(zSql);
  sqlite3_close(db);
}

/* A progress handler that calls sqlite3_interrupt at its N-th call, as a
** shell's Ctrl-C handler does (the interrupt lasts until the calling
** statement ends). */
static int nProgress, nInterruptAt;
static int interrupt_at(void *pDb) {
  if (++nProgress == nInterruptAt) sqlite3_interrupt((sqlite3 *)pDb);
  return 0;
}

/* devdb_dedup interrupted at every point: all or nothing, no transaction
** left open, inside the caller's transaction too (there SQLite rolls an
** interrupted write back whole). An interrupt that lands after the commit
** still fails the calling statement: then the work is done, whole. With
** bNoRefs the child has no foreign key (no temp map, a plain scan). */
static sqlite3 *setup_refs(const char *zPath, int bNoRefs) {
  sqlite3 *db = setup(zPath, 0);
  if (bNoRefs)
    sqlite3_exec(db,
                 "CREATE TABLE c2 AS SELECT * FROM child; DROP TABLE child; "
                 "ALTER TABLE c2 RENAME TO child",
                 0, 0, 0);
  return db;
}

static void run_interrupt(const char *zName, const char *zPath, int bInTxn, int bNoRefs) {
  const char *zSql = "SELECT devdb_dedup('t', 'k', 'at DESC', 'repoint')";
  sqlite3 *db = setup_refs(zPath, bNoRefs);
  char *zBefore = state(db);
  nProgress = 0;
  nInterruptAt = 0;
  sqlite3_progress_handler(db, 1, interrupt_at, db);
  sqlite3_exec(db, zSql, 0, 0, 0);
  int nTotal = nProgress, nBad = 0, nRuns = 0;
  char *zAfter = state(db);
  sqlite3_close(db);
  for (int n = 1; n <= nTotal + 1; n += nTotal / 300 + 1, nRuns++) {
    db = setup_refs(zPath, bNoRefs);
    if (bInTxn) sqlite3_exec(db, "BEGIN", 0, 0, 0);
    sqlite3_progress_handler(db, 1, interrupt_at, db);
    nProgress = 0;
    nInterruptAt = n;
    int rc = sqlite3_exec(db, zSql, 0, 0, 0);
    sqlite3_progress_handler(db, 0, 0, 0);
    int bAuto = sqlite3_get_autocommit(db);
    if (bInTxn && !bAuto && rc != SQLITE_OK) sqlite3_exec(db, "ROLLBACK", 0, 0, 0);
    if (bInTxn && !bAuto && rc == SQLITE_OK) sqlite3_exec(db, "COMMIT", 0, 0, 0);
    char *zNow = state(db);
    int bOk =
        (bInTxn || bAuto) && zNow &&
        (strcmp(zNow, zAfter) == 0 || (rc != SQLITE_OK && strcmp(zNow, zBefore) == 0));
    /* and the next call works (nothing left behind, such as the temp map) */
    bOk = bOk && sqlite3_exec(db, zSql, 0, 0, 0) == SQLITE_OK;
    if (!bOk && nBad++ < 3)
      printf("# %s interrupt at %d: rc %d autocommit %d state [%.40s]\n", zName, n, rc,
             bAuto, zNow ? zNow : "(null)");
    sqlite3_free(zNow);
    sqlite3_close(db);
  }
  printf("# %s: %d progress calls, %d runs\n", zName, nTotal, nRuns);
  char zLabel[96];
  snprintf(zLabel, sizeof(zLabel), "dedup-fault-%s-all-or-nothing", zName);
  CHECK_EQ_INT(zLabel, nBad, 0);
  sqlite3_free(zBefore);
  sqlite3_free(zAfter);
}

int main(void) {
  sqlite3_config(SQLITE_CONFIG_GETMALLOC, &orig);
  sqlite3_mem_methods m = orig;
  m.xMalloc = fault_malloc;
  m.xRealloc = fault_realloc;
  sqlite3_config(SQLITE_CONFIG_MALLOC, &m);
  const char *zDir = getenv("TESTTMP") ? getenv("TESTTMP") : "/tmp";
  char zPath[512];
  snprintf(zPath, sizeof(zPath), "%s/dedup_fault_%d.db", zDir, (int)getpid());
  run("rowid", zPath, 0);
  run("without-rowid", zPath, 1);
  run_interrupt("interrupt", zPath, 0, 0);
  run_interrupt("interrupt-in-transaction", zPath, 1, 0);
  run_interrupt("interrupt-no-refs", zPath, 0, 1);
  run_interrupt("interrupt-no-refs-in-transaction", zPath, 1, 1);
  run_listing("listing-text", zPath, "k COLLATE BINARY, at");
  run_listing("listing-mixed", zPath, "at, k COLLATE NOCASE");
  run_listing("listing-integer-groups-worker", zPath, "at");
  unlink(zPath);
  return unit_failures();
}
