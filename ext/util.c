/*
** util.c: small helpers every area of devdb shares: registration, errors,
** running built SQL, files, an arena allocator and a name map.
**
** No SQL functions live here. See devdb.h for each helper's contract.
*/
#include "devdb.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/*
** 1 when a statement that writes is running on db. A side-effect function
** is only ever meant to be called from a statement that writes nothing
** (SELECT devdb_backup(...)); called while an INSERT or UPDATE runs, it is
** being run by that statement's CHECK constraint, which SQLite does not
** refuse for DIRECTONLY functions: a hostile database's CHECK could
** otherwise make devdb act whenever a row is written.
*/
static int writing_statement_runs(sqlite3 *db) {
  for (sqlite3_stmt *p = sqlite3_next_stmt(db, 0); p; p = sqlite3_next_stmt(db, p)) {
    if (sqlite3_stmt_busy(p) && !sqlite3_stmt_readonly(p)) return 1;
  }
  return 0;
}

/*
** A transaction a side-effect function left open and could not roll back:
** after a failed allocation SQLite runs no ROLLBACK of changes until the
** calling statement ends. Until the transaction ends, a commit hook turns
** its COMMIT into a ROLLBACK, so the half-done work never lands (N1). Both
** hooks are removed when it ends (SQLite cannot give back a host's own
** hooks; this happens only after such a failure).
*/
static int veto_commit(void *pArg) {
  sqlite3 *db = pArg;
  sqlite3_commit_hook(db, 0, 0);
  sqlite3_rollback_hook(db, 0, 0);
  return 1; /* the COMMIT becomes a ROLLBACK */
}

static void veto_rollback(void *pArg) {
  sqlite3 *db = pArg;
  sqlite3_commit_hook(db, 0, 0);
  sqlite3_rollback_hook(db, 0, 0);
}

/*
** A side-effect function called outside a transaction returned inside one
** (an error path that skipped its ROLLBACK, or a ROLLBACK that could not
** run): roll back with pRollback, prepared before the call because after a
** failed allocation SQLite prepares nothing more until the calling
** statement ends, and report the work as failed with the connection's last
** error. When even that cannot run, the transaction's COMMIT is vetoed.
*/
static void close_left_transaction(sqlite3_context *ctx, sqlite3 *db,
                                   sqlite3_stmt *pRollback, const char *zName) {
  char zWhy[200];
  snprintf(zWhy, sizeof(zWhy), "%s",
           sqlite3_errcode(db) ? sqlite3_errmsg(db)
                               : "failed and left its transaction open");
  for (int i = 0; i < 3 && pRollback && !sqlite3_get_autocommit(db); i++) {
    sqlite3_step(pRollback);
    sqlite3_reset(pRollback);
  }
  /* only a transaction that wrote calls the commit hook, and needs it */
  if (!sqlite3_get_autocommit(db) && sqlite3_txn_state(db, 0) == SQLITE_TXN_WRITE) {
    sqlite3_commit_hook(db, veto_commit, db);
    sqlite3_rollback_hook(db, veto_rollback, db);
  }
  devdb_result_error(ctx, "%s: %s (rolled back)", zName, zWhy);
}

/* Every side-effect function runs through here: refuse, or call it; it
** never returns with a transaction it opened left open (N5). */
static void guarded_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  const DevdbFunc *pFunc = sqlite3_user_data(ctx);
  sqlite3 *db = sqlite3_context_db_handle(ctx);
  if (writing_statement_runs(db)) {
    devdb_result_error(
        ctx,
        "%s: unsafe use from a statement that writes (a CHECK constraint?): "
        "call it on its own, as SELECT %s(...)",
        pFunc->zName, pFunc->zName);
    return;
  }
  sqlite3_stmt *pRollback = 0;
  int bAutocommit = sqlite3_get_autocommit(db);
  if (bAutocommit && sqlite3_prepare_v2(db, "ROLLBACK", -1, &pRollback, 0) != SQLITE_OK) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  pFunc->xFunc(ctx, argc, argv);
  if (bAutocommit && !sqlite3_get_autocommit(db))
    close_left_transaction(ctx, db, pRollback, pFunc->zName);
  sqlite3_finalize(pRollback);
}

/*
** Register the n functions of a on db (a must be static: side-effect
** functions keep a pointer to their row). Returns SQLITE_OK or the first
** error code.
*/
int devdb_register_funcs(sqlite3 *db, const DevdbFunc *a, int n) {
  int rc = SQLITE_OK;
  for (int i = 0; i < n && rc == SQLITE_OK; i++) {
    int bGuard = (a[i].flags & SQLITE_DIRECTONLY) != 0;
    rc = sqlite3_create_function(db, a[i].zName, a[i].nArg, a[i].flags,
                                 bGuard ? (void *)&a[i] : 0,
                                 bGuard ? guarded_func : a[i].xFunc, 0, 0);
  }
  return rc;
}

/*
** Replace the error message of a virtual table with a new one built
** printf-style.
*/
void devdb_vtab_error(sqlite3_vtab *pVtab, const char *zFmt, ...) {
  va_list ap;
  va_start(ap, zFmt);
  sqlite3_free(pVtab->zErrMsg);
  pVtab->zErrMsg = sqlite3_vmprintf(zFmt, ap);
  va_end(ap);
}

/*
** Report an error from a function, the message built printf-style.
*/
void devdb_result_error(sqlite3_context *ctx, const char *zFmt, ...) {
  va_list ap;
  va_start(ap, zFmt);
  char *z = sqlite3_vmprintf(zFmt, ap);
  va_end(ap);
  if (z == 0) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  sqlite3_result_error(ctx, z, -1);
  sqlite3_free(z);
}

/*
** Finish p and make its text the result of ctx; an OOM while building it
** becomes an OOM error.
*/
void devdb_result_str(sqlite3_context *ctx, sqlite3_str *p) {
  int rc = sqlite3_str_errcode(p);
  int n = sqlite3_str_length(p);
  char *z = sqlite3_str_finish(p);
  if (rc != SQLITE_OK) {
    sqlite3_free(z);
    if (rc == SQLITE_NOMEM)
      sqlite3_result_error_nomem(ctx);
    else
      sqlite3_result_error_toobig(ctx);
    return;
  }
  sqlite3_result_text(ctx, z ? z : "", n, z ? sqlite3_free : SQLITE_STATIC);
}

/*
** Run SQL built printf-style with sqlite3_exec. The error message, if any,
** goes to *pzErr (caller frees) when pzErr is not NULL.
*/
int devdb_exec(sqlite3 *db, char **pzErr, const char *zFmt, ...) {
  va_list ap;
  va_start(ap, zFmt);
  char *zSql = sqlite3_vmprintf(zFmt, ap);
  va_end(ap);
  if (zSql == 0) return SQLITE_NOMEM;
  char *zErr = 0;
  int rc = sqlite3_exec(db, zSql, 0, 0, &zErr);
  sqlite3_free(zSql);
  if (pzErr)
    *pzErr = zErr;
  else
    sqlite3_free(zErr);
  return rc;
}

/*
** Prepare SQL built printf-style. *ppStmt is NULL on any error.
*/
int devdb_prepare(sqlite3 *db, sqlite3_stmt **ppStmt, const char *zFmt, ...) {
  va_list ap;
  va_start(ap, zFmt);
  char *zSql = sqlite3_vmprintf(zFmt, ap);
  va_end(ap);
  *ppStmt = 0;
  if (zSql == 0) return SQLITE_NOMEM;
  int rc = sqlite3_prepare_v2(db, zSql, -1, ppStmt, 0);
  sqlite3_free(zSql);
  return rc;
}

/* The first column of the first row of the query zSql into *pVal (left as
** it is when there is no row); an SQLite code. */
static int query_int(sqlite3 *db, sqlite3_int64 *pVal, const char *zSql) {
  if (zSql == 0) return SQLITE_NOMEM;
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0);
  if (rc == SQLITE_OK) {
    if (sqlite3_step(pStmt) == SQLITE_ROW) *pVal = sqlite3_column_int64(pStmt, 0);
    rc = sqlite3_finalize(pStmt);
  }
  return rc;
}

/*
** The first column of the first row of a query built printf-style, or
** iDefault when the query fails or returns no row.
*/
sqlite3_int64 devdb_query_int(sqlite3 *db, sqlite3_int64 iDefault, const char *zFmt,
                              ...) {
  va_list ap;
  va_start(ap, zFmt);
  char *zSql = sqlite3_vmprintf(zFmt, ap);
  va_end(ap);
  sqlite3_int64 v = iDefault;
  if (query_int(db, &v, zSql) != SQLITE_OK) v = iDefault;
  sqlite3_free(zSql);
  return v;
}

/*
** The same query, with its outcome: SQLITE_OK and the value (iDefault when
** there is no row) or the error (a lock, an I/O error, out of memory), for
** callers that must not take a failed read for an answer.
*/
int devdb_query_int_rc(sqlite3 *db, sqlite3_int64 iDefault, sqlite3_int64 *pVal,
                       const char *zFmt, ...) {
  va_list ap;
  va_start(ap, zFmt);
  char *zSql = sqlite3_vmprintf(zFmt, ap);
  va_end(ap);
  *pVal = iDefault;
  int rc = query_int(db, pVal, zSql);
  sqlite3_free(zSql);
  return rc;
}

/* Milliseconds on a monotonic clock. */
sqlite3_int64 devdb_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (sqlite3_int64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
** Run zSql, retrying while the database is busy or locked until msTimeout
** ms have passed since the first try (the connection's own busy handler
** waits inside each try; this also waits where SQLite calls none, or when
** the connection has none). Returns the last try's code.
*/
int devdb_exec_retry(sqlite3 *db, int msTimeout, const char *zSql) {
  sqlite3_int64 t0 = devdb_now_ms();
  int ms = 1;
  for (;;) {
    int rc = sqlite3_exec(db, zSql, 0, 0, 0);
    if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED) return rc;
    if (devdb_now_ms() - t0 > msTimeout) return rc;
    sqlite3_sleep(ms);
    if (ms < 32) ms *= 2;
  }
}

/* ASCII lower case of c, as SQLite folds identifiers. */
static int fold(int c) {
  return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

int devdb_stricmp(const char *a, const char *b) {
  for (;; a++, b++) {
    int d = fold((unsigned char)*a) - fold((unsigned char)*b);
    if (d || *a == 0) return d;
  }
}

int devdb_strnicmp(const char *a, const char *b, int n) {
  for (; n > 0; n--, a++, b++) {
    int d = fold((unsigned char)*a) - fold((unsigned char)*b);
    if (d || *a == 0) return d;
  }
  return 0;
}

/*
** Read the file zPath whole. The buffer (sqlite3_malloc'd, NUL-terminated)
** is the caller's; on failure NULL and a message naming the file.
*/
char *devdb_read_file(const char *zPath, sqlite3_int64 *pnByte, char **pzErr) {
  FILE *f = fopen(zPath, "rb");
  if (f == 0) {
    *pzErr = sqlite3_mprintf("cannot open '%s' for reading", zPath);
    return 0;
  }
  char *z = 0;
  sqlite3_int64 n = 0, nAlloc = 0;
  for (;;) {
    if (n + 65536 + 1 > nAlloc) {
      nAlloc = nAlloc ? nAlloc * 2 : 65536 * 2;
      char *zNew = sqlite3_realloc64(z, nAlloc);
      if (zNew == 0) {
        *pzErr = sqlite3_mprintf("out of memory reading '%s'", zPath);
        goto read_error;
      }
      z = zNew;
    }
    size_t got = fread(z + n, 1, 65536, f);
    n += got;
    if (got < 65536) break;
  }
  if (ferror(f)) {
    *pzErr = sqlite3_mprintf("cannot read '%s'", zPath);
    goto read_error;
  }
  fclose(f);
  z[n] = 0;
  if (pnByte) *pnByte = n;
  return z;
read_error:
  fclose(f);
  sqlite3_free(z);
  return 0;
}

/*
** Read the text file zPath whole (SQL, CSV, JSON): as devdb_read_file, and
** a NUL byte in it is an error naming zLabel and the byte's offset, as
** SQLite (and every reader of C strings) would stop at it and silently drop
** the rest of the file.
*/
char *devdb_read_text_file(const char *zPath, const char *zLabel, char **pzErr) {
  sqlite3_int64 nByte = 0;
  char *z = devdb_read_file(zPath, &nByte, pzErr);
  if (z && (sqlite3_int64)strlen(z) != nByte) {
    *pzErr = sqlite3_mprintf("error in %s: a NUL byte at offset %lld", zLabel,
                             (long long)strlen(z));
    sqlite3_free(z);
    return 0;
  }
  return z;
}

int devdb_path_kind(const char *zPath) {
  struct stat st;
  if (stat(zPath, &st) != 0) return 0;
  if (S_ISDIR(st.st_mode)) return 1;
  if (S_ISREG(st.st_mode)) return 2;
  return 0;
}

int devdb_has_suffix(const char *zPath, const char *zSuffix) {
  size_t n = strlen(zPath), m = strlen(zSuffix);
  return n >= m && devdb_stricmp(zPath + n - m, zSuffix) == 0;
}

/*
** 1 when the comma-separated list zOpts holds zWord as one whole item
** (surrounding spaces ignored, case ignored).
*/
int devdb_opt_has(const char *zOpts, const char *zWord) {
  int n = (int)strlen(zWord);
  const char *z = zOpts;
  while (z && *z) {
    while (*z == ' ' || *z == ',') z++;
    const char *zEnd = z;
    while (*zEnd && *zEnd != ',') zEnd++;
    const char *zLast = zEnd;
    while (zLast > z && zLast[-1] == ' ') zLast--;
    if (zLast - z == n && devdb_strnicmp(z, zWord, n) == 0) return 1;
    z = zEnd;
  }
  return 0;
}

/* ------------------------------------------------------------- arena */

struct DevdbArenaChunk {
  DevdbArenaChunk *pNext;
  size_t nUsed, nSize;
  /* the memory follows, aligned to 16 */
};

#define ARENA_HDR ((sizeof(DevdbArenaChunk) + 15) & ~(size_t)15)
#define ARENA_CHUNK 262144

/*
** n zeroed bytes that live until devdb_arena_free. NULL (and bOom set) when
** memory runs out.
*/
/* n bytes, not zeroed (for text that is written whole right away). */
static void *arena_raw(DevdbArena *p, size_t n) {
  n = (n + 15) & ~(size_t)15;
  DevdbArenaChunk *c = p->pChunk;
  if (c == 0 || c->nUsed + n > c->nSize) {
    size_t nSize = n > ARENA_CHUNK / 4 ? n : ARENA_CHUNK;
    DevdbArenaChunk *pNew = sqlite3_malloc64(ARENA_HDR + nSize);
    if (pNew == 0) {
      p->bOom = 1;
      return 0;
    }
    pNew->nUsed = 0;
    pNew->nSize = nSize;
    if (c && n > ARENA_CHUNK / 4) {
      /* a big block: keep the current chunk as the one to fill */
      pNew->pNext = c->pNext;
      c->pNext = pNew;
    } else {
      pNew->pNext = c;
      p->pChunk = pNew;
    }
    c = pNew;
  }
  void *pRet = (char *)c + ARENA_HDR + c->nUsed;
  c->nUsed += n;
  return pRet;
}

void *devdb_arena_alloc(DevdbArena *p, size_t n) {
  void *pRet = arena_raw(p, n);
  if (pRet) memset(pRet, 0, n);
  return pRet;
}

/*
** Append a zeroed element of size sz to the arena array *pa of *pn
** elements, whose capacity is the smallest power of two >= *pn (so it is
** full exactly when *pn is a power of two). Returns the new element.
*/
void *devdb_arena_push(DevdbArena *p, void **pa, int *pn, size_t sz) {
  int n = *pn;
  if (n == 0 || (n & (n - 1)) == 0) {
    void *aNew = arena_raw(p, sz * (n ? n * 2 : 1));
    if (aNew == 0) return 0;
    if (n) memcpy(aNew, *pa, sz * n);
    *pa = aNew;
  }
  (*pn)++;
  void *pElem = (char *)*pa + sz * n;
  memset(pElem, 0, sz);
  return pElem;
}

char *devdb_arena_strndup(DevdbArena *p, const char *z, int n) {
  if (z == 0) return 0;
  if (n < 0) n = (int)strlen(z);
  char *zOut = arena_raw(p, (size_t)n + 1);
  if (zOut) {
    memcpy(zOut, z, n);
    zOut[n] = 0;
  }
  return zOut;
}

char *devdb_arena_printf(DevdbArena *p, const char *zFmt, ...) {
  va_list ap;
  va_start(ap, zFmt);
  char *z = sqlite3_vmprintf(zFmt, ap);
  va_end(ap);
  if (z == 0) {
    p->bOom = 1;
    return 0;
  }
  char *zOut = devdb_arena_strndup(p, z, -1);
  sqlite3_free(z);
  return zOut;
}

void devdb_arena_adopt(DevdbArena *p, DevdbArena *pFrom) {
  DevdbArenaChunk **pp = &pFrom->pChunk;
  while (*pp) pp = &(*pp)->pNext;
  if (p->pChunk) {
    *pp = p->pChunk->pNext; /* after p's current chunk, which stays the one to fill */
    p->pChunk->pNext = pFrom->pChunk;
  } else {
    p->pChunk = pFrom->pChunk;
  }
  p->bOom |= pFrom->bOom;
  pFrom->pChunk = 0;
  devdb_arena_free(pFrom);
}

void devdb_arena_free(DevdbArena *p) {
  sqlite3_free(sqlite3_str_finish(p->pStr));
  sqlite3_free(p->aTok);
  p->pStr = 0;
  p->aTok = 0;
  p->nTokAlloc = 0;
  while (p->pChunk) {
    DevdbArenaChunk *pNext = p->pChunk->pNext;
    sqlite3_free(p->pChunk);
    p->pChunk = pNext;
  }
}

/* --------------------------------------------------------------- map */

/* FNV-1a over the case-folded key. */
static unsigned map_hash(const char *z) {
  unsigned h = 2166136261u;
  for (; *z; z++) h = (h ^ (unsigned)fold((unsigned char)*z)) * 16777619u;
  return h;
}

/* Double the slots of p; SQLITE_NOMEM on failure. */
static int map_grow(DevdbMap *p) {
  int nNew = p->nSlot ? p->nSlot * 2 : 64;
  const char **azKey = sqlite3_malloc64(sizeof(char *) * nNew);
  void **apVal = sqlite3_malloc64(sizeof(void *) * nNew);
  if (azKey == 0 || apVal == 0) {
    sqlite3_free(azKey);
    sqlite3_free(apVal);
    return SQLITE_NOMEM;
  }
  memset(azKey, 0, sizeof(char *) * nNew);
  for (int i = 0; i < p->nSlot; i++) {
    if (p->azKey[i] == 0) continue;
    unsigned h = map_hash(p->azKey[i]) & (nNew - 1);
    while (azKey[h]) h = (h + 1) & (nNew - 1);
    azKey[h] = p->azKey[i];
    apVal[h] = p->apVal[i];
  }
  sqlite3_free(p->azKey);
  sqlite3_free(p->apVal);
  p->azKey = azKey;
  p->apVal = apVal;
  p->nSlot = nNew;
  return SQLITE_OK;
}

/*
** Map zKey (borrowed: it must outlive the map) to pVal. An existing key
** keeps its first value.
*/
int devdb_map_put(DevdbMap *p, const char *zKey, void *pVal) {
  if ((p->nUsed + 1) * 2 > p->nSlot && map_grow(p)) return SQLITE_NOMEM;
  unsigned h = map_hash(zKey) & (p->nSlot - 1);
  while (p->azKey[h]) {
    if (devdb_stricmp(p->azKey[h], zKey) == 0) return SQLITE_OK;
    h = (h + 1) & (p->nSlot - 1);
  }
  p->azKey[h] = zKey;
  p->apVal[h] = pVal;
  p->nUsed++;
  return SQLITE_OK;
}

void *devdb_map_get(const DevdbMap *p, const char *zKey) {
  if (p->nSlot == 0 || zKey == 0) return 0;
  unsigned h = map_hash(zKey) & (p->nSlot - 1);
  while (p->azKey[h]) {
    if (devdb_stricmp(p->azKey[h], zKey) == 0) return p->apVal[h];
    h = (h + 1) & (p->nSlot - 1);
  }
  return 0;
}

void devdb_map_clear(DevdbMap *p) {
  sqlite3_free(p->azKey);
  sqlite3_free(p->apVal);
  memset(p, 0, sizeof(*p));
}

/* ------------------------------------------------------------- threads */

static int bThreadSafe;
static pthread_once_t threadProbe = PTHREAD_ONCE_INIT;

/* Whether SQLite runs in single-thread mode, where even sqlite3_malloc may
** not be called from two threads: a connection opened FULLMUTEX gets a
** mutex in every other mode (sqlite3_open_v2, sqlite3_db_mutex). Asked once
** per process; a probe that cannot open (out of memory) means no threads
** from then on, which costs speed only. */
static void probe_threads(void) {
  sqlite3 *db = 0;
  if (sqlite3_threadsafe() &&
      sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX,
                      0) == SQLITE_OK) {
    bThreadSafe = sqlite3_db_mutex(db) != 0;
  }
  sqlite3_close(db);
}

int devdb_threads_ok(void) {
  const char *zEnv = getenv("DEVDB_THREADS");
  if (zEnv && zEnv[0] == '0') return 0;
  return pthread_once(&threadProbe, probe_threads) == 0 && bThreadSafe;
}

/* ----------------------------------------------------------- journal */

int devdb_is_wal(sqlite3 *db, const char *zSchema, int *pbWal) {
  sqlite3_stmt *pStmt = 0;
  *pbWal = 0;
  int rc = devdb_prepare(db, &pStmt, "PRAGMA \"%w\".journal_mode", zSchema);
  if (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    const char *z = (const char *)sqlite3_column_text(pStmt, 0);
    if (z == 0)
      rc = SQLITE_NOMEM;
    else
      *pbWal = devdb_stricmp(z, "wal") == 0;
  }
  int rc2 = sqlite3_finalize(pStmt);
  return rc != SQLITE_OK ? rc : rc2;
}
