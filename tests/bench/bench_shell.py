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
