/*
** cmd_migrate.c: the migration commands: migrate, rollback, redo, mark, new
** and sql. They call the migrations area's SQL (devdb_migrate,
** devdb_rollback, devdb_redo, devdb_mark, devdb_migrations) on the
** migrations directory of the settings; `new` reads the directory with
** devdb_migdir_load to write the next file in its format.
*/
#include "shell.h"
#include "devdb.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *shell_migrations_dir(Shell *p) {
  if (p->cfg.zMigrations) return p->cfg.zMigrations;
  shell_error(p, "no migrations directory: none of db/migrations, migrations here or "
                 "beside the database (set --migrations DIR or migrations = DIR in "
                 "devdb.conf)");
  return 0;
}

/* The migrations of zDir in state zStates (an SQL list: "'pending'"), in
** version order, as two parallel lists: versions and files. 0 ok, 1 after
** reporting an error. */
static int migration_list(Shell *p, const char *zDir, const char *zStates,
                          StrList *pVersion, StrList *pFile) {
  char *zSql =
      shell_printf("SELECT version, file FROM devdb_migrations(%%Q) WHERE state IN "
                   "(%s) AND version IS NOT NULL",
                   zStates);
  sqlite3_stmt *pStmt = shell_prepare(p, zSql, zDir);
  free(zSql);
  if (pStmt == 0) return 1;
  while (sqlite3_step(pStmt) == SQLITE_ROW) {
    strlist_add(pVersion, (const char *)sqlite3_column_text(pStmt, 0));
    const char *zFile = (const char *)sqlite3_column_text(pStmt, 1);
    strlist_add(pFile, zFile ? zFile : "");
  }
  if (sqlite3_finalize(pStmt) != SQLITE_OK) {
    shell_error(p, "%s", sqlite3_errmsg(p->db));
    return 1;
  }
  return 0;
}

/* 1 when main has no tables yet: the runner then applies everything in one
** transaction, all or nothing. */
static int database_is_new(Shell *p) {
  return shell_query_int(p, 1,
                         "SELECT count(*) = 0 FROM sqlite_schema WHERE type = 'table'");
}

/* Print the applied migrations (version, file) as a result table. */
static void print_versions(Shell *p, const char *zAction, const StrList *pV,
                           const StrList *pF, int n) {
  UiTable *t = ui_table_new(p, "sss", zAction, "version", "file");
  for (int i = 0; i < n; i++)
    ui_table_row(t, (const char *[]){zAction, pV->az[i], pF->az[i]});
  ui_table_end(t);
}

/* migrate: one devdb_migrate call per pending migration (each commits on
** its own, with progress between them), or one call for a new database. */
int cmd_migrate(Shell *p, const Args *a) {
  const char *zDir = shell_migrations_dir(p), *zTo = args_opt(a, "--to");
  if (zDir == 0 || shell_db(p) == 0) return EXIT_ERROR;
  if (args_opt(a, "--plan")) {
    char *zPlan = 0;
    int rc =
        shell_call(p, &zPlan, "plan", "SELECT devdb_migrate(%Q, %Q, 'plan')", zDir, zTo);
    if (rc == SQLITE_OK && zPlan && zPlan[0]) {
      printf("%s%s", zPlan, zPlan[strlen(zPlan) - 1] == '\n' ? "" : "\n");
    } else if (rc == SQLITE_OK) {
      printf("-- nothing to apply\n");
    }
    free(zPlan);
    return rc == SQLITE_OK ? EXIT_OK : EXIT_ERROR;
  }
  StrList v = {0, 0, 0}, f = {0, 0, 0};
  if (migration_list(p, zDir, "'pending','out_of_order'", &v, &f)) return EXIT_ERROR;
  int n = 0;
  while (n < v.n && (zTo == 0 || devdb_version_cmp(v.az[n], zTo) <= 0)) n++;
  int done = 0, rc = SQLITE_OK, bNew = n > 1 && database_is_new(p);
  shell_busy_begin(p, "migrate");
  for (int i = 0; i < n && rc == SQLITE_OK; i++) {
    shell_progress(p, f.az[i], i, n);
    const char *zStep = bNew ? (zTo ? zTo : v.az[n - 1]) : v.az[i];
    if (p->nInterrupt) { /* Ctrl-C between two migrations: stop before the next */
      rc = SQLITE_INTERRUPT;
      break;
    }
    rc = shell_call(p, 0, f.az[i], "SELECT devdb_migrate(%Q, %Q)", zDir, zStep);
    if (rc == SQLITE_OK) done = bNew ? n : i + 1;
    if (bNew) break;
  }
  shell_busy_end(p);
  print_versions(p, "applied", &v, &f, done);
  if (rc == SQLITE_INTERRUPT) {
    if (bNew) {
      shell_error(p, "interrupted: the run was rolled back whole; nothing is applied");
    } else {
      shell_error(
          p,
          "interrupted: %s is not applied (what had started was rolled back); the "
          "%d applied before it are kept",
          f.az[done], done);
    }
  } else if (rc != SQLITE_OK && done) {
    shell_error(p, "stopped at %s; the %d applied before it are kept", f.az[done], done);
  } else if (rc == SQLITE_OK) {
    shell_note(
        p, n ? "%d migration%s applied" : "nothing to apply: the database is up to date",
        done, done == 1 ? "" : "s");
  }
  strlist_free(&v);
  strlist_free(&f);
  return rc == SQLITE_OK ? EXIT_OK : EXIT_ERROR;
}

/* The applied migrations a rollback of nSteps (or back to zTo) undoes,
** newest first, in *pV and *pF. 0 ok. */
static int rollback_list(Shell *p, const char *zDir, int nSteps, const char *zTo,
                         StrList *pV, StrList *pF) {
  StrList v = {0, 0, 0}, f = {0, 0, 0};
  if (migration_list(p, zDir, "'applied','modified','line_endings','dirty'", &v, &f))
    return 1;
  for (int i = v.n - 1; i >= 0; i--) {
    if (zTo ? devdb_version_cmp(v.az[i], zTo) <= 0 : pV->n >= nSteps) break;
    strlist_add(pV, v.az[i]);
    strlist_add(pF, f.az[i]);
  }
  strlist_free(&v);
  strlist_free(&f);
  return 0;
}

/* 1 when zVersion is the version of a migration of zDir. */
static int is_version(Shell *p, const char *zDir, const char *zVersion) {
  StrList v = {0, 0, 0}, f = {0, 0, 0};
  int bFound = 0;
  if (migration_list(p, zDir,
                     "'applied','pending','modified','line_endings','missing',"
                     "'out_of_order','dirty'",
                     &v, &f) == 0) {
    for (int i = 0; i < v.n && !bFound; i++) bFound = strcmp(v.az[i], zVersion) == 0;
  }
  strlist_free(&v);
  strlist_free(&f);
  return bFound;
}

/* "2 migrations (0005_b.sql, 0004_a.sql)" for a confirmation. */
static char *describe(const StrList *pF) {
  char *z = shell_printf("%d migration%s (", pF->n, pF->n == 1 ? "" : "s");
  for (int i = 0; i < pF->n; i++) {
    char *zNew = shell_printf("%s%s%s", z, i ? ", " : "", pF->az[i]);
    free(z);
    z = zNew;
  }
  char *zNew = shell_printf("%s) of", z);
  free(z);
  return zNew;
}

/* Confirm, take the safety backup, run zSql (a devdb_rollback or devdb_redo
** call), report and print the undo command. */
static int run_backwards(Shell *p, const char *zCmd, const char *zAction,
                         const StrList *pV, const StrList *pF, const char *zSql) {
  char *zWhat = describe(pF), *zQuestion = shell_printf("%s %s", zAction, zWhat);
  int rc = EXIT_ERROR;
  char *zBackup = 0;
  if (shell_confirm(p, zQuestion, "") && (zBackup = shell_safety_backup(p, zCmd)) != 0) {
    int src = shell_call(p, 0, zCmd, "%s", zSql);
    if (src == SQLITE_OK) {
      print_versions(p, strcmp(zCmd, "redo") == 0 ? "redone" : "rolled back", pV, pF,
                     pV->n);
      rc = EXIT_OK;
    } else if (src == SQLITE_INTERRUPT) {
      shell_error(p, "interrupted: the migration that was running was rolled back");
    }
    shell_undo_restore(p, zBackup);
  }
  free(zBackup);
  free(zQuestion);
  free(zWhat);
  return rc;
}

int cmd_rollback(Shell *p, const Args *a) {
  const char *zDir = shell_migrations_dir(p), *zTo = args_opt(a, "--to");
  if (zDir == 0 || shell_db_existing(p) == 0) return EXIT_ERROR;
  int nSteps = a->nPos ? atoi(a->azPos[0]) : 1;
  if (nSteps < 1 || (zTo && a->nPos)) {
    shell_error(p, "usage: rollback [N | --to VERSION] (N: a count of 1 or more)");
    return EXIT_USAGE;
  }
  if (zTo && strcmp(zTo, "all") == 0) zTo = "0";
  StrList v = {0, 0, 0}, f = {0, 0, 0};
  int rc = rollback_list(p, zDir, nSteps, zTo, &v, &f) ? EXIT_ERROR : EXIT_OK;
  if (rc == EXIT_OK && zTo && strcmp(zTo, "0") != 0 && !is_version(p, zDir, zTo)) {
    shell_error(p, "rollback: no migration '%s' in %s (--to all rolls back every one)",
                zTo, zDir);
    rc = EXIT_ERROR;
  } else if (rc == EXIT_OK && v.n == 0) {
    shell_note(p, "nothing to roll back");
  } else if (rc == EXIT_OK) {
    char *zSql =
        !zTo ? sqlite3_mprintf("SELECT devdb_rollback(%Q, %d)", zDir, nSteps)
        : strcmp(zTo, "0") == 0
            ? sqlite3_mprintf("SELECT devdb_rollback(%Q, NULL, 'all')", zDir)
            : sqlite3_mprintf("SELECT devdb_rollback(%Q, NULL, 'to:' || %Q)", zDir, zTo);
    rc = run_backwards(p, "rollback", "roll back", &v, &f, zSql);
    sqlite3_free(zSql);
  }
  strlist_free(&v);
  strlist_free(&f);
  return rc;
}

int cmd_redo(Shell *p, const Args *a) {
  const char *zDir = shell_migrations_dir(p);
  if (zDir == 0 || shell_db_existing(p) == 0) return EXIT_ERROR;
  StrList v = {0, 0, 0}, f = {0, 0, 0};
  int rc = rollback_list(p, zDir, 1, 0, &v, &f) ? EXIT_ERROR : EXIT_OK;
  if (rc == EXIT_OK && v.n == 0) {
    shell_error(p, "redo: no applied migration");
    rc = EXIT_ERROR;
  } else if (rc == EXIT_OK) {
    char *zSql = sqlite3_mprintf("SELECT devdb_redo(%Q)", zDir);
    rc = run_backwards(p, "redo", "roll back and apply again", &v, &f, zSql);
    sqlite3_free(zSql);
  }
  strlist_free(&v);
  strlist_free(&f);
  return rc;
}

int cmd_mark(Shell *p, const Args *a) {
  const char *zDir = shell_migrations_dir(p);
  const char *zState = a->nPos > 1 ? a->azPos[1] : "applied";
  if (zDir == 0 || shell_db(p) == 0) return EXIT_ERROR;
  char *zN = 0;
  int rc = shell_call(p, &zN, "mark", "SELECT devdb_mark(%Q, %Q, %Q)", zDir, a->azPos[0],
                      zState);
  if (rc == SQLITE_OK) {
    char *zText = shell_printf(zN && atoi(zN) ? "marked %s %s" : "%s was already %s",
                               a->azPos[0], zState);
    ui_result(p, zText, "ssi", "version", a->azPos[0], "state", zState, "changed",
              zN && atoi(zN) ? "1" : "0");
    free(zText);
  }
  free(zN);
  return rc == SQLITE_OK ? EXIT_OK : EXIT_ERROR;
}

/* sql VERSION [--down]: the section as the runner would run it. The row is
** found in C: an OR over the table-valued function's columns would hide
** its directory argument from the planner. */
int cmd_sql(Shell *p, const Args *a) {
  const char *zDir = shell_migrations_dir(p), *zWant = a->azPos[0];
  if (zDir == 0 || shell_db(p) == 0) return EXIT_ERROR;
  int bDown = args_opt(a, "--down") != 0, bFound = 0;
  sqlite3_stmt *pStmt =
      shell_prepare(p, "SELECT version, file, %s FROM devdb_migrations(%Q)",
                    bDown ? "down_sql" : "up_sql", zDir);
  if (pStmt == 0) return EXIT_ERROR;
  int rc;
  while (!bFound && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    const char *zVersion = (const char *)sqlite3_column_text(pStmt, 0);
    const char *zFile = (const char *)sqlite3_column_text(pStmt, 1);
    if (!(zVersion && strcmp(zVersion, zWant) == 0) &&
        !(zFile && strcmp(zFile, zWant) == 0)) {
      continue;
    }
    const char *zSql = (const char *)sqlite3_column_text(pStmt, 2);
    printf("-- %s of %s\n%s", bDown ? "down" : "up", zFile ? zFile : zVersion,
           zSql && zSql[0] ? zSql : "-- (none)\n");
    if (zSql && zSql[0] && zSql[strlen(zSql) - 1] != '\n') putchar('\n');
    bFound = 1;
  }
  if (!bFound && rc == SQLITE_DONE)
    shell_error(p, "sql: no migration '%s' in %s", zWant, zDir);
  if (!bFound && rc != SQLITE_DONE) shell_error(p, "%s", sqlite3_errmsg(p->db));
  sqlite3_finalize(pStmt);
  return bFound ? EXIT_OK : EXIT_ERROR;
}

/* The next version after zLast (NULL: none yet): a UTC timestamp
** YYYYMMDDHHMMSS when the directory uses them (or is new and not Flyway's
** or plain), else the last number plus one at the same width. Always
** greater than zLast. Writes into zOut. */
static void next_version(int eFormat, const char *zLast, char *zOut, size_t nOut) {
  size_t nDigits = zLast ? strspn(zLast, "0123456789") : 0;
  int bSequential =
      zLast ? nDigits < 12 : (eFormat == DEVDB_FMT_PLAIN || eFormat == DEVDB_FMT_FLYWAY);
  if (!bSequential) {
    time_t t = time(0);
    strftime(zOut, nOut, "%Y%m%d%H%M%S", gmtime(&t));
    if (zLast == 0 || devdb_version_cmp(zOut, zLast) > 0) return;
  }
  long long n = zLast ? strtoll(zLast, 0, 10) + 1 : 1;
  int nWidth = eFormat == DEVDB_FMT_FLYWAY ? 1 : zLast ? (int)nDigits : 4;
  snprintf(zOut, nOut, "%0*lld", nWidth, n);
}

/* Write a new file with zText and print its path; 0 ok (never overwrites). */
static int write_new_file(Shell *p, const char *zPath, const char *zText) {
  FILE *out = fopen(zPath, "wx");
  if (out == 0 || fputs(zText, out) < 0 || fclose(out) != 0) {
    shell_error(p, "new: cannot write '%s': %s", zPath, strerror(errno));
    return 1;
  }
  printf("%s\n", zPath);
  return 0;
}

/* The file (or up and down files) of a new migration in a format. */
static int write_migration(Shell *p, const char *zDir, int eFormat, const char *zVersion,
                           const char *zName) {
  char *zBase = eFormat == DEVDB_FMT_FLYWAY ? shell_printf("V%s__%s", zVersion, zName)
                                            : shell_printf("%s_%s", zVersion, zName);
  int rc;
  if (eFormat == DEVDB_FMT_GOLANG) {
    char *zUp = shell_printf("%s/%s.up.sql", zDir, zBase);
    char *zDown = shell_printf("%s/%s.down.sql", zDir, zBase);
    rc = write_new_file(p, zUp, "\n") || write_new_file(p, zDown, "\n");
    free(zUp);
    free(zDown);
  } else {
    const char *zText =
        eFormat == DEVDB_FMT_GOOSE    ? "-- +goose Up\n\n\n-- +goose Down\n\n"
        : eFormat == DEVDB_FMT_DBMATE ? "-- migrate:up\n\n\n-- migrate:down\n\n"
                                      : "\n";
    char *zPath = shell_printf("%s/%s.sql", zDir, zBase);
    rc = write_new_file(p, zPath, zText);
    free(zPath);
  }
  free(zBase);
  return rc;
}

/* 1 when directory zDir holds a .sql file. */
static int has_sql_files(const char *zDir) {
  DIR *d = opendir(zDir);
  struct dirent *e;
  int bFound = 0;
  while (d && !bFound && (e = readdir(d)) != 0) {
    size_t n = strlen(e->d_name);
    bFound = n > 4 && strcmp(e->d_name + n - 4, ".sql") == 0;
  }
  if (d) closedir(d);
  return bFound;
}

/* new NAME: the next migration file, in the directory's format (dbmate's
** for a new or empty directory). */
int cmd_new(Shell *p, const Args *a) {
  const char *zName = a->azPos[0];
  if (zName[0] == 0 ||
      strspn(zName, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                    "0123456789_") != strlen(zName)) {
    shell_error(p, "new: '%s': use letters, digits and _ only", zName);
    return EXIT_USAGE;
  }
  const char *zDir = p->cfg.zMigrations ? p->cfg.zMigrations : "db/migrations";
  if (path_kind(zDir) != 1 && path_mkdirs(zDir, 0755)) {
    shell_error(p, "new: cannot create '%s': %s", zDir, strerror(errno));
    return EXIT_ERROR;
  }
  DevdbMigDir *pDir = 0;
  char *zErr = 0, zVersion[32];
  int rc = EXIT_ERROR;
  if (devdb_migdir_load(zDir, &pDir, &zErr) != SQLITE_OK && has_sql_files(zDir)) {
    shell_error(p, "new: %s", zErr ? zErr : "cannot read the migrations");
  } else {
    int eFormat = pDir && pDir->nMig > 0 ? pDir->eFormat : DEVDB_FMT_DBMATE;
    const char *zLast = 0;
    for (int i = 0; pDir && i < pDir->nMig; i++) {
      if (pDir->aMig[i].zVersion) zLast = pDir->aMig[i].zVersion;
    }
    next_version(eFormat, zLast, zVersion, sizeof(zVersion));
    rc = write_migration(p, zDir, eFormat, zVersion, zName) ? EXIT_ERROR : EXIT_OK;
  }
  devdb_migdir_free(pDir);
  sqlite3_free(zErr);
  return rc;
}
