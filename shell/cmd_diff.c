/*
** cmd_diff.c: the commands that compare the database with what it should
** be: diff, apply, check and lint. They call devdb_diff, devdb_diff_sql,
** devdb_apply, devdb_lint and devdb_migrations. (Migration history tables,
** which no migration creates, are kept by the planner itself.)
*/
#include "shell.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* The first row of a one-row query of db, as malloc'd text of column i
** (NULL for NULL); on error NULL with the message (malloc'd) in *pzErr. */
static char *one_value(sqlite3 *db, const char *zSql, int i, sqlite3_int64 *pnCol0,
                       char **pzErr) {
  sqlite3_stmt *pStmt = 0;
  char *z = 0;
  int rc = sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0);
  if (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    z = shell_strdup((const char *)sqlite3_column_text(pStmt, i));
    if (pnCol0) *pnCol0 = sqlite3_column_int64(pStmt, 0);
    rc = SQLITE_OK;
  }
  if (rc != SQLITE_OK) *pzErr = shell_strdup(sqlite3_errmsg(db));
  sqlite3_finalize(pStmt);
  return z;
}

/* The target of diff and check: the argument, else the migrations. */
static const char *diff_target(Shell *p, const Args *a) {
  return a->nPos ? a->azPos[0] : shell_migrations_dir(p);
}

sqlite3_int64 shell_drift_count(Shell *p, const char *zTarget, char **pzErr) {
  char *zErr = 0, *zN = 0;
  if (shell_db(p)) {
    char *zSql = shell_oom_check(
        sqlite3_mprintf("SELECT count(*) FROM devdb_diff('main', %Q)", zTarget));
    shell_busy_begin(p, "diff");
    zN = one_value(p->db, zSql, 0, 0, &zErr);
    shell_busy_end(p);
    sqlite3_free(zSql);
  }
  sqlite3_int64 n = zN ? atoll(zN) : -1;
  if (zErr && pzErr) {
    *pzErr = zErr;
  } else if (zErr) {
    shell_error(p, "%s", zErr);
    free(zErr);
  }
  free(zN);
  return n;
}

int cmd_diff(Shell *p, const Args *a) {
  const char *zTarget = diff_target(p, a);
  if (zTarget == 0 || shell_db_existing(p) == 0) return EXIT_ERROR;
  int rc;
  if (args_opt(a, "--sql")) {
    char *zScript = 0;
    rc = shell_call(p, &zScript, "diff", "SELECT devdb_diff_sql('main', %Q)", zTarget);
    if (rc == SQLITE_OK && zScript && zScript[0]) printf("%s", zScript);
    if (rc == SQLITE_OK && !(zScript && zScript[0])) shell_note(p, "no differences");
    free(zScript);
    rc = rc == SQLITE_OK ? EXIT_OK : EXIT_ERROR;
  } else {
    rc = shell_print_sql(
        p, "SELECT seq, change, detail, risk FROM devdb_diff('main', %Q)", zTarget);
  }
  return rc;
}

/* The option list of devdb_apply from the command line. */
static char *apply_options(const Args *a) {
  char *z = shell_strdup(args_opt(a, "--allow-data-loss") ? "allow-data-loss" : "");
  for (int i = 0; i < a->nOpt; i++) {
    if (strcmp(a->azOptName[i], "--rename") != 0) continue;
    char *zNew = shell_printf("%s%srename:%s", z, z[0] ? "," : "", a->azOptVal[i]);
    free(z);
    z = zNew;
  }
  return z;
}

int cmd_apply(Shell *p, const Args *a) {
  const char *zTarget = a->azPos[0];
  if (shell_db_existing(p) == 0) return EXIT_ERROR;
  char *zOpts = apply_options(a), *zDone = 0, *zBackup = 0;
  sqlite3_int64 n = shell_query_int(
      p, -1, "SELECT count(*) FROM devdb_diff('main', %Q, %Q)", zTarget, zOpts);
  /* what devdb_apply would refuse, said before asking and backing up */
  sqlite3_int64 nFail = shell_query_int(
      p, 0,
      "SELECT count(*) FROM devdb_diff('main', %Q, %Q) WHERE risk LIKE '%%will-fail:%%'",
      zTarget, zOpts);
  sqlite3_int64 nLoss = args_opt(a, "--allow-data-loss")
                            ? 0
                            : shell_query_int(p, 0,
                                              "SELECT count(*) FROM devdb_diff('main', "
                                              "%Q, %Q) WHERE risk LIKE '%%data-loss:%%'",
                                              zTarget, zOpts);
  int rc = EXIT_ERROR;
  if (n > 0) {
    shell_print_sql(p, "SELECT seq, change, detail, risk FROM devdb_diff('main', %Q, %Q)",
                    zTarget, zOpts);
  }
  if (n == 0) {
    shell_note(p, "nothing to apply: the database already matches %s", zTarget);
    rc = EXIT_OK;
  } else if (nFail > 0) {
    shell_error(
        p,
        "apply: %lld change%s above would fail on the rows there (will-fail); fix "
        "the data first (lint shows how, dedup removes duplicates); nothing was "
        "changed",
        (long long)nFail, nFail == 1 ? "" : "s");
  } else if (nLoss > 0) {
    shell_error(p,
                "apply: %lld change%s above lose%s data (data-loss); add "
                "--allow-data-loss if that is what you want (a backup is taken first); "
                "nothing was changed",
                (long long)nLoss, nLoss == 1 ? "" : "s", nLoss == 1 ? "s" : "");
  } else if (n > 0) {
    char *zTail = shell_printf(" to match %s (%lld change%s above)", zTarget,
                               (long long)n, n == 1 ? "" : "s");
    if (shell_confirm(p, "change the schema of", zTail) &&
        (zBackup = shell_safety_backup(p, "apply")) != 0) {
      int src =
          shell_call(p, &zDone, "apply", "SELECT devdb_apply(%Q, %Q)", zTarget, zOpts);
      if (src == SQLITE_OK)
        ui_result(p, zDone ? zDone : "", "ss", "applied", zDone, "backup", zBackup);
      if (src == SQLITE_INTERRUPT)
        shell_error(p, "interrupted: the apply was rolled back");
      rc = src == SQLITE_OK ? EXIT_OK : EXIT_ERROR;
      if (src == SQLITE_OK) shell_undo_restore(p, zBackup);
    }
    free(zTail);
  }
  free(zBackup);
  free(zDone);
  free(zOpts);
  return rc;
}

int cmd_lint(Shell *p, const Args *a) {
  const char *zSource = a->nPos ? a->azPos[0] : "main";
  if (shell_db_existing(p) == 0) return EXIT_ERROR;
  sqlite3_int64 nError = shell_query_int(
      p, -1, "SELECT count(*) FROM devdb_lint(%Q) WHERE severity = 'error'", zSource);
  if (nError < 0) return EXIT_ERROR;
  int rc = shell_print_sql(
      p, "SELECT severity, rule, object, detail, fix FROM devdb_lint(%Q)", zSource);
  if (rc != EXIT_OK) return rc;
  return nError ? EXIT_ATTENTION : EXIT_OK;
}

/* One line of check's report. */
/* One check of `check`: a line "ok  what  detail", or with --json and
** --csv a row (check, ok, detail) of the table t. */
static UiTable *gCheck;
static void check_line(Shell *p, int bOk, const char *zWhat, const char *zFmt, ...) {
  va_list ap;
  va_start(ap, zFmt);
  char *zDetail = 0;
  if (vasprintf(&zDetail, zFmt, ap) < 0) zDetail = 0;
  va_end(ap);
  shell_oom_check(zDetail);
  if (gCheck) {
    ui_table_row(gCheck, (const char *[]){zWhat, bOk ? "1" : "0", zDetail});
  } else {
    printf("%s%-4s%s %-12s %s\n", ui_color(p, 0, bOk ? C_GREEN : C_RED),
           bOk ? "ok" : "FAIL", ui_color(p, 0, C_RESET), zWhat, zDetail);
  }
  free(zDetail);
}

int cmd_check(Shell *p, const Args *a) {
  const char *zDir = shell_migrations_dir(p);
  if (zDir == 0 || shell_db_existing(p) == 0) return EXIT_ERROR;
  sqlite3_int64 nApplied = shell_query_int(
      p, -1, "SELECT count(*) FROM devdb_migrations(%Q) WHERE state = 'applied'", zDir);
  char *zOther =
      shell_query_text(p,
                       "SELECT group_concat(n || ' ' || state, ', ') FROM (SELECT "
                       "state, count(*) AS n FROM devdb_migrations(%Q) WHERE state "
                       "<> 'applied' GROUP BY state)",
                       zDir);
  sqlite3_int64 nDrift = nApplied < 0 ? -1 : shell_drift_count(p, zDir, 0);
  if (nApplied < 0 || nDrift < 0) {
    free(zOther);
    return EXIT_ERROR;
  }
  char *zIntegrity = shell_query_text(p, "PRAGMA quick_check");
  sqlite3_int64 nFk =
      shell_query_int(p, -1, "SELECT count(*) FROM pragma_foreign_key_check");
  int bMig = zOther == 0, bIntegrity = zIntegrity && strcmp(zIntegrity, "ok") == 0;
  gCheck = p->eOut == OUT_TABLE ? 0 : ui_table_new(p, "sis", "check", "ok", "detail");
  check_line(p, bMig, "migrations", "%lld applied%s%s", (long long)nApplied,
             bMig ? "" : ", ", bMig ? "" : zOther);
  if (nDrift) {
    check_line(p, 0, "drift", "%lld difference%s from %s (see: diff)", (long long)nDrift,
               nDrift == 1 ? "" : "s", zDir);
  } else {
    check_line(p, 1, "drift", "none: the schema matches %s", zDir);
  }
  check_line(p, bIntegrity, "integrity", "%s", zIntegrity ? zIntegrity : "?");
  if (nFk) {
    check_line(p, 0, "foreign keys", "%lld row%s without a parent", (long long)nFk,
               nFk == 1 ? "" : "s");
  } else {
    check_line(p, 1, "foreign keys", "every row has its parent");
  }
  if (gCheck) ui_table_end(gCheck);
  gCheck = 0;
  free(zOther);
  free(zIntegrity);
  return bMig && nDrift == 0 && bIntegrity && nFk == 0 ? EXIT_OK : EXIT_ATTENTION;
}
