/*
** cmd_schema.c: the commands that show the schema: `schema` as a readable
** listing and as a Mermaid ER diagram. Both read devdb_schema, the model
** every other feature works from.
*/
#include "shell.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The listing: each table with its members indented (column names aligned
** within the table), then views and triggers. */
#define SQL_LISTING                                                                      \
  "WITH s AS (SELECT kind, tbl, name, def, row_number() OVER () AS i FROM devdb_schema)" \
  " SELECT kind, tbl, name, def, max(CASE WHEN kind = 'column' THEN length(name) END)"   \
  " OVER (PARTITION BY tbl) FROM s ORDER BY i"

/* Print one row of the listing. */
static void listing_row(Shell *p, sqlite3_stmt *pStmt) {
  const char *zKind = (const char *)sqlite3_column_text(pStmt, 0);
  const char *zTbl = (const char *)sqlite3_column_text(pStmt, 1);
  const char *zName = (const char *)sqlite3_column_text(pStmt, 2);
  const char *zDef = (const char *)sqlite3_column_text(pStmt, 3);
  int nWidth = sqlite3_column_int(pStmt, 4);
  const char *zB = ui_color(p, 0, C_BOLD), *zD = ui_color(p, 0, C_DIM);
  const char *zR = ui_color(p, 0, C_RESET);
  zDef = zDef ? zDef : "";
  if (strcmp(zKind, "table") == 0 || strcmp(zKind, "virtual_table") == 0) {
    printf("%s%s %s%s%s%s\n", zD, strcmp(zKind, "table") ? "virtual table" : "table", zR,
           zB, zTbl, zR);
    if (zDef[0]) printf("  %s%s%s\n", zD, zDef, zR);
  } else if (strcmp(zKind, "column") == 0) {
    printf("  %-*s  %s\n", nWidth, zName, zDef);
  } else if (strcmp(zKind, "index") == 0) {
    printf("  %sINDEX%s %s %s\n", zD, zR, zName, zDef);
  } else if (strcmp(zKind, "view") == 0 || strcmp(zKind, "trigger") == 0) {
    printf("%s%s%s %s%s%s %s\n", zD, zKind, zR, zB, zName, zR, zDef);
  } else {
    printf("  %s\n", zDef);
  }
}

static int schema_listing(Shell *p) {
  if (p->eOut != OUT_TABLE) {
    return shell_print_sql(p, "SELECT kind, tbl, name, seq, def FROM devdb_schema");
  }
  sqlite3_stmt *pStmt = shell_prepare(p, SQL_LISTING);
  if (pStmt == 0) return EXIT_ERROR;
  int rc;
  while ((rc = sqlite3_step(pStmt)) == SQLITE_ROW) listing_row(p, pStmt);
  if (rc != SQLITE_DONE) shell_error(p, "%s", sqlite3_errmsg(p->db));
  sqlite3_finalize(pStmt);
  return rc == SQLITE_DONE ? EXIT_OK : EXIT_ERROR;
}

/* Columns for the diagram: table, column, type, and whether the column is
** part of the primary key, a foreign key, a single-column UNIQUE. Tables
** without columns (virtual tables) come as one row with a NULL column. */
#define SQL_ENTITIES                                                                     \
  "WITH s AS MATERIALIZED (SELECT kind, tbl, name, detail, row_number() OVER () AS i"    \
  "   FROM devdb_schema),"                                                               \
  " fk AS (SELECT s.tbl, j.value AS col FROM s, json_each(s.detail, '$.from') j"         \
  "   WHERE kind = 'foreign_key'),"                                                      \
  " uq AS (SELECT s.tbl, json_extract(s.detail, '$.columns[0].name') AS col FROM s"      \
  "   WHERE kind = 'unique' AND json_array_length(s.detail, '$.columns') = 1)"           \
  " SELECT c.tbl, c.name, json_extract(c.detail, '$.type'),"                             \
  "   json_extract(c.detail, '$.pk') > 0,"                                               \
  "   EXISTS (SELECT 1 FROM fk WHERE fk.tbl = c.tbl AND fk.col = c.name),"               \
  "   EXISTS (SELECT 1 FROM uq WHERE uq.tbl = c.tbl AND uq.col = c.name)"                \
  " FROM s c WHERE c.kind = 'column' OR (c.kind = 'virtual_table' AND NOT EXISTS"        \
  "   (SELECT 1 FROM s x WHERE x.kind = 'column' AND x.tbl = c.tbl)) ORDER BY c.i"

/* Relationships: parent, child, the child's columns, and whether every one
** of them is NOT NULL (each child row then has exactly one parent). */
#define SQL_RELATIONS                                                                    \
  "WITH s AS MATERIALIZED (SELECT kind, tbl, name, detail FROM devdb_schema)"            \
  " SELECT json_extract(f.detail, '$.table'), f.tbl,"                                    \
  "   (SELECT group_concat(value, ', ') FROM json_each(f.detail, '$.from')),"            \
  "   NOT EXISTS (SELECT 1 FROM json_each(f.detail, '$.from') j, s c WHERE"              \
  "     c.kind = 'column' AND c.tbl = f.tbl AND c.name = j.value AND"                    \
  "     json_extract(c.detail, '$.notnull') = 0)"                                        \
  " FROM s f WHERE f.kind = 'foreign_key'"

/* Print z as a Mermaid word: letters, digits and '_' only. */
static void mermaid_word(const char *z, const char *zEmpty) {
  if (z == 0 || z[0] == 0) z = zEmpty;
  size_t n = strlen(z);
  while (n > 1 && !isalnum((unsigned char)z[n - 1])) n--;
  for (size_t i = 0; i < n; i++) putchar(isalnum((unsigned char)z[i]) ? z[i] : '_');
}

static int mermaid_entities(Shell *p) {
  sqlite3_stmt *pStmt = shell_prepare(p, SQL_ENTITIES);
  if (pStmt == 0) return 1;
  char *zCur = 0;
  int rc;
  while ((rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    const char *zTbl = (const char *)sqlite3_column_text(pStmt, 0);
    if (zCur == 0 || strcmp(zCur, zTbl) != 0) {
      if (zCur) printf("  }\n");
      free(zCur);
      zCur = shell_strdup(zTbl);
      printf("  ");
      mermaid_word(zTbl, "_");
      printf(" {\n");
    }
    if (sqlite3_column_type(pStmt, 1) == SQLITE_NULL) continue;
    printf("    ");
    mermaid_word((const char *)sqlite3_column_text(pStmt, 2), "ANY");
    putchar(' ');
    mermaid_word((const char *)sqlite3_column_text(pStmt, 1), "_");
    const char *azKey[] = {"PK", "FK", "UK"};
    for (int i = 0, n = 0; i < 3; i++) {
      if (sqlite3_column_int(pStmt, 3 + i)) printf("%s%s", n++ ? ", " : " ", azKey[i]);
    }
    putchar('\n');
  }
  if (zCur) printf("  }\n");
  free(zCur);
  if (rc != SQLITE_DONE) shell_error(p, "%s", sqlite3_errmsg(p->db));
  sqlite3_finalize(pStmt);
  return rc != SQLITE_DONE;
}

static int mermaid_relations(Shell *p) {
  sqlite3_stmt *pStmt = shell_prepare(p, SQL_RELATIONS);
  if (pStmt == 0) return 1;
  int rc;
  while ((rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    printf("  ");
    mermaid_word((const char *)sqlite3_column_text(pStmt, 0), "_");
    printf(" %s ", sqlite3_column_int(pStmt, 3) ? "||--o{" : "|o--o{");
    mermaid_word((const char *)sqlite3_column_text(pStmt, 1), "_");
    printf(" : \"");
    for (const char *z = (const char *)sqlite3_column_text(pStmt, 2); z && *z; z++) {
      if (*z != '"') putchar(*z);
    }
    printf("\"\n");
  }
  if (rc != SQLITE_DONE) shell_error(p, "%s", sqlite3_errmsg(p->db));
  sqlite3_finalize(pStmt);
  return rc != SQLITE_DONE;
}

int cmd_schema(Shell *p, const Args *a) {
  if (shell_db_existing(p) == 0) return EXIT_ERROR;
  if (args_opt(a, "--mermaid") == 0) return schema_listing(p);
  printf("erDiagram\n");
  int rc = mermaid_entities(p) || mermaid_relations(p);
  fflush(stdout);
  return rc ? EXIT_ERROR : EXIT_OK;
}
