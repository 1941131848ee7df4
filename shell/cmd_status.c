/*
** cmd_status.c: `status`, the one-screen answer to "what state is this
** database in": the file, its size and tables, the settings in use and the
** last backup. Printed as aligned `key  value` lines, or as one JSON object
** with --json, or key,value lines with --csv.
*/
#include "shell.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* The lines of the report. */
typedef struct Report {
  int n;
  char *azKey[32];
  char *azVal[32];
  int aColor[32];
} Report;

static void report_add(Report *r, const char *zKey, int eColor, char *zVal) {
  if (r->n >= 32) {
    free(zVal);
    return;
  }
  r->azKey[r->n] = shell_strdup(zKey);
  r->aColor[r->n] = eColor;
  r->azVal[r->n++] = zVal;
}

static void report_print(Shell *p, Report *r) {
  for (int i = 0; i < r->n; i++) {
    if (p->eOut == OUT_JSON) {
      printf(i ? ",\n " : "{");
      ui_json_string(stdout, r->azKey[i]);
      putchar(':');
      ui_json_string(stdout, r->azVal[i]);
    } else if (p->eOut == OUT_CSV) {
      printf("%s,", r->azKey[i]);
      ui_csv_value(r->azVal[i]);
      putchar('\n');
    } else {
      printf("%-11s %s%s%s\n", r->azKey[i], ui_color(p, 0, r->aColor[i]), r->azVal[i],
             ui_color(p, 0, C_RESET));
    }
    free(r->azKey[i]);
    free(r->azVal[i]);
  }
  if (p->eOut == OUT_JSON) printf("}\n");
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

static void report_database(Shell *p, Report *r) {
  char zSize[32];
  sqlite3_int64 nByte = shell_query_int(p, 0,
                                        "SELECT page_count * page_size FROM "
                                        "pragma_page_count, pragma_page_size");
  sqlite3_int64 nTable = shell_query_int(p, 0,
                                         "SELECT count(*) FROM sqlite_schema WHERE "
                                         "type = 'table' AND name NOT LIKE 'sqlite_%%'");
  char *zJournal = shell_query_text(p, "PRAGMA journal_mode");
  report_add(r, "database", C_BOLD, shell_strdup(p->zDbAbs));
  report_add(r, "size", C_RESET,
             shell_printf("%s, %lld tables, journal %s",
                          ui_bytes(zSize, sizeof(zSize), nByte), (long long)nTable,
                          zJournal ? zJournal : "?"));
  free(zJournal);
}

static void report_settings(Shell *p, Report *r) {
  const Config *c = &p->cfg;
  report_add(r, "config", C_RESET, shell_strdup(c->zConfFile ? c->zConfFile : "none"));
  report_add(r, "migrations", c->zMigrations ? C_RESET : C_YELLOW,
             shell_strdup(c->zMigrations ? c->zMigrations
                                         : "none found (db/migrations, migrations)"));
  report_add(
      r, "fixtures", C_RESET,
      shell_strdup(c->zFixtures ? c->zFixtures : "none found (db/fixtures, fixtures)"));
}

static void report_backups(Shell *p, Report *r) {
  char **az = backup_list(p);
  struct stat st;
  if (az[0] && stat(az[0], &st) == 0) {
    char zAge[32];
    age(zAge, sizeof(zAge), st.st_mtime);
    report_add(r, "backup", C_RESET, shell_printf("%s (%s)", az[0], zAge));
  } else {
    report_add(r, "backup", C_YELLOW, shell_printf("none in %s", p->cfg.zBackups));
  }
  backup_list_free(az);
}

int cmd_status(Shell *p, const Args *a) {
  if (shell_db_existing(p) == 0) return EXIT_ERROR;
  Report r;
  memset(&r, 0, sizeof(r));
  report_database(p, &r);
  report_settings(p, &r);
  report_backups(p, &r);
  report_print(p, &r);
  return EXIT_OK;
}
