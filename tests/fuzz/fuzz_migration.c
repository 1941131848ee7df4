/*
** fuzz_migration: a libFuzzer target for the migration file reader and the
** runner (ext/migfile.c, ext/migrate.c).
**
** The first byte picks the file's name, and so the directory's format
** (dbmate, golang-migrate, goose, Flyway, plain); the rest is the file. A
** fresh directory holds it, and a fresh in-memory database gets
**   SELECT * FROM devdb_migrations(dir)        (read and list)
**   SELECT devdb_migrate(dir, NULL, 'plan')    (parse, run nothing)
**   SELECT devdb_migrate(dir)                  (run, one transaction each)
**   SELECT devdb_rollback(dir, 9)              (the down sections)
** Each must succeed or fail with an error; after each the connection is out
** of any transaction (N5) and integrity_check passes (N2). SQL that could
** run without end or write files (WITH, VACUUM, ATTACH) is skipped.
*/
#include "devdb.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int sqlite3_devdb_init(sqlite3 *, char **, const sqlite3_api_routines *);

static char zDir[256];
static const char *azName[] = {
    "20240101000000_fuzz.sql", /* dbmate: -- migrate:up / -- migrate:down */
    "000001_fuzz.up.sql",      /* golang-migrate */
    "00001_fuzz.sql",          /* goose (+goose Up) or plain */
    "V1__fuzz.sql",            /* Flyway */
    "0001_fuzz.sql",           /* plain */
};
#define N_NAME ((int)(sizeof(azName) / sizeof(azName[0])))

static int has_word(const uint8_t *a, size_t n, const char *zWord) {
  size_t m = strlen(zWord);
  for (size_t i = 0; i + m <= n; i++) {
    size_t j = 0;
    while (j < m && (a[i + j] | 32) == zWord[j]) j++;
    if (j == m) return 1;
  }
  return 0;
}

static void check(sqlite3 *db, const char *zWhat) {
  if (!sqlite3_get_autocommit(db)) {
    fprintf(stderr, "fuzz_migration: %s left the connection inside a transaction\n",
            zWhat);
    abort();
  }
  sqlite3_stmt *pStmt = 0;
  sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &pStmt, 0);
  if (sqlite3_step(pStmt) == SQLITE_ROW &&
      strcmp((const char *)sqlite3_column_text(pStmt, 0), "ok") != 0) {
    fprintf(stderr, "fuzz_migration: integrity_check after %s\n", zWhat);
    abort();
  }
  sqlite3_finalize(pStmt);
}

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData) {
  if (zDir[0] == 0) {
    sqlite3_hard_heap_limit64(256 << 20);
    const char *zTmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(zDir, sizeof(zDir), "%s/devdb-fuzz-mig-%d", zTmp, (int)getpid());
    mkdir(zDir, 0755);
  }
  if (nData < 1 || nData > 65536) return 0;
  const uint8_t *a = aData + 1;
  size_t n = nData - 1;
  if (has_word(a, n, "with") || has_word(a, n, "vacuum") || has_word(a, n, "attach"))
    return 0;
  char zPath[512];
  for (int i = 0; i < N_NAME; i++) {
    snprintf(zPath, sizeof(zPath), "%s/%s", zDir, azName[i]);
    remove(zPath);
  }
  snprintf(zPath, sizeof(zPath), "%s/%s", zDir, azName[aData[0] % N_NAME]);
  FILE *f = fopen(zPath, "wb");
  if (f == 0 || fwrite(a, 1, n, f) != n) abort();
  fclose(f);
  sqlite3 *db;
  sqlite3_open(":memory:", &db);
  sqlite3_devdb_init(db, 0, 0);
  static const char *azSql[] = {
      "SELECT * FROM devdb_migrations(?1)",
      "SELECT devdb_migrate(?1, NULL, 'plan')",
      "SELECT devdb_migrate(?1)",
      "SELECT devdb_rollback(?1, 9)",
  };
  for (int i = 0; i < 4; i++) {
    sqlite3_stmt *pStmt = 0;
    if (sqlite3_prepare_v2(db, azSql[i], -1, &pStmt, 0) != SQLITE_OK) abort();
    sqlite3_bind_text(pStmt, 1, zDir, -1, SQLITE_STATIC);
    while (sqlite3_step(pStmt) == SQLITE_ROW) {
      for (int k = 0; k < sqlite3_column_count(pStmt); k++) sqlite3_column_text(pStmt, k);
    }
    sqlite3_finalize(pStmt);
    check(db, azSql[i]);
  }
  sqlite3_close(db);
  return 0;
}
