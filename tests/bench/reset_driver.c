/*
** reset_driver: in-process timings for bench_reset.py, linked with the
** extension's objects (-DSQLITE_CORE).
**
**   reset_driver revert DB N [memory]   devdb_revert of DB's snapshot, N times
**   reset_driver memcpy DB N            copy DB's bytes into freshly mapped memory, N
**                                       times (the physical floor of a revert)
**   reset_driver backup DB OUT          devdb_backup_file, phases in ms
**   reset_driver wipe DB BACKUPS CACHE  devdb_wipe_file (what `devdb DB wipe --yes`
**                                       does), the shell's fast path
**
** revert and memcpy print the median time of one run in milliseconds.
*/
#include "devdb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

int sqlite3_devdb_init(sqlite3 *, char **, const sqlite3_api_routines *);

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *a, int n) {
  qsort(a, n, sizeof(double), cmp_double);
  return a[n / 2];
}

static sqlite3 *open_db(const char *zPath, int bMemory) {
  sqlite3 *db = 0, *pFile = 0;
  if (sqlite3_open(bMemory ? ":memory:" : zPath, &db) != SQLITE_OK) exit(1);
  sqlite3_devdb_init(db, 0, 0);
  if (bMemory) {
    sqlite3_open(zPath, &pFile);
    sqlite3_backup *p = sqlite3_backup_init(db, "main", pFile, "main");
    sqlite3_backup_step(p, -1);
    sqlite3_backup_finish(p);
    sqlite3_close(pFile);
  }
  return db;
}

static void run(sqlite3 *db, const char *zSql) {
  char *zErr = 0;
  if (sqlite3_exec(db, zSql, 0, 0, &zErr) != SQLITE_OK) {
    fprintf(stderr, "reset_driver: %s: %s\n", zSql, zErr);
    exit(1);
  }
}

static int do_revert(const char *zDb, int n, int bMemory) {
  sqlite3 *db = open_db(zDb, bMemory);
  double *a = malloc(sizeof(double) * n);
  run(db, "SELECT devdb_snapshot('bench')");
  /* what a test does between reverts: change a row of the first table */
  sqlite3_stmt *pName = 0;
  char *zChange = 0;
  sqlite3_prepare_v2(db,
                     "SELECT name FROM sqlite_schema WHERE type='table' AND name NOT LIKE "
                     "'sqlite%' AND name <> 'django_migrations' ORDER BY rowid LIMIT 1",
                     -1, &pName, 0);
  if (sqlite3_step(pName) == SQLITE_ROW) {
    zChange = sqlite3_mprintf("DELETE FROM \"%w\" WHERE rowid IN (SELECT rowid FROM "
                              "\"%w\" LIMIT 1)",
                              sqlite3_column_text(pName, 0), sqlite3_column_text(pName, 0));
  }
  sqlite3_finalize(pName);
  sqlite3_stmt *pStmt = 0;
  sqlite3_prepare_v2(db, "SELECT devdb_revert('bench')", -1, &pStmt, 0);
  for (int i = 0; i < n; i++) {
    if (zChange) run(db, zChange);
    double t0 = now_ms();
    if (sqlite3_step(pStmt) != SQLITE_ROW) {
      fprintf(stderr, "reset_driver: revert: %s\n", sqlite3_errmsg(db));
      return 1;
    }
    sqlite3_reset(pStmt);
    a[i] = now_ms() - t0;
  }
  sqlite3_finalize(pStmt);
  sqlite3_free(zChange);
  printf("%.4f\n", median(a, n));
  free(a);
  sqlite3_close(db);
  return 0;
}

static int do_memcpy(const char *zDb, int n) {
  sqlite3_int64 nByte = 0;
  char *zErr = 0;
  char *aSrc = devdb_read_file(zDb, &nByte, &zErr);
  double *a = malloc(sizeof(double) * n);
  volatile char c = 0;
  for (int i = 0; i < n; i++) {
    double t0 = now_ms();
    /* fresh pages from the kernel every time, as a new buffer would get */
    char *aCopy = mmap(0, nByte, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memcpy(aCopy, aSrc, nByte);
    c ^= aCopy[nByte / 2];
    munmap(aCopy, nByte);
    a[i] = now_ms() - t0;
  }
  printf("%.4f\n", median(a, n));
  sqlite3_free(aSrc);
  free(a);
  return 0;
}

static int do_backup(const char *zDb, const char *zOut) {
  sqlite3 *db = open_db(zDb, 0);
  DevdbBackupInfo info;
  char *zErr = 0;
  double t0 = now_ms();
  if (devdb_backup_file(db, "main", zOut, 0, &info, &zErr) != SQLITE_OK) {
    fprintf(stderr, "reset_driver: backup: %s\n", zErr);
    return 1;
  }
  printf("total %.2f copy %.2f sync %.2f check %.2f bytes %lld\n", now_ms() - t0,
         info.rCopyMs, info.rSyncMs, info.rCheckMs, info.nByte);
  sqlite3_free(info.zPath);
  sqlite3_close(db);
  return 0;
}

static int do_wipe(const char *zDb, const char *zBackups, const char *zCache) {
  DevdbWipeInfo info;
  char *zErr = 0;
  if (devdb_wipe_file(zDb, "data", zBackups, zCache, 0, &info, &zErr) != SQLITE_OK) {
    fprintf(stderr, "reset_driver: wipe: %s\n", zErr);
    return 1;
  }
  printf("fast %d hit %d tables %lld backup %s\n", info.bFast, info.bCacheHit,
         info.nTable, info.backup.zPath);
  sqlite3_free(info.backup.zPath);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 4 && strcmp(argv[1], "revert") == 0)
    return do_revert(argv[2], atoi(argv[3]), argc > 4);
  if (argc == 4 && strcmp(argv[1], "memcpy") == 0) return do_memcpy(argv[2], atoi(argv[3]));
  if (argc == 4 && strcmp(argv[1], "backup") == 0) return do_backup(argv[2], argv[3]);
  if (argc == 5 && strcmp(argv[1], "wipe") == 0) return do_wipe(argv[2], argv[3], argv[4]);
  fprintf(stderr, "usage: see the comment at the top of reset_driver.c\n");
  return 2;
}
