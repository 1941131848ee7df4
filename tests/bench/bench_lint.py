"""Lint benchmarks (issue 3): each data-aware count of devdb_lint on
1,000,000 rows against the plain aggregate query that counts the same thing
(goal: at most 1.2x), and lint of a 5,000-table schema against loading its
model. devdb_lint gets a source that differs from main in that one
constraint, so it makes exactly that one count (plus loading both models)."""
import os
import subprocess

from bench import Case
from bench_schema import make_db as make_schema_db

ROWS = 1_000_000

# main.t: duplicates on (a, b), NULLs in c, negative qty, orphan pid; main.u: text in x.
GEN = f"""
PRAGMA journal_mode = OFF;
BEGIN;
CREATE TABLE p(id INTEGER PRIMARY KEY);
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 100000)
INSERT INTO p SELECT i FROM s;
CREATE TABLE t(id INTEGER PRIMARY KEY, a INT, b INT, c TEXT, qty INT, pid INT, x TEXT);
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {ROWS})
INSERT INTO t SELECT i, i % 400000, i % 7, CASE WHEN i % 97 = 0 THEN NULL ELSE 'c' || i END,
  (i % 1000) - 3, i % 100003, CASE WHEN i % 11 = 0 THEN 'x' || i ELSE i END FROM s;
CREATE TABLE u(x TEXT);
INSERT INTO u SELECT x FROM t;
COMMIT;
"""

BASE = "id INTEGER PRIMARY KEY, a INT, b INT, c TEXT, qty INT, pid INT, x TEXT"


def make_db(ctx):
    path = os.path.join(ctx.data, "lint_1m.db")
    if not os.path.exists(path):
        subprocess.run(["sqlite3", path + ".tmp"], input=GEN, text=True, check=True,
                       stdout=subprocess.DEVNULL)
        os.rename(path + ".tmp", path)
    return path


def lint(ctx, db, source_sql):
    src = source_sql.replace("'", "''")
    return ["sqlite3", db, f".load {ctx.ext}",
            f"SELECT count(*) FROM devdb_lint('{src}') WHERE rule LIKE 'will-fail%'"]


def cases(ctx):
    db = make_db(ctx)
    p = "CREATE TABLE p(id INTEGER PRIMARY KEY); "
    counts = [
        ("unique over duplicates", f"CREATE TABLE t({BASE}, UNIQUE(a, b))",
         "SELECT count(*), sum(n - 1) FROM (SELECT count(*) AS n FROM t WHERE a IS NOT NULL "
         "AND b IS NOT NULL GROUP BY a, b HAVING count(*) > 1)"),
        ("NOT NULL over NULLs", f"CREATE TABLE t({BASE.replace('c TEXT', 'c TEXT NOT NULL')})",
         "SELECT count(*) FROM t WHERE c IS NULL"),
        ("CHECK violations", f"CREATE TABLE t({BASE}, CHECK (qty >= 0))",
         "SELECT count(*) FROM t WHERE NOT (qty >= 0)"),
        ("foreign key orphans",
         p + f"CREATE TABLE t({BASE.replace('pid INT', 'pid INT REFERENCES p(id)')})",
         "SELECT count(*) FROM t LEFT JOIN p ON p.id = t.pid "
         "WHERE t.pid IS NOT NULL AND p.id IS NULL"),
        ("STRICT type conversion", "CREATE TABLE u(x INTEGER) STRICT",
         "SELECT count(*) FROM u WHERE x IS NOT NULL AND NOT (x = CAST(x AS INTEGER))"),
    ]
    for name, source, plain in counts:
        yield Case(f"lint: {name}, 1M rows", lint(ctx, db, source), ["sqlite3", db, plain],
                   "plain aggregate query", goal=1.2)
    schema = make_schema_db(ctx, "schema5000_a.db", 5000, 1)
    yield Case("lint: 5000-table schema",
               ["sqlite3", ":memory:", f".load {ctx.ext}",
                f"SELECT count(*) FROM devdb_lint('{schema}')"],
               ["sqlite3", ":memory:", f".load {ctx.ext}",
                f"SELECT count(*) FROM devdb_schema('{schema}')"],
               "devdb_schema (model load)", goal=2.0)
