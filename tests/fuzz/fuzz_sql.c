/*
** fuzz_sql: a libFuzzer target for the CREATE-statement tokenizer, the
** canonical form and the parsers (ext/token.c, ext/parse.c;
** reliability.md §6 L).
**
** The input is SQL text (cut at a NUL, as C strings are). Beyond what the
** sanitizers catch, it checks properties that must hold for any text:
**   - the tokenizer covers the input: every token is longer than zero and
**     the tokens add up to the text;
**   - devdb_sql_norm is a canonical form: normalising its output again
**     gives the same text (with and without stripping parentheses);
**   - an identifier written back with devdb_str_ident reads back as one
**     token naming the same identifier, folded to lower case;
**   - the parsers return SQLITE_OK, SQLITE_ERROR or SQLITE_NOMEM, and every
**     span they return lies inside the text.
** A violated property aborts, which libFuzzer reports as a crash.
*/
#include "devdb.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond, what)                                                           \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      fprintf(stderr, "fuzz_sql: %s\n", what);                                           \
      abort();                                                                           \
    }                                                                                    \
  } while (0)

static const char *zIn; /* the text, for the span checks */
static int nIn;

static void check_span(DevdbSpan s) {
  FUZZ_CHECK(s.n == 0 || (s.z >= zIn && s.z + s.n <= zIn + nIn),
             "a span outside the text");
}

/* Token lengths are positive and cover the text. */
static void check_tokens(void) {
  int i = 0, eType;
  while (i < nIn) {
    int n = devdb_token_len(zIn + i, &eType);
    FUZZ_CHECK(n > 0 && i + n <= nIn, "a token of no length, or past the end");
    i += n;
  }
}

/* The canonical form of the canonical form is itself. */
static void check_norm(int bStripParens) {
  DevdbArena a;
  memset(&a, 0, sizeof(a));
  char *z1 = devdb_sql_norm(&a, zIn, nIn, bStripParens);
  char *zCopy = z1 ? strdup(z1) : 0;
  char *z2 = zCopy ? devdb_sql_norm(&a, zCopy, -1, bStripParens) : 0;
  if (z2 && strcmp(z2, zCopy) != 0) {
    fprintf(stderr, "once: [%s]\ntwice: [%s]\n", zCopy, z2);
    FUZZ_CHECK(0, "devdb_sql_norm is not idempotent");
  }
  free(zCopy);
  devdb_arena_free(&a);
}

/* Each identifier token survives devdb_str_ident and back. */
static void check_idents(void) {
  DevdbToken *aTok = 0;
  int nTok = devdb_tokens(zIn, nIn, &aTok);
  for (int i = 0; i < nTok; i++) {
    int e = aTok[i].eType;
    if (e != DEVDB_TK_WORD && e != DEVDB_TK_QUOTED && e != DEVDB_TK_STRING) continue;
    char *zId = devdb_token_ident(&aTok[i]);
    if (zId == 0) continue;
    sqlite3_str *p = sqlite3_str_new(0);
    devdb_str_ident(p, zId);
    char *zOut = sqlite3_str_finish(p);
    DevdbToken *aBack = 0;
    int nBack = zOut ? devdb_tokens(zOut, -1, &aBack) : -1;
    if (nBack >= 0) {
      FUZZ_CHECK(nBack == 1, "an identifier written back is not one token");
      char *zBack = devdb_token_ident(&aBack[0]);
      for (char *c = zId; *c; c++)
        if (*c >= 'A' && *c <= 'Z') *c += 32;
      FUZZ_CHECK(zBack == 0 || strcmp(zBack, zId) == 0,
                 "an identifier written back names another");
      sqlite3_free(zBack);
    }
    sqlite3_free(aBack);
    sqlite3_free(zOut);
    sqlite3_free(zId);
  }
  sqlite3_free(aTok);
}

/* The parsers: defined results, spans inside the text. */
static void check_parsers(void) {
  DevdbArena a;
  memset(&a, 0, sizeof(a));
  DevdbParsedTable t;
  memset(&t, 0, sizeof(t));
  int rc = devdb_parse_table(&a, zIn, &t);
  FUZZ_CHECK(rc == SQLITE_OK || rc == SQLITE_ERROR || rc == SQLITE_NOMEM,
             "parse_table rc");
  if (rc == SQLITE_OK) {
    check_span(t.name);
    for (int i = 0; i < t.nCol; i++) {
      check_span(t.aCol[i].def);
      check_span(t.aCol[i].type);
      check_span(t.aCol[i].gen);
    }
    for (int i = 0; i < t.nCheck; i++) check_span(t.aCheck[i].expr);
  }
  DevdbParsedIndex x;
  memset(&x, 0, sizeof(x));
  rc = devdb_parse_index(&a, zIn, &x);
  FUZZ_CHECK(rc == SQLITE_OK || rc == SQLITE_ERROR || rc == SQLITE_NOMEM,
             "parse_index rc");
  if (rc == SQLITE_OK) {
    check_span(x.name);
    check_span(x.where);
    for (int i = 0; i < x.nCol; i++) check_span(x.aCol[i].expr);
  }
  char *zModule = 0;
  DevdbSpan args = {0, 0};
  rc = devdb_parse_vtab(&a, zIn, &zModule, &args);
  if (rc == SQLITE_OK) check_span(args);
  check_span(devdb_parse_create_name(zIn));
  devdb_arena_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData) {
  if (nData > 100000) return 0;
  char *z = malloc(nData + 1);
  memcpy(z, aData, nData);
  z[nData] = 0;
  zIn = z;
  nIn = (int)strlen(z);
  check_tokens();
  check_norm(0);
  check_norm(1);
  check_idents();
  check_parsers();
  free(z);
  return 0;
}
