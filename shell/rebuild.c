/*
** rebuild.c: the whole "start over" of a development database in one
** command.
**
** The new database is built beside the old one, in a temporary file of
** the cache directory (.devdb/cache beside the database), with the same
** page size: every migration applied (devdb_migrate, writing the history
** table the old database used), the fixtures loaded (devdb_load, in one
** transaction), then verified: PRAGMA integrity_check, foreign_key_check,
** every migration applied, no drift from the migrations. Only then does the
** old database get touched: a verified backup of it is taken and the new
** content is copied in through SQLite (devdb_restore_file), so other
** connections see either the old database or the new one. Nothing is synced
** while building; the finished image is synced once, and kept as
** .devdb/cache/rebuild-KEY.db.
**
** KEY is a fingerprint of everything the result depends on: devdb's and
** SQLite's versions, the page size, the history format, and every
** migration and fixture file (name, size, modification time). When a
** rebuild finds its KEY cached, the migrations and fixtures have not
** changed since the image was built and verified, and it is copied in
** without running them again.
*/
#include "shell.h"
#include "devdb.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int sqlite3_devdb_init(sqlite3 *, char **, const sqlite3_api_routines *);

typedef struct Rebuild {
  const char *zDir;   /* the migrations directory */
  StrList fixtures;   /* fixture files, in load order */
  char *zTool;        /* the history format of the old database, or NULL */
  int nPageSize;      /* the old database's page size */
  char *zCacheDir;    /* .devdb/cache beside the database */
  char *zImage;       /* the cached image for this fingerprint */
  int nMigration;     /* migrations applied into the image */
  sqlite3_int64 nRow; /* fixture rows loaded */
} Rebuild;

/* FNV-1a, 64 bits, over n bytes of z into *pH. */
static void fnv(sqlite3_uint64 *pH, const char *z, size_t n) {
  for (size_t i = 0; i < n; i++) {
    *pH ^= (unsigned char)z[i];
    *pH *= 1099511628211ULL;
  }
}

/* Add a file's name, size and modification time to the fingerprint. */
static void fnv_file(sqlite3_uint64 *pH, const char *zPath) {
  struct stat st;
  char zBuf[96];
  fnv(pH, zPath, strlen(zPath) + 1);
  if (stat(zPath, &st) == 0) {
    snprintf(zBuf, sizeof(zBuf), "%lld.%ld.%ld", (long long)st.st_size,
             (long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
    fnv(pH, zBuf, strlen(zBuf) + 1);
  }
}

/* The fingerprint of what the rebuilt database depends on (16 hex digits
** into zOut). */
static void fingerprint(Shell *p, const Rebuild *r, char *zOut, size_t nOut) {
  sqlite3_uint64 h = 14695981039346656037ULL;
  char zHead[160];
  snprintf(zHead, sizeof(zHead), "devdb %s sqlite %s page %d history %s", DEVDB_VERSION,
           sqlite3_libversion(), r->nPageSize, r->zTool ? r->zTool : "");
  fnv(&h, zHead, strlen(zHead) + 1);
  StrList l = {0, 0, 0};
  DIR *d = opendir(r->zDir);
  struct dirent *e;
  while (d && (e = readdir(d)) != 0) {
    if (e->d_name[0] != '.') strlist_add(&l, e->d_name);
  }
  if (d) closedir(d);
  strlist_sort_unique(&l);
  for (int i = 0; i < l.n; i++) {
    char *zPath = path_join(r->zDir, l.az[i]);
    fnv_file(&h, zPath);
    free(zPath);
  }
  strlist_free(&l);
  for (int i = 0; i < r->fixtures.n; i++) fnv_file(&h, r->fixtures.az[i]);
  snprintf(zOut, nOut, "%016llx", (unsigned long long)h);
}

/* What the old database says the new one must keep: its page size and the
** history table format its migrations were recorded in (one the runner
** writes; else the runner's default). */
static void read_old(Shell *p, Rebuild *r) {
  r->nPageSize = (int)shell_query_int(p, 4096, "PRAGMA page_size");
  r->zTool =
      shell_query_text(p, "SELECT tool FROM devdb_history WHERE tool IN ('dbmate', "
                          "'rails', 'rails-or-dbmate', 'golang-migrate', 'goose', "
                          "'flyway', 'django') LIMIT 1");
}

/* 1 (reported) when a check of the image found nBad problems. */
static int check_failed(Shell *p, sqlite3_int64 nBad, const char *zWhat) {
  if (nBad == 0) return 0;
  shell_error(p, "rebuild: the new database failed its check: %s", zWhat);
  return 1;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Verify the image: integrity, foreign keys, every migration applied, no
** drift. 0 when it passes. */
static int verify_image(Shell *p, Rebuild *r) {
  char *zIntegrity = shell_query_text(p, "PRAGMA integrity_check");
  int rc = zIntegrity == 0 || strcmp(zIntegrity, "ok") != 0;
  if (rc) shell_error(p, "rebuild: integrity_check: %s", zIntegrity ? zIntegrity : "?");
  free(zIntegrity);
  char *zOrphans = rc ? 0
                      : shell_query_text(p, "SELECT group_concat(n || ' row' || "
                                            "iif(n = 1, '', 's') || ' of ' || t || "
                                            "' without a parent in ' || parent, '; ') "
                                            "FROM (SELECT \"table\" AS t, parent, "
                                            "count(*) AS n FROM pragma_foreign_key_check "
                                            "GROUP BY 1, 2)");
  if (zOrphans) {
    shell_error(p, "rebuild: the new database failed foreign_key_check: %s (a fixture?)",
                zOrphans);
    rc = 1;
  }
  free(zOrphans);
  rc = rc || check_failed(p,
                          shell_query_int(p, 1,
                                          "SELECT count(*) FROM devdb_migrations(%Q) "
                                          "WHERE state <> 'applied'",
                                          r->zDir),
                          "not every migration is applied");
  rc = rc ||
       check_failed(p, shell_drift_count(p, r->zDir, 0),
                    "its schema differs from what the migrations build (did a fixture "
                    "change it?)");
  return rc;
}

/* Apply the migrations and load the fixtures into p->db (the image). */
static int fill_image(Shell *p, Rebuild *r) {
  char *zOpts = r->zTool ? shell_printf("history:%s", r->zTool) : 0, *zN = 0;
  int rc =
      shell_call(p, &zN, "migrate", "SELECT devdb_migrate(%Q, NULL, %Q)", r->zDir, zOpts);
  r->nMigration = zN ? atoi(zN) : 0;
  free(zN);
  free(zOpts);
  if (rc == SQLITE_OK && r->fixtures.n) {
    rc = shell_exec(p, "BEGIN") ? SQLITE_ERROR : SQLITE_OK;
    if (rc == SQLITE_OK) rc = shell_load_files(p, &r->fixtures, 0, 0, &r->nRow);
    if (rc == SQLITE_OK) rc = shell_exec(p, "COMMIT") ? SQLITE_ERROR : SQLITE_OK;
  }
  return rc;
}

/* Open a new database at zPath with the extension, tuned for a one-shot
** build: no syncs, journal in memory. NULL (reported) on failure. */
static sqlite3 *open_image(Shell *p, const char *zPath, int nPageSize) {
  sqlite3 *db = 0;
  char *zErr = 0;
  unlink(zPath);
  if (sqlite3_open_v2(zPath, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 0) !=
          SQLITE_OK ||
      sqlite3_devdb_init(db, &zErr, 0) != SQLITE_OK) {
    shell_error(p, "rebuild: cannot create '%s': %s", zPath,
                zErr ? zErr : sqlite3_errmsg(db));
    sqlite3_free(zErr);
    sqlite3_close(db);
    return 0;
  }
  char *zSql = sqlite3_mprintf("PRAGMA page_size = %d; PRAGMA journal_mode = MEMORY; "
                               "PRAGMA synchronous = OFF",
                               nPageSize);
  sqlite3_exec(db, zSql, 0, 0, 0);
  sqlite3_free(zSql);
  return db;
}

/* Build, verify and cache the image. 0 on success; on failure the
** temporary file is gone and nothing else changed. */
static int build_image(Shell *p, Rebuild *r) {
  char *zTmp = shell_printf("%s.tmp-%d", r->zImage, (int)getpid());
  sqlite3 *pImg = open_image(p, zTmp, r->nPageSize), *pOld = p->db;
  int rc = pImg == 0;
  if (rc == 0) {
    p->db = pImg; /* every helper now works on the image */
    rc = fill_image(p, r) != SQLITE_OK || verify_image(p, r);
    if (rc == 0) sqlite3_exec(pImg, "PRAGMA journal_mode = DELETE", 0, 0, 0);
    p->db = pOld;
  }
  if (pImg && sqlite3_close(pImg) != SQLITE_OK) rc = 1;
  int fd = rc == 0 ? open(zTmp, O_RDWR | O_CLOEXEC) : -1;
  if (fd >= 0) {
    rc = fsync(fd) != 0;
    close(fd);
  }
  if (rc == 0 && rename(zTmp, r->zImage) != 0) rc = 1;
  if (rc != 0) unlink(zTmp);
  free(zTmp);
  return rc;
}

/* Remove cached images of other fingerprints. */
static void drop_old_images(const Rebuild *r) {
  DIR *d = opendir(r->zCacheDir);
  struct dirent *e;
  const char *zKeep = strrchr(r->zImage, '/') + 1;
  while (d && (e = readdir(d)) != 0) {
    if (strncmp(e->d_name, "rebuild-", 8) != 0 || strcmp(e->d_name, zKeep) == 0) continue;
    char *zPath = path_join(r->zCacheDir, e->d_name);
    unlink(zPath);
    free(zPath);
  }
  if (d) closedir(d);
}

/* When the cached image was made, as text (into zBuf). */
static const char *image_time(const char *zPath, char *zBuf, size_t n) {
  struct stat st;
  zBuf[0] = 0;
  if (stat(zPath, &st) == 0)
    strftime(zBuf, n, "%Y-%m-%d %H:%M:%S", localtime(&st.st_mtime));
  return zBuf;
}

/* Set up r: the migrations, the fixtures, the cache names. 0 ok. */
static int rebuild_plan(Shell *p, Rebuild *r) {
  r->zDir = shell_migrations_dir(p);
  if (r->zDir == 0) return 1;
  if (p->cfg.zFixtures) shell_fixture_files(p->cfg.zFixtures, &r->fixtures);
  read_old(p, r);
  char *zDbDir = path_dir(p->zDbPath), zKey[32];
  r->zCacheDir = path_join(zDbDir, ".devdb/cache");
  free(zDbDir);
  fingerprint(p, r, zKey, sizeof(zKey));
  char *zName = shell_printf("rebuild-%s.db", zKey);
  r->zImage = path_join(r->zCacheDir, zName);
  free(zName);
  if (path_mkdirs(r->zCacheDir, 0700) != 0) {
    shell_error(p, "rebuild: cannot create '%s'", r->zCacheDir);
    return 1;
  }
  return 0;
}

/* Put the image in place of the old content, after backing that up. */
static int rebuild_swap(Shell *p, Rebuild *r, int bHadData, char **pzBackup) {
  if (bHadData && swap_in_image(p, r->zImage, "rebuild", pzBackup) == 0) {
    shell_note(p, "backup before rebuild: %s (the old file itself, checked)", *pzBackup);
    backup_prune(p);
    return 0;
  }
  if (bHadData && (*pzBackup = shell_safety_backup(p, "rebuild")) == 0) return 1;
  return backup_restore_from(p, r->zImage);
}

int cmd_rebuild(Shell *p, const Args *a) {
  int bHadData = path_kind(p->zDbPath) == 2;
  Rebuild r;
  memset(&r, 0, sizeof(r));
  char *zBackup = 0, zWhen[32];
  int rc = EXIT_ERROR;
  if (shell_db(p) == 0 || shell_refuse_protected(p, "rebuild") || rebuild_plan(p, &r))
    goto done;
  bHadData = bHadData && shell_query_int(p, 0, "SELECT count(*) FROM sqlite_schema") > 0;
  char *zTail = shell_printf(" with a new database built from %s%s%s", r.zDir,
                             r.fixtures.n ? " and the fixtures in " : "",
                             r.fixtures.n ? p->cfg.zFixtures : "");
  int bGo = !bHadData || shell_confirm(p, "replace everything in", zTail);
  free(zTail);
  if (!bGo) goto done;
  double t0 = now_ms();
  int bCached = path_kind(r.zImage) == 2;
  if (!bCached && build_image(p, &r) != 0) {
    shell_error(p, "rebuild: nothing was changed");
    goto done;
  }
  drop_old_images(&r);
  if (rebuild_swap(p, &r, bHadData, &zBackup) != 0) goto done;
  char *zText =
      bCached
          ? shell_printf(
                "rebuilt %s from the cache: the migrations and fixtures have not "
                "changed since it was built and verified (%s)",
                p->zDbPath, image_time(r.zImage, zWhen, sizeof(zWhen)))
          : shell_printf("rebuilt %s: %d migration%s applied, %lld fixture row%s loaded "
                         "from %d file%s\nverified: integrity_check ok, foreign keys ok, "
                         "every migration applied, no drift",
                         p->zDbPath, r.nMigration, r.nMigration == 1 ? "" : "s",
                         (long long)r.nRow, r.nRow == 1 ? "" : "s", r.fixtures.n,
                         r.fixtures.n == 1 ? "" : "s");
  char zM[16], zRows[32];
  snprintf(zM, sizeof(zM), "%d", r.nMigration);
  snprintf(zRows, sizeof(zRows), "%lld", (long long)r.nRow);
  ui_result(p, zText, "siiis", "database", p->zDbPath, "cached", bCached ? "1" : "0",
            "migrations", bCached ? 0 : zM, "rows", bCached ? 0 : zRows, "backup",
            zBackup);
  free(zText);
  shell_note(p, "took %.0f ms", now_ms() - t0);
  if (zBackup) shell_undo_restore(p, zBackup);
  rc = EXIT_OK;
done:
  free(zBackup);
  free(r.zTool);
  free(r.zCacheDir);
  free(r.zImage);
  strlist_free(&r.fixtures);
  return rc;
}
