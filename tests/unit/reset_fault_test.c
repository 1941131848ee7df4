/*
** Regression tests for the reset area (reset.c, backup.c) under the faults
** make fault found it mishandling: a read that failed (a lock or an I/O
** error, once) or an allocation that failed was taken for a value, so a
** function reported success with a wrong result, or gave up at once where
** it should have waited:
**   - devdb_backup of a WAL database returned 0 bytes (its size query on
**     the copy failed); the bytes are now the copy's size on disk;
**   - devdb_wipe returned 0 tables after wiping them (its count failed);
**   - devdb_restore restored, then returned 0 bytes (the size was read
**     after, and an I/O error or an allocation failure made it 0);
**   - devdb_unprotect returned 0, "was not protected", and devdb_protected
**     NULL, "not protected", when reading the mark failed, and while
**     another connection locked the database;
**   - devdb_snapshot said "out of memory" while another connection held
**     the database;
**   - devdb_wipe of a protected database went ahead when reading the mark
**     failed (found while fixing the above; restore and revert shared it);
**   - devdb_protect's SAVEPOINT was a deferred transaction that upgraded to
**     a write, so a concurrent writer made it fail at once instead of
**     waiting (BEGIN IMMEDIATE now);
**   - devdb_wipe('data') copied the kept history rows into the empty image
**     without checking each bind, so an allocation failure left a NULL (or
**     the previous row's value) in a kept row, and skipped a kept table's
**     sqlite_sequence row when reading its name failed, as a success;
**   - devdb_wipe ends its read transaction before the backup API takes the
**     write lock again: a commit by another connection in that instant was
**     overwritten by the image read before it (now it is seen, and the wipe
**     reads the state again).
** Each fault loop runs the function with a transient fault at every point
** until one run reaches none: every run must fail with an error or give
** the fault-free result.
*/
#include "devdb.h"
#include "unit.h"
/* both files name their lock mu */
#define mu faultsim_mu
#include "../fault/faultsim.c"
#undef mu
#include "../fault/faultvfs.c"

#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char zDir[256];

static char *path(const char *zName) {
  return unit_path(zDir, zName);
}

/* A database at zPath in journal mode zJournal with tables to wipe, one a
** history table, and (bProtect) the protection mark. */
static void make_db(const char *zPath, const char *zJournal, int bProtect) {
  char z[600];
  snprintf(z, sizeof(z), "%s-wal", zPath);
  unlink(z);
  snprintf(z, sizeof(z), "%s-shm", zPath);
  unlink(z);
  unlink(zPath);
  sqlite3 *db = unit_open_file(zPath);
  snprintf(
      z, sizeof(z),
      "PRAGMA journal_mode=%s;"
      "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT UNIQUE);"
      "CREATE TABLE posts(id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INT "
      "REFERENCES users(id), body TEXT);"
      "CREATE TABLE django_migrations(id INTEGER PRIMARY KEY, app TEXT, name TEXT, "
      "applied TEXT);"
      "INSERT INTO django_migrations VALUES (1, 'app', '0001', 'x');"
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40)"
      " INSERT INTO users(email) SELECT 'u' || i FROM n;"
      "INSERT INTO posts(user_id, body) SELECT id, printf('%%.200c', 'p') FROM users;",
      zJournal);
  char *zErr = 0;
  if (sqlite3_exec(db, z, 0, 0, &zErr) != SQLITE_OK) printf("# setup: %s\n", zErr);
  if (bProtect) sqlite3_exec(db, "SELECT devdb_protect('x')", 0, 0, 0);
  sqlite3_free(zErr);
  sqlite3_close(db);
}

static sqlite3_int64 file_size(const char *zPath) {
  struct stat st;
  return stat(zPath, &st) == 0 ? (sqlite3_int64)st.st_size : -1;
}

/* What a check makes of one run's result: 1 when it is right. */
typedef int (*Judge)(sqlite3_int64 v, sqlite3_int64 iWant);

static int equals(sqlite3_int64 v, sqlite3_int64 iWant) {
  return v == iWant;
}

/* The backup's result is the size of the file it wrote. */
static int backup_size(sqlite3_int64 v, sqlite3_int64 iWant) {
  return v > 0 && v == file_size(path("copy.db"));
}

/* A protected database is never wiped: a mark that cannot be read is an
** error, not "not protected". */
static int never(sqlite3_int64 v, sqlite3_int64 iWant) {
  return 0;
}

/* Run zSql on zDb (rebuilt by make_db each time) with a transient fault of
** class eClass (-1: an allocation) at every point N: each run fails with an
** error or returns what xJudge accepts. Returns the runs that failed. */
static int each_fault(const char *zName, const char *zJournal, int bProtect, int eClass,
                      const char *zSql, Judge xJudge, sqlite3_int64 iWant) {
  int nBad = 0, nErr = 0, n = 1;
  for (;; n++) {
    make_db(path("app.db"), zJournal, bProtect);
    unlink(path("copy.db"));
    sqlite3 *db = unit_open_file(path("app.db"));
    sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", 0, 0, 0);
    sqlite3_stmt *pStmt = 0;
    sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0);
    if (eClass < 0)
      faultsim_arm(n, 0);
    else
      faultvfs_arm(eClass, n, 0);
    int rc = sqlite3_step(pStmt);
    sqlite3_int64 v = sqlite3_column_int64(pStmt, 0);
    int nFault = eClass < 0 ? faultsim_disarm() : faultvfs_disarm();
    rc = sqlite3_finalize(pStmt);
    if (rc != SQLITE_OK) {
      nErr++;
    } else if (!xJudge(v, iWant)) {
      if (nBad++ == 0) printf("# %s: fault at #%d: success with %lld\n", zName, n, v);
    }
    if (!sqlite3_get_autocommit(db)) nBad++;
    sqlite3_close(db);
    if (nFault == 0) break;
  }
  char z[160];
  snprintf(z, sizeof(z), "%s-%s-never-a-wrong-success (%d points, %d errors)", zName,
           zJournal, n, nErr);
  CHECK(z, nBad == 0);
  return nBad;
}

static void test_io_faults(void) {
  static const char *azJournal[] = {"delete", "wal"};
  static const int aClass[] = {FV_READ, FV_LOCK};
  char zBackup[600], zRestore[600];
  /* the backup restore reads, made once */
  make_db(path("other.db"), "delete", 0);
  sqlite3_int64 nOther = file_size(path("other.db"));
  snprintf(zBackup, sizeof(zBackup), "SELECT devdb_backup('%s')", path("copy.db"));
  snprintf(zRestore, sizeof(zRestore), "SELECT devdb_restore('%s')", path("other.db"));
  for (int j = 0; j < 2; j++) {
    for (int k = 0; k < 2; k++) {
      each_fault(aClass[k] == FV_READ ? "backup-read" : "backup-lock", azJournal[j], 0,
                 aClass[k], zBackup, backup_size, 0);
      each_fault(aClass[k] == FV_READ ? "wipe-read" : "wipe-lock", azJournal[j], 0,
                 aClass[k], "SELECT devdb_wipe()", equals, 2);
      each_fault(aClass[k] == FV_READ ? "wipe-schema-read" : "wipe-schema-lock",
                 azJournal[j], 0, aClass[k], "SELECT devdb_wipe('schema')", equals, 3);
      each_fault(aClass[k] == FV_READ ? "restore-read" : "restore-lock", azJournal[j], 0,
                 aClass[k], zRestore, equals, nOther);
      each_fault(aClass[k] == FV_READ ? "unprotect-read" : "unprotect-lock", azJournal[j],
                 1, aClass[k], "SELECT devdb_unprotect()", equals, 1);
      each_fault(aClass[k] == FV_READ ? "protected-read" : "protected-lock", azJournal[j],
                 1, aClass[k], "SELECT devdb_protected() IS NOT NULL", equals, 1);
      each_fault(aClass[k] == FV_READ ? "wipe-protected-read" : "wipe-protected-lock",
                 azJournal[j], 1, aClass[k], "SELECT devdb_wipe()", never, 0);
    }
  }
  each_fault("restore-oom", "wal", 0, -1, zRestore, equals, nOther);
}

/* ------------------------------------------------------------- locks */

/* Another connection's write transaction, committed after ms. */
typedef struct Holder {
  sqlite3 *db;
  int ms;
  pthread_t thread;
} Holder;

static void *hold_then_commit(void *p) {
  Holder *h = p;
  sqlite3_sleep(h->ms);
  sqlite3_exec(h->db, "COMMIT", 0, 0, 0);
  return 0;
}

static void hold_start(Holder *h, const char *zDb, const char *zBegin, int ms) {
  sqlite3_open(zDb, &h->db);
  h->ms = ms;
  sqlite3_exec(h->db, zBegin, 0, 0, 0);
  sqlite3_exec(h->db, "INSERT INTO users(email) VALUES ('held')", 0, 0, 0);
  pthread_create(&h->thread, 0, hold_then_commit, h);
}

static void hold_end(Holder *h) {
  pthread_join(h->thread, 0);
  sqlite3_close(h->db);
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* zSql on zDb while another connection holds a lock (zBegin) for msHold,
** with a busy timeout of msWait: *pzErr gets the error (malloc'd). */
static int run_locked(const char *zJournal, const char *zBegin, int msHold, int msWait,
                      int bProtect, const char *zSql, char **pzErr, double *pMs) {
  make_db(path("app.db"), zJournal, bProtect);
  sqlite3 *db = unit_open_file(path("app.db"));
  sqlite3_busy_timeout(db, msWait);
  sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", 0, 0, 0);
  Holder h;
  hold_start(&h, path("app.db"), zBegin, msHold);
  double t0 = now_ms();
  int rc = sqlite3_exec(db, zSql, 0, 0, pzErr);
  *pMs = now_ms() - t0;
  hold_end(&h);
  sqlite3_close(db);
  return rc;
}

/* One case of another connection's lock: what it holds and how long,
** the busy timeout, and what must happen. */
static const struct LockCase {
  const char *zName, *zJournal, *zBegin;
  int msHold, msWait, bProtect;
  const char *zSql;
  int bOk; /* 1: succeeds after waiting; 0: fails saying "locked" */
} aLock[] = {
    /* held longer than the busy timeout: an error that says so */
    {"snapshot-delete-locked-says-locked", "delete", "BEGIN EXCLUSIVE", 600, 100, 0,
     "SELECT devdb_snapshot('s')", 0},
    {"unprotect-delete-locked-says-locked", "delete", "BEGIN EXCLUSIVE", 600, 100, 1,
     "SELECT devdb_unprotect()", 0},
    {"unprotect-wal-locked-says-locked", "wal", "BEGIN EXCLUSIVE", 600, 100, 1,
     "SELECT devdb_unprotect()", 0},
    {"protected-delete-locked-says-locked", "delete", "BEGIN EXCLUSIVE", 600, 100, 1,
     "SELECT devdb_protected()", 0},
    /* a WAL reader is not locked out by a writer */
    {"snapshot-wal-beside-a-writer", "wal", "BEGIN EXCLUSIVE", 600, 100, 0,
     "SELECT devdb_snapshot('s')", 1},
    /* held a moment: the write waits for it, then is done (with the mark's
    ** table there, a deferred transaction read it first, then could not
    ** upgrade to a write and failed at once) */
    {"protect-delete-waits-for-a-writer", "delete", "BEGIN IMMEDIATE", 300, 5000, 1,
     "SELECT devdb_protect('p')", 1},
    {"protect-wal-waits-for-a-writer", "wal", "BEGIN IMMEDIATE", 300, 5000, 1,
     "SELECT devdb_protect('p')", 1},
    {"unprotect-delete-waits-for-a-writer", "delete", "BEGIN IMMEDIATE", 300, 5000, 1,
     "SELECT devdb_unprotect()", 1},
    {"unprotect-wal-waits-for-a-writer", "wal", "BEGIN IMMEDIATE", 300, 5000, 1,
     "SELECT devdb_unprotect()", 1},
};

static void test_locks(void) {
  for (size_t i = 0; i < sizeof(aLock) / sizeof(aLock[0]); i++) {
    const struct LockCase *p = &aLock[i];
    char *zErr = 0;
    double ms = 0;
    int rc = run_locked(p->zJournal, p->zBegin, p->msHold, p->msWait, p->bProtect,
                        p->zSql, &zErr, &ms);
    if (p->bOk) {
      CHECK(p->zName, rc == SQLITE_OK && (p->msWait < p->msHold || ms >= p->msHold - 50));
    } else {
      CHECK(p->zName, rc != SQLITE_OK && zErr && strstr(zErr, "locked"));
    }
    if (zErr) printf("# %s after %.0f ms: %s\n", p->zName, ms, zErr);
    sqlite3_free(zErr);
  }
}

/* ------------------------------------------------------------- races */

/* One of the connections that run zSql at once: its result. */
typedef struct Racer {
  const char *zSql;
  int rc;
  char zErr[200];
  pthread_t thread;
} Racer;

static void *race_one(void *p) {
  Racer *r = p;
  sqlite3 *db = unit_open_file(path("app.db"));
  sqlite3_busy_timeout(db, 5000);
  char *zErr = 0;
  r->rc = sqlite3_exec(db, r->zSql, 0, 0, &zErr);
  snprintf(r->zErr, sizeof(r->zErr), "%s", zErr ? zErr : "");
  sqlite3_free(zErr);
  if (!sqlite3_get_autocommit(db)) r->rc = -1;
  sqlite3_close(db);
  return 0;
}

/*
** Four connections run zSql at once, nRound times: each must succeed (a
** second wipe waits for the first, then finds nothing left to drop) or
** fail saying the database is locked. A wipe read the schema in pieces
** outside any lock, so a concurrent wipe could drop sqlite_sequence
** between two of them: "devdb_wipe: SQL logic error".
*/
static void race(const char *zName, const char *zJournal, const char *zSql, int nRound) {
  int nBad = 0;
  for (int k = 0; k < nRound; k++) {
    make_db(path("app.db"), zJournal, 0);
    Racer a[4];
    for (int i = 0; i < 4; i++) {
      memset(&a[i], 0, sizeof(a[i]));
      a[i].zSql = zSql;
      pthread_create(&a[i].thread, 0, race_one, &a[i]);
    }
    for (int i = 0; i < 4; i++) {
      pthread_join(a[i].thread, 0);
      if (a[i].rc != SQLITE_OK && !strstr(a[i].zErr, "locked")) {
        if (nBad++ == 0) printf("# %s: %d %s\n", zName, a[i].rc, a[i].zErr);
      }
    }
  }
  CHECK(zName, nBad == 0);
}

static void test_races(void) {
  race("wipe-schema-delete-concurrent-waits", "delete", "SELECT devdb_wipe('schema')",
       25);
  race("wipe-schema-wal-concurrent-waits", "wal", "SELECT devdb_wipe('schema')", 25);
  race("wipe-data-delete-concurrent-waits", "delete", "SELECT devdb_wipe()", 10);
  race("wipe-data-wal-concurrent-waits", "wal", "SELECT devdb_wipe()", 10);
}

/* What the database holds: the kept history rows, the sequence and the
** number of users (malloc'd, NULL when it cannot be read). */
static char *wipe_state(sqlite3 *db) {
  sqlite3_stmt *pStmt = 0;
  char *z = 0;
  if (sqlite3_prepare_v2(
          db,
          "SELECT (SELECT group_concat(quote(id) || quote(app) || quote(name) "
          "|| quote(applied), ';') FROM django_migrations) || '/' || "
          "coalesce((SELECT group_concat(name || seq) FROM sqlite_sequence), '') || '/' "
          "|| "
          "(SELECT count(*) FROM users)",
          -1, &pStmt, 0) == SQLITE_OK &&
      sqlite3_step(pStmt) == SQLITE_ROW && sqlite3_column_text(pStmt, 0))
    z = strdup((const char *)sqlite3_column_text(pStmt, 0));
  sqlite3_finalize(pStmt);
  return z;
}

/* devdb_wipe('data') with an allocation failing at every point, once: an
** error leaves the database as it was, a success leaves exactly what a
** fault-free wipe leaves (the history rows whole). */
static void test_wipe_oom_keeps_history(void) {
  make_db(path("app.db"), "delete", 0);
  sqlite3 *db = unit_open_file(path("app.db"));
  sqlite3_exec(db,
               "INSERT INTO django_migrations VALUES (2, 'shop', '0002_a longer name', "
               "'2024-01-02 03:04:05'); INSERT INTO posts(user_id, body) VALUES (1, 'x')",
               0, 0, 0);
  sqlite3_close(db);
  char zTemplate[600];
  snprintf(zTemplate, sizeof(zTemplate), "%s", path("template.db"));
  char zCmd[1300];
  snprintf(zCmd, sizeof(zCmd), "cp '%s' '%s'", path("app.db"), zTemplate);
  if (system(zCmd) != 0) return;
  db = unit_open_file(zTemplate);
  char *zBefore = wipe_state(db);
  sqlite3_close(db);
  snprintf(zCmd, sizeof(zCmd), "cp '%s' '%s'", zTemplate, path("app.db"));
  if (system(zCmd) != 0) return;
  db = unit_open_file(path("app.db"));
  sqlite3_exec(db, "SELECT devdb_wipe('data')", 0, 0, 0);
  char *zAfter = wipe_state(db);
  sqlite3_close(db);
  int nBad = 0, n = 1;
  for (;; n++) {
    if (system(zCmd) != 0) return;
    db = unit_open_file(path("app.db"));
    sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", 0, 0, 0);
    faultsim_arm(n, 0);
    int rc = sqlite3_exec(db, "SELECT devdb_wipe('data')", 0, 0, 0);
    int nFault = faultsim_disarm();
    char *zNow = wipe_state(db);
    int bOk = zNow && sqlite3_get_autocommit(db) &&
              strcmp(zNow, rc == SQLITE_OK ? zAfter : zBefore) == 0;
    if (!bOk && nBad++ == 0)
      printf("# wipe-oom: allocation %d: rc %d, state %s\n", n, rc, zNow ? zNow : "?");
    free(zNow);
    sqlite3_close(db);
    if (nFault == 0) break;
  }
  char z[160];
  snprintf(z, sizeof(z), "wipe-data-oom-keeps-history-whole (%d points)", n);
  CHECK(z, nBad == 0 && zAfter && strstr(zAfter, "0002_a longer name"));
  free(zBefore);
  free(zAfter);
}

/* Another connection's commit, made once in the instant a wipe ends its
** read transaction (the rollback hook runs after the locks are released). */
static sqlite3 *pGapWriter;
static int nGapCommits;
static void commit_in_gap(void *pArg) {
  if (nGapCommits++ > 0) return;
  sqlite3_exec(pGapWriter,
               "INSERT INTO django_migrations VALUES (3, 'app', '0003_in_the_gap', 'y')",
               0, 0, 0);
}

static void test_wipe_commit_in_gap(void) {
  static const char *azJournal[] = {"delete", "wal"};
  for (int j = 0; j < 2; j++) {
    make_db(path("app.db"), azJournal[j], 0);
    sqlite3 *db = unit_open_file(path("app.db"));
    sqlite3_busy_timeout(db, 2000);
    sqlite3_open(path("app.db"), &pGapWriter);
    nGapCommits = 0;
    sqlite3_rollback_hook(db, commit_in_gap, 0);
    int rc = sqlite3_exec(db, "SELECT devdb_wipe()", 0, 0, 0);
    sqlite3_rollback_hook(db, 0, 0);
    sqlite3_int64 nKept = devdb_query_int(
        db, -1, "SELECT count(*) FROM django_migrations WHERE name='0003_in_the_gap'");
    sqlite3_int64 nUsers = devdb_query_int(db, -1, "SELECT count(*) FROM users");
    char z[120];
    snprintf(z, sizeof(z), "wipe-%s-keeps-a-commit-made-in-the-gap", azJournal[j]);
    if (rc != SQLITE_OK || nKept != 1 || nUsers != 0)
      printf("# %s: rc %d (%s), %d commits, %lld kept, %lld users\n", z, rc,
             sqlite3_errmsg(db), nGapCommits, nKept, nUsers);
    CHECK(z, rc == SQLITE_OK && nGapCommits > 0 && nKept == 1 && nUsers == 0);
    sqlite3_close(pGapWriter);
    sqlite3_close(db);
  }
}

int main(void) {
  faultsim_install();
  faultvfs_register();
  snprintf(zDir, sizeof(zDir), "/tmp/devdb-reset-fault-%d", (int)getpid());
  mkdir(zDir, 0700);
  test_io_faults();
  test_wipe_oom_keeps_history();
  test_wipe_commit_in_gap();
  test_locks();
  test_races();
  char zCmd[300];
  snprintf(zCmd, sizeof(zCmd), "rm -rf '%s'", zDir);
  if (system(zCmd) != 0) printf("# cannot remove %s\n", zDir);
  return unit_failures();
}
