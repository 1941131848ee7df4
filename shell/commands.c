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
    {"apply", "TARGET [--allow-data-loss] [--rename OLD=NEW]",
     "make the schema match TARGET, atomically",
     "Shows the changes, asks, takes a verified backup, then runs devdb_apply:\n"
     "the whole change in one transaction, foreign keys checked before it\n"
     "commits. TARGET is a migrations directory, a .sql file, a database file\n"
     "or SQL text. Changes that lose data (a dropped table with rows, a dropped\n"
     "column with values) are refused without --allow-data-loss; changes that\n"
     "would fail on the rows there (UNIQUE over duplicates, NOT NULL over\n"
     "NULLs) are refused naming the counts. --rename OLD=NEW or\n"
     "--rename TABLE.OLD=NEW (repeatable) says a table or column was renamed.",
     cmd_apply, "repair"},
    {"backup", "[PATH]", "take a verified backup of the database",
     "Copies the database with SQLite's backup API into a temporary file, syncs\n"
     "it, runs integrity_check on the copy and renames it into place: a backup\n"
     "either exists whole and checked, or not at all. Without PATH it goes to\n"
     "the backups directory (.devdb/backups beside the database, or `backups`\n"
     "in devdb.conf) named DB-YYYYMMDD-HHMMSS.db; `retention` in devdb.conf says\n"
     "how many of those are kept (default 20).",
     cmd_backup, "backups"},
    {"backups", "", "list the backups of this database, newest first",
     "The files in the backups directory with their time and size. `restore\n"
     "latest` takes the first one.",
     cmd_backups, "backups"},
    {"check", "", "for CI: migrations applied, no drift, integrity, foreign keys",
     "One line per check, ok or FAIL: every migration applied (none pending,\n"
     "modified, missing or dirty); no drift between the schema and the\n"
     "migrations (history tables left out); PRAGMA quick_check; no row without\n"
     "its parent (foreign_key_check). Exits 0 when all pass, 3 otherwise.",
     cmd_check, "inspect"},
    {"complete", "LINE", "print the completions of a partial REPL line",
     "What TAB offers in the REPL for LINE (quote it), one per line: commands\n"
     "after a dot, a command's options and choices, table and column names,\n"
     "file paths. For editor integrations and tests.",
     cmd_complete, "shell"},
    {"dedup", "TABLE COLS... [--keep K] [--refs R] [--dry-run]",
     "delete duplicate rows so a UNIQUE index fits",
     "Groups the rows of TABLE as a UNIQUE index on COLS would (NULLs never\n"
     "match; each column's collation, or one given: 'email COLLATE NOCASE')\n"
     "and deletes all but one row of each group, in one transaction. COLS is\n"
     "one argument ('user_id, course_id') or several words. --keep first\n"
     "(default), last, or an ordering ('updated_at DESC') picks the survivor.\n"
     "--refs says what happens to rows of other tables that reference a\n"
     "deleted row: restrict (default: refuse, naming them), repoint (point\n"
     "them at the survivor) or cascade (as their foreign keys say).\n"
     "--dry-run lists the groups and deletes nothing. Otherwise asks, takes a\n"
     "verified backup and prints how to undo.",
     cmd_dedup, "repair"},
    {"diff", "[TARGET] [--sql]", "how the schema differs from TARGET (the migrations)",
     "Lists the changes that turn the database's schema into TARGET (default:\n"
     "what the migrations directory builds), in the order they would apply,\n"
     "with their risk counted from the rows: data-loss, will-fail (duplicates\n"
     "under a new UNIQUE, NULLs under NOT NULL, orphans), rebuild. Migration\n"
     "history tables are left out. --sql prints the whole script instead,\n"
     "ready for `sqlite3 -bail DB < script.sql`.",
     cmd_diff, "inspect"},
    {"dump", "[SOURCE] [--to FILE]", "the schema and rows as SQL",
     "Writes the database (or SOURCE: a database file, a .sql file...) as SQL\n"
     "that rebuilds it: settings, each table's CREATE and rows, sequences, then\n"
     "indexes, views and triggers, in one transaction. To stdout, or to FILE\n"
     "(written beside it and renamed: FILE is whole or untouched).",
     cmd_dump, "fixtures"},
    {"help", "[COMMAND]", "list the commands, or explain one",
     "With no argument, lists every command with a one-line summary. With a\n"
     "command name (or an unambiguous prefix), shows its usage and what it does.",
     cmd_help, "shell"},
    {"lint", "[SOURCE]", "find schema mistakes and what will fail",
     "Runs devdb_lint over the database (or SOURCE: a migrations directory, a\n"
     "schema file...): foreign keys whose type differs from their parent or\n"
     "lack an index, broken views and triggers, double-quoted string literals,\n"
     "surprising type affinities, missing primary keys, duplicate indexes.\n"
     "With a SOURCE, its constraints are also checked against the rows of the\n"
     "database: a UNIQUE over duplicates, NOT NULL over NULLs. Exits 3 when\n"
     "there is an error.",
     cmd_lint, "inspect"},
    {"load", "FILE... [--table TABLE]", "load fixtures: .sql, .csv, .json",
     "Loads each FILE (a directory: its .sql, .csv and .json files by name) in\n"
     "one transaction: all of them or nothing. .sql runs its statements; .csv\n"
     "has a header row and goes into the table named like the file (or\n"
     "--table); .json is Django's fixture format or {\"table\": [rows]}.\n"
     "Foreign keys are checked at the end.",
     cmd_load, "fixtures"},
    {"mark", "VERSION [applied|pending]", "record a migration as applied or pending",
     "Changes only the history (Django's --fake): the migration's SQL is not\n"
     "run. Marking a migration applied also clears a dirty (failed) one and\n"
     "accepts an edited file's new checksum. The default state is applied.",
     cmd_mark, "migrations"},
    {"migrate", "[--to VERSION] [--plan]", "apply the pending migrations",
     "Applies the pending migrations of the migrations directory, oldest\n"
     "first, up to VERSION with --to. Each migration commits with its history\n"
     "row on its own, so an error or Ctrl-C keeps the ones before it; a new\n"
     "database gets all of them in one transaction. The history goes to the\n"
     "table of the directory's tool (dbmate, golang-migrate, goose, Flyway),\n"
     "else devdb's own. --plan prints the SQL that would run and runs nothing.",
     cmd_migrate, "migrations"},
    {"new", "NAME", "create the next migration file",
     "Writes an empty migration named NAME in the migrations directory, in its\n"
     "format (dbmate's '-- migrate:up/down' for a new directory), with the next\n"
     "version: a timestamp, or the next number where versions are numbered.",
     cmd_new, "migrations"},
    {"quit", "", "leave the REPL (also .exit or Ctrl-D)", "Leaves the REPL.", cmd_quit,
     "shell"},
    {"rebuild", "", "start over: migrations and fixtures into a fresh database",
     "Asks first (naming the database), then builds a new database beside the\n"
     "old one: every migration applied (in the history table format the old\n"
     "one used), the fixtures loaded, then verified (integrity_check,\n"
     "foreign_key_check, every migration applied, no drift). Only when that\n"
     "passes does it take a verified backup of the old content and copy the\n"
     "new one in; it prints how to undo. The result is cached under a\n"
     "fingerprint of the migration and fixture files: while they do not\n"
     "change, rebuild copies the cached result in without running them.",
     cmd_rebuild, "repair"},
    {"redo", "", "roll back the newest migration and apply it again",
     "Runs the down section of the newest applied migration, then its up\n"
     "section: for editing a migration while writing it. Asks first, takes a\n"
     "verified backup and prints how to undo.",
     cmd_redo, "migrations"},
    {"restore", "[PATH|latest]", "replace the database with a backup",
     "Checks the backup first (a SQLite database that passes integrity_check),\n"
     "takes a verified backup of the current state, then copies the backup's\n"
     "content into the database through SQLite's backup API (never by copying\n"
     "files over an open database). Without an argument, or with `latest`, the\n"
     "newest backup in the backups directory. Asks first; prints how to undo.",
     cmd_restore, "backups"},
    {"revert", "NAME", "put the database back to a snapshot",
     "Replaces the content of the database with the snapshot NAME (see\n"
     "snapshot), after checking it. Asks first, takes a verified backup and\n"
     "prints how to undo. Refuses a protected database.",
     cmd_revert, "backups"},
    {"rollback", "[N] [--to VERSION]", "run the down sections of the newest migrations",
     "Rolls back the newest applied migration, or N of them, or every one\n"
     "newer than VERSION (--to all: every one), newest first, each with its history row "
     "in one\n"
     "transaction. Asks first (naming them), takes a verified backup and\n"
     "prints how to undo.",
     cmd_rollback, "migrations"},
    {"schema", "[--mermaid]", "the schema as devdb's model sees it",
     "Lists every table with its columns, keys, foreign keys and indexes, then\n"
     "views and triggers, from devdb_schema. With --mermaid, prints the tables\n"
     "and their foreign keys as a Mermaid ER diagram (erDiagram) for docs.",
     cmd_schema, "inspect"},
    {"snapshot", "NAME", "keep a named copy of the database to revert to",
     "Writes a verified copy of the database to .devdb/snapshots/NAME.db beside\n"
     "it (replacing an older one of that name). `revert NAME` puts it back:\n"
     "a fixture state for tests, or a point to return to before an\n"
     "experiment.",
     cmd_snapshot, "backups"},
    {"sql", "VERSION [--down]", "print the SQL of one migration",
     "Prints the up section of the migration VERSION (or a file name), or its\n"
     "down section with --down, as the runner would run it.",
     cmd_sql, "migrations"},
    {"status", "", "migrations, size, tables, last backup",
     "Shows the database file with its size and tables; the migrations: how\n"
     "many are applied and each one that is not (pending, modified, missing,\n"
     "dirty, out of order); the history table in use; the last backup; the\n"
     "settings. Exits with 3 when a migration needs attention.",
     cmd_status, "inspect"},
    {"wipe", "[data|schema]", "delete every row, or the whole schema",
     "wipe data (the default) empties every table and resets AUTOINCREMENT\n"
     "counters, keeping the schema and the migration history; wipe schema\n"
     "drops every table, index, view and trigger. Asks first naming the\n"
     "database (refuses without a terminal unless --yes), refuses a protected\n"
     "database, takes a verified backup first (when no other process has the\n"
     "file open, the old file itself becomes the backup and a cached empty\n"
     "copy takes its place) and prints how to undo.",
     cmd_wipe, "backups"},
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
         "(anything else typed there is SQL, run when it ends with ';').\n");
  static const char *azGroup[] = {"inspect", "migrations", "repair",
                                  "backups", "fixtures",   "shell"};
  for (size_t g = 0; g < sizeof(azGroup) / sizeof(azGroup[0]); g++) {
    printf("\n%s%s%s\n", ui_color(p, 0, C_BOLD), azGroup[g], ui_color(p, 0, C_RESET));
    for (int i = 0; i < N_COMMAND; i++) {
      const Command *c = &aCommand[i];
      if (strcmp(c->zGroup, azGroup[g]) != 0) continue;
      char *zUsage = shell_printf("%s %s", c->zName, c->zArgs);
      if (strlen(zUsage) <= 36) {
        printf("  %-36s %s\n", zUsage, c->zSummary);
      } else {
        printf("  %s\n  %-36s %s\n", zUsage, "", c->zSummary);
      }
      free(zUsage);
    }
  }
  printf("\nUnique prefixes work (st = status). 'help COMMAND' explains one.\n");
  return EXIT_OK;
}
