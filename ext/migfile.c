/*
** migfile.c: reading a migrations directory (part of the migrations area;
** the SQL functions are in migrate.c).
**
** The format is told from the file names and markers:
**   flyway          V<version>__<desc>.sql, U<version>__<desc>.sql (its
**                   down), R__<desc>.sql (repeatable); a <file>.sql.conf
**                   with executeInTransaction=false opts out
**   golang-migrate  <version>_<name>.up.sql and .down.sql
**   goose           <version>_<name>.sql with -- +goose Up / Down markers,
**                   -- +goose NO TRANSACTION opts out (StatementBegin/End
**                   need no handling: SQLite's own parser splits statements)
**   dbmate          <version>_<name>.sql with -- migrate:up / -- migrate:down
**                   (several sections allowed; transaction:false on a
**                   marker line opts out)
**   plain           <version>_<name>.sql, the whole file is the up
**                   migration (sqlx's simple files, Django's sqlmigrate
**                   output); a first line "-- no-transaction" opts out
** Versions are the leading digits (Flyway: digits and . or _, kept with
** dots) and sort as numbers, part by part.
**
** No SQL functions live here.
*/
#include "devdb.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ versions */

/* Length of the run of digits at z. */
static int digits_len(const char *z) {
  int n = 0;
  while (z[n] >= '0' && z[n] <= '9') n++;
  return n;
}

int devdb_version_cmp(const char *a, const char *b) {
  while (*a || *b) {
    int na = digits_len(a), nb = digits_len(b);
    if (na == 0 || nb == 0) return strcmp(a, b);
    const char *pa = a, *pb = b;
    int ka = na, kb = nb;
    while (ka > 1 && *pa == '0') pa++, ka--;
    while (kb > 1 && *pb == '0') pb++, kb--;
    if (ka != kb) return ka < kb ? -1 : 1;
    int c = memcmp(pa, pb, ka);
    if (c) return c;
    a += na;
    b += nb;
    if ((*a == '.' || *a == '_') && (*b == '.' || *b == '_')) {
      a++;
      b++;
    } else if (*a == '.' || *a == '_' || *b == '.' || *b == '_' || *a || *b) {
      return *a == 0 ? -1 : *b == 0 ? 1 : strcmp(a, b);
    }
  }
  return 0;
}

/* ----------------------------------------------------- splitting SQL */

/* The line of offset i in z, counting from iLine at offset 0. */
static int line_at(const char *z, int i, int iLine) {
  for (int k = 0; k < i; k++) iLine += z[k] == '\n';
  return iLine;
}

/* Append a statement to pSec. */
static int add_stmt(DevdbArena *pA, DevdbMigSection *pSec, int iOff, int n, int iLine) {
  if ((pSec->nStmt & (pSec->nStmt - 1)) == 0) { /* 0, 1, 2, 4...: grow */
    int nNew = pSec->nStmt ? pSec->nStmt * 2 : 4;
    DevdbMigStmt *aNew = devdb_arena_alloc(pA, sizeof(DevdbMigStmt) * nNew);
    if (aNew == 0) return SQLITE_NOMEM;
    if (pSec->nStmt) memcpy(aNew, pSec->aStmt, sizeof(DevdbMigStmt) * pSec->nStmt);
    pSec->aStmt = aNew;
  }
  DevdbMigStmt *p = &pSec->aStmt[pSec->nStmt++];
  p->iOff = iOff;
  p->n = n;
  p->iLine = iLine;
  return SQLITE_OK;
}

/*
** Split the section text into statements the way sqlite3_complete() does
** (a ';' inside CREATE TRIGGER ... END does not end one). Each statement
** starts at its first significant token; its line is counted from there.
*/
static int split_section(DevdbArena *pA, DevdbMigSection *pSec) {
  char *z = pSec->zSql;
  int i = 0, iStart = -1, iLine = pSec->iLine, iLineAt = 0;
  for (;;) {
    int eType;
    int n = devdb_token_len(z + i, &eType);
    if (eType == DEVDB_TK_EOF) break;
    if (eType != DEVDB_TK_SPACE && eType != DEVDB_TK_COMMENT && iStart < 0) {
      if (eType == DEVDB_TK_SEMI) { /* an empty statement */
        i += n;
        continue;
      }
      iLine = line_at(z + iLineAt, i - iLineAt, iLine);
      iLineAt = i;
      iStart = i;
    }
    i += n;
    if (eType == DEVDB_TK_SEMI && iStart >= 0) {
      char c = z[i];
      z[i] = 0;
      int bComplete = sqlite3_complete(z + iStart);
      z[i] = c;
      if (bComplete) {
        if (add_stmt(pA, pSec, iStart, i - iStart, iLine)) return SQLITE_NOMEM;
        iStart = -1;
      }
    }
  }
  if (iStart >= 0 && add_stmt(pA, pSec, iStart, i - iStart, iLine)) return SQLITE_NOMEM;
  return SQLITE_OK;
}

/* Add a section of z[0..n) that starts on line iLine. */
static int add_section(DevdbArena *pA, int *pnSec, DevdbMigSection **paSec, const char *z,
                       int n, int iLine, int bNoTx) {
  DevdbMigSection *aNew = devdb_arena_alloc(pA, sizeof(DevdbMigSection) * (*pnSec + 1));
  if (aNew == 0) return SQLITE_NOMEM;
  if (*pnSec) memcpy(aNew, *paSec, sizeof(DevdbMigSection) * *pnSec);
  DevdbMigSection *pSec = &aNew[(*pnSec)++];
  *paSec = aNew;
  pSec->zSql = devdb_arena_strndup(pA, z, n);
  pSec->iLine = iLine;
  pSec->bNoTx = bNoTx;
  return pSec->zSql ? SQLITE_OK : SQLITE_NOMEM;
}

int devdb_migdir_split(DevdbMigDir *p, DevdbMigSection *aSec, int nSec) {
  for (int i = 0; i < nSec; i++) {
    if (aSec[i].bSplit) continue;
    aSec[i].bSplit = 1;
    if (split_section(&p->arena, &aSec[i])) return SQLITE_NOMEM;
  }
  return SQLITE_OK;
}

/* ------------------------------------------------------------ markers */

/* The length of the line at z, without its terminator. */
static int line_len(const char *z) {
  int n = 0;
  while (z[n] && z[n] != '\n') n++;
  return n;
}

/* When the line z[0..n) is "--" spaces zMarker (then a space or the end),
** the offset just past the marker; else 0. Case matters as in the tools. */
static int marker_at(const char *z, int n, const char *zMarker) {
  if (n < 2 || z[0] != '-' || z[1] != '-') return 0;
  int i = 2, m = (int)strlen(zMarker);
  while (i < n && (z[i] == ' ' || z[i] == '\t')) i++;
  if (i + m > n || strncmp(z + i, zMarker, m) != 0) return 0;
  i += m;
  if (i < n && z[i] != ' ' && z[i] != '\t' && z[i] != '\r') return 0;
  return i;
}

/* 1 when line z[0..n) holds the word zWord (bounded by spaces). */
static int line_has_word(const char *z, int n, const char *zWord) {
  int m = (int)strlen(zWord);
  for (int i = 0; i + m <= n; i++) {
    if ((i == 0 || z[i - 1] == ' ' || z[i - 1] == '\t') &&
        strncmp(z + i, zWord, m) == 0 &&
        (i + m == n || z[i + m] == ' ' || z[i + m] == '\t' || z[i + m] == '\r')) {
      return 1;
    }
  }
  return 0;
}

/* 1 when the line z[0..n) holds nothing but space. */
static int line_blank(const char *z, int n) {
  for (int i = 0; i < n; i++) {
    if (z[i] != ' ' && z[i] != '\t' && z[i] != '\r') return 0;
  }
  return 1;
}

/*
** Parse a file with up and down markers: dbmate's "migrate:up" /
** "migrate:down" or goose's "+goose Up" / "+goose Down". Text before the
** first marker may only be blank or comments.
*/
static int parse_marked(DevdbArena *pA, DevdbMigration *pM, const char *zUp,
                        const char *zDown, char **pzErr) {
  const char *z = pM->zText;
  int bGoose = zUp[0] == '+';
  int eIn = 0; /* 0 before any marker, 1 up, 2 down */
  int iBody = 0, iBodyLine = 0, bNoTx = 0, iLine = 1;
  if (bGoose) { /* NO TRANSACTION anywhere applies to the whole file */
    for (int i = 0; z[i]; i += line_len(z + i) + (z[i + line_len(z + i)] != 0)) {
      if (marker_at(z + i, line_len(z + i), "+goose NO TRANSACTION")) pM->bNoTx = 1;
    }
  }
  for (int i = 0;; iLine++) {
    int n = line_len(z + i), k = 0, eNext = 0;
    int bEnd = z[i] == 0;
    if (!bEnd && (k = marker_at(z + i, n, zUp)) != 0) eNext = 1;
    if (!bEnd && !eNext && (k = marker_at(z + i, n, zDown)) != 0) eNext = 2;
    if (bEnd || eNext) {
      if (eIn) {
        int rc = add_section(pA, eIn == 1 ? &pM->nUp : &pM->nDown,
                             eIn == 1 ? &pM->aUp : &pM->aDown, z + iBody, i - iBody,
                             iBodyLine, bNoTx || pM->bNoTx);
        if (rc) return rc;
      }
      if (bEnd) break;
      eIn = eNext;
      bNoTx = !bGoose && line_has_word(z + i + k, n - k, "transaction:false");
      if (bNoTx && eIn == 1) pM->bNoTx = 1;
      iBody = i + n + (z[i + n] != 0);
      iBodyLine = iLine + 1;
    } else if (eIn == 0 && !line_blank(z + i, n) &&
               !(n >= 2 && z[i] == '-' && z[i + 1] == '-')) {
      *pzErr = sqlite3_mprintf("%s:%d: SQL before the first '-- %s' marker", pM->zFile,
                               iLine, zUp);
      return SQLITE_ERROR;
    }
    i += n + (z[i + n] != 0);
  }
  if (pM->nUp == 0) {
    *pzErr = sqlite3_mprintf("%s: no '-- %s' marker", pM->zFile, zUp);
    return SQLITE_ERROR;
  }
  return SQLITE_OK;
}

/* ------------------------------------------------------- file names */

/* Which format a file name belongs to (DEVDB_FMT_*), or 0 for none. */
static int name_format(const char *zName) {
  int n = (int)strlen(zName);
  if (!devdb_has_suffix(zName, ".sql")) return 0;
  if ((zName[0] == 'V' || zName[0] == 'U') && digits_len(zName + 1) > 0) {
    const char *zSep = strstr(zName, "__");
    if (zSep) {
      int bOk = 1;
      for (const char *p = zName + 1; p < zSep; p++) {
        if (!((*p >= '0' && *p <= '9') || *p == '.' || *p == '_')) bOk = 0;
      }
      if (bOk) return DEVDB_FMT_FLYWAY;
    }
  }
  if (strncmp(zName, "R__", 3) == 0) return DEVDB_FMT_FLYWAY;
  int d = digits_len(zName);
  if (d == 0) return 0;
  if (zName[d] == '_' &&
      (devdb_has_suffix(zName, ".up.sql") || devdb_has_suffix(zName, ".down.sql")) &&
      n > d + 8) {
    return DEVDB_FMT_GOLANG;
  }
  return DEVDB_FMT_PLAIN; /* dbmate, goose or plain: told by the markers */
}

static int cmp_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The file names (.sql) of zDir, sorted, in an sqlite3_malloc'd array of
** sqlite3_malloc'd strings. */
static int list_dir(const char *zDir, char ***pazName, int *pnName, char **pzErr) {
  DIR *d = opendir(zDir);
  if (d == 0) {
    *pzErr = sqlite3_mprintf("cannot read the directory '%s'", zDir);
    return SQLITE_ERROR;
  }
  char **az = 0;
  int n = 0, rc = SQLITE_OK;
  struct dirent *e;
  while ((e = readdir(d)) != 0 && rc == SQLITE_OK) {
    if (!devdb_has_suffix(e->d_name, ".sql") || e->d_name[0] == '.') continue;
    char **azNew = sqlite3_realloc64(az, sizeof(char *) * (n + 1));
    if (azNew == 0) {
      rc = SQLITE_NOMEM;
      break;
    }
    az = azNew;
    az[n] = sqlite3_mprintf("%s", e->d_name);
    if (az[n++] == 0) rc = SQLITE_NOMEM;
  }
  closedir(d);
  if (rc == SQLITE_OK && n > 1) {
    qsort(az, n, sizeof(char *), cmp_name);
  }
  *pazName = az;
  *pnName = n;
  return rc;
}

/* ------------------------------------------------------------ loading */

/* "size:seconds.nanoseconds" of a file's stat, into zOut[48]. */
static void stat_text(const struct stat *st, char *zOut) {
  sqlite3_snprintf(48, zOut, "%lld:%lld.%09ld", (long long)st->st_size,
                   (long long)st->st_mtim.tv_sec, (long)st->st_mtim.tv_nsec);
}

/* Read file zName of the directory into the arena (NUL-terminated): one
** allocation of the file's size, no intermediate buffer. A NUL byte in the
** file is an error naming the file and its offset: SQLite would stop at it,
** and the statements after it would silently never run. */
static int read_mig_file(DevdbMigDir *p, const char *zName, char **pzText, int *pnText,
                         char *zStat, char **pzErr) {
  char *zPath = sqlite3_mprintf("%s/%s", p->zDir, zName);
  if (zPath == 0) return SQLITE_NOMEM;
  int fd = open(zPath, O_RDONLY), rc = SQLITE_OK;
  sqlite3_free(zPath);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    *pzErr = sqlite3_mprintf("cannot open '%s/%s' for reading", p->zDir, zName);
    if (fd >= 0) close(fd);
    return SQLITE_ERROR;
  }
  if (st.st_size > 0x7ffffff0) {
    close(fd);
    *pzErr = sqlite3_mprintf("%s: too large", zName);
    return SQLITE_TOOBIG;
  }
  int n = (int)st.st_size, nGot = 0;
  char *z = devdb_arena_alloc(&p->arena, (size_t)n + 1);
  if (z == 0) rc = SQLITE_NOMEM;
  while (rc == SQLITE_OK && nGot < n) {
    ssize_t k = read(fd, z + nGot, n - nGot);
    if (k <= 0) {
      *pzErr = sqlite3_mprintf("cannot read '%s/%s'", p->zDir, zName);
      rc = SQLITE_ERROR;
    }
    nGot += k > 0 ? (int)k : 0;
  }
  close(fd);
  if (rc) return rc;
  const char *zNul = memchr(z, 0, n);
  if (zNul) {
    *pzErr = sqlite3_mprintf("error in '%s/%s': a NUL byte at offset %d", p->zDir, zName,
                             (int)(zNul - z));
    return SQLITE_ERROR;
  }
  z[n] = 0;
  *pzText = z;
  *pnText = n;
  if (zStat) stat_text(&st, zStat);
  return SQLITE_OK;
}

/* A new migration slot; NULL on OOM. */
static DevdbMigration *new_mig(DevdbMigDir *p) {
  if (p->nMig == p->nAlloc) {
    int nNew = p->nAlloc ? p->nAlloc * 2 : 32;
    DevdbMigration *aNew = sqlite3_realloc64(p->aMig, sizeof(DevdbMigration) * nNew);
    if (aNew == 0) return 0;
    p->aMig = aNew;
    p->nAlloc = nNew;
  }
  DevdbMigration *pM = &p->aMig[p->nMig++];
  memset(pM, 0, sizeof(*pM));
  return pM;
}

/* Version and name from a file name: "<digits>[_-]<name>.sql" (golang:
** ".up.sql"); Flyway "V1_2__name.sql" gives 1.2 and "name". */
static int split_name(DevdbMigDir *p, DevdbMigration *pM, const char *zFile) {
  DevdbArena *pA = &p->arena;
  int n = (int)strlen(zFile) - 4;
  if (p->eFormat == DEVDB_FMT_GOLANG) n -= devdb_has_suffix(zFile, ".up.sql") ? 3 : 5;
  if (p->eFormat == DEVDB_FMT_FLYWAY) {
    const char *zSep = strstr(zFile, "__");
    if (zFile[0] != 'R') {
      pM->zVersion = devdb_arena_strndup(pA, zFile + 1, (int)(zSep - zFile - 1));
      if (pM->zVersion == 0) return SQLITE_NOMEM;
      for (char *q = pM->zVersion; *q; q++) *q = *q == '_' ? '.' : *q;
    }
    pM->zName = devdb_arena_strndup(pA, zSep + 2, n - (int)(zSep + 2 - zFile));
    if (pM->zName == 0) return SQLITE_NOMEM;
    for (char *q = pM->zName; *q; q++) *q = *q == '_' ? ' ' : *q;
    return SQLITE_OK;
  }
  int d = digits_len(zFile);
  pM->zVersion = devdb_arena_strndup(pA, zFile, d);
  int iName = d + (zFile[d] == '_' || zFile[d] == '-');
  pM->zName = devdb_arena_strndup(pA, zFile + iName, n > iName ? n - iName : 0);
  return pM->zVersion && pM->zName ? SQLITE_OK : SQLITE_NOMEM;
}

/* Which of dbmate, goose or plain the text of a file is written in. */
static int marker_format(const char *z) {
  for (int i = 0; z[i]; i += line_len(z + i) + (z[i + line_len(z + i)] != 0)) {
    int n = line_len(z + i);
    if (marker_at(z + i, n, "migrate:up") || marker_at(z + i, n, "migrate:down")) {
      return DEVDB_FMT_DBMATE;
    }
    if (marker_at(z + i, n, "+goose Up") || marker_at(z + i, n, "+goose Down")) {
      return DEVDB_FMT_GOOSE;
    }
  }
  return DEVDB_FMT_PLAIN;
}

/* 1 when the Flyway script zFile has a .conf beside it that says
** executeInTransaction=false. */
static int flyway_conf_notx(DevdbMigDir *p, const char *zFile) {
  char *zPath = sqlite3_mprintf("%s/%s.conf", p->zDir, zFile), *zErr = 0;
  if (zPath == 0 || devdb_path_kind(zPath) != 2) {
    sqlite3_free(zPath);
    return 0;
  }
  char *z = devdb_read_file(zPath, 0, &zErr);
  int bNoTx = z && strstr(z, "executeInTransaction=false") != 0;
  sqlite3_free(z);
  sqlite3_free(zErr);
  sqlite3_free(zPath);
  return bNoTx;
}

/* Parse the sections of pM's text by the directory's format. */
static int parse_mig(DevdbMigDir *p, DevdbMigration *pM, char **pzErr) {
  DevdbArena *pA = &p->arena;
  switch (p->eFormat) {
  case DEVDB_FMT_DBMATE:
    return parse_marked(pA, pM, "migrate:up", "migrate:down", pzErr);
  case DEVDB_FMT_GOOSE:
    return parse_marked(pA, pM, "+goose Up", "+goose Down", pzErr);
  default:
    if (p->eFormat == DEVDB_FMT_FLYWAY) pM->bNoTx = flyway_conf_notx(p, pM->zFile);
    if (strncmp(pM->zText, "-- no-transaction", 17) == 0) pM->bNoTx = 1;
    return add_section(pA, &pM->nUp, &pM->aUp, pM->zText, pM->nText, 1, pM->bNoTx);
  }
}

/* The directory's format, from its file names and the markers of the
** first file that has any. */
static int dir_format(DevdbMigDir *p, char **azName, int nName, char **pzErr) {
  int eFmt = 0;
  for (int i = 0; i < nName; i++) {
    int e = name_format(azName[i]);
    if (e == DEVDB_FMT_FLYWAY || e == DEVDB_FMT_GOLANG) return e;
    if (e == 0 || eFmt) continue;
    char *z = 0;
    int n = 0;
    int rc = read_mig_file(p, azName[i], &z, &n, 0, pzErr);
    if (rc) return -rc;
    int eM = marker_format(z);
    if (eM != DEVDB_FMT_PLAIN) eFmt = eM;
  }
  return eFmt ? eFmt : DEVDB_FMT_PLAIN;
}

/* Sort order: versioned migrations by version, repeatables after by name. */
static int cmp_mig(const void *a, const void *b) {
  const DevdbMigration *x = a, *y = b;
  if (!x->zVersion || !y->zVersion) {
    if (x->zVersion || y->zVersion) return x->zVersion ? -1 : 1;
    return strcmp(x->zFile, y->zFile);
  }
  return devdb_version_cmp(x->zVersion, y->zVersion);
}

/* Attach the down file zFile (golang .down.sql, Flyway U) to its up; it is
** read with the up file's content. */
static int attach_down(DevdbMigDir *p, const char *zFile, char **pzErr) {
  DevdbMigration tmp;
  memset(&tmp, 0, sizeof(tmp));
  int rc = split_name(p, &tmp, zFile);
  if (rc) return rc;
  for (int i = 0; i < p->nMig; i++) {
    DevdbMigration *pM = &p->aMig[i];
    if (!pM->zVersion || devdb_version_cmp(pM->zVersion, tmp.zVersion) != 0) continue;
    pM->zDownFile = devdb_arena_strndup(&p->arena, zFile, -1);
    return pM->zDownFile ? SQLITE_OK : SQLITE_NOMEM;
  }
  *pzErr = sqlite3_mprintf("%s: no up migration with version %s", zFile, tmp.zVersion);
  return SQLITE_ERROR;
}

/* 1 when zFile is a down file of the format (read after the ups). */
static int is_down_file(int eFmt, const char *zFile) {
  if (eFmt == DEVDB_FMT_GOLANG) return devdb_has_suffix(zFile, ".down.sql");
  return eFmt == DEVDB_FMT_FLYWAY && zFile[0] == 'U';
}

/* Load every up file of the directory. */
static int load_ups(DevdbMigDir *p, char **azName, int nName, char **pzErr) {
  for (int i = 0; i < nName; i++) {
    const char *zFile = azName[i];
    int e = name_format(zFile);
    if (e != (p->eFormat <= DEVDB_FMT_GOOSE ? DEVDB_FMT_PLAIN : p->eFormat)) continue;
    if (is_down_file(p->eFormat, zFile)) continue;
    DevdbMigration *pM = new_mig(p);
    if (pM == 0) return SQLITE_NOMEM;
    pM->zFile = devdb_arena_strndup(&p->arena, zFile, -1);
    if (pM->zFile == 0) return SQLITE_NOMEM;
    int rc = split_name(p, pM, zFile);
    if (rc) return rc;
  }
  return SQLITE_OK;
}

int devdb_migdir_content(DevdbMigDir *p, DevdbMigration *pM, char **pzErr) {
  if (pM->bLoaded) return SQLITE_OK;
  int rc = read_mig_file(p, pM->zFile, &pM->zText, &pM->nText, pM->zStat, pzErr);
  if (rc == SQLITE_OK) rc = parse_mig(p, pM, pzErr);
  if (rc == SQLITE_OK && pM->zDownFile) {
    char *z = 0;
    int n = 0;
    rc = read_mig_file(p, pM->zDownFile, &z, &n, 0, pzErr);
    int bNoTx = rc == SQLITE_OK && strncmp(z, "-- no-transaction", 17) == 0;
    if (rc == SQLITE_OK)
      rc = add_section(&p->arena, &pM->nDown, &pM->aDown, z, n, 1, bNoTx);
  }
  if (rc == SQLITE_OK) {
    devdb_sha256_hex(pM->zText, pM->nText, pM->zChecksum);
    pM->bLoaded = 1;
  } else if (rc == SQLITE_NOMEM && *pzErr == 0) {
    *pzErr = sqlite3_mprintf("out of memory");
  }
  return rc;
}

int devdb_migdir_stat(DevdbMigDir *p, DevdbMigration *pM, char *zOut) {
  if (pM->bLoaded) {
    memcpy(zOut, pM->zStat, sizeof(pM->zStat));
    return SQLITE_OK;
  }
  char *zPath = sqlite3_mprintf("%s/%s", p->zDir, pM->zFile);
  struct stat st;
  int rc = zPath == 0 ? SQLITE_NOMEM : stat(zPath, &st) ? SQLITE_ERROR : SQLITE_OK;
  sqlite3_free(zPath);
  if (rc == SQLITE_OK) stat_text(&st, zOut);
  return rc;
}

/* Two migrations with one version are an error naming both files. */
static int check_unique(DevdbMigDir *p, char **pzErr) {
  for (int i = 1; i < p->nMig; i++) {
    DevdbMigration *a = &p->aMig[i - 1], *b = &p->aMig[i];
    if (a->zVersion && b->zVersion && devdb_version_cmp(a->zVersion, b->zVersion) == 0) {
      *pzErr = sqlite3_mprintf("two migrations have version %s: %s and %s", b->zVersion,
                               a->zFile, b->zFile);
      return SQLITE_ERROR;
    }
  }
  return SQLITE_OK;
}

int devdb_migdir_load(const char *zDir, DevdbMigDir **pp, char **pzErr) {
  *pp = 0;
  *pzErr = 0;
  DevdbMigDir *p = sqlite3_malloc64(sizeof(*p));
  if (p == 0) return SQLITE_NOMEM;
  memset(p, 0, sizeof(*p));
  char **azName = 0;
  int nName = 0;
  p->zDir = devdb_arena_strndup(&p->arena, zDir, -1);
  int rc = p->zDir ? list_dir(zDir, &azName, &nName, pzErr) : SQLITE_NOMEM;
  if (rc == SQLITE_OK) {
    int e = dir_format(p, azName, nName, pzErr);
    if (e < 0) rc = -e;
    p->eFormat = e;
  }
  if (rc == SQLITE_OK) rc = load_ups(p, azName, nName, pzErr);
  if (rc == SQLITE_OK && p->nMig > 1)
    qsort(p->aMig, p->nMig, sizeof(DevdbMigration), cmp_mig);
  if (rc == SQLITE_OK) rc = check_unique(p, pzErr);
  for (int i = 0; i < nName && rc == SQLITE_OK; i++) {
    if (name_format(azName[i]) == p->eFormat && is_down_file(p->eFormat, azName[i])) {
      rc = attach_down(p, azName[i], pzErr);
    }
  }
  for (int i = 0; i < nName; i++) sqlite3_free(azName[i]);
  sqlite3_free(azName);
  if (rc == SQLITE_OK && p->arena.bOom) rc = SQLITE_NOMEM;
  if (rc != SQLITE_OK) {
    if (rc == SQLITE_NOMEM && *pzErr == 0) *pzErr = sqlite3_mprintf("out of memory");
    devdb_migdir_free(p);
    return rc;
  }
  *pp = p;
  return SQLITE_OK;
}

void devdb_migdir_free(DevdbMigDir *p) {
  if (p == 0) return;
  sqlite3_free(p->aMig);
  devdb_arena_free(&p->arena);
  sqlite3_free(p);
}

const char *devdb_migdir_format_name(int eFormat) {
  static const char *az[] = {"?", "plain", "dbmate", "goose", "golang-migrate", "flyway"};
  return eFormat > 0 && eFormat <= DEVDB_FMT_FLYWAY ? az[eFormat] : "?";
}
