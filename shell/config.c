/*
** config.c: the settings of a devdb project and the small path helpers.
**
** A setting comes from the command line, else from devdb.conf, else from a
** default. devdb.conf is read from the current directory, else from the
** database's directory; it holds `key = value` lines, `#` comments and
** blank lines. Relative paths in it are relative to the file itself.
**
**   migrations = db/migrations   # default: db/migrations or migrations
**   fixtures   = db/fixtures     # default: db/fixtures or fixtures
**   backups    = .devdb/backups  # default: .devdb/backups beside the database
**   retention  = 20              # automatic backups kept; 0 keeps all
**
** Defaults are looked for in the current directory, then beside the
** database; only directories that exist are taken.
*/
#include "shell.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_RETENTION 20

void *shell_oom_check(void *p) {
  if (p == 0) {
    fputs("devdb: out of memory\n", stderr);
    exit(EXIT_ERROR);
  }
  return p;
}

char *shell_strdup(const char *z) {
  return z ? shell_oom_check(strdup(z)) : 0;
}

char *shell_printf(const char *zFmt, ...) {
  va_list ap;
  va_start(ap, zFmt);
  char *z = 0;
  int n = vasprintf(&z, zFmt, ap);
  va_end(ap);
  return shell_oom_check(n < 0 ? 0 : z);
}

char *path_dir(const char *zPath) {
  const char *zSlash = strrchr(zPath, '/');
  if (zSlash == 0) return shell_strdup(".");
  if (zSlash == zPath) return shell_strdup("/");
  return shell_oom_check(strndup(zPath, zSlash - zPath));
}

char *path_join(const char *zDir, const char *zName) {
  if (zName[0] == '/' || zDir == 0 || strcmp(zDir, ".") == 0) return shell_strdup(zName);
  size_t n = strlen(zDir);
  return shell_printf("%s%s%s", zDir, n && zDir[n - 1] == '/' ? "" : "/", zName);
}

int path_kind(const char *zPath) {
  struct stat st;
  if (zPath == 0 || stat(zPath, &st) != 0) return 0;
  return S_ISDIR(st.st_mode) ? 1 : S_ISREG(st.st_mode) ? 2 : 0;
}

int path_mkdirs(const char *zPath, int mode) {
  char *z = shell_strdup(zPath);
  for (char *s = z + 1; *s; s++) {
    if (*s != '/') continue;
    *s = 0;
    if (mkdir(z, mode) != 0 && errno != EEXIST) break;
    *s = '/';
  }
  int rc = mkdir(z, mode) != 0 && errno != EEXIST;
  free(z);
  return rc;
}

void config_free(Config *c) {
  free(c->zMigrations);
  free(c->zFixtures);
  free(c->zBackups);
  free(c->zConfFile);
  memset(c, 0, sizeof(*c));
}

/* Trim spaces at both ends of z in place. */
static char *trim(char *z) {
  while (*z == ' ' || *z == '\t') z++;
  size_t n = strlen(z);
  while (n &&
         (z[n - 1] == ' ' || z[n - 1] == '\t' || z[n - 1] == '\r' || z[n - 1] == '\n')) {
    z[--n] = 0;
  }
  return z;
}

/* Set one key of devdb.conf; zDir is the file's directory. 0 if unknown. */
static int conf_set(Config *c, const char *zDir, const char *zKey, const char *zVal) {
  char **pz = strcmp(zKey, "migrations") == 0 ? &c->zMigrations
              : strcmp(zKey, "fixtures") == 0 ? &c->zFixtures
              : strcmp(zKey, "backups") == 0  ? &c->zBackups
                                              : 0;
  if (pz) {
    free(*pz);
    *pz = path_join(zDir, zVal);
    return 1;
  }
  if (strcmp(zKey, "retention") == 0) {
    c->nRetention = atoi(zVal);
    return 1;
  }
  return 0;
}

/* Read the devdb.conf at zPath into c. 0 when there is none. */
static int conf_read(Shell *p, Config *c, const char *zPath) {
  FILE *in = fopen(zPath, "r");
  if (in == 0) return 0;
  char *zDir = path_dir(zPath);
  char zLine[4096];
  for (int iLine = 1; fgets(zLine, sizeof(zLine), in); iLine++) {
    char *zHash = strchr(zLine, '#');
    if (zHash) *zHash = 0;
    char *z = trim(zLine);
    if (*z == 0) continue;
    char *zEq = strchr(z, '=');
    if (zEq) *zEq = 0;
    if (zEq == 0 || !conf_set(c, zDir, trim(z), trim(zEq + 1))) {
      fprintf(stderr,
              "devdb: %s:%d: ignored '%s' (keys: migrations, fixtures, backups, "
              "retention)\n",
              zPath, iLine, z);
    }
  }
  fclose(in);
  free(zDir);
  c->zConfFile = shell_strdup(zPath);
  return 1;
}

/* The first of the candidate subdirectories that exists under the current
** directory or the database's directory; NULL when none does. */
static char *find_default(const char *zDbDir, const char *zA, const char *zB) {
  const char *azBase[] = {".", zDbDir};
  for (int i = 0; i < 2; i++) {
    const char *azName[] = {zA, zB};
    for (int j = 0; j < 2; j++) {
      char *z = path_join(azBase[i], azName[j]);
      if (path_kind(z) == 1) return z;
      free(z);
    }
  }
  return 0;
}

void config_load(Shell *p) {
  Config conf;
  memset(&conf, 0, sizeof(conf));
  conf.nRetention = -1;
  char *zDbDir = path_dir(p->zDbPath);
  char *zBeside = path_join(zDbDir, "devdb.conf");
  if (!conf_read(p, &conf, "devdb.conf")) conf_read(p, &conf, zBeside);
  free(zBeside);
  Config *c = &p->cfg, *a = &p->cfgArg;
  config_free(c);
  c->zConfFile = conf.zConfFile;
  c->zMigrations = a->zMigrations ? shell_strdup(a->zMigrations)
                   : conf.zMigrations
                       ? conf.zMigrations
                       : find_default(zDbDir, "db/migrations", "migrations");
  if (c->zMigrations != conf.zMigrations) free(conf.zMigrations);
  c->zFixtures = a->zFixtures     ? shell_strdup(a->zFixtures)
                 : conf.zFixtures ? conf.zFixtures
                                  : find_default(zDbDir, "db/fixtures", "fixtures");
  if (c->zFixtures != conf.zFixtures) free(conf.zFixtures);
  c->zBackups = a->zBackups     ? shell_strdup(a->zBackups)
                : conf.zBackups ? conf.zBackups
                                : path_join(zDbDir, ".devdb/backups");
  if (c->zBackups != conf.zBackups) free(conf.zBackups);
  c->nRetention = conf.nRetention >= 0 ? conf.nRetention : DEFAULT_RETENTION;
  free(zDbDir);
}
