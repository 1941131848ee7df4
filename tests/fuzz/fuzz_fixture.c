/*
** fuzz_fixture: a libFuzzer target for devdb_load's readers (ext/fixture.c:
** CSV, JSON in Django's format and in the plain ones, SQL).
**
** The first byte picks the format (.csv, .json, .sql) and the rest is the
** file. It is loaded into a fresh copy of a database with the tables the
** fixtures of fixtures/fixture/ fill (Django's shop schema and price), as
** devdb_load(path) and as devdb_load(path, 'price'). Each call must succeed
** or fail with an error; afterwards the connection is out of any
** transaction (N5) and the database passes integrity_check (N2). SQL that
** could run without end or write files (WITH, VACUUM, ATTACH) is skipped.
*/
#include "devdb.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int sqlite3_devdb_init(sqlite3 *, char **, const sqlite3_api_routines *);

static unsigned char *aImage; /* the fresh database, serialized */
static sqlite3_int64 nImage;
static char zPath[3][256];

/* The database every input is loaded into, made once. */
static void setup(void) {
  sqlite3_hard_heap_limit64(256 << 20);
  sqlite3 *db;
  sqlite3_open(":memory:", &db);
  sqlite3_exec(
      db,
      "CREATE TABLE price(sku TEXT PRIMARY KEY, label TEXT NOT NULL, price NUMERIC,"
      " note TEXT);",
      0, 0, 0);
  char *zErr = 0;
  char *zSchema = devdb_read_file("fixtures/fixture/django/schema.sql", 0, &zErr);
  if (zSchema) sqlite3_exec(db, zSchema, 0, 0, 0);
  sqlite3_free(zSchema);
  sqlite3_free(zErr);
  aImage = sqlite3_serialize(db, "main", &nImage, 0);
  sqlite3_close(db);
  static const char *azExt[] = {"csv", "json", "sql"};
  const char *zDir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  for (int i = 0; i < 3; i++)
    snprintf(zPath[i], sizeof(zPath[i]), "%s/devdb-fuzz-%d.%s", zDir, (int)getpid(),
             azExt[i]);
}

/* 1 when a (n bytes) holds zWord in any case. */
static int has_word(const uint8_t *a, size_t n, const char *zWord) {
  size_t m = strlen(zWord);
  for (size_t i = 0; i + m <= n; i++) {
    size_t j = 0;
    while (j < m && (a[i + j] | 32) == zWord[j]) j++;
    if (j == m) return 1;
  }
  return 0;
}

static void check(sqlite3 *db) {
  if (!sqlite3_get_autocommit(db)) {
    fprintf(stderr, "fuzz_fixture: left inside a transaction\n");
    abort();
  }
  sqlite3_stmt *pStmt = 0;
  sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &pStmt, 0);
  if (sqlite3_step(pStmt) == SQLITE_ROW &&
      strcmp((const char *)sqlite3_column_text(pStmt, 0), "ok") != 0) {
    fprintf(stderr, "fuzz_fixture: integrity_check: %s\n", sqlite3_column_text(pStmt, 0));
    abort();
  }
  sqlite3_finalize(pStmt);
}

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData) {
  if (aImage == 0) setup();
  if (nData < 1 || nData > 65536 || aImage == 0) return 0;
  int eFmt = aData[0] % 3;
  const uint8_t *a = aData + 1;
  size_t n = nData - 1;
  if (eFmt == 2 &&
      (has_word(a, n, "with") || has_word(a, n, "vacuum") || has_word(a, n, "attach")))
    return 0;
  FILE *f = fopen(zPath[eFmt], "wb");
  if (f == 0 || fwrite(a, 1, n, f) != n) abort();
  fclose(f);
  sqlite3 *db;
  sqlite3_open(":memory:", &db);
  sqlite3_devdb_init(db, 0, 0);
  unsigned char *aCopy = sqlite3_malloc64(nImage);
  memcpy(aCopy, aImage, nImage);
  sqlite3_deserialize(db, "main", aCopy, nImage, nImage,
                      SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE);
  char *zSql = sqlite3_mprintf("SELECT devdb_load(%Q); SELECT devdb_load(%Q, 'price');",
                               zPath[eFmt], zPath[eFmt]);
  const char *zTail = zSql;
  while (zTail && *zTail) {
    sqlite3_stmt *pStmt = 0;
    if (sqlite3_prepare_v2(db, zTail, -1, &pStmt, &zTail) != SQLITE_OK || pStmt == 0)
      break;
    while (sqlite3_step(pStmt) == SQLITE_ROW) {
    }
    sqlite3_finalize(pStmt);
    check(db);
  }
  sqlite3_free(zSql);
  sqlite3_close(db);
  return 0;
}
