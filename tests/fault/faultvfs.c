/*
** faultvfs.c: a shim VFS for I/O faults, power loss and slow disks
** (reliability.md A2, A3, A4), after SQLite's src/test_vfs.c and test6.c,
** written against the public API only.
**
** Registered as the default VFS, it forwards every call to the VFS that was
** the default ("unix") and can:
**   - fail the Nth read, write, sync, truncate, lock or open, once or from
**     then on, with the error a real disk gives (SQLITE_IOERR_READ, ...,
**     SQLITE_FULL for a full disk, SQLITE_CANTOPEN);
**   - lose power: writes and truncates of named files stay in memory (reads
**     see them) until the file is synced; at the Kth sync a seeded random
**     subset of what is unsynced reaches the disk, some of it garbled, and
**     the process exits. Deletes and directory entries are immediate.
**   - sleep in every write and sync, so that an operation takes long
**     enough for a kill -9 to land inside it.
** Its clock is fixed so that SQL's 'now' is the same in every run.
**
** Limits (as reliability.md §1.4 notes for its prototype): it reports no
** device characteristics (the most pessimistic disk), it is iVersion 2 (no
** mmap), and a power loss buffers per path, for every handle of the path.
*/
#include "harness.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const fv_class_name[FV_NCLASS] = {"read",     "write", "full", "sync",
                                              "truncate", "lock",  "open"};

/* An unsynced write (n >= 0) or truncate (n < 0, to iOff) of one path. */
typedef struct FvPend FvPend;
struct FvPend {
  FvPend *pNext;
  sqlite3_int64 iOff;
  int n;
  unsigned char *a;
};

/* The unsynced changes of one path, in the order they were made. */
typedef struct FvPath FvPath;
struct FvPath {
  FvPath *pNext;
  char *zPath;
  FvPend *pFirst, *pLast;
};

typedef struct FvFile {
  sqlite3_file base;
  const char *zName;   /* the path (valid until close), NULL for temp files */
  FvPath *pPath;       /* power loss: the pending changes of this path */
  sqlite3_file *pReal; /* the wrapped file, allocated right after this */
} FvFile;

static sqlite3_vfs *pOrig;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
  int aCount[FV_NCLASS];
  int eClass, iNth, bPersist, nFail;
  int bBuffer;    /* power loss armed */
  int iCrashSync; /* lose power at this sync */
  int nSync;
  unsigned int seed;
  int iDelayUs;
  FvPath *pPaths;
} fv;

/*
** Count a call of class e (a write counts as both FV_WRITE and FV_FULL).
** Returns the error to fail it with, or SQLITE_OK.
*/
static int fv_call(int e, int rcFail) {
  pthread_mutex_lock(&mu);
  int n = ++fv.aCount[e];
  if (e == FV_WRITE) fv.aCount[FV_FULL]++;
  int bArmed = fv.iNth > 0 && (fv.eClass == e || (e == FV_WRITE && fv.eClass == FV_FULL));
  int rc = SQLITE_OK;
  if (bArmed && (n == fv.iNth || (fv.bPersist && n > fv.iNth))) {
    fv.nFail++;
    rc = fv.eClass == FV_FULL ? SQLITE_FULL : rcFail;
  }
  pthread_mutex_unlock(&mu);
  return rc;
}

static unsigned int fv_rand(unsigned int *p) {
  *p ^= *p << 13;
  *p ^= *p >> 17;
  *p ^= *p << 5;
  return *p;
}

/* The pending-change list of zPath, created when missing (mutex held). */
static FvPath *fv_path(const char *zPath) {
  FvPath *p;
  for (p = fv.pPaths; p && strcmp(p->zPath, zPath) != 0; p = p->pNext) {
  }
  if (p == 0) {
    p = calloc(1, sizeof(*p));
    p->zPath = strdup(zPath);
    p->pNext = fv.pPaths;
    fv.pPaths = p;
  }
  return p;
}

static void fv_drop_pending(FvPath *p) {
  while (p->pFirst) {
    FvPend *pNext = p->pFirst->pNext;
    free(p->pFirst->a);
    free(p->pFirst);
    p->pFirst = pNext;
  }
  p->pLast = 0;
}

static void fv_push(FvPath *p, sqlite3_int64 iOff, const void *a, int n) {
  FvPend *o = calloc(1, sizeof(*o));
  o->iOff = iOff;
  o->n = n;
  if (n > 0) {
    o->a = malloc(n);
    memcpy(o->a, a, n);
  }
  if (p->pLast)
    p->pLast->pNext = o;
  else
    p->pFirst = o;
  p->pLast = o;
}

/* The size of the file once its pending changes are applied to iSize. */
static sqlite3_int64 fv_logical_size(const FvPath *p, sqlite3_int64 iSize) {
  for (const FvPend *o = p->pFirst; o; o = o->pNext) {
    if (o->n < 0)
      iSize = o->iOff;
    else if (o->iOff + o->n > iSize)
      iSize = o->iOff + o->n;
  }
  return iSize;
}

/*
** Power is lost: every path's unsynced changes reach the disk or not, at
** random (half applied, three eighths lost, one eighth garbled), then the
** process ends without running anything else.
*/
static void fv_crash(void) {
  unsigned int s = fv.seed ? fv.seed : 1;
  for (FvPath *p = fv.pPaths; p; p = p->pNext) {
    int fd = p->pFirst ? open(p->zPath, O_RDWR) : -1;
    if (fd < 0) continue;
    for (FvPend *o = p->pFirst; o; o = o->pNext) {
      unsigned int r = fv_rand(&s) % 8;
      if (r >= 4 && r < 7) continue;
      if (o->n < 0) {
        if (ftruncate(fd, o->iOff)) break;
        continue;
      }
      if (r == 7)
        for (int i = 0; i < o->n; i++) o->a[i] = (unsigned char)fv_rand(&s);
      if (pwrite(fd, o->a, o->n, o->iOff) != o->n) break;
    }
    close(fd);
  }
  _exit(FV_CRASH_STATUS);
}

/* Write the pending changes of p to the real file f (mutex held). */
static int fv_flush(FvPath *p, sqlite3_file *f) {
  int rc = SQLITE_OK;
  for (FvPend *o = p->pFirst; o && rc == SQLITE_OK; o = o->pNext) {
    rc = o->n < 0 ? f->pMethods->xTruncate(f, o->iOff)
                  : f->pMethods->xWrite(f, o->a, o->n, o->iOff);
  }
  fv_drop_pending(p);
  return rc;
}

/* The pending changes of p's path once power loss is armed, else NULL.
** Files opened before it was armed join when they are next used. */
static FvPath *fv_file_path(FvFile *p) {
  if (fv.bBuffer && p->pPath == 0 && p->zName) {
    pthread_mutex_lock(&mu);
    p->pPath = fv_path(p->zName);
    pthread_mutex_unlock(&mu);
  }
  return p->pPath;
}

static void fv_delay(void) {
  if (fv.iDelayUs > 0) usleep(fv.iDelayUs);
}

/* ------------------------------------------------------------ file methods */

static int fvClose(sqlite3_file *pFile) {
  FvFile *p = (FvFile *)pFile;
  return p->pReal->pMethods->xClose(p->pReal);
}

/* Read through the pending changes of p->pPath (mutex held). */
static int fv_read_pending(FvFile *p, unsigned char *a, int iAmt, sqlite3_int64 iOff) {
  int rc = p->pReal->pMethods->xRead(p->pReal, a, iAmt, iOff);
  if (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ) return rc;
  sqlite3_int64 iSize = 0;
  rc = p->pReal->pMethods->xFileSize(p->pReal, &iSize);
  if (rc != SQLITE_OK) return rc;
  sqlite3_int64 iEnd = iOff + iAmt;
  for (const FvPend *o = p->pPath->pFirst; o; o = o->pNext) {
    if (o->n < 0) {
      iSize = o->iOff;
      if (iSize < iEnd) {
        sqlite3_int64 iFrom = iSize > iOff ? iSize : iOff;
        memset(a + (iFrom - iOff), 0, iEnd - iFrom);
      }
      continue;
    }
    sqlite3_int64 lo = o->iOff > iOff ? o->iOff : iOff;
    sqlite3_int64 hi = o->iOff + o->n < iEnd ? o->iOff + o->n : iEnd;
    if (lo < hi) memcpy(a + (lo - iOff), o->a + (lo - o->iOff), hi - lo);
    if (o->iOff + o->n > iSize) iSize = o->iOff + o->n;
  }
  if (iEnd > iSize) {
    sqlite3_int64 iFrom = iSize > iOff ? iSize : iOff;
    memset(a + (iFrom - iOff), 0, iEnd - iFrom);
    return SQLITE_IOERR_SHORT_READ;
  }
  return SQLITE_OK;
}

static int fvRead(sqlite3_file *pFile, void *a, int iAmt, sqlite3_int64 iOff) {
  FvFile *p = (FvFile *)pFile;
  int rc = fv_call(FV_READ, SQLITE_IOERR_READ);
  if (rc != SQLITE_OK) return rc;
  if (fv_file_path(p)) {
    pthread_mutex_lock(&mu);
    rc = fv_read_pending(p, a, iAmt, iOff);
    pthread_mutex_unlock(&mu);
    return rc;
  }
  return p->pReal->pMethods->xRead(p->pReal, a, iAmt, iOff);
}

static int fvWrite(sqlite3_file *pFile, const void *a, int iAmt, sqlite3_int64 iOff) {
  FvFile *p = (FvFile *)pFile;
  int rc = fv_call(FV_WRITE, SQLITE_IOERR_WRITE);
  if (rc != SQLITE_OK) return rc;
  fv_delay();
  if (fv_file_path(p)) {
    pthread_mutex_lock(&mu);
    fv_push(p->pPath, iOff, a, iAmt);
    pthread_mutex_unlock(&mu);
    return SQLITE_OK;
  }
  return p->pReal->pMethods->xWrite(p->pReal, a, iAmt, iOff);
}

static int fvTruncate(sqlite3_file *pFile, sqlite3_int64 size) {
  FvFile *p = (FvFile *)pFile;
  int rc = fv_call(FV_TRUNCATE, SQLITE_IOERR_TRUNCATE);
  if (rc != SQLITE_OK) return rc;
  if (fv_file_path(p)) {
    pthread_mutex_lock(&mu);
    fv_push(p->pPath, size, 0, -1);
    pthread_mutex_unlock(&mu);
    return SQLITE_OK;
  }
  return p->pReal->pMethods->xTruncate(p->pReal, size);
}

static int fvSync(sqlite3_file *pFile, int flags) {
  FvFile *p = (FvFile *)pFile;
  int rc = fv_call(FV_SYNC, SQLITE_IOERR_FSYNC);
  if (rc != SQLITE_OK) return rc;
  fv_delay();
  if (fv.bBuffer) {
    fv_file_path(p);
    pthread_mutex_lock(&mu);
    if (++fv.nSync == fv.iCrashSync) fv_crash();
    if (p->pPath) rc = fv_flush(p->pPath, p->pReal);
    pthread_mutex_unlock(&mu);
    if (rc != SQLITE_OK) return rc;
  }
  return p->pReal->pMethods->xSync(p->pReal, flags);
}

static int fvFileSize(sqlite3_file *pFile, sqlite3_int64 *pSize) {
  FvFile *p = (FvFile *)pFile;
  int rc = p->pReal->pMethods->xFileSize(p->pReal, pSize);
  if (rc == SQLITE_OK && fv_file_path(p)) {
    pthread_mutex_lock(&mu);
    *pSize = fv_logical_size(p->pPath, *pSize);
    pthread_mutex_unlock(&mu);
  }
  return rc;
}

static int fvLock(sqlite3_file *pFile, int eLock) {
  FvFile *p = (FvFile *)pFile;
  int rc = fv_call(FV_LOCK, SQLITE_IOERR_LOCK);
  if (rc != SQLITE_OK) return rc;
  return p->pReal->pMethods->xLock(p->pReal, eLock);
}

static int fvUnlock(sqlite3_file *pFile, int eLock) {
  FvFile *p = (FvFile *)pFile;
  return p->pReal->pMethods->xUnlock(p->pReal, eLock);
}

static int fvCheckReservedLock(sqlite3_file *pFile, int *pResOut) {
  FvFile *p = (FvFile *)pFile;
  return p->pReal->pMethods->xCheckReservedLock(p->pReal, pResOut);
}

static int fvFileControl(sqlite3_file *pFile, int op, void *pArg) {
  FvFile *p = (FvFile *)pFile;
  return p->pReal->pMethods->xFileControl(p->pReal, op, pArg);
}

static int fvSectorSize(sqlite3_file *pFile) {
  FvFile *p = (FvFile *)pFile;
  return p->pReal->pMethods->xSectorSize(p->pReal);
}

static int fvDeviceCharacteristics(sqlite3_file *pFile) {
  return 0;
}

static int fvShmMap(sqlite3_file *pFile, int iPg, int pgsz, int bExtend,
                    void volatile **pp) {
  FvFile *p = (FvFile *)pFile;
  return p->pReal->pMethods->xShmMap(p->pReal, iPg, pgsz, bExtend, pp);
}

static int fvShmLock(sqlite3_file *pFile, int offset, int n, int flags) {
  FvFile *p = (FvFile *)pFile;
  return p->pReal->pMethods->xShmLock(p->pReal, offset, n, flags);
}

static void fvShmBarrier(sqlite3_file *pFile) {
  FvFile *p = (FvFile *)pFile;
  p->pReal->pMethods->xShmBarrier(p->pReal);
}

static int fvShmUnmap(sqlite3_file *pFile, int deleteFlag) {
  FvFile *p = (FvFile *)pFile;
  return p->pReal->pMethods->xShmUnmap(p->pReal, deleteFlag);
}

static const sqlite3_io_methods fv_io = {2,
                                         fvClose,
                                         fvRead,
                                         fvWrite,
                                         fvTruncate,
                                         fvSync,
                                         fvFileSize,
                                         fvLock,
                                         fvUnlock,
                                         fvCheckReservedLock,
                                         fvFileControl,
                                         fvSectorSize,
                                         fvDeviceCharacteristics,
                                         fvShmMap,
                                         fvShmLock,
                                         fvShmBarrier,
                                         fvShmUnmap,
                                         0,
                                         0};

/* ------------------------------------------------------------- vfs methods */

static int fvOpen(sqlite3_vfs *pVfs, const char *zName, sqlite3_file *pFile, int flags,
                  int *pOutFlags) {
  FvFile *p = (FvFile *)pFile;
  memset(p, 0, sizeof(*p));
  int rc = fv_call(FV_OPEN, SQLITE_CANTOPEN);
  if (rc != SQLITE_OK) return rc;
  p->pReal = (sqlite3_file *)&p[1];
  rc = pOrig->xOpen(pOrig, zName, p->pReal, flags, pOutFlags);
  if (rc != SQLITE_OK) return rc;
  p->base.pMethods = &fv_io;
  p->zName = zName;
  return SQLITE_OK;
}

static int fvDelete(sqlite3_vfs *pVfs, const char *zName, int syncDir) {
  if (fv.bBuffer) {
    pthread_mutex_lock(&mu);
    fv_drop_pending(fv_path(zName));
    pthread_mutex_unlock(&mu);
  }
  return pOrig->xDelete(pOrig, zName, syncDir);
}

static int fvAccess(sqlite3_vfs *pVfs, const char *zName, int flags, int *pResOut) {
  return pOrig->xAccess(pOrig, zName, flags, pResOut);
}

static int fvFullPathname(sqlite3_vfs *pVfs, const char *zName, int nOut, char *zOut) {
  return pOrig->xFullPathname(pOrig, zName, nOut, zOut);
}

static void *fvDlOpen(sqlite3_vfs *pVfs, const char *zPath) {
  return pOrig->xDlOpen(pOrig, zPath);
}

static void fvDlError(sqlite3_vfs *pVfs, int nByte, char *zErrMsg) {
  pOrig->xDlError(pOrig, nByte, zErrMsg);
}

static void (*fvDlSym(sqlite3_vfs *pVfs, void *p, const char *zSym))(void) {
  return pOrig->xDlSym(pOrig, p, zSym);
}

static void fvDlClose(sqlite3_vfs *pVfs, void *p) {
  pOrig->xDlClose(pOrig, p);
}

static int fvRandomness(sqlite3_vfs *pVfs, int nByte, char *zOut) {
  return pOrig->xRandomness(pOrig, nByte, zOut);
}

static int fvSleep(sqlite3_vfs *pVfs, int us) {
  return pOrig->xSleep(pOrig, us);
}

/* 2024-01-02 03:04:05 UTC as a Julian day number in milliseconds. */
#define FV_NOW_MS ((sqlite3_int64)212570924645000LL)

static int fvCurrentTimeInt64(sqlite3_vfs *pVfs, sqlite3_int64 *p) {
  *p = FV_NOW_MS;
  return SQLITE_OK;
}

static int fvCurrentTime(sqlite3_vfs *pVfs, double *p) {
  *p = FV_NOW_MS / 86400000.0;
  return SQLITE_OK;
}

static int fvGetLastError(sqlite3_vfs *pVfs, int n, char *z) {
  return pOrig->xGetLastError(pOrig, n, z);
}

static sqlite3_vfs fv_vfs = {2,
                             0,
                             0,
                             0,
                             "faultvfs",
                             0,
                             fvOpen,
                             fvDelete,
                             fvAccess,
                             fvFullPathname,
                             fvDlOpen,
                             fvDlError,
                             fvDlSym,
                             fvDlClose,
                             fvRandomness,
                             fvSleep,
                             fvCurrentTime,
                             fvGetLastError,
                             fvCurrentTimeInt64,
                             0,
                             0,
                             0};

int faultvfs_register(void) {
  pOrig = sqlite3_vfs_find(0);
  if (pOrig == 0) return SQLITE_ERROR;
  fv_vfs.szOsFile = (int)sizeof(FvFile) + pOrig->szOsFile;
  fv_vfs.mxPathname = pOrig->mxPathname;
  return sqlite3_vfs_register(&fv_vfs, 1);
}

void faultvfs_arm(int eClass, int iNth, int bPersist) {
  pthread_mutex_lock(&mu);
  memset(fv.aCount, 0, sizeof(fv.aCount));
  fv.eClass = eClass;
  fv.iNth = iNth;
  fv.bPersist = bPersist;
  fv.nFail = 0;
  pthread_mutex_unlock(&mu);
}

int faultvfs_disarm(void) {
  pthread_mutex_lock(&mu);
  int n = fv.nFail;
  fv.iNth = 0;
  pthread_mutex_unlock(&mu);
  return n;
}

int faultvfs_count(int eClass) {
  pthread_mutex_lock(&mu);
  int n = fv.aCount[eClass];
  pthread_mutex_unlock(&mu);
  return n;
}

void faultvfs_powerloss(int iSync, unsigned int seed) {
  pthread_mutex_lock(&mu);
  fv.bBuffer = 1;
  fv.iCrashSync = iSync;
  fv.nSync = 0;
  fv.seed = seed;
  pthread_mutex_unlock(&mu);
}

void faultvfs_delay(int us) {
  fv.iDelayUs = us;
}
