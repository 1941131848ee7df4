"""Four processes migrate the same database at once: each migration is
applied exactly once and no process sees an error (BEGIN IMMEDIATE, and
whether a migration is pending is checked again inside the transaction).
The connections have no busy timeout: devdb waits for the lock itself.
Run in rollback-journal and WAL mode, on a new database (everything in one
transaction) and on one that already has tables (a transaction each)."""
import multiprocessing
import os
import sqlite3
import sys
import tempfile

B = os.environ.get("B", "build")
N_MIG, N_PROC = 24, 4


def check(name, cond, detail=""):
    print(("ok " if cond else "FAIL ") + name + ("" if cond else ": " + str(detail)), flush=True)


def make_dir(d):
    os.makedirs(d)
    with open(os.path.join(d, "0001_log.sql"), "w") as f:
        f.write("-- migrate:up\nCREATE TABLE log(n INTEGER, pid INTEGER);\n"
                "INSERT INTO log VALUES (1, 0);\n-- migrate:down\nDROP TABLE log;\n")
    for i in range(2, N_MIG + 1):
        with open(os.path.join(d, "%04d_t%d.sql" % (i, i)), "w") as f:
            f.write("-- migrate:up\nCREATE TABLE t%d(a);\nINSERT INTO log VALUES (%d, 0);\n"
                    "-- migrate:down\nDROP TABLE t%d;\n" % (i, i, i))


def worker(path, d, start, out):
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    conn.enable_load_extension(True)
    conn.load_extension(os.path.join(B, "devdb"))
    start.wait()
    try:
        n = conn.execute("SELECT devdb_migrate(?, NULL, 'timeout:30000')", (d,)).fetchone()[0]
        out.put((n, None, conn.in_transaction))
    except sqlite3.Error as e:
        out.put((0, str(e), conn.in_transaction))
    conn.close()


def run(label, journal, fresh):
    with tempfile.TemporaryDirectory() as tmp:
        d = os.path.join(tmp, "migrations")
        make_dir(d)
        path = os.path.join(tmp, "app.db")
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=%s" % journal)
        if not fresh:
            conn.execute("CREATE TABLE existing(a)")
        conn.close()
        ctx = multiprocessing.get_context("fork")
        start, out = ctx.Event(), ctx.Queue()
        procs = [ctx.Process(target=worker, args=(path, d, start, out)) for _ in range(N_PROC)]
        for p in procs:
            p.start()
        start.set()
        results = [out.get(timeout=120) for _ in procs]
        for p in procs:
            p.join(60)
        errors = [e for _, e, _ in results if e]
        check(label + "-no-error", not errors, errors)
        check(label + "-applied-once-in-all", sum(n for n, _, _ in results) == N_MIG, results)
        check(label + "-no-transaction-left", not any(t for _, _, t in results), results)
        conn = sqlite3.connect(path)
        logged = [r[0] for r in conn.execute("SELECT n FROM log ORDER BY n")]
        check(label + "-each-ran-once", logged == list(range(1, N_MIG + 1)), logged)
        rows = conn.execute("SELECT count(*), count(DISTINCT version) FROM _devdb_migrations").fetchone()
        check(label + "-history-rows", rows == (N_MIG, N_MIG), rows)
        conn.close()


for journal in ("delete", "wal"):
    run("concurrent-%s-new" % journal, journal, True)
    run("concurrent-%s-existing" % journal, journal, False)
sys.exit(0)
