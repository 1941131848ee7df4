/*
** cmd_reset.c: wipe, snapshot, revert and dedup: the commands that remove
** data. wipe uses the reset area's file wipe (devdb_wipe_file_on, handed
** the shell's connection: the old file itself becomes the backup and a
** cached empty image takes its place when no one else has it open);
** snapshot and revert keep named verified copies in .devdb/snapshots beside
** the database (devdb_backup_file and devdb_restore_file), so they work
** across processes; dedup calls devdb_duplicates and devdb_dedup.
*/
#include "shell.h"
#include "devdb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A directory beside the database: DIR/.devdb/zName (malloc'd). */
static char *devdb_dir(Shell *p, const char *zName) {
  char *zDir = path_dir(p->zDbPath), *zSub = shell_printf(".devdb/%s", zName);
  char *z = path_join(zDir, zSub);
  free(zDir);
  free(zSub);
  return z;
}

/* Ask before a wipe of eMode, naming the database and how many tables it
** empties or drops; 1 to go on. (With --yes nothing is asked, and the
** count, which only the question shows, is not read.) */
static int confirm_wipe(Shell *p, int eMode) {
  sqlite3_int64 n = devdb_wipe_count(p->db, eMode);
  char *zAction =
      eMode == DEVDB_WIPE_DATA
          ? shell_printf("delete every row of the %lld tables (migration history "
                         "kept) of",
                         (long long)n)
          : shell_printf("drop every table (%lld), index, view and trigger of",
                         (long long)n);
  int bGo = shell_confirm(p, zAction, "");
  free(zAction);
  return bGo;
}

int cmd_wipe(Shell *p, const Args *a) {
  const char *zMode = a->nPos ? a->azPos[0] : "data";
  int eMode = devdb_wipe_mode(zMode);
  if (shell_db_existing(p) == 0 || shell_refuse_protected(p, "wipe")) return EXIT_ERROR;
  if (!p->bYes && !confirm_wipe(p, eMode)) return EXIT_ERROR;
  if (path_mkdirs(p->cfg.zBackups, 0700) != 0) {
    shell_error(p, "cannot create the backups directory '%s': %s", p->cfg.zBackups,
                strerror(errno));
    return EXIT_ERROR;
  }
  char *zCache = devdb_dir(p, "cache"), *zErr = 0;
  path_mkdirs(zCache, 0700);
  DevdbWipeInfo info;
  memset(&info, 0, sizeof(info));
  /* the file wipe needs the file closed by this process: it takes over
  ** this connection (the schema it has read is not read again), unless the
  ** connection is inside a transaction, which closing rolls back */
  sqlite3 *db = p->db;
  if (sqlite3_get_autocommit(db)) {
    p->db = 0;
  } else {
    db = 0;
    shell_db_close(p);
  }
  shell_busy_begin(p, "wipe");
  int rc =
      devdb_wipe_file_on(db, p->zDbPath, zMode, p->cfg.zBackups, zCache, 0, &info, &zErr);
  shell_busy_end(p);
  if (rc == SQLITE_OK) {
    char *zText =
        shell_printf("%s %lld table%s", eMode == DEVDB_WIPE_DATA ? "emptied" : "dropped",
                     (long long)info.nTable, info.nTable == 1 ? "" : "s");
    char zN[32];
    snprintf(zN, sizeof(zN), "%lld", (long long)info.nTable);
    ui_result(p, zText, "sis", "wipe", zMode, "tables", zN, "backup", info.backup.zPath);
    free(zText);
    shell_note(p, "backup before wipe: %s", info.backup.zPath);
    backup_prune(p);
    shell_undo_restore(p, info.backup.zPath);
  } else {
    shell_error(p, "wipe: %s", zErr ? zErr : sqlite3_errstr(rc));
  }
  sqlite3_free(info.backup.zPath);
  sqlite3_free(zErr);
  free(zCache);
  return rc == SQLITE_OK ? EXIT_OK : EXIT_ERROR;
}

/* .devdb/snapshots/NAME.db beside the database (malloc'd); NULL after
** saying the name is not one. */
static char *snapshot_path(Shell *p, const char *zName) {
  if (zName[0] == 0 || zName[0] == '.' ||
      strspn(zName,
             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
          strlen(zName)) {
    shell_error(p, "'%s' is not a snapshot name (letters, digits, _ . -)", zName);
    return 0;
  }
  char *zDir = devdb_dir(p, "snapshots"), *zPath = shell_printf("%s/%s.db", zDir, zName);
  free(zDir);
  return zPath;
}

int cmd_snapshot(Shell *p, const Args *a) {
  char *zPath = snapshot_path(p, a->azPos[0]);
  if (zPath == 0 || shell_db_existing(p) == 0) {
    free(zPath);
    return EXIT_ERROR;
  }
  char *zDir = path_dir(zPath);
  path_mkdirs(zDir, 0700);
  free(zDir);
  char *zDone = backup_take(p, zPath, 0);
  if (zDone) {
    char *zText = shell_printf("snapshot %s: %s", a->azPos[0], zDone);
    ui_result(p, zText, "ss", "snapshot", a->azPos[0], "path", zDone);
    free(zText);
  }
  free(zDone);
  free(zPath);
  return zDone ? EXIT_OK : EXIT_ERROR;
}

int cmd_revert(Shell *p, const Args *a) {
  char *zPath = snapshot_path(p, a->azPos[0]);
  int rc = EXIT_ERROR;
  if (zPath && path_kind(zPath) != 2) {
    shell_error(p, "revert: no snapshot '%s' (take one with: snapshot %s)", a->azPos[0],
                a->azPos[0]);
  } else if (zPath && shell_db_existing(p)) {
    char *zWhat = shell_printf("the snapshot %s", a->azPos[0]);
    rc = shell_replace_with(p, "revert", zPath, zWhat);
    free(zWhat);
  }
  free(zPath);
  return rc;
}

/* The key columns of dedup: the COLS words joined ("a, b"). Malloc'd. */
static char *dedup_cols(const Args *a) {
  char *z = shell_strdup(a->azPos[1]);
  for (int i = 2; i < a->nPos; i++) {
    char *zNew = shell_printf("%s, %s", z, a->azPos[i]);
    free(z);
    z = zNew;
  }
  return z;
}

int cmd_dedup(Shell *p, const Args *a) {
  const char *zTbl = a->azPos[0], *zKeep = args_opt(a, "--keep");
  const char *zRefs = args_opt(a, "--refs");
  if (shell_db_existing(p) == 0) return EXIT_ERROR;
  char *zCols = dedup_cols(a), *zCount = 0, *zBackup = 0;
  zKeep = zKeep ? zKeep : "first";
  zRefs = zRefs ? zRefs : "restrict";
  int rc = EXIT_ERROR;
  if (args_opt(a, "--dry-run")) {
    rc =
        shell_print_sql(p,
                        "SELECT key, n, keep_rowid AS keep, drop_rowids AS \"drop\" FROM "
                        "devdb_duplicates(%Q, %Q, %Q)",
                        zTbl, zCols, zKeep);
    goto done;
  }
  if (shell_call(p, &zCount, "dedup",
                 "SELECT count(*) || ' ' || coalesce(sum(n - 1), 0) FROM "
                 "devdb_duplicates(%Q, %Q, %Q)",
                 zTbl, zCols, zKeep) != SQLITE_OK) {
    goto done;
  }
  long long nGroup = 0, nRow = 0;
  sscanf(zCount, "%lld %lld", &nGroup, &nRow);
  if (nGroup == 0) {
    shell_note(p, "no duplicates of (%s) in %s", zCols, zTbl);
    rc = EXIT_OK;
    goto done;
  }
  char *zAction =
      shell_printf("delete %lld duplicate row%s (%lld group%s of %s(%s), keeping "
                   "the %s of each; references: %s) from",
                   nRow, nRow == 1 ? "" : "s", nGroup, nGroup == 1 ? "" : "s", zTbl,
                   zCols, zKeep, zRefs);
  int bGo = shell_confirm(p, zAction, "");
  free(zAction);
  if (!bGo || (zBackup = shell_safety_backup(p, "dedup")) == 0) goto done;
  char *zDeleted = 0;
  int src = shell_call(p, &zDeleted, "dedup", "SELECT devdb_dedup(%Q, %Q, %Q, %Q)", zTbl,
                       zCols, zKeep, zRefs);
  if (src == SQLITE_OK) {
    char *zText = shell_printf("deleted %s row%s from %s", zDeleted ? zDeleted : "0",
                               zDeleted && strcmp(zDeleted, "1") == 0 ? "" : "s", zTbl);
    ui_result(p, zText, "sis", "table", zTbl, "deleted", zDeleted ? zDeleted : "0",
              "backup", zBackup);
    free(zText);
    shell_undo_restore(p, zBackup);
    rc = EXIT_OK;
  } else if (src == SQLITE_INTERRUPT) {
    shell_error(p, "interrupted: dedup was rolled back; nothing was deleted");
  }
  free(zDeleted);
done:
  free(zBackup);
  free(zCount);
  free(zCols);
  return rc;
}
