/* unit.h: the few checks the C unit tests use; each prints ok/FAIL. */
#ifndef DEVDB_UNIT_H
#define DEVDB_UNIT_H
#include <stdio.h>
#include <string.h>

static int nUnitFail;
#define CHECK(name, cond) \
  ((cond) ? (void)printf("ok %s\n", name) : (void)(nUnitFail++, printf("FAIL %s: %s\n", name, #cond)))
#define CHECK_EQ_INT(name, a, b)                                                       \
  do {                                                                                 \
    long long x_ = (long long)(a), y_ = (long long)(b);                                \
    if (x_ == y_) printf("ok %s\n", name);                                             \
    else nUnitFail++, printf("FAIL %s: %s = %lld, expected %lld\n", name, #a, x_, y_); \
  } while (0)
#define CHECK_EQ_STR(name, a, b)                                                         \
  do {                                                                                   \
    const char *x_ = (a), *y_ = (b);                                                     \
    if (x_ && strcmp(x_, y_) == 0) printf("ok %s\n", name);                              \
    else nUnitFail++, printf("FAIL %s: got [%s], expected [%s]\n", name, x_ ? x_ : "(null)", y_); \
  } while (0)
static int unit_failures(void) {
  return nUnitFail ? 1 : 0;
}
#endif
