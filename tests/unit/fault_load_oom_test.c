/*
** Regression test for devdb_load under allocation failures, found by the
** full sweep of the memory-fault harness (oom load-csv): a load hit by one
** transient allocation failure reported success with other rows than a
** fault-free load (a CSV field whose text could not be kept read as NULL,
** a bind that failed left the previous record's value bound). Every
** allocation of a CSV, a Django JSON and an SQL load is failed in turn: the
** load is an error (the database as before, or as after when what failed
** came after the commit), or a success with exactly the fault-free count
** and rows.
*/
#include "devdb.h"
#include "unit.h"
#include "../fault/faultsim.c"

#include <stdlib.h>
#include <unistd.h>

int sqlite3_devdb_init(sqlite3 *, char **, const sqlite3_api_routines *);

static char zDir[] = "/tmp/devdb-load-oom-XXXXXX";

static void write_file(const char *zName, const char *zText) {
  char zPath[256];
  snprintf(zPath, sizeof(zPath), "%s/%s", zDir, zName);
  FILE *f = fopen(zPath, "wb");
  if (f) {
    fputs(zText, f);
    fclose(f);
  }
}

static sqlite3 *setup(void) {
  sqlite3 *db;
  sqlite3_open(":memory:", &db);
  sqlite3_devdb_init(db, 0, 0);
  sqlite3_exec(db,
               "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE,"
               " name TEXT DEFAULT 'anon', age INT CHECK (age >= 0));"
               "CREATE TABLE posts(id INTEGER PRIMARY KEY,"
               " user_id INT REFERENCES users(id), body TEXT);"
               "CREATE TABLE victim(v);"
               "INSERT INTO users VALUES (1, 'u1@x.org', 'one', 1);"
               "INSERT INTO victim VALUES ('must survive');"
               "CREATE TABLE shop_book(id INTEGER PRIMARY KEY, title TEXT NOT NULL,"
               " price REAL, sold INT);"
               "INSERT INTO shop_book VALUES (1, 'old', 1.0, 0);",
               0, 0, 0);
  return db;
}

/* Every row of every table, quoted, as one text. */
static char *state(sqlite3 *db) {
  sqlite3_stmt *pStmt = 0;
  char *z = 0;
  if (sqlite3_prepare_v2(
          db,
          "SELECT (SELECT group_concat(quote(id)||quote(email)||quote(name)||quote(age))"
          " FROM users) || '/' || ifnull((SELECT group_concat(quote(id)||quote(user_id)||"
          "quote(body)) FROM posts), '') || '/' || (SELECT group_concat(quote(v)) FROM"
          " victim) || '/' || (SELECT group_concat(quote(id)||quote(title)||"
          "quote(price)||quote(sold)) FROM shop_book)",
          -1, &pStmt, 0) == SQLITE_OK &&
      sqlite3_step(pStmt) == SQLITE_ROW && sqlite3_column_text(pStmt, 0))
    z = strdup((const char *)sqlite3_column_text(pStmt, 0));
  sqlite3_finalize(pStmt);
  return z;
}

/* Load zName: SQLITE_OK and *pnRow, or the error. */
static int load(sqlite3 *db, const char *zName, sqlite3_int64 *pnRow) {
  char *zSql = sqlite3_mprintf("SELECT devdb_load('%q/%q')", zDir, zName);
  sqlite3_stmt *pStmt = 0;
  int rc = zSql ? sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0) : SQLITE_NOMEM;
  sqlite3_free(zSql);
  *pnRow = -1;
  if (rc == SQLITE_OK) {
    if (sqlite3_step(pStmt) == SQLITE_ROW) *pnRow = sqlite3_column_int64(pStmt, 0);
    rc = sqlite3_finalize(pStmt);
  }
  return rc;
}

/* Fail every allocation of the load of zName in turn; the runs that end
** other than "error, state as before" or "success, the fault-free result". */
static int sweep(const char *zName) {
  sqlite3 *db = setup();
  char *zBefore = state(db);
  sqlite3_int64 nRef;
  int rc = load(db, zName, &nRef);
  char *zAfter = state(db);
  sqlite3_close(db);
  int nBad = 0, nRun = 0;
  if (rc != SQLITE_OK || !zBefore || !zAfter || strcmp(zBefore, zAfter) == 0) {
    printf("# %s: the fault-free load failed (rc %d)\n", zName, rc);
    nBad++;
  }
  for (int bPersist = 0; bPersist <= 1 && nBad == 0; bPersist++) {
    for (int i = 1;; i++, nRun++) {
      sqlite3_int64 nRow;
      db = setup();
      faultsim_arm(i, bPersist);
      rc = load(db, zName, &nRow);
      int nFault = faultsim_disarm();
      /* the transaction a fault left open ends with the next ROLLBACK (README) */
      if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", 0, 0, 0);
      char *z = state(db);
      /* an error may come after the commit (the result row): then the
      ** database is as after, never anything between */
      int bOk = z && (rc != SQLITE_OK ? strcmp(z, zBefore) == 0 || strcmp(z, zAfter) == 0
                                      : nRow == nRef && strcmp(z, zAfter) == 0);
      if (!bOk && nBad++ == 0)
        printf("# %s allocation %d (%s): rc %d, %lld rows, state:\n# %s\n# expected:\n# "
               "%s\n",
               zName, i, bPersist ? "persistent" : "transient", rc, nRow,
               z ? z : "(none)", rc ? zBefore : zAfter);
      free(z);
      sqlite3_close(db);
      if (nFault == 0) break;
    }
  }
  printf("# %s: %d runs\n", zName, nRun);
  free(zBefore);
  free(zAfter);
  return nBad;
}

int main(void) {
  faultsim_install();
  if (mkdtemp(zDir) == 0) return 1;
  write_file("users.csv", "id,email,name,age\n"
                          "101,\"a@x.org\",\"Ann, \"\"A\"\"\",30\n"
                          "102,b@x.org,,41\n"
                          "103,c@x.org,\"\",52\r\n");
  write_file("shop.json",
             "[{\"model\": \"shop.book\", \"pk\": 1, \"fields\": {\"title\": \"Dune\","
             " \"price\": 9.5, \"sold\": true}},\n"
             " {\"model\": \"shop.book\", \"pk\": 2, \"fields\": {\"title\": \"Emma\","
             " \"price\": 4.25, \"sold\": false}},\n"
             " {\"model\": \"shop.book\", \"pk\": 3, \"fields\": {\"title\": \"Ulysses\","
             " \"price\": null, \"sold\": true}}]\n");
  write_file("users.json",
             "{\"users\": [{\"id\": 7, \"email\": \"j@x.org\", \"name\": "
             "\"jay\", \"age\": 7}, {\"id\": 8, \"email\": \"k@x.org\"}]}\n");
  write_file("data.sql", "INSERT INTO victim VALUES ('from sql');\n"
                         "BEGIN;\n"
                         "INSERT INTO posts(user_id, body) VALUES (1, 'loaded');\n"
                         "COMMIT;\n");
  CHECK_EQ_INT("load-oom-csv-error-or-whole", sweep("users.csv"), 0);
  CHECK_EQ_INT("load-oom-json-error-or-whole", sweep("shop.json"), 0);
  CHECK_EQ_INT("load-oom-json-tables-error-or-whole", sweep("users.json"), 0);
  CHECK_EQ_INT("load-oom-sql-error-or-whole", sweep("data.sql"), 0);
  const char *az[] = {"users.csv", "shop.json", "users.json", "data.sql"};
  for (int i = 0; i < 4; i++) {
    char zPath[256];
    snprintf(zPath, sizeof(zPath), "%s/%s", zDir, az[i]);
    unlink(zPath);
  }
  rmdir(zDir);
  return unit_failures();
}
