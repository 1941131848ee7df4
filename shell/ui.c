/*
** ui.c: printing results for a person (aligned tables) or a script (JSON,
** CSV), and diagnostics on stderr.
*/
#include "shell.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Display width of UTF-8 text: code points, not bytes. */
static int display_width(const char *z) {
  int n = 0;
  for (; *z; z++) {
    if (((unsigned char)*z & 0xC0) != 0x80) n++;
  }
  return n;
}

void shell_error(Shell *p, const char *zFmt, ...) {
  va_list ap;
  va_start(ap, zFmt);
  fputs("devdb: ", stderr);
  vfprintf(stderr, zFmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  p->nError++;
}

/* The rows of a statement as strings, for aligned output. */
typedef struct Grid {
  int nCol, nRow, nAlloc;
  char **az; /* nCol per row; row 0 is the header */
} Grid;

static void grid_add(Grid *g, sqlite3_stmt *pStmt, int bHeader) {
  if (g->nRow == g->nAlloc) {
    g->nAlloc = g->nAlloc ? g->nAlloc * 2 : 16;
    g->az = realloc(g->az, sizeof(char *) * g->nAlloc * g->nCol);
    if (g->az == 0) {
      fputs("devdb: out of memory\n", stderr);
      exit(EXIT_ERROR);
    }
  }
  for (int i = 0; i < g->nCol; i++) {
    const char *z = bHeader ? sqlite3_column_name(pStmt, i)
                            : (const char *)sqlite3_column_text(pStmt, i);
    if (!bHeader && sqlite3_column_type(pStmt, i) == SQLITE_NULL) z = "NULL";
    g->az[g->nRow * g->nCol + i] = strdup(z ? z : "");
  }
  g->nRow++;
}

static void grid_print(const Grid *g) {
  int *aw = calloc(g->nCol, sizeof(int));
  for (int r = 0; r < g->nRow; r++) {
    for (int i = 0; i < g->nCol; i++) {
      int w = display_width(g->az[r * g->nCol + i]);
      if (w > aw[i]) aw[i] = w;
    }
  }
  for (int r = 0; r < g->nRow; r++) {
    for (int i = 0; i < g->nCol; i++) {
      const char *z = g->az[r * g->nCol + i];
      int bLast = i == g->nCol - 1;
      printf("%s%s%*s", i ? "  " : "", z, bLast ? 0 : aw[i] - display_width(z), "");
    }
    printf("\n");
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

/* A JSON string literal of z. */
static void json_string(const char *z) {
  putchar('"');
  for (; *z; z++) {
    unsigned char c = (unsigned char)*z;
    if (c == '"' || c == '\\')
      printf("\\%c", c);
    else if (c == '\n')
      printf("\\n");
    else if (c < 0x20)
      printf("\\u%04x", c);
    else
      putchar(c);
  }
  putchar('"');
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
    json_string((const char *)sqlite3_column_text(pStmt, i));
    break;
  }
}

static void print_csv_value(const char *z) {
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

/*
** Step pStmt to the end, printing its rows in the shell's format. Returns
** SQLITE_DONE, or the error code of the failing step.
*/
int shell_print_query(Shell *p, sqlite3_stmt *pStmt) {
  int nCol = sqlite3_column_count(pStmt), rc, nRow = 0;
  Grid g = {nCol, 0, 0, 0};
  if (nCol && p->eOut == OUT_TABLE) grid_add(&g, pStmt, 1);
  if (nCol && p->eOut == OUT_CSV) {
    for (int i = 0; i < nCol; i++) {
      if (i) putchar(',');
      print_csv_value(sqlite3_column_name(pStmt, i));
    }
    putchar('\n');
  }
  while ((rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    if (p->eOut == OUT_TABLE) {
      grid_add(&g, pStmt, 0);
    } else if (p->eOut == OUT_JSON) {
      printf(nRow ? ",\n{" : "[{");
      for (int i = 0; i < nCol; i++) {
        if (i) putchar(',');
        json_string(sqlite3_column_name(pStmt, i));
        putchar(':');
        print_json_value(pStmt, i);
      }
      putchar('}');
    } else {
      for (int i = 0; i < nCol; i++) {
        if (i) putchar(',');
        const char *z = (const char *)sqlite3_column_text(pStmt, i);
        print_csv_value(z ? z : "");
      }
      putchar('\n');
    }
    nRow++;
  }
  if (p->eOut == OUT_TABLE && nCol && g.nRow > 1) grid_print(&g);
  if (p->eOut == OUT_JSON && nCol) printf(nRow ? "]\n" : "[]\n");
  grid_free(&g);
  fflush(stdout);
  return rc;
}
