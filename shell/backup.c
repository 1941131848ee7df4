/*
** backup.c: verified backups of the database file, for the shell's backup,
** restore and the automatic backup before every destructive command.
**
** A backup is written with SQLite's online backup API into a temporary file
** beside its final name, synced, checked with PRAGMA integrity_check on a
** fresh read-only connection, renamed into place and its directory synced:
** a backup file either exists whole and checked or not at all (a killed
** copy leaves only a *.tmp-PID file, which the listing ignores). Restore
** copies a checked backup into the open database through the same API,
** never by copying files over an open database (a stale -wal would replay
** onto it).
*/
#include "shell.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BACKUP_PAGES 256 /* pages copied per step: progress and Ctrl-C */

/* fsync a file or directory by path. 0 on success. */
static int sync_path(const char *zPath, int bDir) {
  int fd = open(zPath, (bDir ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
  if (fd < 0) return 1;
  int rc = fsync(fd);
  close(fd);
  return rc != 0;
}

int backup_verify(const char *zPath, char **pzErr) {
  sqlite3 *db = 0;
  char *zUri = sqlite3_mprintf("file:%s?mode=ro", zPath);
  int rc = sqlite3_open_v2(zUri ? zUri : zPath, &db,
                           SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, 0);
  sqlite3_free(zUri);
  sqlite3_stmt *pStmt = 0;
  if (rc == SQLITE_OK)
    rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &pStmt, 0);
  const char *zResult = 0;
  if (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    zResult = (const char *)sqlite3_column_text(pStmt, 0);
  }
  int bOk = zResult && strcmp(zResult, "ok") == 0;
  if (!bOk) {
    *pzErr = shell_printf("'%s' is not a sound SQLite database: %s", zPath,
                          zResult ? zResult : sqlite3_errmsg(db));
  }
  sqlite3_finalize(pStmt);
  sqlite3_close(db);
  return !bOk;
}

/* Copy every page of database zFrom of pFrom into main of pTo, in steps that
** show progress and stop on Ctrl-C. SQLITE_DONE on success. */
static int copy_pages(Shell *p, sqlite3 *pTo, sqlite3 *pFrom, const char *zWhat) {
  sqlite3_backup *pB = sqlite3_backup_init(pTo, "main", pFrom, "main");
  if (pB == 0) return sqlite3_errcode(pTo);
  int rc;
  shell_busy_begin(p, zWhat);
  do {
    rc = sqlite3_backup_step(pB, BACKUP_PAGES);
    int nTotal = sqlite3_backup_pagecount(pB);
    shell_progress(p, zWhat, nTotal - sqlite3_backup_remaining(pB), nTotal);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(20);
    if (p->nInterrupt) rc = SQLITE_INTERRUPT;
  } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
  shell_busy_end(p);
  int rcFinish = sqlite3_backup_finish(pB);
  return rc == SQLITE_DONE && rcFinish != SQLITE_OK ? rcFinish : rc;
}

/* A free name for a new backup: DIR/BASE-YYYYMMDD-HHMMSS[-N].db. */
static char *backup_name(Shell *p, const char *zDir) {
  const char *zBase =
      strrchr(p->zDbPath, '/') ? strrchr(p->zDbPath, '/') + 1 : p->zDbPath;
  size_t nBase = strcspn(zBase, ".");
  char zStamp[32];
  time_t t = time(0);
  strftime(zStamp, sizeof(zStamp), "%Y%m%d-%H%M%S", localtime(&t));
  for (int i = 1;; i++) {
    char *zName = i == 1 ? shell_printf("%.*s-%s.db", (int)nBase, zBase, zStamp)
                         : shell_printf("%.*s-%s-%d.db", (int)nBase, zBase, zStamp, i);
    char *zPath = path_join(zDir, zName);
    free(zName);
    if (path_kind(zPath) == 0) return zPath;
    free(zPath);
  }
}

/* Write the backup into zTmp; 0 on success (errors reported). */
static int backup_write(Shell *p, sqlite3 *db, const char *zTmp) {
  sqlite3 *pTo = 0;
  int rc = sqlite3_open_v2(zTmp, &pTo, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 0);
  if (rc == SQLITE_OK) rc = copy_pages(p, pTo, db, "backup");
  if (rc != SQLITE_DONE) {
    if (rc != SQLITE_INTERRUPT)
      shell_error(p, "backup to '%s' failed: %s", zTmp, sqlite3_errstr(rc));
    else
      shell_error(p, "interrupted: no backup was written");
  }
  sqlite3_close(pTo);
  return rc != SQLITE_DONE;
}

char *backup_take(Shell *p, const char *zDest, const char *zWhy) {
  sqlite3 *db = shell_db(p);
  if (db == 0) return 0;
  char *zDir = zDest ? path_dir(zDest) : shell_strdup(p->cfg.zBackups);
  if (path_mkdirs(zDir, 0700)) {
    shell_error(p, "cannot create the backups directory '%s': %s", zDir, strerror(errno));
    free(zDir);
    return 0;
  }
  char *zPath = zDest ? shell_strdup(zDest) : backup_name(p, zDir);
  char *zTmp = shell_printf("%s.tmp-%d", zPath, (int)getpid());
  char *zErr = 0;
  int rc = backup_write(p, db, zTmp);
  if (rc == 0 && sync_path(zTmp, 0)) {
    shell_error(p, "cannot sync '%s': %s", zTmp, strerror(errno));
    rc = 1;
  }
  if (rc == 0 && backup_verify(zTmp, &zErr)) {
    shell_error(p, "the backup failed its check: %s", zErr);
    rc = 1;
  }
  if (rc == 0 && rename(zTmp, zPath) != 0) {
    shell_error(p, "cannot rename '%s' to '%s': %s", zTmp, zPath, strerror(errno));
    rc = 1;
  }
  if (rc == 0) sync_path(zDir, 1);
  if (rc != 0) unlink(zTmp);
  if (rc == 0 && zWhy) shell_note(p, "backup %s: %s", zWhy, zPath);
  free(zErr);
  free(zTmp);
  free(zDir);
  if (rc != 0) {
    free(zPath);
    return 0;
  }
  return zPath;
}

/* One backup file found in the directory. */
typedef struct Found {
  char *zPath;
  struct timespec mtime;
} Found;

static int cmp_found(const void *a, const void *b) {
  const Found *x = a, *y = b;
  if (x->mtime.tv_sec != y->mtime.tv_sec)
    return x->mtime.tv_sec < y->mtime.tv_sec ? 1 : -1;
  if (x->mtime.tv_nsec != y->mtime.tv_nsec)
    return x->mtime.tv_nsec < y->mtime.tv_nsec ? 1 : -1;
  return strcmp(y->zPath, x->zPath);
}

/* 1 when zName is a backup of this database: BASE-<digits...>.db. */
static int is_backup_name(Shell *p, const char *zName) {
  const char *zBase =
      strrchr(p->zDbPath, '/') ? strrchr(p->zDbPath, '/') + 1 : p->zDbPath;
  size_t nBase = strcspn(zBase, "."), n = strlen(zName);
  return strncmp(zName, zBase, nBase) == 0 && zName[nBase] == '-' &&
         zName[nBase + 1] >= '0' && zName[nBase + 1] <= '9' && n > 3 &&
         strcmp(zName + n - 3, ".db") == 0;
}

char **backup_list(Shell *p) {
  Found *a = 0;
  int n = 0;
  DIR *d = p->cfg.zBackups ? opendir(p->cfg.zBackups) : 0;
  struct dirent *e;
  while (d && (e = readdir(d)) != 0) {
    if (!is_backup_name(p, e->d_name)) continue;
    char *zPath = path_join(p->cfg.zBackups, e->d_name);
    struct stat st;
    if (stat(zPath, &st) != 0 || !S_ISREG(st.st_mode)) {
      free(zPath);
      continue;
    }
    a = shell_oom_check(realloc(a, (n + 1) * sizeof(Found)));
    a[n].zPath = zPath;
    a[n++].mtime = st.st_mtim;
  }
  if (d) closedir(d);
  if (n) qsort(a, n, sizeof(Found), cmp_found);
  char **az = shell_oom_check(calloc(n + 1, sizeof(char *)));
  for (int i = 0; i < n; i++) az[i] = a[i].zPath;
  free(a);
  return az;
}

void backup_list_free(char **az) {
  for (int i = 0; az && az[i]; i++) free(az[i]);
  free(az);
}

void backup_prune(Shell *p) {
  if (p->cfg.nRetention <= 0) return;
  char **az = backup_list(p);
  int n = 0;
  while (az[n]) n++;
  for (int i = p->cfg.nRetention; i < n; i++) {
    if (unlink(az[i]) == 0)
      shell_note(p, "retention %d: removed %s", p->cfg.nRetention, az[i]);
  }
  backup_list_free(az);
}

int backup_restore_from(Shell *p, const char *zSrc) {
  sqlite3 *db = shell_db(p), *pFrom = 0;
  if (db == 0) return 1;
  char *zUri = shell_oom_check(sqlite3_mprintf("file:%s?mode=ro", zSrc));
  int rc = sqlite3_open_v2(zUri, &pFrom, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, 0);
  sqlite3_free(zUri);
  if (rc == SQLITE_OK) rc = copy_pages(p, db, pFrom, "restore");
  if (rc == SQLITE_INTERRUPT) {
    shell_error(p, "interrupted: the restore was rolled back; the database is unchanged");
  } else if (rc != SQLITE_DONE) {
    shell_error(p, "restore from '%s' failed: %s", zSrc, sqlite3_errmsg(db));
  }
  sqlite3_close(pFrom);
  return rc != SQLITE_DONE;
}
