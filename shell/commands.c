/*
** commands.c: the one command table of the devdb shell.
**
** Every command appears once in aCommand. Dispatch (with unambiguous
** prefixes), argument checking, help, help COMMAND, completion and hints all
** read it: a command's zArgs is its usage, and spec_parse turns it into the
** positional slots and options the parser accepts. A command calls the
** extension's SQL; no feature logic lives here.
*/
#include "shell.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int cmd_quit(Shell *p, const Args *a) {
  return EXIT_OK; /* the REPL leaves; one-shot has nothing to do */
}

static const Command aCommand[] = {
    {"backup", "[PATH]", "take a verified backup of the database",
     "Copies the database with SQLite's backup API into a temporary file, syncs\n"
     "it, runs integrity_check on the copy and renames it into place: a backup\n"
     "either exists whole and checked, or not at all. Without PATH it goes to\n"
     "the backups directory (.devdb/backups beside the database, or `backups`\n"
     "in devdb.conf) named DB-YYYYMMDD-HHMMSS.db; `retention` in devdb.conf says\n"
     "how many of those are kept (default 20).",
     cmd_backup},
    {"backups", "", "list the backups of this database, newest first",
     "The files in the backups directory with their time and size. `restore\n"
     "latest` takes the first one.",
     cmd_backups},
    {"complete", "LINE", "print the completions of a partial REPL line",
     "What TAB offers in the REPL for LINE (quote it), one per line: commands\n"
     "after a dot, a command's options and choices, table and column names,\n"
     "file paths. For editor integrations and tests.",
     cmd_complete},
    {"help", "[COMMAND]", "list the commands, or explain one",
     "With no argument, lists every command with a one-line summary. With a\n"
     "command name (or an unambiguous prefix), shows its usage and what it does.",
     cmd_help},
    {"mark", "VERSION [applied|pending]", "record a migration as applied or pending",
     "Changes only the history (Django's --fake): the migration's SQL is not\n"
     "run. Marking a migration applied also clears a dirty (failed) one and\n"
     "accepts an edited file's new checksum. The default state is applied.",
     cmd_mark},
    {"migrate", "[--to VERSION] [--plan]", "apply the pending migrations",
     "Applies the pending migrations of the migrations directory, oldest\n"
     "first, up to VERSION with --to. Each migration commits with its history\n"
     "row on its own, so an error or Ctrl-C keeps the ones before it; a new\n"
     "database gets all of them in one transaction. The history goes to the\n"
     "table of the directory's tool (dbmate, golang-migrate, goose, Flyway),\n"
     "else devdb's own. --plan prints the SQL that would run and runs nothing.",
     cmd_migrate},
    {"new", "NAME", "create the next migration file",
     "Writes an empty migration named NAME in the migrations directory, in its\n"
     "format (dbmate's '-- migrate:up/down' for a new directory), with the next\n"
     "version: a timestamp, or the next number where versions are numbered.",
     cmd_new},
    {"quit", "", "leave the REPL (also .exit or Ctrl-D)", "Leaves the REPL.", cmd_quit},
    {"redo", "", "roll back the newest migration and apply it again",
     "Runs the down section of the newest applied migration, then its up\n"
     "section: for editing a migration while writing it. Asks first, takes a\n"
     "verified backup and prints how to undo.",
     cmd_redo},
    {"restore", "[PATH|latest]", "replace the database with a backup",
     "Checks the backup first (a SQLite database that passes integrity_check),\n"
     "takes a verified backup of the current state, then copies the backup's\n"
     "content into the database through SQLite's backup API (never by copying\n"
     "files over an open database). Without an argument, or with `latest`, the\n"
     "newest backup in the backups directory. Asks first; prints how to undo.",
     cmd_restore},
    {"rollback", "[N] [--to VERSION]", "run the down sections of the newest migrations",
     "Rolls back the newest applied migration, or N of them, or every one\n"
     "newer than VERSION (--to all: every one), newest first, each with its history row "
     "in one\n"
     "transaction. Asks first (naming them), takes a verified backup and\n"
     "prints how to undo.",
     cmd_rollback},
    {"schema", "[--mermaid]", "the schema as devdb's model sees it",
     "Lists every table with its columns, keys, foreign keys and indexes, then\n"
     "views and triggers, from devdb_schema. With --mermaid, prints the tables\n"
     "and their foreign keys as a Mermaid ER diagram (erDiagram) for docs.",
     cmd_schema},
    {"sql", "VERSION [--down]", "print the SQL of one migration",
     "Prints the up section of the migration VERSION (or a file name), or its\n"
     "down section with --down, as the runner would run it.",
     cmd_sql},
    {"status", "", "migrations, size, tables, last backup",
     "Shows the database file with its size and tables; the migrations: how\n"
     "many are applied and each one that is not (pending, modified, missing,\n"
     "dirty, out of order); the history table in use; the last backup; the\n"
     "settings. Exits with 3 when a migration needs attention.",
     cmd_status},
};

#define N_COMMAND ((int)(sizeof(aCommand) / sizeof(aCommand[0])))

const Command *shell_commands(int *pn) {
  *pn = N_COMMAND;
  return aCommand;
}

const Command *shell_find_command(const char *zName, const char **pzErr) {
  const Command *pFound = 0;
  size_t n = strlen(zName);
  int nMatch = 0;
  if (strcmp(zName, "exit") == 0) zName = "quit";
  for (int i = 0; i < N_COMMAND; i++) {
    if (strcmp(aCommand[i].zName, zName) == 0) return &aCommand[i];
    if (n && strncmp(aCommand[i].zName, zName, n) == 0) {
      pFound = &aCommand[i];
      nMatch++;
    }
  }
  if (nMatch == 1) return pFound;
  *pzErr = nMatch ? "ambiguous command" : "unknown command";
  return 0;
}

/* The names of the commands zPrefix could mean, for the ambiguity message. */
static char *prefix_matches(const char *zPrefix) {
  char *z = shell_strdup("");
  for (int i = 0; i < N_COMMAND; i++) {
    if (strncmp(aCommand[i].zName, zPrefix, strlen(zPrefix)) != 0) continue;
    char *zNew = shell_printf("%s%s%s", z, z[0] ? ", " : "", aCommand[i].zName);
    free(z);
    z = zNew;
  }
  return z;
}

/* Copy the word at *pz (up to space, '[', ']' or '|') into zOut. */
static const char *spec_word(const char *z, char *zOut, size_t nOut) {
  size_t n = 0;
  while (*z && !isspace((unsigned char)*z) && *z != '[' && *z != ']' && *z != '|') {
    if (n + 1 < nOut) zOut[n++] = *z;
    z++;
  }
  zOut[n] = 0;
  return z;
}

/*
** Parse a usage string. Brackets make what is inside optional; `|` joins
** alternatives into one slot ("PATH|latest"), except before an option,
** which stands on its own ("[N | --to V]": an optional N, an option --to).
** An option followed by an upper-case word takes a value.
*/
void spec_parse(const char *zArgs, Spec *s) {
  memset(s, 0, sizeof(*s));
  int depth = 0, bJoin = 0;
  char zWord[48];
  for (const char *z = zArgs; *z;) {
    if (*z == '[' || *z == ']') {
      depth += *z++ == '[' ? 1 : -1;
      continue;
    }
    if (isspace((unsigned char)*z)) {
      z++;
      continue;
    }
    if (*z == '|') {
      bJoin = 1;
      z++;
      continue;
    }
    z = spec_word(z, zWord, sizeof(zWord));
    if (zWord[0] == '-' && s->nOpt < 12) {
      strcpy(s->aOpt[s->nOpt].zName, zWord);
      const char *zNext = z;
      while (*zNext == ' ') zNext++;
      if (isupper((unsigned char)*zNext)) {
        z = spec_word(zNext, s->aOpt[s->nOpt].zVal, sizeof(s->aOpt[0].zVal));
      }
      s->nOpt++;
    } else if (bJoin && s->nSlot > 0 && s->nSlot <= 8) {
      char *zText = s->aSlot[s->nSlot - 1].zText;
      size_t n = strlen(zText);
      snprintf(zText + n, sizeof(s->aSlot[0].zText) - n, "|%s", zWord);
    } else if (zWord[0] && s->nSlot < 8) {
      size_t n = strlen(zWord);
      int bRepeat = n > 3 && strcmp(zWord + n - 3, "...") == 0;
      if (bRepeat) zWord[n - 3] = 0;
      strcpy(s->aSlot[s->nSlot].zText, zWord);
      s->aSlot[s->nSlot].bOptional = depth > 0;
      s->aSlot[s->nSlot].bRepeat = bRepeat;
      s->nSlot++;
    }
    bJoin = 0;
  }
}

const char *args_opt(const Args *a, const char *zName) {
  for (int i = 0; i < a->nOpt; i++) {
    if (strcmp(a->azOptName[i], zName) == 0) return a->azOptVal[i];
  }
  return 0;
}

/* 1 when the slot accepts only its lower-case alternatives and z is none. */
static int bad_choice(const char *zSlot, const char *z) {
  char zAlt[48];
  for (const char *s = zSlot; *s;) {
    s = spec_word(s, zAlt, sizeof(zAlt));
    if (isupper((unsigned char)zAlt[0])) return 0;
    if (strcmp(zAlt, z) == 0) return 0;
    if (*s == '|') s++;
  }
  return 1;
}

/* Check a's positional words against the spec; 0 or a usage error. */
static int check_positional(Shell *p, const Command *pCmd, const Spec *s, const Args *a) {
  int nMin = 0, nMax = 0;
  for (int i = 0; i < s->nSlot; i++) {
    nMin += !s->aSlot[i].bOptional;
    nMax = s->aSlot[i].bRepeat ? ARGS_MAX : nMax + 1;
  }
  if (a->nPos < nMin || a->nPos > nMax) {
    shell_error(p, "usage: %s %s", pCmd->zName, pCmd->zArgs);
    return EXIT_USAGE;
  }
  for (int i = 0; i < a->nPos && i < s->nSlot; i++) {
    if (bad_choice(s->aSlot[i].zText, a->azPos[i])) {
      shell_error(p, "%s: '%s' is not one of %s", pCmd->zName, a->azPos[i],
                  s->aSlot[i].zText);
      return EXIT_USAGE;
    }
  }
  return 0;
}

/* Parse one command option at argv[*pi] into a; 0 or a usage error. */
static int parse_command_option(Shell *p, const Command *pCmd, const Spec *s, int argc,
                                char **argv, int *pi, Args *a) {
  char *z = argv[*pi];
  char *zEq = strchr(z, '=');
  if (zEq) *zEq = 0;
  for (int k = 0; k < s->nOpt; k++) {
    if (strcmp(s->aOpt[k].zName, z) != 0) continue;
    const char *zVal = "";
    if (s->aOpt[k].zVal[0]) {
      zVal = zEq ? zEq + 1 : *pi + 1 < argc ? argv[++*pi] : 0;
      if (zVal == 0) {
        shell_error(p, "%s: option %s needs a value (%s)", pCmd->zName, z,
                    s->aOpt[k].zVal);
        return EXIT_USAGE;
      }
    } else if (zEq) {
      shell_error(p, "%s: option %s takes no value", pCmd->zName, z);
      return EXIT_USAGE;
    }
    a->azOptName[a->nOpt] = s->aOpt[k].zName;
    a->azOptVal[a->nOpt++] = zVal;
    return 0;
  }
  shell_error(p, "%s: unknown option '%s' (usage: %s %s)", pCmd->zName, z, pCmd->zName,
              pCmd->zArgs);
  return EXIT_USAGE;
}

/* 1 when z is an option word rather than a value such as "-1" or "-". */
static int is_option(const char *z) {
  return z[0] == '-' && z[1] != 0 && !isdigit((unsigned char)z[1]);
}

/* The settings a command line may change for one command. */
typedef struct Saved {
  int eOut, bYes, bQuiet, bNoColor, bColorOut, bColorErr;
  Config cfg, cfgArg;
} Saved;

/* Re-read the settings when the command set a path option; returns 1 if so. */
static int apply_path_options(Shell *p, Saved *pSaved) {
  if (!p->cfgArg.zMigrations && !p->cfgArg.zFixtures && !p->cfgArg.zBackups) return 0;
  Config merged = pSaved->cfgArg;
  Config *c = &p->cfgArg;
  if (!c->zMigrations) c->zMigrations = shell_strdup(merged.zMigrations);
  if (!c->zFixtures) c->zFixtures = shell_strdup(merged.zFixtures);
  if (!c->zBackups) c->zBackups = shell_strdup(merged.zBackups);
  memset(&p->cfg, 0, sizeof(p->cfg));
  config_load(p);
  return 1;
}

int shell_run_command(Shell *p, int argc, char **argv) {
  const char *zErr = 0;
  const Command *pCmd = shell_find_command(argv[0], &zErr);
  if (pCmd == 0) {
    char *zList = prefix_matches(argv[0]);
    shell_error(p, "%s '%s'%s%s%s (try: help)", zErr, argv[0], zList[0] ? " (" : "",
                zList, zList[0] ? ")" : "");
    free(zList);
    return EXIT_USAGE;
  }
  Saved saved = {p->eOut,      p->bYes,      p->bQuiet, p->bNoColor,
                 p->bColorOut, p->bColorErr, p->cfg,    p->cfgArg};
  memset(&p->cfgArg, 0, sizeof(p->cfgArg));
  Spec spec;
  spec_parse(pCmd->zArgs, &spec);
  Args a;
  memset(&a, 0, sizeof(a));
  int rc = 0;
  for (int i = 1; i < argc && rc == 0; i++) {
    if (!is_option(argv[i])) {
      if (a.nPos < ARGS_MAX) a.azPos[a.nPos++] = argv[i];
      continue;
    }
    int g = shell_global_option(p, argc, argv, &i);
    if (g < 0) rc = EXIT_USAGE;
    if (g == 0 && a.nOpt < ARGS_MAX)
      rc = parse_command_option(p, pCmd, &spec, argc, argv, &i, &a);
  }
  int bPaths = rc == 0 && apply_path_options(p, &saved);
  if (rc == 0) rc = check_positional(p, pCmd, &spec, &a);
  if (rc == 0) rc = pCmd->xRun(p, &a);
  if (bPaths) config_free(&p->cfg), p->cfg = saved.cfg;
  config_free(&p->cfgArg);
  p->cfgArg = saved.cfgArg;
  p->eOut = saved.eOut, p->bYes = saved.bYes, p->bQuiet = saved.bQuiet;
  p->bNoColor = saved.bNoColor, p->bColorOut = saved.bColorOut;
  p->bColorErr = saved.bColorErr;
  return rc;
}

int cmd_help(Shell *p, const Args *a) {
  if (a->nPos > 0) {
    const char *zErr = 0;
    const Command *pCmd = shell_find_command(a->azPos[0], &zErr);
    if (pCmd == 0) {
      shell_error(p, "%s '%s' (try: help)", zErr, a->azPos[0]);
      return EXIT_USAGE;
    }
    printf("usage: %s%s%s\n  %s\n\n%s\n", pCmd->zName, pCmd->zArgs[0] ? " " : "",
           pCmd->zArgs, pCmd->zSummary, pCmd->zDetail);
    return EXIT_OK;
  }
  printf("Commands: devdb [options] DB COMMAND [ARGS], or .COMMAND in the REPL\n"
         "(anything else typed there is SQL, run when it ends with ';'):\n\n");
  for (int i = 0; i < N_COMMAND; i++) {
    printf("  %-9s %-34s %s\n", aCommand[i].zName, aCommand[i].zArgs,
           aCommand[i].zSummary);
  }
  printf("\nUnique prefixes work (st = status). 'help COMMAND' explains one.\n");
  return EXIT_OK;
}
