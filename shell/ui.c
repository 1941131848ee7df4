/*
** ui.c: what the shell prints. Results go to stdout, as aligned tables for
** a person or JSON or CSV for a script; errors, notes, progress and
** confirmation questions go to stderr. Colour only on a terminal, never
** with NO_COLOR or --no-color.
*/
#include "shell.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const char *ui_color(Shell *p, int bErr, int eColor) {
  static const char *az[] = {"\033[0m",  "\033[1m",  "\033[2m", "\033[31m",
                             "\033[32m", "\033[33m", "\033[36m"};
  return (bErr ? p->bColorErr : p->bColorOut) ? az[eColor] : "";
}

/* Print "devdb: " and a message on stderr, clearing any progress line. */
static void message(Shell *p, int eColor, const char *zLabel, const char *zFmt,
                    va_list ap) {
  fflush(stdout); /* what was printed before comes before this */
  shell_progress_clear(p);
  fprintf(stderr, "%sdevdb: %s", ui_color(p, 1, eColor), zLabel);
  vfprintf(stderr, zFmt, ap);
  fprintf(stderr, "%s\n", ui_color(p, 1, C_RESET));
}

void shell_error(Shell *p, const char *zFmt, ...) {
  va_list ap;
  va_start(ap, zFmt);
  message(p, C_RED, "", zFmt, ap);
  va_end(ap);
  p->nError++;
}

void shell_note(Shell *p, const char *zFmt, ...) {
  if (p->bQuiet) return;
  va_list ap;
  va_start(ap, zFmt);
  message(p, C_DIM, "", zFmt, ap);
  va_end(ap);
}

void shell_undo_hint(Shell *p, const char *zFmt, ...) {
  va_list ap;
  va_start(ap, zFmt);
  message(p, C_CYAN, "to undo: ", zFmt, ap);
  va_end(ap);
}

int shell_confirm(Shell *p, const char *zAction, const char *zTail) {
  if (p->bYes) return 1;
  if (!p->bTty) {
    shell_error(p,
                "refusing to %s %s%s without confirmation: stdin is not a terminal "
                "(add --yes)",
                zAction, p->zDbAbs, zTail);
    return 0;
  }
  shell_progress_clear(p);
  fprintf(stderr, "%s%c%s %s%s?%s A verified backup is taken first. Continue? [y/N] ",
          ui_color(p, 1, C_YELLOW), toupper((unsigned char)zAction[0]), zAction + 1,
          p->zDbAbs, zTail, ui_color(p, 1, C_RESET));
  fflush(stderr);
  char *zLine = 0;
  size_t nAlloc = 0;
  ssize_t n = getline(&zLine, &nAlloc, stdin);
  int bYes = n > 0 && (strcmp(zLine, "y\n") == 0 || strcmp(zLine, "yes\n") == 0 ||
                       strcmp(zLine, "Y\n") == 0);
  if (n < 0) {
    clearerr(stdin);
    fputc('\n', stderr);
  }
  free(zLine);
  p->bPromptIntr = 0;
  if (!bYes) shell_error(p, "cancelled: nothing was changed");
  return bYes;
}

const char *ui_bytes(char *zBuf, size_t n, sqlite3_int64 nByte) {
  if (nByte < 1024) {
    snprintf(zBuf, n, "%lld bytes", (long long)nByte);
  } else if (nByte < 1024 * 1024) {
    snprintf(zBuf, n, "%.1f KB", nByte / 1024.0);
  } else if (nByte < 1024LL * 1024 * 1024) {
    snprintf(zBuf, n, "%.1f MB", nByte / (1024.0 * 1024));
  } else {
    snprintf(zBuf, n, "%.2f GB", nByte / (1024.0 * 1024 * 1024));
  }
  return zBuf;
}

/* Display width of the first n bytes of UTF-8 text: code points. */
static int display_width_n(const char *z, int n) {
  int w = 0;
  for (int i = 0; i < n && z[i]; i++) {
    if (((unsigned char)z[i] & 0xC0) != 0x80) w++;
  }
  return w;
}

/* The width of the widest line of a value that may span lines. */
static int display_width(const char *z) {
  int w = 0;
  while (1) {
    int n = (int)strcspn(z, "\n");
    int k = display_width_n(z, n);
    if (k > w) w = k;
    if (z[n] == 0) return w;
    z += n + 1;
  }
}

/* The rows of a statement as strings, for aligned output. */
typedef struct Grid {
  int nCol, nRow, nAlloc;
  char **az; /* nCol per row; row 0 is the header */
} Grid;

static void grid_add(Grid *g, sqlite3_stmt *pStmt, int bHeader) {
  if (g->nRow == g->nAlloc) {
    g->nAlloc = g->nAlloc ? g->nAlloc * 2 : 16;
    g->az = shell_oom_check(realloc(g->az, sizeof(char *) * g->nAlloc * g->nCol));
  }
  for (int i = 0; i < g->nCol; i++) {
    const char *z = bHeader ? sqlite3_column_name(pStmt, i)
                            : (const char *)sqlite3_column_text(pStmt, i);
    if (!bHeader && sqlite3_column_type(pStmt, i) == SQLITE_NULL) z = "NULL";
    g->az[g->nRow * g->nCol + i] = shell_strdup(z ? z : "");
  }
  g->nRow++;
}

/* Print row r of the grid; a value with newlines takes several lines, the
** other columns stay aligned. */
static void grid_print_row(const Grid *g, int r, const int *aw) {
  const char **az = (const char **)&g->az[r * g->nCol];
  const char *azPos[64];
  int nCol = g->nCol < 64 ? g->nCol : 64, bMore = 1;
  for (int i = 0; i < nCol; i++) azPos[i] = az[i];
  while (bMore) {
    bMore = 0;
    for (int i = 0; i < nCol; i++) {
      const char *z = azPos[i];
      int n = z ? (int)strcspn(z, "\n") : 0;
      int bLast = i == nCol - 1;
      printf("%s%.*s%*s", i ? "  " : "", n, z ? z : "",
             bLast ? 0 : aw[i] - display_width_n(z ? z : "", n), "");
      azPos[i] = z && z[n] ? z + n + 1 : 0;
      bMore |= azPos[i] != 0;
    }
    if (bMore) putchar('\n');
  }
}

static void grid_print(Shell *p, const Grid *g) {
  int *aw = shell_oom_check(calloc(g->nCol, sizeof(int)));
  for (int r = 0; r < g->nRow; r++) {
    for (int i = 0; i < g->nCol; i++) {
      int w = display_width(g->az[r * g->nCol + i]);
      if (w > aw[i]) aw[i] = w;
    }
  }
  for (int r = 0; r < g->nRow; r++) {
    if (r == 0) fputs(ui_color(p, 0, C_BOLD), stdout);
    grid_print_row(g, r, aw);
    printf("%s\n", r == 0 ? ui_color(p, 0, C_RESET) : "");
    if (r == 0) {
      for (int i = 0; i < g->nCol; i++) {
        printf("%s", i ? "  " : "");
        for (int k = 0; k < aw[i]; k++) putchar('-');
      }
      printf("\n");
    }
  }
  free(aw);
}

static void grid_free(Grid *g) {
  for (int i = 0; i < g->nRow * g->nCol; i++) free(g->az[i]);
  free(g->az);
}

void ui_json_string(FILE *out, const char *z) {
  fputc('"', out);
  for (; *z; z++) {
    unsigned char c = (unsigned char)*z;
    if (c == '"' || c == '\\')
      fprintf(out, "\\%c", c);
    else if (c == '\n')
      fputs("\\n", out);
    else if (c == '\t')
      fputs("\\t", out);
    else if (c < 0x20)
      fprintf(out, "\\u%04x", c);
    else
      fputc(c, out);
  }
  fputc('"', out);
}

static void print_json_value(sqlite3_stmt *pStmt, int i) {
  switch (sqlite3_column_type(pStmt, i)) {
  case SQLITE_NULL:
    printf("null");
    break;
  case SQLITE_INTEGER:
  case SQLITE_FLOAT:
    printf("%s", (const char *)sqlite3_column_text(pStmt, i));
    break;
  default:
    ui_json_string(stdout, (const char *)sqlite3_column_text(pStmt, i));
    break;
  }
}

void ui_csv_value(const char *z) {
  if (strpbrk(z, ",\"\n\r") == 0) {
    printf("%s", z);
    return;
  }
  putchar('"');
  for (; *z; z++) {
    if (*z == '"') putchar('"');
    putchar(*z);
  }
  putchar('"');
}

static void print_csv_row(sqlite3_stmt *pStmt, int bHeader) {
  for (int i = 0; i < sqlite3_column_count(pStmt); i++) {
    if (i) putchar(',');
    const char *z = bHeader ? sqlite3_column_name(pStmt, i)
                            : (const char *)sqlite3_column_text(pStmt, i);
    ui_csv_value(z ? z : "");
  }
  putchar('\n');
}

static void print_json_row(sqlite3_stmt *pStmt, int iRow) {
  printf(iRow ? ",\n{" : "[{");
  for (int i = 0; i < sqlite3_column_count(pStmt); i++) {
    if (i) putchar(',');
    ui_json_string(stdout, sqlite3_column_name(pStmt, i));
    putchar(':');
    print_json_value(pStmt, i);
  }
  putchar('}');
}

/* A table the shell builds itself (backups, status): rows of strings. */
struct UiTable {
  Shell *p;
  Grid g;
  const char *zTypes; /* per column: 's' text, 'i' number (JSON) */
};

/* A table with the column names azName (one per letter of zTypes). */
static UiTable *table_alloc(Shell *p, const char *zTypes, const char **azName) {
  UiTable *t = shell_oom_check(calloc(1, sizeof(UiTable)));
  t->p = p;
  t->zTypes = zTypes;
  t->g.nCol = (int)strlen(zTypes);
  ui_table_row(t, azName);
  return t;
}

UiTable *ui_table_new(Shell *p, const char *zTypes, ...) {
  va_list ap;
  va_start(ap, zTypes);
  const char *az[32];
  for (size_t i = 0; i < strlen(zTypes) && i < 32; i++) az[i] = va_arg(ap, const char *);
  va_end(ap);
  return table_alloc(p, zTypes, az);
}

void ui_table_row(UiTable *t, const char **azVal) {
  Grid *g = &t->g;
  if (g->nRow == g->nAlloc) {
    g->nAlloc = g->nAlloc ? g->nAlloc * 2 : 16;
    g->az = shell_oom_check(realloc(g->az, sizeof(char *) * g->nAlloc * g->nCol));
  }
  for (int i = 0; i < g->nCol; i++) g->az[g->nRow * g->nCol + i] = shell_strdup(azVal[i]);
  g->nRow++;
}

/* Print the table in the shell's format and free it. */
void ui_table_end(UiTable *t) {
  Grid *g = &t->g;
  Shell *p = t->p;
  for (int r = 1; r < g->nRow; r++) {
    for (int i = 0; i < g->nCol; i++) {
      char **pz = &g->az[r * g->nCol + i];
      if (*pz == 0 && p->eOut == OUT_TABLE) *pz = shell_strdup("");
    }
  }
  if (p->eOut == OUT_TABLE && g->nRow > 1) grid_print(p, g);
  for (int r = 0; p->eOut != OUT_TABLE && r < g->nRow; r++) {
    if (p->eOut == OUT_JSON && r == 0) continue;
    if (p->eOut == OUT_JSON) printf(r > 1 ? ",\n{" : "[{");
    for (int i = 0; i < g->nCol; i++) {
      const char *z = g->az[r * g->nCol + i];
      if (i) putchar(',');
      if (p->eOut == OUT_CSV) {
        ui_csv_value(z ? z : "");
        continue;
      }
      ui_json_string(stdout, g->az[i]);
      putchar(':');
      if (z == 0)
        printf("null");
      else if (t->zTypes[i] == 'i')
        printf("%s", z);
      else
        ui_json_string(stdout, z);
    }
    printf(p->eOut == OUT_CSV ? "\n" : "}");
  }
  if (p->eOut == OUT_JSON) printf(g->nRow > 1 ? "]\n" : "[]\n");
  fflush(stdout);
  grid_free(g);
  free(t);
}

/*
** Step pStmt to the end, printing its rows in the shell's format. Returns
** SQLITE_DONE, or the error code of the failing step (what was printed so
** far is closed properly).
*/
int ui_print_rows(Shell *p, sqlite3_stmt *pStmt) {
  int nCol = sqlite3_column_count(pStmt), rc, nRow = 0;
  Grid g = {nCol, 0, 0, 0};
  if (nCol && p->eOut == OUT_TABLE) grid_add(&g, pStmt, 1);
  if (nCol && p->eOut == OUT_CSV) print_csv_row(pStmt, 1);
  while ((rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    if (p->eOut == OUT_TABLE) {
      grid_add(&g, pStmt, 0);
    } else if (p->eOut == OUT_JSON) {
      print_json_row(pStmt, nRow);
    } else {
      print_csv_row(pStmt, 0);
    }
    nRow++;
  }
  shell_progress_clear(p);
  if (p->eOut == OUT_TABLE && nCol && g.nRow > 1) grid_print(p, &g);
  if (p->eOut == OUT_JSON && nCol) printf(nRow ? "]\n" : "[]\n");
  grid_free(&g);
  fflush(stdout);
  return rc;
}

char *ui_shell_quote(const char *z) {
  if (z[0] && strspn(z, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                        "0123456789-_./:=+,@") == strlen(z)) {
    return shell_strdup(z);
  }
  size_t n = 2;
  for (const char *s = z; *s; s++) n += *s == '\'' ? 4 : 1;
  char *zOut = shell_oom_check(malloc(n + 1)), *o = zOut;
  *o++ = '\'';
  for (const char *s = z; *s; s++) {
    if (*s == '\'') {
      memcpy(o, "'\\''", 4);
      o += 4;
    } else {
      *o++ = *s;
    }
  }
  *o++ = '\'';
  *o = 0;
  return zOut;
}

void ui_result(Shell *p, const char *zText, const char *zTypes, ...) {
  if (p->eOut == OUT_TABLE) {
    printf("%s\n", zText);
    fflush(stdout);
    return;
  }
  int n = (int)strlen(zTypes);
  const char *azName[16], *azVal[16];
  if (n > 16) n = 16;
  va_list ap;
  va_start(ap, zTypes);
  for (int i = 0; i < n && i < 16; i++) {
    azName[i] = va_arg(ap, const char *);
    azVal[i] = va_arg(ap, const char *);
  }
  va_end(ap);
  UiTable *t = table_alloc(p, zTypes, azName);
  ui_table_row(t, azVal);
  ui_table_end(t);
}
