/*
** devdb.c: the entry point of the devdb extension and its version.
**
**   devdb_version()   -> '0.1.0'   the version of this build (pure)
**
** Load it with `.load ./devdb` in the sqlite3 shell, or
** conn.load_extension("./devdb") in Python. The devdb shell links the same
** sources statically and calls sqlite3_devdb_init on every connection.
**
** Each feature area lives in ext/<area>.c and exports <area>_register(db);
** the table below is the one place they are wired in.
*/
#define DEVDB_MAIN
#include "devdb.h"
SQLITE_EXTENSION_INIT1

/* devdb_version(): the version string of this build. */
static void versionFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  sqlite3_result_text(ctx, DEVDB_VERSION, -1, SQLITE_STATIC);
}

static int core_register(sqlite3 *db) {
  static const DevdbFunc aFunc[] = {
      {"devdb_version", 0, DEVDB_PURE, versionFunc},
  };
  return devdb_register_funcs(db, aFunc, sizeof(aFunc) / sizeof(aFunc[0]));
}

/* The areas, registered in this order. */
static const struct {
  const char *zArea;
  int (*xRegister)(sqlite3 *);
} aArea[] = {
    {"core", core_register},       {"schema", schema_register},
    {"diff", diff_register},       {"lint", lint_register},
    {"history", history_register}, {"migrate", migrate_register},
    {"dedup", dedup_register},     {"reset", reset_register},
    {"fixture", fixture_register},
};

#ifdef _WIN32
__declspec(dllexport)
#endif
    int sqlite3_devdb_init(sqlite3 *db, char **pzErrMsg,
                           const sqlite3_api_routines *pApi) {
  SQLITE_EXTENSION_INIT2(pApi);
  int rc = SQLITE_OK;
  for (size_t i = 0; i < sizeof(aArea) / sizeof(aArea[0]) && rc == SQLITE_OK; i++) {
    rc = aArea[i].xRegister(db);
    if (rc != SQLITE_OK && pzErrMsg) {
      *pzErrMsg = sqlite3_mprintf("devdb: cannot register %s: %s", aArea[i].zArea,
                                  sqlite3_errmsg(db));
    }
  }
  return rc;
}
