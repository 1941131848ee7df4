/*
** apply.c: running a schema plan (plan.c) on the calling connection.
**
**   devdb_apply(target [, options])     -> TEXT   what it did
**   devdb_add_column(tbl, column_def)   -> 1 added, 0 already there
**
** devdb_apply makes schema main equal to the target source (README.md:
** a database file, a .sql file, SQL text, a migrations directory, another
** schema of the connection) in one atomic step, and returns one line per
** change it made ('' when main already equals the target). options is a
** comma-separated list: allow-data-loss, rename:old=new,
** rename:table.old=new, sqlite-version:X.Y.Z (see diff.c).
**
** It refuses, naming the counts, changes that lose data (a dropped table
** with rows, a dropped column with values) unless options include
** allow-data-loss, and changes that will fail on the existing rows (NOT NULL
** over NULLs, UNIQUE over duplicates, CHECK, foreign keys without parent,
** values a STRICT column cannot hold). When the plan rebuilds or drops
** tables, foreign keys are turned off before the transaction and restored
** after it, so no ON DELETE action ever touches a child row; a caller
** inside a transaction with foreign keys on is refused. Before COMMIT it
** runs foreign_key_check over the tables that changed and rolls back on any
** violation the change introduced, and it reloads main and checks it now
** equals the target. On any refusal or failure the database is unchanged
** and no transaction it opened is left open (inside the caller's
** transaction it works in a savepoint). Main is read and planned inside
** the write lock, which BEGIN IMMEDIATE waits for as devdb_migrate does
** (devdb_exec_retry): of two runs at once, the second finds nothing left to
** do. A look before the lock answers "nothing to do" and errors without
** taking it.
**
**   SELECT devdb_apply('schema.sql');
**   -- add column users.age: column users.age added: INT DEFAULT 0
**   SELECT devdb_apply('new.db', 'allow-data-loss,rename:users.mail=email');
**
** devdb_add_column(tbl, column_def) adds column_def ("age INT DEFAULT 0")
** to table tbl of main only if it is missing (decided inside the write
** lock): 1 when added, 0 when the column is there with the same
** definition, an error naming both
** definitions when it is there with another. It works on tables with rows
** and with every ADD COLUMN restriction: when a plain ADD COLUMN cannot do
** it (NOT NULL without default, UNIQUE, STORED, a non-constant default...)
** it rebuilds the table, with all of devdb_apply's care.
**
**   SELECT devdb_add_column('users', 'age INT DEFAULT 0');   -- 1, then 0
**
** NULL in any required argument gives NULL. Both are DIRECTONLY (they
** change the database).
*/
#include "devdb.h"

#include <string.h>

/* What one run of a plan needs to remember. */
typedef struct Run {
  sqlite3 *db;
  int bInTxn; /* the caller is inside a transaction: use a savepoint */
  int bRan;   /* the plan's statements began to run */
  int bFkWasOn, bFkTurnedOff;
  int iLegacy;      /* legacy_alter_table as it was (-1: could not be read) */
  DevdbMap mBefore; /* foreign key violations before the change */
  int nKey;
  char **azKey;
  char *zErr;
} Run;

/* ------------------------------------------------------------ refusals */

/* "detail (risk); ..." of the rows whose risk has a bit of mRisk. */
static char *risky_rows(const DevdbPlan *pPlan, int mRisk) {
  const char *zLevel = mRisk == DEVDB_RISK_DATA_LOSS ? "data-loss: " : "will-fail: ";
  int nLevel = (int)strlen(zLevel);
  sqlite3_str *p = sqlite3_str_new(0);
  for (int i = 0; i < pPlan->nChange; i++) {
    const DevdbChange *pC = &pPlan->aChange[i];
    if ((pC->mRisk & mRisk) == 0) continue;
    sqlite3_str_appendf(p, "%s%s (", sqlite3_str_length(p) ? "; " : "", pC->zDetail);
    int n = 0;
    for (const char *z = pC->zRisk; z && *z;) { /* only the items of this level */
      const char *zEnd = strstr(z, "; ");
      int nItem = zEnd ? (int)(zEnd - z) : (int)strlen(z);
      if (strncmp(z, zLevel, nLevel) == 0)
        sqlite3_str_appendf(p, "%s%.*s", n++ ? "; " : "", nItem, z);
      z = zEnd ? zEnd + 2 : z + nItem;
    }
    sqlite3_str_appendchar(p, 1, ')');
  }
  for (int i = 0; i < pPlan->nChange && mRisk == DEVDB_RISK_DATA_LOSS; i++) {
    if (strcmp(pPlan->aChange[i].zChange, "rename?") == 0)
      sqlite3_str_appendf(p, "; %s", pPlan->aChange[i].zDetail);
  }
  return sqlite3_str_finish(p);
}

/* An error message when the plan must be refused, else NULL. */
static char *refusal(const DevdbPlan *pPlan, int bAllowDataLoss, const char *zFunc) {
  char *zRows = risky_rows(pPlan, DEVDB_RISK_WILL_FAIL);
  char *zMsg = 0;
  if (zRows) {
    zMsg = sqlite3_mprintf("%s: the change would fail on the existing data: %s; "
                           "nothing was changed",
                           zFunc, zRows);
  } else if (!bAllowDataLoss && (zRows = risky_rows(pPlan, DEVDB_RISK_DATA_LOSS)) != 0) {
    zMsg =
        sqlite3_mprintf("%s: refusing to lose data: %s; add the option allow-data-loss "
                        "to accept it; nothing was changed",
                        zFunc, zRows);
  }
  sqlite3_free(zRows);
  return zMsg;
}

/* ------------------------------------------------- foreign key checks */

/* The violations of table zTbl in main as "target|rowid|parent|fkid" keys,
** each passed to xOne. Returns an SQLite code; the message on db. */
static int fk_violations(Run *R, const char *zTbl, const char *zAs,
                         int (*xOne)(Run *, const char *)) {
  sqlite3_stmt *pStmt;
  int rc =
      devdb_prepare(R->db, &pStmt,
                    "SELECT %Q || '|' || coalesce(rowid, '') || '|' || \"parent\" || "
                    "'|' || fkid FROM pragma_foreign_key_check(%Q, 'main')",
                    zAs, zTbl);
  while (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    rc = xOne(R, (const char *)sqlite3_column_text(pStmt, 0));
  }
  int rc2 = pStmt ? sqlite3_finalize(pStmt) : SQLITE_OK;
  return rc ? rc : rc2;
}

/* Remember one violation that was there before the change. */
static int keep_before(Run *R, const char *zKey) {
  char *z = sqlite3_mprintf("%s", zKey ? zKey : "");
  char **az = sqlite3_realloc64(R->azKey, sizeof(char *) * (R->nKey + 1));
  if (z == 0 || az == 0) {
    sqlite3_free(z);
    if (az) R->azKey = az;
    return SQLITE_NOMEM;
  }
  R->azKey = az;
  az[R->nKey++] = z;
  return devdb_map_put(&R->mBefore, z, z);
}

/* Record a violation after the change that was not there before. */
static int note_new(Run *R, const char *zKey) {
  if (zKey && devdb_map_get(&R->mBefore, zKey)) return SQLITE_OK;
  if (R->zErr == 0) {
    const char *zBar = zKey ? strchr(zKey, '|') : 0;
    R->zErr = sqlite3_mprintf("the change leaves foreign key violations in %.*s (row %s)",
                              zBar ? (int)(zBar - zKey) : 0, zKey ? zKey : "",
                              zBar ? zBar + 1 : "?");
  }
  return SQLITE_CONSTRAINT;
}

/* The violations before the change, in the tables the plan checks. */
static int fk_before(Run *R, const DevdbPlan *pPlan) {
  int rc = SQLITE_OK;
  for (int i = 0; i < pPlan->nFkTable && rc == SQLITE_OK; i++) {
    if (pPlan->azFkSource[i] == 0) continue;
    rc = fk_violations(R, pPlan->azFkSource[i], pPlan->azFkTable[i], keep_before);
    if (rc == SQLITE_ERROR) rc = SQLITE_OK; /* cannot check it before: compare to none */
  }
  return rc;
}

/* SQLITE_OK when the change added no violation, else an error in R->zErr. */
static int fk_after(Run *R, const DevdbPlan *pPlan) {
  int rc = SQLITE_OK;
  for (int i = 0; i < pPlan->nFkTable && rc == SQLITE_OK; i++) {
    rc = fk_violations(R, pPlan->azFkTable[i], pPlan->azFkTable[i], note_new);
    if (rc == SQLITE_ERROR && R->zErr == 0) {
      R->zErr = sqlite3_mprintf("cannot check the foreign keys of %s: %s",
                                pPlan->azFkTable[i], sqlite3_errmsg(R->db));
    }
  }
  return rc;
}

/* --------------------------------------------------------------- a run */

/* Run SQL on the connection; on error the message goes to R->zErr. */
static int run_sql(Run *R, const char *zSql, const char *zWhat) {
  char *zErr = 0;
  int rc = sqlite3_exec(R->db, zSql, 0, 0, &zErr);
  if (rc != SQLITE_OK && R->zErr == 0) {
    R->zErr = sqlite3_mprintf("%s failed: %s", zWhat, zErr ? zErr : sqlite3_errstr(rc));
  }
  sqlite3_free(zErr);
  return rc;
}

/*
** Take the write lock: BEGIN IMMEDIATE, waited for as the migration runner
** waits (devdb_exec_retry), or a savepoint inside the caller's transaction.
** With bFkOff, foreign keys are turned off first when they are on (before
** the transaction: inside one the PRAGMA does nothing). The settings are
** remembered for run_end, which must follow even when this fails.
*/
static int run_begin(Run *R, int bFkOff) {
  sqlite3_int64 iFk = 0, iLegacy = 0;
  R->bInTxn = sqlite3_get_autocommit(R->db) == 0;
  int rc = devdb_query_int_rc(R->db, 0, &iFk, "PRAGMA foreign_keys");
  if (rc == SQLITE_OK)
    rc = devdb_query_int_rc(R->db, 0, &iLegacy, "PRAGMA legacy_alter_table");
  R->bFkWasOn = iFk != 0;
  R->iLegacy = rc == SQLITE_OK ? (int)iLegacy : -1; /* -1: unknown, left alone */
  if (rc != SQLITE_OK) {
    R->zErr = sqlite3_mprintf("cannot read the connection's settings: %s",
                              sqlite3_errmsg(R->db));
    return rc;
  }
  if (bFkOff && R->bFkWasOn && !R->bInTxn) {
    if (run_sql(R, "PRAGMA foreign_keys=OFF", "turning foreign keys off"))
      return SQLITE_ERROR;
    R->bFkTurnedOff = 1;
  }
  if (R->bInTxn) return run_sql(R, "SAVEPOINT devdb_apply", "starting a transaction");
  rc = devdb_exec_retry(R->db, DEVDB_LOCK_WAIT_MS, "BEGIN IMMEDIATE");
  if (rc != SQLITE_OK && R->zErr == 0)
    R->zErr =
        sqlite3_mprintf("cannot start a write transaction: %s", sqlite3_errmsg(R->db));
  return rc;
}

/* Commit (waiting for the lock like BEGIN), or roll back when rc says the
** run failed or the commit did; settings restored. Returns the outcome. */
static int run_end(Run *R, int rc) {
  /* SQLite rolls the whole transaction back when a statement in it fails for
  ** want of memory: with no transaction left, the work is gone */
  if (rc == SQLITE_OK && sqlite3_get_autocommit(R->db)) {
    rc = SQLITE_ABORT;
    if (R->zErr == 0)
      R->zErr = sqlite3_mprintf("the transaction was rolled back: %s",
                                sqlite3_errcode(R->db) ? sqlite3_errmsg(R->db)
                                                       : "it ended before its COMMIT");
  }
  if (rc == SQLITE_OK && R->bInTxn) rc = run_sql(R, "RELEASE devdb_apply", "COMMIT");
  if (rc == SQLITE_OK && !R->bInTxn && !sqlite3_get_autocommit(R->db)) {
    rc = devdb_exec_retry(R->db, DEVDB_LOCK_WAIT_MS, "COMMIT");
    if (rc != SQLITE_OK && R->zErr == 0)
      R->zErr = sqlite3_mprintf("COMMIT failed: %s", sqlite3_errmsg(R->db));
  }
  if (rc != SQLITE_OK && R->bInTxn) {
    sqlite3_exec(R->db, "ROLLBACK TO devdb_apply; RELEASE devdb_apply", 0, 0, 0);
  } else if (rc != SQLITE_OK && !sqlite3_get_autocommit(R->db)) {
    sqlite3_exec(R->db, "ROLLBACK", 0, 0, 0);
  }
  if (R->bFkTurnedOff) sqlite3_exec(R->db, "PRAGMA foreign_keys=ON", 0, 0, 0);
  if (R->iLegacy >= 0) devdb_exec(R->db, 0, "PRAGMA legacy_alter_table=%d", R->iLegacy);
  devdb_map_clear(&R->mBefore);
  for (int i = 0; i < R->nKey; i++) sqlite3_free(R->azKey[i]);
  sqlite3_free(R->azKey);
  R->azKey = 0;
  R->nKey = 0;
  return rc;
}

/* Main after the change equals pTo: planning again finds nothing to do. */
static int run_verify(Run *R, const DevdbSchema *pTo) {
  DevdbSchema *pNow = 0;
  DevdbPlan *pPlan = 0;
  char *zErr = 0;
  int rc = devdb_schema_load(R->db, "main", &pNow, &zErr);
  /* with the connection, so the planner knows main's history tables (kept);
  ** nothing is left to change, so nothing is counted */
  if (rc == SQLITE_OK)
    rc = devdb_plan_build(R->db, "main", pNow, pTo, 0, 0, &pPlan, &zErr);
  if (rc == SQLITE_OK && pPlan->nChange > 0) {
    zErr = sqlite3_mprintf("after the change main still differs from the target (%s); "
                           "this is a bug of devdb",
                           pPlan->aChange[0].zDetail);
    rc = SQLITE_INTERNAL;
  }
  if (rc != SQLITE_OK && R->zErr == 0)
    R->zErr = zErr;
  else
    sqlite3_free(zErr);
  devdb_plan_free(pPlan);
  devdb_schema_free(pNow);
  return rc;
}

/* Run every statement of the plan, then the checks. */
static int run_steps(Run *R, const DevdbPlan *pPlan, const DevdbSchema *pTo) {
  int rc = fk_before(R, pPlan);
  R->bRan = 1;
  for (int i = 0; i < pPlan->nChange && rc == SQLITE_OK; i++) {
    const DevdbChange *pC = &pPlan->aChange[i];
    if (pC->zSql == 0) continue;
    char *zWhat = sqlite3_mprintf("step %d (%s)", i + 1, pC->zDetail);
    rc = zWhat ? run_sql(R, pC->zSql, zWhat) : SQLITE_NOMEM;
    sqlite3_free(zWhat);
  }
  if (rc == SQLITE_OK) rc = fk_after(R, pPlan);
  if (rc == SQLITE_OK) rc = run_verify(R, pTo);
  return rc;
}

/* "change kind name: detail" of every change made, one per line, in *pz
** (NULL when empty). Returns SQLITE_OK or SQLITE_NOMEM. */
static int summary(const DevdbPlan *pPlan, char **pz) {
  sqlite3_str *p = sqlite3_str_new(0);
  for (int i = 0; i < pPlan->nChange; i++) {
    const DevdbChange *pC = &pPlan->aChange[i];
    if (strcmp(pC->zChange, "rename?") == 0) continue;
    sqlite3_str_appendf(p, "%s%s %s %s: %s", sqlite3_str_length(p) ? "\n" : "",
                        pC->zChange, pC->zKind, pC->zName ? pC->zName : "", pC->zDetail);
  }
  int rc = sqlite3_str_errcode(p);
  *pz = sqlite3_str_finish(p);
  if (rc != SQLITE_OK) {
    sqlite3_free(*pz);
    *pz = 0;
  }
  return rc;
}

/* --------------------------------------------------------------- a job */

/* What devdb_apply and devdb_add_column run: main's model, the target made
** from it by xTarget, the plan between them. */
typedef struct Job Job;
struct Job {
  sqlite3 *db;
  const char *zFunc;
  const char *zOpts;
  int bAllowDataLoss;
  /* Set pTo, the target for main's model pFrom, or bDone when there is
  ** nothing to do; else an error code and a message without zFunc. */
  int (*xTarget)(Job *, char **pzErr);
  const DevdbSchema *pTarget;  /* devdb_apply's target */
  const char *zTbl, *zDef;     /* devdb_add_column's arguments */
  DevdbSchema *pFrom;          /* main */
  const DevdbSchema *pTo;      /* the target for pFrom */
  DevdbSchema *pOne, *pMerged; /* devdb_add_column's: the table, the target */
  DevdbPlan *pPlan;            /* from pFrom to pTo */
  int bDone;                   /* nothing to do: main is the target already */
  char *zSummary;              /* what the run did (summary()), made before COMMIT */
};

/* Free what a look at main made. */
static void job_clear(Job *J) {
  devdb_plan_free(J->pPlan);
  devdb_schema_free(J->pMerged);
  devdb_schema_free(J->pOne);
  devdb_schema_free(J->pFrom);
  J->pPlan = 0;
  J->pMerged = J->pOne = J->pFrom = 0;
  J->pTo = 0;
  J->bDone = 0;
  sqlite3_free(J->zSummary);
  J->zSummary = 0;
}

/* Read main, make the target and plan, counting the risks of mCount. */
static int job_look(Job *J, int mCount, char **pzErr) {
  char *zErr = 0;
  job_clear(J);
  int rc = devdb_schema_load(J->db, "main", &J->pFrom, &zErr);
  if (rc == SQLITE_OK) rc = J->xTarget(J, &zErr);
  if (rc == SQLITE_OK && !J->bDone) {
    rc = devdb_plan_build(J->db, "main", J->pFrom, J->pTo, J->zOpts, mCount, &J->pPlan,
                          &zErr);
    J->bDone = rc == SQLITE_OK && J->pPlan->nChange == 0;
  }
  if (rc != SQLITE_OK)
    *pzErr = sqlite3_mprintf("%s: %s", J->zFunc, zErr ? zErr : sqlite3_errstr(rc));
  sqlite3_free(zErr);
  return rc;
}

/* After a failed run (rolled back, so the rows are as they were): the
** changes the rows make fail, counted, as an error message; else NULL. */
static char *explain_failure(Job *J) {
  DevdbPlan *pPlan = 0;
  char *zErr = 0, *zMsg = 0;
  int rc = devdb_plan_build(J->db, "main", J->pFrom, J->pTo, J->zOpts,
                            DEVDB_RISK_WILL_FAIL, &pPlan, &zErr);
  if (rc == SQLITE_OK) zMsg = refusal(pPlan, 1, J->zFunc);
  sqlite3_free(zErr);
  devdb_plan_free(pPlan);
  return zMsg;
}

/*
** Inside the write lock: read and plan main again (a concurrent run may
** have done the work meanwhile), refuse data loss (counted first), run.
** *pbRetry asks for another try with foreign keys off first, when the
** plan needs them off and the look before the lock did not know it.
*/
static int job_locked(Job *J, Run *R, char **pzErr, int *pbRetry) {
  int rc = job_look(J, J->bAllowDataLoss ? 0 : DEVDB_RISK_DATA_LOSS, pzErr);
  if (rc != SQLITE_OK || J->bDone) return rc;
  if (J->pPlan->bFkOff && R->bFkWasOn && !R->bFkTurnedOff) {
    if (!R->bInTxn) {
      *pbRetry = 1;
      return SQLITE_ABORT;
    }
    R->zErr = sqlite3_mprintf(
        "the change rebuilds or drops tables, which needs foreign keys off, and "
        "PRAGMA foreign_keys cannot change inside a transaction: run it outside "
        "one (or with foreign_keys off)");
    return SQLITE_ERROR;
  }
  *pzErr = refusal(J->pPlan, J->bAllowDataLoss, J->zFunc);
  if (*pzErr) return SQLITE_ERROR;
  rc = run_steps(R, J->pPlan, J->pTo);
  /* the report is made before COMMIT: one that cannot be made fails the run */
  if (rc == SQLITE_OK) rc = summary(J->pPlan, &J->zSummary);
  return rc;
}

/*
** Plan, refuse, run. A look before the write lock finds errors and
** "nothing to do" (neither needs the lock) and whether foreign keys must
** be off; then job_locked does the work inside the lock. Changes that fail
** on the rows are not counted up front: the run is atomic, so a failure
** rolls back and only then are the counts made that explain it (a change
** that works pays for no count).
*/
static int apply_job(Job *J, char **pzErr) {
  int rc = job_look(J, 0, pzErr);
  int bFkOff = rc == SQLITE_OK && !J->bDone && J->pPlan->bFkOff;
  for (int nTry = 0; rc == SQLITE_OK && !J->bDone && nTry < 2; nTry++) {
    Run R;
    memset(&R, 0, sizeof(R));
    R.db = J->db;
    int bRetry = 0;
    rc = run_begin(&R, bFkOff);
    if (rc == SQLITE_OK) rc = job_locked(J, &R, pzErr, &bRetry);
    rc = run_end(&R, rc);
    if (bRetry && nTry == 0) {
      sqlite3_free(R.zErr);
      bFkOff = 1;
      rc = SQLITE_OK;
      continue;
    }
    if (rc != SQLITE_OK && *pzErr == 0) {
      *pzErr = R.bRan && rc != SQLITE_INTERNAL ? explain_failure(J) : 0;
      if (*pzErr == 0)
        *pzErr = sqlite3_mprintf("%s: %s; nothing was changed", J->zFunc,
                                 R.zErr ? R.zErr : sqlite3_errstr(rc));
    }
    sqlite3_free(R.zErr);
    break;
  }
  return rc;
}

/* --------------------------------------------------------- devdb_apply */

/* devdb_apply's target is the source it was given, whatever main holds. */
static int apply_target(Job *J, char **pzErr) {
  J->pTo = J->pTarget;
  return SQLITE_OK;
}

/* devdb_apply(target [, options]) */
static void applyFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return;
  sqlite3 *db = sqlite3_context_db_handle(ctx);
  const char *zTo = (const char *)sqlite3_value_text(argv[0]);
  const char *zOpts = argc > 1 ? (const char *)sqlite3_value_text(argv[1]) : 0;
  DevdbSchema *pTarget = 0;
  char *zErr = 0;
  int rc = devdb_schema_load_source(db, zTo ? zTo : "", &pTarget, &zErr);
  if (rc != SQLITE_OK) {
    devdb_result_error(ctx, "devdb_apply: %s", zErr ? zErr : sqlite3_errstr(rc));
    sqlite3_free(zErr);
    return;
  }
  Job job;
  memset(&job, 0, sizeof(job));
  job.db = db;
  job.zFunc = "devdb_apply";
  job.zOpts = zOpts;
  job.bAllowDataLoss = devdb_opt_has(zOpts, "allow-data-loss");
  job.xTarget = apply_target;
  job.pTarget = pTarget;
  rc = apply_job(&job, &zErr);
  if (rc == SQLITE_OK) {
    sqlite3_result_text(ctx, job.zSummary ? job.zSummary : "", -1,
                        job.zSummary ? sqlite3_free : SQLITE_STATIC);
    job.zSummary = 0; /* the result owns it */
  } else {
    devdb_result_error(ctx, "%s", zErr ? zErr : sqlite3_errstr(rc));
  }
  sqlite3_free(zErr);
  job_clear(&job);
  devdb_schema_free(pTarget);
}

/* ---------------------------------------------------- devdb_add_column */

/*
** A schema that is pMain with table zTbl (and its indexes and triggers)
** taken from pOne instead. Arrays are its own, objects borrowed.
*/
static DevdbSchema *merge_table(const DevdbSchema *pMain, const DevdbSchema *pOne,
                                const char *zTbl) {
  DevdbSchema *p = sqlite3_malloc64(sizeof(DevdbSchema));
  if (p == 0) return 0;
  memset(p, 0, sizeof(*p));
  DevdbArena *pA = &p->arena;
  p->aTable = devdb_arena_alloc(pA, sizeof(DevdbTable) * (pMain->nTable + 1));
  p->aIndex =
      devdb_arena_alloc(pA, sizeof(DevdbIndex) * (pMain->nIndex + pOne->nIndex + 1));
  p->aView = devdb_arena_alloc(pA, sizeof(DevdbView) * (pMain->nView + 1));
  p->aTrigger = devdb_arena_alloc(pA, sizeof(DevdbTrigger) *
                                          (pMain->nTrigger + pOne->nTrigger + 1));
  int rc = pA->bOom ? SQLITE_NOMEM : SQLITE_OK;
  for (int i = 0; i < pMain->nTable && rc == SQLITE_OK; i++) {
    int bThis = devdb_stricmp(pMain->aTable[i].zName, zTbl) == 0;
    p->aTable[p->nTable] = bThis ? pOne->aTable[0] : pMain->aTable[i];
    rc = devdb_map_put(&p->mTable, p->aTable[p->nTable].zName, &p->aTable[p->nTable]);
    p->nTable++;
  }
  const DevdbSchema *ap[2] = {pMain, pOne};
  for (int k = 0; k < 2 && rc == SQLITE_OK; k++) {
    for (int i = 0; i < ap[k]->nIndex && rc == SQLITE_OK; i++) {
      if (k == 0 && devdb_stricmp(pMain->aIndex[i].zTable, zTbl) == 0) continue;
      p->aIndex[p->nIndex] = ap[k]->aIndex[i];
      rc = devdb_map_put(&p->mIndex, p->aIndex[p->nIndex].zName, &p->aIndex[p->nIndex]);
      p->nIndex++;
    }
    for (int i = 0; i < ap[k]->nTrigger && rc == SQLITE_OK; i++) {
      if (k == 0 && devdb_stricmp(pMain->aTrigger[i].zTable, zTbl) == 0) continue;
      p->aTrigger[p->nTrigger] = ap[k]->aTrigger[i];
      rc = devdb_map_put(&p->mTrigger, p->aTrigger[p->nTrigger].zName,
                         &p->aTrigger[p->nTrigger]);
      p->nTrigger++;
    }
  }
  for (int i = 0; i < pMain->nView && rc == SQLITE_OK; i++) {
    p->aView[p->nView] = pMain->aView[i];
    rc = devdb_map_put(&p->mView, p->aView[p->nView].zName, &p->aView[p->nView]);
    p->nView++;
  }
  if (rc != SQLITE_OK) {
    devdb_schema_free(p);
    return 0;
  }
  return p;
}

/* The first token of a column definition, unquoted, or NULL. */
static char *column_name(const char *zDef) {
  DevdbLexer lx;
  devdb_lexer_init(&lx, zDef, -1);
  DevdbToken t = devdb_lexer_next(&lx);
  if (t.eType != DEVDB_TK_WORD && t.eType != DEVDB_TK_QUOTED) return 0;
  return devdb_token_ident(&t);
}

/*
** The CREATE TABLE text of pTab with column definition zDef in place of
** column zCol's (or after the last column when it has none), followed by
** the table's index and trigger statements, for a scratch database.
*/
static char *table_with_column(const DevdbSchema *pMain, const DevdbTable *pTab,
                               const char *zCol, const char *zDef, char **pzErr) {
  DevdbArena arena;
  DevdbParsedTable parsed;
  memset(&arena, 0, sizeof(arena));
  char *zOut = 0;
  if (devdb_parse_table(&arena, pTab->zSql, &parsed) == SQLITE_OK && parsed.nCol > 0) {
    const DevdbSpan *pAt = 0;
    for (int k = 0; k < parsed.nCol; k++) {
      if (parsed.aCol[k].zName && devdb_stricmp(parsed.aCol[k].zName, zCol) == 0)
        pAt = &parsed.aCol[k].def;
    }
    const DevdbSpan *pLast = &parsed.aCol[parsed.nCol - 1].def;
    const char *zCut = pAt ? pAt->z : pLast->z + pLast->n;
    const char *zResume = pAt ? pAt->z + pAt->n : zCut;
    sqlite3_str *p = sqlite3_str_new(0);
    sqlite3_str_appendf(p, "%.*s%s%s%s;\n", (int)(zCut - pTab->zSql), pTab->zSql,
                        pAt ? "" : ", ", zDef, zResume);
    for (int i = 0; i < pMain->nIndex; i++) {
      const DevdbIndex *pIdx = &pMain->aIndex[i];
      if (pIdx->zSql && devdb_stricmp(pIdx->zTable, pTab->zName) == 0)
        sqlite3_str_appendf(p, "%s;\n", pIdx->zSql);
    }
    for (int i = 0; i < pMain->nTrigger; i++) {
      if (devdb_stricmp(pMain->aTrigger[i].zTable, pTab->zName) == 0)
        sqlite3_str_appendf(p, "%s;\n", pMain->aTrigger[i].zSql);
    }
    zOut = sqlite3_str_finish(p);
  } else {
    *pzErr = sqlite3_mprintf("cannot read the CREATE statement of %s", pTab->zName);
  }
  devdb_arena_free(&arena);
  return zOut;
}

/* The model of the one-table schema zSql, run into a scratch database. */
static int load_one_table(const char *zSql, DevdbSchema **ppOut, char **pzErr) {
  sqlite3 *db = 0;
  int rc = devdb_scratch_open(&db, pzErr);
  if (rc == SQLITE_OK) {
    char *zErr = 0;
    rc = sqlite3_exec(db, zSql, 0, 0, &zErr);
    if (rc != SQLITE_OK) *pzErr = sqlite3_mprintf("%s", zErr ? zErr : sqlite3_errstr(rc));
    sqlite3_free(zErr);
  }
  if (rc == SQLITE_OK) rc = devdb_schema_load(db, "main", ppOut, pzErr);
  sqlite3_close(db);
  return rc;
}

/* The definition of column zCol in pTab's text, as written. */
static char *written_def(const DevdbTable *pTab, const char *zCol) {
  DevdbArena arena;
  DevdbParsedTable parsed;
  char *z = 0;
  memset(&arena, 0, sizeof(arena));
  if (devdb_parse_table(&arena, pTab->zSql, &parsed) == SQLITE_OK) {
    for (int k = 0; k < parsed.nCol && z == 0; k++) {
      if (parsed.aCol[k].zName && devdb_stricmp(parsed.aCol[k].zName, zCol) == 0)
        z = sqlite3_mprintf("%.*s", parsed.aCol[k].def.n, parsed.aCol[k].def.z);
    }
  }
  devdb_arena_free(&arena);
  return z;
}

/* The target schema that gives table pTab of main the column zDef (pMain
** with that table replaced; *ppOne holds the table's own model). */
static int add_column_target(DevdbSchema *pMain, const DevdbTable *pTab, const char *zCol,
                             const char *zDef, DevdbSchema **ppOne,
                             DevdbSchema **ppTarget, char **pzErr) {
  char *zSql = table_with_column(pMain, pTab, zCol, zDef, pzErr);
  if (zSql == 0) return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  char *zErr = 0;
  int rc = load_one_table(zSql, ppOne, &zErr);
  sqlite3_free(zSql);
  if (rc != SQLITE_OK) {
    *pzErr = sqlite3_mprintf("cannot read the column definition '%s': %s", zDef,
                             zErr ? zErr : sqlite3_errstr(rc));
    sqlite3_free(zErr);
    return rc;
  }
  *ppTarget = merge_table(pMain, *ppOne, pTab->zName);
  return *ppTarget ? SQLITE_OK : SQLITE_NOMEM;
}

/* 1 when main's table already has the column as zDef defines it. */
static int same_column(sqlite3 *db, const DevdbSchema *pMain, const DevdbSchema *pTarget,
                       int *pbSame, char **pzErr) {
  DevdbPlan *pPlan = 0;
  int rc = devdb_plan_build(db, "main", pMain, pTarget, 0, 0, &pPlan, pzErr);
  *pbSame = rc == SQLITE_OK && pPlan->nChange == 0;
  devdb_plan_free(pPlan);
  return rc;
}

/*
** devdb_add_column's target: main with column zDef in table zTbl (bDone
** when the column is there with the same definition; an error when it is
** there with another).
*/
static int add_column_job_target(Job *J, char **pzErr) {
  const DevdbTable *pTab = devdb_schema_table(J->pFrom, J->zTbl);
  if (pTab == 0 || pTab->eKind != DEVDB_TABLE) {
    *pzErr = sqlite3_mprintf("no such table: '%s'", J->zTbl);
    return SQLITE_ERROR;
  }
  char *zCol = column_name(J->zDef);
  if (zCol == 0) {
    *pzErr = sqlite3_mprintf("cannot read the column definition '%s'", J->zDef);
    return SQLITE_ERROR;
  }
  const DevdbColumn *pOld = devdb_table_column(pTab, zCol);
  int bSame = 0;
  int rc = add_column_target(J->pFrom, pTab, zCol, J->zDef, &J->pOne, &J->pMerged, pzErr);
  if (rc == SQLITE_OK && pOld)
    rc = same_column(J->db, J->pFrom, J->pMerged, &bSame, pzErr);
  if (rc == SQLITE_OK && pOld && !bSame) {
    char *zHave = written_def(pTab, zCol);
    *pzErr = sqlite3_mprintf("column %s.%s exists as '%s', not '%s'", pTab->zName,
                             pOld->zName, zHave ? zHave : pOld->zDef, J->zDef);
    sqlite3_free(zHave);
    rc = SQLITE_ERROR;
  }
  J->pTo = J->pMerged;
  J->bDone = bSame;
  sqlite3_free(zCol);
  return rc;
}

/* devdb_add_column(tbl, column_def) */
static void addColumnFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL ||
      sqlite3_value_type(argv[1]) == SQLITE_NULL)
    return;
  const char *zTbl = (const char *)sqlite3_value_text(argv[0]);
  const char *zDef = (const char *)sqlite3_value_text(argv[1]);
  if (zTbl == 0 || zDef == 0) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  Job job;
  memset(&job, 0, sizeof(job));
  job.db = sqlite3_context_db_handle(ctx);
  job.zFunc = "devdb_add_column";
  job.xTarget = add_column_job_target;
  job.zTbl = zTbl;
  job.zDef = zDef;
  char *zErr = 0;
  int rc = apply_job(&job, &zErr);
  if (rc == SQLITE_OK) {
    /* 0 when the column was there, before the lock or inside it */
    sqlite3_result_int(ctx, !job.bDone);
  } else {
    devdb_result_error(ctx, "%s", zErr ? zErr : sqlite3_errstr(rc));
  }
  sqlite3_free(zErr);
  job_clear(&job);
}

int apply_register(sqlite3 *db) {
  static const DevdbFunc aFunc[] = {
      {"devdb_apply", 1, DEVDB_SIDE_EFFECT, applyFunc},
      {"devdb_apply", 2, DEVDB_SIDE_EFFECT, applyFunc},
      {"devdb_add_column", 2, DEVDB_SIDE_EFFECT, addColumnFunc},
  };
  return devdb_register_funcs(db, aFunc, sizeof(aFunc) / sizeof(aFunc[0]));
}
