/*
** migrate.c: migrations directories (the migrations area).
**
** For now only the source hook devdb_migrations_build exists, and it says
** that migrations directories are not readable yet.
*/
#include "devdb.h"

int migrate_register(sqlite3 *db) {
  (void)db;
  return SQLITE_OK;
}

int devdb_migrations_build(sqlite3 *db, const char *zDir, char **pzErr) {
  *pzErr = sqlite3_mprintf("'%s' is a directory: migrations directories are not "
                           "supported yet",
                           zDir);
  return SQLITE_ERROR;
}
