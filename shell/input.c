/*
** input.c: the one input wrapper of the REPL.
**
** On a terminal, and when the build found libedit, lines are read with
** libedit's own API (histedit.h): emacs key bindings, ~/.editrc, history,
** TAB completion from complete.c and a hint (the usage of the command being
** typed) shown in grey at the right of the line. Otherwise lines are read
** plainly, with a prompt only on a terminal. libedit (and the libraries it
** pulls in) is loaded with dlopen when the REPL starts on a terminal, not
** linked: a one-shot command or a script never pays for loading it.
**
** History lives in $DEVDB_HISTORY, else ~/.devdb_history ("" or /dev/null
** turns it off). It is only kept on a terminal, capped at 2000 lines,
** written after every line (a crash loses nothing) and created with mode
** 0600: SQL typed at a prompt can hold secrets.
**
** Ctrl-C at the prompt cancels the line being typed (and any unfinished SQL
** statement, in repl.c): the read returns EINTR, because the SIGINT handler
** is installed without SA_RESTART.
*/
#include "shell.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef HAVE_EDITLINE
#include <dlfcn.h>
#include <histedit.h>
#endif

#define HISTORY_MAX 2000

/* The history file: $DEVDB_HISTORY, else ~/.devdb_history; NULL for none. */
static char *history_path(void) {
  const char *z = getenv("DEVDB_HISTORY");
  if (z) return z[0] && strcmp(z, "/dev/null") != 0 ? shell_strdup(z) : 0;
  const char *zHome = getenv("HOME");
  return zHome && zHome[0] ? path_join(zHome, ".devdb_history") : 0;
}

/* Create the history file with mode 0600 before anything is written to it,
** and tighten an existing one. 0 when it can be written. */
static int history_prepare(const char *zPath) {
  int fd = open(zPath, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return 1;
  fchmod(fd, 0600);
  close(fd);
  return 0;
}

/* Read one line plainly: no editing, a prompt only on a terminal. */
static char *plain_line(Shell *p, const char *zPrompt) {
  if (p->bTty) {
    fputs(zPrompt, stdout);
    fflush(stdout);
  }
  size_t nAlloc = 0;
  char *z = 0;
  errno = 0;
  ssize_t n = getline(&z, &nAlloc, stdin);
  if (n < 0) {
    free(z);
    if (errno == EINTR && p->bPromptIntr) {
      clearerr(stdin);
      fputc('\n', stdout);
      return shell_strdup("");
    }
    return 0;
  }
  if (n > 0 && z[n - 1] == '\n') z[--n] = 0;
  if (n > 0 && z[n - 1] == '\r') z[--n] = 0;
  return z;
}

#ifdef HAVE_EDITLINE

/* The libedit functions used, found in the library loaded at run time. */
static struct {
  EditLine *(*xInit)(const char *, FILE *, FILE *, FILE *);
  int (*xSet)(EditLine *, int, ...);
  const LineInfo *(*xLine)(EditLine *);
  int (*xInsertstr)(EditLine *, const char *);
  const char *(*xGets)(EditLine *, int *);
  void (*xReset)(EditLine *);
  void (*xEnd)(EditLine *);
  int (*xSource)(EditLine *, const char *);
  History *(*xHistInit)(void);
  int (*xHistory)(History *, HistEvent *, int, ...);
  void (*xHistEnd)(History *);
} ed;

/* Load libedit; 0 when it and every function above were found. */
static int editline_load(void) {
  void *h = dlopen("libedit.so.2", RTLD_NOW | RTLD_LOCAL);
#define FIND(x, zName) (h && (*(void **)&ed.x = dlsym(h, zName)) != 0)
  int bOk = FIND(xInit, "el_init") && FIND(xSet, "el_set") && FIND(xLine, "el_line") &&
            FIND(xInsertstr, "el_insertstr") && FIND(xGets, "el_gets") &&
            FIND(xReset, "el_reset") && FIND(xEnd, "el_end") &&
            FIND(xSource, "el_source") && FIND(xHistInit, "history_init") &&
            FIND(xHistory, "history") && FIND(xHistEnd, "history_end");
#undef FIND
  if (!bOk) {
    memset(&ed, 0, sizeof(ed));
    if (h) dlclose(h);
    return 1;
  }
  return 0; /* kept loaded until the process ends */
}

static struct {
  EditLine *el;
  History *hist;
  char *zHistPath;
  Shell *p;
  const char *zPrompt;
  char zHint[160];
} g;

static char *prompt_fn(EditLine *el) {
  return (char *)g.zPrompt;
}

/* The hint at the right: the usage of the command on the line, in grey. */
static char *rprompt_fn(EditLine *el) {
  const LineInfo *li = ed.xLine(el);
  char *zLine = strndup(li->buffer, li->lastchar - li->buffer);
  const char *zHint = zLine ? shell_hint(zLine) : 0;
  if (zHint == 0) {
    g.zHint[0] = 0;
  } else if (g.p->bColorOut) {
    snprintf(g.zHint, sizeof(g.zHint), "\1\033[90m\1%s\1\033[0m\1", zHint);
  } else {
    snprintf(g.zHint, sizeof(g.zHint), "%s", zHint);
  }
  free(zLine);
  return g.zHint;
}

/* Space redraws the whole line, so the hint appears once a command is typed. */
static unsigned char space_fn(EditLine *el, int ch) {
  ed.xInsertstr(el, " ");
  return CC_REFRESH;
}

/* The longest prefix common to every candidate. */
static size_t common_prefix(const StrList *l) {
  size_t n = strlen(l->az[0]);
  for (int i = 1; i < l->n; i++) {
    size_t k = 0;
    while (k < n && l->az[i][k] == l->az[0][k]) k++;
    n = k;
  }
  return n;
}

/* Print the candidates in columns under the line. */
static void list_candidates(const StrList *l) {
  size_t w = 0;
  for (int i = 0; i < l->n; i++) {
    if (strlen(l->az[i]) > w) w = strlen(l->az[i]);
  }
  int nPerLine = (int)(78 / (w + 2));
  if (nPerLine < 1) nPerLine = 1;
  fputc('\n', stdout);
  for (int i = 0; i < l->n; i++) {
    printf("%-*s%s", (int)w + 2, l->az[i],
           (i + 1) % nPerLine == 0 || i + 1 == l->n ? "\n" : "");
  }
}

/* TAB: complete the word at the cursor; list the choices when it cannot. */
static unsigned char complete_fn(EditLine *el, int ch) {
  const LineInfo *li = ed.xLine(el);
  char *zLine = shell_oom_check(strndup(li->buffer, li->lastchar - li->buffer));
  int iCursor = (int)(li->cursor - li->buffer), iStart = 0;
  StrList l = {0, 0, 0};
  shell_complete(g.p, zLine, iCursor, &iStart, strlist_add, &l);
  strlist_sort_unique(&l);
  unsigned char rc = CC_REFRESH_BEEP;
  if (l.n > 0) {
    size_t nTyped = iCursor - iStart, nCommon = common_prefix(&l);
    if (nCommon > nTyped || l.n == 1) {
      char *zAdd = shell_oom_check(strndup(l.az[0] + nTyped, nCommon - nTyped));
      ed.xInsertstr(el, zAdd);
      size_t n = strlen(l.az[0]);
      if (l.n == 1 && n && l.az[0][n - 1] != '/' && l.az[0][n - 1] != '.') {
        ed.xInsertstr(el, " ");
      }
      free(zAdd);
      rc = CC_REFRESH;
    } else {
      list_candidates(&l);
      rc = CC_REDISPLAY;
    }
  }
  strlist_free(&l);
  free(zLine);
  return rc;
}

void input_open(Shell *p) {
  if (!p->bTty) return;
  if (editline_load() != 0) { /* no libedit at run time: plain lines */
    char *zPath = history_path();
    if (zPath) history_prepare(zPath);
    free(zPath);
    return;
  }
  g.p = p;
  g.el = ed.xInit("devdb", stdin, stdout, stderr);
  if (g.el == 0) return;
  ed.xSet(g.el, EL_EDITOR, "emacs");
  ed.xSet(g.el, EL_PROMPT, prompt_fn);
  ed.xSet(g.el, EL_RPROMPT_ESC, rprompt_fn, '\1');
  ed.xSet(g.el, EL_ADDFN, "devdb-complete", "complete the word", complete_fn);
  ed.xSet(g.el, EL_BIND, "^I", "devdb-complete", NULL);
  ed.xSet(g.el, EL_ADDFN, "devdb-space", "insert a space, show the hint", space_fn);
  ed.xSet(g.el, EL_BIND, " ", "devdb-space", NULL);
  HistEvent ev;
  g.hist = ed.xHistInit();
  ed.xHistory(g.hist, &ev, H_SETSIZE, HISTORY_MAX);
  ed.xHistory(g.hist, &ev, H_SETUNIQUE, 1);
  ed.xSet(g.el, EL_HIST, ed.xHistory, g.hist);
  g.zHistPath = history_path();
  if (g.zHistPath && history_prepare(g.zHistPath) == 0) {
    ed.xHistory(g.hist, &ev, H_LOAD, g.zHistPath);
  } else {
    free(g.zHistPath);
    g.zHistPath = 0;
  }
  ed.xSource(g.el, NULL);
}

char *input_line(Shell *p, const char *zPrompt, const char *zContinue, int bContinue) {
  if (g.el == 0) return plain_line(p, bContinue ? zContinue : zPrompt);
  g.zPrompt = bContinue ? zContinue : zPrompt;
  int n = 0;
  errno = 0;
  const char *z = ed.xGets(g.el, &n);
  if (z == 0 || n <= 0) {
    if (p->bPromptIntr) {
      ed.xReset(g.el);
      fputc('\n', stdout);
      return shell_strdup("");
    }
    return 0;
  }
  char *zLine = shell_strdup(z);
  size_t len = strlen(zLine);
  while (len && (zLine[len - 1] == '\n' || zLine[len - 1] == '\r')) zLine[--len] = 0;
  if (zLine[strspn(zLine, " \t")]) {
    HistEvent ev;
    ed.xHistory(g.hist, &ev, H_ENTER, zLine);
    if (g.zHistPath) ed.xHistory(g.hist, &ev, H_SAVE, g.zHistPath);
  }
  return zLine;
}

void input_close(Shell *p) {
  if (g.el == 0) return;
  ed.xEnd(g.el);
  ed.xHistEnd(g.hist);
  free(g.zHistPath);
  memset(&g, 0, sizeof(g));
}

#else /* no libedit: plain lines, history kept in the file only */

void input_open(Shell *p) {
  char *zPath = p->bTty ? history_path() : 0;
  if (zPath) history_prepare(zPath);
  free(zPath);
}

char *input_line(Shell *p, const char *zPrompt, const char *zContinue, int bContinue) {
  return plain_line(p, bContinue ? zContinue : zPrompt);
}

void input_close(Shell *p) {}

#endif
