/*
** Regression tests for the canonical form (devdb_sql_norm), found by make
** fuzz (fuzz_sql checks that normalising twice changes nothing):
**   - trailing semicolons were dropped before or after the outer
**     parentheses were stripped, not both, so "(a > 0);" and "(;)" changed
**     again on a second pass;
**   - a double negation "- -1" became "--1", the start of a comment;
**   - "c. 2" became "c.2", which reads as c and the number .2, and "t. 0x"
**     (a malformed token that starts with a digit) became "t.0x", which
**     reads as t, the number .0 and x; "2 .x" became "2.x", the number 2.
**     and x; a unary minus before ">=" became "->=", read as "->" and "=".
*/
#include "devdb.h"
#include "unit.h"

static void check_norm(const char *zName, const char *zIn, int bStrip,
                       const char *zWant) {
  DevdbArena a;
  memset(&a, 0, sizeof(a));
  char *z = devdb_sql_norm(&a, zIn, -1, bStrip);
  CHECK_EQ_STR(zName, z, zWant);
  char *zAgain = z ? devdb_sql_norm(&a, z, -1, bStrip) : 0;
  char zTwice[80];
  snprintf(zTwice, sizeof(zTwice), "%s-twice", zName);
  CHECK_EQ_STR(zTwice, zAgain, zWant);
  devdb_arena_free(&a);
}

int main(void) {
  check_norm("norm-strip-after-semicolon", "(a > 0);", 1, "a > 0");
  check_norm("norm-empty-parens-semicolon", "();", 1, "");
  check_norm("norm-semicolon-in-parens", "(;)", 1, "");
  check_norm("norm-expr-semicolon-in-parens", "((a > 0);)", 1, "a > 0");
  check_norm("norm-double-minus", "a > - -1", 0, "a > - -1");
  check_norm("norm-unary-minus-paren", "-(-1)", 1, "-(-1)");
  check_norm("norm-dot-then-number", "C. 2", 0, "c. 2");
  check_norm("norm-dot-then-digit-word", "t. 0lect", 0, "t. 0lect");
  check_norm("norm-number-then-dot", "c = 2 .\"x\"", 0, "c = 2 .x");
  check_norm("norm-unary-then-operator", "a NOT - >= 1", 0, "a NOT - >= 1");
  check_norm("norm-dot-then-name", "T . x", 0, "t.x");
  return unit_failures();
}
