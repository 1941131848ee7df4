/*
** parse.c: reading the parts of CREATE statements that no PRAGMA shows.
**
** SQLite has already parsed and accepted every statement this file sees (it
** comes from sqlite_schema), so the parser does not validate: it walks the
** tokens of token.c and picks out COLLATE clauses, CHECK and generated
** expressions, constraint names, ON CONFLICT clauses, MATCH and DEFERRABLE,
** AUTOINCREMENT, index expressions and WHERE clauses, and virtual table
** modules. Everything the PRAGMAs report (columns, types, defaults, keys,
** foreign key targets and actions) is taken from the PRAGMAs instead.
**
** No SQL functions live here.
*/
#include "devdb.h"

#include <string.h>

typedef struct Parser {
  DevdbArena *pArena;
  DevdbToken *aTok;
  int nTok;
  int i;
  int nColMax; /* CREATE TABLE: the column slots allocated */
} Parser;

static const DevdbToken *peek(Parser *p) {
  static const DevdbToken eof = {DEVDB_TK_EOF, "", 0};
  return p->i < p->nTok ? &p->aTok[p->i] : &eof;
}

static int at_type(Parser *p, int eType) {
  return peek(p)->eType == eType;
}

static int at_word(Parser *p, const char *zWord) {
  return devdb_token_is(peek(p), zWord);
}

/* Consume the word zWord if it is next. */
static int accept(Parser *p, const char *zWord) {
  if (!at_word(p, zWord)) return 0;
  p->i++;
  return 1;
}

/* 1 at the end of a list item: ',' or ')' or the end of input. */
static int at_item_end(Parser *p) {
  int e = peek(p)->eType;
  return e == DEVDB_TK_COMMA || e == DEVDB_TK_RP || e == DEVDB_TK_EOF;
}

/* An identifier token, unquoted, copied into the arena; NULL if none. */
static char *take_ident(Parser *p) {
  const DevdbToken *t = peek(p);
  if (t->eType != DEVDB_TK_WORD && t->eType != DEVDB_TK_QUOTED &&
      t->eType != DEVDB_TK_STRING) {
    return 0;
  }
  p->i++;
  return devdb_arena_ident(p->pArena, t);
}

/* The next word in upper case (in the arena), consumed. */
static char *take_upper(Parser *p) {
  char *z = take_ident(p);
  for (char *c = z; c && *c; c++) {
    if (*c >= 'a' && *c <= 'z') *c -= 32;
  }
  return z;
}

/* The span of tokens [iFirst, iLast]; empty when iLast < iFirst. A clause
** cut short at the end of the text may leave iLast past the last token. */
static DevdbSpan span_of(Parser *p, int iFirst, int iLast) {
  DevdbSpan s = {"", 0};
  if (iLast >= p->nTok) iLast = p->nTok - 1;
  if (iLast < iFirst || iFirst >= p->nTok) return s;
  s.z = p->aTok[iFirst].z;
  s.n = (int)(p->aTok[iLast].z + p->aTok[iLast].n - s.z);
  return s;
}

/*
** At '(': skip to just past the matching ')' and return the span inside.
** Not at '(': return an empty span and consume nothing.
*/
static DevdbSpan skip_parens(Parser *p) {
  DevdbSpan s = {"", 0};
  if (!at_type(p, DEVDB_TK_LP)) return s;
  int iStart = ++p->i, depth = 1;
  for (; p->i < p->nTok; p->i++) {
    int e = p->aTok[p->i].eType;
    if (e == DEVDB_TK_LP)
      depth++;
    else if (e == DEVDB_TK_RP && --depth == 0)
      break;
  }
  s = span_of(p, iStart, p->i - 1);
  if (p->i < p->nTok) p->i++;
  return s;
}

/* Consume the next token if it is a bare word. */
static void skip_word(Parser *p) {
  if (at_type(p, DEVDB_TK_WORD)) p->i++;
}

/* Skip one token, or a whole parenthesised group. */
static void skip_one(Parser *p) {
  if (at_type(p, DEVDB_TK_LP))
    skip_parens(p);
  else if (p->i < p->nTok)
    p->i++;
}

/* An optional "ON CONFLICT word": the word in upper case, or NULL. */
static char *take_conflict(Parser *p) {
  if (!at_word(p, "on") || p->i + 1 >= p->nTok ||
      !devdb_token_is(&p->aTok[p->i + 1], "conflict")) {
    return 0;
  }
  p->i += 2;
  return take_upper(p);
}

/* Append one name to an arena array of names. */
static void push_name(Parser *p, char ***paz, int *pn, char *z) {
  char **pz = devdb_arena_push(p->pArena, (void **)paz, pn, sizeof(char *));
  if (pz) *pz = z;
}

/*
** "( name [COLLATE x] [ASC|DESC] [AUTOINCREMENT], ... )" of a table-level
** PRIMARY KEY or UNIQUE, into pKey.
*/
static void parse_key_columns(Parser *p, DevdbParsedKey *pKey) {
  if (!at_type(p, DEVDB_TK_LP)) return;
  p->i++;
  while (!at_type(p, DEVDB_TK_EOF) && !at_type(p, DEVDB_TK_RP)) {
    push_name(p, &pKey->azCol, &pKey->nCol, take_ident(p));
    while (!at_item_end(p)) {
      if (accept(p, "desc"))
        pKey->bDesc = 1;
      else if (accept(p, "autoincrement"))
        pKey->bAutoinc = 1;
      else
        skip_one(p);
    }
    if (at_type(p, DEVDB_TK_COMMA)) p->i++;
  }
  if (at_type(p, DEVDB_TK_RP)) p->i++;
  if (pKey->nCol != 1) pKey->bDesc = 0;
}

/* "( name, ... )": a plain list of names. */
static void parse_name_list(Parser *p, char ***paz, int *pn) {
  if (!at_type(p, DEVDB_TK_LP)) return;
  p->i++;
  while (!at_type(p, DEVDB_TK_EOF) && !at_type(p, DEVDB_TK_RP)) {
    char *z = take_ident(p);
    if (z) push_name(p, paz, pn, z);
    while (!at_item_end(p)) skip_one(p);
    if (at_type(p, DEVDB_TK_COMMA)) p->i++;
  }
  if (at_type(p, DEVDB_TK_RP)) p->i++;
}

/*
** The rest of a foreign key clause after REFERENCES: parent, columns,
** MATCH and DEFERRABLE (actions come from PRAGMA foreign_key_list).
*/
static void parse_references(Parser *p, DevdbParsedFk *pFk) {
  pFk->zParent = take_ident(p);
  parse_name_list(p, &pFk->azTo, &pFk->nTo);
  for (;;) {
    if (accept(p, "on")) {
      skip_word(p); /* DELETE or UPDATE */
      if (accept(p, "set") || accept(p, "no"))
        skip_word(p); /* NULL, DEFAULT, ACTION */
      else
        skip_word(p); /* CASCADE, RESTRICT */
    } else if (accept(p, "match")) {
      pFk->zMatch = take_upper(p);
    } else if (accept(p, "not")) {
      accept(p, "deferrable");
      if (accept(p, "initially")) skip_word(p);
      pFk->zDeferrable = 0;
    } else if (accept(p, "deferrable")) {
      int bDeferred = 0;
      if (accept(p, "initially")) bDeferred = accept(p, "deferred");
      pFk->zDeferrable = bDeferred ? "DEFERRABLE INITIALLY DEFERRED" : 0;
    } else {
      break;
    }
  }
}

static DevdbParsedKey *new_key(Parser *p, DevdbParsedTable *pT, char *zName,
                               int bPrimary) {
  DevdbParsedKey *pKey =
      devdb_arena_push(p->pArena, (void **)&pT->aKey, &pT->nKey, sizeof(*pKey));
  if (pKey == 0) return 0;
  pKey->zName = zName;
  pKey->bPrimary = bPrimary;
  return pKey;
}

static DevdbParsedFk *new_fk(Parser *p, DevdbParsedTable *pT, char *zName) {
  DevdbParsedFk *pFk =
      devdb_arena_push(p->pArena, (void **)&pT->aFk, &pT->nFk, sizeof(*pFk));
  if (pFk == 0) return 0;
  pFk->zName = zName;
  return pFk;
}

/* Add a CHECK: at its '(' token. */
static void add_check(Parser *p, DevdbParsedTable *pT, char *zName, char *zCol) {
  DevdbParsedCheck *pC =
      devdb_arena_push(p->pArena, (void **)&pT->aCheck, &pT->nCheck, sizeof(*pC));
  DevdbSpan expr = skip_parens(p);
  if (pC == 0) return;
  pC->zName = zName;
  pC->zCol = zCol;
  pC->expr = expr;
}

/* 1 when the next word starts a column constraint (ends a type name). */
static int at_column_constraint(Parser *p) {
  static const char *az[] = {"constraint", "primary",   "not",     "null",
                             "unique",     "check",     "default", "collate",
                             "references", "generated", "as"};
  for (size_t k = 0; k < sizeof(az) / sizeof(az[0]); k++) {
    if (at_word(p, az[k])) return 1;
  }
  return 0;
}

/* One column constraint of column pCol; zName is a pending CONSTRAINT name. */
static void parse_column_constraint(Parser *p, DevdbParsedTable *pT, DevdbParsedCol *pCol,
                                    char *zName) {
  if (accept(p, "primary")) {
    accept(p, "key");
    DevdbParsedKey *pKey = new_key(p, pT, zName, 1);
    if (pKey) pKey->bInline = 1;
    if (pKey) push_name(p, &pKey->azCol, &pKey->nCol, pCol->zName);
    if (pKey && accept(p, "desc")) pKey->bDesc = 1;
    accept(p, "asc");
    if (pKey) pKey->zConflict = take_conflict(p);
    if (pKey && accept(p, "autoincrement")) pKey->bAutoinc = 1;
  } else if (accept(p, "not")) {
    accept(p, "null");
    pCol->zNotNullConflict = take_conflict(p);
  } else if (accept(p, "null")) {
    take_conflict(p);
  } else if (accept(p, "unique")) {
    DevdbParsedKey *pKey = new_key(p, pT, zName, 0);
    if (pKey) pKey->bInline = 1;
    if (pKey) push_name(p, &pKey->azCol, &pKey->nCol, pCol->zName);
    if (pKey) pKey->zConflict = take_conflict(p);
  } else if (accept(p, "check")) {
    add_check(p, pT, zName, pCol->zName);
  } else if (accept(p, "default")) {
    if (at_type(p, DEVDB_TK_OP)) p->i++;
    skip_one(p);
  } else if (accept(p, "collate")) {
    pCol->zCollate = take_upper(p);
  } else if (accept(p, "references")) {
    DevdbParsedFk *pFk = new_fk(p, pT, zName);
    if (pFk) push_name(p, &pFk->azFrom, &pFk->nFrom, pCol->zName);
    if (pFk) parse_references(p, pFk);
  } else if (accept(p, "generated") || at_word(p, "as")) {
    accept(p, "always");
    accept(p, "as");
    pCol->gen = skip_parens(p);
    pCol->eGen = accept(p, "stored") ? DEVDB_GEN_STORED : DEVDB_GEN_VIRTUAL;
    accept(p, "virtual");
  } else {
    skip_one(p);
  }
}

/* A column definition, up to the ',' or ')' that ends it. Malformed text
** may hold more items than the slots counted for it: those are skipped. */
static void parse_column(Parser *p, DevdbParsedTable *pT) {
  if (pT->aCol == 0 || pT->nCol >= p->nColMax) { /* out of memory, or no slot */
    while (!at_item_end(p)) skip_one(p);
    return;
  }
  DevdbParsedCol *pCol = &pT->aCol[pT->nCol++];
  int iStart = p->i;
  pCol->zName = take_ident(p);
  int iType = p->i;
  while ((at_type(p, DEVDB_TK_WORD) || at_type(p, DEVDB_TK_QUOTED)) &&
         !at_column_constraint(p)) {
    p->i++;
  }
  if (p->i > iType && at_type(p, DEVDB_TK_LP)) skip_parens(p);
  pCol->type = span_of(p, iType, p->i - 1);
  while (!at_item_end(p)) {
    char *zName = accept(p, "constraint") ? take_ident(p) : 0;
    if (!at_item_end(p)) parse_column_constraint(p, pT, pCol, zName);
  }
  pCol->def = span_of(p, iStart, p->i - 1);
}

/* A table constraint, up to the ',' or ')' that ends it. */
static void parse_table_constraint(Parser *p, DevdbParsedTable *pT) {
  char *zName = accept(p, "constraint") ? take_ident(p) : 0;
  if (accept(p, "primary") || accept(p, "unique")) {
    int bPrimary = devdb_token_is(&p->aTok[p->i - 1], "primary");
    accept(p, "key");
    DevdbParsedKey *pKey = new_key(p, pT, zName, bPrimary);
    if (pKey) parse_key_columns(p, pKey);
    if (pKey) pKey->zConflict = take_conflict(p);
  } else if (accept(p, "check")) {
    add_check(p, pT, zName, 0);
  } else if (accept(p, "foreign")) {
    accept(p, "key");
    DevdbParsedFk *pFk = new_fk(p, pT, zName);
    if (pFk) parse_name_list(p, &pFk->azFrom, &pFk->nFrom);
    if (pFk && accept(p, "references")) parse_references(p, pFk);
  }
  while (!at_item_end(p)) skip_one(p);
}

/* At '(': the number of top-level items of the list it opens. */
static int count_items(Parser *p) {
  int depth = 0, n = 1;
  for (int i = p->i; i < p->nTok; i++) {
    int e = p->aTok[i].eType;
    if (e == DEVDB_TK_LP)
      depth++;
    else if (e == DEVDB_TK_RP && --depth == 0)
      break;
    else if (e == DEVDB_TK_COMMA && depth == 1)
      n++;
  }
  return n;
}

/* 1 when the next word starts a table constraint. */
static int at_table_constraint(Parser *p) {
  return at_word(p, "constraint") || at_word(p, "primary") || at_word(p, "unique") ||
         at_word(p, "check") || at_word(p, "foreign");
}

/*
** Skip "CREATE [TEMP] [UNIQUE|VIRTUAL] TABLE|INDEX|VIEW|TRIGGER [IF NOT
** EXISTS] [schema.]" and return the token index of the object's name, or -1.
*/
static int skip_create_prefix(Parser *p) {
  if (!accept(p, "create")) return -1;
  if (!accept(p, "temp")) accept(p, "temporary");
  if (!accept(p, "unique")) accept(p, "virtual");
  if (!accept(p, "table") && !accept(p, "index") && !accept(p, "view") &&
      !accept(p, "trigger")) {
    return -1;
  }
  if (at_word(p, "if")) p->i += 3;
  if (p->i + 1 < p->nTok && p->aTok[p->i + 1].eType == DEVDB_TK_DOT) p->i += 2;
  return p->i < p->nTok ? p->i : -1;
}

/* Tokenize zSql into p. */
static int parser_init(Parser *p, DevdbArena *pArena, const char *zSql) {
  memset(p, 0, sizeof(*p));
  p->pArena = pArena;
  p->nTok = devdb_arena_tokens(pArena, zSql, -1, &p->aTok);
  return p->nTok < 0 ? SQLITE_NOMEM : SQLITE_OK;
}

int devdb_parse_table(DevdbArena *pArena, const char *zSql, DevdbParsedTable *pOut) {
  Parser p;
  memset(pOut, 0, sizeof(*pOut));
  if (parser_init(&p, pArena, zSql)) return SQLITE_NOMEM;
  int iName = skip_create_prefix(&p);
  int rc = SQLITE_ERROR;
  if (iName < 0) goto parse_table_done;
  pOut->name = span_of(&p, iName, iName);
  p.i = iName + 1;
  if (!at_type(&p, DEVDB_TK_LP)) goto parse_table_done;
  /* one slot per item of the list: columns never outnumber the items */
  p.nColMax = count_items(&p);
  pOut->aCol = devdb_arena_alloc(pArena, sizeof(DevdbParsedCol) * p.nColMax);
  p.i++;
  while (!at_type(&p, DEVDB_TK_EOF) && !at_type(&p, DEVDB_TK_RP)) {
    if (at_table_constraint(&p))
      parse_table_constraint(&p, pOut);
    else
      parse_column(&p, pOut);
    if (at_type(&p, DEVDB_TK_COMMA)) p.i++;
  }
  if (at_type(&p, DEVDB_TK_RP)) p.i++;
  while (!at_type(&p, DEVDB_TK_EOF)) {
    if (accept(&p, "strict"))
      pOut->bStrict = 1;
    else if (accept(&p, "without"))
      pOut->bWithoutRowid = accept(&p, "rowid");
    else
      p.i++;
  }
  rc = pArena->bOom ? SQLITE_NOMEM : SQLITE_OK;
parse_table_done:
  return rc;
}

/* One indexed column "expr [COLLATE x] [ASC|DESC]" ending at ',' or ')'. */
static void parse_index_column(Parser *p, DevdbParsedIndex *pIdx) {
  DevdbParsedIndexCol *pCol =
      devdb_arena_push(p->pArena, (void **)&pIdx->aCol, &pIdx->nCol, sizeof(*pCol));
  if (pCol == 0) { /* out of memory: the item is skipped, the parse goes on to its end */
    while (!at_item_end(p)) skip_one(p);
    return;
  }
  int iStart = p->i, iEnd = -1;
  while (!at_item_end(p)) {
    if (at_word(p, "collate") && iEnd < 0) {
      iEnd = p->i - 1;
      p->i++;
      pCol->zCollate = take_upper(p);
    } else if (at_word(p, "asc") || at_word(p, "desc")) {
      if (iEnd < 0) iEnd = p->i - 1;
      pCol->bDesc = at_word(p, "desc");
      p->i++;
    } else {
      skip_one(p);
    }
  }
  if (iEnd < 0) iEnd = p->i - 1;
  pCol->expr = span_of(p, iStart, iEnd);
  if (iEnd == iStart) {
    int iSave = p->i;
    p->i = iStart;
    if (!at_type(p, DEVDB_TK_STRING)) pCol->zName = take_ident(p);
    p->i = iSave;
  }
}

int devdb_parse_index(DevdbArena *pArena, const char *zSql, DevdbParsedIndex *pOut) {
  Parser p;
  memset(pOut, 0, sizeof(*pOut));
  if (parser_init(&p, pArena, zSql)) return SQLITE_NOMEM;
  int iName = skip_create_prefix(&p);
  int rc = SQLITE_ERROR;
  if (iName < 0) goto parse_index_done;
  pOut->name = span_of(&p, iName, iName);
  pOut->bUnique = p.nTok > 1 && devdb_token_is(&p.aTok[1], "unique");
  while (!at_type(&p, DEVDB_TK_EOF) && !at_type(&p, DEVDB_TK_LP)) p.i++;
  if (!at_type(&p, DEVDB_TK_LP)) goto parse_index_done;
  p.i++;
  while (!at_type(&p, DEVDB_TK_EOF) && !at_type(&p, DEVDB_TK_RP)) {
    parse_index_column(&p, pOut);
    if (at_type(&p, DEVDB_TK_COMMA)) p.i++;
  }
  if (at_type(&p, DEVDB_TK_RP)) p.i++;
  if (accept(&p, "where")) pOut->where = span_of(&p, p.i, p.nTok - 1);
  rc = pArena->bOom ? SQLITE_NOMEM : SQLITE_OK;
parse_index_done:
  return rc;
}

int devdb_parse_vtab(DevdbArena *pArena, const char *zSql, char **pzModule,
                     DevdbSpan *pArgs) {
  Parser p;
  DevdbSpan empty = {"", 0};
  *pzModule = 0;
  *pArgs = empty;
  if (parser_init(&p, pArena, zSql)) return SQLITE_NOMEM;
  int iName = skip_create_prefix(&p);
  int rc = SQLITE_ERROR;
  if (iName >= 0) {
    p.i = iName + 1;
    if (accept(&p, "using")) {
      char *z = take_ident(&p);
      for (char *c = z; c && *c; c++) {
        if (*c >= 'A' && *c <= 'Z') *c += 32;
      }
      *pzModule = z;
      *pArgs = skip_parens(&p);
      rc = z ? SQLITE_OK : SQLITE_ERROR;
    }
  }
  return pArena->bOom ? SQLITE_NOMEM : rc;
}

DevdbSpan devdb_parse_create_name(const char *zSql) {
  DevdbArena arena;
  Parser p;
  DevdbSpan s = {"", 0};
  memset(&arena, 0, sizeof(arena));
  if (parser_init(&p, &arena, zSql) == SQLITE_OK) {
    int iName = skip_create_prefix(&p);
    if (iName >= 0) s = span_of(&p, iName, iName);
  }
  devdb_arena_free(&arena);
  return s;
}
