/*
** main.c: the devdb shell's arguments and its database connection.
**
**   devdb [options] DB [COMMAND [ARGS]]
**   devdb [options] DB "SQL"
**
** With a command it runs that command and exits; without one it opens the
** REPL. Global options may stand anywhere on the line (`devdb app.db
** rebuild --yes`). The database is opened on first use, so help and usage
** errors cost nothing, and the extension is registered on it then.
*/
#include "shell.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int sqlite3_devdb_init(sqlite3 *, char **, const sqlite3_api_routines *);

static void usage(FILE *out) {
  fprintf(out,
          "usage: devdb [options] DB [COMMAND [ARGS]]\n"
          "       devdb [options] DB \"SQL\"\n"
          "\n"
          "With a COMMAND (or SQL), runs it and exits; without one, opens a REPL\n"
          "where commands are typed with a leading dot and anything else is SQL.\n"
          "\n"
          "options (anywhere on the line):\n"
          "  --migrations DIR  the migrations directory (default db/migrations or "
          "migrations)\n"
          "  --fixtures PATH   the fixtures directory or file (default db/fixtures or "
          "fixtures)\n"
          "  --backups DIR     where backups go (default .devdb/backups beside DB)\n"
          "  --yes             answer yes to confirmations (needed without a terminal)\n"
          "  --json            results as JSON\n"
          "  --csv             results as CSV\n"
          "  --quiet           results and errors only\n"
          "  --no-color        no colour or progress, even on a terminal\n"
          "  --version         print the version and exit\n"
          "  --help            print this and exit\n"
          "\n"
          "devdb.conf (key = value) in the current directory or beside DB sets\n"
          "migrations, fixtures, backups and retention. Exit codes: 0 ok, 1 error,\n"
          "2 usage, 3 needs attention (pending or dirty migrations, drift).\n"
          "Run 'devdb DB help' for the commands.\n");
}

/* Where a path option's value goes. */
static char **path_option(Config *c, const char *zName) {
  if (strcmp(zName, "--migrations") == 0) return &c->zMigrations;
  if (strcmp(zName, "--fixtures") == 0) return &c->zFixtures;
  if (strcmp(zName, "--backups") == 0) return &c->zBackups;
  return 0;
}

int shell_global_option(Shell *p, int argc, char **argv, int *pi) {
  const char *z = argv[*pi];
  if (strcmp(z, "--json") == 0) {
    p->eOut = OUT_JSON;
  } else if (strcmp(z, "--csv") == 0) {
    p->eOut = OUT_CSV;
  } else if (strcmp(z, "--yes") == 0 || strcmp(z, "-y") == 0) {
    p->bYes = 1;
  } else if (strcmp(z, "--quiet") == 0 || strcmp(z, "-q") == 0) {
    p->bQuiet = 1;
  } else if (strcmp(z, "--no-color") == 0) {
    p->bNoColor = 1;
    p->bColorOut = p->bColorErr = 0;
  } else {
    char zName[32];
    const char *zEq = strchr(z, '=');
    size_t n = zEq ? (size_t)(zEq - z) : strlen(z);
    if (n >= sizeof(zName)) return 0;
    memcpy(zName, z, n);
    zName[n] = 0;
    char **pz = path_option(&p->cfgArg, zName);
    if (pz == 0) return 0;
    const char *zVal = zEq ? zEq + 1 : (*pi + 1 < argc ? argv[++*pi] : 0);
    if (zVal == 0 || zVal[0] == 0) {
      shell_error(p, "option %s needs a value", zName);
      return -1;
    }
    free(*pz);
    *pz = shell_strdup(zVal);
  }
  return 1;
}

/* SQLite's own log (e.g. a recovered WAL) is not for the user; drop it. */
static void open_database(Shell *p) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  if (sqlite3_open_v2(p->zDbPath, &p->db, flags, 0) != SQLITE_OK) {
    shell_error(p, "cannot open '%s': %s", p->zDbPath, sqlite3_errmsg(p->db));
    sqlite3_close(p->db);
    p->db = 0;
    return;
  }
  char *zErr = 0;
  if (sqlite3_devdb_init(p->db, &zErr, 0) != SQLITE_OK) {
    shell_error(p, "%s", zErr ? zErr : "cannot register the extension");
    sqlite3_free(zErr);
    sqlite3_close(p->db);
    p->db = 0;
    return;
  }
  sqlite3_busy_timeout(p->db, 5000);
}

sqlite3 *shell_db(Shell *p) {
  if (p->db == 0) open_database(p);
  return p->db;
}

sqlite3 *shell_db_existing(Shell *p) {
  if (p->db == 0 && strcmp(p->zDbPath, ":memory:") != 0 && path_kind(p->zDbPath) != 2) {
    shell_error(p, "no database at '%s'", p->zDbPath);
    return 0;
  }
  return shell_db(p);
}

void shell_db_close(Shell *p) {
  if (p->db) sqlite3_close(p->db);
  p->db = 0;
}

/* Ctrl-C: stop the running statement (the loop that ran it reports what was
** rolled back), or cancel the line at the prompt. A third press while the
** work does not stop leaves at once. */
static Shell *gShell;
static void on_sigint(int sig) {
  (void)sig;
  Shell *p = gShell;
  if (p->bBusy) {
    p->nInterrupt++;
    if (p->db) sqlite3_interrupt(p->db);
    if (p->nInterrupt >= 3) _exit(130);
  } else if (p->bRepl && p->bTty) {
    p->bPromptIntr = 1;
  } else {
    _exit(130);
  }
}

static void install_signals(Shell *p) {
  gShell = p;
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0; /* no SA_RESTART: a read at the prompt returns EINTR */
  sigaction(SIGINT, &sa, 0);
}

/* Make zDbAbs: what confirmations and messages name. */
static char *absolute_path(const char *zPath) {
  if (zPath[0] == '/' || strcmp(zPath, ":memory:") == 0) return shell_strdup(zPath);
  char zCwd[PATH_MAX];
  if (getcwd(zCwd, sizeof(zCwd)) == 0) return shell_strdup(zPath);
  if (zPath[0] == '.' && zPath[1] == '/') zPath += 2;
  return path_join(zCwd, zPath);
}

int main(int argc, char **argv) {
  /* Before SQLite initialises: no global memory-statistics mutex, so the
  ** extension's two-thread work (loading two schemas at once) runs in
  ** parallel instead of queueing on every allocation. */
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  static Shell s;
  s.bTty = isatty(0);
  s.bNoColor = getenv("NO_COLOR") != 0 && getenv("NO_COLOR")[0] != 0;
  s.bColorOut = !s.bNoColor && isatty(1);
  s.bColorErr = !s.bNoColor && isatty(2);
  char *azRest[argc + 1];
  int nRest = 0, bEndOpts = 0;
  for (int i = 1; i < argc; i++) {
    if (bEndOpts || argv[i][0] != '-' || argv[i][1] == 0) {
      azRest[nRest++] = argv[i];
    } else if (strcmp(argv[i], "--") == 0) {
      bEndOpts = 1;
    } else if (strcmp(argv[i], "--version") == 0) {
      printf("devdb %s (SQLite %s)\n", DEVDB_VERSION, sqlite3_libversion());
      return EXIT_OK;
    } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      usage(stdout);
      return EXIT_OK;
    } else {
      int rc = shell_global_option(&s, argc, argv, &i);
      if (rc < 0) return EXIT_USAGE;
      if (rc == 0 && nRest < 2) {
        fprintf(stderr, "devdb: unknown option '%s'\n", argv[i]);
        usage(stderr);
        return EXIT_USAGE;
      }
      if (rc == 0) azRest[nRest++] = argv[i]; /* the command's own option */
    }
  }
  if (nRest == 0) {
    usage(stderr);
    return EXIT_USAGE;
  }
  s.zDbPath = azRest[0];
  s.zDbAbs = absolute_path(s.zDbPath);
  config_load(&s);
  install_signals(&s);
  int rc;
  if (nRest == 2 && strpbrk(azRest[1], " \t\n;")) {
    /* `devdb DB "SELECT ..."`: no command has a space in its name */
    rc = shell_run_sql(&s, azRest[1]) ? EXIT_ERROR : EXIT_OK;
  } else {
    rc = nRest > 1 ? shell_run_command(&s, nRest - 1, azRest + 1) : shell_repl(&s);
  }
  shell_db_close(&s);
  config_free(&s.cfg);
  config_free(&s.cfgArg);
  free(s.zDbAbs);
  return rc;
}
