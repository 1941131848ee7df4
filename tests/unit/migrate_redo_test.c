/*
** Regression test for devdb_redo run by several connections at once (make
** fault, race redo): it ran the down steps and the up steps in separate
** transactions, so concurrent redos interleaved (A rolled back v3, B then
** v2, A migrated up to v3, B's up found v3 applied...) and the database
** ended in no state a series of redos gives. Now one transaction holds the
** write lock from the first down step to the last up step: a redo commits
** once, and concurrent redos take turns.
*/
#include "devdb.h"
#include "unit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int sqlite3_devdb_init(sqlite3 *, char **, const sqlite3_api_routines *);

#define N_THREAD 4
#define N_REDO 5

static char zDir[256], zDb[300], zRedo[400];

static void write_file(const char *zName, const char *zText) {
  char zPath[512];
  snprintf(zPath, sizeof(zPath), "%s/%s", zDir, zName);
  FILE *f = fopen(zPath, "w");
  fputs(zText, f);
  fclose(f);
}

static sqlite3 *open_db(void) {
  sqlite3 *db = 0;
  sqlite3_open(zDb, &db);
  sqlite3_devdb_init(db, 0, 0);
  return db;
}

static int commit_hook(void *p) {
  (*(int *)p)++;
  return 0;
}

/* One connection running devdb_redo N_REDO times; the failures in *p. */
static void *redo_loop(void *p) {
  sqlite3 *db = open_db();
  for (int i = 0; i < N_REDO; i++) {
    char *zErr = 0;
    if (sqlite3_exec(db, zRedo, 0, 0, &zErr) != SQLITE_OK) {
      printf("# redo failed: %s\n", zErr ? zErr : "?");
      (*(int *)p)++;
    }
    sqlite3_free(zErr);
  }
  sqlite3_close(db);
  return 0;
}

int main(void) {
  snprintf(zDir, sizeof(zDir), "%s/devdb-redo-%d",
           getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
  snprintf(zDb, sizeof(zDb), "%s/app.db", zDir);
  snprintf(zRedo, sizeof(zRedo), "SELECT devdb_redo('%s', 2)", zDir);
  mkdir(zDir, 0755);
  write_file("1_a.sql",
             "-- migrate:up\nCREATE TABLE a(x);\n-- migrate:down\nDROP TABLE a;\n");
  write_file("2_b.sql", "-- migrate:up\nCREATE TABLE b(x);\nINSERT INTO b VALUES (1);\n"
                        "-- migrate:down\nDROP TABLE b;\n");
  write_file("3_c.sql", "-- migrate:up\nALTER TABLE b ADD COLUMN y;\n"
                        "-- migrate:down\nALTER TABLE b DROP COLUMN y;\n");
  sqlite3 *db = open_db();
  char zSql[400];
  snprintf(zSql, sizeof(zSql), "SELECT devdb_migrate('%s')", zDir);
  CHECK_EQ_INT("redo-setup", devdb_query_int(db, -1, zSql), 3);

  /* down 3, down 2, up 2, up 3: one COMMIT */
  int nCommit = 0;
  sqlite3_commit_hook(db, commit_hook, &nCommit);
  CHECK_EQ_INT("redo-result", devdb_query_int(db, -1, zRedo), 2);
  CHECK_EQ_INT("redo-commits-once", nCommit, 1);
  sqlite3_commit_hook(db, 0, 0);

  /* N_THREAD connections redo at once: every redo succeeds, and the
  ** database is that of one redo */
  pthread_t at[N_THREAD];
  int anFail[N_THREAD] = {0};
  for (int i = 0; i < N_THREAD; i++) pthread_create(&at[i], 0, redo_loop, &anFail[i]);
  int nFail = 0;
  for (int i = 0; i < N_THREAD; i++) {
    pthread_join(at[i], 0);
    nFail += anFail[i];
  }
  CHECK_EQ_INT("redo-concurrent-all-succeed", nFail, 0);
  CHECK_EQ_INT("redo-concurrent-all-applied",
               devdb_query_int(db, -1,
                               "SELECT count(*) FROM _devdb_migrations "
                               "WHERE state = 'applied'"),
               3);
  CHECK_EQ_INT("redo-concurrent-tables",
               devdb_query_int(db, -1,
                               "SELECT (SELECT count(*) FROM b WHERE y IS NULL) + "
                               "(SELECT count(*) FROM sqlite_schema WHERE name = 'a')"),
               2);
  CHECK("redo-out-of-transaction", sqlite3_get_autocommit(db));
  sqlite3_close(db);
  char zCmd[600];
  snprintf(zCmd, sizeof(zCmd), "rm -rf '%s'", zDir);
  if (system(zCmd)) return 1;
  return unit_failures();
}
