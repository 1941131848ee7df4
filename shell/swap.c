/*
** swap.c: the fast way rebuild puts a finished database image in place,
** when nothing else has the database open.
**
** The old file itself becomes the backup (a hard link in the backups
** directory, after PRAGMA quick_check passed on it) and a copy of the image
** takes its place by an atomic rename: no page of the old database is
** copied, and the image is written once and synced once. It is taken only
** when it is safe: the database is in rollback-journal mode with no -journal
** or -wal file beside it, and a Linux write lease on the file proves that no
** other process (and no other descriptor of this one) has it open. Anything
** else leaves everything as it was and the caller uses the SQLite path
** (a verified backup copy, then devdb_restore_file).
**
** The reset area's devdb_wipe_file does the same for an empty image; this
** is the same idea for a given image, kept in the shell until the reset
** area's C API offers it.
*/
#include "shell.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* fsync a directory. */
static void sync_dir(const char *zDir) {
  int fd = open(zDir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

/* Copy zFrom to a new file zTo with mode, synced. 0 ok. */
static int copy_file(const char *zFrom, const char *zTo, mode_t mode) {
  int in = open(zFrom, O_RDONLY | O_CLOEXEC);
  int out = open(zTo, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 07777);
  int rc = in < 0 || out < 0;
  char aBuf[65536];
  ssize_t n;
  while (rc == 0 && (n = read(in, aBuf, sizeof(aBuf))) != 0) {
    rc = n < 0 || write(out, aBuf, n) != n;
  }
  if (rc == 0) rc = fchmod(out, mode & 07777) != 0 || fdatasync(out) != 0;
  if (in >= 0) close(in);
  if (out >= 0 && close(out) != 0) rc = 1;
  if (rc) unlink(zTo);
  return rc;
}

/* A hard link of zDb under a new backup name with zLabel; the name
** (malloc'd) or NULL. */
static char *link_backup(Shell *p, const char *zLabel) {
  const char *zBase =
      strrchr(p->zDbPath, '/') ? strrchr(p->zDbPath, '/') + 1 : p->zDbPath;
  char zStamp[32];
  time_t t = time(0);
  strftime(zStamp, sizeof(zStamp), "%Y%m%d-%H%M%S", localtime(&t));
  for (int i = 1; i < 100; i++) {
    char *zName = i == 1 ? shell_printf("%.*s-%s-%s.db", (int)strcspn(zBase, "."), zBase,
                                        zStamp, zLabel)
                         : shell_printf("%.*s-%s-%s-%d.db", (int)strcspn(zBase, "."),
                                        zBase, zStamp, zLabel, i);
    char *zPath = path_join(p->cfg.zBackups, zName);
    free(zName);
    if (link(p->zDbPath, zPath) == 0) return zPath;
    free(zPath);
    if (errno != EEXIST) return 0;
  }
  return 0;
}

/* 1 when a -journal or -wal file is beside the database. */
static int has_side_files(Shell *p) {
  char *zJ = shell_printf("%s-journal", p->zDbPath),
       *zW = shell_printf("%s-wal", p->zDbPath);
  int b = path_kind(zJ) != 0 || path_kind(zW) != 0;
  free(zJ);
  free(zW);
  return b;
}

int swap_in_image(Shell *p, const char *zImage, const char *zLabel, char **pzBackup) {
  *pzBackup = 0;
  char *zMode = shell_query_text(p, "PRAGMA journal_mode");
  char *zCheck = zMode && strcmp(zMode, "delete") == 0
                     ? shell_query_text(p, "PRAGMA quick_check")
                     : 0;
  int bOk = zCheck && strcmp(zCheck, "ok") == 0;
  free(zMode);
  free(zCheck);
  struct stat st;
  if (!bOk || stat(p->zDbPath, &st) != 0 || path_mkdirs(p->cfg.zBackups, 0700) != 0)
    return 1;
  shell_db_close(p);
  int fd = open(p->zDbPath, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 1;
  if (fcntl(fd, F_SETLEASE, F_WRLCK) != 0 || has_side_files(p)) {
    close(fd);
    return 1;
  }
  int rc = 1;
  char *zBackup = link_backup(p, zLabel);
  char *zTmp = shell_printf("%s.tmp-%d", p->zDbPath, (int)getpid());
  if (zBackup && copy_file(zImage, zTmp, st.st_mode) == 0 &&
      rename(zTmp, p->zDbPath) == 0) {
    char *zDir = path_dir(p->zDbPath);
    sync_dir(zDir);
    sync_dir(p->cfg.zBackups);
    free(zDir);
    *pzBackup = zBackup;
    zBackup = 0;
    rc = 0;
  } else if (zBackup) {
    unlink(zTmp);
    unlink(zBackup);
  }
  fcntl(fd, F_SETLEASE, F_UNLCK);
  close(fd);
  free(zBackup);
  free(zTmp);
  return rc;
}
