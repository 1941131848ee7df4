/*
** Unit tests for the reset area's C API, the part the shell calls:
** devdb_backup_file / devdb_backup_dir, devdb_restore_file and the file
** wipe devdb_wipe_file (fast path, cache, fallback while another connection
** has the file open, WAL, protection).
*/
#include "devdb.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char zDir[512];

static char *path(const char *zName) {
  return unit_path(zDir, zName);
}

/* The first column of the first row of zSql on the file zPath, or -1. */
static sqlite3_int64 query_file(const char *zPath, const char *zSql) {
  sqlite3 *db = unit_open_file(zPath);
  sqlite3_int64 v = devdb_query_int(db, -1, "%s", zSql);
  sqlite3_close(db);
  return v;
}

static void exec_file(const char *zPath, const char *zSql) {
  sqlite3 *db = unit_open_file(zPath);
  char *zErr = 0;
  if (sqlite3_exec(db, zSql, 0, 0, &zErr) != SQLITE_OK) printf("# exec: %s\n", zErr);
  sqlite3_free(zErr);
  sqlite3_close(db);
}

static const char *zShop =
    "CREATE TABLE product(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT);"
    "CREATE INDEX product_name ON product(name);"
    "CREATE TABLE django_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, app TEXT, "
    "name TEXT, applied TEXT);"
    "INSERT INTO django_migrations(app, name, applied) VALUES ('shop','0001','x');";

static const char *zFill =
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) "
    "INSERT INTO product(name) SELECT 'p' || i FROM n;";

/* Wipe zDb with the file API; returns the info and checks the basics. */
static int wipe(const char *zDb, const char *zMode, const char *zOpts, DevdbWipeInfo *p,
                char **pzErr) {
  return devdb_wipe_file(zDb, zMode, path("backups"), path("cache"), zOpts, p, pzErr);
}

static void test_fast_wipe(void) {
  char zDb[1024]; /* path()'s buffers are reused */
  snprintf(zDb, sizeof(zDb), "%s", path("shop.db"));
  exec_file(zDb, zShop);
  exec_file(zDb, zFill);
  DevdbWipeInfo info;
  char *zErr = 0;
  int rc = wipe(zDb, "data", 0, &info, &zErr);
  CHECK_EQ_INT("wipe-file-ok", rc, SQLITE_OK);
  CHECK_EQ_INT("wipe-file-fast", info.bFast, 1);
  CHECK_EQ_INT("wipe-file-first-builds-image", info.bCacheHit, 0);
  CHECK_EQ_INT("wipe-file-tables", info.nTable, 1);
  CHECK_EQ_INT("wipe-file-rows-gone", query_file(zDb, "SELECT count(*) FROM product"), 0);
  CHECK_EQ_INT("wipe-file-history-kept",
               query_file(zDb, "SELECT count(*) FROM django_migrations"), 1);
  CHECK_EQ_INT(
      "wipe-file-sequence-reset",
      query_file(zDb, "SELECT count(*) FROM sqlite_sequence WHERE name='product'"), 0);
  CHECK_EQ_INT("wipe-file-integrity",
               query_file(zDb, "SELECT count(*) FROM pragma_integrity_check WHERE "
                               "integrity_check='ok'"),
               1);
  CHECK("wipe-file-backup-named",
        info.backup.zPath && strstr(info.backup.zPath, "-wipe"));
  CHECK_EQ_INT("wipe-file-backup-moved", info.backup.bMoved, 1);
  CHECK_EQ_INT("wipe-file-backup-has-rows",
               query_file(info.backup.zPath, "SELECT count(*) FROM product"), 500);
  sqlite3_free(info.backup.zPath);

  /* the same schema and history again: the cached image */
  exec_file(zDb, zFill);
  rc = wipe(zDb, 0, 0, &info, &zErr);
  CHECK_EQ_INT("wipe-file-again-ok", rc, SQLITE_OK);
  CHECK_EQ_INT("wipe-file-cache-hit", info.bCacheHit, 1);
  CHECK_EQ_INT("wipe-file-again-rows-gone",
               query_file(zDb, "SELECT count(*) FROM product"), 0);
  sqlite3_free(info.backup.zPath);

  /* a cached image cut short (a crash while the kernel had not written it
  ** back) is not used: it is built again */
  char zGlob[1100];
  snprintf(zGlob, sizeof(zGlob),
           "for f in '%s'/empty-*.db; do truncate -s 8192 \"$f\"; done", path("cache"));
  CHECK_EQ_INT("wipe-file-truncate-cache", system(zGlob), 0);
  exec_file(zDb, zFill);
  rc = wipe(zDb, 0, 0, &info, &zErr);
  CHECK_EQ_INT("wipe-file-short-image-rebuilt", info.bCacheHit, 0);
  CHECK_EQ_INT("wipe-file-short-image-integrity",
               query_file(zDb, "SELECT count(*) FROM pragma_integrity_check WHERE "
                               "integrity_check='ok'"),
               1);
  CHECK_EQ_INT("wipe-file-short-image-history",
               query_file(zDb, "SELECT count(*) FROM django_migrations"), 1);
  sqlite3_free(info.backup.zPath);

  /* a new history row makes a new image: the row survives the wipe */
  exec_file(zDb, "INSERT INTO django_migrations(app, name, applied) "
                 "VALUES ('shop','0002','y');");
  exec_file(zDb, zFill);
  rc = wipe(zDb, 0, 0, &info, &zErr);
  CHECK_EQ_INT("wipe-file-history-change-misses-cache", info.bCacheHit, 0);
  CHECK_EQ_INT("wipe-file-new-history-kept",
               query_file(zDb, "SELECT count(*) FROM django_migrations"), 2);
  sqlite3_free(info.backup.zPath);
}

static void test_fallback(void) {
  const char *zDb = path("busy.db");
  exec_file(zDb, zShop);
  exec_file(zDb, zFill);
  /* another connection has the file open: no swap, a copy and a wipe in place */
  sqlite3 *pOther = unit_open_file(zDb);
  devdb_query_int(pOther, 0, "SELECT count(*) FROM product");
  DevdbWipeInfo info;
  char *zErr = 0;
  int rc = wipe(zDb, "data", 0, &info, &zErr);
  CHECK_EQ_INT("wipe-file-busy-ok", rc, SQLITE_OK);
  CHECK_EQ_INT("wipe-file-busy-not-fast", info.bFast, 0);
  CHECK_EQ_INT("wipe-file-busy-backup-copied", info.backup.bMoved, 0);
  CHECK_EQ_INT("wipe-file-busy-backup-rows",
               query_file(info.backup.zPath, "SELECT count(*) FROM product"), 500);
  CHECK_EQ_INT("wipe-file-busy-other-sees-wipe",
               devdb_query_int(pOther, -1, "SELECT count(*) FROM product"), 0);
  sqlite3_free(info.backup.zPath);
  sqlite3_close(pOther);
}

static void test_symlink(void) {
  const char *zReal = path("real.db"), *zLink = path("link.db");
  exec_file(zReal, zShop);
  exec_file(zReal, zFill);
  if (symlink(zReal, zLink) != 0) return;
  DevdbWipeInfo info;
  char *zErr = 0;
  int rc = wipe(zLink, "data", 0, &info, &zErr);
  CHECK_EQ_INT("wipe-file-symlink-ok", rc, SQLITE_OK);
  CHECK_EQ_INT("wipe-file-symlink-not-swapped", info.bFast, 0);
  struct stat st;
  CHECK("wipe-file-symlink-still-link", lstat(zLink, &st) == 0 && S_ISLNK(st.st_mode));
  CHECK_EQ_INT("wipe-file-symlink-target-wiped",
               query_file(zReal, "SELECT count(*) FROM product"), 0);
  CHECK_EQ_INT("wipe-file-symlink-backup",
               query_file(info.backup.zPath, "SELECT count(*) FROM product"), 500);
  sqlite3_free(info.backup.zPath);
}

static void test_wal(void) {
  const char *zDb = path("wal.db");
  exec_file(zDb, "PRAGMA journal_mode=WAL;");
  exec_file(zDb, zShop);
  exec_file(zDb, zFill);
  DevdbWipeInfo info;
  char *zErr = 0;
  int rc = wipe(zDb, "data", 0, &info, &zErr);
  CHECK_EQ_INT("wipe-file-wal-ok", rc, SQLITE_OK);
  CHECK_EQ_INT("wipe-file-wal-fast", info.bFast, 1);
  sqlite3 *db = unit_open_file(zDb);
  CHECK_EQ_INT(
      "wipe-file-wal-still-wal",
      devdb_query_int(db, 0, "SELECT journal_mode='wal' FROM pragma_journal_mode"), 1);
  CHECK_EQ_INT("wipe-file-wal-rows-gone",
               devdb_query_int(db, -1, "SELECT count(*) FROM product"), 0);
  sqlite3_close(db);
  CHECK_EQ_INT("wipe-file-wal-backup-self-contained",
               query_file(info.backup.zPath, "SELECT count(*) FROM product"), 500);
  sqlite3_free(info.backup.zPath);
}

static void test_protected_and_schema(void) {
  const char *zDb = path("prot.db");
  exec_file(zDb, zShop);
  exec_file(zDb, "SELECT devdb_protect('keep');");
  DevdbWipeInfo info;
  char *zErr = 0;
  int rc = wipe(zDb, "data", 0, &info, &zErr);
  CHECK_EQ_INT("wipe-file-protected-refused", rc, SQLITE_ERROR);
  CHECK("wipe-file-protected-message", zErr && strstr(zErr, "protected (keep)"));
  sqlite3_free(zErr);
  zErr = 0;
  rc = wipe(zDb, "schema", "allow-protected", &info, &zErr);
  CHECK_EQ_INT("wipe-file-schema-ok", rc, SQLITE_OK);
  CHECK_EQ_INT("wipe-file-schema-only-mark",
               query_file(zDb, "SELECT count(*) FROM sqlite_schema"), 1);
  CHECK_EQ_INT("wipe-file-schema-mark-kept",
               query_file(zDb, "SELECT devdb_protected() = 'keep'"), 1);
  sqlite3_free(info.backup.zPath);
  rc = wipe(zDb, "all", 0, &info, &zErr);
  CHECK_EQ_INT("wipe-file-bad-mode", rc, SQLITE_ERROR);
  sqlite3_free(zErr);
}

static void test_backup_api(void) {
  const char *zDb = path("src.db");
  exec_file(zDb, zShop);
  exec_file(zDb, zFill);
  sqlite3 *db = unit_open_file(zDb);
  DevdbBackupInfo a, b;
  char *zErr = 0;
  int rc = devdb_backup_dir(db, "main", path("dirbackups"), 0, 0, &a, &zErr);
  CHECK_EQ_INT("backup-dir-ok", rc, SQLITE_OK);
  rc = devdb_backup_dir(db, "main", path("dirbackups"), 0, 0, &b, &zErr);
  CHECK_EQ_INT("backup-dir-second-ok", rc, SQLITE_OK);
  CHECK("backup-dir-distinct-names", a.zPath && b.zPath && strcmp(a.zPath, b.zPath) != 0);
  CHECK("backup-dir-stem", a.zPath && strstr(a.zPath, "/src-"));
  char zDay[32];
  time_t now = time(0);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(zDay, sizeof(zDay), "/src-%Y%m%d-", &tm);
  CHECK("backup-dir-utc-date", a.zPath && strstr(a.zPath, zDay));
  CHECK_EQ_INT("backup-dir-page-copy", a.bPageCopy, 1);
  CHECK_EQ_INT("backup-dir-bytes", a.nByte,
               devdb_query_int(db, 0,
                               "SELECT page_count*page_size FROM "
                               "pragma_page_count, pragma_page_size"));
  CHECK_EQ_INT("backup-listed",
               devdb_query_int(db, 0,
                               "SELECT count(*) FROM devdb_backups(%Q) WHERE "
                               "verified",
                               path("dirbackups")),
               2);
  exec_file(zDb, "DELETE FROM product;");
  sqlite3_int64 n = 0;
  rc = devdb_restore_file(db, a.zPath, 0, &n, &zErr);
  CHECK_EQ_INT("restore-file-ok", rc, SQLITE_OK);
  CHECK_EQ_INT("restore-file-bytes", n, a.nByte);
  CHECK_EQ_INT("restore-file-rows",
               devdb_query_int(db, -1, "SELECT count(*) FROM product"), 500);
  sqlite3_free(a.zPath);
  sqlite3_free(b.zPath);
  rc = devdb_backup_file(db, "main", path("missing/dir/x.db"), 0, &a, &zErr);
  CHECK("backup-file-bad-dir",
        rc != SQLITE_OK && access(path("missing/dir/x.db"), 0) != 0);
  sqlite3_free(zErr);
  sqlite3_close(db);
}

/* 1 when the files zA and zB hold the same bytes. */
static int same_bytes(const char *zA, const char *zB) {
  sqlite3_int64 nA = -1, nB = -2;
  char *zErr = 0;
  char *a = devdb_read_file(zA, &nA, &zErr), *b = devdb_read_file(zB, &nB, &zErr);
  int bSame = a && b && nA == nB && memcmp(a, b, (size_t)nA) == 0;
  sqlite3_free(a);
  sqlite3_free(b);
  sqlite3_free(zErr);
  return bSame;
}

/* SQLITE_BUSY when a write to zDb by another process (the sqlite3 shell, a
** fresh program: a forked copy of this one would share its view of the
** locks) finds it locked, SQLITE_OK when it succeeds, else SQLITE_ERROR. */
static int other_process_write(const char *zDb) {
  char *zCmd =
      sqlite3_mprintf("sqlite3 '%s' 'DELETE FROM blob_t WHERE id = 1' 2>&1", zDb);
  FILE *f = zCmd ? popen(zCmd, "r") : 0;
  char zOut[512] = "";
  size_t n = f ? fread(zOut, 1, sizeof(zOut) - 1, f) : 0;
  zOut[n] = 0;
  int status = f ? pclose(f) : -1;
  sqlite3_free(zCmd);
  if (status == 0) return SQLITE_OK;
  return strstr(zOut, "database is locked") ? SQLITE_BUSY : SQLITE_ERROR;
}

/* A rollback-journal database is copied in the kernel from the descriptor
** SQLite reads it through (copy_file_range): the copy holds the very bytes
** of the database, a file bigger than one copy chunk (16 MB) included, and
** the connection's lock is kept (a second descriptor, closed, would drop
** it: another connection could then write while the copy is read). */
static void test_backup_kernel_copy(void) {
  const char *zDb = path("big.db");
  exec_file(zDb, "CREATE TABLE blob_t(id INTEGER PRIMARY KEY, b BLOB);"
                 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE "
                 "i < 4500) INSERT INTO blob_t(b) SELECT randomblob(4000) FROM n;");
  sqlite3 *db = unit_open_file(zDb);
  DevdbBackupInfo info;
  char *zErr = 0;
  int rc = devdb_backup_file(db, "main", path("big-copy.db"), 0, &info, &zErr);
  CHECK_EQ_INT("backup-kernel-copy-ok", rc, SQLITE_OK);
  CHECK_EQ_INT("backup-kernel-copy-page-copy", info.bPageCopy, 1);
  CHECK("backup-kernel-copy-over-a-chunk", info.nByte > (16 << 20));
  CHECK("backup-kernel-copy-same-bytes", same_bytes(zDb, path("big-copy.db")));
  sqlite3_free(info.zPath);
  sqlite3_free(zErr);
  /* the read lock of a transaction on db holds through a backup by another
  ** connection of this process: a writer in another process still waits */
  devdb_exec(db, 0, "BEGIN; SELECT count(*) FROM blob_t;");
  CHECK_EQ_INT("backup-lock-held-before", other_process_write(zDb), SQLITE_BUSY);
  sqlite3 *pOther = unit_open_file(zDb);
  rc = devdb_backup_file(pOther, "main", path("big-copy2.db"), 0, &info, &zErr);
  CHECK_EQ_INT("backup-lock-backup-ok", rc, SQLITE_OK);
  CHECK_EQ_INT("backup-lock-held-after", other_process_write(zDb), SQLITE_BUSY);
  devdb_exec(db, 0, "COMMIT");
  sqlite3_free(info.zPath);
  sqlite3_free(zErr);
  sqlite3_close(pOther);
  sqlite3_close(db);
}

int main(void) {
  snprintf(zDir, sizeof(zDir), "%s/reset-unit-XXXXXX",
           getenv("TESTTMP") ? getenv("TESTTMP") : "/tmp");
  if (mkdtemp(zDir) == 0) return 1;
  test_fast_wipe();
  test_fallback();
  test_wal();
  test_symlink();
  test_protected_and_schema();
  test_backup_api();
  test_backup_kernel_copy();
  return unit_failures();
}
