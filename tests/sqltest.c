/*
** sqltest: runs SQL test files that read like documentation.
**
**   sqltest [--load build/devdb.so] [--tmp DIR] FILE.test ...
**
** A test file is a series of blocks separated by blank lines. A block is a
** SQL statement, then optionally a line "----" and the expected output: one
** line per row, columns joined by '|', NULL written as NULL, or a single line
** "error: TEXT" when the statement must fail with a message containing TEXT.
** A block without "----" must succeed; its output is not checked. Lines
** starting with '#' are comments. In SQL, $TMP is replaced by a scratch
** directory and $FIXTURES by the fixtures directory.
**
** Directives (a block of one line):
**   .open NAME     a new connection on $TMP/NAME (the extension loaded)
**   .close         back to the first connection (an in-memory database)
**   .shell CMD     run CMD with sh (for setting files up); must exit 0
**
** Prints "ok FILE:LINE" or "FAIL FILE:LINE ..." per block. Exits 1 when any
** block failed. Built with -DDEVDB_STATIC the extension is linked in (make
** asan) instead of loaded.
*/
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef DEVDB_STATIC
int sqlite3_devdb_init(sqlite3 *, char **, const sqlite3_api_routines *);
#endif

static const char *zLoad = "build/devdb.so";
static const char *zTmp = "/tmp";
static const char *zFixtures = "fixtures";
static sqlite3 *dbMem;  /* the first connection */
static sqlite3 *dbOpen; /* from .open, or NULL */
static int nFail, nPass;

/* Open a connection on zPath with the extension; exits on failure. */
static sqlite3 *open_db(const char *zPath) {
  sqlite3 *db = 0;
  char *zErr = 0;
  if (sqlite3_open(zPath, &db) != SQLITE_OK) {
    fprintf(stderr, "sqltest: cannot open %s\n", zPath);
    exit(2);
  }
#ifdef DEVDB_STATIC
  int rc = sqlite3_devdb_init(db, &zErr, 0);
#else
  sqlite3_enable_load_extension(db, 1);
  int rc = sqlite3_load_extension(db, zLoad, 0, &zErr);
#endif
  if (rc != SQLITE_OK) {
    fprintf(stderr, "sqltest: cannot load devdb: %s\n", zErr ? zErr : "?");
    exit(2);
  }
  return db;
}

/* zIn with $TMP and $FIXTURES replaced; malloc'd. */
static char *expand(const char *zIn) {
  size_t nOut = strlen(zIn) + 1;
  for (const char *p = zIn; (p = strchr(p, '$')) != 0; p++)
    nOut += strlen(zTmp) + strlen(zFixtures);
  char *zOut = malloc(nOut);
  char *o = zOut;
  while (*zIn) {
    if (strncmp(zIn, "$TMP", 4) == 0) {
      o += sprintf(o, "%s", zTmp);
      zIn += 4;
    } else if (strncmp(zIn, "$FIXTURES", 9) == 0) {
      o += sprintf(o, "%s", zFixtures);
      zIn += 9;
    } else {
      *o++ = *zIn++;
    }
  }
  *o = 0;
  return zOut;
}

/* Append z to the growing buffer *pz. */
static void append(char **pz, size_t *pn, const char *z) {
  size_t n = strlen(z);
  *pz = realloc(*pz, *pn + n + 1);
  memcpy(*pz + *pn, z, n + 1);
  *pn += n;
}

/* "error: MESSAGE\n" of db, replacing whatever output *pz held. */
static char *error_text(sqlite3 *db, char *zOld) {
  char *zOut = calloc(1, 1);
  size_t nOut = 0;
  free(zOld);
  append(&zOut, &nOut, "error: ");
  append(&zOut, &nOut, sqlite3_errmsg(db));
  append(&zOut, &nOut, "\n");
  return zOut;
}

/* Run zSql; return the output rows (or "error: msg") as malloc'd text. */
static char *run_sql(sqlite3 *db, const char *zSql) {
  char *zOut = calloc(1, 1);
  size_t nOut = 0;
  const char *zTail = zSql;
  while (zTail && *zTail) {
    sqlite3_stmt *pStmt = 0;
    int rc = sqlite3_prepare_v2(db, zTail, -1, &pStmt, &zTail);
    if (rc != SQLITE_OK) return error_text(db, zOut);
    if (pStmt == 0) continue;
    int nCol = sqlite3_column_count(pStmt);
    while ((rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
      size_t nStart = nOut;
      for (int i = 0; i < nCol; i++) {
        if (i) append(&zOut, &nOut, "|");
        const char *z = (const char *)sqlite3_column_text(pStmt, i);
        append(&zOut, &nOut, z ? z : "NULL");
      }
      if (nOut == nStart) append(&zOut, &nOut, "''");
      append(&zOut, &nOut, "\n");
    }
    if (rc != SQLITE_DONE) {
      zOut = error_text(db, zOut);
      sqlite3_finalize(pStmt);
      return zOut;
    }
    sqlite3_finalize(pStmt);
  }
  return zOut;
}

/* Compare and report one block. */
static void check_block(const char *zFile, int iLine, const char *zSql,
                        const char *zExpect, int bHasExpect) {
  sqlite3 *db = dbOpen ? dbOpen : dbMem;
  char *zExp = expand(zSql);
  char *zGot = run_sql(db, zExp);
  free(zExp);
  int bOk;
  if (!bHasExpect) {
    bOk = strncmp(zGot, "error: ", 7) != 0;
  } else if (strncmp(zExpect, "error: ", 7) == 0 &&
             strchr(zExpect, '\n') == strrchr(zExpect, '\n')) {
    char *zWant = strdup(zExpect + 7);
    zWant[strcspn(zWant, "\n")] = 0;
    char *zWantX = expand(zWant);
    bOk = strncmp(zGot, "error: ", 7) == 0 && strstr(zGot, zWantX) != 0;
    free(zWant);
    free(zWantX);
  } else {
    char *zWantX = expand(zExpect);
    bOk = strcmp(zGot, zWantX) == 0;
    free(zWantX);
  }
  if (bOk) {
    printf("ok %s:%d\n", zFile, iLine);
    nPass++;
  } else {
    printf("FAIL %s:%d\n--- sql\n%s\n--- expected\n%s--- got\n%s", zFile, iLine, zSql,
           bHasExpect ? zExpect : "(success)\n", zGot);
    nFail++;
  }
  free(zGot);
}

/* Run a one-line directive block. */
static void directive(const char *zFile, int iLine, const char *zLine) {
  if (strncmp(zLine, ".open ", 6) == 0) {
    char zPath[4096];
    snprintf(zPath, sizeof(zPath), "%s/%s", zTmp, zLine + 6);
    if (dbOpen) sqlite3_close(dbOpen);
    dbOpen = open_db(zPath);
  } else if (strcmp(zLine, ".close") == 0) {
    if (dbOpen) sqlite3_close(dbOpen);
    dbOpen = 0;
  } else if (strncmp(zLine, ".shell ", 7) == 0) {
    char *zCmd = expand(zLine + 7);
    int rc = system(zCmd);
    free(zCmd);
    if (rc != 0) {
      printf("FAIL %s:%d: shell command failed: %s\n", zFile, iLine, zLine + 7);
      nFail++;
    }
  } else {
    printf("FAIL %s:%d: unknown directive %s\n", zFile, iLine, zLine);
    nFail++;
  }
}

/* Run every block of one test file. */
static void run_file(const char *zFile) {
  FILE *f = fopen(zFile, "r");
  if (f == 0) {
    printf("FAIL %s: cannot open\n", zFile);
    nFail++;
    return;
  }
  char zLine[65536];
  char *zSql = calloc(1, 1), *zExp = calloc(1, 1);
  size_t nSql = 0, nExp = 0;
  int iLine = 0, iStart = 0, bExpect = 0;
  for (;;) {
    char *p = fgets(zLine, sizeof(zLine), f);
    if (p) iLine++;
    int bBlank = p == 0 || zLine[strspn(zLine, " \t\r\n")] == 0;
    if (bBlank) {
      if (nSql > 0) {
        if (zSql[0] == '.' && strchr(zSql, '\n') == zSql + nSql - 1) {
          zSql[nSql - 1] = 0;
          directive(zFile, iStart, zSql);
        } else {
          check_block(zFile, iStart, zSql, zExp, bExpect);
        }
      }
      nSql = nExp = 0;
      zSql[0] = zExp[0] = 0;
      bExpect = 0;
      if (p == 0) break;
      continue;
    }
    if (zLine[0] == '#' && !bExpect) continue;
    if (nSql == 0) iStart = iLine;
    if (!bExpect && strcmp(zLine, "----\n") == 0) {
      bExpect = 1;
    } else if (bExpect) {
      append(&zExp, &nExp, zLine);
    } else {
      append(&zSql, &nSql, zLine);
    }
  }
  free(zSql);
  free(zExp);
  fclose(f);
}

int main(int argc, char **argv) {
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i += 2) {
    if (i + 1 >= argc) break;
    if (strcmp(argv[i], "--load") == 0)
      zLoad = argv[i + 1];
    else if (strcmp(argv[i], "--tmp") == 0)
      zTmp = argv[i + 1];
    else if (strcmp(argv[i], "--fixtures") == 0)
      zFixtures = argv[i + 1];
  }
  for (; i < argc; i++) {
    dbMem = open_db(":memory:");
    run_file(argv[i]);
    if (dbOpen) sqlite3_close(dbOpen);
    dbOpen = 0;
    sqlite3_close(dbMem);
  }
  return nFail ? 1 : 0;
}
