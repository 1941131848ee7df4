/*
** Regression tests for devdb_apply and devdb_add_column run by two
** connections at once, found by make fault (race apply, race add-column):
** both read and planned main before they took the write lock, so the
** second, once the first had committed, ran a stale plan and failed ("no
** such index: main.posts_user", "duplicate column name: nick") instead of
** finding nothing left to do. Main is now read and planned again inside
** the write lock, which BEGIN IMMEDIATE waits for as the migration runner
** does.
**
** Connection A does the work inside a transaction it commits a moment
** later, from a thread; connection B runs the same call meanwhile: it waits
** for A, then finds the work done.
*/
#include "devdb.h"
#include "unit.h"

#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

int sqlite3_devdb_init(sqlite3 *, char **, const sqlite3_api_routines *);

static char zPath[64], zTarget[64];

/* A connection on the test database with devdb. */
static sqlite3 *open_db(void) {
  sqlite3 *db = 0;
  sqlite3_open(zPath, &db);
  sqlite3_devdb_init(db, 0, 0);
  return db;
}

static void *commit_later(void *p) {
  usleep(300 * 1000);
  sqlite3_exec((sqlite3 *)p, "COMMIT", 0, 0, 0);
  return 0;
}

/* Run zSql on db (one row, one column) into zOut; the return code. */
static int run_text(sqlite3 *db, const char *zSql, char *zOut, int nOut) {
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0);
  zOut[0] = 0;
  if (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    snprintf(zOut, nOut, "%s", (const char *)sqlite3_column_text(pStmt, 0));
    rc = SQLITE_OK;
  } else {
    snprintf(zOut, nOut, "error: %s", sqlite3_errmsg(db));
  }
  sqlite3_finalize(pStmt);
  return rc;
}

/*
** A runs zFirst in a transaction it commits 300 ms later; B (busy timeout
** msBusy, foreign keys as bFk) runs zSecond meanwhile, and must get zWant.
*/
static void race(const char *zName, const char *zFirst, const char *zSecond, int msBusy,
                 int bFk, const char *zWant) {
  sqlite3 *dbA = open_db(), *dbB = open_db();
  char zGot[512];
  sqlite3_busy_timeout(dbB, msBusy);
  if (bFk) sqlite3_exec(dbB, "PRAGMA foreign_keys=ON", 0, 0, 0);
  sqlite3_exec(dbA, "BEGIN IMMEDIATE", 0, 0, 0);
  run_text(dbA, zFirst, zGot, sizeof(zGot));
  pthread_t t;
  pthread_create(&t, 0, commit_later, dbA);
  int rc = run_text(dbB, zSecond, zGot, sizeof(zGot));
  pthread_join(t, 0);
  char zCheck[128];
  snprintf(zCheck, sizeof(zCheck), "%s-waits-and-succeeds", zName);
  CHECK_EQ_INT(zCheck, rc, SQLITE_OK);
  snprintf(zCheck, sizeof(zCheck), "%s-result", zName);
  CHECK_EQ_STR(zCheck, zGot, zWant);
  snprintf(zCheck, sizeof(zCheck), "%s-out-of-transaction", zName);
  CHECK(zCheck, sqlite3_get_autocommit(dbB));
  snprintf(zCheck, sizeof(zCheck), "%s-foreign-keys-restored", zName);
  CHECK_EQ_INT(zCheck, devdb_query_int(dbB, -1, "PRAGMA foreign_keys"), bFk);
  sqlite3_close(dbA);
  sqlite3_close(dbB);
}

/* A fresh database with users, posts and an index. */
static void setup(void) {
  remove(zPath);
  sqlite3 *db = open_db();
  sqlite3_exec(
      db,
      "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT);"
      "CREATE TABLE posts(id INTEGER PRIMARY KEY, user_id INT REFERENCES users(id) "
      "ON DELETE CASCADE, body TEXT);"
      "CREATE INDEX posts_user ON posts(user_id);"
      "INSERT INTO users VALUES (1, 'a'), (2, 'b');"
      "INSERT INTO posts VALUES (1, 1, 'x'), (2, 2, 'y');",
      0, 0, 0);
  sqlite3_close(db);
}

static void write_target(const char *zSql) {
  FILE *f = fopen(zTarget, "w");
  fputs(zSql, f);
  fclose(f);
}

int main(void) {
  snprintf(zPath, sizeof(zPath), "/tmp/devdb-race-%d.db", (int)getpid());
  snprintf(zTarget, sizeof(zTarget), "/tmp/devdb-race-%d.sql", (int)getpid());
  char zSql[256];

  /* both drop posts_user and add users.nick: B finds nothing left */
  setup();
  write_target("CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT, nick TEXT);"
               "CREATE TABLE posts(id INTEGER PRIMARY KEY, user_id INT REFERENCES "
               "users(id) ON DELETE CASCADE, body TEXT);");
  snprintf(zSql, sizeof(zSql), "SELECT devdb_apply('%s')", zTarget);
  race("race-apply", zSql, zSql, 5000, 0, "");

  /* both add the same column: B returns 0; it waits for the lock as the
  ** migration runner does, even without a busy timeout of its own */
  setup();
  race("race-add-column", "SELECT devdb_add_column('users', 'nick TEXT')",
       "SELECT devdb_add_column('users', 'nick TEXT')", 0, 0, "0");

  /* A adds nick as INT; B, with foreign keys on, planned an ADD COLUMN of
  ** nick TEXT before the lock and finds inside it a rebuild of users (a
  ** parent with ON DELETE CASCADE children), which needs foreign keys off:
  ** it tries again with them off, keeps the children, and turns them on */
  setup();
  write_target("CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT, nick TEXT);"
               "CREATE TABLE posts(id INTEGER PRIMARY KEY, user_id INT REFERENCES "
               "users(id) ON DELETE CASCADE, body TEXT);"
               "CREATE INDEX posts_user ON posts(user_id);");
  snprintf(zSql, sizeof(zSql), "SELECT devdb_apply('%s')", zTarget);
  race("race-apply-becomes-rebuild", "ALTER TABLE users ADD COLUMN nick INT", zSql, 5000,
       1,
       "alter column nick: column users.nick: type INT -> TEXT\n"
       "rebuild table users: table users rebuilt from the target's definition: copies 3 "
       "columns, rowids; its indexes and triggers are created again below");
  sqlite3 *db = open_db();
  CHECK_EQ_INT("race-apply-becomes-rebuild-keeps-children",
               devdb_query_int(db, -1, "SELECT count(*) FROM posts"), 2);
  CHECK_EQ_INT("race-apply-becomes-rebuild-applied",
               devdb_query_int(db, -1,
                               "SELECT count(*) FROM pragma_table_info('users') "
                               "WHERE name = 'nick' AND type = 'TEXT'"),
               1);
  sqlite3_close(db);

  remove(zPath);
  remove(zTarget);
  return unit_failures();
}
