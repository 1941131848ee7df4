/*
** swap.c: the fast way rebuild puts a finished database image in place,
** when nothing else has the database open: the reset area's
** devdb_swap_image (the old file itself becomes the backup, a hard link in
** the backups directory, and the image takes its place by an atomic
** rename), taken only after PRAGMA quick_check passed on the old file and
** when it is in rollback-journal mode. Anything else leaves everything as
** it was and the caller uses the SQLite path (a verified backup copy, then
** devdb_restore_file).
*/
#include "shell.h"
#include "devdb.h"

#include <stdlib.h>
#include <string.h>

int swap_in_image(Shell *p, const char *zImage, const char *zLabel, char **pzBackup) {
  *pzBackup = 0;
  char *zMode = shell_query_text(p, "PRAGMA journal_mode");
  char *zCheck = zMode && strcmp(zMode, "delete") == 0
                     ? shell_query_text(p, "PRAGMA quick_check")
                     : 0;
  int bOk = zCheck && strcmp(zCheck, "ok") == 0;
  free(zMode);
  free(zCheck);
  if (!bOk) return 1;
  shell_db_close(p);
  DevdbBackupInfo info;
  char *zErr = 0;
  int rc = devdb_swap_image(p->zDbPath, zImage, p->cfg.zBackups, zLabel, &info, &zErr);
  if (rc == SQLITE_OK) *pzBackup = shell_strdup(info.zPath);
  if (rc != SQLITE_OK && rc != DEVDB_SWAP_FALLBACK) {
    shell_error(p, "rebuild: %s", zErr ? zErr : sqlite3_errstr(rc));
  }
  sqlite3_free(info.zPath);
  sqlite3_free(zErr);
  return rc == SQLITE_OK ? 0 : 1;
}
