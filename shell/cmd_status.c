/*
** cmd_status.c: `status`, the one-screen answer to "what state is this
** database in": the file, its size and tables; the migrations (how many
** applied, each one that is not: pending, modified, missing, dirty, out of
** order) from devdb_migrations; the drift between the schema and what the
** migrations build (devdb_diff); the last backup; the settings in use.
** Printed as aligned `key  value` lines, one JSON object with --json, or
** key,value lines with --csv. Exits 3 when a migration or drift needs
** attention.
**
** status runs often (in a prompt, in CI), so what it learns from SQLite is
** cached in .devdb/cache/DB.status beside the database under a key made
** from what could change it: the database file (inode, size, mtime, the
** header's change counter), its -wal, and every entry of the migrations
** directory (name, size, mtime). When the key matches, the database is
** not opened at all. A hot -journal, or names that cannot be written on
** one line, are never cached. The backups are always listed afresh.
*/
#include "shell.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SHOWN_MAX 10 /* migrations listed one by one before "... and N more" */

/* What status found. */
typedef struct Status {
  sqlite3_int64 nByte, nTable;
  char *zJournal;
  int bMigrations; /* a migrations directory was read */
  char *zMigError; /* why it could not be */
  char *zTool;     /* whose history table */
  int nFile, nApplied, nAttention;
  sqlite3_int64 nDrift; /* changes between database and migrations; -1 unknown */
  char *zDriftError;    /* why the drift is unknown */
  StrList aState, aVersion, aFile; /* the migrations that are not applied */
  char *zBackup;                   /* newest backup, or NULL */
  time_t tBackup;
} Status;

static void status_database(Shell *p, Status *s) {
  s->nByte = shell_query_int(p, 0,
                             "SELECT page_count * page_size FROM pragma_page_count, "
                             "pragma_page_size");
  s->nTable = shell_query_int(p, 0,
                              "SELECT count(*) FROM sqlite_schema WHERE type = 'table' "
                              "AND name NOT LIKE 'sqlite_%%'");
  s->zJournal = shell_query_text(p, "PRAGMA journal_mode");
}

/* The migrations of the settings' directory, through devdb_migrations. */
static void status_migrations(Shell *p, Status *s) {
  if (p->cfg.zMigrations == 0) return;
  sqlite3_stmt *pStmt = 0;
  if (sqlite3_prepare_v2(p->db,
                         "SELECT state, version, file, tool FROM devdb_migrations(?1)",
                         -1, &pStmt, 0) != SQLITE_OK) {
    s->zMigError = shell_strdup(sqlite3_errmsg(p->db));
    return;
  }
  sqlite3_bind_text(pStmt, 1, p->cfg.zMigrations, -1, SQLITE_STATIC);
  while (sqlite3_step(pStmt) == SQLITE_ROW) {
    const char *zState = (const char *)sqlite3_column_text(pStmt, 0);
    const char *zTool = (const char *)sqlite3_column_text(pStmt, 3);
    if (zTool && s->zTool == 0) s->zTool = shell_strdup(zTool);
    s->nFile += strcmp(zState, "missing") != 0;
    if (strcmp(zState, "applied") == 0) {
      s->nApplied++;
      continue;
    }
    const char *zVersion = (const char *)sqlite3_column_text(pStmt, 1);
    const char *zFile = (const char *)sqlite3_column_text(pStmt, 2);
    strlist_add(&s->aState, zState);
    strlist_add(&s->aVersion, zVersion ? zVersion : "");
    strlist_add(&s->aFile, zFile ? zFile : "");
    s->nAttention++;
  }
  if (sqlite3_finalize(pStmt) != SQLITE_OK) {
    s->zMigError = shell_strdup(sqlite3_errmsg(p->db));
  } else {
    s->bMigrations = 1;
    s->nDrift = shell_drift_count(p, p->cfg.zMigrations, &s->zDriftError);
  }
}

/* "size.mtime" of a file, or "-" when it is missing. */
static char *file_stamp(const char *zPath) {
  struct stat st;
  if (stat(zPath, &st) != 0) return shell_strdup("-");
  return shell_printf("%lld.%ld.%ld", (long long)st.st_size, (long)st.st_mtim.tv_sec,
                      (long)st.st_mtim.tv_nsec);
}

/* The change counter of the database header (bytes 24..27), or -1. */
static long change_counter(const char *zPath) {
  unsigned char a[28];
  FILE *in = fopen(zPath, "rb");
  size_t n = in ? fread(a, 1, sizeof(a), in) : 0;
  if (in) fclose(in);
  return n == sizeof(a) ? (long)a[24] << 24 | a[25] << 16 | a[26] << 8 | a[27] : -1;
}

/* The cache key (malloc'd), or NULL when this state is not cacheable. */
static char *cache_key(Shell *p) {
  struct stat st;
  char *zJournal = shell_printf("%s-journal", p->zDbPath);
  int bHot = path_kind(zJournal) != 0;
  free(zJournal);
  if (bHot || stat(p->zDbPath, &st) != 0) return 0;
  char *zWal = shell_printf("%s-wal", p->zDbPath), *zDb = file_stamp(p->zDbPath);
  char *zWalStamp = file_stamp(zWal);
  char *zKey = shell_printf("%s|%lld|%s|%ld|%s|%s", DEVDB_VERSION, (long long)st.st_ino,
                            zDb, change_counter(p->zDbPath), zWalStamp,
                            p->cfg.zMigrations ? p->cfg.zMigrations : "");
  free(zWal), free(zDb), free(zWalStamp);
  StrList l = {0, 0, 0};
  DIR *d = p->cfg.zMigrations ? opendir(p->cfg.zMigrations) : 0;
  struct dirent *e;
  while (d && (e = readdir(d)) != 0) {
    if (e->d_name[0] == '.') continue;
    char *zPath = path_join(p->cfg.zMigrations, e->d_name), *zStamp = file_stamp(zPath);
    char *zEntry = shell_printf("%s:%s", e->d_name, zStamp);
    strlist_add(&l, zEntry);
    free(zPath), free(zStamp), free(zEntry);
  }
  if (d) closedir(d);
  strlist_sort_unique(&l);
  for (int i = 0; i < l.n; i++) {
    char *zNew = shell_printf("%s|%s", zKey, l.az[i]);
    free(zKey);
    zKey = zNew;
  }
  strlist_free(&l);
  if (strpbrk(zKey, "\t\n")) {
    free(zKey);
    return 0;
  }
  return zKey;
}

/* .devdb/cache/NAME.status beside the database (malloc'd). */
static char *cache_path(Shell *p) {
  char *zDir = path_dir(p->zDbPath);
  const char *zBase =
      strrchr(p->zDbPath, '/') ? strrchr(p->zDbPath, '/') + 1 : p->zDbPath;
  char *zPath = shell_printf("%s/.devdb/cache/%s.status", zDir, zBase);
  free(zDir);
  return zPath;
}

/* Split a cache line "name\tvalue..." at its tabs, in place. */
static int split_tabs(char *z, char **az, int nMax) {
  int n = 0;
  az[n++] = z;
  for (; *z && n < nMax; z++) {
    if (*z == '\t') *z = 0, az[n++] = z + 1;
  }
  return n;
}

/* Fill s from the cache when it was written under zKey; 1 when it was. */
static int cache_load(Shell *p, const char *zKey, Status *s) {
  char *zPath = cache_path(p), *zLine = 0;
  FILE *in = fopen(zPath, "r");
  free(zPath);
  size_t nAlloc = 0;
  int bHit = 0;
  ssize_t n;
  while (in && (n = getline(&zLine, &nAlloc, in)) > 0) {
    if (zLine[n - 1] == '\n') zLine[--n] = 0;
    char *az[4] = {0, 0, 0, 0};
    int nField = split_tabs(zLine, az, 4);
    if (!bHit && (nField != 2 || strcmp(az[0], "key") != 0 || strcmp(az[1], zKey) != 0))
      break;
    bHit = 1;
    if (nField < 2) continue;
    if (strcmp(az[0], "bytes") == 0) s->nByte = atoll(az[1]);
    if (strcmp(az[0], "tables") == 0) s->nTable = atoll(az[1]);
    if (strcmp(az[0], "journal") == 0) s->zJournal = shell_strdup(az[1]);
    if (strcmp(az[0], "migerror") == 0) s->zMigError = shell_strdup(az[1]);
    if (strcmp(az[0], "tool") == 0) s->zTool = shell_strdup(az[1]);
    if (strcmp(az[0], "migrations") == 0) s->bMigrations = 1;
    if (strcmp(az[0], "files") == 0) s->nFile = atoi(az[1]);
    if (strcmp(az[0], "applied") == 0) s->nApplied = atoi(az[1]);
    if (strcmp(az[0], "drift") == 0) s->nDrift = atoll(az[1]);
    if (strcmp(az[0], "drifterror") == 0) s->zDriftError = shell_strdup(az[1]);
    if (strcmp(az[0], "mig") == 0 && nField == 4) {
      strlist_add(&s->aState, az[1]);
      strlist_add(&s->aVersion, az[2]);
      strlist_add(&s->aFile, az[3]);
      s->nAttention++;
    }
  }
  free(zLine);
  if (in) fclose(in);
  return bHit;
}

/* Write s to the cache under zKey (temp file, then rename); quietly
** skipped when something cannot be written on one line. */
static void cache_save(Shell *p, const char *zKey, const Status *s) {
  char *zPath = cache_path(p), *zDir = path_dir(zPath);
  char *zTmp = shell_printf("%s.tmp-%d", zPath, (int)getpid());
  FILE *out = path_mkdirs(zDir, 0700) == 0 ? fopen(zTmp, "w") : 0;
  int bOk = out != 0;
  const char *azText[] = {s->zJournal, s->zMigError, s->zTool, s->zDriftError};
  for (int i = 0; i < 4; i++) bOk &= azText[i] == 0 || strpbrk(azText[i], "\t\n") == 0;
  for (int i = 0; i < s->aFile.n; i++) {
    bOk &=
        strpbrk(s->aFile.az[i], "\t\n") == 0 && strpbrk(s->aVersion.az[i], "\t\n") == 0;
  }
  if (bOk) {
    fprintf(out, "key\t%s\nbytes\t%lld\ntables\t%lld\n", zKey, (long long)s->nByte,
            (long long)s->nTable);
    if (s->zJournal) fprintf(out, "journal\t%s\n", s->zJournal);
    if (s->zMigError) fprintf(out, "migerror\t%s\n", s->zMigError);
    if (s->zTool) fprintf(out, "tool\t%s\n", s->zTool);
    if (s->zDriftError) fprintf(out, "drifterror\t%s\n", s->zDriftError);
    if (s->bMigrations) {
      fprintf(out, "migrations\t1\nfiles\t%d\napplied\t%d\ndrift\t%lld\n", s->nFile,
              s->nApplied, (long long)s->nDrift);
    }
    for (int i = 0; i < s->aState.n; i++) {
      fprintf(out, "mig\t%s\t%s\t%s\n", s->aState.az[i], s->aVersion.az[i],
              s->aFile.az[i]);
    }
  }
  if (out && fclose(out) == 0 && bOk) {
    rename(zTmp, zPath);
  } else {
    unlink(zTmp);
  }
  free(zTmp), free(zDir), free(zPath);
}

static void status_backup(Shell *p, Status *s) {
  char **az = backup_list(p);
  struct stat st;
  if (az[0] && stat(az[0], &st) == 0) {
    s->zBackup = shell_strdup(az[0]);
    s->tBackup = st.st_mtime;
  }
  backup_list_free(az);
}

/* "3 min ago" for a time in the past. */
static void age(char *zBuf, size_t n, time_t t) {
  long d = (long)(time(0) - t);
  if (d < 120) {
    snprintf(zBuf, n, "%ld s ago", d);
  } else if (d < 7200) {
    snprintf(zBuf, n, "%ld min ago", d / 60);
  } else if (d < 172800) {
    snprintf(zBuf, n, "%ld h ago", d / 3600);
  } else {
    snprintf(zBuf, n, "%ld days ago", d / 86400);
  }
}

/* "2 pending, 1 modified" from the states of the migrations not applied. */
static char *state_counts(const StrList *pState) {
  char *z = shell_strdup("");
  for (int i = 0; i < pState->n; i++) {
    int bSeen = 0, n = 0;
    for (int k = 0; k < pState->n; k++) {
      if (strcmp(pState->az[k], pState->az[i]) == 0) {
        bSeen |= k < i;
        n++;
      }
    }
    if (bSeen) continue;
    char *zNew = shell_printf("%s, %d %s", z, n, pState->az[i]);
    free(z);
    z = zNew;
  }
  return z;
}

static void line(Shell *p, const char *zKey, int eColor, const char *zFmt, ...) {
  va_list ap;
  va_start(ap, zFmt);
  printf("%-11s %s", zKey, ui_color(p, 0, eColor));
  vprintf(zFmt, ap);
  printf("%s\n", ui_color(p, 0, C_RESET));
  va_end(ap);
}

static void print_human(Shell *p, const Status *s) {
  char zSize[32], zAge[32];
  line(p, "database", C_BOLD, "%s", p->zDbAbs);
  line(p, "size", C_RESET, "%s, %lld tables, journal %s",
       ui_bytes(zSize, sizeof(zSize), s->nByte), (long long)s->nTable,
       s->zJournal ? s->zJournal : "?");
  if (s->bMigrations) {
    char *zCounts = state_counts(&s->aState);
    line(p, "migrations", s->nAttention ? C_YELLOW : C_GREEN,
         "%s: %d files, %d applied%s", p->cfg.zMigrations, s->nFile, s->nApplied,
         zCounts);
    free(zCounts);
    for (int i = 0; i < s->aState.n && i < SHOWN_MAX; i++) {
      const char *zWhich = s->aFile.az[i][0] ? s->aFile.az[i] : s->aVersion.az[i];
      line(p, "", C_YELLOW, "%-8s %s", s->aState.az[i], zWhich);
    }
    if (s->aState.n > SHOWN_MAX)
      line(p, "", C_YELLOW, "... and %d more", s->aState.n - SHOWN_MAX);
    if (s->nDrift == 0) {
      line(p, "drift", C_GREEN, "none: the schema matches the migrations");
    } else if (s->nDrift < 0) {
      line(p, "drift", C_YELLOW, "unknown: %s", s->zDriftError ? s->zDriftError : "?");
    } else if (s->nDrift > 0) {
      line(p, "drift", C_YELLOW, "%lld difference%s from the migrations%s (see: diff)",
           (long long)s->nDrift, s->nDrift == 1 ? "" : "s",
           s->nAttention ? ", pending ones included" : "");
    }
  } else {
    line(p, "migrations", C_YELLOW, "%s",
         s->zMigError ? s->zMigError : "none found (db/migrations, migrations)");
  }
  if (s->zBackup) {
    age(zAge, sizeof(zAge), s->tBackup);
    line(p, "backup", C_RESET, "%s (%s)", s->zBackup, zAge);
  } else {
    line(p, "backup", C_YELLOW, "none in %s", p->cfg.zBackups);
  }
  if (s->zTool) line(p, "history", C_RESET, "%s", s->zTool);
  line(p, "fixtures", C_RESET, "%s", p->cfg.zFixtures ? p->cfg.zFixtures : "none found");
  line(p, "config", C_RESET, "%s", p->cfg.zConfFile ? p->cfg.zConfFile : "none");
}

/* One "key":value pair of the JSON object; zVal NULL is null. */
static void json_pair(int *pn, const char *zKey, const char *zVal, int bNumber) {
  printf(*pn ? ",\n " : "{");
  (*pn)++;
  ui_json_string(stdout, zKey);
  putchar(':');
  if (zVal == 0)
    printf("null");
  else if (bNumber)
    printf("%s", zVal);
  else
    ui_json_string(stdout, zVal);
}

static void print_json(Shell *p, const Status *s) {
  int n = 0;
  char zNum[32];
  json_pair(&n, "database", p->zDbAbs, 0);
  snprintf(zNum, sizeof(zNum), "%lld", (long long)s->nByte);
  json_pair(&n, "bytes", zNum, 1);
  snprintf(zNum, sizeof(zNum), "%lld", (long long)s->nTable);
  json_pair(&n, "tables", zNum, 1);
  json_pair(&n, "journal_mode", s->zJournal, 0);
  json_pair(&n, "migrations_dir", p->cfg.zMigrations, 0);
  json_pair(&n, "migrations_error", s->zMigError, 0);
  json_pair(&n, "history", s->zTool, 0);
  snprintf(zNum, sizeof(zNum), "%d", s->nApplied);
  json_pair(&n, "applied", s->bMigrations ? zNum : 0, 1);
  json_pair(&n, "not_applied", s->bMigrations ? "" : 0, 1);
  if (s->bMigrations) {
    printf("[");
    for (int i = 0; i < s->aState.n; i++) {
      printf(i ? ", {\"state\":" : "{\"state\":");
      ui_json_string(stdout, s->aState.az[i]);
      printf(", \"version\":");
      ui_json_string(stdout, s->aVersion.az[i]);
      printf(", \"file\":");
      ui_json_string(stdout, s->aFile.az[i]);
      printf("}");
    }
    printf("]");
  }
  snprintf(zNum, sizeof(zNum), "%lld", (long long)s->nDrift);
  json_pair(&n, "drift", s->bMigrations && s->nDrift >= 0 ? zNum : 0, 1);
  json_pair(&n, "drift_error", s->zDriftError, 0);
  json_pair(&n, "last_backup", s->zBackup, 0);
  json_pair(&n, "fixtures", p->cfg.zFixtures, 0);
  json_pair(&n, "config", p->cfg.zConfFile, 0);
  json_pair(&n, "attention", s->nAttention || s->nDrift > 0 ? "true" : "false", 1);
  printf("}\n");
}

/* --csv: key,value for the scalar facts, then one row per migration that
** is not applied (key "migration", value "state version file"). */
static void print_csv(Shell *p, const Status *s) {
  char zNum[32];
  const char *azKey[] = {"database", "bytes",  "tables",   "migrations", "applied",
                         "drift",    "backup", "fixtures", "config"};
  snprintf(zNum, sizeof(zNum), "%lld", (long long)s->nByte);
  char zTables[32], zApplied[32];
  snprintf(zTables, sizeof(zTables), "%lld", (long long)s->nTable);
  snprintf(zApplied, sizeof(zApplied), "%d", s->nApplied);
  char zDrift[32];
  snprintf(zDrift, sizeof(zDrift), "%lld", (long long)s->nDrift);
  const char *azVal[] = {p->zDbAbs,
                         zNum,
                         zTables,
                         p->cfg.zMigrations ? p->cfg.zMigrations : "",
                         s->bMigrations ? zApplied : "",
                         s->bMigrations && s->nDrift >= 0 ? zDrift : "",
                         s->zBackup ? s->zBackup : "",
                         p->cfg.zFixtures ? p->cfg.zFixtures : "",
                         p->cfg.zConfFile ? p->cfg.zConfFile : ""};
  printf("key,value\n");
  for (size_t i = 0; i < sizeof(azKey) / sizeof(azKey[0]); i++) {
    printf("%s,", azKey[i]);
    ui_csv_value(azVal[i]);
    putchar('\n');
  }
  for (int i = 0; i < s->aState.n; i++) {
    char *z =
        shell_printf("%s %s %s", s->aState.az[i], s->aVersion.az[i], s->aFile.az[i]);
    printf("migration,");
    ui_csv_value(z);
    putchar('\n');
    free(z);
  }
}

/* Learn what SQLite knows (no cache hit), then close the database: with
** WAL, the last close checkpoints, which changes the file the key names. */
static void status_from_sqlite(Shell *p, Status *s) {
  status_database(p, s);
  status_migrations(p, s);
  if (p->bRepl) return;
  shell_db_close(p);
}

int cmd_status(Shell *p, const Args *a) {
  int bFile = strcmp(p->zDbPath, ":memory:") != 0;
  if (bFile && p->db == 0 && path_kind(p->zDbPath) != 2) {
    shell_error(p, "no database at '%s'", p->zDbPath);
    return EXIT_ERROR;
  }
  Status s;
  memset(&s, 0, sizeof(s));
  char *zKey = bFile ? cache_key(p) : 0;
  if (zKey == 0 || !cache_load(p, zKey, &s)) {
    memset(&s, 0, sizeof(s));
    if (shell_db(p) == 0) return EXIT_ERROR;
    status_from_sqlite(p, &s);
    char *zAfter = cache_key(p);
    if (zKey && zAfter && strcmp(zKey, zAfter) == 0) cache_save(p, zKey, &s);
    free(zAfter);
  }
  free(zKey);
  status_backup(p, &s);
  if (p->eOut == OUT_JSON) {
    print_json(p, &s);
  } else if (p->eOut == OUT_CSV) {
    print_csv(p, &s);
  } else {
    print_human(p, &s);
  }
  int rc = s.nAttention || s.nDrift > 0 ? EXIT_ATTENTION : EXIT_OK;
  free(s.zJournal);
  free(s.zMigError);
  free(s.zDriftError);
  free(s.zTool);
  free(s.zBackup);
  strlist_free(&s.aState);
  strlist_free(&s.aVersion);
  strlist_free(&s.aFile);
  return rc;
}
