"""Shell benchmarks (issue 7), whole processes.

The project: 100 tables made by 100 dbmate-format migrations (every fifth
table references the one before), fixtures of 100 rows per table as one
.sql file per table, and app.db with every migration applied (dbmate's
schema_migrations) and the fixtures loaded. Generated under
build/bench/shell_project.
"""
import os
import shutil
import subprocess

from bench import Case

N_TABLES = 100
N_ROWS = 100


def table_sql(i):
    ref = f",\n  parent_id INTEGER REFERENCES t{i - 1}(id)" if i % 5 == 0 and i > 0 else ""
    return (f"CREATE TABLE t{i} (\n  id INTEGER PRIMARY KEY,\n  name TEXT NOT NULL,\n"
            f"  score REAL DEFAULT 0,\n  created_at TEXT{ref}\n);\n"
            f"CREATE INDEX t{i}_name ON t{i}(name);\n")


def fixture_sql(i):
    ref = i % 5 == 0 and i > 0
    rows = []
    for r in range(1, N_ROWS + 1):
        cols = f"{r}, 'name {i}-{r}', {r * 0.5}, '2024-01-01 00:00:{r % 60:02d}'"
        rows.append(f"({cols}{', ' + str(r) if ref else ''})")
    names = "id, name, score, created_at" + (", parent_id" if ref else "")
    return f"INSERT INTO t{i} ({names}) VALUES\n" + ",\n".join(rows) + ";\n"


def make_project(ctx):
    """The project directory; made once."""
    root = os.path.join(ctx.data, "shell_project")
    if os.path.exists(os.path.join(root, "app.db")):
        return root
    shutil.rmtree(root, ignore_errors=True)
    mig = os.path.join(root, "db", "migrations")
    fix = os.path.join(root, "db", "fixtures")
    os.makedirs(mig)
    os.makedirs(fix)
    script = ["CREATE TABLE schema_migrations (version VARCHAR(128) PRIMARY KEY);"]
    for i in range(N_TABLES):
        version = f"2024010100{i:04d}"
        with open(os.path.join(mig, f"{version}_create_t{i}.sql"), "w") as f:
            f.write(f"-- migrate:up\n{table_sql(i)}\n-- migrate:down\nDROP TABLE t{i};\n")
        with open(os.path.join(fix, f"{i:03d}_t{i}.sql"), "w") as f:
            f.write(fixture_sql(i))
        script.append(table_sql(i))
        script.append(f"INSERT INTO schema_migrations VALUES ('{version}');")
    for i in range(N_TABLES):
        script.append(fixture_sql(i))
    subprocess.run(["sqlite3", os.path.join(root, "app.db.tmp")], input="\n".join(script),
                   text=True, check=True)
    os.rename(os.path.join(root, "app.db.tmp"), os.path.join(root, "app.db"))
    return root


def cases(ctx):
    root = make_project(ctx)
    db = os.path.join(root, "app.db")
    yield Case("shell: status, 100 tables",
               [ctx.devdb, "--migrations", os.path.join(root, "db", "migrations"), db, "status"],
               ["sqlite3", db, "SELECT 1"], "sqlite3 DB 'SELECT 1'", goal=1.5, runs=21)
    cache = os.path.join(root, ".devdb", "cache", "app.db.status")

    def drop_cache():
        if os.path.exists(cache):
            os.remove(cache)
    yield Case("shell: status, 100 tables, nothing cached",
               [ctx.devdb, "--migrations", os.path.join(root, "db", "migrations"), db, "status"],
               ["sqlite3", db, "SELECT 1"], "sqlite3 DB 'SELECT 1'", setup=drop_cache, runs=11,
               note="first status after a change: no goal, shown for the record")
    shutil.copy(db, os.path.join(root, "hand.db"))
    yield from rebuild_cases(ctx, root)


# ----------------------------------------------------------------- rebuild

def fixtures_sql(root):
    """All fixture files of the project concatenated, for the sqlite3 CLI."""
    path = os.path.join(root, "fixtures_all.sql")
    if not os.path.exists(path):
        fix = os.path.join(root, "db", "fixtures")
        with open(path, "w") as out:
            for name in sorted(os.listdir(fix)):
                with open(os.path.join(fix, name)) as f:
                    out.write(f.read())
    return path


def ups_sql(root):
    """The up sections of every migration and dbmate's history rows: what a
    person would feed the sqlite3 CLI to apply them by hand."""
    path = os.path.join(root, "ups_all.sql")
    if not os.path.exists(path):
        mig = os.path.join(root, "db", "migrations")
        parts = ["CREATE TABLE schema_migrations (version VARCHAR(128) PRIMARY KEY);"]
        for name in sorted(os.listdir(mig)):
            with open(os.path.join(mig, name)) as f:
                text = f.read()
            parts.append(text.split("-- migrate:up", 1)[1].split("-- migrate:down", 1)[0])
            parts.append(f"INSERT INTO schema_migrations VALUES ('{name.split('_', 1)[0]}');")
        with open(path, "w") as out:
            out.write("\n".join(parts))
    return path


def django_project(ctx, root):
    """A Django project whose app has the 100 models of the project and its
    fixtures in Django's format; None when Django cannot be installed."""
    if not ctx.ensure_debian("python3-django", "django-admin"):
        return None
    dj = os.path.join(ctx.data, "shell_django")
    if os.path.exists(os.path.join(dj, "fixtures.json")):
        return dj
    shutil.rmtree(dj, ignore_errors=True)
    os.makedirs(os.path.join(dj, "proj"))
    os.makedirs(os.path.join(dj, "app", "migrations"))
    for d in ("proj", "app", os.path.join("app", "migrations")):
        open(os.path.join(dj, d, "__init__.py"), "w").close()
    with open(os.path.join(dj, "manage.py"), "w") as f:
        f.write("import os, sys\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n"
                "from django.core.management import execute_from_command_line\n"
                "execute_from_command_line(sys.argv)\n")
    with open(os.path.join(dj, "proj", "settings.py"), "w") as f:
        f.write("SECRET_KEY = 'bench'\nINSTALLED_APPS = ['app']\nUSE_TZ = False\n"
                "DEFAULT_AUTO_FIELD = 'django.db.models.AutoField'\n"
                "DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', "
                "'NAME': 'django.db'}}\n")
    models = ["from django.db import models\n"]
    for i in range(N_TABLES):
        ref = (f"    parent = models.ForeignKey('T{i - 1}', null=True, on_delete=models.CASCADE)\n"
               if i % 5 == 0 and i > 0 else "")
        models.append(f"class T{i}(models.Model):\n    name = models.CharField(max_length=100, "
                      f"db_index=True)\n    score = models.FloatField(default=0)\n"
                      f"    created_at = models.TextField(null=True)\n{ref}"
                      f"    class Meta:\n        db_table = 't{i}'\n")
    with open(os.path.join(dj, "app", "models.py"), "w") as f:
        f.write("\n".join(models))
    subprocess.run(["/usr/bin/python3", "manage.py", "makemigrations", "app", "-v0"], cwd=dj,
                   check=True)
    records = []
    for i in range(N_TABLES):
        for r in range(1, N_ROWS + 1):
            fields = {"name": f"name {i}-{r}", "score": r * 0.5,
                      "created_at": f"2024-01-01 00:00:{r % 60:02d}"}
            if i % 5 == 0 and i > 0:
                fields["parent"] = r
            records.append({"model": f"app.t{i}", "pk": r, "fields": fields})
    import json
    with open(os.path.join(dj, "fixtures.json"), "w") as f:
        json.dump(records, f)
    return dj


def rebuild_cases(ctx, root):
    db = os.path.join(root, "app.db")
    ours = [ctx.devdb, db, "rebuild", "--yes", "--quiet"]
    subprocess.run(ours, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fill the cache
    dj = django_project(ctx, root)
    if dj:
        yield Case("shell: rebuild --yes, nothing changed", ours,
                   ["sh", "-c", "rm -f django.db && /usr/bin/python3 manage.py migrate -v0 && "
                    "/usr/bin/python3 manage.py loaddata -v0 fixtures.json"],
                   "Django: rm db, migrate, loaddata", goal_min=100, runs=3,
                   setup=lambda: os.chdir(dj))
    dbmate = ctx.ensure_npm("dbmate", "dbmate")
    if dbmate:
        mig = os.path.join(root, "db", "migrations")
        url = "sqlite:" + os.path.join(root, "dbmate.db")
        yield Case("shell: rebuild --yes, nothing changed", ours,
                   ["sh", "-c", f"{dbmate} --url {url} --migrations-dir {mig} --no-dump-schema "
                    f"drop >/dev/null && {dbmate} --url {url} --migrations-dir {mig} "
                    f"--no-dump-schema up >/dev/null && sqlite3 {root}/dbmate.db < "
                    f"{fixtures_sql(root)}"],
                   "dbmate drop+up, sqlite3 < fixtures", goal_min=10, runs=5)
    first = os.path.join(root, "db", "migrations", sorted(os.listdir(os.path.join(root, "db", "migrations")))[0])

    def change_migrations():
        os.utime(first)  # a new mtime: the fingerprint changes, nothing is cached
    hand = os.path.join(root, "hand.db")
    yield Case("shell: rebuild --yes, migrations changed", ours,
               ["sh", "-c", f"sqlite3 {hand} '.backup {root}/hand-backup.db' && rm -f {hand} && "
                f"sqlite3 {hand} < {ups_sql(root)} && sqlite3 {hand} < {fixtures_sql(root)} && "
                f"sqlite3 {hand} 'PRAGMA integrity_check; PRAGMA foreign_key_check;' >/dev/null"],
               "the same steps with the sqlite3 CLI", goal=1.2, runs=5, setup=change_migrations,
               note="backup, new db, migrations, fixtures, integrity and foreign key checks")
