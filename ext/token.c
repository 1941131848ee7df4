/*
** token.c: a tokenizer for SQLite's SQL and the canonical form of a SQL
** fragment built on it.
**
** devdb lets SQLite parse every statement (the schema model asks PRAGMAs).
** This tokenizer is for the few things no PRAGMA shows: CHECK expressions,
** generated-column expressions, COLLATE clauses, constraint names, index
** expressions and partial-index WHERE clauses. It follows the token rules of
** SQLite's own tokenizer (tokenize.c): strings '...', quoted identifiers
** "..." [...] `...`, blobs x'..', numbers with exponents and hex, variables,
** comments -- and / * * /, and multi-character operators.
**
** No SQL functions live here.
*/
#include "devdb.h"

#include <string.h>

/* Character classes. */
static int is_space(int c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}
static int is_digit(int c) {
  return c >= '0' && c <= '9';
}
static int is_xdigit(int c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
/* A character that may continue an identifier (bytes >= 0x80 are UTF-8). */
static int is_idchar(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' ||
         c == '$' || c >= 0x80;
}

/*
** Length of a quoted token starting at z (z[0] is the opening quote, cEnd
** the closing one; a doubled closing quote is an escape unless cEnd is ']').
** Sets *peType to eType, or DEVDB_TK_ILLEGAL when it is not terminated.
*/
static int quoted_len(const unsigned char *z, int cEnd, int eType, int *peType) {
  int i = 1;
  for (; z[i]; i++) {
    if (z[i] != cEnd) continue;
    if (cEnd != ']' && z[i + 1] == cEnd) {
      i++;
      continue;
    }
    *peType = eType;
    return i + 1;
  }
  *peType = DEVDB_TK_ILLEGAL;
  return i;
}

/* Length of a number starting at z. */
static int number_len(const unsigned char *z) {
  int i = 0;
  if (z[0] == '0' && (z[1] == 'x' || z[1] == 'X') && is_xdigit(z[2])) {
    for (i = 2; is_xdigit(z[i]); i++) {
    }
    return i;
  }
  while (is_digit(z[i])) i++;
  if (z[i] == '.') {
    i++;
    while (is_digit(z[i])) i++;
  }
  if ((z[i] == 'e' || z[i] == 'E') &&
      (is_digit(z[i + 1]) ||
       ((z[i + 1] == '+' || z[i + 1] == '-') && is_digit(z[i + 2])))) {
    i += 2;
    while (is_digit(z[i])) i++;
  }
  return i;
}

/* Length of an operator at z (always at least 1). */
static int operator_len(const unsigned char *z) {
  static const char *azTwo[] = {"||", "<=", ">=", "==", "!=", "<>", "<<", ">>", "->"};
  if (z[0] == '-' && z[1] == '>' && z[2] == '>') return 3;
  for (size_t i = 0; i < sizeof(azTwo) / sizeof(azTwo[0]); i++) {
    if (z[0] == azTwo[i][0] && z[1] == azTwo[i][1]) return 2;
  }
  return 1;
}

/*
** The length of the token that starts at z (NUL-terminated) and its kind in
** *peType. Returns 0 with DEVDB_TK_EOF at the terminator.
*/
int devdb_token_len(const char *zIn, int *peType) {
  const unsigned char *z = (const unsigned char *)zIn;
  int i, c = z[0];
  if (c == 0) return (*peType = DEVDB_TK_EOF, 0);
  if (is_space(c)) {
    for (i = 1; is_space(z[i]); i++) {
    }
    return (*peType = DEVDB_TK_SPACE, i);
  }
  if (c == '-' && z[1] == '-') {
    for (i = 2; z[i] && z[i] != '\n'; i++) {
    }
    return (*peType = DEVDB_TK_COMMENT, i);
  }
  if (c == '/' && z[1] == '*') {
    for (i = 2; z[i] && !(z[i] == '*' && z[i + 1] == '/'); i++) {
    }
    if (z[i]) i += 2;
    return (*peType = DEVDB_TK_COMMENT, i);
  }
  switch (c) {
  case '(':
    return (*peType = DEVDB_TK_LP, 1);
  case ')':
    return (*peType = DEVDB_TK_RP, 1);
  case ',':
    return (*peType = DEVDB_TK_COMMA, 1);
  case ';':
    return (*peType = DEVDB_TK_SEMI, 1);
  case '\'':
    return quoted_len(z, '\'', DEVDB_TK_STRING, peType);
  case '"':
    return quoted_len(z, '"', DEVDB_TK_QUOTED, peType);
  case '`':
    return quoted_len(z, '`', DEVDB_TK_QUOTED, peType);
  case '[':
    return quoted_len(z, ']', DEVDB_TK_QUOTED, peType);
  case '.':
    if (is_digit(z[1])) return (*peType = DEVDB_TK_NUMBER, number_len(z));
    return (*peType = DEVDB_TK_DOT, 1);
  case '?':
    for (i = 1; is_digit(z[i]); i++) {
    }
    return (*peType = DEVDB_TK_VARIABLE, i);
  case ':':
  case '@':
  case '$':
    for (i = 1; is_idchar(z[i]); i++) {
    }
    return (*peType = i > 1 ? DEVDB_TK_VARIABLE : DEVDB_TK_ILLEGAL, i);
  default:
    break;
  }
  if (is_digit(c)) {
    i = number_len(z);
    /* SQLite rejects a number run into letters ("12abc") */
    if (is_idchar(z[i])) {
      while (is_idchar(z[i])) i++;
      return (*peType = DEVDB_TK_ILLEGAL, i);
    }
    return (*peType = DEVDB_TK_NUMBER, i);
  }
  if ((c == 'x' || c == 'X') && z[1] == '\'') {
    for (i = 2; is_xdigit(z[i]); i++) {
    }
    if (z[i] != '\'' || (i % 2) != 0) {
      while (z[i] && z[i] != '\'') i++;
      return (*peType = DEVDB_TK_ILLEGAL, z[i] ? i + 1 : i);
    }
    return (*peType = DEVDB_TK_BLOB, i + 1);
  }
  if (is_idchar(c) && c != '$') {
    for (i = 1; is_idchar(z[i]); i++) {
    }
    return (*peType = DEVDB_TK_WORD, i);
  }
  if (strchr("+-*/%<>=!&|~", c)) return (*peType = DEVDB_TK_OP, operator_len(z));
  return (*peType = DEVDB_TK_ILLEGAL, 1);
}

void devdb_lexer_init(DevdbLexer *p, const char *z, int n) {
  p->z = z;
  p->n = n < 0 ? (int)strlen(z) : n;
  p->i = 0;
}

/*
** The next token that is neither space nor comment. A token may not run
** past n: the lexer works on a NUL-terminated copy's prefix, so a token
** that crosses the end is cut there.
*/
DevdbToken devdb_lexer_next(DevdbLexer *p) {
  DevdbToken t = {DEVDB_TK_EOF, p->z + p->n, 0};
  while (p->i < p->n) {
    int eType;
    int n = devdb_token_len(p->z + p->i, &eType);
    if (n == 0) break;
    if (p->i + n > p->n) n = p->n - p->i;
    const char *z = p->z + p->i;
    p->i += n;
    if (eType == DEVDB_TK_SPACE || eType == DEVDB_TK_COMMENT) continue;
    t.eType = eType;
    t.z = z;
    t.n = n;
    return t;
  }
  p->i = p->n;
  return t;
}

int devdb_token_is(const DevdbToken *t, const char *zWord) {
  /* zWord[t->n] is only read once its first t->n characters matched */
  return t->eType == DEVDB_TK_WORD && devdb_strnicmp(t->z, zWord, t->n) == 0 &&
         zWord[t->n] == 0;
}

int devdb_token_unquote(const DevdbToken *t, char *zOut) {
  if (t->eType == DEVDB_TK_WORD || t->n < 2) {
    memcpy(zOut, t->z, t->n);
    zOut[t->n] = 0;
    return t->n;
  }
  char cEnd = t->z[0] == '[' ? ']' : t->z[0];
  int j = 0;
  for (int i = 1; i < t->n - 1; i++) {
    zOut[j++] = t->z[i];
    if (t->z[i] == cEnd && cEnd != ']' && i + 1 < t->n - 1 && t->z[i + 1] == cEnd) i++;
  }
  zOut[j] = 0;
  return j;
}

/*
** The text a WORD, QUOTED or STRING token stands for, quotes removed and
** doubled quotes undone. sqlite3_malloc'd; NULL on OOM.
*/
char *devdb_token_ident(const DevdbToken *t) {
  char *zOut = sqlite3_malloc64((sqlite3_uint64)t->n + 1);
  if (zOut) devdb_token_unquote(t, zOut);
  return zOut;
}

char *devdb_arena_ident(DevdbArena *p, const DevdbToken *t) {
  char *zOut = devdb_arena_alloc(p, (size_t)t->n + 1);
  if (zOut) devdb_token_unquote(t, zOut);
  return zOut;
}

/* ------------------------------------------------------ canonical form */

/* 1 when z[0..n) is a keyword of SQLite. */
static int is_keyword(const char *z, int n) {
  return sqlite3_keyword_check(z, n);
}

/*
** Append identifier zId (any quoting already removed) to pOut in canonical
** form: folded to lower case, quoted when it could not be written bare.
*/
void devdb_str_ident(sqlite3_str *pOut, const char *zId) {
  int n = (int)strlen(zId);
  int bPlain = n > 0 && !is_digit(zId[0]) && !is_keyword(zId, n);
  for (int i = 0; i < n && bPlain; i++) {
    int c = (unsigned char)zId[i];
    bPlain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || is_digit(c);
  }
  if (!bPlain) sqlite3_str_appendchar(pOut, 1, '"');
  for (int i = 0; i < n; i++) {
    char c = zId[i];
    if (c >= 'A' && c <= 'Z') c += 32;
    sqlite3_str_appendchar(pOut, c == '"' ? 2 : 1, c);
  }
  if (!bPlain) sqlite3_str_appendchar(pOut, 1, '"');
}

/* Append the identifier token t in canonical form. */
static void append_quoted(sqlite3_str *pOut, const DevdbToken *t) {
  char zBuf[256];
  char *zId = t->n < (int)sizeof(zBuf) ? zBuf : devdb_token_ident(t);
  if (zId == zBuf) devdb_token_unquote(t, zBuf);
  if (zId) devdb_str_ident(pOut, zId);
  if (zId != zBuf) sqlite3_free(zId);
}

/* Append the bare word t: a keyword in upper case, else an identifier. */
static void append_word(sqlite3_str *pOut, const DevdbToken *t) {
  if (!is_keyword(t->z, t->n)) {
    append_quoted(pOut, t);
    return;
  }
  for (int i = 0; i < t->n; i++) {
    int c = (unsigned char)t->z[i];
    sqlite3_str_appendchar(pOut, 1, (char)((c >= 'a' && c <= 'z') ? c - 32 : c));
  }
}

/* Append the canonical text of one token. */
static void append_token(sqlite3_str *pOut, const DevdbToken *t) {
  if (t->eType == DEVDB_TK_WORD) {
    append_word(pOut, t);
  } else if (t->eType == DEVDB_TK_QUOTED) {
    append_quoted(pOut, t);
  } else if (t->eType == DEVDB_TK_BLOB) {
    sqlite3_str_appendall(pOut, "X'");
    for (int i = 2; i < t->n - 1; i++) {
      int c = (unsigned char)t->z[i];
      sqlite3_str_appendchar(pOut, 1, (char)((c >= 'a' && c <= 'f') ? c - 32 : c));
    }
    sqlite3_str_appendchar(pOut, 1, '\'');
  } else if (t->eType == DEVDB_TK_OP && t->n == 2 && memcmp(t->z, "==", 2) == 0) {
    sqlite3_str_appendchar(pOut, 1, '=');
  } else if (t->eType == DEVDB_TK_OP && t->n == 2 && memcmp(t->z, "<>", 2) == 0) {
    sqlite3_str_appendall(pOut, "!=");
  } else {
    sqlite3_str_append(pOut, t->z, t->n);
  }
}

/*
** 1 when an operator token whose predecessor is pPrev is a unary sign:
** at the start, after '(' ',' an operator or a keyword.
*/
static int is_unary(const DevdbToken *t, const DevdbToken *pPrev) {
  if (t->eType != DEVDB_TK_OP || t->n != 1 || strchr("+-~", t->z[0]) == 0) return 0;
  if (pPrev == 0) return 1;
  switch (pPrev->eType) {
  case DEVDB_TK_LP:
  case DEVDB_TK_COMMA:
  case DEVDB_TK_OP:
    return 1;
  case DEVDB_TK_WORD:
    return is_keyword(pPrev->z, pPrev->n);
  default:
    return 0;
  }
}

/* 1 when no space goes between tokens a and b (a precedes b). */
static int no_space_between(const DevdbToken *a, const DevdbToken *b, int bAUnary) {
  /* "- -x" written "--x", or a slash before a star, would start a comment */
  char cLast = a->n > 0 ? a->z[a->n - 1] : 0;
  if ((cLast == '-' && b->z[0] == '-') || (cLast == '/' && b->z[0] == '*')) return 0;
  /* "t. 2" written "t.2" would read as t and the number .2 (as would any
  ** token that starts with a digit, such as the malformed "2x") */
  if (a->eType == DEVDB_TK_DOT && b->n > 0 && b->z[0] >= '0' && b->z[0] <= '9') return 0;
  /* "2 ." written "2." would read as the number 2. */
  if (a->eType == DEVDB_TK_NUMBER && b->eType == DEVDB_TK_DOT) return 0;
  if (b->eType == DEVDB_TK_RP || b->eType == DEVDB_TK_COMMA || b->eType == DEVDB_TK_DOT ||
      b->eType == DEVDB_TK_SEMI) {
    return 1;
  }
  if (a->eType == DEVDB_TK_LP || a->eType == DEVDB_TK_DOT) return 1;
  if (b->eType == DEVDB_TK_LP &&
      (a->eType == DEVDB_TK_WORD || a->eType == DEVDB_TK_QUOTED)) {
    return 1;
  }
  /* a unary operator goes against its operand, but never against another
  ** operator: "- >=" written "->=" would read as "->" and "=" */
  return bAUnary && strchr("<>=!|&*/%-+~", b->z[0]) == 0;
}

/*
** Collect the significant tokens of z[0..n) into *paTok, an sqlite3_malloc'd
** array of *pnAlloc elements that grows as needed. Returns the count, or -1
** on OOM (the array is still the caller's to free).
*/
static int collect_tokens(const char *z, int n, DevdbToken **paTok, int *pnAlloc) {
  DevdbLexer lx;
  int nTok = 0;
  devdb_lexer_init(&lx, z, n);
  for (;;) {
    DevdbToken t = devdb_lexer_next(&lx);
    if (t.eType == DEVDB_TK_EOF) break;
    if (nTok == *pnAlloc) {
      int nNew = *pnAlloc ? *pnAlloc * 2 : 64;
      DevdbToken *aNew = sqlite3_realloc64(*paTok, sizeof(DevdbToken) * nNew);
      if (aNew == 0) return -1;
      *paTok = aNew;
      *pnAlloc = nNew;
    }
    (*paTok)[nTok++] = t;
  }
  return nTok;
}

int devdb_tokens(const char *z, int n, DevdbToken **paTok) {
  int nAlloc = 0;
  *paTok = 0;
  int nTok = collect_tokens(z, n, paTok, &nAlloc);
  if (nTok < 0) {
    sqlite3_free(*paTok);
    *paTok = 0;
  }
  return nTok;
}

int devdb_arena_tokens(DevdbArena *p, const char *z, int n, DevdbToken **paTok) {
  int nTok = collect_tokens(z, n, &p->aTok, &p->nTokAlloc);
  if (nTok < 0) p->bOom = 1;
  *paTok = p->aTok;
  return nTok;
}

/* The index of the ')' matching the '(' at aTok[i], or -1. */
static int matching_paren(const DevdbToken *aTok, int nTok, int i) {
  int depth = 0;
  for (; i < nTok; i++) {
    if (aTok[i].eType == DEVDB_TK_LP)
      depth++;
    else if (aTok[i].eType == DEVDB_TK_RP && --depth == 0)
      return i;
  }
  return -1;
}

char *devdb_sql_norm(DevdbArena *pArena, const char *z, int n, int bStripParens) {
  DevdbToken *aTok = 0;
  int nTok = devdb_arena_tokens(pArena, z, n, &aTok);
  if (pArena->pStr == 0) pArena->pStr = sqlite3_str_new(0);
  if (nTok < 0) return 0;
  int iFirst = 0, iLast = nTok - 1;
  /* trailing semicolons and outer parentheses, until neither is left:
  ** "(a);" and "(a;)" both give "a" */
  for (;;) {
    while (iLast >= iFirst && aTok[iLast].eType == DEVDB_TK_SEMI) iLast--;
    if (!bStripParens || iLast <= iFirst || aTok[iFirst].eType != DEVDB_TK_LP ||
        matching_paren(aTok, iLast + 1, iFirst) != iLast)
      break;
    iFirst++;
    iLast--;
  }
  sqlite3_str *pOut = pArena->pStr;
  sqlite3_str_reset(pOut);
  int bPrevUnary = 0;
  for (int i = iFirst; i <= iLast; i++) {
    const DevdbToken *pPrev = i > iFirst ? &aTok[i - 1] : 0;
    if (pPrev && !no_space_between(pPrev, &aTok[i], bPrevUnary)) {
      sqlite3_str_appendchar(pOut, 1, ' ');
    }
    append_token(pOut, &aTok[i]);
    bPrevUnary = is_unary(&aTok[i], pPrev);
  }
  if (sqlite3_str_errcode(pOut)) {
    pArena->bOom = 1;
    return 0;
  }
  const char *zNorm = sqlite3_str_value(pOut);
  return devdb_arena_strndup(pArena, zNorm ? zNorm : "", sqlite3_str_length(pOut));
}

void devdb_str_json(sqlite3_str *p, const char *z) {
  if (z == 0) {
    sqlite3_str_appendall(p, "null");
    return;
  }
  sqlite3_str_appendchar(p, 1, '"');
  for (; *z; z++) {
    unsigned char c = (unsigned char)*z;
    if (c == '"' || c == '\\')
      sqlite3_str_appendf(p, "\\%c", c);
    else if (c == '\n')
      sqlite3_str_appendall(p, "\\n");
    else if (c == '\t')
      sqlite3_str_appendall(p, "\\t");
    else if (c == '\r')
      sqlite3_str_appendall(p, "\\r");
    else if (c < 0x20)
      sqlite3_str_appendf(p, "\\u%04x", c);
    else
      sqlite3_str_appendchar(p, 1, (char)c);
  }
  sqlite3_str_appendchar(p, 1, '"');
}
