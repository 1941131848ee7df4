/*
** commands.c: the one command table of the devdb shell.
**
** Every command appears once in aCommand: dispatch (with unambiguous
** prefixes), help, help COMMAND and one-shot mode all read it. A command
** calls the extension's SQL; no feature logic lives here.
*/
#include "shell.h"

#include <string.h>

static int cmd_help(Shell *p, int argc, char **argv);

static const Command aCommand[] = {
    {"help", "[COMMAND]", "list the commands, or explain one",
     "With no argument, lists every command with a one-line summary.\n"
     "With a command name, shows its usage and what it does.",
     cmd_help},
};

#define N_COMMAND ((int)(sizeof(aCommand) / sizeof(aCommand[0])))

const Command *shell_commands(int *pn) {
  *pn = N_COMMAND;
  return aCommand;
}

/*
** The command named zName or by an unambiguous prefix of it. NULL with a
** message in *pzErr (static text) when there is none or several.
*/
const Command *shell_find_command(const char *zName, const char **pzErr) {
  const Command *pFound = 0;
  size_t n = strlen(zName);
  int nMatch = 0;
  for (int i = 0; i < N_COMMAND; i++) {
    if (strcmp(aCommand[i].zName, zName) == 0) return &aCommand[i];
    if (strncmp(aCommand[i].zName, zName, n) == 0) {
      pFound = &aCommand[i];
      nMatch++;
    }
  }
  if (nMatch == 1) return pFound;
  *pzErr = nMatch ? "ambiguous command" : "unknown command";
  return 0;
}

int shell_run_command(Shell *p, int argc, char **argv) {
  const char *zErr = 0;
  const Command *pCmd = shell_find_command(argv[0], &zErr);
  if (pCmd == 0) {
    shell_error(p, "%s '%s' (try: help)", zErr, argv[0]);
    return EXIT_USAGE;
  }
  return pCmd->xRun(p, argc, argv);
}

static int cmd_help(Shell *p, int argc, char **argv) {
  if (argc > 1) {
    const char *zErr = 0;
    const Command *pCmd = shell_find_command(argv[1], &zErr);
    if (pCmd == 0) {
      shell_error(p, "%s '%s'", zErr, argv[1]);
      return EXIT_USAGE;
    }
    printf("%s %s\n  %s\n\n%s\n", pCmd->zName, pCmd->zArgs, pCmd->zSummary,
           pCmd->zDetail);
    return EXIT_OK;
  }
  printf("Commands (in the REPL, type them with a leading dot; anything else is SQL):\n");
  for (int i = 0; i < N_COMMAND; i++) {
    printf("  %-10s %-24s %s\n", aCommand[i].zName, aCommand[i].zArgs,
           aCommand[i].zSummary);
  }
  return EXIT_OK;
}
