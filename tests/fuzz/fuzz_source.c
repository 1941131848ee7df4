/*
** fuzz_source: a libFuzzer target for the source resolver and the schema
** model (ext/source.c, ext/model.c, ext/schema.c; reliability.md §6 L1).
**
** The first byte of the input says what the rest is:
**   0  SQL text given as the source itself (run into a scratch database)
**   1  the content of a .sql file the source names
**   2  the content of a database file the source names: a corrupt or
**      hostile image, opened read-only
** and devdb_schema(source) is read whole, every column of every row. The
** query must succeed or fail with an error (the sanitizers catch the
** rest); a failure must leave the calling connection outside any
** transaction. SQL that could run without end (WITH, which makes recursive
** queries) is skipped, and a hard heap limit bounds memory.
*/
#include "devdb.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int sqlite3_devdb_init(sqlite3 *, char **, const sqlite3_api_routines *);

static sqlite3 *db;
static char zPath[2][256];

static void setup(void) {
  sqlite3_hard_heap_limit64(256 << 20);
  sqlite3_open(":memory:", &db);
  sqlite3_devdb_init(db, 0, 0);
  const char *zDir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  snprintf(zPath[0], sizeof(zPath[0]), "%s/devdb-fuzz-%d.sql", zDir, (int)getpid());
  snprintf(zPath[1], sizeof(zPath[1]), "%s/devdb-fuzz-%d.db", zDir, (int)getpid());
}

/* 1 when z (n bytes) holds WITH in any case. */
static int has_with(const uint8_t *z, size_t n) {
  for (size_t i = 0; i + 4 <= n; i++) {
    if ((z[i] | 32) == 'w' && (z[i + 1] | 32) == 'i' && (z[i + 2] | 32) == 't' &&
        (z[i + 3] | 32) == 'h')
      return 1;
  }
  return 0;
}

static void write_file(const char *zName, const uint8_t *a, size_t n) {
  FILE *f = fopen(zName, "wb");
  if (f == 0 || fwrite(a, 1, n, f) != n) abort();
  fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData) {
  if (db == 0) setup();
  if (nData < 1 || nData > 65536) return 0;
  int eKind = aData[0] % 3;
  const uint8_t *a = aData + 1;
  size_t n = nData - 1;
  if (eKind < 2 && has_with(a, n)) return 0;
  char *zSource = 0;
  if (eKind == 0) {
    zSource = malloc(n + 1);
    memcpy(zSource, a, n);
    zSource[n] = 0;
  } else {
    write_file(zPath[eKind - 1], a, n);
    zSource = strdup(zPath[eKind - 1]);
  }
  sqlite3_stmt *pStmt = 0;
  if (sqlite3_prepare_v2(db, "SELECT * FROM devdb_schema(?1)", -1, &pStmt, 0)) abort();
  sqlite3_bind_text(pStmt, 1, zSource, -1, SQLITE_TRANSIENT);
  while (sqlite3_step(pStmt) == SQLITE_ROW) {
    for (int i = 0; i < sqlite3_column_count(pStmt); i++) sqlite3_column_text(pStmt, i);
  }
  sqlite3_finalize(pStmt);
  if (!sqlite3_get_autocommit(db)) abort();
  free(zSource);
  return 0;
}
