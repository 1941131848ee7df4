/*
** diff.c: the diff area of devdb (see README.md). Its manual comment grows with
** its SQL functions; it registers them in diff_register.
*/
#include "devdb.h"

int diff_register(sqlite3 *db) {
  (void)db;
  return SQLITE_OK;
}
