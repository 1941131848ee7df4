/*
** oracle.c: the checks behind reliability.md's invariants (A5).
**
**   N1  oracle_digest: the logical state of a database, compared with the
**       digests before and after a fault-free run of the operation;
**   N2  oracle_integrity: integrity_check, and foreign_key_check counted;
**   N4  oracle_file_db: a file an operation wrote (a backup) is a complete
**       database, and its digest;
**   N5  files_*: the files an operation leaves behind.
** Digests hash rows as a multiset (the sum of a mixed hash per row), so a
** VACUUM's new rowids or another row order do not change them.
*/
#include "harness.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FNV_START 0xcbf29ce484222325ULL

uint64_t oracle_hash(uint64_t h, const void *p, int n) {
  const unsigned char *a = p;
  for (int i = 0; i < n; i++) h = (h ^ a[i]) * 0x100000001b3ULL;
  return h;
}

/* A strong mix of h (splitmix64's finaliser), so sums of row hashes do not
** cancel. */
static uint64_t mix(uint64_t h) {
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}

uint64_t oracle_hash_row(uint64_t h, sqlite3_stmt *pStmt) {
  int nCol = sqlite3_column_count(pStmt);
  for (int i = 0; i < nCol; i++) {
    unsigned char t = (unsigned char)sqlite3_column_type(pStmt, i);
    h = oracle_hash(h, &t, 1);
    if (t == SQLITE_INTEGER) {
      sqlite3_int64 v = sqlite3_column_int64(pStmt, i);
      h = oracle_hash(h, &v, sizeof(v));
    } else if (t == SQLITE_FLOAT) {
      double v = sqlite3_column_double(pStmt, i);
      h = oracle_hash(h, &v, sizeof(v));
    } else if (t != SQLITE_NULL) {
      const void *p = t == SQLITE_BLOB ? sqlite3_column_blob(pStmt, i)
                                       : (const void *)sqlite3_column_text(pStmt, i);
      int n = sqlite3_column_bytes(pStmt, i);
      h = oracle_hash(h, &n, sizeof(n));
      h = oracle_hash(h, p, n);
    }
  }
  return h;
}

/* The multiset digest of the rows of query zSql (0 when it fails). */
static uint64_t rows_digest(sqlite3 *db, const char *zSql) {
  sqlite3_stmt *pStmt = 0;
  if (sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0) != SQLITE_OK) return 0;
  uint64_t sum = 0, n = 0;
  int rc;
  while ((rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    sum += mix(oracle_hash_row(FNV_START, pStmt));
    n++;
  }
  sqlite3_finalize(pStmt);
  if (rc != SQLITE_DONE) return 0;
  return mix(sum ^ mix(n + 1));
}

/* "TABLE.COL,..." : columns whose values differ from run to run (a
** duration), left out of every digest. */
static char *zVolatile;

void oracle_set_volatile(const char *zList) {
  sqlite3_free(zVolatile);
  zVolatile = zList ? sqlite3_mprintf(",%s,", zList) : 0;
}

/* 1 when column zCol of zTable is volatile. */
static int is_volatile(const char *zTable, const char *zCol) {
  if (zVolatile == 0) return 0;
  char *z = sqlite3_mprintf(",%s.%s,", zTable, zCol);
  int b = z && strstr(zVolatile, z) != 0;
  sqlite3_free(z);
  return b;
}

/* SELECT of the columns of zTable that SELECT * shows, but volatile ones. */
static char *table_select(sqlite3 *db, const char *zTable) {
  if (zVolatile == 0) return sqlite3_mprintf("SELECT * FROM main.\"%w\"", zTable);
  sqlite3_stmt *pStmt = 0;
  sqlite3_str *p = sqlite3_str_new(0);
  sqlite3_str_appendall(p, "SELECT 0");
  if (sqlite3_prepare_v2(
          db, "SELECT name FROM pragma_table_xinfo(?1, 'main') WHERE hidden <> 1", -1,
          &pStmt, 0) == SQLITE_OK) {
    sqlite3_bind_text(pStmt, 1, zTable, -1, SQLITE_STATIC);
    while (sqlite3_step(pStmt) == SQLITE_ROW) {
      const char *zCol = (const char *)sqlite3_column_text(pStmt, 0);
      if (!is_volatile(zTable, zCol)) sqlite3_str_appendf(p, ", \"%w\"", zCol);
    }
  }
  sqlite3_finalize(pStmt);
  sqlite3_str_appendf(p, " FROM main.\"%w\"", zTable);
  return sqlite3_str_finish(p);
}

uint64_t oracle_table_digest(sqlite3 *db, const char *zTable) {
  char *zSql = table_select(db, zTable);
  uint64_t h = zSql ? rows_digest(db, zSql) : 0;
  sqlite3_free(zSql);
  return h;
}

/* The tables whose rows a digest covers: every ordinary table of main, and
** sqlite_sequence unless bNoSeq. */
#define USER_TABLES                                                                      \
  "SELECT name FROM main.sqlite_schema WHERE type='table' AND sql NOT LIKE "             \
  "'CREATE VIRTUAL%%' AND (name NOT LIKE 'sqlite\\_%%' ESCAPE '\\' OR name=%Q) "         \
  "ORDER BY name"

/*
** Digest the rows of every user table. With bNames the table names are in
** the digest and the tables are combined in name order; without, the
** tables are combined as a multiset and only their rows count.
*/
static uint64_t tables_digest(sqlite3 *db, int bNames) {
  char *zSql = sqlite3_mprintf(USER_TABLES, bNames ? "sqlite_sequence" : "");
  sqlite3_stmt *pStmt = 0;
  if (zSql == 0 || sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0) != SQLITE_OK) {
    sqlite3_free(zSql);
    return 0;
  }
  sqlite3_free(zSql);
  uint64_t h = FNV_START, sum = 0;
  int rc, bOk = 1;
  while (bOk && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    const char *zName = (const char *)sqlite3_column_text(pStmt, 0);
    uint64_t t = oracle_table_digest(db, zName);
    bOk = t != 0;
    if (bNames) {
      h = oracle_hash(h, zName, (int)strlen(zName) + 1);
      h = oracle_hash(h, &t, sizeof(t));
    } else {
      sum += mix(t);
    }
  }
  if (sqlite3_finalize(pStmt) != SQLITE_OK) bOk = 0;
  if (!bOk) return 0;
  return bNames ? h : mix(sum);
}

uint64_t oracle_digest(sqlite3 *db) {
  uint64_t hSchema = rows_digest(db, "SELECT type, name, tbl_name, sql FROM "
                                     "main.sqlite_schema WHERE name NOT LIKE "
                                     "'sqlite_autoindex%'");
  uint64_t hHead = rows_digest(db, "SELECT (SELECT user_version FROM "
                                   "pragma_user_version), (SELECT application_id "
                                   "FROM pragma_application_id)");
  uint64_t hTables = tables_digest(db, 1);
  if (hSchema == 0 || hHead == 0 || hTables == 0) return 0;
  return mix(hSchema ^ mix(hHead ^ mix(hTables)));
}

uint64_t oracle_data_digest(sqlite3 *db) {
  return tables_digest(db, 0);
}

int oracle_integrity(sqlite3 *db, char **pzWhy) {
  sqlite3_stmt *pStmt = 0;
  *pzWhy = 0;
  int rc = sqlite3_prepare_v2(db, "PRAGMA main.integrity_check", -1, &pStmt, 0);
  if (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    const char *z = (const char *)sqlite3_column_text(pStmt, 0);
    if (z == 0 || strcmp(z, "ok") != 0) {
      *pzWhy = strdup(z ? z : "(null)");
    }
  } else {
    *pzWhy = strdup(sqlite3_errmsg(db));
  }
  sqlite3_finalize(pStmt);
  return *pzWhy != 0;
}

int oracle_file_db(const char *zPath, uint64_t *pDigest, char **pzWhy) {
  struct stat st;
  *pzWhy = 0;
  *pDigest = 0;
  if (stat(zPath, &st) != 0) return 0;
  if (st.st_size == 0) {
    *pzWhy = strdup("a 0-byte file");
    return 0;
  }
  sqlite3 *db = 0;
  char *zUri = sqlite3_mprintf("file:%s?mode=ro", zPath);
  int rc = sqlite3_open_v2(zUri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, "unix");
  sqlite3_free(zUri);
  if (rc == SQLITE_OK && oracle_integrity(db, pzWhy) == 0) {
    *pDigest = oracle_digest(db);
    if (*pDigest == 0) *pzWhy = strdup(sqlite3_errmsg(db));
  } else if (*pzWhy == 0) {
    *pzWhy = strdup(sqlite3_errmsg(db));
  }
  sqlite3_close(db);
  return *pzWhy == 0;
}

/* ------------------------------------------------------------------ files */

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_into(const char *zDir, const char *zRel, FileList *p) {
  char *zPath = sqlite3_mprintf("%s/%s", zDir, zRel);
  DIR *d = opendir(zPath);
  sqlite3_free(zPath);
  if (d == 0) return;
  struct dirent *e;
  while ((e = readdir(d)) != 0) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    char *zChild = sqlite3_mprintf("%s%s", zRel, e->d_name);
    char *zFull = sqlite3_mprintf("%s/%s", zDir, zChild);
    struct stat st;
    if (lstat(zFull, &st) == 0 && S_ISDIR(st.st_mode)) {
      char *zSub = sqlite3_mprintf("%s/", zChild);
      list_into(zDir, zSub, p);
      sqlite3_free(zSub);
    } else {
      if (p->n == p->nAlloc) {
        p->nAlloc = p->nAlloc ? p->nAlloc * 2 : 16;
        p->az = realloc(p->az, sizeof(char *) * p->nAlloc);
      }
      p->az[p->n++] = strdup(zChild);
    }
    sqlite3_free(zChild);
    sqlite3_free(zFull);
  }
  closedir(d);
}

void files_list(const char *zDir, FileList *p) {
  memset(p, 0, sizeof(*p));
  list_into(zDir, "", p);
  if (p->n) qsort(p->az, p->n, sizeof(char *), cmp_str);
}

void files_free(FileList *p) {
  for (int i = 0; i < p->n; i++) free(p->az[i]);
  free(p->az);
  memset(p, 0, sizeof(*p));
}

int files_has(const FileList *p, const char *zRel) {
  for (int i = 0; i < p->n; i++)
    if (strcmp(p->az[i], zRel) == 0) return 1;
  return 0;
}

int files_is_sidecar(const char *zRel) {
  static const char *az[] = {"-journal", "-wal", "-shm"};
  size_t n = strlen(zRel);
  for (int i = 0; i < 3; i++) {
    size_t m = strlen(az[i]);
    if (n > m && strcmp(zRel + n - m, az[i]) == 0) return 1;
  }
  return 0;
}
