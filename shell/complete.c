/*
** complete.c: what TAB offers in the REPL, and the hint shown while a
** command's arguments are typed. Both read the command table (commands.c):
**
**   .st<TAB>                 the commands: .status
**   .help re<TAB>            command names after help
**   .dedup --<TAB>           the command's options, then the global ones
**   .wipe <TAB>              a slot's choices: data, schema
**   .dedup <TAB>             TABLE: table names; COLS: that table's columns
**   .load fix<TAB>           FILE, PATH, DIR, TARGET: file paths
**   SELECT * FROM us<TAB>    SQL: tables, columns (tbl.<TAB> for one table),
**                            keywords
**
** The same code answers `devdb DB complete LINE`, which is how the tests
** check it without a terminal.
*/
#include "shell.h"

#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *azGlobalOpt[] = {"--migrations", "--fixtures", "--backups",
                                    "--yes",        "--json",     "--csv",
                                    "--quiet",      "--no-color"};

typedef struct Completer {
  const char *zWord; /* the word being completed */
  size_t nWord;
  void (*xAdd)(void *, const char *);
  void *pArg;
} Completer;

static void offer(Completer *c, const char *z) {
  if (strncmp(z, c->zWord, c->nWord) == 0) c->xAdd(c->pArg, z);
}

/* Offer zPrefix + each value of the first column of a query (one '?'
** parameter bound to zBind when not NULL). */
static void offer_query(Shell *p, Completer *c, const char *zPrefix, const char *zSql,
                        const char *zBind) {
  if (p->db == 0 && path_kind(p->zDbPath) != 2) return; /* do not create it */
  sqlite3 *db = shell_db(p);
  sqlite3_stmt *pStmt = 0;
  if (db == 0 || sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0) != SQLITE_OK) return;
  if (zBind) sqlite3_bind_text(pStmt, 1, zBind, -1, SQLITE_STATIC);
  while (sqlite3_step(pStmt) == SQLITE_ROW) {
    const char *z = (const char *)sqlite3_column_text(pStmt, 0);
    if (z == 0) continue;
    char *zFull = shell_printf("%s%s", zPrefix, z);
    offer(c, zFull);
    free(zFull);
  }
  sqlite3_finalize(pStmt);
}

#define SQL_TABLES                                                                       \
  "SELECT name FROM sqlite_schema WHERE type IN ('table','view') AND name NOT LIKE "     \
  "'sqlite\\_%' ESCAPE '\\' ORDER BY 1"
#define SQL_COLUMNS "SELECT name FROM pragma_table_info(?1) ORDER BY cid"
#define SQL_ALL_COLUMNS                                                                  \
  "SELECT DISTINCT c.name FROM sqlite_schema s, pragma_table_info(s.name) c WHERE "      \
  "s.type IN ('table','view') AND s.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY 1"

/* File paths: the entries of the word's directory that start with its last
** part; directories end with '/'; hidden entries only when asked for. */
static void offer_paths(Completer *c) {
  const char *zSlash = strrchr(c->zWord, '/');
  char *zDir = zSlash ? strndup(c->zWord, zSlash - c->zWord + 1) : shell_strdup("");
  const char *zBase = zSlash ? zSlash + 1 : c->zWord;
  DIR *d = opendir(zDir[0] ? zDir : ".");
  struct dirent *e;
  while (d && (e = readdir(d)) != 0) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    if (e->d_name[0] == '.' && zBase[0] != '.') continue;
    char *zFull = shell_printf("%s%s", zDir, e->d_name);
    int bDir = path_kind(zFull) == 1;
    char *zOffer = shell_printf("%s%s", zFull, bDir ? "/" : "");
    offer(c, zOffer);
    free(zOffer);
    free(zFull);
  }
  if (d) closedir(d);
  free(zDir);
}

/* 1 for the slot names that take a file path. */
static int is_path_slot(const char *z) {
  static const char *az[] = {"FILE", "PATH", "DIR", "TARGET", "SOURCE"};
  for (size_t i = 0; i < sizeof(az) / sizeof(az[0]); i++) {
    if (strcmp(z, az[i]) == 0) return 1;
  }
  return 0;
}

/* Offer what fits a positional slot ("TABLE", "PATH|latest", "data|schema").
** zTable is the table named earlier on the line, for COLS. */
static void offer_slot(Shell *p, Completer *c, const char *zSlot, const char *zTable) {
  char *zCopy = shell_strdup(zSlot);
  for (char *zAlt = strtok(zCopy, "|"); zAlt; zAlt = strtok(0, "|")) {
    if (strcmp(zAlt, "TABLE") == 0) {
      offer_query(p, c, "", SQL_TABLES, 0);
    } else if (strcmp(zAlt, "COLS") == 0 && zTable) {
      /* a comma-separated list: complete its last name */
      const char *zComma = strrchr(c->zWord, ',');
      char *zPrefix =
          zComma ? strndup(c->zWord, zComma - c->zWord + 1) : shell_strdup("");
      offer_query(p, c, zPrefix, SQL_COLUMNS, zTable);
      free(zPrefix);
    } else if (strcmp(zAlt, "COMMAND") == 0) {
      int n;
      const Command *a = shell_commands(&n);
      for (int i = 0; i < n; i++) offer(c, a[i].zName);
    } else if (is_path_slot(zAlt)) {
      offer_paths(c);
    } else if (islower((unsigned char)zAlt[0])) {
      offer(c, zAlt);
    }
  }
  free(zCopy);
}

/* Complete the arguments of a dot-command: azWord[0] is the command, the
** word being completed comes after azWord[nWord-1]. */
static void complete_command(Shell *p, Completer *c, char **azWord, int nWord) {
  const char *zErr;
  const Command *pCmd = shell_find_command(azWord[0], &zErr);
  if (pCmd == 0) return;
  Spec s;
  spec_parse(pCmd->zArgs, &s);
  if (c->zWord[0] == '-') {
    for (int i = 0; i < s.nOpt; i++) offer(c, s.aOpt[i].zName);
    for (size_t i = 0; i < sizeof(azGlobalOpt) / sizeof(azGlobalOpt[0]); i++) {
      offer(c, azGlobalOpt[i]);
    }
    return;
  }
  /* which slot: skip options and their values */
  int iSlot = 0;
  const char *zTable = 0;
  for (int i = 1; i < nWord; i++) {
    int bValue = 0;
    for (int k = 0; k < s.nOpt; k++) {
      if (strcmp(azWord[i], s.aOpt[k].zName) == 0) bValue = s.aOpt[k].zVal[0] != 0;
    }
    if (azWord[i][0] == '-') {
      if (bValue && i + 1 == nWord) {
        if (strcmp(azWord[i], "--keep") == 0) offer_slot(p, c, "first|last", 0);
        if (strcmp(azWord[i], "--refs") == 0)
          offer_slot(p, c, "restrict|repoint|cascade", 0);
        return; /* completing an option's value */
      }
      i += bValue;
      continue;
    }
    if (iSlot < s.nSlot && strcmp(s.aSlot[iSlot].zText, "TABLE") == 0) zTable = azWord[i];
    if (iSlot < s.nSlot && !s.aSlot[iSlot].bRepeat) iSlot++;
  }
  if (iSlot < s.nSlot) offer_slot(p, c, s.aSlot[iSlot].zText, zTable);
}

/* SQL: keywords, table names, column names (of one table after "tbl."). */
static void complete_sql(Shell *p, Completer *c) {
  const char *zDot = strrchr(c->zWord, '.');
  if (zDot) {
    char *zTable = strndup(c->zWord, zDot - c->zWord);
    char *zPrefix = shell_printf("%s.", zTable);
    offer_query(p, c, zPrefix, SQL_COLUMNS, zTable);
    free(zPrefix);
    free(zTable);
    return;
  }
  offer_query(p, c, "", SQL_TABLES, 0);
  offer_query(p, c, "", SQL_ALL_COLUMNS, 0);
  int bLower = c->nWord > 0 && islower((unsigned char)c->zWord[0]);
  for (int i = 0; i < sqlite3_keyword_count(); i++) {
    const char *zKw;
    int nKw;
    char zBuf[32];
    sqlite3_keyword_name(i, &zKw, &nKw);
    if (nKw >= (int)sizeof(zBuf) || (size_t)nKw < c->nWord) continue;
    for (int k = 0; k < nKw; k++) zBuf[k] = bLower ? tolower(zKw[k]) : zKw[k];
    zBuf[nKw] = 0;
    offer(c, zBuf);
  }
}

void shell_complete(Shell *p, const char *zLine, int iCursor, int *piStart,
                    void (*xAdd)(void *, const char *), void *pArg) {
  char *zHead = strndup(zLine, iCursor);
  const char *zLead = zHead + strspn(zHead, " \t");
  int bDot = zLead[0] == '.';
  int iStart = iCursor;
  if (bDot) {
    while (iStart > 0 && zHead[iStart - 1] != ' ' && zHead[iStart - 1] != '\t') iStart--;
  } else {
    while (iStart > 0 &&
           (isalnum((unsigned char)zHead[iStart - 1]) || zHead[iStart - 1] == '_' ||
            zHead[iStart - 1] == '.' || (unsigned char)zHead[iStart - 1] >= 0x80)) {
      iStart--;
    }
  }
  *piStart = iStart;
  Completer c = {zHead + iStart, strlen(zHead + iStart), xAdd, pArg};
  if (bDot && zHead + iStart <= zLead) {
    /* the command itself: ".st" */
    int n;
    const Command *a = shell_commands(&n);
    c.zWord++, c.nWord--;
    *piStart = iStart + 1;
    for (int i = 0; i < n; i++) offer(&c, a[i].zName);
  } else if (bDot) {
    char *zWords = strndup(zLead + 1, zHead + iStart - zLead - 1);
    char *azWord[ARGS_MAX];
    int nWord = shell_split_words(zWords, azWord, ARGS_MAX);
    if (nWord > 0) complete_command(p, &c, azWord, nWord);
    free(zWords);
  } else {
    complete_sql(p, &c);
  }
  free(zHead);
}

const char *shell_hint(const char *zLine) {
  const char *z = zLine + strspn(zLine, " \t");
  if (z[0] != '.') return 0;
  size_t n = strcspn(z + 1, " \t");
  if (n == 0 || z[1 + n] == 0 || n >= 32) return 0;
  char zName[32];
  memcpy(zName, z + 1, n);
  zName[n] = 0;
  const char *zErr;
  const Command *pCmd = shell_find_command(zName, &zErr);
  if (pCmd == 0 || pCmd->zArgs[0] == 0) return 0;
  /* only until the first argument is typed */
  return z[1 + n + strspn(z + 1 + n, " \t")] == 0 ? pCmd->zArgs : 0;
}

void strlist_add(void *pList, const char *z) {
  StrList *l = pList;
  if (l->n == l->nAlloc) {
    l->nAlloc = l->nAlloc ? l->nAlloc * 2 : 16;
    l->az = shell_oom_check(realloc(l->az, l->nAlloc * sizeof(char *)));
  }
  l->az[l->n++] = shell_strdup(z);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

void strlist_sort_unique(StrList *l) {
  if (l->n == 0) return;
  qsort(l->az, l->n, sizeof(char *), cmp_str);
  int j = 0;
  for (int i = 0; i < l->n; i++) {
    if (j > 0 && strcmp(l->az[j - 1], l->az[i]) == 0) {
      free(l->az[i]);
    } else {
      l->az[j++] = l->az[i];
    }
  }
  l->n = j;
}

void strlist_free(StrList *l) {
  for (int i = 0; i < l->n; i++) free(l->az[i]);
  free(l->az);
  memset(l, 0, sizeof(*l));
}

int cmd_complete(Shell *p, const Args *a) {
  const char *zLine = a->azPos[0];
  int iStart = 0;
  StrList l = {0, 0, 0};
  shell_complete(p, zLine, (int)strlen(zLine), &iStart, strlist_add, &l);
  strlist_sort_unique(&l);
  for (int i = 0; i < l.n; i++) printf("%s\n", l.az[i]);
  strlist_free(&l);
  return EXIT_OK;
}
