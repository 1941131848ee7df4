"""Migration runner benchmarks (issue 4): a new database built from a
generated dbmate-format directory of 500 tables over 220 migrations (foreign
keys, indexes, views, triggers), against dbmate up, sqlite3 < all.sql (the
same DDL in one transaction) and Django's migrate of the same tables; and
the status of the up-to-date database against a bare count of its history
table. Generated once under build/bench/migrate500 (gen_migrations.py)."""
import os
import subprocess

from bench import Case

PY = "/usr/bin/python3"


def project(ctx):
    out = os.path.join(ctx.data, "migrate500")
    if not os.path.exists(os.path.join(out, "all.sql")):
        subprocess.run([PY, os.path.join(ctx.root, "tests/bench/gen_migrations.py"), out, "500", "220"],
                       check=True)
    return out


def fresh(*paths):
    def setup():
        for p in paths:
            for suffix in ("", "-journal", "-wal", "-shm"):
                if os.path.exists(p + suffix):
                    os.remove(p + suffix)
    return setup


def cases(ctx):
    out = project(ctx)
    mig = os.path.join(out, "migrations")
    ours_db, peer_db = os.path.join(ctx.data, "mig_ours.db"), os.path.join(ctx.data, "mig_peer.db")
    ours = ["sqlite3", ours_db, f".load {ctx.ext}", f"SELECT devdb_migrate('{mig}')"]
    setup = fresh(ours_db, peer_db)

    dbmate = ctx.ensure_npm("dbmate", "dbmate")
    if dbmate:
        yield Case("migrate: new db, 220 migrations vs dbmate up", ours,
                   [dbmate, "--url", f"sqlite:{peer_db}", "--migrations-dir", mig,
                    "--no-dump-schema", "up"],
                   "dbmate up", goal=0.7, setup=setup)
    yield Case("migrate: new db, 220 migrations vs one script", ours,
               ["sh", "-c", f"sqlite3 {peer_db} < {os.path.join(out, 'all.sql')}"],
               "sqlite3 new.db < all.sql", goal=1.1, setup=setup, runs=7)
    if ctx.ensure_debian("python3-django", "django-admin"):
        yield Case("migrate: new db, 220 migrations vs Django", ours,
                   [PY, os.path.join(out, "django", "manage.py"), peer_db],
                   "manage.py migrate", goal_min=100, setup=setup, runs=1,
                   note="the same 500 tables as 220 Django migrations")

    # status of the up-to-date database (devdb's own history table)
    status_db = os.path.join(ctx.data, "mig_status.db")
    fresh(status_db)()  # made anew by this build, so its history table is current
    subprocess.run(["sqlite3", status_db, f".load {ctx.ext}", f"SELECT devdb_migrate('{mig}')"],
                   check=True, stdout=subprocess.DEVNULL)
    peer = ["sqlite3", status_db, "SELECT count(*) FROM _devdb_migrations"]
    yield Case("status: up-to-date db, 220 migrations", [ctx.devdb, status_db, "status",
                                                        "--migrations", mig],
               peer, "sqlite3 count(*) of history", goal=1.2, runs=21)
    yield Case("status: the same as SQL (sqlite3 + .load)",
               ["sqlite3", status_db, f".load {ctx.ext}",
                f"SELECT count(*) FROM devdb_migrations('{mig}') WHERE state <> 'applied'"],
               peer, "sqlite3 count(*) of history", runs=21,
               note="devdb_migrations in the stock CLI, for reference")
