/*
** devdb.h: the internal API the areas of the devdb extension share.
**
** Every ext/<area>.c includes this header. ext/devdb.c holds the one
** SQLITE_EXTENSION_INIT1 and the entry point; the other files see the API
** routines through SQLITE_EXTENSION_INIT3 below. Built with -DSQLITE_CORE the
** same sources link statically into the shell and the test programs.
*/
#ifndef DEVDB_H
#define DEVDB_H

#include "sqlite3ext.h"
#ifndef DEVDB_MAIN
SQLITE_EXTENSION_INIT3
#endif

#include <stddef.h>

#ifndef DEVDB_VERSION
#define DEVDB_VERSION "0.0.0"
#endif

/* The three flag sets every function registration picks one of. */
#define DEVDB_PURE (SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS)
#define DEVDB_VOLATILE (SQLITE_UTF8 | SQLITE_INNOCUOUS)
#define DEVDB_SIDE_EFFECT (SQLITE_UTF8 | SQLITE_DIRECTONLY)

/* One row of an area's function table. */
typedef struct DevdbFunc {
  const char *zName;
  int nArg;
  int flags;
  void (*xFunc)(sqlite3_context *, int, sqlite3_value **);
} DevdbFunc;

/* Register the n functions of a; returns the first error. Side-effect
** (DIRECTONLY) functions refuse to run while a statement that writes runs
** (a CHECK constraint would otherwise call them). */
int devdb_register_funcs(sqlite3 *db, const DevdbFunc *a, int n);

/* The register function of every area; ext/devdb.c calls them in order. */
int schema_register(sqlite3 *db);
int diff_register(sqlite3 *db);
int lint_register(sqlite3 *db);
int history_register(sqlite3 *db);
int migrate_register(sqlite3 *db);
int dedup_register(sqlite3 *db);
int reset_register(sqlite3 *db);
int fixture_register(sqlite3 *db);

/* ---------------------------------------------------------------- util.c */

/* Set a virtual table's error message (printf-style), freeing the old one. */
void devdb_vtab_error(sqlite3_vtab *pVtab, const char *zFmt, ...);
/* Report an error from a function: message built printf-style. */
void devdb_result_error(sqlite3_context *ctx, const char *zFmt, ...);
/* Finish a sqlite3_str and hand its text to the result (or report OOM). */
void devdb_result_str(sqlite3_context *ctx, sqlite3_str *p);

/* Run SQL built printf-style on db (sqlite3_exec). On error returns the
** code and, when pzErr is not NULL, an sqlite3_malloc'd message there. */
int devdb_exec(sqlite3 *db, char **pzErr, const char *zFmt, ...);
/* Prepare SQL built printf-style. Returns an SQLite code; *ppStmt is NULL on
** error and the message is left on db. */
int devdb_prepare(sqlite3 *db, sqlite3_stmt **ppStmt, const char *zFmt, ...);
/* The integer from the first column of the first row of a query built
** printf-style, or iDefault when there is no row or an error. */
sqlite3_int64 devdb_query_int(sqlite3 *db, sqlite3_int64 iDefault, const char *zFmt, ...);
/* The same with its outcome: an SQLite code, and *pVal the integer (iDefault
** when there is no row). For a read whose failure must not pass for an
** answer (a lock or an I/O error is no "0 rows"). */
int devdb_query_int_rc(sqlite3 *db, sqlite3_int64 iDefault, sqlite3_int64 *pVal,
                       const char *zFmt, ...);
/* Milliseconds on a monotonic clock. */
sqlite3_int64 devdb_now_ms(void);
/* Run zSql (sqlite3_exec), retrying while the database is busy or locked
** until msTimeout ms have passed: how devdb waits for the write lock
** (BEGIN IMMEDIATE) and for COMMIT. Returns the last try's code. */
int devdb_exec_retry(sqlite3 *db, int msTimeout, const char *zSql);

/* Case-insensitive ASCII comparison of two identifiers (SQLite's rule). */
int devdb_stricmp(const char *a, const char *b);
int devdb_strnicmp(const char *a, const char *b, int n);

/* Read a whole file into an sqlite3_malloc'd, NUL-terminated buffer. Returns
** NULL and a message in *pzErr (naming the file) on failure. */
char *devdb_read_file(const char *zPath, sqlite3_int64 *pnByte, char **pzErr);
/* The same for a text file (SQL, CSV, JSON): a NUL byte in it is an error,
** "error in <zLabel>: a NUL byte at offset N". */
char *devdb_read_text_file(const char *zPath, const char *zLabel, char **pzErr);
/* 1 when zPath is a directory, 2 a regular file, 0 neither or missing. */
int devdb_path_kind(const char *zPath);
/* 1 when zPath ends with zSuffix, compared without case. */
int devdb_has_suffix(const char *zPath, const char *zSuffix);

/* Options of the comma-separated form "word,key:value,..." (devdb_apply). */
/* 1 when the list zOpts holds the word zWord exactly. */
int devdb_opt_has(const char *zOpts, const char *zWord);

/* An arena: many small allocations freed together. Used by the schema
** model, whose strings and arrays live as long as the model. */
typedef struct DevdbArenaChunk DevdbArenaChunk;
typedef struct DevdbArena {
  DevdbArenaChunk *pChunk;
  int bOom; /* set once an allocation failed */
  /* scratch space reused by the text helpers that work in an arena */
  sqlite3_str *pStr;
  struct DevdbToken *aTok;
  int nTokAlloc;
} DevdbArena;
void *devdb_arena_alloc(DevdbArena *p, size_t n);               /* zeroed; NULL on OOM */
char *devdb_arena_strndup(DevdbArena *p, const char *z, int n); /* n<0: strlen */
/* Append a zeroed element of size sz to an arena array that doubles as it
** grows; *pn is its count. Returns the new element, NULL on OOM. */
void *devdb_arena_push(DevdbArena *p, void **pa, int *pn, size_t sz);
char *devdb_arena_printf(DevdbArena *p, const char *zFmt, ...);
void devdb_arena_free(DevdbArena *p);
/* 1 when devdb may work in threads of its own: SQLite is not in
** single-thread mode (each thread then uses only its own connection, or
** none but sqlite3_malloc), and DEVDB_THREADS=0 does not forbid it (the
** fault harness sets it: the order of allocations must not depend on
** threads). */
int devdb_threads_ok(void);
/* *pbWal gets 1 when schema zSchema of db is in WAL mode. A failed read is
** an error (SQLite's code), never taken for "not WAL". */
int devdb_is_wal(sqlite3 *db, const char *zSchema, int *pbWal);
/* Move every allocation of pFrom into p (they live as long as p); pFrom is
** left empty. */
void devdb_arena_adopt(DevdbArena *p, DevdbArena *pFrom);

/* A hash map from a case-folded name to a pointer (names are borrowed). */
typedef struct DevdbMap {
  int nSlot, nUsed;
  const char **azKey;
  void **apVal;
} DevdbMap;
int devdb_map_put(DevdbMap *p, const char *zKey, void *pVal); /* SQLITE_NOMEM */
void *devdb_map_get(const DevdbMap *p, const char *zKey);
void devdb_map_clear(DevdbMap *p);

/* --------------------------------------------------------------- token.c */

/* Token kinds of SQLite's SQL, as devdb's tokenizer sees them. */
enum {
  DEVDB_TK_EOF = 0,
  DEVDB_TK_SPACE,   /* whitespace */
  DEVDB_TK_COMMENT, /* -- ... or / * ... * / */
  DEVDB_TK_WORD,    /* a bare word: keyword or identifier */
  DEVDB_TK_QUOTED,  /* "id", [id] or `id` */
  DEVDB_TK_STRING,  /* 'text' */
  DEVDB_TK_NUMBER,
  DEVDB_TK_BLOB,     /* x'00ff' */
  DEVDB_TK_VARIABLE, /* ? ?1 :a @a $a */
  DEVDB_TK_LP,
  DEVDB_TK_RP,
  DEVDB_TK_COMMA,
  DEVDB_TK_SEMI,
  DEVDB_TK_DOT,
  DEVDB_TK_OP,     /* any other operator */
  DEVDB_TK_ILLEGAL /* an unterminated string or comment, a stray byte */
};

typedef struct DevdbToken {
  int eType;
  const char *z; /* start of the token in the input */
  int n;         /* length in bytes */
} DevdbToken;

/* The length of the token at z and its kind in *peType. */
int devdb_token_len(const char *z, int *peType);

/* A cursor over the significant tokens (no spaces or comments) of z[0..n). */
typedef struct DevdbLexer {
  const char *z;
  int n, i;
} DevdbLexer;
void devdb_lexer_init(DevdbLexer *p, const char *z, int n);
/* The next significant token; eType DEVDB_TK_EOF at the end. */
DevdbToken devdb_lexer_next(DevdbLexer *p);
/* The significant tokens of z[0..n) (n<0: strlen) in an sqlite3_malloc'd
** array (caller frees). Returns the count, or -1 on OOM. */
int devdb_tokens(const char *z, int n, DevdbToken **paTok);
/* The same into the arena's scratch token array, valid until the next call
** that uses the scratch (devdb_sql_norm, the parsers). */
int devdb_arena_tokens(DevdbArena *p, const char *z, int n, DevdbToken **paTok);
/* 1 when the token is the bare word zWord (any case). */
int devdb_token_is(const DevdbToken *t, const char *zWord);
/* The identifier a WORD, QUOTED or STRING token names, unquoted, in an
** sqlite3_malloc'd string (caller frees); NULL on OOM. */
char *devdb_token_ident(const DevdbToken *t);
/* The same, written to zOut (t->n + 1 bytes); returns its length. */
int devdb_token_unquote(const DevdbToken *t, char *zOut);
/* The same, in an arena. */
char *devdb_arena_ident(DevdbArena *p, const DevdbToken *t);

/* Append identifier zId to p in canonical form: folded to lower case,
** quoted only when it could not be written bare (a keyword, a space...). */
void devdb_str_ident(sqlite3_str *p, const char *zId);
/* Append zText as a JSON string literal (quotes and escapes), or null. */
void devdb_str_json(sqlite3_str *p, const char *zText);

/* The canonical form of a SQL fragment: comments and insignificant space
** dropped, bare keywords upper case, identifiers (and quoted keywords) folded
** to lower case and quoted only where needed, one space between tokens by fixed rules,
*outer
** parentheses of the whole fragment removed when bStripParens. Two fragments
** that SQLite reads the same way (up to identifier case and quoting) give
** the same text. Returned in the arena; NULL on OOM. */
char *devdb_sql_norm(DevdbArena *pArena, const char *z, int n, int bStripParens);

/* --------------------------------------------------------------- parse.c */

/* What the text of a CREATE TABLE says that no PRAGMA shows. Spans point
** into the statement text; names are arena strings, unquoted. */
typedef struct DevdbSpan {
  const char *z;
  int n;
} DevdbSpan;

typedef struct DevdbParsedFk {
  char *zName;
  int nFrom;
  char **azFrom; /* child columns (one for a column constraint) */
  char *zParent;
  int nTo;
  char **azTo;
  char *zMatch;      /* the MATCH name, or NULL */
  char *zDeferrable; /* "DEFERRABLE INITIALLY DEFERRED" ..., or NULL */
} DevdbParsedFk;

typedef struct DevdbParsedKey { /* a PRIMARY KEY or UNIQUE constraint */
  int bPrimary;
  char *zName;
  char *zConflict;
  int nCol;
  char **azCol;
  int bDesc;    /* single-column PRIMARY KEY DESC */
  int bAutoinc; /* AUTOINCREMENT */
  int bInline;  /* written on the column (PRIMARY KEY DESC there is no rowid alias) */
} DevdbParsedKey;

typedef struct DevdbParsedCheck {
  char *zName;
  char *zCol; /* NULL for a table constraint */
  DevdbSpan expr;
} DevdbParsedCheck;

typedef struct DevdbParsedCol {
  char *zName;
  DevdbSpan def;  /* the whole column definition */
  DevdbSpan type; /* the declared type */
  char *zCollate; /* upper case, or NULL */
  char *zNotNullConflict;
  int eGen;      /* DEVDB_GEN_* */
  DevdbSpan gen; /* the generated expression, inside its parentheses */
} DevdbParsedCol;

typedef struct DevdbParsedTable {
  DevdbSpan name; /* the table name token in the statement */
  int nCol;
  DevdbParsedCol *aCol;
  int nKey;
  DevdbParsedKey *aKey; /* PRIMARY KEY and UNIQUE, in text order */
  int nCheck;
  DevdbParsedCheck *aCheck;
  int nFk;
  DevdbParsedFk *aFk; /* in text order */
  int bStrict, bWithoutRowid;
} DevdbParsedTable;

/* Parse a CREATE TABLE statement. Returns SQLITE_OK, SQLITE_NOMEM, or
** SQLITE_ERROR when zSql is not a CREATE TABLE with a column list. */
int devdb_parse_table(DevdbArena *pArena, const char *zSql, DevdbParsedTable *pOut);

typedef struct DevdbParsedIndexCol {
  DevdbSpan expr; /* the indexed expression (or column name) */
  char *zName;    /* the column name when expr is a single identifier */
  char *zCollate; /* upper case, or NULL */
  int bDesc;
} DevdbParsedIndexCol;

typedef struct DevdbParsedIndex {
  DevdbSpan name;
  int bUnique; /* CREATE UNIQUE INDEX */
  int nCol;
  DevdbParsedIndexCol *aCol;
  DevdbSpan where; /* empty when not partial */
} DevdbParsedIndex;

/* Parse a CREATE INDEX statement. */
int devdb_parse_index(DevdbArena *pArena, const char *zSql, DevdbParsedIndex *pOut);

/* Parse CREATE VIRTUAL TABLE: the module name (lower case) and the span of
** the arguments inside the parentheses (empty when there are none). */
int devdb_parse_vtab(DevdbArena *pArena, const char *zSql, char **pzModule,
                     DevdbSpan *pArgs);

/* The span of the name of the object a CREATE statement creates (after
** TEMP, IF NOT EXISTS and any schema prefix), or an empty span. */
DevdbSpan devdb_parse_create_name(const char *zSql);

/* -------------------------------------------------------------- source.c */

/* What a source names (see DESIGN.md). */
enum {
  DEVDB_SRC_SCHEMA = 1, /* a schema of the calling connection */
  DEVDB_SRC_DBFILE,     /* a SQLite database file, opened read-only */
  DEVDB_SRC_SQLFILE,    /* a .sql file run into a scratch database */
  DEVDB_SRC_SQLTEXT,    /* SQL text run into a scratch database */
  DEVDB_SRC_MIGRATIONS, /* a migrations directory run into a scratch database */
  DEVDB_SRC_EMPTY       /* '' : the empty schema */
};

typedef struct DevdbSource {
  sqlite3 *db;   /* the connection that holds the schema */
  char *zSchema; /* its schema name in db (sqlite3_malloc'd) */
  int eKind;     /* DEVDB_SRC_* */
  int bOwned;    /* db was opened for this source; closed by close */
  char *zLabel;  /* how messages name the source (sqlite3_malloc'd) */
} DevdbSource;

/* Which kind of source zSource is (DEVDB_SRC_*), or 0 when it names nothing. */
int devdb_source_kind(sqlite3 *db, const char *zSource);
/* Resolve zSource against the calling connection db. On error returns an
** SQLite code and an sqlite3_malloc'd message naming the source. */
int devdb_source_open(sqlite3 *db, const char *zSource, DevdbSource *pSrc, char **pzErr);
void devdb_source_close(DevdbSource *pSrc);
/* A fresh in-memory scratch connection, locked down (no ATTACH, no
** extension loading, defensive, untrusted schema). */
int devdb_scratch_open(sqlite3 **pDb, char **pzErr);

/* Run the up-migrations of directory zDir, in order, into db. Provided by
** the migrations area; returns SQLITE_ERROR with a message when the
** directory cannot be read or a migration fails. */
int devdb_migrations_build(sqlite3 *db, const char *zDir, char **pzErr);

/* -------------------------------------------------------------- schema.c */

/* Generated-column kinds. */
enum { DEVDB_GEN_NONE = 0, DEVDB_GEN_VIRTUAL = 1, DEVDB_GEN_STORED = 2 };

typedef struct DevdbColumn {
  char *zName;
  char *zType;      /* declared type, normalised ("VARCHAR(255)"); "" if none */
  const char *zAff; /* affinity: INTEGER, TEXT, BLOB, REAL or NUMERIC */
  int bNotNull;
  char *zNotNullConflict; /* ON CONFLICT of NOT NULL, upper case; NULL = default */
  char *zDefault;         /* normalised DEFAULT expression; NULL when none */
  char *zCollate;         /* declared collation, upper case; NULL = BINARY */
  int eGen;               /* DEVDB_GEN_* */
  char *zGenExpr;         /* normalised generated expression */
  int bHidden;            /* a hidden column of a virtual table */
  int iPk;                /* 1-based position in the primary key, 0 if none */
  char *zDef;             /* the whole normalised definition, for display and compare */
} DevdbColumn;

typedef struct DevdbCheck {
  char *zName; /* constraint name or NULL */
  char *zExpr; /* normalised expression */
  char *zCol;  /* column it was written on, NULL at table level (not compared) */
} DevdbCheck;

typedef struct DevdbForeignKey {
  char *zName; /* constraint name or NULL */
  int nCol;
  char **azFrom;   /* child columns */
  char **azTo;     /* parent columns; resolved to the parent's key when omitted */
  int bToImplicit; /* the parent columns were omitted in the text */
  char *zParent;   /* parent table */
  char *zOnDelete; /* NO ACTION, CASCADE, SET NULL, SET DEFAULT, RESTRICT */
  char *zOnUpdate;
  char *zMatch;      /* MATCH name or NULL */
  char *zDeferrable; /* e.g. "DEFERRABLE INITIALLY DEFERRED"; NULL = not */
  char *zDef;        /* normalised definition */
} DevdbForeignKey;

typedef struct DevdbIndexColumn {
  char *zName;    /* column name; NULL for an expression */
  char *zExpr;    /* normalised expression when zName is NULL */
  char *zCollate; /* collation, upper case; NULL when the column's default */
  int bDesc;
} DevdbIndexColumn;

/* Index origins, as PRAGMA index_list reports them. */
enum { DEVDB_IDX_CREATE = 'c', DEVDB_IDX_UNIQUE = 'u', DEVDB_IDX_PK = 'p' };

typedef struct DevdbIndex {
  char *zName; /* sqlite_autoindex_... for constraint indexes */
  char *zTable;
  char *zSql; /* CREATE INDEX text; NULL for constraint indexes */
  int bUnique;
  int eOrigin;  /* DEVDB_IDX_* */
  char *zWhere; /* normalised WHERE of a partial index, or NULL */
  int nCol;
  DevdbIndexColumn *aCol;
  char *zConstraint; /* CONSTRAINT name of a UNIQUE constraint, or NULL */
  char *zConflict;   /* ON CONFLICT of a UNIQUE constraint, or NULL */
  char *zDef;        /* normalised definition */
} DevdbIndex;

/* Table kinds. */
enum { DEVDB_TABLE = 1, DEVDB_VIRTUAL = 2 };

typedef struct DevdbTable {
  char *zName;
  char *zSql; /* the CREATE statement as stored */
  int eKind;  /* DEVDB_TABLE or DEVDB_VIRTUAL */
  int bStrict, bWithoutRowid, bAutoinc;
  int iRowidAlias;   /* column index of the INTEGER PRIMARY KEY alias, or -1 */
  char *zPkName;     /* CONSTRAINT name of the primary key, or NULL */
  char *zPkConflict; /* ON CONFLICT of the primary key, or NULL */
  int bPkDesc;       /* PRIMARY KEY DESC on a single column */
  char *zModule;     /* virtual tables: module name, lower case */
  char *zArgs;       /* virtual tables: the argument text, normalised */
  int nCol;
  DevdbColumn *aCol;
  int nCheck;
  DevdbCheck *aCheck;
  int nFk;
  DevdbForeignKey *aFk;
  int nIndex;
  DevdbIndex **apIndex; /* every index of the table, constraint ones included */
  char *zDef;           /* normalised table options: "STRICT, WITHOUT ROWID" */
  int bError;           /* the table could not be read (module missing) */
  char *zError;
} DevdbTable;

typedef struct DevdbView {
  char *zName;
  char *zSql;
  char *zDef; /* normalised CREATE VIEW */
  int nDep;
  char **azDep; /* tables and views it names */
} DevdbView;

typedef struct DevdbTrigger {
  char *zName;
  char *zTable;
  char *zSql;
  char *zDef; /* normalised CREATE TRIGGER */
  int nDep;
  char **azDep; /* tables and views it names, its own table included */
} DevdbTrigger;

typedef struct DevdbSchema {
  DevdbArena arena;
  int nTable;
  DevdbTable *aTable; /* user tables, in sqlite_schema order */
  int nIndex;
  DevdbIndex *aIndex; /* explicit and constraint indexes */
  int nView;
  DevdbView *aView;
  int nTrigger;
  DevdbTrigger *aTrigger;
  int nShadow;
  char **azShadow; /* shadow tables of virtual tables (not listed as tables) */
  DevdbMap mTable, mIndex, mView, mTrigger; /* by name, any case */
} DevdbSchema;

/* Load the model of schema zSchema of db. On error returns an SQLite code
** and an sqlite3_malloc'd message. Free with devdb_schema_free. */
int devdb_schema_load(sqlite3 *db, const char *zSchema, DevdbSchema **ppOut,
                      char **pzErr);
/* Resolve a source and load its model in one step. */
int devdb_schema_load_source(sqlite3 *db, const char *zSource, DevdbSchema **ppOut,
                             char **pzErr);
/* For tests: how many model loads have read their text in a thread. */
int devdb_model_text_threads(void);
void devdb_schema_free(DevdbSchema *p);

DevdbTable *devdb_schema_table(const DevdbSchema *p, const char *zName);
DevdbIndex *devdb_schema_index(const DevdbSchema *p, const char *zName);
DevdbView *devdb_schema_view(const DevdbSchema *p, const char *zName);
DevdbTrigger *devdb_schema_trigger(const DevdbSchema *p, const char *zName);
/* The column of pTab named zName (any case), or NULL. */
DevdbColumn *devdb_table_column(const DevdbTable *pTab, const char *zName);

/* The affinity SQLite gives a declared type (datatype3.html §3.1). */
const char *devdb_affinity(const char *zType);

/* --------------------------------------------------------------- diff.c */

/*
** The schema diff area: plan.c compares two schema models and plans the
** SQL; diff.c shows a plan (devdb_diff, devdb_diff_sql); apply.c runs one
** (devdb_apply, devdb_add_column).
*/

/* What a change risks (DevdbChange.mRisk). */
#define DEVDB_RISK_DATA_LOSS 0x01 /* rows or non-NULL values would go */
#define DEVDB_RISK_WILL_FAIL 0x02 /* the existing data makes the change fail */
#define DEVDB_RISK_REBUILD 0x04   /* the table is copied into a new one */
#define DEVDB_RISK_CASCADE 0x08   /* a parent of ON DELETE action children is rebuilt */
/* The counts devdb_plan_build makes: the DEVDB_RISK_* bits, and warnings. */
#define DEVDB_COUNT_WARNING 0x100
#define DEVDB_COUNT_ALL 0xfff

/* One row of a plan: one change, in the order it must be applied. */
typedef struct DevdbChange {
  const char *zKind;   /* table, column, primary_key, unique, check, foreign_key,
                          index, view, trigger, virtual_table */
  const char *zChange; /* create, drop, add, alter, rename, rebuild, rename? */
  char *zName;         /* the object (NULL for an unnamed constraint) */
  char *zTbl;          /* its table */
  char *zDetail;       /* a sentence a person understands */
  char *zRisk;         /* "will-fail: ...; rebuild: ..." or NULL */
  char *zSql;          /* statements, each ending ";\n"; NULL when another row does it */
  int mRisk;           /* DEVDB_RISK_* */
  int iMinVersion;     /* the SQLite version its SQL needs (3035000), 0 any */
} DevdbChange;

typedef struct DevdbPlan {
  DevdbArena arena;
  int nChange, nAlloc;
  DevdbChange *aChange;
  int bFkOff;        /* rebuilds or drops tables: foreign keys must be off */
  int nFkTable;      /* tables whose foreign keys are checked after the change */
  char **azFkTable;  /* their names in the target */
  char **azFkSource; /* the same tables' names in the source (NULL: new) */
  char *zSchema;     /* the schema the SQL names (main for files and SQL text) */
  char *zSource;     /* how the source and the target were named */
  char *zTarget;
} DevdbPlan;

/*
** Plan the change from model pFrom to model pTo. db holds pFrom as schema
** zSchema, for the risk counts over live data (NULL: no counts). zOpts is
** the option list of devdb_apply (rename hints, allow-data-loss,
** sqlite-version:X.Y.Z). mCount says which risks to count (DEVDB_COUNT_*).
** On error returns an SQLite code and an sqlite3_malloc'd message.
*/
int devdb_plan_build(sqlite3 *db, const char *zSchema, const DevdbSchema *pFrom,
                     const DevdbSchema *pTo, const char *zOpts, int mCount,
                     DevdbPlan **ppPlan, char **pzErr);
/* Both sides of a diff, loaded: the source stays open for the counts. */
typedef struct DevdbDiffInput {
  DevdbSource from, to;
  DevdbSchema *pFrom, *pTo;
} DevdbDiffInput;
/* Resolve and load both sources, the second in a worker thread when it
** opens a connection of its own. Free with devdb_diff_unload. */
int devdb_diff_load(sqlite3 *db, const char *zFrom, const char *zTo, DevdbDiffInput *pIn,
                    char **pzErr);
void devdb_diff_unload(DevdbDiffInput *pIn);
/* Resolve and load both sources (in parallel when that can help) and plan. */
int devdb_plan_sources(sqlite3 *db, const char *zFrom, const char *zTo, const char *zOpts,
                       DevdbPlan **ppPlan, char **pzErr);
void devdb_plan_free(DevdbPlan *p);
/* The whole plan as a script for the sqlite3 CLI (sqlite3_malloc'd; "" when
** there is nothing to do); NULL on OOM. */
char *devdb_plan_script(const DevdbPlan *p);

/* Options of the comma-separated list zOpts, validated. */
typedef struct DevdbRenameHint {
  char *zTbl; /* the table of a column rename, NULL for a table rename */
  char *zOld, *zNew;
} DevdbRenameHint;
typedef struct DevdbDiffOpts {
  int bAllowDataLoss;
  int iVersion; /* the SQLite version to plan for: the library's by default */
  int nRename;
  DevdbRenameHint *aRename;
} DevdbDiffOpts;
/* Parse zOpts into pOpts (strings in pArena). SQLITE_ERROR and a message
** naming the bad option. */
int devdb_diff_opts(DevdbArena *pArena, const char *zOpts, DevdbDiffOpts *pOpts,
                    char **pzErr);

/* apply.c: devdb_apply and devdb_add_column, registered by diff_register. */
int apply_register(sqlite3 *db);

/* --------------------------------------------------------------- lint.c */

/* Severities of a lint finding, in the order devdb_lint reports them. */
enum { DEVDB_LINT_ERROR = 0, DEVDB_LINT_WARNING = 1, DEVDB_LINT_INFO = 2 };

typedef struct DevdbFinding {
  int eSeverity;     /* DEVDB_LINT_* */
  const char *zRule; /* static kebab-case id, e.g. "fk-type-mismatch" */
  char *zObject;     /* what it is about: "t", "t.c", "t(a, b)", an index ... */
  char *zDetail;     /* a sentence */
  char *zFix;        /* SQL or a sentence; NULL when there is none */
} DevdbFinding;

/* The findings of one lint run; strings live in the arena. */
typedef struct DevdbLint {
  DevdbArena arena;
  DevdbFinding *aFinding;
  int nFinding, nAlloc;
  int rc;     /* the first error that is not a finding: the run fails with it */
  char *zErr; /* its message (sqlite3_malloc'd) */
} DevdbLint;

/* Record a finding. zObject, zDetail and zFix are arena strings (or NULL);
** a NULL zDetail means an allocation failed, which sets arena.bOom. */
void devdb_lint_add(DevdbLint *p, int eSeverity, const char *zRule, char *zObject,
                    char *zDetail, char *zFix);
/* Record rc, from a call on db, when it is an error that is not a finding:
** anything but OK, ERROR (a name that does not resolve, which the rules
** report), ROW and DONE; out of memory, I/O, corruption, a lock. Returns 1
** when the run has failed (now or before): its findings would be wrong. */
int devdb_lint_check(DevdbLint *p, sqlite3 *db, int rc);
/* The integer of the first row of a query built printf-style into *pVal.
** Returns SQLITE_OK, SQLITE_ERROR when the query does not prepare or run
** (not recorded), or an error recorded with devdb_lint_check. */
int devdb_lint_query_int(DevdbLint *p, sqlite3 *db, sqlite3_int64 *pVal, const char *zFmt,
                         ...);
/* "a, b" (bSql: "\"a\", \"b\"") of n names, in the lint's arena. */
char *devdb_lint_names(DevdbLint *p, char *const *az, int n, int bSql);

/* The rules that read only the model, in one pass (lint_rules.c). */
void devdb_lint_model(DevdbLint *p, const DevdbSchema *pS);
/* Views and triggers that do not resolve, double-quoted string literals
** (lint_resolve.c): prepares on db (schema zSchema holds pS) and on a
** scratch copy of the objects with SQLITE_DBCONFIG_DQS_DDL/DML off. */
int devdb_lint_resolve(DevdbLint *p, sqlite3 *db, const char *zSchema,
                       const DevdbSchema *pS);
/* Existing foreign_key_check violations of schema zSchema of db, counted
** per foreign key (lint_data.c). */
int devdb_lint_fk_check(DevdbLint *p, sqlite3 *db, const char *zSchema,
                        const DevdbSchema *pS);
/* What will fail when the tables of pSrc replace the tables of the same
** name in db's main (whose model is pMain), counted from main's rows
** (lint_data.c). */
int devdb_lint_data(DevdbLint *p, sqlite3 *db, const DevdbSchema *pSrc,
                    const DevdbSchema *pMain);

/* ------------------------------------------------------------ history.c */

/* A framework's history table found in a schema. */
typedef struct DevdbHistTable {
  char *zTable;        /* its name (sqlite3_malloc'd) */
  const char *zTool;   /* "dbmate", "django", ... (static) */
  const char *zSelect; /* its reader (static; see devdb_history_query) */
} DevdbHistTable;

/* The history tables of schema zSchema, in sqlite_schema order, found by
** their columns. bAll 0 looks at the tools' default table names first and
** scans every table only when none is there. Free with devdb_history_free. */
int devdb_history_find(sqlite3 *db, const char *zSchema, int bAll, DevdbHistTable **paTab,
                       int *pnTab, char **pzErr);
void devdb_history_free(DevdbHistTable *a, int n);
/* The same tables of a schema model, found by the model's columns (no
** query): written to apOut (room for pS->nTable), their number returned. */
int devdb_history_in_model(const DevdbSchema *pS, const DevdbTable **apOut);
/* Prepare the normalised reader of one table: one row per migration with
** the columns app, version, name, applied_at, state, checksum, extra. */
int devdb_history_query(sqlite3 *db, const char *zSchema, const DevdbHistTable *p,
                        sqlite3_stmt **ppStmt);
/* The same reader as SQL text (sqlite3_malloc'd), to wrap in a query. */
char *devdb_history_sql(const char *zSchema, const DevdbHistTable *p);

/* ----------------------------------------------------------- checksum.c */

/* SHA-256 of n bytes into aOut[32]; as 64 hex digits and a NUL into zOut[65]. */
void devdb_sha256(const void *pData, size_t n, unsigned char *aOut);
void devdb_sha256_hex(const void *pData, size_t n, char *zOut);
/* Set to 1, the portable code runs even where the CPU has SHA instructions
** (for the tests of both). */
extern int devdb_sha256_portable;
/* Flyway's checksum of a script (CRC-32 over its lines without terminators). */
int devdb_flyway_crc32(const char *z, size_t n);

/* ------------------------------------------------- migrate.c, migfile.c */

/* Migrations directory formats (migfile.c says how each is told). */
enum {
  DEVDB_FMT_PLAIN = 1, /* NNN_name.sql, the whole file is the up migration */
  DEVDB_FMT_DBMATE,    /* -- migrate:up / -- migrate:down */
  DEVDB_FMT_GOOSE,     /* -- +goose Up / -- +goose Down */
  DEVDB_FMT_GOLANG,    /* N_name.up.sql / N_name.down.sql */
  DEVDB_FMT_FLYWAY     /* V1__name.sql, U1__name.sql, R__name.sql */
};

/* One statement of a section: offset and length in the section's text and
** the line (in the file) of its first significant token. */
typedef struct DevdbMigStmt {
  int iOff, n, iLine;
} DevdbMigStmt;

/* An up or down section of a migration file. */
typedef struct DevdbMigSection {
  char *zSql; /* the section's text */
  int iLine;  /* the file line it starts on */
  int bNoTx;  /* opted out of the transaction */
  int bSplit; /* aStmt is filled (devdb_migdir_split) */
  int nStmt;
  DevdbMigStmt *aStmt;
} DevdbMigSection;

typedef struct DevdbMigration {
  char *zVersion;  /* "20240101120000", "1.2"; NULL for a repeatable */
  char *zName;     /* the name part of the file name */
  char *zFile;     /* the (up) file's name in the directory */
  char *zDownFile; /* a separate down file (golang-migrate, Flyway U), or NULL */
  char *zText;     /* the (up) file's bytes */
  int nText;
  int nUp, nDown;
  DevdbMigSection *aUp, *aDown;
  int bNoTx;          /* the up migration runs outside a transaction */
  int bLoaded;        /* the fields below and the sections are filled */
  char zChecksum[65]; /* SHA-256 of the file's bytes, hex */
  char zStat[48];     /* "size:mtime" of the file when it was read */
} DevdbMigration;

typedef struct DevdbMigDir {
  DevdbArena arena; /* every string and section */
  char *zDir;
  int eFormat; /* DEVDB_FMT_* */
  int nMig, nAlloc;
  DevdbMigration *aMig; /* by version; repeatables last */
} DevdbMigDir;

/* Read the migrations directory zDir: its format and its files' names and
** versions (a file's content is read when first needed, by
** devdb_migdir_content). On error an SQLite code and an sqlite3_malloc'd
** message naming the file. */
int devdb_migdir_load(const char *zDir, DevdbMigDir **pp, char **pzErr);
void devdb_migdir_free(DevdbMigDir *p);
/* Read and parse pM's file (and its down file), and its checksum. On error
** an SQLite code and a message naming the file and line. */
int devdb_migdir_content(DevdbMigDir *p, DevdbMigration *pM, char **pzErr);
/* The file's "size:mtime" into zOut[48] (as read, or from stat()). */
int devdb_migdir_stat(DevdbMigDir *p, DevdbMigration *pM, char *zOut);
/* Split sections into statements (done when first needed). */
int devdb_migdir_split(DevdbMigDir *p, DevdbMigSection *aSec, int nSec);
const char *devdb_migdir_format_name(int eFormat);
/* Compare two versions as numbers, part by part ("1.10" > "1.9", "007" = "7"). */
int devdb_version_cmp(const char *a, const char *b);
/* How long devdb_apply and devdb_add_column wait for the write lock
** (devdb_exec_retry), in ms. */
#define DEVDB_LOCK_WAIT_MS 10000

/* -------------------------------------------------------------- dedup.c */

/*
** Count the duplicate groups that a UNIQUE index on zCols of table zTbl in
** schema zSchema would fail on, grouping as that index compares: rows with
** a NULL in any key column are never duplicates, and each column compares
** with its declared collation or one given in zCols ("email COLLATE
** NOCASE, user_id"). *pnGroups gets the number of groups, *pnRows (when not
** NULL) the number of rows in them beyond the first of each. On error an
** SQLite code and an sqlite3_malloc'd message naming the table or column.
** Used by dedup, diff and lint.
*/
int devdb_dup_count(sqlite3 *db, const char *zSchema, const char *zTbl, const char *zCols,
                    sqlite3_int64 *pnGroups, sqlite3_int64 *pnRows, char **pzErr);

/*
** The grouping engine (dupgroup.c) behind devdb_duplicates, devdb_dedup and
** devdb_dup_count. A spec names the table, the key (as a UNIQUE index on
** zCols would compare it) and the keep policy: NULL or "first" (lowest
** rowid, or primary key), "last", or an ordering "col [COLLATE c]
** [ASC|DESC] [NULLS FIRST|LAST], ..." whose first row survives (ties: lowest
** rowid). zSchema NULL finds the table as SQLite resolves a name, then as
** "schema.table". Errors: an SQLite code and an sqlite3_malloc'd message
** ("no such table: t", "no such column: t.c", ...).
*/
typedef struct DevdbDupSpec DevdbDupSpec;
int devdb_dup_spec_new(sqlite3 *db, const char *zSchema, const char *zTbl,
                       const char *zCols, const char *zKeep, DevdbDupSpec **ppSpec,
                       char **pzErr);
void devdb_dup_spec_free(DevdbDupSpec *p);
const char *devdb_dup_spec_schema(const DevdbDupSpec *p); /* as the db spells it */
const char *devdb_dup_spec_table(const DevdbDupSpec *p);
/* 0 for a rowid table; else the number of primary key columns (the id). */
int devdb_dup_spec_npk(const DevdbDupSpec *p);
/* Column i of the id: a rowid alias (rowid, _rowid_ or oid) or a key column. */
const char *devdb_dup_spec_id(const DevdbDupSpec *p, int i);

/*
** A grouping in progress: duplicate groups come in batches. open reads the
** first batch, next the following ones (an empty batch with eof set ends
** it). In a batch, group g has nmember rows, member 0 the survivor, the
** others in ascending id order; a row's id is its rowid, or (WITHOUT
** ROWID) its primary key values encoded for devdb_dup_bind. Memory stays
** near a budget at any table size (see dupgroup.c). The scan statement is
** finished whenever a batch is handed out, except with collations other
** than BINARY, NOCASE and RTRIM (then a SQL query stays open).
*/
typedef struct DevdbDup DevdbDup;
int devdb_dup_open(sqlite3 *db, const DevdbDupSpec *pSpec, DevdbDup **pp, char **pzErr);
int devdb_dup_next(DevdbDup *p, char **pzErr);
void devdb_dup_close(DevdbDup *p);
int devdb_dup_eof(const DevdbDup *p);
/* 1 when a statement of the grouping stays open between batches (the SQL
** fallback): rows of the table must not be deleted until the end. */
int devdb_dup_busy(const DevdbDup *p);
int devdb_dup_ngroup(const DevdbDup *p);
int devdb_dup_nmember(const DevdbDup *p, int iGroup);
sqlite3_int64 devdb_dup_rowid(const DevdbDup *p, int iGroup, int iMember);
const unsigned char *devdb_dup_id(const DevdbDup *p, int iGroup, int iMember,
                                  int *pnByte);
/* Bind the nVal values of an encoded id to parameters iParam... */
int devdb_dup_bind(sqlite3_stmt *pStmt, int iParam, const unsigned char *pId, int nVal);

/* JSON of a group, appended to a growing text (rc: SQLITE_NOMEM); z has
** room for a NUL after its n bytes once anything has been appended. */
typedef struct DevdbDupText {
  char *z;
  sqlite3_int64 n, nAlloc;
  int rc;
} DevdbDupText;
void devdb_dup_json_key(const DevdbDup *p, int iGroup, DevdbDupText *t);
void devdb_dup_json_id(const DevdbDup *p, int iGroup, int iMember, DevdbDupText *t);
void devdb_dup_json_drops(const DevdbDup *p, int iGroup, DevdbDupText *t);

/* Register devdb_dup_scan(ptr, ...), the engine's scan callback
** (DIRECTONLY; useless without the pointer devdb binds). */
int devdb_dup_register(sqlite3 *db);

/* For tests: the memory budget of a scan in bytes, the bucket count, 1 to
** group through the SQL fallback, and the table size from which a worker
** thread hashes integer keys; 0 restores each default. */
void devdb_dup_test_limits(sqlite3_int64 nBudget, int nBuckets, int bFallback,
                           sqlite3_int64 nThreadRows);
/* For tests: 1 splits every scan that may be split whatever the table's
** size, -1 none, 0 restores the default (large tables). Returns how many
** scans were done split since the last call. */
int devdb_dup_test_split(int eMode);
/* The memory budget of a scan in bytes (48 MB unless a test set it). */
sqlite3_int64 devdb_dup_budget(void);

/* -------------------------------------------------------------- reset.c */

/* devdb's own table in a database: key/value rows; 'protected' holds the
** reason of the protection mark. Wipe keeps it, restore and revert carry
** the mark over. */
#define DEVDB_META_TABLE "_devdb_meta"

/* 1 when schema zSchema of db carries the protection mark; *pzReason gets
** its reason (sqlite3_malloc'd, caller frees; NULL when not protected). A
** mark that cannot be read gives 0 here: whatever acts on the mark uses
** devdb_check_protection, for which that is an error. */
int devdb_protected_reason(sqlite3 *db, const char *zSchema, char **pzReason);

/* The two modes of devdb_wipe. */
enum { DEVDB_WIPE_DATA = 1, DEVDB_WIPE_SCHEMA = 2 };

/* The tables a wipe of mode eMode keeps, found once (see devdb_wipe_keeps):
** open (an SQLite code: a schema that cannot be read is an error), ask for
** each table (names only, no query), close. */
typedef struct DevdbKeep {
  int eMode;
  int nHist;
  DevdbHistTable *aHist; /* devdb_history_find's tables and the local rule's */
} DevdbKeep;
int devdb_keep_open(sqlite3 *db, const char *zSchema, int eMode, DevdbKeep *p);
int devdb_keep_has(sqlite3 *db, const char *zSchema, const DevdbKeep *p,
                   const char *zTable);
void devdb_keep_close(DevdbKeep *p);

/* 1 when a wipe of mode eMode keeps the rows of table zTable of zSchema:
** _devdb_meta always; with DEVDB_WIPE_DATA also every migration history
** table devdb_history_find finds, and by a local rule of names and columns
** schema_migrations, ar_internal_metadata, django_migrations,
** goose_db_version, flyway_schema_history, alembic_version,
** __drizzle_migrations, _prisma_migrations, _sqlx_migrations,
** __diesel_schema_migrations, knex_migrations, __EFMigrationsHistory, and
** devdb's own tables (names starting devdb_ or _devdb_). */
int devdb_wipe_keeps(sqlite3 *db, const char *zSchema, const char *zTable, int eMode);

/* DEVDB_WIPE_DATA for "data" or NULL, DEVDB_WIPE_SCHEMA for "schema", else 0. */
int devdb_wipe_mode(const char *zMode);
/* How many tables of main a wipe of eMode empties or drops; -1 when the
** database cannot be read. */
sqlite3_int64 devdb_wipe_count(sqlite3 *db, int eMode);
/* devdb_wipe on db: checks (transaction, protection mark and zOpts), then
** the wipe; *pnTable gets devdb_wipe_count. */
int devdb_wipe_db(sqlite3 *db, int eMode, const char *zOpts, sqlite3_int64 *pnTable,
                  char **pzErr);
/* SQLITE_OK when zSchema of db is not protected or zOpts has
** 'allow-protected'; else an error "zFunc: the database is protected...".
** *pbMarked says whether the mark is there. */
int devdb_check_protection(sqlite3 *db, const char *zSchema, const char *zFunc,
                           const char *zOpts, int *pbMarked, char **pzErr);

/* Build, in a new in-memory connection *ppImg, what schema zSchema of db
** becomes after a wipe of mode eMode: same page size, encoding, auto_vacuum,
** application_id (and user_version for DATA); every object run from its
** stored CREATE text (DATA) or only _devdb_meta (SCHEMA); the rows and
** sqlite_sequence entries of the kept tables copied. On error an SQLite
** code and an sqlite3_malloc'd message; *ppImg is then NULL. */
int devdb_empty_image(sqlite3 *db, const char *zSchema, int eMode, sqlite3 **ppImg,
                      char **pzErr);

/* Replace schema zDest of pDest with schema zSrc of pSrc through the backup
** API in one step (one write transaction on pDest). pDest must be in
** autocommit mode. On error an SQLite code and a message. */
int devdb_copy_into(sqlite3 *pDest, const char *zDest, sqlite3 *pSrc, const char *zSrc,
                    char **pzErr);

/* What a file backup did. */
typedef struct DevdbBackupInfo {
  sqlite3_int64 nByte; /* size of the backup file */
  char *zPath;         /* where it is: sqlite3_malloc'd, the caller frees */
  int bMoved;          /* the file wipe moved the database file itself there */
  int bPageCopy;       /* copied as pages through SQLite's own file handle
                          under a read lock (rollback-journal files), not
                          through the backup API */
  double rCopyMs, rSyncMs, rCheckMs; /* time of each phase (the sync and the
                                     ** check run at the same time) */
} DevdbBackupInfo;

/*
** A verified backup of schema zSchema of db at zPath: written to a temp
** file beside it (zPath.tmp-PID), synced, checked with PRAGMA quick_check
** (integrity_check when zOpts has 'integrity'), renamed to zPath, and the
** directory synced. A rollback-journal database file is copied page by
** page under a read lock; WAL and in-memory databases through the backup
** API (both give a consistent snapshot while others write). Refuses inside
** an open transaction. Leftover temp files of dead processes are removed.
** On error an SQLite code and a message; nothing is left at zPath.
*/
int devdb_backup_file(sqlite3 *db, const char *zSchema, const char *zPath,
                      const char *zOpts, DevdbBackupInfo *pInfo, char **pzErr);

/* The same into directory zDir (created when missing) under a new name
** "STEM-YYYYMMDD-HHMMSS[-LABEL][-N].db" (STEM: the database file name
** without its extension; zLabel may be NULL); pInfo->zPath says which. */
int devdb_backup_dir(sqlite3 *db, const char *zSchema, const char *zDir,
                     const char *zLabel, const char *zOpts, DevdbBackupInfo *pInfo,
                     char **pzErr);

/* Open the backup file zPath read-only after checking it: a regular,
** non-empty file with a SQLite header whose size matches its page count,
** not the main database of db (db may be NULL), passing quick_check
** (integrity_check with 'integrity' in zOpts). */
int devdb_backup_open_checked(sqlite3 *db, const char *zPath, const char *zOpts,
                              sqlite3 **ppDb, char **pzErr);

/* Replace main of db with the checked backup zPath (devdb_restore). The
** protection mark of db refuses it unless zOpts has 'allow-protected'; the
** mark survives. *pnByte (may be NULL) gets the bytes restored. */
int devdb_restore_file(sqlite3 *db, const char *zPath, const char *zOpts,
                       sqlite3_int64 *pnByte, char **pzErr);

/* What the file wipe did. */
typedef struct DevdbWipeInfo {
  sqlite3_int64 nTable;   /* tables emptied (data) or dropped (schema) */
  DevdbBackupInfo backup; /* the backup taken first */
  int bFast;              /* 1: the file was swapped for the cached empty image */
  int bCacheHit;          /* the empty image came from the cache */
  int bLeftWal;           /* the old file was taken out of WAL mode for the swap */
} DevdbWipeInfo;

/*
** Wipe the database file zDbPath (zMode "data" or "schema", NULL is data)
** after a backup into zBackupDir, for the shell. No connection of this
** process may have the file open (close yours first, reopen after).
**
** Fast path: after a checkpoint (and leaving WAL for the old file), with a
** Linux write lease proving no other process has the file open, the
** database file itself becomes the backup (a hard link under
** zBackupDir, label "wipe") and a cached empty image of the same schema,
** with the kept rows of wipe('data'), takes its place by an atomic rename.
** The image is cached in zCacheDir (NULL: not cached) under a hash of the
** schema, the kept rows and the header settings; the first wipe of a schema
** builds it. Otherwise (another process has the file open, no lease, the
** backup folder on another file system) it takes a verified copy
** (devdb_backup_dir) and wipes through SQLite like devdb_wipe. Protection
** mark and zOpts as for devdb_wipe. pInfo->backup.zPath is the caller's.
*/
int devdb_wipe_file(const char *zDbPath, const char *zMode, const char *zBackupDir,
                    const char *zCacheDir, const char *zOpts, DevdbWipeInfo *pInfo,
                    char **pzErr);
/* devdb_wipe_file on a connection db the caller opened on zDbPath (its
** only connection to the file), which the call takes over and closes
** (NULL: it opens its own): what the caller already read of the schema is
** not read again. The shell hands over its connection this way. */
int devdb_wipe_file_on(sqlite3 *db, const char *zDbPath, const char *zMode,
                       const char *zBackupDir, const char *zCacheDir, const char *zOpts,
                       DevdbWipeInfo *pInfo, char **pzErr);

/*
** Put the image file zImage in place of the database file zDbPath, keeping
** the old file itself as the backup: a hard link under zBackupDir named
** with zLabel (pBackup->zPath, the caller's), then the image renamed over
** the database (moved when it can be, a copy left at zImage for next time).
** No connection of this process may have the file open. Taken only when a
** Linux write lease proves no other process has it open and no journal or
** WAL file holds bytes beside it: otherwise nothing changes and it returns
** DEVDB_SWAP_FALLBACK. The wipe and the shell's rebuild use it.
*/
#define DEVDB_SWAP_FALLBACK (-1)
int devdb_swap_image(const char *zDbPath, const char *zImage, const char *zBackupDir,
                     const char *zLabel, DevdbBackupInfo *pBackup, char **pzErr);

/* Register devdb_backups (backup.c); called by reset_register. */
int backup_register(sqlite3 *db);

/* ------------------------------------------------------------ fixture.c */

/* Load the fixture file zPath into main of db (devdb_load: .sql, .csv
** into zTbl or the table the file names, .json in Django's format or
** {"table": [rows]}), atomically in a savepoint. *pnRow (may be NULL) gets
** the rows loaded. On error an SQLite code and a message naming the file
** and the line or record. */
int devdb_load_file(sqlite3 *db, const char *zPath, const char *zTbl,
                    sqlite3_int64 *pnRow, char **pzErr);

/* Write the dump of source zSource (devdb_dump) piece by piece to
** xOut(pArg, text, bytes), which returns SQLITE_OK to go on. */
int devdb_dump_write(sqlite3 *db, const char *zSource,
                     int (*xOut)(void *, const char *, int), void *pArg, char **pzErr);

#endif /* DEVDB_H */
