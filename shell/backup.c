/*
** backup.c: the shell's side of backups, on the reset area's C API
** (ext/backup.c): devdb_backup_file and devdb_backup_dir write a verified
** backup (temp file, synced, checked, renamed), devdb_restore_file checks a
** backup and copies it in through SQLite, devdb_backup_open_checked checks
** one without restoring.
**
** Those calls do their work in one go, so the shell runs them on a second
** thread and draws progress meanwhile: a bar from the size of the temp file
** the backup is writing (NAME.tmp-PID-N beside its final name) against the
** database's size, or a spinner when there is nothing to measure.
*/
#include "shell.h"
#include "devdb.h"

#include <dirent.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* One call on the worker thread. */
typedef struct Work {
  int (*xRun)(struct Work *);
  Shell *p;
  const char *zPath, *zDir, *zLabel;
  DevdbBackupInfo info;
  sqlite3_int64 nByte;
  char *zErr;
  int rc;
  int bDone; /* set under mutex when xRun returned */
  pthread_mutex_t mutex;
  pthread_cond_t cond;
} Work;

static void *work_main(void *pArg) {
  Work *w = pArg;
  int rc = w->xRun(w);
  pthread_mutex_lock(&w->mutex);
  w->rc = rc;
  w->bDone = 1;
  pthread_cond_signal(&w->cond);
  pthread_mutex_unlock(&w->mutex);
  return 0;
}

/* Wait up to 30 ms for the worker; 1 when it is done. */
static int work_wait(Work *w) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_nsec += 30 * 1000 * 1000;
  if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
  pthread_mutex_lock(&w->mutex);
  if (!w->bDone) pthread_cond_timedwait(&w->cond, &w->mutex, &ts);
  int bDone = w->bDone;
  pthread_mutex_unlock(&w->mutex);
  return bDone;
}

/* Bytes written so far by this process's backup temp files in zDir. */
static sqlite3_int64 temp_bytes(const char *zDir) {
  char zTag[32];
  snprintf(zTag, sizeof(zTag), ".tmp-%d-", (int)getpid());
  sqlite3_int64 n = 0;
  DIR *d = opendir(zDir);
  struct dirent *e;
  while (d && (e = readdir(d)) != 0) {
    if (strstr(e->d_name, zTag) == 0) continue;
    char *zPath = path_join(zDir, e->d_name);
    struct stat st;
    if (stat(zPath, &st) == 0) n += st.st_size;
    free(zPath);
  }
  if (d) closedir(d);
  return n;
}

/* Run w on a thread, drawing progress for zWhat: a bar when zWatchDir names
** where the temp file grows toward nTotal bytes, else a spinner. */
static int run_with_progress(Shell *p, Work *w, const char *zWhat, const char *zWatchDir,
                             sqlite3_int64 nTotal) {
  pthread_t t;
  w->p = p;
  pthread_mutex_init(&w->mutex, 0);
  pthread_cond_init(&w->cond, 0);
  shell_busy_begin(p, zWhat);
  if (pthread_create(&t, 0, work_main, w) != 0) {
    work_main(w);
  } else {
    for (int bDone = 0; !bDone; bDone = work_wait(w)) {
      if (zWatchDir && nTotal > 0) {
        sqlite3_int64 n = temp_bytes(zWatchDir);
        shell_progress(p, zWhat, n < nTotal ? n : nTotal, nTotal);
      } else {
        shell_spin(p);
      }
    }
    pthread_join(t, 0);
  }
  pthread_cond_destroy(&w->cond);
  pthread_mutex_destroy(&w->mutex);
  shell_busy_end(p);
  return w->rc;
}

static int run_backup_file(Work *w) {
  return devdb_backup_file(w->p->db, "main", w->zPath, 0, &w->info, &w->zErr);
}

static int run_backup_dir(Work *w) {
  return devdb_backup_dir(w->p->db, "main", w->zDir, w->zLabel, 0, &w->info, &w->zErr);
}

static int run_restore(Work *w) {
  return devdb_restore_file(w->p->db, w->zPath, 0, &w->nByte, &w->zErr);
}

/* The database's size in bytes, for the progress bar. */
static sqlite3_int64 db_bytes(Shell *p) {
  return shell_query_int(p, 0,
                         "SELECT page_count * page_size FROM pragma_page_count, "
                         "pragma_page_size");
}

char *backup_take(Shell *p, const char *zDest, const char *zLabel) {
  if (shell_db(p) == 0) return 0;
  Work w;
  memset(&w, 0, sizeof(w));
  w.zPath = zDest;
  w.zDir = p->cfg.zBackups;
  w.zLabel = zLabel;
  w.xRun = zDest ? run_backup_file : run_backup_dir;
  char *zWatch = zDest ? path_dir(zDest) : shell_strdup(p->cfg.zBackups);
  if (!zDest && path_mkdirs(zWatch, 0700) != 0) {
    shell_error(p, "cannot create the backups directory '%s'", zWatch);
    free(zWatch);
    return 0;
  }
  int rc = run_with_progress(p, &w, "backup", zWatch, db_bytes(p));
  free(zWatch);
  char *zPath = 0;
  if (rc == SQLITE_OK) {
    zPath = shell_strdup(w.info.zPath);
    if (zLabel) shell_note(p, "backup before %s: %s", zLabel, zPath);
  } else {
    shell_error(p, "backup failed: %s", w.zErr ? w.zErr : sqlite3_errstr(rc));
  }
  sqlite3_free(w.info.zPath);
  sqlite3_free(w.zErr);
  return zPath;
}

int backup_verify(Shell *p, const char *zPath, char **pzErr) {
  sqlite3 *pDb = 0;
  char *zErr = 0;
  int rc = devdb_backup_open_checked(shell_db(p), zPath, 0, &pDb, &zErr);
  sqlite3_close(pDb);
  if (rc != SQLITE_OK) *pzErr = shell_strdup(zErr ? zErr : sqlite3_errstr(rc));
  sqlite3_free(zErr);
  return rc != SQLITE_OK;
}

int backup_restore_from(Shell *p, const char *zSrc) {
  if (shell_db(p) == 0) return 1;
  Work w;
  memset(&w, 0, sizeof(w));
  w.zPath = zSrc;
  w.xRun = run_restore;
  int rc = run_with_progress(p, &w, "restore", 0, 0);
  if (rc != SQLITE_OK) {
    shell_error(p, "restore from '%s' failed: %s", zSrc,
                w.zErr ? w.zErr : sqlite3_errstr(rc));
  }
  sqlite3_free(w.zErr);
  return rc != SQLITE_OK;
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

/* 1 when zName is a backup of this database: STEM-<digits...>.db. */
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
