/*
** main.c: the devdb shell's arguments.
**
**   devdb [options] DB [COMMAND [ARGS]]
**
** With a command it runs that command and exits; without one it opens the
** REPL. The extension is linked in and registered on the connection.
*/
#include "shell.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int sqlite3_devdb_init(sqlite3 *, char **, const sqlite3_api_routines *);

static void usage(FILE *out) {
  fprintf(out, "usage: devdb [options] DB [COMMAND [ARGS]]\n"
               "\n"
               "With a COMMAND, runs it and exits; without one, opens a REPL where\n"
               "commands are typed with a leading dot and anything else is SQL.\n"
               "\n"
               "options:\n"
               "  --json        results as JSON\n"
               "  --csv         results as CSV\n"
               "  --yes         answer yes to confirmations\n"
               "  --quiet       print less\n"
               "  --no-color    no colour, even on a terminal\n"
               "  --version     print the version and exit\n"
               "  --help        print this and exit\n"
               "\n"
               "Run 'devdb DB help' for the commands.\n");
}

/* Open zPath and register the extension. Exits on failure. */
static void open_database(Shell *p) {
  if (sqlite3_open_v2(p->zDbPath, &p->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                      0)) {
    fprintf(stderr, "devdb: cannot open '%s': %s\n", p->zDbPath, sqlite3_errmsg(p->db));
    exit(EXIT_ERROR);
  }
  char *zErr = 0;
  if (sqlite3_devdb_init(p->db, &zErr, 0) != SQLITE_OK) {
    fprintf(stderr, "devdb: %s\n", zErr ? zErr : "cannot register the extension");
    exit(EXIT_ERROR);
  }
  sqlite3_busy_timeout(p->db, 5000);
}

/* Parse one option; returns 1 if argv[i] was one, -1 to exit with usage. */
static int parse_option(Shell *p, const char *z) {
  if (strcmp(z, "--json") == 0)
    p->eOut = OUT_JSON;
  else if (strcmp(z, "--csv") == 0)
    p->eOut = OUT_CSV;
  else if (strcmp(z, "--yes") == 0)
    p->bYes = 1;
  else if (strcmp(z, "--quiet") == 0)
    p->bQuiet = 1;
  else if (strcmp(z, "--no-color") == 0)
    p->bColor = 0;
  else
    return -1;
  return 1;
}

int main(int argc, char **argv) {
  /* Before SQLite initialises: no global memory-statistics mutex, so the
  ** extension's two-thread work (loading two schemas at once) runs in
  ** parallel instead of queueing on every allocation. */
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  Shell s;
  memset(&s, 0, sizeof(s));
  s.bTty = isatty(0);
  s.bColor = isatty(1) && getenv("NO_COLOR") == 0;
  int i = 1;
  for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
    if (strcmp(argv[i], "--version") == 0) {
      printf("devdb %s (SQLite %s)\n", DEVDB_VERSION, sqlite3_libversion());
      return EXIT_OK;
    }
    if (strcmp(argv[i], "--help") == 0) {
      usage(stdout);
      return EXIT_OK;
    }
    if (parse_option(&s, argv[i]) < 0) {
      fprintf(stderr, "devdb: unknown option '%s'\n", argv[i]);
      usage(stderr);
      return EXIT_USAGE;
    }
  }
  if (i >= argc) {
    usage(stderr);
    return EXIT_USAGE;
  }
  s.zDbPath = argv[i++];
  open_database(&s);
  int rc = i < argc ? shell_run_command(&s, argc - i, argv + i) : shell_repl(&s);
  sqlite3_close(s.db);
  return rc;
}
