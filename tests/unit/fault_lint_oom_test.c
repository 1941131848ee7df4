/*
** Regression test for devdb_lint under allocation failures, found by the
** full sweep of the memory-fault harness (oom lint-sqlfile): a lint against
** a .sql source hit by one transient allocation failure reported success
** with other rows than a fault-free run. Every allocation of a lint of main
** and of a lint against a .sql source is failed in turn: the lint is an
** error, or exactly the fault-free rows.
*/
#include "devdb.h"
#include "unit.h"
#include "../fault/faultsim.c"

#include <stdlib.h>
#include <unistd.h>

int sqlite3_devdb_init(sqlite3 *, char **, const sqlite3_api_routines *);

static char zDir[] = "/tmp/devdb-lint-oom-XXXXXX";
static char zSrc[300];

static sqlite3 *setup(void) {
  sqlite3 *db;
  sqlite3_open(":memory:", &db);
  sqlite3_devdb_init(db, 0, 0);
  sqlite3_exec(
      db,
      "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT NOT NULL COLLATE"
      " NOCASE UNIQUE, name TEXT DEFAULT 'anon', age INT CHECK (age >= 0));"
      "CREATE TABLE posts(id INTEGER PRIMARY KEY AUTOINCREMENT,"
      " user_id INT REFERENCES users(id) ON DELETE CASCADE, body TEXT);"
      "CREATE VIEW post_count AS SELECT user_id, count(*) AS n FROM posts"
      " GROUP BY user_id;"
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 8)"
      " INSERT INTO users(email, name, age) SELECT 'u' || i || '@x.org',"
      " 'user ' || i, i FROM n;"
      "INSERT INTO posts(user_id, body) SELECT id, 'p' FROM users;",
      0, 0, 0);
  return db;
}

/* Append z to the malloc'd text *pz (the test's own memory never fails). */
static void append(char **pz, const char *z) {
  size_t n = *pz ? strlen(*pz) : 0;
  *pz = realloc(*pz, n + strlen(z) + 1);
  strcpy(*pz + n, z);
}

/* The rows of zSql, one line each, or NULL when it failed (*pRc). */
static char *rows(sqlite3 *db, const char *zSql, int *pRc) {
  sqlite3_stmt *pStmt = 0;
  char *zOut = 0;
  append(&zOut, "");
  *pRc = sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0);
  while (*pRc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    for (int i = 0; i < sqlite3_column_count(pStmt); i++) {
      int eType = sqlite3_column_type(pStmt, i);
      const char *z = (const char *)sqlite3_column_text(pStmt, i);
      append(&zOut, z ? z : eType == SQLITE_NULL ? "NULL" : "(no memory)");
      append(&zOut, "|");
    }
    append(&zOut, "\n");
  }
  int rc = sqlite3_finalize(pStmt);
  if (*pRc == SQLITE_OK) *pRc = rc;
  if (*pRc != SQLITE_OK) {
    free(zOut);
    zOut = 0;
  }
  return zOut;
}

/* Fail every allocation of zSql in turn; the runs that are neither an
** error nor the fault-free rows. */
static int sweep(const char *zSql) {
  int rc;
  sqlite3 *db = setup();
  char *zRef = rows(db, zSql, &rc);
  sqlite3_close(db);
  int nBad = 0, nRun = 0;
  if (zRef == 0 || strstr(zRef, "will-fail-check") == 0) {
    printf("# %s: the fault-free run failed (rc %d)\n%s\n", zSql, rc, zRef ? zRef : "");
    nBad++;
  }
  for (int bPersist = 0; bPersist <= 1 && nBad == 0; bPersist++) {
    for (int i = 1;; i++, nRun++) {
      db = setup();
      faultsim_arm(i, bPersist);
      char *z = rows(db, zSql, &rc);
      int nFault = faultsim_disarm();
      int bOk = rc != SQLITE_OK ? z == 0 : z && strcmp(z, zRef) == 0;
      if (!bOk && nBad++ == 0)
        printf("# %s allocation %d (%s): rc %d, rows:\n%s# expected:\n%s", zSql, i,
               bPersist ? "persistent" : "transient", rc, z ? z : "(none)\n", zRef);
      free(z);
      sqlite3_close(db);
      if (nFault == 0) break;
    }
  }
  printf("# %s: %d runs\n", zSql, nRun);
  free(zRef);
  return nBad;
}

int main(void) {
  faultsim_install();
  if (mkdtemp(zDir) == 0) return 1;
  snprintf(zSrc, sizeof(zSrc), "%s/lint.sql", zDir);
  FILE *f = fopen(zSrc, "wb");
  if (f == 0) return 1;
  fputs("CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE,"
        " name TEXT NOT NULL, age INT CHECK (age > 5), extra \"quoted\");"
        "CREATE TABLE posts(id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL"
        " REFERENCES users(id), body TEXT) STRICT;"
        "CREATE VIEW v AS SELECT \"x\" FROM users; CREATE TRIGGER tr AFTER INSERT ON"
        " posts BEGIN UPDATE users SET name = \"n\" WHERE id = new.user_id; END;",
        f);
  fclose(f);
  char *zSql = sqlite3_mprintf("SELECT * FROM devdb_lint(%Q)", zSrc);
  CHECK_EQ_INT("lint-oom-sqlfile-error-or-whole", sweep(zSql), 0);
  sqlite3_free(zSql);
  unlink(zSrc);
  rmdir(zDir);
  return unit_failures();
}
