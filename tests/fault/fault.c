/*
** fault: the "nothing lost" driver (reliability.md §6 B, C, D, F, G, H).
**
**   fault [--mode LIST] [--dir DIR] [--max N] [--io-max N] [--seed S]
**         [--seeds N] [--kills N]
**         [--names FILE] [--only TEXT] [--at N] [--known FILE] OPS_FILE
**
** A loop with more points than --max (--io-max) visits every Nth one,
** starting at a point --seed picks (0: the first), so that runs with other
** seeds visit other points. --only NAME runs one operation (NAME* those whose name starts
*so); --at N
** runs only fault point N of each loop (with --only and --mode, the one a
** FAIL line names), printing the rows; --trace prints the statements too
** (tracing allocates for nested statements: memory fault numbers shift). With
** --known FILE (tests/fault/known.txt: "MODE OP reason" lines, the open
** bugs of other areas) a failure it lists prints as "known", not FAIL.
**
** Runs every operation of the table (ops.c, tests/fault/ops.txt) under each
** mode of LIST (comma-separated; default all):
**
**   oom       fail the Nth allocation, once and from then on (B1)
**   io        fail the Nth read, write, sync, truncate, lock, open, or fill
**             the disk, once and from then on; DELETE and WAL (B2-B4)
**   powerloss lose power at the Kth sync: unsynced writes kept, dropped or
**             garbled at random (B5)
**   kill      kill -9 at a random moment of the operation (C)
**   busy      another connection holds an exclusive lock for a moment: the
**             operation waits, then does its work (H5)
**   readonly  the database opened read-only (H1, H4)
**   race      four processes run the operation at once (D6)
**   ident     the operation over tables and columns with hostile names, and
**             beside tables named like devdb's own temporary ones (F)
**   bad       "bad" lines: each kind of bad input file (G, K1)
**
** "shell" lines (a devdb shell command; --devdb names the shell) run in the
** kill mode only: killed at random moments, the database must be as before
** or after and every backup the shell kept complete, holding the before.
**
** and checks after each run the invariants the operation names (N1 the
** database equals its state before or after a fault-free run; N2
** integrity; N3 acknowledged work survives a crash; N4 a file it writes is
** complete and verified, or absent, and an atomic operation commits once;
** N5 no transaction left open, no
** statement left running, no stray file, an error for failed work; N7 the
** same connection works afterwards). Leaks are checked after every
** iteration of the memory loop (and by LeakSanitizer in the sanitizer
** build). Prints "ok ..." or "FAIL ..." per operation and mode, and
** "figure KEY N" lines that tests/fault/run.sh adds up.
*/
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#define RW (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)

static unsigned char *file_bytes(const char *zPath, long *pn);
#define NRACE 4
#define MAX_STEP 64
#define DEFAULT_T "items"
#define DEFAULT_C "val"

static struct {
  const char *zModes;
  const char *zDir;
  const char *zOnly;
  const char *zNames;
  const char *zKnown; /* --known FILE: open bugs, reported as "known" */
  const char *zDevdb; /* --devdb PATH: the shell, for "shell" lines */
  int iAt;            /* --at N: run only this fault point */
  int bTrace;         /* --trace: print the statements it runs */
  int nMax;           /* fault points per operation and memory loop */
  int nIoMax;         /* ... and per I/O class */
  int nSeeds;         /* power-loss seeds per sync point */
  int nKills;         /* kill -9 runs per operation and journal mode */
  unsigned int seed;  /* --seed: where each strided loop starts */
  int nFail;
} g = {.zModes = "oom,io,powerloss,kill,busy,readonly,race,ident,bad",
       .nMax = 200,
       .nIoMax = 20,
       .nSeeds = 2,
       .nKills = 20};

/* Figures, printed at the end. */
static struct {
  long oomPoints, oomOps, ioPoints, ioOps, plCrashes, killCrashes, killRuns;
  long busyRuns, roRuns, raceRuns, names, namesRejected, collisions, badInputs;
  long oomOpen; /* transactions an allocation failure left open, COMMIT vetoed */
  long known;   /* failures of open bugs listed in --known */
} fig;

/* The fault-free run every faulted run is compared with. */
typedef struct Ref {
  uint64_t hBefore, hAfter; /* oracle_digest */
  uint64_t hRes;            /* the rows the statements returned */
  int nRow;
  int bWrites; /* the operation changes the database */
  int nAlloc;
  int anIo[FV_NCLASS];
  FileList after;             /* the files after */
  uint64_t aState[NRACE + 1]; /* after k runs, for the race */
  uint64_t hData;             /* oracle_data_digest after */
  char zErr2[256];            /* a second run in turn fails so ("" if not) */
  int nCommit;                /* transactions a fault-free run commits */
  uint64_t aStep[MAX_STEP];   /* the database at each of them */
} Ref;

/* The operation being run and what it must satisfy. */
typedef struct Ctx {
  Work w;
  Ref ref;
  const char *zMode;
  const char *zJournal;
  char *zPre;     /* statements run before faults are armed */
  char *zSql;     /* the statements under test */
  char *zCleanup; /* statements run after the checks */
  char *zWhy;     /* the first violation */
} Ctx;

static int has(const Ctx *c, int i) {
  return (c->w.pOp->mInv & INV_N(i)) != 0;
}

/* Record the first violation of this operation and mode. */
static void violation(Ctx *c, const char *zFmt, ...) {
  if (c->zWhy) return;
  va_list ap;
  va_start(ap, zFmt);
  char *z = sqlite3_vmprintf(zFmt, ap);
  va_end(ap);
  c->zWhy = strdup(z);
  sqlite3_free(z);
}

static double now_ms(void) {
  struct timeval tv;
  gettimeofday(&tv, 0);
  return tv.tv_sec * 1000.0 + tv.tv_usec / 1000.0;
}

/* Split w's statements at "-- faults from here" and "-- cleanup". */
static void split_sql(Ctx *c) {
  const char *zMark = "-- faults from here", *zClean = "-- cleanup";
  free(c->zPre);
  free(c->zSql);
  free(c->zCleanup);
  char *zAll = strdup(c->w.zSql);
  char *p = strstr(zAll, zClean);
  c->zCleanup = strdup(p ? p + strlen(zClean) : "");
  if (p) *p = 0;
  p = strstr(zAll, zMark);
  c->zPre = p ? strndup(zAll, p - zAll) : strdup("");
  c->zSql = strdup(p ? p + strlen(zMark) : zAll);
  free(zAll);
}

/* Close db after running the cleanup statements. */
static int close_clean(Ctx *c, sqlite3 *db) {
  if (c->zCleanup && c->zCleanup[0]) work_run(db, c->zCleanup, 0, 0);
  return sqlite3_close(db);
}

/* A connection to work.db with the statements before the faults run. */
static sqlite3 *open_ready(Ctx *c, int flags, const char *zVfs) {
  sqlite3 *db = work_open(&c->w, flags, zVfs);
  if (c->zPre[0] && work_run(db, c->zPre, 0, 0) != SQLITE_OK) {
    violation(c, "the statements before the faults fail: %s", sqlite3_errmsg(db));
  }
  return db;
}

/* ------------------------------------------------------------- reference */

/* 32-bit big-endian integer at a. */
static unsigned get4(const unsigned char *a) {
  return (unsigned)a[0] << 24 | (unsigned)a[1] << 16 | (unsigned)a[2] << 8 | a[3];
}

/* Write n bytes of a to zPath. */
static void put_bytes(const char *zPath, const unsigned char *a, long n) {
  FILE *f = fopen(zPath, "wb");
  if (f == 0 || (n > 0 && fwrite(a, 1, n, f) != (size_t)n)) {
    fprintf(stderr, "fault: cannot write %s\n", zPath);
    exit(2);
  }
  fclose(f);
}

/*
** The database at every commit of a fault-free run: the run happens in WAL
** mode without checkpoints, then the database is opened with each prefix
** of the log that ends at a commit frame. Sets ref.nCommit and ref.aStep.
*/
static void commit_points(Ctx *c) {
  Ref *r = &c->ref;
  work_restore(&c->w);
  sqlite3 *db = work_open(&c->w, RW, 0); /* the shim's clock: 'now' as in the runs */
  sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)0);
  /* the table makes an empty database's switch to WAL commit before the op */
  sqlite3_exec(db,
               "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;"
               "CREATE TABLE harness_wal(x); DROP TABLE harness_wal;",
               0, 0, 0);
  if (c->zPre[0]) work_run(db, c->zPre, 0, 0);
  char *zWal = sqlite3_mprintf("%s-wal", c->w.zDb);
  long nWal0 = 0;
  free(file_bytes(zWal, &nWal0));
  work_run(db, c->zSql, 0, 0);
  long nDb, nWal;
  unsigned char *aDb = file_bytes(c->w.zDb, &nDb), *aWal = file_bytes(zWal, &nWal);
  close_clean(c, db);
  char *zCopy = sqlite3_mprintf("%s/commit-point.db", c->w.zDir);
  char *zCopyWal = sqlite3_mprintf("%s-wal", zCopy);
  r->nCommit = 0;
  unsigned pgsz = nWal >= 32 ? get4(aWal + 8) : 0;
  for (long off = 32; pgsz && off + 24 + (long)pgsz <= nWal; off += 24 + pgsz) {
    if (off < nWal0 || get4(aWal + off + 4) == 0) continue; /* before the op; no commit */
    put_bytes(zCopy, aDb, nDb);
    put_bytes(zCopyWal, aWal, off + 24 + pgsz);
    sqlite3 *dbCopy = 0;
    sqlite3_open_v2(zCopy, &dbCopy, SQLITE_OPEN_READWRITE, 0);
    uint64_t h = oracle_digest(dbCopy);
    sqlite3_close(dbCopy);
    /* a synced commit may be padded with copies of its last frame */
    if (r->nCommit > 0 && r->aStep[(r->nCommit - 1) % MAX_STEP] == h) continue;
    if (r->nCommit < MAX_STEP) r->aStep[r->nCommit] = h;
    r->nCommit++;
  }
  remove(zCopy);
  remove(zCopyWal);
  sqlite3_free(zCopy);
  sqlite3_free(zCopyWal);
  sqlite3_free(zWal);
  free(aDb);
  free(aWal);
  if (r->nCommit > 1 && !c->w.pOp->bSteps && has(c, 1))
    violation(c,
              "N1: a fault-free run commits %d transactions; an atomic operation "
              "commits one (an operation that commits step by step is marked steps)",
              r->nCommit);
}

/* Run the operation without faults: the states, rows and counts faulted
** runs are compared with. Returns 0 on success. */
static int reference(Ctx *c) {
  Ref *r = &c->ref;
  files_free(&r->after);
  memset(r, 0, sizeof(*r));
  work_restore(&c->w);
  sqlite3 *db = open_ready(c, RW, 0);
  r->hBefore = oracle_digest(db);
  faultsim_arm(0, 0);
  faultvfs_arm(0, 0, 0);
  int rc = work_run(db, c->zSql, &r->hRes, &r->nRow);
  r->nAlloc = faultsim_calls();
  for (int i = 0; i < FV_NCLASS; i++) r->anIo[i] = faultvfs_count(i);
  if (rc != SQLITE_OK) {
    violation(c, "fails without any fault: %s", sqlite3_errmsg(db));
    close_clean(c, db);
    return 1;
  }
  r->hAfter = oracle_digest(db);
  r->hData = oracle_data_digest(db);
  r->bWrites = r->hBefore != r->hAfter;
  close_clean(c, db);
  files_list(c->w.zDir, &r->after);
  commit_points(c);
  /* the states after k runs in turn, each on its own connection */
  r->aState[0] = r->hBefore;
  r->aState[1] = r->hAfter;
  for (int k = 2; k <= NRACE; k++) {
    db = work_open(&c->w, RW, 0);
    if (work_run(db, c->zSql, 0, 0) != SQLITE_OK && k == 2)
      snprintf(r->zErr2, sizeof(r->zErr2), "%s", sqlite3_errmsg(db));
    r->aState[k] = oracle_digest(db);
    close_clean(c, db);
  }
  return 0;
}

/* --------------------------------------------------------------- oracles */

/*
** N5: the connection is out of any transaction; put it back if not. One
** case is SQLite's, not devdb's: after an allocation failure inside a
** function, SQLite rolls nothing back until the calling statement ends, so
** a function that had begun writing returns inside its transaction. devdb
** then vetoes that transaction's COMMIT (util.c); the check is that a
** COMMIT now leaves nothing of it (N1 is checked next).
*/
static void check_autocommit(Ctx *c, sqlite3 *db, int rc, const char *zWhen) {
  if (sqlite3_get_autocommit(db)) return;
  if ((rc & 0xff) == SQLITE_NOMEM) {
    fig.oomOpen++;
    sqlite3_exec(db, "COMMIT", 0, 0, 0);
    if (sqlite3_get_autocommit(db)) return;
  }
  if (has(c, 5)) violation(c, "N5: left the connection inside a transaction %s", zWhen);
  for (int i = 0; i < 10 && !sqlite3_get_autocommit(db); i++)
    sqlite3_exec(db, "ROLLBACK", 0, 0, 0);
}

/* N5: every statement the operation prepared is finalized. */
static void check_statements(Ctx *c, sqlite3 *db, const char *zWhen) {
  sqlite3_stmt *p = sqlite3_next_stmt(db, 0);
  if (p && has(c, 5))
    violation(c, "N5: left a statement open %s: %s", zWhen, sqlite3_sql(p));
}

/* 1 when the operation commits step by step and h is one of its steps. */
static int is_step(const Ctx *c, uint64_t h) {
  for (int i = 0; c->w.pOp->bSteps && i < c->ref.nCommit && i < MAX_STEP; i++)
    if (c->ref.aStep[i] == h) return 1;
  return 0;
}

/* N1: after rc the database is the state before or after, and exactly
** after when the operation reported success. Returns the digest. */
static uint64_t check_state(Ctx *c, sqlite3 *db, int rc, const char *zWhen) {
  uint64_t h = oracle_digest(db);
  if (!has(c, 1)) return h;
  if (h == 0) {
    violation(c, "N1: the database cannot be read %s: %s", zWhen, sqlite3_errmsg(db));
  } else if (rc == SQLITE_OK && h != c->ref.hAfter) {
    violation(c, "N1: reported success but the database is not in its after state %s",
              zWhen);
  } else if (h != c->ref.hBefore && h != c->ref.hAfter && !is_step(c, h)) {
    violation(c, "N1: the database is neither as before nor as after%s %s",
              c->w.pOp->bSteps ? " nor at a commit between" : "", zWhen);
  }
  return h;
}

/* N2: integrity_check. */
static void check_integrity(Ctx *c, sqlite3 *db, const char *zWhen) {
  char *zWhy = 0;
  if (has(c, 2) && oracle_integrity(db, &zWhy))
    violation(c, "N2: integrity_check %s: %s", zWhen, zWhy);
  free(zWhy);
}

/* 1 when zPath holds exactly what it held after setup. */
static int saved_unchanged(Ctx *c, const char *zPath) {
  size_t nDir = strlen(c->w.zDir);
  if (strncmp(zPath, c->w.zDir, nDir) != 0 || zPath[nDir] != '/') return 0;
  for (int i = 0; i < c->w.nSaved; i++) {
    if (strcmp(c->w.azSaved[i], zPath + nDir + 1) != 0) continue;
    long n;
    unsigned char *a = file_bytes(zPath, &n);
    int b = a && n == c->w.anSaved[i] && memcmp(a, c->w.aaSaved[i], n) == 0;
    free(a);
    return b;
  }
  return 0;
}

/* N4: the file the operation writes is complete and verified, or absent;
** present when the operation reported success. */
static void check_file(Ctx *c, int rc, const char *zWhen) {
  if (c->w.zFile == 0 || !has(c, 4)) return;
  uint64_t h = 0;
  char *zWhy = 0;
  struct stat st;
  int bExists = stat(c->w.zFile, &st) == 0;
  if (!bExists) {
    if (rc == SQLITE_OK) violation(c, "N4: reported success but wrote no file %s", zWhen);
  } else if (saved_unchanged(c, c->w.zFile)) {
    /* the file as setup left it: a previous backup, untouched */
  } else if (!oracle_file_db(c->w.zFile, &h, &zWhy)) {
    violation(c, "N4: the file it wrote is not a complete database %s: %s", zWhen,
              zWhy ? zWhy : "?");
  } else if (h != c->ref.hBefore && h != c->ref.hAfter) {
    violation(c, "N4: the file it wrote holds neither the before nor the after state %s",
              zWhen);
  }
  free(zWhy);
}

/* N5: no file is left that neither setup nor a fault-free run leaves (nor
** is in pAlso, when not NULL). */
static void check_files(Ctx *c, const FileList *pAlso, const char *zWhen) {
  if (!has(c, 5)) return;
  FileList now;
  files_list(c->w.zDir, &now);
  for (int i = 0; i < now.n; i++) {
    const char *z = now.az[i];
    if (files_is_sidecar(z) || files_has(&c->ref.after, z)) continue;
    if (pAlso && files_has(pAlso, z)) continue;
    int bSaved = 0;
    for (int j = 0; j < c->w.nSaved && !bSaved; j++) bSaved = !strcmp(c->w.azSaved[j], z);
    if (!bSaved) violation(c, "N5: left a stray file '%s' %s", z, zWhen);
  }
  files_free(&now);
}

/* N7: the same connection keeps working: when the operation failed and
** left the database as before, it runs again and gives the fault-free
** result; otherwise a query works. */
static void check_keeps_working(Ctx *c, sqlite3 *db, int rc, uint64_t hNow,
                                const char *zWhen) {
  if (!has(c, 7)) return;
  if (rc == SQLITE_OK || hNow != c->ref.hBefore) {
    if (work_run(db, "SELECT count(*) FROM sqlite_schema", 0, 0) != SQLITE_OK)
      violation(c, "N7: the connection fails after the fault %s: %s", zWhen,
                sqlite3_errmsg(db));
    return;
  }
  uint64_t h;
  int n;
  if (work_run(db, c->zSql, &h, &n) != SQLITE_OK) {
    violation(c, "N7: the operation fails again once the fault cleared %s: %s", zWhen,
              sqlite3_errmsg(db));
  } else if (h != c->ref.hRes || n != c->ref.nRow || oracle_digest(db) != c->ref.hAfter) {
    violation(c, "N7: once the fault cleared, the operation gives another result %s",
              zWhen);
  }
  check_autocommit(c, db, SQLITE_OK, zWhen);
}

/* A fresh connection through the plain VFS sees before or after, intact. */
static void check_fresh(Ctx *c, const char *zWhen) {
  sqlite3 *db = 0;
  sqlite3_open_v2(c->w.zDb, &db, SQLITE_OPEN_READWRITE, "unix");
  check_state(c, db, SQLITE_ERROR, zWhen);
  check_integrity(c, db, zWhen);
  sqlite3_close(db);
}

/* Every check after a run that ended with rc on db, and closes db. */
static void check_all(Ctx *c, sqlite3 *db, int rc, uint64_t hRes, int nRow,
                      const char *zWhen) {
  check_autocommit(c, db, rc, zWhen);
  check_statements(c, db, zWhen);
  int bOther =
      c->w.pOp->bWarns ? nRow != c->ref.nRow : hRes != c->ref.hRes || nRow != c->ref.nRow;
  if (rc == SQLITE_OK && has(c, 1) && bOther)
    violation(c,
              "N1: reported success with other rows than a fault-free run %s "
              "(%d rows instead of %d)",
              zWhen, nRow, c->ref.nRow);
  uint64_t h = check_state(c, db, rc, zWhen);
  check_integrity(c, db, zWhen);
  check_file(c, rc, zWhen);
  check_files(c, 0, zWhen);
  check_keeps_working(c, db, rc, h, zWhen);
  if (close_clean(c, db) != SQLITE_OK) {
    violation(c, "N5: the connection cannot close %s: %s", zWhen, sqlite3_errmsg(db));
    sqlite3_close_v2(db);
  }
}

/* --------------------------------------------------------------- reports */

/* The reason a known.txt line gives for MODE OP, or NULL. */
static char *known_reason(const char *zMode, const char *zOp) {
  static char zLine[1024];
  FILE *f = g.zKnown ? fopen(g.zKnown, "r") : 0;
  char *zFound = 0;
  while (f && !zFound && fgets(zLine, sizeof(zLine), f)) {
    char zM[64], zO[128];
    int n = 0;
    if (zLine[0] == '#' || sscanf(zLine, "%63s %127s %n", zM, zO, &n) < 2) continue;
    if (strcmp(zM, zMode) == 0 && strcmp(zO, zOp) == 0) {
      zLine[strcspn(zLine, "\n")] = 0;
      zFound = zLine + n;
    }
  }
  if (f) fclose(f);
  return zFound;
}

static void report(Ctx *c, const char *zDetail) {
  const Op *pOp = c->w.pOp;
  char zInv[32] = "", *p = zInv;
  for (int i = 1; i <= 7; i++)
    if (pOp->mInv & INV_N(i)) p += sprintf(p, "%sN%d", p == zInv ? "" : " ", i);
  const char *zKnown = known_reason(c->zMode, pOp->zName);
  if (c->zWhy && zKnown) {
    printf("known %s %s %s [%s]: %s (open bug: %s)\n", c->zMode, pOp->zName, c->zJournal,
           zInv, c->zWhy, zKnown);
    fig.known++;
  } else if (c->zWhy) {
    printf("FAIL %s %s %s [%s] (ops.txt:%d): %s\n", c->zMode, pOp->zName, c->zJournal,
           zInv, pOp->iLine, c->zWhy);
    g.nFail++;
  } else if (zKnown) {
    printf("ok %s %s %s [%s] %s (known.txt lists it, but it passes here)\n", c->zMode,
           pOp->zName, c->zJournal, zInv, zDetail);
  } else {
    printf("ok %s %s %s [%s] %s\n", c->zMode, pOp->zName, c->zJournal, zInv, zDetail);
  }
  fflush(stdout);
  free(c->zWhy);
  c->zWhy = 0;
}

/* ------------------------------------------------------ memory, I/O loops */

/* Arm the fault of mode eMode (0 memory, 1 I/O) for class e at iNth. */
static void arm(int eMode, int e, int iNth, int bPersist) {
  if (eMode == 0) {
    faultsim_arm(iNth, bPersist);
  } else {
    faultvfs_arm(e, iNth, bPersist);
  }
}

static int disarm(int eMode) {
  return eMode == 0 ? faultsim_disarm() : faultvfs_disarm();
}

/* --at: print each statement the operation runs, and how it ended. */
static int trace_stmt(unsigned eType, void *pCtx, void *p, void *x) {
  if (eType == SQLITE_TRACE_STMT) {
    const char *z = x;
    printf("# %s%.300s\n", strncmp(z, "--", 2) ? "" : "  ", z);
  }
  return 0;
}

/*
** One run with the fault armed at iNth. Returns 0 when the run ended before
** reaching it (the loop is over), 1 otherwise.
*/
static int faulted_run(Ctx *c, int eMode, int e, int iNth, int bPersist) {
  work_restore(&c->w);
  int64_t nLive = faultsim_live();
  sqlite3 *db = open_ready(c, RW, 0);
  if (g.iAt) {
    printf("# %s fault at #%d (%s)\n", bPersist ? "persistent" : "transient", iNth,
           eMode ? fv_class_name[e] : "allocation");
    if (g.bTrace) sqlite3_trace_v2(db, SQLITE_TRACE_STMT, trace_stmt, 0);
  }
  arm(eMode, e, iNth, bPersist);
  uint64_t hRes;
  int nRow, rc = work_run(db, c->zSql, &hRes, &nRow);
  int nFault = disarm(eMode);
  if (g.iAt) {
    printf("# -> rc=%d %s; autocommit=%d\n", rc, sqlite3_errmsg(db),
           sqlite3_get_autocommit(db));
    sqlite3_trace_v2(db, 0, 0, 0);
  }
  char zWhen[160];
  snprintf(zWhen, sizeof(zWhen), "(%s fault at %s #%d, %s; rc=%d %s)",
           bPersist ? "persistent" : "transient", eMode ? fv_class_name[e] : "allocation",
           iNth, c->zJournal, rc, rc ? sqlite3_errmsg(db) : "");
  if (nFault == 0 && rc != SQLITE_OK)
    violation(c, "failed although no fault was injected %s", zWhen);
  check_all(c, db, rc, hRes, nRow, zWhen);
  if (eMode == 0 && faultsim_live() != nLive)
    violation(c, "leak: %lld allocations not freed %s",
              (long long)(faultsim_live() - nLive), zWhen);
  if (eMode == 1) check_fresh(c, zWhen);
  return nFault > 0;
}

/* Loop the fault point over every call of class e (with a stride that keeps
** at most g.nMax points), transient then persistent. Returns points run.
** With --at N only point N runs, traced. */
static long fault_loop(Ctx *c, int eMode, int e, int nTotal) {
  long nPoint = 0;
  int nMax = eMode ? g.nIoMax : g.nMax;
  if (g.iAt) {
    for (int bPersist = 0; bPersist <= 1; bPersist++)
      faulted_run(c, eMode, e, g.iAt, bPersist);
    return 2;
  }
  int nStride = nTotal / nMax + 1;
  /* a stride starts at a point the seed picks, so runs cover other points */
  unsigned int h =
      g.seed * 2654435761u + (unsigned)c->w.pOp->iLine * 40503u + (unsigned)e;
  int iStart = 1 + (int)(h % (unsigned)nStride);
  for (int bPersist = 0; bPersist <= 1; bPersist++) {
    for (int i = iStart; i <= nTotal + 1 && !c->zWhy; i += nStride) {
      nPoint++;
      if (!faulted_run(c, eMode, e, i, bPersist)) break;
    }
  }
  return nPoint;
}

/* sqlite3_devdb_init itself under memory faults: an error, no leak, and a
** retry that works. */
static void oom_init(void) {
  long nPoint = 0;
  char *zWhy = 0;
  for (int bPersist = 0; bPersist <= 1 && !zWhy; bPersist++) {
    for (int i = 1; !zWhy; i++) {
      int64_t nLive = faultsim_live();
      sqlite3 *db = 0;
      sqlite3_open_v2(":memory:", &db, RW, 0);
      char *zErr = 0;
      faultsim_arm(i, bPersist);
      int rc = sqlite3_devdb_init(db, &zErr, 0);
      int nFault = faultsim_disarm();
      nPoint++;
      sqlite3_free(zErr);
      zErr = 0;
      if (rc != SQLITE_OK && sqlite3_devdb_init(db, &zErr, 0) != SQLITE_OK)
        zWhy = sqlite3_mprintf("N7: registering again after an allocation failure "
                               "fails: %s",
                               zErr);
      if (work_run(db, "SELECT devdb_version()", 0, 0) != SQLITE_OK && !zWhy)
        zWhy = sqlite3_mprintf("N7: devdb_version() fails after a failed init at #%d", i);
      sqlite3_free(zErr);
      sqlite3_close(db);
      if (faultsim_live() != nLive && !zWhy)
        zWhy = sqlite3_mprintf("leak in sqlite3_devdb_init at allocation #%d", i);
      if (nFault == 0) break;
    }
  }
  fig.oomPoints += nPoint;
  if (zWhy) {
    printf("FAIL oom sqlite3_devdb_init: %s\n", zWhy);
    g.nFail++;
  } else {
    printf("ok oom sqlite3_devdb_init [N5 N7] %ld points\n", nPoint);
  }
  sqlite3_free(zWhy);
}

static void mode_oom(Ctx *c) {
  long n = fault_loop(c, 0, 0, c->ref.nAlloc);
  fig.oomPoints += n;
  fig.oomOps++;
  char z[64];
  snprintf(z, sizeof(z), "%ld points of %d allocations", n, c->ref.nAlloc);
  report(c, z);
}

static void mode_io(Ctx *c) {
  long n = 0;
  for (int e = 0; e < FV_NCLASS && !c->zWhy; e++)
    n += fault_loop(c, 1, e, c->ref.anIo[e]);
  fig.ioPoints += n;
  fig.ioOps++;
  char z[128];
  snprintf(z, sizeof(z), "%ld points (r%d w%d s%d t%d l%d o%d)", n, c->ref.anIo[FV_READ],
           c->ref.anIo[FV_WRITE], c->ref.anIo[FV_SYNC], c->ref.anIo[FV_TRUNCATE],
           c->ref.anIo[FV_LOCK], c->ref.anIo[FV_OPEN]);
  report(c, z);
}

/* --------------------------------------------------- crashes: child runs */

/* What a child reports through its pipe. */
enum { CHILD_STARTED = 'S', CHILD_ACKED = 'A', CHILD_FAILED = 'F' };

/* In a child: run the operation with power lost at sync iSync (0: never)
** or every write and sync slowed by iDelay us, say how it went and, for a
** power loss, do more durable work on another file so that a later crash
** point falls after the acknowledgement (N3). Never returns. */
static void child_run(Ctx *c, int fd, int iSync, unsigned int seed, int iDelay) {
  sqlite3 *db = open_ready(c, RW, 0);
  if (iSync) faultvfs_powerloss(iSync, seed);
  faultvfs_delay(iDelay);
  char ch = CHILD_STARTED;
  if (write(fd, &ch, 1) != 1) _exit(3);
  int rc = work_run(db, c->zSql, 0, 0);
  ch = rc == SQLITE_OK ? CHILD_ACKED : CHILD_FAILED;
  if (write(fd, &ch, 1) != 1) _exit(3);
  sqlite3_close(db);
  if (iSync) {
    char *zOther = sqlite3_mprintf("%s/other.db", c->w.zDir);
    sqlite3 *db2 = 0;
    sqlite3_open_v2(zOther, &db2, RW, 0);
    sqlite3_exec(db2, "CREATE TABLE IF NOT EXISTS t(x); INSERT INTO t VALUES(1);", 0, 0,
                 0);
    sqlite3_close(db2);
    sqlite3_free(zOther);
  }
  _exit(0);
}

/* Read what the child said: 2 acked, 1 started, 0 nothing. */
static int child_said(int fd) {
  char a[8];
  int n, r = 0;
  while ((n = (int)read(fd, a, sizeof(a))) > 0) {
    for (int i = 0; i < n; i++) {
      if (a[i] == CHILD_STARTED && r < 1) r = 1;
      if (a[i] == CHILD_ACKED) r = 2;
    }
  }
  return r;
}

/* After a crash: the database (opened fresh, as after a reboot) is intact and
** as before or after; after when the child had acknowledged (N3); the file
** it writes is complete or absent (N4). */
static void check_after_crash(Ctx *c, int bAcked, const char *zWhen) {
  sqlite3 *db = 0;
  sqlite3_open_v2(c->w.zDb, &db, SQLITE_OPEN_READWRITE, "unix");
  uint64_t h = check_state(c, db, SQLITE_ERROR, zWhen);
  if (bAcked && has(c, 3) && h != c->ref.hAfter)
    violation(c, "N3: acknowledged work is lost %s", zWhen);
  check_integrity(c, db, zWhen);
  sqlite3_close(db);
  check_file(c, bAcked ? SQLITE_OK : SQLITE_ERROR, zWhen);
}

static void mode_powerloss(Ctx *c) {
  long nCrash = 0;
  int nPoint = c->ref.anIo[FV_SYNC] + 8;
  int nStride = nPoint / g.nMax + 1;
  char *zShm = sqlite3_mprintf("%s-shm", c->w.zDb);
  for (int k = 1; k <= nPoint && !c->zWhy; k += nStride) {
    int bCompleted = 1;
    for (int s = 1; s <= g.nSeeds && !c->zWhy; s++) {
      work_restore(&c->w);
      int fd[2];
      if (pipe(fd)) exit(2);
      fflush(stdout);
      pid_t pid = fork();
      if (pid == 0) {
        close(fd[0]);
        child_run(c, fd[1], k, (unsigned)(k * 7919 + s), 0);
      }
      close(fd[1]);
      int st = 0;
      waitpid(pid, &st, 0);
      int bAcked = child_said(fd[0]) == 2;
      close(fd[0]);
      char zWhen[128];
      snprintf(zWhen, sizeof(zWhen), "(power lost at sync #%d, seed %d, %s)", k, s,
               c->zJournal);
      if (WIFEXITED(st) && WEXITSTATUS(st) == 0) continue;
      bCompleted = 0;
      if (!WIFEXITED(st) || WEXITSTATUS(st) != FV_CRASH_STATUS) {
        violation(c, "the child died otherwise (status %d) %s", st, zWhen);
        break;
      }
      nCrash++;
      remove(zShm); /* the wal-index does not survive a reboot */
      check_after_crash(c, bAcked, zWhen);
    }
    if (bCompleted) break;
  }
  sqlite3_free(zShm);
  fig.plCrashes += nCrash;
  char z[64];
  snprintf(z, sizeof(z), "%ld power losses", nCrash);
  report(c, z);
}

/* Microseconds each write and sync sleeps in the kill mode. */
#define KILL_DELAY_US 300

static void mode_kill(Ctx *c) {
  /* how long the operation takes on the slowed disk */
  work_restore(&c->w);
  double t0 = now_ms();
  pid_t pid = fork();
  if (pid == 0) {
    sqlite3 *db = open_ready(c, RW, 0);
    faultvfs_delay(KILL_DELAY_US);
    _exit(work_run(db, c->zSql, 0, 0) == SQLITE_OK ? 0 : 1);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  double ms = now_ms() - t0;
  long nCrash = 0;
  unsigned int seed = 12345;
  for (int r = 0; r < g.nKills && !c->zWhy; r++) {
    work_restore(&c->w);
    int fd[2];
    if (pipe(fd)) exit(2);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
      close(fd[0]);
      child_run(c, fd[1], 0, 0, KILL_DELAY_US);
    }
    close(fd[1]);
    char ch;
    int bStarted = read(fd[0], &ch, 1) == 1;
    seed = seed * 1103515245u + 12345u;
    double wait = (seed >> 8) % 1000 / 1000.0 * 1.5 * ms;
    usleep((useconds_t)(wait * 1000));
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    int bAcked = child_said(fd[0]) == 2;
    close(fd[0]);
    fig.killRuns++;
    if (!bStarted) continue;
    if (!bAcked) nCrash++;
    char zWhen[128];
    snprintf(zWhen, sizeof(zWhen), "(kill -9 after %.1f ms of %.1f, %s)", wait, ms,
             c->zJournal);
    check_after_crash(c, bAcked, zWhen);
  }
  fig.killCrashes += nCrash;
  char z[96];
  snprintf(z, sizeof(z), "%d kills, %ld mid-operation (%.1f ms each)", g.nKills, nCrash,
           ms);
  report(c, z);
}

/* ------------------------------------------------------ shell commands */

/* Start the shell on work.db with the line's arguments, in w's directory;
** stdin is /dev/null. Returns the child's pid. */
static pid_t shell_start(Ctx *c) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(c->w.zDir) != 0) _exit(3);
    int fd = open("/dev/null", O_RDWR);
    dup2(fd, 0);
    dup2(fd, 1);
    dup2(fd, 2);
    char *zCmd = sqlite3_mprintf("exec \"$FAULT_DEVDB\" work.db %s", c->zSql);
    setenv("FAULT_DEVDB", g.zDevdb, 1);
    execl("/bin/sh", "sh", "-c", zCmd, (char *)0);
    _exit(3);
  }
  return pid;
}

/* N4 for the shell: every backup under .devdb/backups beside the database
** that has its final name is complete and holds the state before. */
static void check_backups(Ctx *c, const char *zWhen) {
  char *zDir = sqlite3_mprintf("%s/.devdb/backups", c->w.zDir);
  FileList fl;
  files_list(zDir, &fl);
  for (int i = 0; i < fl.n && has(c, 4); i++) {
    if (strstr(fl.az[i], ".tmp-") || !strstr(fl.az[i], ".db")) continue;
    if (files_is_sidecar(fl.az[i])) continue;
    char *zPath = sqlite3_mprintf("%s/%s", zDir, fl.az[i]);
    uint64_t h = 0;
    char *zWhy = 0;
    if (!oracle_file_db(zPath, &h, &zWhy))
      violation(c, "N4: backup %s is not a complete database %s: %s", fl.az[i], zWhen,
                zWhy ? zWhy : "?");
    else if (h != c->ref.hBefore)
      violation(c, "N4: backup %s does not hold the state before %s", fl.az[i], zWhen);
    free(zWhy);
    sqlite3_free(zPath);
  }
  files_free(&fl);
  sqlite3_free(zDir);
}

/* The database as a fresh connection sees it (0: unreadable). */
static uint64_t db_digest(Ctx *c) {
  sqlite3 *db = 0;
  sqlite3_open_v2(c->w.zDb, &db, SQLITE_OPEN_READWRITE, "unix");
  uint64_t h = oracle_digest(db);
  sqlite3_close(db);
  return h;
}

/* A shell command killed at random moments: the database is as before or
** after, intact, and every backup it left is complete (N1, N2, N4). */
static void mode_shell_kill(Ctx *c) {
  work_restore(&c->w);
  c->ref.hBefore = db_digest(c);
  double t0 = now_ms();
  int st = 0;
  waitpid(shell_start(c), &st, 0);
  double ms = now_ms() - t0;
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    violation(c, "fails without any fault (exit status %d)", st);
    report(c, "");
    return;
  }
  c->ref.hAfter = db_digest(c);
  check_backups(c, "(fault-free run)");
  long nCrash = 0;
  unsigned int seed = 4321;
  for (int r = 0; r < g.nKills && !c->zWhy; r++) {
    work_restore(&c->w);
    pid_t pid = shell_start(c);
    seed = seed * 1103515245u + 12345u;
    double wait = (seed >> 8) % 1000 / 1000.0 * 1.2 * ms;
    usleep((useconds_t)(wait * 1000));
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    fig.killRuns++;
    if (WIFSIGNALED(st)) nCrash++;
    char zWhen[96];
    snprintf(zWhen, sizeof(zWhen), "(kill -9 after %.1f ms of %.1f)", wait, ms);
    check_after_crash(c, WIFEXITED(st) && WEXITSTATUS(st) == 0, zWhen);
    check_backups(c, zWhen);
  }
  fig.killCrashes += nCrash;
  char z[96];
  snprintf(z, sizeof(z), "%d kills, %ld before it ended (%.1f ms each)", g.nKills, nCrash,
           ms);
  report(c, z);
}

/* ------------------------------------------------- contention, read-only */

/* 1 when the message says the database was busy or locked. */
static int says_busy(const char *z) {
  return strstr(z, "locked") || strstr(z, "busy") || strstr(z, "BUSY");
}

/* A lock another connection holds until ms have passed or the operation
** has returned, whichever comes first. */
typedef struct Hold {
  sqlite3 *db;
  int ms, bDone;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  pthread_t thread;
} Hold;

static void *hold_run(void *p) {
  Hold *h = p;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += h->ms / 1000;
  ts.tv_nsec += (long)(h->ms % 1000) * 1000000;
  if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
  pthread_mutex_lock(&h->mu);
  while (!h->bDone && pthread_cond_timedwait(&h->cv, &h->mu, &ts) == 0) {
  }
  pthread_mutex_unlock(&h->mu);
  sqlite3_exec(h->db, "COMMIT", 0, 0, 0);
  return 0;
}

static void hold_start(Hold *h, const char *zDb, int ms) {
  memset(h, 0, sizeof(*h));
  h->ms = ms;
  pthread_mutex_init(&h->mu, 0);
  pthread_cond_init(&h->cv, 0);
  sqlite3_open_v2(zDb, &h->db, SQLITE_OPEN_READWRITE, "unix");
  sqlite3_exec(h->db, "BEGIN EXCLUSIVE", 0, 0, 0);
  pthread_create(&h->thread, 0, hold_run, h);
}

static void hold_end(Hold *h) {
  pthread_mutex_lock(&h->mu);
  h->bDone = 1;
  pthread_cond_signal(&h->cv);
  pthread_mutex_unlock(&h->mu);
  pthread_join(h->thread, 0);
  sqlite3_close(h->db);
  pthread_mutex_destroy(&h->mu);
  pthread_cond_destroy(&h->cv);
}

/* One busy run: a lock held up to msHold, the operation's busy timeout
** msTimeout. bMustWait: it must wait and succeed. */
static void busy_run(Ctx *c, int msHold, int msTimeout, int bMustWait) {
  work_restore(&c->w);
  sqlite3 *db = open_ready(c, RW, 0);
  Hold h;
  hold_start(&h, c->w.zDb, msHold);
  sqlite3_busy_timeout(db, msTimeout);
  uint64_t hRes;
  int nRow;
  double t0 = now_ms();
  int rc = work_run(db, c->zSql, &hRes, &nRow);
  double ms = now_ms() - t0;
  char zWhen[128];
  snprintf(zWhen, sizeof(zWhen),
           "(another connection held an exclusive lock %d ms; busy "
           "timeout %d ms; rc=%d after %.0f ms)",
           msHold, msTimeout, rc, ms);
  if (rc != SQLITE_OK && bMustWait)
    violation(c, "N5: failed instead of waiting for the lock %s: %s", zWhen,
              sqlite3_errmsg(db));
  else if (rc != SQLITE_OK && !says_busy(sqlite3_errmsg(db)))
    violation(c, "N5: the error does not say the database is locked %s: %s", zWhen,
              sqlite3_errmsg(db));
  check_autocommit(c, db, rc, zWhen);
  hold_end(&h);
  sqlite3_busy_timeout(db, 0);
  check_all(c, db, rc, hRes, nRow, zWhen);
}

/* A lock held for a moment: the operation waits, then does its work. Held
** longer than its busy timeout: it fails saying so, changing nothing. */
static void mode_busy(Ctx *c) {
  busy_run(c, 250, 2000, 1);
  if (!c->zWhy) busy_run(c, 1500, 100, 0);
  fig.busyRuns += 2;
  report(c, "waited for a lock; refused clearly when it stayed");
}

/* The bytes of a file (malloc'd) and their count. */
static unsigned char *file_bytes(const char *zPath, long *pn) {
  FILE *f = fopen(zPath, "rb");
  *pn = 0;
  if (f == 0) return 0;
  fseek(f, 0, SEEK_END);
  *pn = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *a = malloc(*pn + 1);
  if (fread(a, 1, *pn, f) != (size_t)*pn) *pn = -1;
  fclose(f);
  return a;
}

static void mode_readonly(Ctx *c) {
  work_restore(&c->w);
  long n0, n1;
  unsigned char *a0 = file_bytes(c->w.zDb, &n0);
  char *zUri = sqlite3_mprintf("file:%s?mode=ro", c->w.zDb);
  Work w2 = c->w;
  w2.zDb = zUri;
  sqlite3 *db = work_open(&w2, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, 0);
  int rc = c->zPre[0] ? work_run(db, c->zPre, 0, 0) : SQLITE_OK;
  uint64_t hRes = 0;
  int nRow = 0;
  if (rc == SQLITE_OK) {
    rc = work_run(db, c->zSql, &hRes, &nRow);
    const char *zWhen = "(database opened read-only)";
    if (c->ref.bWrites && rc == SQLITE_OK)
      violation(c, "N1: reported success on a read-only database");
    if (!c->ref.bWrites && rc != SQLITE_OK)
      violation(c, "a read-only database cannot be read: %s", sqlite3_errmsg(db));
    if (rc == SQLITE_OK && (hRes != c->ref.hRes || nRow != c->ref.nRow))
      violation(c, "N1: other rows on a read-only database");
    check_autocommit(c, db, rc, zWhen);
    check_statements(c, db, zWhen);
  }
  close_clean(c, db);
  unsigned char *a1 = file_bytes(c->w.zDb, &n1);
  if (n0 != n1 || memcmp(a0, a1, n0) != 0)
    violation(c, "N1: a read-only database file changed");
  free(a0);
  free(a1);
  sqlite3_free(zUri);
  fig.roRuns++;
  report(c, c->ref.bWrites ? "writes refused" : "reads work");
}

/* Four processes run the operation at once; each succeeds, or fails as a
** second run in turn does, or waits and then fails clearly; the database is
** the state after as many runs as succeeded. */
static void mode_race(Ctx *c) {
  if (c->zPre[0]) {
    report(c, "skipped (statements before the faults)");
    return;
  }
  work_restore(&c->w);
  int go[2], res[NRACE][2];
  pid_t pid[NRACE];
  if (pipe(go)) exit(2);
  fflush(stdout);
  for (int i = 0; i < NRACE; i++) {
    if (pipe(res[i])) exit(2);
    pid[i] = fork();
    if (pid[i] == 0) {
      close(go[1]);
      char ch;
      sqlite3 *db = work_open(&c->w, RW, 0);
      sqlite3_busy_timeout(db, 5000);
      if (read(go[0], &ch, 1) < 0) _exit(3);
      double t0 = now_ms();
      int rc = work_run(db, c->zSql, 0, 0);
      char zMsg[256];
      int n = snprintf(zMsg, sizeof(zMsg), "%d %.0f %s", rc, now_ms() - t0,
                       rc ? sqlite3_errmsg(db) : "");
      if (write(res[i][1], zMsg, n) != n) _exit(3);
      _exit(0);
    }
    close(res[i][1]);
  }
  close(go[0]);
  close(go[1]); /* all start now */
  int nOk = 0;
  for (int i = 0; i < NRACE; i++) {
    char zMsg[256] = "";
    int n = (int)read(res[i][0], zMsg, sizeof(zMsg) - 1);
    zMsg[n > 0 ? n : 0] = 0;
    close(res[i][0]);
    waitpid(pid[i], 0, 0);
    int rc = atoi(zMsg);
    double ms = atof(strchr(zMsg, ' ') ? strchr(zMsg, ' ') + 1 : "0");
    const char *zErr = strchr(zMsg, ' ') ? strchr(strchr(zMsg, ' ') + 1, ' ') : 0;
    if (zErr) zErr++; /* past the space */
    if (rc == SQLITE_OK) {
      nOk++;
    } else if (c->ref.zErr2[0] && zErr && strcmp(zErr, c->ref.zErr2) == 0) {
      /* fails as a second run in turn does (loading the same rows twice) */
    } else if (!says_busy(zErr ? zErr : "")) {
      violation(c, "N5: a concurrent run failed with an unclear error: %s", zErr);
    } else if (ms < 4000) {
      violation(c,
                "N5: a concurrent run gave up after %.0f ms instead of waiting for the "
                "busy timeout (a deferred transaction upgraded to a write?): %s",
                ms, zErr);
    }
  }
  sqlite3 *db = 0;
  sqlite3_open_v2(c->w.zDb, &db, SQLITE_OPEN_READWRITE, "unix");
  if (has(c, 1) && oracle_digest(db) != c->ref.aState[nOk])
    violation(c,
              "N1: after %d concurrent successes the database is not the state of %d "
              "runs",
              nOk, nOk);
  check_integrity(c, db, "(after concurrent runs)");
  sqlite3_close(db);
  fig.raceRuns++;
  char z[64];
  snprintf(z, sizeof(z), "%d of %d concurrent runs succeeded", nOk, NRACE);
  report(c, z);
}

/* ------------------------------------------------------------ identifiers */

/* Hostile names (reliability.md §6 F): quotes, brackets, spaces,
** semicolons, comments, control characters, unicode, keywords, format
** directives, the sqlite_ prefix. */
static const char *azName[] = {
    "has\"quote",
    "x\"; DROP TABLE victim; --",
    "it's",
    "'; DROP TABLE victim; --",
    "`tick`",
    "[brackets]",
    "]",
    "a b",
    " lead and trail ",
    "semi;colon",
    "-- comment",
    "/* comment */",
    "new\nline",
    "tab\there",
    "cr\rhere",
    "dot.name",
    "main.items",
    "zero\xe2\x80\x8bwidth",
    "rtl\xe2\x80\x8fmark",
    "caf\xc3\xa9",
    "\xe8\xa1\xa8",
    "\xf0\x9f\x98\x80",
    "select",
    "from",
    "table",
    "order",
    "main",
    "temp",
    "rowid",
    "oid",
    "_rowid_",
    "null",
    "default",
    "%",
    "%w",
    "%s%s%n",
    "?1",
    "$x",
    ":x",
    "@x",
    "1",
    "1e5",
    "x'00'",
    "(",
    ")",
    ",",
    "*",
    "\\",
    "sqlite_x",
    "Items",
    "ITEMS",
    "",
};

/* The op's rows and data after running it with table zT and column zC
** (and an extra table zExtra with one row, when not NULL). Returns 1 when
** SQLite rejected the names in setup, else 0 with rc and the digests. */
static int ident_run(Ctx *c, const char *zT, const char *zC, const char *zExtra, int *pRc,
                     int *pnRow, uint64_t *phData, uint64_t *phExtra, char **pzErr) {
  const Op *pOp = c->w.pOp;
  char *zWhy = 0;
  work_free(&c->w);
  if (work_prepare(&c->w, pOp, g.zDir, "delete", zT, zC, 0, &zWhy)) {
    free(zWhy);
    return 1;
  }
  split_sql(c);
  sqlite3 *db = open_ready(c, RW, 0);
  if (zExtra) {
    char *z = sqlite3_mprintf("CREATE TABLE \"%w\"(harness_x); INSERT INTO \"%w\" "
                              "VALUES('keep me')",
                              zExtra, zExtra);
    if (sqlite3_exec(db, z, 0, 0, 0) != SQLITE_OK) {
      sqlite3_free(z);
      sqlite3_close(db);
      return 1;
    }
    sqlite3_free(z);
  }
  uint64_t hExtra0 = zExtra ? oracle_table_digest(db, zExtra) : 0;
  *pRc = work_run(db, c->zSql, 0, pnRow);
  *pzErr = strdup(sqlite3_errmsg(db));
  char zWhen[64];
  snprintf(zWhen, sizeof(zWhen), "(names %s)", zExtra ? "beside a collision" : "hostile");
  check_autocommit(c, db, *pRc, zWhen);
  check_statements(c, db, zWhen);
  check_integrity(c, db, zWhen);
  *phData = oracle_data_digest(db);
  *phExtra = zExtra ? oracle_table_digest(db, zExtra) : 0;
  if (zExtra && *phExtra != hExtra0) *phExtra = 0;
  close_clean(c, db);
  return 0;
}

/* The names devdb uses for its own temporary objects, one per line. */
static char **read_names(const char *zFile, int *pn) {
  char **az = 0, zLine[1024];
  *pn = 0;
  FILE *f = zFile ? fopen(zFile, "r") : 0;
  while (f && fgets(zLine, sizeof(zLine), f)) {
    zLine[strcspn(zLine, "\n")] = 0;
    if (zLine[0] == 0) continue;
    az = realloc(az, sizeof(char *) * (*pn + 1));
    az[(*pn)++] = strdup(zLine);
  }
  if (f) fclose(f);
  return az;
}

static void mode_ident(Ctx *c) {
  int rc, nRow0, nRow;
  uint64_t hData0, hData, hExtra;
  char *zErr = 0;
  const Op *pOp = c->w.pOp;
  /* the reference: default names, beside an extra table */
  if (ident_run(c, DEFAULT_T, DEFAULT_C, "harness_probe", &rc, &nRow0, &hData0, &hExtra,
                &zErr) ||
      rc != SQLITE_OK) {
    violation(c, "fails with the default names: %s", zErr ? zErr : "setup failed");
  }
  free(zErr);
  zErr = 0;
  int nTried = 0, nRejected = 0;
  /* hostile table and column names: the same work as with plain names */
  for (size_t i = 0; i < sizeof(azName) / sizeof(azName[0]) && !c->zWhy; i++) {
    const char *zName = azName[i];
    nTried++;
    uint64_t hD;
    if (ident_run(c, zName, zName, "harness_probe", &rc, &nRow, &hD, &hExtra, &zErr)) {
      nRejected++;
      continue;
    }
    if (rc != SQLITE_OK)
      violation(c, "fails on the name [%s]: %s", zName, zErr);
    else if (hD != hData0 || nRow != nRow0)
      violation(c,
                "N1: on the name [%s] it does other work than on plain names "
                "(%d rows instead of %d%s)",
                zName, nRow, nRow0, hD != hData0 ? ", other data" : "");
    else if (hExtra == 0)
      violation(c, "N1: on the name [%s] it changed another table", zName);
    free(zErr);
    zErr = 0;
  }
  /* tables named like devdb's temporary objects must survive untouched */
  int nCollide = 0;
  char **azCollide = read_names(g.zNames, &nCollide);
  for (int i = 0; i < nCollide && !c->zWhy; i++) {
    nTried++;
    if (ident_run(c, DEFAULT_T, DEFAULT_C, azCollide[i], &rc, &nRow, &hData, &hExtra,
                  &zErr)) {
      nRejected++;
      continue;
    }
    fig.collisions++;
    if (hExtra == 0)
      violation(c,
                "N1: a table named [%s] (like devdb's temporary ones) was changed or "
                "dropped",
                azCollide[i]);
    else if (rc == SQLITE_OK && (hData != hData0 || nRow != nRow0))
      violation(c, "N1: beside a table named [%s] it does other work", azCollide[i]);
    free(zErr);
    zErr = 0;
  }
  for (int i = 0; i < nCollide; i++) free(azCollide[i]);
  free(azCollide);
  fig.names += nTried;
  fig.namesRejected += nRejected;
  char z[96];
  snprintf(z, sizeof(z), "%d names (%d rejected by SQLite itself)", nTried, nRejected);
  (void)pOp;
  report(c, z);
}

/* ------------------------------------------------------------- bad input */

/* Kinds of bad input file. */
static const char *azBad[] = {"missing", "empty",  "text",      "binary",    "nul",
                              "utf8",    "header", "truncated", "directory", "dangling"};
#define NBAD ((int)(sizeof(azBad) / sizeof(azBad[0])))

/* Make the bad input of kind i at zPath (a valid database to cut from is
** zDb). */
static void make_bad(int i, const char *zPath, const char *zDb) {
  FILE *f = 0;
  long n;
  unsigned char *a;
  switch (i) {
  case 0: /* missing */
    return;
  case 8: /* a directory */
    mkdir(zPath, 0755);
    return;
  case 9: /* a symbolic link to nothing */
    if (symlink("/nonexistent/devdb-harness", zPath)) exit(2);
    return;
  }
  f = fopen(zPath, "wb");
  switch (i) {
  case 2:
    fputs("this is not what it claims to be\n", f);
    break;
  case 3:
    for (int k = 0; k < 4096; k++) fputc((k * 7919 + 13) % 251, f);
    break;
  case 4:
    fwrite("CREATE TABLE a(x);\0CREATE TABLE b(y);\n", 1, 38, f);
    break;
  case 5:
    fputs("\xff\xfe CREATE TABLE \xc3\x28(x \xe2\x82);\n", f);
    break;
  case 6:
  case 7:
    a = file_bytes(zDb, &n);
    fwrite(a, 1, i == 6 ? 100 : (n > 1500 ? 1500 : n / 2), f);
    free(a);
    break;
  }
  fclose(f);
}

/* 1 when the comma-separated list zList holds zWord. */
static int list_has(const char *zList, const char *zWord) {
  size_t n = strlen(zWord);
  for (const char *p = zList; p && (p = strstr(p, zWord)) != 0; p += n) {
    if ((p == zList || p[-1] == ',') && (p[n] == 0 || p[n] == ',')) return 1;
  }
  return 0;
}

/* One bad input of kind i: refused with an error naming the file (unless
** the line accepts that kind), and nothing changed. */
static void bad_one(Ctx *c, int i, const char *zTail) {
  const Op *pOp = c->w.pOp;
  char *zPath = sqlite3_mprintf("%s/bad input %s%s", g.zDir, azBad[i], zTail);
  char *zWhy = 0;
  work_free(&c->w);
  if (work_prepare(&c->w, pOp, g.zDir, "delete", DEFAULT_T, DEFAULT_C, zPath, &zWhy)) {
    violation(c, "setup fails: %s", zWhy);
    free(zWhy);
    sqlite3_free(zPath);
    return;
  }
  split_sql(c);
  sqlite3 *db = open_ready(c, RW, 0);
  c->ref.hBefore = c->ref.hAfter = oracle_digest(db);
  if (zTail[0] == '/') { /* {dirof:NAME}: the directory exists */
    char *zDir = sqlite3_mprintf("%.*s", (int)(strrchr(zPath, '/') - zPath), zPath);
    mkdir(zDir, 0755);
    sqlite3_free(zDir);
  }
  make_bad(i, zPath, c->w.zDb);
  FileList before;
  files_list(c->w.zDir, &before);
  int rc = work_run(db, c->zSql, 0, 0);
  const char *zBase = strrchr(zPath, '/') + 1;
  char zWhen[96];
  snprintf(zWhen, sizeof(zWhen), "(bad input: %s)", azBad[i]);
  int bAccept = list_has(pOp->zAccept, azBad[i]);
  if (rc == SQLITE_OK && !bAccept)
    violation(c, "accepted a bad input without an error %s", zWhen);
  else if (rc != SQLITE_OK && !bAccept && !strstr(sqlite3_errmsg(db), zBase))
    violation(c, "the error does not name the file %s: %s", zWhen, sqlite3_errmsg(db));
  check_autocommit(c, db, rc, zWhen);
  check_statements(c, db, zWhen);
  if (!(bAccept && rc == SQLITE_OK)) { /* refused: nothing changed */
    check_state(c, db, rc, zWhen);
    check_files(c, &before, zWhen);
  }
  check_integrity(c, db, zWhen);
  if (work_run(db, "SELECT count(*) FROM sqlite_schema", 0, 0) != SQLITE_OK && has(c, 7))
    violation(c, "N7: the connection fails after the bad input %s", zWhen);
  sqlite3_close(db);
  files_free(&before);
  fig.badInputs++;
  sqlite3_free(zPath);
}

static void mode_bad(Ctx *c) {
  const char *zOpen = strstr(c->w.pOp->zSql, "{path");
  const char *zDirOf = strstr(c->w.pOp->zSql, "{dirof:");
  char zTail[256] = "";
  if (zDirOf) /* the bad input is NAME inside a directory */
    snprintf(zTail, sizeof(zTail), "/%.*s", (int)strcspn(zDirOf + 7, "}"), zDirOf + 7);
  else if (zOpen[5] == '.') /* {path.EXT} */
    snprintf(zTail, sizeof(zTail), "%.*s", (int)strcspn(zOpen + 5, "}"), zOpen + 5);
  for (int i = 0; i < NBAD && !c->zWhy; i++) bad_one(c, i, zTail);
  report(c, "every kind of bad input refused, naming the file");
}

/* ------------------------------------------------------------------ main */

static int mode_on(const char *zMode) {
  const char *p = strstr(g.zModes, zMode);
  size_t n = strlen(zMode);
  return p && (p == g.zModes || p[-1] == ',') && (p[n] == 0 || p[n] == ',');
}

/* Run every mode of one operation in journal mode zJournal. */
static void run_op(const Op *pOp, const char *zJournal) {
  static const struct {
    const char *zName;
    void (*x)(Ctx *);
    int bBothJournals;
  } aMode[] = {
      {"oom", mode_oom, 0},   {"io", mode_io, 1},     {"powerloss", mode_powerloss, 1},
      {"kill", mode_kill, 1}, {"busy", mode_busy, 1}, {"readonly", mode_readonly, 0},
      {"race", mode_race, 1},
  };
  Ctx c;
  memset(&c, 0, sizeof(c));
  c.zJournal = zJournal;
  oracle_set_volatile(pOp->zVolatile);
  char *zWhy = 0;
  if (work_prepare(&c.w, pOp, g.zDir, zJournal, DEFAULT_T, DEFAULT_C, 0, &zWhy)) {
    printf("FAIL setup %s (ops.txt:%d): %s\n", pOp->zName, pOp->iLine, zWhy);
    g.nFail++;
    free(zWhy);
    work_free(&c.w);
    return;
  }
  split_sql(&c);
  c.zMode = "reference";
  if (reference(&c)) {
    report(&c, "");
  } else {
    for (size_t i = 0; i < sizeof(aMode) / sizeof(aMode[0]); i++) {
      if (!mode_on(aMode[i].zName)) continue;
      if (strcmp(zJournal, "wal") == 0 && !aMode[i].bBothJournals) continue;
      c.zMode = aMode[i].zName;
      aMode[i].x(&c);
    }
  }
  if (strcmp(zJournal, "delete") == 0 && mode_on("ident") && pOp->bIdent) {
    c.zMode = "ident";
    mode_ident(&c);
  }
  files_free(&c.ref.after);
  free(c.zPre);
  free(c.zSql);
  free(c.zCleanup);
  work_free(&c.w);
}

/* --only NAME: that operation; NAME*: every one whose name starts so. */
static int only_match(const char *zName) {
  size_t n = strlen(g.zOnly);
  if (n > 0 && g.zOnly[n - 1] == '*') return strncmp(zName, g.zOnly, n - 1) == 0;
  return strcmp(zName, g.zOnly) == 0;
}

static void usage(void) {
  fprintf(stderr,
          "usage: fault [--mode LIST] [--dir DIR] [--max N] [--io-max N] [--seed S] "
          "[--seeds N] "
          "[--kills N] [--names FILE] [--only TEXT] [--at N] [--trace] [--known FILE] "
          "[--devdb PATH] "
          "OPS_FILE\n");
  exit(2);
}

int main(int argc, char **argv) {
  if (faultsim_install() != SQLITE_OK || faultvfs_register() != SQLITE_OK) {
    fprintf(stderr, "fault: cannot install the fault injectors\n");
    return 2;
  }
  int i = 1;
  for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
    const char *z = argv[i], *v = argv[i + 1];
    if (!strcmp(z, "--mode"))
      g.zModes = v;
    else if (!strcmp(z, "--dir"))
      g.zDir = v;
    else if (!strcmp(z, "--max"))
      g.nMax = atoi(v) > 0 ? atoi(v) : 1;
    else if (!strcmp(z, "--io-max"))
      g.nIoMax = atoi(v) > 0 ? atoi(v) : 1;
    else if (!strcmp(z, "--seeds"))
      g.nSeeds = atoi(v);
    else if (!strcmp(z, "--kills"))
      g.nKills = atoi(v);
    else if (!strcmp(z, "--names"))
      g.zNames = v;
    else if (!strcmp(z, "--only"))
      g.zOnly = v;
    else if (!strcmp(z, "--seed"))
      g.seed = (unsigned)strtoul(v, 0, 10);
    else if (!strcmp(z, "--devdb"))
      g.zDevdb = realpath(v, 0); /* the child runs it from the scratch directory */
    else if (!strcmp(z, "--known"))
      g.zKnown = v;
    else if (!strcmp(z, "--at"))
      g.iAt = ops_show_rows = atoi(v);
    else if (!strcmp(z, "--trace"))
      g.bTrace = 1, i--;
    else
      usage();
  }
  if (i != argc - 1) usage();
  /* one thread: the same allocations in the same order every run */
  setenv("DEVDB_THREADS", "0", 1);
  const char *zTmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  char *zBase =
      sqlite3_mprintf("%s%s", g.zDir ? g.zDir : zTmp, g.zDir ? "" : "/devdb-fault");
  mkdir(zBase, 0755);
  char *zDir = sqlite3_mprintf("%s/op dir", zBase); /* a path with a space */
  g.zDir = zDir;
  OpTable tab;
  ops_read(argv[i], &tab);
  if (mode_on("oom") && !g.zOnly) oom_init();
  for (int k = 0; k < tab.nOp; k++) {
    const Op *pOp = &tab.aOp[k];
    if (g.zOnly && !only_match(pOp->zName)) continue;
    if (pOp->bShell) {
      if (!mode_on("kill") || !g.zDevdb) continue;
      Ctx c;
      memset(&c, 0, sizeof(c));
      c.zMode = "kill";
      c.zJournal = "delete";
      char *zWhy = 0;
      oracle_set_volatile(pOp->zVolatile);
      if (work_prepare(&c.w, pOp, g.zDir, "delete", DEFAULT_T, DEFAULT_C, 0, &zWhy)) {
        printf("FAIL setup %s (ops.txt:%d): %s\n", pOp->zName, pOp->iLine, zWhy);
        g.nFail++;
        free(zWhy);
      } else {
        c.zSql = strdup(c.w.zSql);
        mode_shell_kill(&c);
      }
      free(c.zSql);
      work_free(&c.w);
      continue;
    }
    if (pOp->bBad) {
      if (!mode_on("bad")) continue;
      Ctx c;
      memset(&c, 0, sizeof(c));
      c.zMode = "bad";
      c.zJournal = "delete";
      c.w.pOp = pOp;
      oracle_set_volatile(pOp->zVolatile);
      mode_bad(&c);
      files_free(&c.ref.after);
      free(c.zPre);
      free(c.zSql);
      free(c.zCleanup);
      work_free(&c.w);
      continue;
    }
    run_op(pOp, "delete");
    run_op(pOp, "wal");
  }
  rm_tree(zDir);
  ops_free(&tab);
  printf(
      "figure oom-points %ld\nfigure oom-operations %ld\nfigure io-points %ld\n"
      "figure io-operations %ld\nfigure power-losses %ld\nfigure kills %ld\n"
      "figure kills-mid-operation %ld\nfigure busy-runs %ld\nfigure readonly-runs %ld\n"
      "figure race-runs %ld\nfigure identifiers %ld\nfigure identifiers-rejected %ld\n"
      "figure collision-names %ld\nfigure bad-inputs %ld\nfigure oom-commit-vetoed %ld\n"
      "figure known-open-bugs %ld\n",
      fig.oomPoints, fig.oomOps, fig.ioPoints, fig.ioOps, fig.plCrashes, fig.killRuns,
      fig.killCrashes, fig.busyRuns, fig.roRuns, fig.raceRuns, fig.names,
      fig.namesRejected, fig.collisions, fig.badInputs, fig.oomOpen, fig.known);
  sqlite3_free(zDir);
  sqlite3_free(zBase);
  return g.nFail ? 1 : 0;
}
