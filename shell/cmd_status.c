/*
** cmd_status.c: `status`, the one-screen answer to "what state is this
** database in": the file, its size and tables; the migrations (how many
** applied, each one that is not: pending, modified, missing, dirty, out of
** order) from devdb_migrations; the last backup; the settings in use.
** Printed as aligned `key  value` lines, one JSON object with --json, or
** key,value lines with --csv. Exits 3 when a migration needs attention.
*/
#include "shell.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define SHOWN_MAX 10 /* migrations listed one by one before "... and N more" */

/* What status found. */
typedef struct Status {
  sqlite3_int64 nByte, nTable;
  char *zJournal;
  int bMigrations;   /* a migrations directory was read */
  char *zMigError;   /* why it could not be */
  char *zTool;       /* whose history table */
  int nFile, nApplied, nAttention;
  StrList aState, aVersion, aFile; /* the migrations that are not applied */
  char *zBackup;     /* newest backup, or NULL */
  time_t tBackup;
} Status;

static void status_database(Shell *p, Status *s) {
  s->nByte = shell_query_int(p, 0, "SELECT page_count * page_size FROM pragma_page_count, "
                                   "pragma_page_size");
  s->nTable = shell_query_int(p, 0, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' "
                                    "AND name NOT LIKE 'sqlite_%%'");
  s->zJournal = shell_query_text(p, "PRAGMA journal_mode");
}

/* The migrations of the settings' directory, through devdb_migrations. */
static void status_migrations(Shell *p, Status *s) {
  if (p->cfg.zMigrations == 0) return;
  sqlite3_stmt *pStmt = 0;
  if (sqlite3_prepare_v2(p->db, "SELECT state, version, file, tool FROM devdb_migrations(?1)",
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
  }
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
  line(p, "size", C_RESET, "%s, %lld tables, journal %s", ui_bytes(zSize, sizeof(zSize), s->nByte),
       (long long)s->nTable, s->zJournal ? s->zJournal : "?");
  if (s->bMigrations) {
    char *zCounts = state_counts(&s->aState);
    line(p, "migrations", s->nAttention ? C_YELLOW : C_GREEN, "%s: %d files, %d applied%s",
         p->cfg.zMigrations, s->nFile, s->nApplied, zCounts);
    free(zCounts);
    for (int i = 0; i < s->aState.n && i < SHOWN_MAX; i++) {
      const char *zWhich = s->aFile.az[i][0] ? s->aFile.az[i] : s->aVersion.az[i];
      line(p, "", C_YELLOW, "%-8s %s", s->aState.az[i], zWhich);
    }
    if (s->aState.n > SHOWN_MAX) line(p, "", C_YELLOW, "... and %d more", s->aState.n - SHOWN_MAX);
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
  json_pair(&n, "last_backup", s->zBackup, 0);
  json_pair(&n, "fixtures", p->cfg.zFixtures, 0);
  json_pair(&n, "config", p->cfg.zConfFile, 0);
  json_pair(&n, "attention", s->nAttention ? "true" : "false", 1);
  printf("}\n");
}

/* --csv: key,value for the scalar facts, then one row per migration that
** is not applied (key "migration", value "state version file"). */
static void print_csv(Shell *p, const Status *s) {
  char zNum[32];
  const char *azKey[] = {"database", "bytes", "tables", "migrations", "applied",
                         "backup", "fixtures", "config"};
  snprintf(zNum, sizeof(zNum), "%lld", (long long)s->nByte);
  char zTables[32], zApplied[32];
  snprintf(zTables, sizeof(zTables), "%lld", (long long)s->nTable);
  snprintf(zApplied, sizeof(zApplied), "%d", s->nApplied);
  const char *azVal[] = {p->zDbAbs, zNum, zTables,
                         p->cfg.zMigrations ? p->cfg.zMigrations : "",
                         s->bMigrations ? zApplied : "", s->zBackup ? s->zBackup : "",
                         p->cfg.zFixtures ? p->cfg.zFixtures : "",
                         p->cfg.zConfFile ? p->cfg.zConfFile : ""};
  printf("key,value\n");
  for (size_t i = 0; i < sizeof(azKey) / sizeof(azKey[0]); i++) {
    printf("%s,", azKey[i]);
    ui_csv_value(azVal[i]);
    putchar('\n');
  }
  for (int i = 0; i < s->aState.n; i++) {
    char *z = shell_printf("%s %s %s", s->aState.az[i], s->aVersion.az[i], s->aFile.az[i]);
    printf("migration,");
    ui_csv_value(z);
    putchar('\n');
    free(z);
  }
}

int cmd_status(Shell *p, const Args *a) {
  if (shell_db_existing(p) == 0) return EXIT_ERROR;
  Status s;
  memset(&s, 0, sizeof(s));
  status_database(p, &s);
  status_migrations(p, &s);
  status_backup(p, &s);
  if (p->eOut == OUT_JSON) {
    print_json(p, &s);
  } else if (p->eOut == OUT_CSV) {
    print_csv(p, &s);
  } else {
    print_human(p, &s);
  }
  int rc = s.nAttention ? EXIT_ATTENTION : EXIT_OK;
  free(s.zJournal);
  free(s.zMigError);
  free(s.zTool);
  free(s.zBackup);
  strlist_free(&s.aState);
  strlist_free(&s.aVersion);
  strlist_free(&s.aFile);
  return rc;
}
