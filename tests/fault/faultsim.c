/*
** faultsim.c: a failing allocator (reliability.md A1), the shape of SQLite's
** own src/test_malloc.c.
**
** faultsim_install() wraps the allocator SQLite would use
** (SQLITE_CONFIG_GETMALLOC) with one that counts every malloc and realloc
** and, once armed, fails the Nth (transient) or the Nth and every later one
** (persistent). It must run before SQLite initialises: sqlite3_config
** refuses afterwards, which is why this only works with the extension
** linked in statically, never in a host that loads devdb.so.
**
** It also keeps the number of live allocations, so a driver can compare it
** before opening a connection and after closing it and name the iteration
** that leaked. Thread-safe: devdb may load two schemas on two threads.
*/
#include "harness.h"

#include <pthread.h>
#include <string.h>

static sqlite3_mem_methods orig;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
  int iNth;     /* fail this allocation (1-based, since arm); 0: never */
  int bPersist; /* and every one after it */
  int nCall;    /* allocations since arm */
  int nFail;    /* failed since arm */
  int bOthers;  /* count only the allocations of threads other than armer */
  pthread_t armer;
  int64_t nLive;
} fs;

/* 1 when the allocation being attempted must fail. */
static int fs_fail(void) {
  pthread_mutex_lock(&mu);
  if (fs.bOthers && pthread_equal(pthread_self(), fs.armer)) {
    pthread_mutex_unlock(&mu);
    return 0;
  }
  int n = ++fs.nCall;
  int bFail = fs.iNth > 0 && (n == fs.iNth || (fs.bPersist && n > fs.iNth));
  if (bFail) fs.nFail++;
  pthread_mutex_unlock(&mu);
  return bFail;
}

static void fs_live(int d) {
  pthread_mutex_lock(&mu);
  fs.nLive += d;
  pthread_mutex_unlock(&mu);
}

static void *fsMalloc(int n) {
  if (fs_fail()) return 0;
  void *p = orig.xMalloc(n);
  if (p) fs_live(1);
  return p;
}

static void fsFree(void *p) {
  if (p) fs_live(-1);
  orig.xFree(p);
}

static void *fsRealloc(void *p, int n) {
  if (fs_fail()) return 0;
  return orig.xRealloc(p, n);
}

static int fsSize(void *p) {
  return orig.xSize(p);
}
static int fsRoundup(int n) {
  return orig.xRoundup(n);
}
static int fsInit(void *p) {
  return orig.xInit(orig.pAppData);
}
static void fsShutdown(void *p) {
  orig.xShutdown(orig.pAppData);
}

int faultsim_install(void) {
  static sqlite3_mem_methods m = {fsMalloc,  fsFree, fsRealloc,  fsSize,
                                  fsRoundup, fsInit, fsShutdown, 0};
  int rc = sqlite3_config(SQLITE_CONFIG_GETMALLOC, &orig);
  if (rc == SQLITE_OK) rc = sqlite3_config(SQLITE_CONFIG_MALLOC, &m);
  /* No lookaside: every small allocation reaches the allocator, so every
  ** one can fail. */
  if (rc == SQLITE_OK) rc = sqlite3_config(SQLITE_CONFIG_LOOKASIDE, 0, 0);
  return rc;
}

void faultsim_arm_others(int iNth, int bPersist, int bOthers) {
  pthread_mutex_lock(&mu);
  fs.iNth = iNth;
  fs.bPersist = bPersist;
  fs.bOthers = bOthers;
  fs.armer = pthread_self();
  fs.nCall = fs.nFail = 0;
  pthread_mutex_unlock(&mu);
}

void faultsim_arm(int iNth, int bPersist) {
  faultsim_arm_others(iNth, bPersist, 0);
}

int faultsim_disarm(void) {
  pthread_mutex_lock(&mu);
  int n = fs.nFail;
  fs.iNth = 0;
  pthread_mutex_unlock(&mu);
  return n;
}

int faultsim_calls(void) {
  return fs.nCall;
}

int64_t faultsim_live(void) {
  pthread_mutex_lock(&mu);
  int64_t n = fs.nLive;
  pthread_mutex_unlock(&mu);
  return n;
}
