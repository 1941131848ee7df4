/*
** Regression test for devdb_apply and devdb_add_column under allocation
** failures, found by a full sweep of the memory-fault harness. A read that
** failed for want of memory inside the transaction (the planner's look for
** migration history tables took the failure for "none") made SQLite roll the
** whole transaction back, and the run, finding no transaction left to
** commit, reported every change as made; a failed read of PRAGMA
** foreign_keys passed for "off"; a summary that could not be built was
** reported as "nothing changed"; a failed check of a STRICT column's
** default passed for "does not fit" and planned a rebuild, not an ADD
** COLUMN. Every allocation of each operation is failed in turn (transient
** faults; make fault sweeps persistent ones): the operation is an error
** with main as before (or as after, when the error came after COMMIT), or
** exactly the fault-free result and main.
*/
#include "devdb.h"
#include "unit.h"
#include "../fault/faultsim.c"

#include <stdlib.h>

int sqlite3_devdb_init(sqlite3 *, char **, const sqlite3_api_routines *);

static const char *zSchema =
    "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE,"
    " age INT CHECK (age >= 0));"
    "CREATE TABLE posts(id INTEGER PRIMARY KEY,"
    " user_id INT REFERENCES users(id) ON DELETE CASCADE, body TEXT);"
    "CREATE INDEX posts_user ON posts(user_id);"
    "CREATE TABLE s(id INTEGER PRIMARY KEY, n INT) STRICT; INSERT INTO s VALUES (1, 2);"
    "INSERT INTO users VALUES (1, 'a@x', 30), (2, 'b@x', 40);"
    "INSERT INTO posts VALUES (1, 1, 'hi'), (2, 2, 'yo'), (3, 1, 'more');";

static const char *azOp[] = {
    /* a rebuild of users, an index dropped, a table added */
    "SELECT devdb_apply('"
    "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE,"
    " age INT CHECK (age >= 0 AND age < 200), nick TEXT);"
    "CREATE TABLE posts(id INTEGER PRIMARY KEY,"
    " user_id INT REFERENCES users(id) ON DELETE CASCADE, body TEXT);"
    "CREATE TABLE s(id INTEGER PRIMARY KEY, n INT) STRICT;"
    "CREATE TABLE tags(id INTEGER PRIMARY KEY, label TEXT UNIQUE);')",
    "SELECT devdb_add_column('users', 'nick TEXT DEFAULT ''x''')",
    "SELECT devdb_add_column('users', 'slug TEXT AS (lower(email)) STORED')",
    /* a STRICT table: whether the default fits is asked of SQLite */
    "SELECT devdb_add_column('s', 'k INT DEFAULT 3')",
};

static sqlite3 *setup(int bFk) {
  sqlite3 *db;
  sqlite3_open(":memory:", &db);
  sqlite3_devdb_init(db, 0, 0);
  sqlite3_exec(db, zSchema, 0, 0, 0);
  if (bFk) sqlite3_exec(db, "PRAGMA foreign_keys=ON", 0, 0, 0);
  return db;
}

/* Append every row of zSql, as text, to the malloc'd string *pz. */
static void append_rows(sqlite3 *db, const char *zSql, char **pz) {
  sqlite3_stmt *pStmt = 0;
  sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0);
  while (pStmt && sqlite3_step(pStmt) == SQLITE_ROW) {
    for (int i = 0; i < sqlite3_column_count(pStmt); i++) {
      const char *z = (const char *)sqlite3_column_text(pStmt, i);
      size_t n = strlen(*pz), m = z ? strlen(z) : 6;
      *pz = realloc(*pz, n + m + 2);
      memcpy(*pz + n, z ? z : "(null)", m);
      memcpy(*pz + n + m, "|", 2);
    }
  }
  sqlite3_finalize(pStmt);
}

/* The schema and every row of main, as one malloc'd string. */
static char *state(sqlite3 *db) {
  char *z = calloc(1, 1);
  append_rows(db, "SELECT type, name, sql FROM sqlite_schema ORDER BY name", &z);
  append_rows(db, "SELECT * FROM users ORDER BY id", &z);
  append_rows(db, "SELECT * FROM posts ORDER BY id", &z);
  append_rows(db, "SELECT * FROM s ORDER BY id", &z);
  return z;
}

/* Run zSql; its text result (malloc'd) in *pzRes, or NULL on error. */
static int run(sqlite3 *db, const char *zSql, char **pzRes) {
  sqlite3_stmt *pStmt = 0;
  *pzRes = 0;
  int rc = sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0);
  if (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    const char *z = (const char *)sqlite3_column_text(pStmt, 0);
    *pzRes = strdup(z ? z : "(null)");
  }
  int rc2 = sqlite3_finalize(pStmt);
  if (rc == SQLITE_OK) rc = rc2;
  if (rc != SQLITE_OK) free(*pzRes), *pzRes = 0;
  return rc;
}

/* Fail every allocation of operation iOp in turn; the runs that were
** neither an error with main as before nor the fault-free run. */
static int sweep(int iOp, int bFk, int *pnRun) {
  sqlite3 *db = setup(bFk);
  char *zBefore = state(db), *zRes = 0;
  int rc = run(db, azOp[iOp], &zRes);
  char *zAfter = state(db);
  sqlite3_close(db);
  if (rc != SQLITE_OK || strcmp(zBefore, zAfter) == 0) {
    printf("# operation %d fails or changes nothing without a fault\n", iOp);
    return 1;
  }
  int nBad = 0;
  /* transient faults only: a persistent one is the same first failure, and
  ** make fault sweeps it (this keeps the test to seconds) */
  for (int bPersist = 0; bPersist <= 0; bPersist++) {
    for (int i = 1;; i++, (*pnRun)++) {
      db = setup(bFk);
      char *z = 0;
      faultsim_arm(i, bPersist);
      rc = run(db, azOp[iOp], &z);
      int nFault = faultsim_disarm();
      /* end what a vetoed transaction left open, as a caller would */
      if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "COMMIT", 0, 0, 0);
      char *zNow = state(db);
      /* an error may come after the COMMIT (the result text could not be
      ** made): then main is as after (N1: as before or as after) */
      int bAfter = strcmp(zNow, zAfter) == 0;
      int bOk = rc != SQLITE_OK ? bAfter || strcmp(zNow, zBefore) == 0
                                : bAfter && z && strcmp(z, zRes) == 0;
      if (!bOk && nBad++ == 0)
        printf("# operation %d%s, allocation %d (%s): rc %d, result [%s], state:\n%s\n",
               iOp, bFk ? " (foreign keys on)" : "", i,
               bPersist ? "persistent" : "transient", rc, z ? z : "(error)", zNow);
      free(z);
      free(zNow);
      sqlite3_close(db);
      if (nFault == 0) break;
    }
  }
  free(zBefore);
  free(zAfter);
  free(zRes);
  return nBad;
}

int main(void) {
  faultsim_install();
  int nRun = 0;
  int nOp = (int)(sizeof(azOp) / sizeof(azOp[0]));
  CHECK_EQ_INT("apply-oom-error-or-whole", sweep(0, 0, &nRun), 0);
  CHECK_EQ_INT("apply-oom-fk-on-error-or-whole", sweep(0, 1, &nRun), 0);
  for (int iOp = 1; iOp < nOp; iOp++)
    CHECK_EQ_INT("add-column-oom-error-or-whole", sweep(iOp, 0, &nRun), 0);
  printf("# %d runs\n", nRun);
  return unit_failures();
}
