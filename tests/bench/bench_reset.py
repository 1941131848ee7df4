"""Reset and fixture benchmarks (issue 6): revert, wipe, backup, load.

In-process timings (revert, memcpy, the copy phase of a backup) come from
tests/bench/reset_driver.c, built here against build/core. Wipe runs as a
whole process: `devdb DB wipe --yes` once the shell has the command, until
then reset_driver's `wipe`, which makes the same devdb_wipe_file call the
shell will. Django (Debian's python3-django) is the peer for building a test
database, flush and loaddata, on a generated project of 100 models."""
import glob
import json
import os
import shutil
import subprocess
import sys

from bench import Case

PY = "/usr/bin/python3"


def driver(ctx):
    """Build reset_driver against the extension's core objects."""
    out = os.path.join(ctx.build, "bench_reset_driver")
    src = os.path.join(ctx.root, "tests", "bench", "reset_driver.c")
    objs = sorted(glob.glob(os.path.join(ctx.build, "core", "*.o")))
    if not os.path.exists(out) or os.path.getmtime(out) < max(map(os.path.getmtime, objs + [src])):
        subprocess.run(["cc", "-O2", "-std=c11", "-D_GNU_SOURCE", "-DSQLITE_CORE",
                        "-I" + os.path.join(ctx.root, "ext"), "-o", out, src] + objs +
                       ["-lsqlite3", "-lm"], check=True)
    return out


def sqlite_script(path, sql):
    if not os.path.exists(path):
        subprocess.run(["sqlite3", path + ".tmp"], input=sql, text=True, check=True)
        os.rename(path + ".tmp", path)
    return path


def populated(ctx, name, ntab, nrow, payload):
    """A database of ntab tables (id, name indexed, qty, price, note, created)
    with nrow rows each, plus Django's history table."""
    sql = ["BEGIN;"]
    for i in range(ntab):
        sql.append(f"CREATE TABLE t{i}(id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INT, "
                   f"price REAL, note TEXT, created TEXT);"
                   f"CREATE INDEX t{i}_name ON t{i}(name);"
                   f"WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM n WHERE x<{nrow}) "
                   f"INSERT INTO t{i}(name,qty,price,note,created) SELECT 'name-'||x, x%97, x*1.5, "
                   f"hex(randomblob({payload})), '2024-01-01 12:00:00' FROM n;")
    sql.append("CREATE TABLE django_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, "
               "app VARCHAR(255) NOT NULL, name VARCHAR(255) NOT NULL, applied DATETIME NOT NULL);"
               "INSERT INTO django_migrations(app,name,applied) VALUES ('shop','0001_initial','x');"
               "COMMIT;")
    return sqlite_script(os.path.join(ctx.data, name), "\n".join(sql))


def empty_copy(ctx, full):
    """The same schema without rows (what `cp empty.db DB` copies)."""
    path = full[:-3] + "_empty.db"
    if not os.path.exists(path):
        schema = subprocess.run(["sqlite3", full, ".schema"], capture_output=True, text=True,
                                check=True).stdout
        schema = "\n".join(l for l in schema.splitlines() if "sqlite_sequence" not in l)
        sqlite_script(path, schema)
    return path


# ------------------------------------------------------------- Django


MODELS = 100


def django_project(ctx):
    """A Django project with MODELS models of three fields, migrations made."""
    d = os.path.join(ctx.data, "django_bench")
    if os.path.exists(os.path.join(d, "ready")):
        return d
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "bench", "migrations"))
    open(os.path.join(d, "bench", "__init__.py"), "w").close()
    open(os.path.join(d, "bench", "migrations", "__init__.py"), "w").close()
    with open(os.path.join(d, "bench", "models.py"), "w") as f:
        f.write("from django.db import models\n")
        for i in range(MODELS):
            f.write(f"\nclass M{i}(models.Model):\n    a = models.CharField(max_length=40)\n"
                    f"    b = models.IntegerField()\n    c = models.TextField()\n")
    with open(os.path.join(d, "manage.py"), "w") as f:
        f.write("import os, sys\nsys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))\n"
                "import django\nfrom django.conf import settings\n"
                "settings.configure(INSTALLED_APPS=['bench'], DATABASES={'default': {'ENGINE': "
                "'django.db.backends.sqlite3', 'NAME': os.environ['BENCH_DB']}}, USE_TZ=True, "
                "DEFAULT_AUTO_FIELD='django.db.models.AutoField')\ndjango.setup()\n"
                "from django.core.management import execute_from_command_line\n"
                "execute_from_command_line(sys.argv)\n")
    env = dict(os.environ, BENCH_DB=os.path.join(d, "unused.db"))
    subprocess.run([PY, os.path.join(d, "manage.py"), "makemigrations", "bench", "-v0"], env=env,
                   check=True)
    open(os.path.join(d, "ready"), "w").close()
    return d


def manage(d, db, *args):
    return [PY, os.path.join(d, "manage.py")] + list(args), dict(os.environ, BENCH_DB=db)


def fixture_json(ctx, rows_per_model):
    path = os.path.join(ctx.data, f"django_fixture_{rows_per_model}.json")
    if not os.path.exists(path):
        recs = [{"model": f"bench.m{i}", "pk": r + 1,
                 "fields": {"a": f"name {r}", "b": r, "c": "x" * 200}}
                for i in range(MODELS) for r in range(rows_per_model)]
        with open(path + ".tmp", "w") as f:
            json.dump(recs, f)
        os.rename(path + ".tmp", path)
    return path


def migrated(ctx, d):
    """A database with the project's tables, as `migrate` makes it."""
    path = os.path.join(ctx.data, "django_migrated.db")
    if not os.path.exists(path):
        argv, env = manage(d, path + ".tmp", "migrate", "-v0")
        subprocess.run(argv, env=env, check=True)
        os.rename(path + ".tmp", path)
    return path


def loaded(ctx, d, rows_per_model):
    """migrate + loaddata: what Django's test runner builds."""
    path = os.path.join(ctx.data, f"django_loaded_{rows_per_model}.db")
    if not os.path.exists(path):
        shutil.copy(migrated(ctx, d), path + ".tmp")
        argv, env = manage(d, path + ".tmp", "loaddata", fixture_json(ctx, rows_per_model), "-v0")
        subprocess.run(argv, env=env, check=True)
        os.rename(path + ".tmp", path)
    return path


# -------------------------------------------------------------- cases


def in_process(argv):
    """A callable running the driver; the seconds it printed (ms) back."""
    def run():
        out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
        return float(out.split()[0]) / 1000.0
    return run


def wipe_command(ctx, drv, db, backups, cache):
    r = subprocess.run([ctx.devdb, "x.db", "help", "wipe"], capture_output=True)
    if r.returncode == 0:
        return [ctx.devdb, db, "--backups", backups, "wipe", "--yes"], "devdb DB wipe --yes"
    return [drv, "wipe", db, backups, cache], "reset_driver wipe (the shell has no wipe yet)"


def cases(ctx):
    drv = driver(ctx)
    have_django = ctx.ensure_debian("python3-django", "django-admin")
    d = django_project(ctx) if have_django else None

    # revert: the 3 MB fixture Django builds (100 tables x 100 rows)
    if d:
        fix = loaded(ctx, d, 100)
        yield Case("reset: revert 3 MB fixture vs memcpy", in_process([drv, "revert", fix, "200", "memory"]),
                   in_process([drv, "memcpy", fix, "200"]), "memcpy into fresh pages", goal=2.0,
                   note=f"{os.path.getsize(fix) >> 10} KiB, in-memory database, median of 200")
        testdb = os.path.join(ctx.data, "django_testdb.db")
        build = ["sh", "-c", f"BENCH_DB={testdb} {PY} {d}/manage.py migrate -v0 && "
                 f"BENCH_DB={testdb} {PY} {d}/manage.py loaddata {fixture_json(ctx, 100)} -v0"]
        yield Case("reset: revert 3 MB fixture vs Django test db", in_process([drv, "revert", fix, "50", "memory"]),
                   build, "Django migrate + loaddata", goal_min=1000, runs=3,
                   setup=lambda: os.path.exists(testdb) and os.remove(testdb))

    # wipe as whole processes, against copying an empty template
    backups, cache = os.path.join(ctx.data, "wipe_backups"), os.path.join(ctx.data, "wipe_cache")
    live = os.path.join(ctx.data, "wipe_live.db")
    for name, ntab, nrow, payload in [("wipe_1mb_20t.db", 20, 180, 40),
                                      ("wipe_25mb_500t.db", 500, 200, 40),
                                      ("wipe_200mb_100t.db", 100, 14500, 40)]:
        full = populated(ctx, name, ntab, nrow, payload)
        empty = empty_copy(ctx, full)
        ours, label = wipe_command(ctx, drv, live, backups, cache)

        def setup(full=full):
            shutil.rmtree(backups, ignore_errors=True)
            os.makedirs(backups)
            shutil.copy(full, live)
            os.sync()  # no writeback of the copy left to slow either side
        size = os.path.getsize(full) >> 20
        yield Case(f"reset: wipe {size} MB {ntab} tables vs cp", ours, ["cp", empty, live],
                   "cp empty.db DB", goal=1.5, setup=setup, runs=9, note=label)

    # wipe against Django's flush of the same data
    if d:
        flushdb = loaded(ctx, d, 100)
        ours, label = wipe_command(ctx, drv, live, backups, cache)

        def setup_flush():
            shutil.rmtree(backups, ignore_errors=True)
            os.makedirs(backups)
            shutil.copy(flushdb, live)
            os.sync()
        argv, env = manage(d, live, "flush", "--noinput", "-v0")
        yield Case("reset: wipe vs Django flush", ours,
                   ["sh", "-c", f"BENCH_DB={live} {' '.join(argv)}"], "manage.py flush",
                   goal_min=20, setup=setup_flush, runs=3, note=label)

    # backup of 200 MB: verified, against sqlite3 .backup (verifies nothing)
    big = populated(ctx, "wipe_200mb_100t.db", 100, 14500, 40)
    out1, out2 = os.path.join(ctx.data, "backup_ours.db"), os.path.join(ctx.data, "backup_cli.db")

    def clean():
        for p in (out1, out2):
            if os.path.exists(p):
                os.remove(p)
        os.sync()
    yield Case("reset: backup 200 MB (verified) vs .backup",
               ["sqlite3", big, f".load {ctx.ext}", f"SELECT devdb_backup('{out1}')"],
               ["sqlite3", big, f".backup {out2}"], "sqlite3 .backup", goal=1.0, setup=clean,
               note="quick_check of the copy included")

    def copy_phase():
        clean()
        out = subprocess.run([drv, "backup", big, out1], check=True, capture_output=True,
                             text=True).stdout.split()
        return float(out[out.index("copy") + 1]) / 1000.0
    yield Case("reset: backup 200 MB, the copy itself vs cp", copy_phase, ["cp", big, out2], "cp",
               goal=1.3, setup=clean, note="copy phase in-process, before its fsync")

    # load a 100,000-row Django fixture against loaddata
    if d:
        fixture = fixture_json(ctx, 1000)
        target = os.path.join(ctx.data, "load_target.db")
        argv, env = manage(d, target, "loaddata", fixture, "-v0")
        yield Case("reset: load 100k-row Django fixture vs loaddata",
                   ["sqlite3", target, f".load {ctx.ext}", f"SELECT devdb_load('{fixture}')"],
                   ["sh", "-c", f"BENCH_DB={target} {' '.join(argv)}"], "manage.py loaddata",
                   goal_min=20, runs=1,
                   setup=lambda: shutil.copy(migrated(ctx, d), target))
