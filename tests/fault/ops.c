/*
** ops.c: the operation table (tests/fault/ops.txt) and the scratch
** directory each operation runs in.
**
** The table is text, one entry per line (an indented line continues the
** previous one):
**
**   setup NAME            a named block of setup SQL, on the lines below it
**   op  NAME | INVARIANTS | SETUPS | STATEMENTS
**   bad NAME | INVARIANTS | SETUPS | STATEMENTS with a {path} placeholder
**   shell NAME | INVARIANTS | SETUPS | ARGUMENTS of the devdb shell (run in
**                         $DIR as "devdb work.db ARGUMENTS", killed at random)
**
** INVARIANTS lists N1..N7 and options: file=PATH, a file the operation
** writes, which must afterwards be complete and verified, or absent;
** accept=KIND,... on a bad line, the kinds of bad input it may accept
** without an error (still changing nothing); volatile=TABLE.COL,... columns
** whose values differ from run to run (a duration), left out of digests;
** steps, an operation that commits step by step by design (each migration
** in its own transaction): the database at any commit point of a
** fault-free run is then a valid state too; warns, an operation whose rows
** say what a fault kept it from doing ("cannot count: disk I/O error"):
** under a fault they may differ from a fault-free run's, not in number.
** SETUPS names setup blocks joined with '+', or '-' for none. STATEMENTS
** run on a fresh connection to $DIR/work.db; a line "-- faults from here"
** splits them into a part run before faults are armed and the part under
** test, and a line "-- cleanup" starts statements run after the checks
** (to free what the operation keeps in the process, like a snapshot). See
** ops.txt for the placeholders.
*/
#include "harness.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct Setup {
  char *zName;
  char *zSql;
} Setup;

static void die(const char *zFile, int iLine, const char *zMsg) {
  fprintf(stderr, "%s:%d: %s\n", zFile, iLine, zMsg);
  exit(2);
}

/* Append zLine (and a newline) to the malloc'd string *pz. */
static void append_line(char **pz, const char *zLine) {
  size_t n = *pz ? strlen(*pz) : 0, m = strlen(zLine);
  *pz = realloc(*pz, n + m + 2);
  memcpy(*pz + n, zLine, m);
  (*pz)[n + m] = '\n';
  (*pz)[n + m + 1] = 0;
}

static char *trim(char *z) {
  while (*z == ' ' || *z == '\t') z++;
  size_t n = strlen(z);
  while (n > 0 && (z[n - 1] == ' ' || z[n - 1] == '\t' || z[n - 1] == '\n')) z[--n] = 0;
  return z;
}

/* The setup SQL for "a+b" (the blocks joined), or "" for "-". */
static char *join_setups(const char *zFile, int iLine, const char *zNames,
                         const Setup *aSetup, int nSetup) {
  char *zOut = strdup("");
  if (strcmp(zNames, "-") == 0) return zOut;
  char *zCopy = strdup(zNames), *zSave = 0;
  for (char *z = strtok_r(zCopy, "+", &zSave); z; z = strtok_r(0, "+", &zSave)) {
    int i;
    for (i = 0; i < nSetup && strcmp(aSetup[i].zName, trim(z)) != 0; i++) {
    }
    if (i == nSetup) die(zFile, iLine, "no such setup block");
    append_line(&zOut, aSetup[i].zSql);
  }
  free(zCopy);
  return zOut;
}

/* Read "N1 N5 file=..." into pOp. */
static void parse_flags(const char *zFile, int iLine, char *zFlags, Op *pOp) {
  char *zSave = 0;
  for (char *z = strtok_r(zFlags, " \t", &zSave); z; z = strtok_r(0, " \t", &zSave)) {
    if (z[0] == 'N' && z[1] >= '1' && z[1] <= '7' && z[2] == 0) {
      pOp->mInv |= INV_N(z[1] - '0');
    } else if (strncmp(z, "file=", 5) == 0) {
      pOp->zFile = strdup(z + 5);
    } else if (strncmp(z, "accept=", 7) == 0) {
      pOp->zAccept = strdup(z + 7);
    } else if (strcmp(z, "steps") == 0) {
      pOp->bSteps = 1;
    } else if (strcmp(z, "warns") == 0) {
      pOp->bWarns = 1;
    } else if (strncmp(z, "volatile=", 9) == 0) {
      pOp->zVolatile = strdup(z + 9);
    } else {
      die(zFile, iLine,
          "unknown flag (N1..N7, steps, file=PATH, accept=KINDS, volatile=T.C)");
    }
  }
}

/* The next field separator of an op line: " |" then a space, a newline or
** the end. Returns a pointer to the space before '|', or NULL. */
static char *next_sep(char *z) {
  for (char *p = strstr(z, " |"); p; p = strstr(p + 1, " |")) {
    if (p[2] == ' ' || p[2] == '\n' || p[2] == 0) return p;
  }
  return 0;
}

/* Split an op entry "NAME | FLAGS | SETUPS | SQL" into pOp. */
static void parse_op(const char *zFile, int iLine, char *zLine, const Setup *aSetup,
                     int nSetup, Op *pOp) {
  char *az[4];
  az[0] = zLine;
  for (int i = 1; i < 4; i++) {
    char *p = next_sep(az[i - 1]);
    if (p == 0) die(zFile, iLine, "expected NAME | INVARIANTS | SETUPS | STATEMENTS");
    *p = 0;
    az[i] = p[2] ? p + 3 : p + 2;
  }
  pOp->zName = strdup(trim(az[0]));
  parse_flags(zFile, iLine, az[1], pOp);
  if ((pOp->mInv & 0xfe) == 0) die(zFile, iLine, "name the invariants it checks");
  pOp->zSetup = join_setups(zFile, iLine, trim(az[2]), aSetup, nSetup);
  pOp->zSql = strdup(trim(az[3]));
  pOp->iLine = iLine;
}

/* One entry of the file: its first line and continuation lines joined. */
typedef struct Entry {
  char *zText;
  int iLine;
} Entry;

void ops_read(const char *zFile, OpTable *pTab) {
  FILE *f = fopen(zFile, "r");
  if (f == 0) die(zFile, 0, strerror(errno));
  Entry *aEntry = 0;
  int nEntry = 0, iLine = 0;
  char zLine[65536];
  while (fgets(zLine, sizeof(zLine), f)) {
    iLine++;
    if (zLine[0] == '#' || zLine[strspn(zLine, " \t\r\n")] == 0) continue;
    if (zLine[0] == ' ' || zLine[0] == '\t') {
      if (nEntry == 0) die(zFile, iLine, "continuation line without an entry");
      append_line(&aEntry[nEntry - 1].zText, trim(zLine));
      continue;
    }
    aEntry = realloc(aEntry, sizeof(Entry) * (nEntry + 1));
    aEntry[nEntry].zText = 0;
    aEntry[nEntry].iLine = iLine;
    append_line(&aEntry[nEntry++].zText, trim(zLine));
  }
  fclose(f);
  Setup aSetup[64];
  int nSetup = 0;
  memset(pTab, 0, sizeof(*pTab));
  for (int e = 0; e < nEntry; e++) {
    char *z = aEntry[e].zText;
    iLine = aEntry[e].iLine;
    if (strncmp(z, "setup ", 6) == 0) {
      if (nSetup == 64) die(zFile, iLine, "too many setup blocks");
      char *zNl = strchr(z, '\n');
      *zNl = 0;
      aSetup[nSetup].zName = strdup(trim(z + 6));
      aSetup[nSetup++].zSql = strdup(zNl + 1);
    } else if (strncmp(z, "op ", 3) == 0 || strncmp(z, "bad ", 4) == 0 ||
               strncmp(z, "shell ", 6) == 0) {
      pTab->aOp = realloc(pTab->aOp, sizeof(Op) * (pTab->nOp + 1));
      Op *pOp = &pTab->aOp[pTab->nOp++];
      memset(pOp, 0, sizeof(*pOp));
      pOp->bBad = z[0] == 'b';
      pOp->bShell = z[0] == 's' && z[1] == 'h';
      parse_op(zFile, iLine, strchr(z, ' ') + 1, aSetup, nSetup, pOp);
      pOp->bIdent = strstr(pOp->zSql, "{T") || strstr(pOp->zSetup, "{T") ||
                    strstr(pOp->zSql, "{C") || strstr(pOp->zSetup, "{C");
      if (pOp->bBad && !strstr(pOp->zSql, "{path") && !strstr(pOp->zSql, "{dirof:"))
        die(zFile, iLine, "a bad line needs a {path} or {dirof:NAME} placeholder");
    } else {
      die(zFile, iLine, "expected 'setup', 'op', 'bad' or 'shell'");
    }
    free(z);
  }
  free(aEntry);
  for (int i = 0; i < nSetup; i++) {
    free(aSetup[i].zName);
    free(aSetup[i].zSql);
  }
}

void ops_free(OpTable *pTab) {
  for (int i = 0; i < pTab->nOp; i++) {
    Op *p = &pTab->aOp[i];
    free(p->zName);
    free(p->zSetup);
    free(p->zSql);
    free(p->zFile);
    free(p->zAccept);
    free(p->zVolatile);
  }
  free(pTab->aOp);
  memset(pTab, 0, sizeof(*pTab));
}

/* ------------------------------------------------------------- expansion */

/* Append z to p with every byte c doubled. */
static void append_doubled(sqlite3_str *p, const char *z, char c) {
  for (; *z; z++) {
    sqlite3_str_appendchar(p, 1, *z);
    if (*z == c) sqlite3_str_appendchar(p, 1, c);
  }
}

/* Append name z in the form f: 0 "ident", 's' 'raw', 'q' '"ident"'. */
static void append_name(sqlite3_str *p, const char *z, int f) {
  if (f == 0) {
    sqlite3_str_appendchar(p, 1, '"');
    append_doubled(p, z, '"');
    sqlite3_str_appendchar(p, 1, '"');
  } else if (f == 's') {
    sqlite3_str_appendchar(p, 1, '\'');
    append_doubled(p, z, '\'');
    sqlite3_str_appendchar(p, 1, '\'');
  } else {
    sqlite3_str *q = sqlite3_str_new(0);
    append_name(q, z, 0);
    char *zQ = sqlite3_str_finish(q);
    append_name(p, zQ, 's');
    sqlite3_free(zQ);
  }
}

char *ops_expand(const char *z, const char *zDir, const char *zT, const char *zC,
                 const char *zPath) {
  sqlite3_str *p = sqlite3_str_new(0);
  while (*z) {
    if (strncmp(z, "$DIR", 4) == 0) {
      sqlite3_str_appendall(p, zDir);
      z += 4;
    } else if (z[0] == '{' && (z[1] == 'T' || z[1] == 'C') &&
               (z[2] == '}' ||
                (z[2] == ':' && (z[3] == 's' || z[3] == 'q') && z[4] == '}'))) {
      append_name(p, z[1] == 'T' ? zT : zC, z[2] == ':' ? z[3] : 0);
      z += z[2] == '}' ? 3 : 5;
    } else if (strncmp(z, "{path", 5) == 0 && strchr(z, '}')) {
      append_name(p, zPath ? zPath : "", 's');
      z = strchr(z, '}') + 1;
    } else if (strncmp(z, "{dirof:", 7) == 0 && strchr(z, '}')) {
      char *zDirOf = strdup(zPath ? zPath : "");
      char *zSlash = strrchr(zDirOf, '/');
      if (zSlash) *zSlash = 0;
      append_name(p, zDirOf, 's');
      free(zDirOf);
      z = strchr(z, '}') + 1;
    } else {
      sqlite3_str_appendchar(p, 1, *z++);
    }
  }
  char *zOut = strdup(sqlite3_str_value(p) ? sqlite3_str_value(p) : "");
  sqlite3_free(sqlite3_str_finish(p));
  return zOut;
}

/* ------------------------------------------------------------------ work */

static int rm_one(const char *zPath, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(zPath);
}

void rm_tree(const char *zPath) {
  nftw(zPath, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* harness_write(PATH, TEXT): write a file (parents created) in setup. */
static void writeFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  const char *zPath = (const char *)sqlite3_value_text(argv[0]);
  char *zDir = strdup(zPath);
  for (char *p = strchr(zDir + 1, '/'); p; p = strchr(p + 1, '/')) {
    *p = 0;
    mkdir(zDir, 0755);
    *p = '/';
  }
  free(zDir);
  FILE *f = fopen(zPath, "wb");
  int n = sqlite3_value_bytes(argv[1]);
  if (f == 0 || fwrite(sqlite3_value_blob(argv[1]), 1, n, f) != (size_t)n) {
    sqlite3_result_error(ctx, "harness_write failed", -1);
  }
  if (f) fclose(f);
}

/* Save every file below w->zDir. */
static void save_tree(Work *w) {
  FileList fl;
  files_list(w->zDir, &fl);
  for (int i = 0; i < fl.n; i++) {
    char *zPath = sqlite3_mprintf("%s/%s", w->zDir, fl.az[i]);
    FILE *f = fopen(zPath, "rb");
    sqlite3_free(zPath);
    if (f == 0) continue;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *a = malloc(n + 1);
    if (fread(a, 1, n, f) != (size_t)n) n = 0;
    fclose(f);
    w->azSaved = realloc(w->azSaved, sizeof(char *) * (w->nSaved + 1));
    w->aaSaved = realloc(w->aaSaved, sizeof(char *) * (w->nSaved + 1));
    w->anSaved = realloc(w->anSaved, sizeof(int64_t) * (w->nSaved + 1));
    w->azSaved[w->nSaved] = strdup(fl.az[i]);
    w->aaSaved[w->nSaved] = a;
    w->anSaved[w->nSaved] = n;
    w->nSaved++;
  }
  files_free(&fl);
}

/* Write a saved file back, creating its directories. */
static void put_file(const char *zDir, const char *zRel, const unsigned char *a,
                     int64_t n) {
  char *zPath = sqlite3_mprintf("%s/%s", zDir, zRel);
  for (char *p = strchr(zPath + strlen(zDir) + 1, '/'); p; p = strchr(p + 1, '/')) {
    *p = 0;
    mkdir(zPath, 0755);
    *p = '/';
  }
  FILE *f = fopen(zPath, "wb");
  if (f == 0 || fwrite(a, 1, n, f) != (size_t)n) {
    fprintf(stderr, "fault: cannot restore %s\n", zPath);
    exit(2);
  }
  fclose(f);
  sqlite3_free(zPath);
}

void work_restore(Work *w) {
  rm_tree(w->zDir);
  mkdir(w->zDir, 0755);
  for (int i = 0; i < w->nSaved; i++)
    put_file(w->zDir, w->azSaved[i], w->aaSaved[i], w->anSaved[i]);
}

int work_prepare(Work *w, const Op *pOp, const char *zDir, const char *zJournal,
                 const char *zT, const char *zC, const char *zPath, char **pzWhy) {
  memset(w, 0, sizeof(*w));
  w->pOp = pOp;
  w->zDir = strdup(zDir);
  w->zDb = sqlite3_mprintf("%s/work.db", zDir);
  w->zSetup = ops_expand(pOp->zSetup, zDir, zT, zC, zPath);
  w->zSql = ops_expand(pOp->zSql, zDir, zT, zC, zPath);
  w->zFile = pOp->zFile ? ops_expand(pOp->zFile, zDir, zT, zC, zPath) : 0;
  rm_tree(zDir);
  if (mkdir(zDir, 0755) != 0) {
    fprintf(stderr, "fault: cannot create %s\n", zDir);
    exit(2);
  }
  sqlite3 *db = 0;
  char *zErr = 0;
  int rc =
      sqlite3_open_v2(w->zDb, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "unix");
  if (rc == SQLITE_OK) rc = sqlite3_devdb_init(db, &zErr, 0);
  if (rc == SQLITE_OK)
    rc = sqlite3_create_function(db, "harness_write", 2, SQLITE_UTF8, 0, writeFunc, 0, 0);
  sqlite3_free(zErr);
  zErr = 0;
  char *zMode = sqlite3_mprintf("PRAGMA journal_mode=%s", zJournal);
  if (rc == SQLITE_OK) rc = sqlite3_exec(db, zMode, 0, 0, &zErr);
  sqlite3_free(zMode);
  if (rc == SQLITE_OK) rc = sqlite3_exec(db, w->zSetup, 0, 0, &zErr);
  if (rc != SQLITE_OK) {
    *pzWhy = strdup(zErr ? zErr : sqlite3_errmsg(db));
    sqlite3_free(zErr);
    sqlite3_close(db);
    return 1;
  }
  sqlite3_close(db);
  save_tree(w);
  return 0;
}

void work_free(Work *w) {
  for (int i = 0; i < w->nSaved; i++) {
    free(w->azSaved[i]);
    free(w->aaSaved[i]);
  }
  free(w->azSaved);
  free(w->aaSaved);
  free(w->anSaved);
  free(w->zDir);
  sqlite3_free(w->zDb);
  free(w->zSetup);
  free(w->zSql);
  free(w->zFile);
  memset(w, 0, sizeof(*w));
}

sqlite3 *work_open(Work *w, int flags, const char *zVfs) {
  sqlite3 *db = 0;
  char *zErr = 0;
  int rc = sqlite3_open_v2(w->zDb, &db, flags, zVfs);
  if (rc == SQLITE_OK) rc = sqlite3_busy_timeout(db, 5000);
  if (rc == SQLITE_OK) rc = sqlite3_devdb_init(db, &zErr, 0);
  if (rc == SQLITE_OK) rc = sqlite3_exec(db, "PRAGMA cache_size=10", 0, 0, 0);
  sqlite3_busy_timeout(db, 0);
  if (rc != SQLITE_OK) {
    fprintf(stderr, "fault: cannot open %s: %s\n", w->zDb,
            zErr ? zErr : sqlite3_errmsg(db));
    exit(2);
  }
  sqlite3_test_control(SQLITE_TESTCTRL_PRNG_SEED, 20240102, (sqlite3 *)0);
  return db;
}

int ops_show_rows;

int work_run(sqlite3 *db, const char *zSql, uint64_t *pHash, int *pnRow) {
  uint64_t h = 0xcbf29ce484222325ULL;
  int nRow = 0, rc = SQLITE_OK;
  const char *zTail = zSql;
  while (rc == SQLITE_OK && zTail && *zTail) {
    sqlite3_stmt *pStmt = 0;
    rc = sqlite3_prepare_v2(db, zTail, -1, &pStmt, &zTail);
    if (rc != SQLITE_OK || pStmt == 0) break;
    while ((rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
      h = oracle_hash_row(h, pStmt);
      nRow++;
      for (int i = 0; ops_show_rows && i < sqlite3_column_count(pStmt); i++) {
        const char *z = (const char *)sqlite3_column_text(pStmt, i);
        printf("%s%.400s%s", i ? "|" : "# row: ", z ? z : "NULL",
               i + 1 == sqlite3_column_count(pStmt) ? "\n" : "");
      }
    }
    if (rc == SQLITE_DONE) rc = SQLITE_OK;
    sqlite3_finalize(pStmt);
  }
  if (pHash) *pHash = h;
  if (pnRow) *pnRow = nRow;
  return rc;
}
