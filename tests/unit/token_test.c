/*
** Unit tests for token.c and util.c internals: the tokenizer, the canonical
** form of SQL fragments, the arena, the name map and option lists.
*/
#include "devdb.h"
#include "unit.h"

static void test_tokens(void) {
  int e;
  CHECK_EQ_INT("token-string", devdb_token_len("'it''s' x", &e), 7);
  CHECK_EQ_INT("token-string-type", e, DEVDB_TK_STRING);
  CHECK_EQ_INT("token-quoted", devdb_token_len("\"a\"\"b\" x", &e), 6);
  CHECK_EQ_INT("token-quoted-type", e, DEVDB_TK_QUOTED);
  CHECK_EQ_INT("token-bracket-no-escape", devdb_token_len("[a]]b]", &e), 3);
  CHECK_EQ_INT("token-number-exp", devdb_token_len("1.5e-3+", &e), 6);
  CHECK_EQ_INT("token-hex", devdb_token_len("0x1F ", &e), 4);
  CHECK_EQ_INT("token-blob", devdb_token_len("x'00ff'", &e), 7);
  CHECK_EQ_INT("token-blob-type", e, DEVDB_TK_BLOB);
  CHECK_EQ_INT("token-bad-blob", (devdb_token_len("x'0'", &e), e), DEVDB_TK_ILLEGAL);
  CHECK_EQ_INT("token-comment", devdb_token_len("-- c\nx", &e), 4);
  CHECK_EQ_INT("token-block-comment", devdb_token_len("/* a */x", &e), 7);
  CHECK_EQ_INT("token-unterminated-string", (devdb_token_len("'abc", &e), e),
               DEVDB_TK_ILLEGAL);
  CHECK_EQ_INT("token-op-arrow", devdb_token_len("->>x", &e), 3);
  CHECK_EQ_INT("token-variable", devdb_token_len(":name,", &e), 5);
  CHECK_EQ_INT("token-unicode-word", devdb_token_len("ünï x", &e), 5);
  CHECK_EQ_INT("token-number-into-word", (devdb_token_len("12abc", &e), e),
               DEVDB_TK_ILLEGAL);
}

static void test_norm(void) {
  DevdbArena a = {0, 0};
  CHECK_EQ_STR("norm-spaces", devdb_sql_norm(&a, " a>0  AND b<1 ", -1, 0),
               "a > 0 AND b < 1");
  CHECK_EQ_STR("norm-parens", devdb_sql_norm(&a, "((a + 1))", -1, 1), "a + 1");
  CHECK_EQ_STR("norm-inner-parens-kept", devdb_sql_norm(&a, "(a) + (b)", -1, 1),
               "(a) + (b)");
  CHECK_EQ_STR("norm-case", devdb_sql_norm(&a, "Lower(\"Name\") is not null", -1, 0),
               "lower(name) IS NOT NULL");
  CHECK_EQ_STR("norm-keyword-ident-quoted",
               devdb_sql_norm(&a, "\"Select\" + [my col]", -1, 0),
               "\"select\" + \"my col\"");
  CHECK_EQ_STR("norm-unary", devdb_sql_norm(&a, "- 1", -1, 0), "-1");
  CHECK_EQ_STR("norm-binary-minus", devdb_sql_norm(&a, "a-1", -1, 0), "a - 1");
  CHECK_EQ_STR("norm-ops", devdb_sql_norm(&a, "a==1 OR b<>2", -1, 0), "a = 1 OR b != 2");
  CHECK_EQ_STR("norm-blob", devdb_sql_norm(&a, "x'0aFf'", -1, 0), "X'0AFF'");
  CHECK_EQ_STR("norm-comments", devdb_sql_norm(&a, "a /* x */ + -- y\n b", -1, 0),
               "a + b");
  CHECK_EQ_STR("norm-string-kept", devdb_sql_norm(&a, "'A  b'", -1, 0), "'A  b'");
  CHECK_EQ_STR("norm-in-list", devdb_sql_norm(&a, "a IN ( 1 ,2 )", -1, 0), "a IN(1, 2)");
  CHECK_EQ_STR("norm-dot", devdb_sql_norm(&a, "t . a", -1, 0), "t.a");
  CHECK_EQ_INT("norm-no-oom", a.bOom, 0);
  devdb_arena_free(&a);
}

static void test_arena_map(void) {
  DevdbArena a = {0, 0};
  DevdbMap m = {0, 0, 0, 0};
  char *az[1000];
  int bOk = 1;
  for (int i = 0; i < 1000; i++) {
    az[i] = devdb_arena_printf(&a, "Name%d", i);
    bOk = bOk && az[i] && devdb_map_put(&m, az[i], az[i]) == SQLITE_OK;
  }
  CHECK("map-put-1000", bOk);
  int nFound = 0;
  for (int i = 0; i < 1000; i++) {
    char zKey[32];
    snprintf(zKey, sizeof(zKey), "NAME%d", i);
    nFound += devdb_map_get(&m, zKey) == az[i];
  }
  CHECK_EQ_INT("map-get-any-case", nFound, 1000);
  CHECK("map-missing", devdb_map_get(&m, "nope") == 0);
  char *zBig = devdb_arena_alloc(&a, 200000);
  CHECK("arena-big-block", zBig != 0 && zBig[199999] == 0);
  devdb_map_clear(&m);
  devdb_arena_free(&a);
}

static void test_opts(void) {
  CHECK("opt-has", devdb_opt_has("allow-data-loss, rename:a=b", "allow-data-loss"));
  CHECK("opt-has-last", devdb_opt_has("x,allow-data-loss", "ALLOW-DATA-LOSS"));
  CHECK("opt-not-prefix", !devdb_opt_has("allow-data-loss-no", "allow-data-loss"));
  CHECK("opt-empty", !devdb_opt_has("", "x"));
}

static void test_parse(void) {
  DevdbArena a = {0, 0};
  DevdbParsedTable t;
  int rc = devdb_parse_table(
      &a,
      "CREATE TABLE IF NOT EXISTS main.\"T\"(a INT CONSTRAINT nn NOT NULL ON CONFLICT "
      "FAIL "
      "COLLATE nocase, b AS (a+1) STORED, CONSTRAINT pk PRIMARY KEY(a DESC) ON CONFLICT "
      "IGNORE, CHECK(b > 0), FOREIGN KEY(a) REFERENCES p(x) MATCH full NOT DEFERRABLE) "
      "WITHOUT ROWID, STRICT",
      &t);
  CHECK_EQ_INT("parse-rc", rc, SQLITE_OK);
  CHECK_EQ_INT("parse-cols", t.nCol, 2);
  CHECK_EQ_STR("parse-collate", t.aCol[0].zCollate, "NOCASE");
  CHECK_EQ_STR("parse-nn-conflict", t.aCol[0].zNotNullConflict, "FAIL");
  CHECK_EQ_INT("parse-gen", t.aCol[1].eGen, DEVDB_GEN_STORED);
  CHECK_EQ_INT("parse-keys", t.nKey, 1);
  CHECK_EQ_STR("parse-pk-name", t.aKey[0].zName, "pk");
  CHECK_EQ_INT("parse-pk-desc", t.aKey[0].bDesc, 1);
  CHECK_EQ_STR("parse-pk-conflict", t.aKey[0].zConflict, "IGNORE");
  CHECK_EQ_INT("parse-checks", t.nCheck, 1);
  CHECK_EQ_STR("parse-fk-match", t.aFk[0].zMatch, "FULL");
  CHECK("parse-fk-not-deferrable", t.aFk[0].zDeferrable == 0);
  CHECK("parse-options", t.bStrict && t.bWithoutRowid);
  CHECK_EQ_INT("parse-name", t.name.n, 3);
  /* regression: the clause after a two-word action (SET NULL) was skipped */
  rc =
      devdb_parse_table(&a,
                        "CREATE TABLE c(x REFERENCES p ON UPDATE SET NULL MATCH FULL "
                        "DEFERRABLE INITIALLY DEFERRED, y REFERENCES p ON DELETE CASCADE "
                        "MATCH SIMPLE)",
                        &t);
  CHECK_EQ_STR("parse-fk-after-set-null-match", t.aFk[0].zMatch, "FULL");
  CHECK_EQ_STR("parse-fk-after-set-null-deferrable", t.aFk[0].zDeferrable,
               "DEFERRABLE INITIALLY DEFERRED");
  CHECK_EQ_STR("parse-fk-after-cascade-match", t.aFk[1].zMatch, "SIMPLE");
  CHECK_EQ_INT("parse-not-a-table",
               devdb_parse_table(&a, "CREATE VIEW v AS SELECT 1", &t), SQLITE_ERROR);
  devdb_arena_free(&a);
}

int main(void) {
  test_tokens();
  test_norm();
  test_arena_map();
  test_opts();
  test_parse();
  return unit_failures();
}
