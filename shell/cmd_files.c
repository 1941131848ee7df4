/*
** cmd_files.c: the commands that work on the database file as a whole:
** backup, backups, restore. Every destructive command takes its automatic
** backup through shell_safety_backup and ends with shell_undo_restore,
** which prints the command that puts the database back.
*/
#include "shell.h"
#include "devdb.h"

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
  char *zPath = backup_take(p, 0, zBefore);
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

/* backups: devdb_backups over the backups directory, this database's files
** only (STEM-<digits>..., leftover temp files of interrupted ones too). */
int cmd_backups(Shell *p, const Args *a) {
  if (shell_db(p) == 0) return EXIT_ERROR;
  const char *zBase =
      strrchr(p->zDbPath, '/') ? strrchr(p->zDbPath, '/') + 1 : p->zDbPath;
  char *zStem = shell_printf("%.*s", (int)strcspn(zBase, "."), zBase);
  sqlite3_int64 n = shell_query_int(p, 0,
                                    "SELECT count(*) FROM devdb_backups(%Q) WHERE name "
                                    "GLOB %Q || '-[0-9]*'",
                                    p->cfg.zBackups, zStem);
  int rc = shell_print_sql(
      p,
      "SELECT path AS backup, mtime AS \"written (UTC)\", bytes, CASE WHEN verified "
      "THEN 'yes' ELSE 'no: ' || detail END AS verified FROM "
      "devdb_backups(%Q) WHERE name GLOB %Q || '-[0-9]*'",
      p->cfg.zBackups, zStem);
  if (rc == EXIT_OK && n == 0) shell_note(p, "no backups in %s", p->cfg.zBackups);
  free(zStem);
  return rc;
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

int shell_refuse_protected(Shell *p, const char *zCmd) {
  char *zReason = 0;
  int bProtected = devdb_protected_reason(p->db, "main", &zReason);
  if (bProtected) {
    shell_error(p,
                "%s: %s is protected (%s); remove the mark first with devdb_unprotect() "
                "if you mean it",
                zCmd, p->zDbAbs, zReason ? zReason : "no reason given");
  }
  sqlite3_free(zReason);
  return bProtected;
}

int shell_replace_with(Shell *p, const char *zCmd, const char *zFile, const char *zWhat) {
  char *zErr = 0, *zUndo = 0;
  int rc = EXIT_ERROR;
  if (shell_db(p) == 0 || shell_refuse_protected(p, zCmd)) return rc;
  if (backup_verify(p, zFile, &zErr)) {
    shell_error(p, "%s: %s; nothing was changed", zCmd, zErr);
    free(zErr);
    return rc;
  }
  char *zTail = shell_printf(" with %s", zWhat);
  int bGo = shell_confirm(p, "replace the content of", zTail);
  free(zTail);
  if (bGo && (zUndo = shell_safety_backup(p, zCmd)) != 0 &&
      backup_restore_from(p, zFile) == 0) {
    char *zText = shell_printf("%s: the database now holds %s", zCmd, zWhat);
    ui_result(p, zText, "sss", "command", zCmd, "from", zFile, "backup", zUndo);
    free(zText);
    shell_undo_restore(p, zUndo);
    rc = EXIT_OK;
  }
  free(zUndo);
  return rc;
}

int cmd_restore(Shell *p, const Args *a) {
  char *zSrc = restore_source(p, a);
  if (zSrc == 0) return EXIT_ERROR;
  char *zWhat = shell_printf("the backup %s", zSrc);
  int rc = shell_replace_with(p, "restore", zSrc, zWhat);
  free(zWhat);
  free(zSrc);
  return rc;
}
