/*
** harness.h: what the pieces of devdb's "nothing lost" harness share.
**
** reliability.md §6 A names the building blocks; each lives in one file:
**   faultsim.c   A1  a failing allocator installed before SQLite initialises
**   faultvfs.c   A2  a shim VFS that fails the Nth read, write, sync, ...
**                A3  the same shim buffering unsynced writes for power loss
**                A4  and slowing I/O down so a kill -9 lands mid-operation
**   oracle.c     A5  digests, integrity, files: the checks of N1..N7
**   ops.c            the operation table (tests/fault/ops.txt) and the
**                    scratch directory each operation runs in
**   fault.c          the driver: one mode per kind of fault
** The extension is linked in statically (-DSQLITE_CORE objects).
*/
#ifndef DEVDB_HARNESS_H
#define DEVDB_HARNESS_H

#include <sqlite3.h>
#include <stdint.h>

/* ------------------------------------------------------------ faultsim.c */

/* Install the failing allocator. Must run before any other SQLite call. */
int faultsim_install(void);
/* Count allocations from now on; when iNth > 0, fail the iNth one, and
** with bPersist every one after it too. */
void faultsim_arm(int iNth, int bPersist);
/* The same, counting (and failing) with bOthers only the allocations made
** on threads other than the caller's: devdb's own worker threads. */
void faultsim_arm_others(int iNth, int bPersist, int bOthers);
/* Stop failing. Returns how many allocations were failed since arm. */
int faultsim_disarm(void);
/* Allocations (malloc and realloc) attempted since the last arm. */
int faultsim_calls(void);
/* Allocations currently live: compared before open and after close, it
** finds a leak in the iteration that caused it. */
int64_t faultsim_live(void);

/* ------------------------------------------------------------ faultvfs.c */

/* What can be made to fail: each counts its own calls. FV_FULL counts
** writes like FV_WRITE but fails them with SQLITE_FULL. */
enum { FV_READ, FV_WRITE, FV_FULL, FV_SYNC, FV_TRUNCATE, FV_LOCK, FV_OPEN, FV_NCLASS };
extern const char *const fv_class_name[FV_NCLASS];

/* Register the shim as the default VFS, wrapping the one that was. Its
** clock is fixed (2024-01-02 03:04:05 UTC) so 'now' repeats across runs. */
int faultvfs_register(void);
/* Count calls from now on; when iNth > 0 fail the iNth call of eClass
** (and every later one with bPersist). */
void faultvfs_arm(int eClass, int iNth, int bPersist);
/* Stop failing; returns the failures injected since arm. */
int faultvfs_disarm(void);
/* Calls of eClass since the last arm. */
int faultvfs_count(int eClass);
/* Power loss: from now on writes and truncates of named files stay in
** memory until their file is synced. At the iSync-th sync (counted from
** now, all files) a seeded random subset of every unsynced write is
** applied, dropped or garbled on disk and the process _exit()s with
** FV_CRASH_STATUS. */
void faultvfs_powerloss(int iSync, unsigned int seed);
#define FV_CRASH_STATUS 99
/* Sleep us microseconds in every write and sync (0: off). */
void faultvfs_delay(int us);

/* -------------------------------------------------------------- oracle.c */

/* A logical digest of everything a user stores in db's main schema: the
** schema (type, name, table, SQL), user_version, application_id and every
** row of every table (sqlite_sequence included), as a multiset, so neither
** row order nor rowids of tables without INTEGER PRIMARY KEY matter. */
uint64_t oracle_digest(sqlite3 *db);
/* The rows only, with every name left out: two databases whose tables hold
** the same rows under other names have equal data digests. */
uint64_t oracle_data_digest(sqlite3 *db);
/* Leave the columns "TABLE.COL,..." out of every digest (values that
** differ from run to run, like a duration); NULL: none. */
void oracle_set_volatile(const char *zList);
/* The rows of one table (0 when it does not exist). */
uint64_t oracle_table_digest(sqlite3 *db, const char *zTable);
/* N2: integrity_check says ok and foreign_key_check is empty. Returns 0,
** or 1 with a malloc'd reason in *pzWhy. */
int oracle_integrity(sqlite3 *db, char **pzWhy);
/* Open zPath read-only with the plain VFS and digest it; 0 with a reason in
** *pzWhy when it is not a complete, consistent database (N4). */
int oracle_file_db(const char *zPath, uint64_t *pDigest, char **pzWhy);
/* Hash a value into h (FNV-1a 64). */
uint64_t oracle_hash(uint64_t h, const void *p, int n);
/* Hash the columns of the current row of pStmt into h. */
uint64_t oracle_hash_row(uint64_t h, sqlite3_stmt *pStmt);

/* Files under a directory, as a sorted list of relative paths. */
typedef struct FileList {
  int n, nAlloc;
  char **az;
} FileList;
void files_list(const char *zDir, FileList *p);
void files_free(FileList *p);
int files_has(const FileList *p, const char *zRel);
/* 1 when zRel is a journal, WAL or shm file beside a database. */
int files_is_sidecar(const char *zRel);

/* ----------------------------------------------------------------- ops.c */

/* Invariant bits (reliability.md §0). */
#define INV_N(i) (1u << (i))

/* One line of the operation table. */
typedef struct Op {
  char *zName;
  unsigned mInv;   /* the invariants it checks: INV_N(1)..INV_N(7) */
  char *zSetup;    /* setup SQL (a setup block's text), or "" */
  char *zSql;      /* the statement(s) under test */
  char *zFile;     /* file=PATH: a file the operation writes (backup), or 0 */
  char *zAccept;   /* accept=KIND,...: bad inputs it may accept, or 0 */
  char *zVolatile; /* volatile=TABLE.COL,...: left out of digests, or 0 */
  int bIdent;      /* the text uses the {T} / {C} name placeholders */
  int bBad;        /* a "bad" line: {path...} is a bad input */
  int bSteps;      /* steps: commits step by step; each commit is a valid state */
  int bWarns;      /* warns: under a fault its rows may say so (same number of rows) */
  int bShell;      /* a "shell" line: zSql is a devdb shell command line */
  int iLine;
} Op;

typedef struct OpTable {
  int nOp;
  Op *aOp;
} OpTable;

/* Read the operation table. Exits with a message on a malformed line. */
void ops_read(const char *zFile, OpTable *pTab);
void ops_free(OpTable *pTab);

/* Placeholders: $DIR the operation's scratch directory (always with a space
** in its name); {T} and {C} a table and a column name, written as a quoted
** identifier ("a""b"), {T:s} as a string literal of the raw name ('a"b'),
** {T:q} as a string literal of the quoted identifier ('"a""b"'). {path} and
** {path.EXT} are the bad input of a "bad" line (a string literal), and
** {dirof:NAME} the directory holding a bad input named NAME. Returns a
** malloc'd string. */
char *ops_expand(const char *z, const char *zDir, const char *zT, const char *zC,
                 const char *zPath);

/* The scratch directory of one operation run: its files after setup are
** saved, and restored before every iteration. */
typedef struct Work {
  const Op *pOp;
  char *zDir;   /* the directory, with a space in its name */
  char *zDb;    /* $DIR/work.db */
  char *zSetup; /* expanded setup SQL */
  char *zSql;   /* expanded statement */
  char *zFile;  /* expanded file= path, or 0 */
  int nSaved;
  char **azSaved; /* relative paths ("d/" for a directory) */
  unsigned char **aaSaved;
  int64_t *anSaved;
} Work;

/* Create zDir afresh, run the setup of pOp (with names zT/zC) into work.db
** in journal mode zJournal, save the files. Returns 0, or 1 with a reason
** in *pzWhy (the setup failed: SQLite rejected the names). */
int work_prepare(Work *w, const Op *pOp, const char *zDir, const char *zJournal,
                 const char *zT, const char *zC, const char *zPath, char **pzWhy);
/* Put every file of zDir back as it was after setup; remove the others. */
void work_restore(Work *w);
void work_free(Work *w);
/* Open work.db with the extension registered (flags: SQLITE_OPEN_*;
** zVfs 0 for the default, the shim). Exits when it cannot. */
sqlite3 *work_open(Work *w, int flags, const char *zVfs);
/* Run the statements of zSql on db. Returns the first error code (the
** message stays on db); *pHash gets the hash of every row and *pnRow their
** count. */
int work_run(sqlite3 *db, const char *zSql, uint64_t *pHash, int *pnRow);
/* When set, work_run prints the rows it reads ("# row: ..."): --at. */
extern int ops_show_rows;
/* Remove a directory tree. */
void rm_tree(const char *zPath);

/* The entry point of the extension (linked in). */
int sqlite3_devdb_init(sqlite3 *, char **, const sqlite3_api_routines *);

#endif /* DEVDB_HARNESS_H */
