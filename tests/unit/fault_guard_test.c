/*
** Regression tests for the guard every side-effect function runs through
** (util.c), found by make fault: devdb_migrate, devdb_dedup, devdb_apply,
** devdb_add_column, devdb_backup and devdb_protect returned inside their
** transaction after an allocation failure (N5), and a later COMMIT would
** have kept half their work (N1).
**   - a function whose error path forgets its ROLLBACK: the guard rolls
**     back, the error is reported, the connection is out of its transaction;
**   - a function hit by an allocation failure after it began writing: SQLite
**     runs no ROLLBACK until the calling statement ends, so the guard makes
**     that transaction's COMMIT a rollback: nothing of the work lands;
**   - one that had written nothing: no veto, and a later COMMIT works
**     (a transaction without writes never calls the commit hook, so a veto
**     left on it refused the next real commit; found by make fault).
*/
#include "devdb.h"
#include "unit.h"
#include "../fault/faultsim.c"

/* BEGIN, insert a row, then fail without rolling back. */
static void forgetFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  sqlite3 *db = sqlite3_context_db_handle(ctx);
  sqlite3_exec(db, "BEGIN; INSERT INTO t VALUES (1);", 0, 0, 0);
  sqlite3_result_error(ctx, "forget: something failed", -1);
}

/* A savepoint that writes nothing, then an allocation fails. */
static void readOomFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  sqlite3 *db = sqlite3_context_db_handle(ctx);
  sqlite3_exec(db, "SAVEPOINT s", 0, 0, 0);
  faultsim_arm(1, 0);
  sqlite3_exec(db, "SELECT count(*) FROM t", 0, 0, 0);
  faultsim_disarm();
  sqlite3_result_error_nomem(ctx);
}

/* BEGIN, insert a row, then an allocation fails in the next statement. */
static void oomFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  sqlite3 *db = sqlite3_context_db_handle(ctx);
  sqlite3_exec(db, "BEGIN; INSERT INTO t VALUES (2);", 0, 0, 0);
  faultsim_arm(1, 0);
  int rc = sqlite3_exec(db, "INSERT INTO t VALUES (3)", 0, 0, 0);
  faultsim_disarm();
  if (rc == SQLITE_NOMEM) sqlite3_exec(db, "ROLLBACK", 0, 0, 0); /* cannot run */
  sqlite3_result_error_nomem(ctx);
}

int main(void) {
  faultsim_install();
  static const DevdbFunc aFunc[] = {
      {"forget", 0, DEVDB_SIDE_EFFECT, forgetFunc},
      {"oom", 0, DEVDB_SIDE_EFFECT, oomFunc},
      {"read_oom", 0, DEVDB_SIDE_EFFECT, readOomFunc},
  };
  sqlite3 *db;
  sqlite3_open(":memory:", &db);
  devdb_register_funcs(db, aFunc, 3);
  sqlite3_exec(db, "CREATE TABLE t(x)", 0, 0, 0);

  char *zErr = 0;
  int rc = sqlite3_exec(db, "SELECT forget()", 0, 0, &zErr);
  CHECK("guard-forgotten-rollback-is-an-error", rc != SQLITE_OK);
  CHECK("guard-forgotten-rollback-names-the-cause",
        zErr &&
            strstr(zErr, "forget: failed and left its transaction open (rolled back)"));
  CHECK("guard-forgotten-rollback-out-of-transaction", sqlite3_get_autocommit(db));
  CHECK_EQ_INT("guard-forgotten-rollback-nothing-kept",
               devdb_query_int(db, -1, "SELECT count(*) FROM t"), 0);
  sqlite3_free(zErr);

  rc = sqlite3_exec(db, "SELECT oom()", 0, 0, 0);
  CHECK_EQ_INT("guard-oom-is-nomem", rc, SQLITE_NOMEM);
  rc = sqlite3_exec(db, "COMMIT", 0, 0, 0);
  CHECK("guard-oom-commit-refused", rc != SQLITE_OK);
  CHECK("guard-oom-out-of-transaction", sqlite3_get_autocommit(db));
  CHECK_EQ_INT("guard-oom-nothing-kept",
               devdb_query_int(db, -1, "SELECT count(*) FROM t"), 0);
  /* the hooks are gone once that transaction ended */
  sqlite3_exec(db, "BEGIN; INSERT INTO t VALUES (4); COMMIT;", 0, 0, 0);
  CHECK_EQ_INT("guard-oom-later-commits-work",
               devdb_query_int(db, -1, "SELECT count(*) FROM t"), 1);
  /* a transaction that wrote nothing is not vetoed: nothing could land,
  ** and the next transaction's COMMIT must not be refused */
  sqlite3_exec(db, "SELECT read_oom()", 0, 0, 0);
  sqlite3_exec(db, "COMMIT", 0, 0, 0);
  rc = sqlite3_exec(db, "BEGIN; INSERT INTO t VALUES (5); COMMIT;", 0, 0, 0);
  CHECK_EQ_INT("guard-read-oom-later-commit-works", rc, SQLITE_OK);
  sqlite3_close(db);
  return unit_failures();
}
