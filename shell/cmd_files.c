/*
** cmd_files.c: the commands that work on the database file as a whole:
** backup, backups, restore. Every destructive command takes its automatic
** backup through shell_safety_backup and ends with shell_undo_restore,
** which prints the command that puts the database back.
*/
#include "shell.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* The size of a file, or -1. */
static sqlite3_int64 file_size(const char *zPath) {
  struct stat st;
  return stat(zPath, &st) == 0 ? (sqlite3_int64)st.st_size : -1;
}

char *shell_safety_backup(Shell *p, const char *zBefore) {
  char *zWhy = shell_printf("before %s", zBefore);
  char *zPath = backup_take(p, 0, zWhy);
  free(zWhy);
  if (zPath) backup_prune(p);
  if (zPath == 0) shell_error(p, "%s not done: the backup before it failed", zBefore);
  return zPath;
}

void shell_undo_restore(Shell *p, const char *zBackup) {
  char *zQ = ui_shell_quote(zBackup), *zDb = ui_shell_quote(p->zDbPath);
  if (p->bRepl) {
    shell_undo_hint(p, ".restore %s", zQ);
  } else {
    shell_undo_hint(p, "devdb %s restore %s", zDb, zQ);
  }
  free(zQ);
  free(zDb);
}

int cmd_backup(Shell *p, const Args *a) {
  if (shell_db_existing(p) == 0) return EXIT_ERROR;
  const char *zDest = a->nPos ? a->azPos[0] : 0;
  if (zDest && path_kind(zDest) != 0) {
    shell_error(p, "backup: '%s' exists; give a new file name", zDest);
    return EXIT_ERROR;
  }
  char *zPath = backup_take(p, zDest, 0);
  if (zPath == 0) return EXIT_ERROR;
  if (zDest == 0) backup_prune(p);
  char zSize[32], zBytes[32];
  sqlite3_int64 nByte = file_size(zPath);
  snprintf(zBytes, sizeof(zBytes), "%lld", (long long)nByte);
  UiTable *t = ui_table_new(p, "sis", "backup", "bytes", "size");
  ui_table_row(t, (const char *[]){zPath, zBytes, ui_bytes(zSize, sizeof(zSize), nByte)});
  ui_table_end(t);
  free(zPath);
  return EXIT_OK;
}

int cmd_backups(Shell *p, const Args *a) {
  char **az = backup_list(p);
  UiTable *t = ui_table_new(p, "ssis", "backup", "time", "bytes", "size");
  for (int i = 0; az[i]; i++) {
    struct stat st;
    if (stat(az[i], &st) != 0) continue;
    char zTime[32], zBytes[32], zSize[32];
    strftime(zTime, sizeof(zTime), "%Y-%m-%d %H:%M:%S", localtime(&st.st_mtime));
    snprintf(zBytes, sizeof(zBytes), "%lld", (long long)st.st_size);
    ui_table_row(t, (const char *[]){az[i], zTime, zBytes,
                                     ui_bytes(zSize, sizeof(zSize), st.st_size)});
  }
  if (az[0] == 0) shell_note(p, "no backups in %s", p->cfg.zBackups);
  ui_table_end(t);
  backup_list_free(az);
  return EXIT_OK;
}

/* The backup restore means: a path, or the newest one for none or latest. */
static char *restore_source(Shell *p, const Args *a) {
  if (a->nPos && strcmp(a->azPos[0], "latest") != 0) return shell_strdup(a->azPos[0]);
  char **az = backup_list(p);
  char *z = shell_strdup(az[0]);
  backup_list_free(az);
  if (z == 0) shell_error(p, "restore: no backups in %s", p->cfg.zBackups);
  return z;
}

int cmd_restore(Shell *p, const Args *a) {
  char *zSrc = restore_source(p, a), *zErr = 0, *zUndo = 0;
  int rc = EXIT_ERROR;
  if (zSrc == 0) return rc;
  if (backup_verify(zSrc, &zErr)) {
    shell_error(p, "restore: %s; nothing was changed", zErr);
    goto done;
  }
  char *zTail = shell_printf(" with the backup %s", zSrc);
  int bGo = shell_db(p) && shell_confirm(p, "replace the content of", zTail);
  free(zTail);
  if (!bGo || (zUndo = shell_safety_backup(p, "restore")) == 0) goto done;
  if (backup_restore_from(p, zSrc) == 0) {
    shell_note(p, "restored %s", zSrc);
    shell_undo_restore(p, zUndo);
    rc = EXIT_OK;
  }
done:
  free(zErr);
  free(zUndo);
  free(zSrc);
  return rc;
}
