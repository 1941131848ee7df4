/*
** backup.c: verified backup files, the backups folder and the fast file
** wipe (the reset area, with reset.c). The shell calls the C API declared in
** devdb.h; SQL sees devdb_backup and devdb_restore (reset.c) and:
**
**   CREATE TABLE devdb_backups(
**     path     TEXT,  -- the file
**     name     TEXT,  -- its name in the folder
**     bytes    INT,   -- its size
**     mtime    TEXT,  -- when it was written, UTC 'YYYY-MM-DD HH:MM:SS'
**     verified INT,   -- 1: a SQLite database whose size matches its header
**                     -- and whose schema reads; 0: not (detail says why)
**     detail   TEXT,  -- 'ok', or what is wrong ('incomplete' for the temp
**                     -- file of an interrupted backup)
**     dir      HIDDEN -- the backups folder
**   );
**
**   SELECT name, bytes, verified FROM devdb_backups('.devdb/backups');
**   -- app-20240601-101500.db|204800|1
**   -- app-20240601-101200-wipe.db|209715200|1
**
** Newest first: rowid 1 is the newest (ORDER BY rowid). Files ending .db
** and leftover temp files (NAME.tmp-PID-N) are listed; a missing folder gives no rows;
*NULL gives no rows.
** Only backups that passed their check at backup time get their final name,
** so verified=1 here is the cheap re-check (header, size, schema) of a file
** already checked with quick_check. DIRECTONLY: it reads the file system.
**
** How a backup is written (devdb_backup_file): a temp file beside the
** target, synced (on a second thread, while the copy is checked on a
** read-only connection), renamed into place once both are done, the
** directory synced. The check is PRAGMA
** quick_check, not integrity_check: faster, as it does not compare indexes
** with their tables nor check UNIQUE; the option 'integrity' runs the full
** integrity_check instead. A rollback-journal
** database file is copied while a read transaction holds its SHARED lock,
** so no writer can commit meanwhile: in the kernel (copy_file_range) from
** the descriptor SQLite's unix VFS reads it through (found among the
** process's descriptors), else as pages read through SQLite's own file
** handle; never through a second open/close of the file, which would drop
** SQLite's POSIX locks. WAL and in-memory databases go through the backup
** API in one step. The
** copy is always a rollback-journal file (header bytes 18 and 19 set to 1)
** so it never needs a -wal to be complete.
*/
#include "devdb.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define COPY_CHUNK (1 << 20)    /* bytes per read while copying pages */
#define KERNEL_CHUNK (64 << 20) /* bytes per copy_file_range */

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* The directory part of zPath ("." when there is none); sqlite3_malloc'd. */
static char *dir_of(const char *zPath) {
  const char *z = strrchr(zPath, '/');
  if (z == 0) return sqlite3_mprintf(".");
  if (z == zPath) return sqlite3_mprintf("/");
  return sqlite3_mprintf("%.*s", (int)(z - zPath), zPath);
}

static const char *base_of(const char *zPath) {
  const char *z = strrchr(zPath, '/');
  return z ? z + 1 : zPath;
}

/* fsync the file or directory zPath. */
static int sync_path(const char *zPath, int bData) {
  int fd = open(zPath, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return SQLITE_IOERR;
  int rc = (bData ? fdatasync(fd) : fsync(fd)) == 0 ? SQLITE_OK : SQLITE_IOERR_FSYNC;
  close(fd);
  return rc;
}

static int sync_dir_of(const char *zPath) {
  char *zDir = dir_of(zPath);
  if (zDir == 0) return SQLITE_NOMEM;
  int rc = sync_path(zDir, 0);
  sqlite3_free(zDir);
  return rc;
}

/* The data sync of the file zPath, run on a thread of its own while the
** caller goes on. */
typedef struct SyncJob {
  const char *zPath;
  int rc;
  double rMs; /* how long it took */
  pthread_t thread;
  int bThread; /* it runs on thread (else it ran at once) */
} SyncJob;

static void *sync_main(void *pArg) {
  SyncJob *p = pArg;
  double t0 = now_ms();
  p->rc = sync_path(p->zPath, 1);
  p->rMs = now_ms() - t0;
  return 0;
}

/* Start the sync of p (at once when no thread can be had). */
static void sync_start(SyncJob *p, const char *zPath) {
  memset(p, 0, sizeof(*p));
  p->zPath = zPath;
  p->bThread = pthread_create(&p->thread, 0, sync_main, p) == 0;
  if (!p->bThread) sync_main(p);
}

/* Wait for the sync p; its result. */
static int sync_wait(SyncJob *p) {
  if (p->bThread) pthread_join(p->thread, 0);
  p->bThread = 0;
  return p->rc;
}

/* Write n bytes of a to fd at offset iOff, all of them. */
static int write_at(int fd, const void *a, size_t n, off_t iOff) {
  const char *z = a;
  while (n > 0) {
    ssize_t k = pwrite(fd, z, n, iOff);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return SQLITE_IOERR_WRITE;
    z += k;
    n -= (size_t)k;
    iOff += k;
  }
  return SQLITE_OK;
}

/*
** Remove the temp files "BASE.tmp-PID-N" beside zPath whose process is
** gone: what a killed backup left.
*/
static void remove_stale_temps(const char *zPath) {
  char *zDir = dir_of(zPath);
  char *zPrefix = sqlite3_mprintf("%s.tmp-", base_of(zPath));
  DIR *d = zDir && zPrefix ? opendir(zDir) : 0;
  size_t nPrefix = zPrefix ? strlen(zPrefix) : 0;
  struct dirent *e;
  while (d && (e = readdir(d)) != 0) {
    if (strncmp(e->d_name, zPrefix, nPrefix) != 0) continue;
    int pid = atoi(e->d_name + nPrefix);
    if (pid <= 0 || pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH) continue;
    char *zOld = sqlite3_mprintf("%s/%s", zDir, e->d_name);
    if (zOld) unlink(zOld);
    sqlite3_free(zOld);
  }
  if (d) closedir(d);
  sqlite3_free(zDir);
  sqlite3_free(zPrefix);
}

/* A fresh temp name beside zPath: "zPath.tmp-PID-N". */
static char *temp_name(const char *zPath) {
  static int iCounter;
  return sqlite3_mprintf("%s.tmp-%d-%d", zPath, (int)getpid(),
                         __atomic_fetch_add(&iCounter, 1, __ATOMIC_RELAXED));
}

/* The permission bits new files for the database of zSchema get. */
static mode_t file_mode(sqlite3 *db, const char *zSchema) {
  const char *zFile = sqlite3_db_filename(db, zSchema);
  struct stat st;
  if (zFile && zFile[0] && stat(zFile, &st) == 0) return st.st_mode & 0777;
  return 0644;
}

/* ------------------------------------------------------------- copying */

/*
** The descriptor SQLite's unix VFS reads the database file of zSchema
** through, or -1: found among this process's open descriptors as the one
** on the same file (device and inode of the file's path) open for reading.
** Nothing is opened on the database file itself: a second descriptor,
** closed, would drop SQLite's POSIX locks on it (reliability.md). Only
** for the unix VFS, whose file holds the pages exactly as xRead returns
** them (a VFS shim could transform them).
*/
static int sqlite_fd(sqlite3 *db, const char *zSchema) {
  sqlite3_vfs *pVfs = 0;
  const char *zFile = sqlite3_db_filename(db, zSchema);
  struct stat st, fst;
  if (sqlite3_file_control(db, zSchema, SQLITE_FCNTL_VFS_POINTER, &pVfs) != SQLITE_OK ||
      pVfs == 0 || strncmp(pVfs->zName, "unix", 4) != 0 || zFile == 0 ||
      stat(zFile, &st) != 0) {
    return -1;
  }
  DIR *d = opendir("/proc/self/fd");
  struct dirent *e;
  int fd = -1;
  while (d && fd < 0 && (e = readdir(d)) != 0) {
    int i = atoi(e->d_name);
    if (e->d_name[0] < '0' || e->d_name[0] > '9' || i == dirfd(d)) continue;
    int flags = fcntl(i, F_GETFL);
    if (flags >= 0 && (flags & O_ACCMODE) != O_WRONLY && fstat(i, &fst) == 0 &&
        S_ISREG(fst.st_mode) && fst.st_dev == st.st_dev && fst.st_ino == st.st_ino) {
      fd = i;
    }
  }
  if (d) closedir(d);
  return fd;
}

/*
** Copy nByte bytes from offset *piOff of the database file fdSrc into fd
** in the kernel (copy_file_range: no copy through this process), advancing
** *piOff. SQLITE_OK when done; any failure (the file systems cannot, a
** short file) leaves *piOff where the copy stopped for the caller to go on
** by reading pages.
*/
static int kernel_copy(int fdSrc, int fd, sqlite3_int64 nByte, sqlite3_int64 *piOff) {
  while (*piOff < nByte) {
    loff_t iIn = *piOff, iOut = *piOff;
    size_t n = nByte - *piOff < KERNEL_CHUNK ? (size_t)(nByte - *piOff) : KERNEL_CHUNK;
    ssize_t k = copy_file_range(fdSrc, &iIn, fd, &iOut, n, 0);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return SQLITE_IOERR;
    *piOff += k;
  }
  return SQLITE_OK;
}

/*
** Copy nByte bytes of the open database file pFile (read by SQLite through
** descriptor fdSrc, -1 when unknown) into a new file zTmp: in the kernel
** when it can, else as pages read through pFile. Not synced: the caller
** syncs while the copy is checked.
*/
static int write_pages(sqlite3_file *pFile, int fdSrc, sqlite3_int64 nByte,
                       const char *zTmp, mode_t mode, char **pzErr) {
  int fd = open(zTmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  int rc = fd < 0 ? SQLITE_CANTOPEN : SQLITE_OK;
  sqlite3_int64 iOff = 0;
  if (rc == SQLITE_OK && fdSrc >= 0) kernel_copy(fdSrc, fd, nByte, &iOff);
  char *aBuf = rc == SQLITE_OK && iOff < nByte ? sqlite3_malloc(COPY_CHUNK) : 0;
  if (rc == SQLITE_OK && iOff < nByte && aBuf == 0) rc = SQLITE_NOMEM;
  while (rc == SQLITE_OK && iOff < nByte) {
    int n = nByte - iOff < COPY_CHUNK ? (int)(nByte - iOff) : COPY_CHUNK;
    rc = pFile->pMethods->xRead(pFile, aBuf, n, iOff);
    if (rc == SQLITE_OK) rc = write_at(fd, aBuf, n, iOff);
    iOff += n;
  }
  if (rc != SQLITE_OK && rc != SQLITE_NOMEM) {
    *pzErr = sqlite3_mprintf("cannot copy the database to '%s': %s", zTmp,
                             fd < 0 ? strerror(errno) : sqlite3_errstr(rc));
  }
  if (fd >= 0 && close(fd) != 0 && rc == SQLITE_OK) rc = SQLITE_IOERR_CLOSE;
  sqlite3_free(aBuf);
  return rc;
}

/*
** Copy the rollback-journal database file of zSchema as its pages, read
** through SQLite's own file handle inside a read transaction.
*/
static int copy_pages(sqlite3 *db, const char *zSchema, const char *zTmp,
                      sqlite3_int64 *pnByte, char **pzErr) {
  int rc = devdb_exec(db, pzErr, "BEGIN");
  if (rc != SQLITE_OK) return rc;
  /* the first read takes the SHARED lock, held until COMMIT */
  sqlite3_int64 nPage = -1, szPage = -1;
  sqlite3_stmt *pStmt = 0;
  rc = devdb_prepare(db, &pStmt,
                     "SELECT page_count, page_size FROM \"%w\".pragma_page_count, "
                     "\"%w\".pragma_page_size",
                     zSchema, zSchema);
  if (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    nPage = sqlite3_column_int64(pStmt, 0);
    szPage = sqlite3_column_int64(pStmt, 1);
  }
  sqlite3_finalize(pStmt);
  sqlite3_file *pFile = 0;
  if (nPage < 0 || szPage <= 0 ||
      sqlite3_file_control(db, zSchema, SQLITE_FCNTL_FILE_POINTER, &pFile) != SQLITE_OK ||
      pFile == 0 || pFile->pMethods == 0) {
    *pzErr = sqlite3_mprintf("cannot read the database file: %s", sqlite3_errmsg(db));
    rc = SQLITE_ERROR;
  } else {
    *pnByte = nPage * szPage;
    rc = write_pages(pFile, sqlite_fd(db, zSchema), *pnByte, zTmp, file_mode(db, zSchema),
                     pzErr);
  }
  devdb_exec(db, 0, "COMMIT");
  return rc;
}

/* Copy zSchema of db into a new database file zTmp with the backup API. */
static int copy_api(sqlite3 *db, const char *zSchema, const char *zTmp,
                    sqlite3_int64 *pnByte, char **pzErr) {
  sqlite3 *pDest = 0;
  int rc = sqlite3_open_v2(
      zTmp, &pDest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_EXCLUSIVE,
      0);
  if (rc == SQLITE_OK) {
    rc =
        devdb_exec(pDest, pzErr,
                   "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA page_size=%d",
                   (int)devdb_query_int(db, 4096, "PRAGMA \"%w\".page_size", zSchema));
  } else {
    *pzErr = sqlite3_mprintf("cannot create '%s': %s", zTmp, sqlite3_errmsg(pDest));
  }
  if (rc == SQLITE_OK) rc = devdb_copy_into(pDest, "main", db, zSchema, pzErr);
  if (sqlite3_close(pDest) != SQLITE_OK && rc == SQLITE_OK) rc = SQLITE_IOERR_CLOSE;
  /* the bytes written are the file's size, not a query that could fail */
  struct stat st;
  if (rc == SQLITE_OK && stat(zTmp, &st) != 0) {
    *pzErr = sqlite3_mprintf("cannot read the size of '%s': %s", zTmp, strerror(errno));
    rc = SQLITE_IOERR;
  }
  if (rc == SQLITE_OK) *pnByte = st.st_size;
  chmod(zTmp, file_mode(db, zSchema));
  return rc;
}

/* Mark the file zPath a rollback-journal database (header bytes 18, 19). */
static int set_rollback_header(const char *zPath) {
  int fd = open(zPath, O_RDWR | O_CLOEXEC);
  if (fd < 0) return SQLITE_CANTOPEN;
  unsigned char a[2];
  int rc = pread(fd, a, 2, 18) == 2 ? SQLITE_OK : SQLITE_IOERR_READ;
  if (rc == SQLITE_OK && (a[0] != 1 || a[1] != 1)) {
    a[0] = a[1] = 1;
    rc = write_at(fd, a, 2, 18);
  }
  close(fd);
  return rc;
}

/* ------------------------------------------------------------ checking */

/* A read-only connection on zPath that trusts nothing in it. */
static int open_readonly(const char *zPath, sqlite3 **ppDb) {
  int rc = sqlite3_open_v2(zPath, ppDb, SQLITE_OPEN_READONLY, 0);
  if (rc == SQLITE_OK) {
    sqlite3_db_config(*ppDb, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)0);
    sqlite3_db_config(*ppDb, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)0);
    sqlite3_limit(*ppDb, SQLITE_LIMIT_ATTACHED, 0);
  }
  return rc;
}

/* 1 when zA and zB name the same file. */
static int same_file(const char *zA, const char *zB) {
  struct stat a, b;
  return zA && zB && stat(zA, &a) == 0 && stat(zB, &b) == 0 && a.st_dev == b.st_dev &&
         a.st_ino == b.st_ino;
}

/*
** What is wrong with the database file zPath open on pDb as a backup
** (sqlite3_malloc'd), or NULL when its header and size are right and its
** schema reads. st is the file's stat.
*/
static char *header_problem(sqlite3 *pDb, const char *zPath, const struct stat *st) {
  sqlite3_file *pFile = 0;
  unsigned char aHdr[100];
  if (devdb_exec(pDb, 0, "SELECT count(*) FROM sqlite_schema") != SQLITE_OK) {
    return sqlite3_mprintf("'%s' is not a readable SQLite database: %s", zPath,
                           sqlite3_errmsg(pDb));
  }
  if (sqlite3_file_control(pDb, "main", SQLITE_FCNTL_FILE_POINTER, &pFile) != SQLITE_OK ||
      pFile == 0 || pFile->pMethods == 0) {
    return sqlite3_mprintf("'%s' has no SQLite header", zPath);
  }
  int rc = pFile->pMethods->xRead(pFile, aHdr, 100, 0);
  if (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ) {
    return sqlite3_mprintf("cannot read '%s': %s", zPath, sqlite3_errstr(rc));
  }
  if (rc != SQLITE_OK || memcmp(aHdr, "SQLite format 3", 16) != 0) {
    return sqlite3_mprintf("'%s' has no SQLite header", zPath);
  }
  /* a size that cannot be read (a lock, an I/O error) is no verdict on
  ** the file */
  sqlite3_int64 nByte = 0;
  if (devdb_query_int_rc(pDb, 0, &nByte,
                         "SELECT page_count*page_size FROM "
                         "pragma_page_count, pragma_page_size") != SQLITE_OK) {
    return sqlite3_mprintf("cannot read '%s': %s", zPath, sqlite3_errmsg(pDb));
  }
  if (nByte > st->st_size || nByte == 0) {
    return sqlite3_mprintf("'%s' is truncated: %lld bytes, its pages need %lld", zPath,
                           (sqlite3_int64)st->st_size, nByte);
  }
  return 0;
}

/* Run quick_check (or integrity_check) on pDb; an error naming zPath. */
static int run_check(sqlite3 *pDb, const char *zPath, int bFull, char **pzErr) {
  sqlite3_stmt *pStmt = 0;
  const char *zCheck = bFull ? "integrity_check" : "quick_check";
  devdb_exec(pDb, 0, "PRAGMA mmap_size=2147418112");
  int rc = devdb_prepare(pDb, &pStmt, "PRAGMA %s", zCheck);
  if (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    const char *zRes = (const char *)sqlite3_column_text(pStmt, 0);
    if (zRes == 0 || strcmp(zRes, "ok") != 0) {
      *pzErr = sqlite3_mprintf("'%s' failed %s: %s", zPath, zCheck, zRes ? zRes : "");
      rc = SQLITE_CORRUPT;
    }
  }
  if (sqlite3_finalize(pStmt) != SQLITE_OK && rc == SQLITE_OK) rc = SQLITE_ERROR;
  if (rc != SQLITE_OK && *pzErr == 0) {
    *pzErr = sqlite3_mprintf("'%s' failed %s: %s", zPath, zCheck, sqlite3_errmsg(pDb));
  }
  return rc;
}

int devdb_backup_open_checked(sqlite3 *db, const char *zPath, const char *zOpts,
                              sqlite3 **ppDb, char **pzErr) {
  struct stat st;
  *ppDb = 0;
  *pzErr = 0;
  if (stat(zPath, &st) != 0) {
    *pzErr = sqlite3_mprintf("no such file: '%s'", zPath);
    return SQLITE_ERROR;
  }
  if (!S_ISREG(st.st_mode) || st.st_size == 0) {
    *pzErr = sqlite3_mprintf("'%s' is %s", zPath,
                             S_ISREG(st.st_mode) ? "empty" : "not a regular file");
    return SQLITE_ERROR;
  }
  if (db && same_file(zPath, sqlite3_db_filename(db, "main"))) {
    *pzErr = sqlite3_mprintf("'%s' is the database itself", zPath);
    return SQLITE_ERROR;
  }
  sqlite3 *pDb = 0;
  int rc = open_readonly(zPath, &pDb);
  if (rc == SQLITE_OK) {
    *pzErr = header_problem(pDb, zPath, &st);
    if (*pzErr) rc = SQLITE_CORRUPT;
  } else {
    *pzErr = sqlite3_mprintf("cannot open '%s': %s", zPath, sqlite3_errmsg(pDb));
  }
  if (rc == SQLITE_OK) {
    rc = run_check(pDb, zPath, zOpts && devdb_opt_has(zOpts, "integrity"), pzErr);
  }
  if (rc != SQLITE_OK) {
    sqlite3_close(pDb);
    return rc;
  }
  *ppDb = pDb;
  return SQLITE_OK;
}

/* ------------------------------------------------------------- backup */

/* Check the finished temp file zTmp; an error names zPath's temp. */
static int check_temp(const char *zTmp, int bFull, char **pzErr) {
  sqlite3 *pDb = 0;
  int rc = devdb_backup_open_checked(0, zTmp, bFull ? "integrity" : 0, &pDb, pzErr);
  sqlite3_close(pDb);
  return rc;
}

/*
** Put the checked temp file zTmp at zPath: rename (replacing), or with
** bNoReplace a hard link that fails with SQLITE_CONSTRAINT when zPath
** exists. Then sync the directory.
*/
static int publish(const char *zTmp, const char *zPath, int bNoReplace, char **pzErr) {
  int rc;
  if (bNoReplace) {
    rc = link(zTmp, zPath) == 0 ? SQLITE_OK
         : errno == EEXIST      ? SQLITE_CONSTRAINT
                                : SQLITE_IOERR;
    if (rc == SQLITE_OK) unlink(zTmp);
  } else {
    rc = rename(zTmp, zPath) == 0 ? SQLITE_OK : SQLITE_IOERR;
  }
  if (rc == SQLITE_IOERR) {
    *pzErr =
        sqlite3_mprintf("cannot rename '%s' to '%s': %s", zTmp, zPath, strerror(errno));
  }
  if (rc == SQLITE_OK) rc = sync_dir_of(zPath);
  return rc;
}

/* devdb_backup_file with the choice of replacing an existing zPath. */
static int backup_to(sqlite3 *db, const char *zSchema, const char *zPath,
                     const char *zOpts, int bNoReplace, DevdbBackupInfo *pInfo,
                     char **pzErr) {
  *pzErr = 0;
  if (!sqlite3_get_autocommit(db)) {
    *pzErr = sqlite3_mprintf("cannot back up inside a transaction (COMMIT or ROLLBACK "
                             "first)");
    return SQLITE_ERROR;
  }
  const char *zFile = sqlite3_db_filename(db, zSchema);
  int bWal = 0;
  int rc = devdb_is_wal(db, zSchema, &bWal);
  if (rc != SQLITE_OK) {
    if (rc != SQLITE_NOMEM) {
      *pzErr = sqlite3_mprintf("cannot read the database: %s", sqlite3_errmsg(db));
    }
    return rc;
  }
  remove_stale_temps(zPath);
  char *zTmp = temp_name(zPath);
  if (zTmp == 0) return SQLITE_NOMEM;
  pInfo->bPageCopy = zFile && zFile[0] && !bWal;
  double t0 = now_ms();
  rc = pInfo->bPageCopy ? copy_pages(db, zSchema, zTmp, &pInfo->nByte, pzErr)
                        : copy_api(db, zSchema, zTmp, &pInfo->nByte, pzErr);
  if (rc == SQLITE_OK) rc = set_rollback_header(zTmp);
  double t1 = now_ms();
  /* the sync runs while the copy is checked (the check reads what the page
  ** cache holds); the copy is published only once both are done */
  SyncJob sync;
  memset(&sync, 0, sizeof(sync));
  if (rc == SQLITE_OK) sync_start(&sync, zTmp);
  if (rc == SQLITE_OK)
    rc = check_temp(zTmp, zOpts && devdb_opt_has(zOpts, "integrity"), pzErr);
  double t3 = now_ms();
  if (sync_wait(&sync) != SQLITE_OK && rc == SQLITE_OK) {
    rc = sync.rc;
    *pzErr = sqlite3_mprintf("cannot sync '%s'", zTmp);
  }
  double t2 = t1 + sync.rMs;
  if (rc == SQLITE_OK) rc = publish(zTmp, zPath, bNoReplace, pzErr);
  if (rc != SQLITE_OK) unlink(zTmp);
  pInfo->rCopyMs = t1 - t0;
  pInfo->rSyncMs = t2 - t1;
  pInfo->rCheckMs = t3 - t1; /* at the same time as the sync */
  sqlite3_free(zTmp);
  return rc;
}

int devdb_backup_file(sqlite3 *db, const char *zSchema, const char *zPath,
                      const char *zOpts, DevdbBackupInfo *pInfo, char **pzErr) {
  memset(pInfo, 0, sizeof(*pInfo));
  int rc = backup_to(db, zSchema, zPath, zOpts, 0, pInfo, pzErr);
  if (rc == SQLITE_OK) {
    pInfo->zPath = sqlite3_mprintf("%s", zPath);
    if (pInfo->zPath == 0) rc = SQLITE_NOMEM;
  }
  return rc;
}

/* The stem of backup names for the database file zFile ("memory" when
** it has none): its name without directory and extension. */
static char *backup_stem(const char *zFile) {
  if (zFile == 0 || zFile[0] == 0) return sqlite3_mprintf("memory");
  const char *zBase = base_of(zFile);
  const char *zDot = strrchr(zBase, '.');
  int n = zDot && zDot > zBase ? (int)(zDot - zBase) : (int)strlen(zBase);
  return sqlite3_mprintf("%.*s", n, zBase);
}

/*
** "YYYYMMDD-HHMMSS" of time t in UTC: unambiguous, and computed here (the
** civil-from-days rule) because glibc's gmtime reads the time zone file.
*/
static void utc_stamp(time_t t, char *zOut, int nOut) {
  long long nDay = (long long)t / 86400, nSec = (long long)t % 86400;
  long long z = nDay + 719468, era = z / 146097;
  long long doe = z - era * 146097;
  long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  long long mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
  long long m = mp < 10 ? mp + 3 : mp - 9, y = yoe + era * 400 + (m <= 2);
  snprintf(zOut, nOut, "%04lld%02lld%02lld-%02lld%02lld%02lld", y, m, d, nSec / 3600,
           nSec / 60 % 60, nSec % 60);
}

/* A name in zDir for a backup of zFile made now, with label zLabel and
** the try number iTry (0: none). */
static char *backup_name(const char *zDir, const char *zFile, const char *zLabel,
                         int iTry) {
  char zTime[96];
  utc_stamp(time(0), zTime, sizeof(zTime));
  char *zStem = backup_stem(zFile);
  char zTry[16] = "";
  if (iTry) snprintf(zTry, sizeof(zTry), "-%d", iTry + 1);
  char *z = sqlite3_mprintf("%s/%s-%s%s%s%s.db", zDir, zStem, zTime, zLabel ? "-" : "",
                            zLabel ? zLabel : "", zTry);
  sqlite3_free(zStem);
  return z;
}

/* Create directory zDir and its parents (like mkdir -p). */
static int make_dirs(const char *zDir, char **pzErr) {
  char *z = sqlite3_mprintf("%s", zDir);
  if (z == 0) return SQLITE_NOMEM;
  int rc = SQLITE_OK;
  for (char *p = z + 1; rc == SQLITE_OK; p++) {
    if (*p != '/' && *p != 0) continue;
    char c = *p;
    *p = 0;
    if (mkdir(z, 0755) != 0 && errno != EEXIST) rc = SQLITE_CANTOPEN;
    *p = c;
    if (c == 0) break;
  }
  if (rc != SQLITE_OK) {
    *pzErr = sqlite3_mprintf("cannot create the folder '%s': %s", zDir, strerror(errno));
  }
  sqlite3_free(z);
  return rc;
}

int devdb_backup_dir(sqlite3 *db, const char *zSchema, const char *zDir,
                     const char *zLabel, const char *zOpts, DevdbBackupInfo *pInfo,
                     char **pzErr) {
  memset(pInfo, 0, sizeof(*pInfo));
  *pzErr = 0;
  int rc = make_dirs(zDir, pzErr);
  for (int iTry = 0; rc == SQLITE_OK || rc == SQLITE_CONSTRAINT; iTry++) {
    sqlite3_free(pInfo->zPath);
    pInfo->zPath = backup_name(zDir, sqlite3_db_filename(db, zSchema), zLabel, iTry);
    if (pInfo->zPath == 0) return SQLITE_NOMEM;
    if (access(pInfo->zPath, F_OK) == 0) {
      rc = SQLITE_CONSTRAINT;
      continue;
    }
    rc = backup_to(db, zSchema, pInfo->zPath, zOpts, 1, pInfo, pzErr);
    if (rc != SQLITE_CONSTRAINT) break;
  }
  if (rc != SQLITE_OK) {
    sqlite3_free(pInfo->zPath);
    pInfo->zPath = 0;
  }
  return rc;
}

/* ------------------------------------------------------ the file wipe */

/* FNV-1a, 64 bits, over n bytes of a (n<0: a NUL-terminated string). */
static void hash_add(sqlite3_uint64 *pH, const void *a, int n) {
  const unsigned char *z = a;
  if (z == 0) z = (const unsigned char *)"", n = 1;
  if (n < 0) n = (int)strlen((const char *)z) + 1;
  sqlite3_uint64 h = *pH;
  for (int i = 0; i < n; i++) h = (h ^ z[i]) * 1099511628211ULL;
  *pH = h;
}

/* Hash every row of the query built printf-style, column types included. */
static int hash_query(sqlite3 *db, sqlite3_uint64 *pH, const char *zFmt, ...) {
  va_list ap;
  va_start(ap, zFmt);
  char *zSql = sqlite3_vmprintf(zFmt, ap);
  va_end(ap);
  sqlite3_stmt *pStmt = 0;
  int rc = zSql ? sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0) : SQLITE_NOMEM;
  sqlite3_free(zSql);
  while (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    for (int i = 0; i < sqlite3_column_count(pStmt); i++) {
      unsigned char t = (unsigned char)sqlite3_column_type(pStmt, i);
      const void *a = sqlite3_column_blob(pStmt, i);
      hash_add(pH, &t, 1);
      hash_add(pH, a, sqlite3_column_bytes(pStmt, i));
    }
  }
  if (rc == SQLITE_OK) rc = sqlite3_finalize(pStmt);
  return rc;
}

/*
** The key of the empty image a wipe of eMode makes of main of db: a hash
** of everything devdb_empty_image copies (header settings, every stored
** CREATE statement, the kept rows and their sequences), the mode and
** whether the file is in WAL mode.
*/
static int image_key(sqlite3 *db, int eMode, int bWal, sqlite3_uint64 *pKey) {
  static const char *azPragma[] = {"page_size", "auto_vacuum", "application_id",
                                   "user_version", "encoding"};
  sqlite3_uint64 h = 14695981039346656037ULL;
  hash_add(&h, "devdb-empty-image-1", -1);
  hash_add(&h, &eMode, sizeof(eMode));
  hash_add(&h, &bWal, sizeof(bWal));
  int rc = SQLITE_OK;
  for (int i = 0; i < 5 && rc == SQLITE_OK; i++) {
    rc = hash_query(db, &h, "PRAGMA main.%s", azPragma[i]);
  }
  if (rc == SQLITE_OK) {
    /* by name, not creation order: a wiped database has its objects in the
    ** image's order and must find the same image again */
    rc = hash_query(db, &h,
                    "SELECT type, name, tbl_name, sql FROM main.sqlite_schema "
                    "ORDER BY type, name");
  }
  sqlite3_stmt *pStmt = 0;
  DevdbKeep keep;
  if (rc == SQLITE_OK) rc = devdb_keep_open(db, "main", eMode, &keep);
  if (rc == SQLITE_OK) {
    rc = devdb_prepare(db, &pStmt,
                       "SELECT name FROM main.sqlite_schema WHERE "
                       "type='table' ORDER BY name");
  }
  while (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    const char *zName = (const char *)sqlite3_column_text(pStmt, 0);
    if (!devdb_keep_has(db, "main", &keep, zName)) continue;
    rc = hash_query(db, &h, "SELECT * FROM main.\"%w\"", zName);
    if (rc == SQLITE_OK && devdb_query_int(db, 0,
                                           "SELECT count(*) FROM main.sqlite_schema"
                                           " WHERE name='sqlite_sequence'")) {
      rc =
          hash_query(db, &h, "SELECT seq FROM main.sqlite_sequence WHERE name=%Q", zName);
    }
  }
  if (rc == SQLITE_OK)
    rc = sqlite3_finalize(pStmt);
  else
    sqlite3_finalize(pStmt);
  devdb_keep_close(&keep);
  *pKey = h;
  return rc;
}

/* Write the image held by pImg to the new file zPath, marked WAL or not,
** synced. */
static int write_image(sqlite3 *pImg, int bWal, const char *zPath, mode_t mode,
                       char **pzErr) {
  sqlite3_int64 n = 0;
  unsigned char *a = sqlite3_serialize(pImg, "main", &n, 0);
  if (a == 0) return SQLITE_NOMEM;
  a[18] = a[19] = bWal ? 2 : 1;
  int fd = open(zPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  int rc = fd < 0 ? SQLITE_CANTOPEN : write_at(fd, a, (size_t)n, 0);
  if (rc == SQLITE_OK && fdatasync(fd) != 0) rc = SQLITE_IOERR_FSYNC;
  if (fd >= 0) close(fd);
  if (rc != SQLITE_OK) {
    *pzErr = sqlite3_mprintf("cannot write '%s': %s", zPath, strerror(errno));
    unlink(zPath);
  }
  sqlite3_free(a);
  return rc;
}

/* Copy the file zFrom into the new file zTo (mode), synced when bSync. */
static int copy_file(const char *zFrom, const char *zTo, mode_t mode, int bSync,
                     char **pzErr) {
  int in = open(zFrom, O_RDONLY | O_CLOEXEC);
  int out = open(zTo, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  struct stat st;
  int rc = in < 0 || out < 0 || fstat(in, &st) != 0 ? SQLITE_CANTOPEN : SQLITE_OK;
  off_t nLeft = rc == SQLITE_OK ? st.st_size : 0;
  while (rc == SQLITE_OK && nLeft > 0) {
    ssize_t k = copy_file_range(in, 0, out, 0, (size_t)nLeft, 0);
    if (k <= 0) rc = SQLITE_IOERR_WRITE;
    nLeft -= k;
  }
  if (rc == SQLITE_OK && bSync && fdatasync(out) != 0) rc = SQLITE_IOERR_FSYNC;
  if (rc != SQLITE_OK) {
    *pzErr = sqlite3_mprintf("cannot copy '%s' to '%s': %s", zFrom, zTo, strerror(errno));
  }
  if (in >= 0) close(in);
  if (out >= 0) close(out);
  if (rc != SQLITE_OK) unlink(zTo);
  return rc;
}

/*
** 1 when the cached image zPath is a whole database file (its header's page
** count times page size is its size: not cut short by a crash) and on disk.
** It was written without a sync; the sync here is cheap once the kernel
** has written it back, as it has long done by the next wipe.
*/
static int template_ready(const char *zPath) {
  int fd = open(zPath, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  unsigned char a[100];
  struct stat st;
  int bOk = fstat(fd, &st) == 0 && pread(fd, a, 100, 0) == 100 &&
            memcmp(a, "SQLite format 3", 16) == 0 && memcmp(a + 24, a + 92, 4) == 0;
  if (bOk) {
    sqlite3_int64 szPage = a[16] == 0 && a[17] == 1 ? 65536 : (a[16] << 8) | a[17];
    sqlite3_int64 nPage =
        ((sqlite3_int64)a[28] << 24) | (a[29] << 16) | (a[30] << 8) | a[31];
    bOk = nPage > 0 && nPage * szPage == st.st_size && fdatasync(fd) == 0;
  }
  close(fd);
  return bOk;
}

/*
** The cached empty image for main of db in zCacheDir: its path in
** *pzTemplate, built (and its key's file written atomically) when missing.
*/
static int cached_image(sqlite3 *db, int eMode, int bWal, const char *zCacheDir,
                        char **pzTemplate, int *pbHit, char **pzErr) {
  sqlite3_uint64 key = 0;
  int rc = image_key(db, eMode, bWal, &key);
  if (rc != SQLITE_OK) {
    *pzErr = sqlite3_mprintf("cannot read the schema: %s", sqlite3_errmsg(db));
    return rc;
  }
  char *zPath = sqlite3_mprintf("%s/empty-%016llx.db", zCacheDir, key);
  if (zPath == 0) return SQLITE_NOMEM;
  *pbHit = template_ready(zPath);
  if (!*pbHit) {
    unlink(zPath); /* cut short by a crash, or nothing there */
    sqlite3 *pImg = 0;
    char *zTmp = temp_name(zPath);
    rc = zTmp ? make_dirs(zCacheDir, pzErr) : SQLITE_NOMEM;
    if (rc == SQLITE_OK) rc = devdb_empty_image(db, "main", eMode, &pImg, pzErr);
    if (rc == SQLITE_OK) rc = write_image(pImg, bWal, zTmp, 0644, pzErr);
    if (rc == SQLITE_OK) rc = publish(zTmp, zPath, 0, pzErr);
    if (rc != SQLITE_OK && zTmp) unlink(zTmp);
    sqlite3_close(pImg);
    sqlite3_free(zTmp);
  }
  if (rc != SQLITE_OK) {
    sqlite3_free(zPath);
    zPath = 0;
  }
  *pzTemplate = zPath;
  return rc;
}

/* What the fast path saw of the database file while it had it open. */
typedef struct FileState {
  unsigned char aHdr[100];
  sqlite3_int64 nSize;
  mode_t mode;
  uid_t uid;
  gid_t gid;
} FileState;

/*
** Make main of db a rollback-journal database with no WAL content left
** (checkpointed), and record its header; 0 when another connection keeps
** it in WAL mode.
*/
static int leave_wal(sqlite3 *db, int bWal, FileState *pState) {
  if (bWal) {
    devdb_exec(db, 0, "PRAGMA main.wal_checkpoint(TRUNCATE)");
    sqlite3_stmt *pStmt = 0;
    int bOk = devdb_prepare(db, &pStmt, "PRAGMA main.journal_mode=DELETE") == SQLITE_OK &&
              sqlite3_step(pStmt) == SQLITE_ROW &&
              devdb_stricmp((const char *)sqlite3_column_text(pStmt, 0), "delete") == 0;
    sqlite3_finalize(pStmt);
    if (!bOk) return 0;
  }
  sqlite3_file *pFile = 0;
  devdb_exec(db, 0, "BEGIN; SELECT count(*) FROM main.sqlite_schema;");
  int bOk =
      sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &pFile) == SQLITE_OK &&
      pFile && pFile->pMethods &&
      pFile->pMethods->xRead(pFile, pState->aHdr, 100, 0) == SQLITE_OK;
  devdb_exec(db, 0, "COMMIT");
  return bOk;
}

/* 1 when zDbPath has a journal or WAL file beside it that holds bytes. */
static int has_sidecar(const char *zDbPath) {
  static const char *azSuffix[] = {"-journal", "-wal"};
  int bFound = 0;
  for (int i = 0; i < 2 && !bFound; i++) {
    char *z = sqlite3_mprintf("%s%s", zDbPath, azSuffix[i]);
    struct stat st;
    bFound = z == 0 || (stat(z, &st) == 0 && st.st_size > 0);
    sqlite3_free(z);
  }
  return bFound;
}

/*
** Take a write lease on zDbPath (no other process has it open) and check
** the file is still as pState saw it. Returns the lease's descriptor, or
** -1 when the file is in use, changed, or leases are not available.
*/
static int lease_file(const char *zDbPath, const FileState *pState) {
  int fd = open(zDbPath, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  unsigned char aHdr[100];
  struct stat st;
  /* a lease break (someone opening the file) signals SIGURG, ignored by
  ** default, instead of SIGIO, which would end the process */
  if (fcntl(fd, F_SETSIG, SIGURG) != 0 || fcntl(fd, F_SETLEASE, F_WRLCK) != 0) {
    close(fd);
    return -1;
  }
  if (fstat(fd, &st) != 0 || st.st_size != pState->nSize ||
      pread(fd, aHdr, 100, 0) != 100 || memcmp(aHdr, pState->aHdr, 100) != 0 ||
      has_sidecar(zDbPath)) {
    fcntl(fd, F_SETLEASE, F_UNLCK);
    close(fd);
    return -1;
  }
  return fd;
}

/* Copy the file zFrom to zTo through a temp name, not synced: the next
** cached image (template_ready syncs it before use). */
static void refill_template(const char *zFrom, const char *zTo) {
  char *zTmp = temp_name(zTo), *zErr = 0;
  if (zTmp && copy_file(zFrom, zTmp, 0644, 0, &zErr) == SQLITE_OK &&
      rename(zTmp, zTo) != 0) {
    unlink(zTmp);
  }
  sqlite3_free(zErr);
  sqlite3_free(zTmp);
}

/* Give the new file zPath the permissions and owner the database had. */
static void take_owner(const char *zPath, const FileState *pState) {
  chmod(zPath, pState->mode);
  if (geteuid() == 0) (void)!chown(zPath, pState->uid, pState->gid);
}

/*
** Swap the database file zDbPath (leased) for the image zTemplate, keeping
** the old file as the backup in zBackupDir: a hard link to it, then the
** image renamed over the database. The image itself is moved when it is
** on the same file system and ready (and a copy of it left in the cache
** for the next wipe, unsynced), else copied and synced. The link is made
** durable (its directory synced) before the rename, and the rename before
** the call returns: a crash leaves the old file, the backup and the old
** file, or the backup and the new file, on any file system (one without a
** journal keeping the two in order too).
*/
static int swap_files(const char *zDbPath, const char *zTemplate, const char *zBackupDir,
                      const char *zLabel, const FileState *pState,
                      DevdbBackupInfo *pBackup, char **pzErr) {
  char *zTmp = temp_name(zDbPath);
  int rc = zTmp ? make_dirs(zBackupDir, pzErr) : SQLITE_NOMEM;
  int bMove = rc == SQLITE_OK && rename(zTemplate, zTmp) == 0;
  if (rc == SQLITE_OK && !bMove) rc = copy_file(zTemplate, zTmp, pState->mode, 1, pzErr);
  if (rc == SQLITE_OK) take_owner(zTmp, pState);
  for (int iTry = 0; rc == SQLITE_OK; iTry++) {
    sqlite3_free(pBackup->zPath);
    pBackup->zPath = backup_name(zBackupDir, zDbPath, zLabel, iTry);
    if (pBackup->zPath == 0)
      rc = SQLITE_NOMEM;
    else if (link(zDbPath, pBackup->zPath) == 0)
      break;
    else if (errno != EEXIST)
      rc = SQLITE_IOERR; /* another file system: no link */
  }
  int bLinked = rc == SQLITE_OK;
  if (rc == SQLITE_OK) rc = sync_dir_of(pBackup->zPath);
  if (rc == SQLITE_OK && rename(zTmp, zDbPath) != 0) {
    *pzErr =
        sqlite3_mprintf("cannot rename '%s' to '%s': %s", zTmp, zDbPath, strerror(errno));
    rc = SQLITE_IOERR;
  }
  if (rc == SQLITE_OK) {
    rc = sync_dir_of(zDbPath);
    if (bMove) refill_template(zDbPath, zTemplate);
  } else {
    if (bLinked) unlink(pBackup->zPath);
    if (zTmp && bMove) rename(zTmp, zTemplate); /* put the image back */
    if (zTmp) unlink(zTmp);
  }
  if (rc == SQLITE_IOERR && *pzErr == 0) rc = -1; /* fall back to copying */
  pBackup->nByte = pState->nSize;
  pBackup->bMoved = 1;
  sqlite3_free(zTmp);
  return rc;
}

#define FALLBACK                                                                         \
  DEVDB_SWAP_FALLBACK /* the fast path cannot be taken: copy and wipe in place */

/* The fast file wipe. *pDb is closed on the way (and NULL after). */
static int fast_wipe(sqlite3 **pDb, const char *zDbPath, int eMode,
                     const char *zBackupDir, const char *zCacheDir, DevdbWipeInfo *pInfo,
                     char **pzErr) {
  sqlite3 *db = *pDb;
  FileState state;
  struct stat st;
  char *zTemplate = 0;
  int bWal = 0;
  /* a symbolic link would be linked as itself, and replaced: swap only files;
  ** a journal mode that cannot be read leaves it to the slow path's errors */
  if (zCacheDir == 0 || lstat(zDbPath, &st) != 0 || !S_ISREG(st.st_mode) ||
      devdb_is_wal(db, "main", &bWal) != SQLITE_OK) {
    devdb_exec(db, 0, "COMMIT");
    return FALLBACK;
  }
  int rc = cached_image(db, eMode, bWal, zCacheDir, &zTemplate, &pInfo->bCacheHit, pzErr);
  devdb_exec(db, 0, "COMMIT");
  if (rc != SQLITE_OK) return rc;
  if (!leave_wal(db, bWal, &state)) {
    sqlite3_free(zTemplate);
    return FALLBACK;
  }
  pInfo->bLeftWal = bWal;
  state.nSize = stat(zDbPath, &st) == 0 ? st.st_size : -1;
  state.mode = st.st_mode & 0777;
  state.uid = st.st_uid;
  state.gid = st.st_gid;
  sqlite3_close(db);
  *pDb = 0;
  int fd = lease_file(zDbPath, &state);
  rc = fd < 0 ? FALLBACK
              : swap_files(zDbPath, zTemplate, zBackupDir, "wipe", &state, &pInfo->backup,
                           pzErr);
  if (fd >= 0) {
    fcntl(fd, F_SETLEASE, F_UNLCK);
    close(fd);
  }
  sqlite3_free(zTemplate);
  pInfo->bFast = rc == SQLITE_OK;
  return rc;
}

int devdb_swap_image(const char *zDbPath, const char *zImage, const char *zBackupDir,
                     const char *zLabel, DevdbBackupInfo *pBackup, char **pzErr) {
  FileState state;
  struct stat st;
  memset(pBackup, 0, sizeof(*pBackup));
  *pzErr = 0;
  /* a symbolic link would be linked as itself, and replaced: swap only files */
  if (lstat(zDbPath, &st) != 0 || !S_ISREG(st.st_mode)) return FALLBACK;
  int fdRead = open(zDbPath, O_RDONLY | O_CLOEXEC);
  int bHdr = fdRead >= 0 && pread(fdRead, state.aHdr, 100, 0) == 100;
  if (fdRead >= 0) close(fdRead);
  if (!bHdr) return FALLBACK;
  state.nSize = st.st_size;
  state.mode = st.st_mode & 0777;
  state.uid = st.st_uid;
  state.gid = st.st_gid;
  int fd = lease_file(zDbPath, &state);
  int rc = fd < 0
               ? FALLBACK
               : swap_files(zDbPath, zImage, zBackupDir, zLabel, &state, pBackup, pzErr);
  if (fd >= 0) {
    fcntl(fd, F_SETLEASE, F_UNLCK);
    close(fd);
  }
  return rc;
}

/* How long the file wipe waits for another connection's lock, as the
** shell's own connection does. */
#define WIPE_BUSY_MS 5000

/* Open the database file zDbPath for the file wipe. */
static int open_to_wipe(const char *zDbPath, sqlite3 **pDb, char **pzErr) {
  int rc = sqlite3_open_v2(zDbPath, pDb, SQLITE_OPEN_READWRITE, 0);
  if (rc != SQLITE_OK) {
    *pzErr = sqlite3_mprintf("devdb_wipe: cannot open '%s': %s", zDbPath,
                             sqlite3_errmsg(*pDb));
    return rc;
  }
  sqlite3_busy_timeout(*pDb, WIPE_BUSY_MS);
  return SQLITE_OK;
}

int devdb_wipe_file(const char *zDbPath, const char *zMode, const char *zBackupDir,
                    const char *zCacheDir, const char *zOpts, DevdbWipeInfo *pInfo,
                    char **pzErr) {
  return devdb_wipe_file_on(0, zDbPath, zMode, zBackupDir, zCacheDir, zOpts, pInfo,
                            pzErr);
}

int devdb_wipe_file_on(sqlite3 *db, const char *zDbPath, const char *zMode,
                       const char *zBackupDir, const char *zCacheDir, const char *zOpts,
                       DevdbWipeInfo *pInfo, char **pzErr) {
  memset(pInfo, 0, sizeof(*pInfo));
  *pzErr = 0;
  int eMode = devdb_wipe_mode(zMode);
  if (eMode == 0) {
    *pzErr = sqlite3_mprintf("devdb_wipe: unknown mode '%s' (data or schema)", zMode);
    sqlite3_close(db);
    return SQLITE_ERROR;
  }
  int bMarked = 0;
  int rc = db ? SQLITE_OK : open_to_wipe(zDbPath, &db, pzErr);
  if (rc == SQLITE_OK) {
    devdb_exec(db, 0, "BEGIN"); /* one read transaction for all that is read */
    rc = devdb_check_protection(db, "main", "devdb_wipe", zOpts, &bMarked, pzErr);
  }
  if (rc == SQLITE_OK) {
    pInfo->nTable = devdb_wipe_count(db, eMode);
    if (pInfo->nTable < 0) {
      rc = sqlite3_errcode(db) ? sqlite3_errcode(db) : SQLITE_NOMEM;
      *pzErr =
          sqlite3_mprintf("devdb_wipe: cannot read the tables: %s", sqlite3_errmsg(db));
    }
  }
  if (rc == SQLITE_OK) {
    rc = fast_wipe(&db, zDbPath, eMode, zBackupDir, zCacheDir, pInfo, pzErr);
  }
  if (db) devdb_exec(db, 0, "COMMIT");
  if (rc == FALLBACK) {
    sqlite3_free(pInfo->backup.zPath);
    memset(&pInfo->backup, 0, sizeof(pInfo->backup));
    rc = db ? SQLITE_OK : open_to_wipe(zDbPath, &db, pzErr);
    if (rc == SQLITE_OK) {
      if (pInfo->bLeftWal) devdb_exec(db, 0, "PRAGMA main.journal_mode=WAL");
      rc = devdb_backup_dir(db, "main", zBackupDir, "wipe", 0, &pInfo->backup, pzErr);
      if (rc == SQLITE_OK) rc = devdb_wipe_db(db, eMode, zOpts, &pInfo->nTable, pzErr);
    }
  }
  sqlite3_close(db);
  return rc;
}

/* ------------------------------------------------------ devdb_backups */

typedef struct BackupRow {
  char *zPath, *zName, *zDetail;
  sqlite3_int64 nByte, iMtime, iMtimeNs;
  int bVerified;
} BackupRow;

typedef struct backups_vtab {
  sqlite3_vtab base;
} backups_vtab;

typedef struct backups_cursor {
  sqlite3_vtab_cursor base;
  BackupRow *aRow;
  int nRow, iRow;
} backups_cursor;

#define BACKUPS_PATH 0
#define BACKUPS_NAME 1
#define BACKUPS_BYTES 2
#define BACKUPS_MTIME 3
#define BACKUPS_VERIFIED 4
#define BACKUPS_DETAIL 5
#define BACKUPS_DIR 6

static int backupsConnect(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                          sqlite3_vtab **ppVtab, char **pzErr) {
  int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(path TEXT, name TEXT, bytes INT, "
                                    "mtime TEXT, verified INT, detail TEXT, dir HIDDEN)");
  if (rc != SQLITE_OK) return rc;
  backups_vtab *pNew = sqlite3_malloc(sizeof(*pNew));
  if (pNew == 0) return SQLITE_NOMEM;
  memset(pNew, 0, sizeof(*pNew));
  /* it reads the file system: never from a schema */
  sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  *ppVtab = &pNew->base;
  return SQLITE_OK;
}

static int backupsDisconnect(sqlite3_vtab *pVtab) {
  sqlite3_free(pVtab);
  return SQLITE_OK;
}

static int backupsOpen(sqlite3_vtab *p, sqlite3_vtab_cursor **ppCursor) {
  backups_cursor *pCur = sqlite3_malloc(sizeof(*pCur));
  if (pCur == 0) return SQLITE_NOMEM;
  memset(pCur, 0, sizeof(*pCur));
  *ppCursor = &pCur->base;
  return SQLITE_OK;
}

static void backupsReset(backups_cursor *pCur) {
  for (int i = 0; i < pCur->nRow; i++) {
    sqlite3_free(pCur->aRow[i].zPath);
    sqlite3_free(pCur->aRow[i].zName);
    sqlite3_free(pCur->aRow[i].zDetail);
  }
  sqlite3_free(pCur->aRow);
  pCur->aRow = 0;
  pCur->nRow = pCur->iRow = 0;
}

static int backupsClose(sqlite3_vtab_cursor *cur) {
  backupsReset((backups_cursor *)cur);
  sqlite3_free(cur);
  return SQLITE_OK;
}

/* Fill pRow's verdict on the file pRow->zPath (stat st). */
static void verify_row(BackupRow *pRow, const struct stat *st) {
  sqlite3 *pDb = 0;
  if (strstr(pRow->zName, ".tmp-")) {
    pRow->zDetail = sqlite3_mprintf("incomplete (temp file of a backup)");
  } else if (st->st_size == 0) {
    pRow->zDetail = sqlite3_mprintf("empty file");
  } else if (open_readonly(pRow->zPath, &pDb) != SQLITE_OK) {
    pRow->zDetail = sqlite3_mprintf("cannot open: %s", sqlite3_errmsg(pDb));
  } else {
    pRow->zDetail = header_problem(pDb, pRow->zPath, st);
    pRow->bVerified = pRow->zDetail == 0;
    if (pRow->bVerified) pRow->zDetail = sqlite3_mprintf("ok");
  }
  sqlite3_close(pDb);
}

/* Newest first (to the nanosecond the file system keeps), then by name. */
static int row_cmp(const void *a, const void *b) {
  const BackupRow *x = a, *y = b;
  if (x->iMtime != y->iMtime) return x->iMtime > y->iMtime ? -1 : 1;
  if (x->iMtimeNs != y->iMtimeNs) return x->iMtimeNs > y->iMtimeNs ? -1 : 1;
  return strcmp(y->zName, x->zName);
}

/* Add the file zName of zDir to the cursor when it is a backup or a temp. */
static int add_row(backups_cursor *pCur, const char *zDir, const char *zName,
                   int *pnAlloc) {
  if (!devdb_has_suffix(zName, ".db") && !strstr(zName, ".db.tmp-")) return SQLITE_OK;
  char *zPath = sqlite3_mprintf("%s/%s", zDir, zName);
  struct stat st;
  if (zPath == 0) return SQLITE_NOMEM;
  if (stat(zPath, &st) != 0 || !S_ISREG(st.st_mode)) {
    sqlite3_free(zPath);
    return SQLITE_OK;
  }
  if (pCur->nRow == *pnAlloc) {
    int nNew = *pnAlloc ? *pnAlloc * 2 : 16;
    BackupRow *aNew = sqlite3_realloc64(pCur->aRow, sizeof(BackupRow) * nNew);
    if (aNew == 0) {
      sqlite3_free(zPath);
      return SQLITE_NOMEM;
    }
    pCur->aRow = aNew;
    *pnAlloc = nNew;
  }
  BackupRow *pRow = &pCur->aRow[pCur->nRow++];
  memset(pRow, 0, sizeof(*pRow));
  pRow->zPath = zPath;
  pRow->zName = sqlite3_mprintf("%s", zName);
  pRow->nByte = st.st_size;
  pRow->iMtime = st.st_mtim.tv_sec;
  pRow->iMtimeNs = st.st_mtim.tv_nsec;
  if (pRow->zName == 0) return SQLITE_NOMEM;
  verify_row(pRow, &st);
  return pRow->zDetail ? SQLITE_OK : SQLITE_NOMEM;
}

static int backupsFilter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr,
                         int argc, sqlite3_value **argv) {
  backups_cursor *pCur = (backups_cursor *)cur;
  backupsReset(pCur);
  const char *zDir = argc > 0 ? (const char *)sqlite3_value_text(argv[0]) : 0;
  if (zDir == 0) return SQLITE_OK;
  DIR *d = opendir(zDir);
  if (d == 0) return SQLITE_OK;
  int rc = SQLITE_OK, nAlloc = 0;
  struct dirent *e;
  while (rc == SQLITE_OK && (e = readdir(d)) != 0) {
    rc = add_row(pCur, zDir, e->d_name, &nAlloc);
  }
  closedir(d);
  if (pCur->nRow > 1) qsort(pCur->aRow, pCur->nRow, sizeof(BackupRow), row_cmp);
  return rc;
}

static int backupsNext(sqlite3_vtab_cursor *cur) {
  ((backups_cursor *)cur)->iRow++;
  return SQLITE_OK;
}

static int backupsEof(sqlite3_vtab_cursor *cur) {
  backups_cursor *pCur = (backups_cursor *)cur;
  return pCur->iRow >= pCur->nRow;
}

static int backupsColumn(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i) {
  backups_cursor *pCur = (backups_cursor *)cur;
  const BackupRow *pRow = &pCur->aRow[pCur->iRow];
  switch (i) {
  case BACKUPS_PATH:
    sqlite3_result_text(ctx, pRow->zPath, -1, SQLITE_TRANSIENT);
    break;
  case BACKUPS_NAME:
    sqlite3_result_text(ctx, pRow->zName, -1, SQLITE_TRANSIENT);
    break;
  case BACKUPS_BYTES:
    sqlite3_result_int64(ctx, pRow->nByte);
    break;
  case BACKUPS_MTIME: {
    char zTime[32];
    time_t t = (time_t)pRow->iMtime;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(zTime, sizeof(zTime), "%Y-%m-%d %H:%M:%S", &tm);
    sqlite3_result_text(ctx, zTime, -1, SQLITE_TRANSIENT);
    break;
  }
  case BACKUPS_VERIFIED:
    sqlite3_result_int(ctx, pRow->bVerified);
    break;
  case BACKUPS_DETAIL:
    sqlite3_result_text(ctx, pRow->zDetail, -1, SQLITE_TRANSIENT);
    break;
  default:
    break;
  }
  return SQLITE_OK;
}

static int backupsRowid(sqlite3_vtab_cursor *cur, sqlite_int64 *pRowid) {
  *pRowid = ((backups_cursor *)cur)->iRow + 1;
  return SQLITE_OK;
}

/* The dir argument is required: an equality constraint on it. */
static int backupsBestIndex(sqlite3_vtab *tab, sqlite3_index_info *pInfo) {
  int iDir = -1;
  for (int i = 0; i < pInfo->nConstraint; i++) {
    const struct sqlite3_index_constraint *pC = &pInfo->aConstraint[i];
    if (pC->iColumn != BACKUPS_DIR) continue;
    if (!pC->usable) return SQLITE_CONSTRAINT;
    if (pC->op == SQLITE_INDEX_CONSTRAINT_EQ) iDir = i;
  }
  pInfo->estimatedCost = 100;
  pInfo->estimatedRows = 100;
  if (iDir >= 0) {
    pInfo->aConstraintUsage[iDir].argvIndex = 1;
    pInfo->aConstraintUsage[iDir].omit = 1;
    pInfo->idxNum = 1;
  }
  return SQLITE_OK;
}

static sqlite3_module backupsModule = {
    0,                 /* iVersion */
    0,                 /* xCreate: eponymous only */
    backupsConnect,    /* xConnect */
    backupsBestIndex,  /* xBestIndex */
    backupsDisconnect, /* xDisconnect */
    0,                 /* xDestroy */
    backupsOpen,       /* xOpen */
    backupsClose,      /* xClose */
    backupsFilter,     /* xFilter */
    backupsNext,       /* xNext */
    backupsEof,        /* xEof */
    backupsColumn,     /* xColumn */
    backupsRowid,      /* xRowid */
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0 /* no writes, transactions or shadows */
};

int backup_register(sqlite3 *db) {
  return sqlite3_create_module(db, "devdb_backups", &backupsModule, 0);
}
