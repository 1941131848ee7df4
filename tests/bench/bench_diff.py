"""Schema diff benchmarks (issue 3): the plan of two large schemas, the apply
of a table rebuild, and each data-aware risk count, side by side with what a
person would run instead."""
import os
import shutil
import subprocess

from bench import Case
from bench_schema import make_db

ROWS = 1000000


def sqlite(path, *sql):
    subprocess.run(["sqlite3", path, *sql], check=True, stdout=subprocess.DEVNULL)


def make_rows_db(ctx):
    """build/bench/rows1m.db: t with 1M rows (b 10% NULL, e with duplicate
    groups, no index), p with 100k parents and c with 1M children, and
    rebuild1m.db: t with 1M rows and two indexes."""
    path = os.path.join(ctx.data, "rows1m.db")
    if not os.path.exists(path):
        sqlite(path + ".tmp", f"""
          CREATE TABLE t(id INTEGER PRIMARY KEY, a INT, b TEXT, c REAL, e TEXT);
          WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {ROWS})
          INSERT INTO t SELECT i, abs(random()) % 100000,
            CASE WHEN i % 10 = 0 THEN NULL ELSE hex(randomblob(16)) END,
            random() / 1e9, CASE WHEN i % 1000 = 0 THEN 'dup' || (i % 7) ELSE 'e' || i END FROM s;
          CREATE TABLE p(id INTEGER PRIMARY KEY, name TEXT);
          WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 100000)
          INSERT INTO p SELECT i, 'p' || i FROM s;
          CREATE TABLE c(id INTEGER PRIMARY KEY, pid INT);
          WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {ROWS})
          INSERT INTO c SELECT i, abs(random()) % 101000 FROM s;""")
        os.rename(path + ".tmp", path)
    base = os.path.join(ctx.data, "rebuild1m.db")
    if not os.path.exists(base):
        sqlite(base + ".tmp", f"""
          CREATE TABLE t(id INTEGER PRIMARY KEY, a INT, b TEXT, c REAL);
          WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {ROWS})
          INSERT INTO t SELECT i, abs(random()) % 100000, hex(randomblob(16)), random() / 1e9 FROM s;
          CREATE INDEX t_a ON t(a);
          CREATE INDEX t_b ON t(b);""")
        os.rename(base + ".tmp", base)
    return path, base


# The risk counts: a target that adds one risky change to rows1m.db, and the
# plain aggregate query that counts the same thing.
T = "id INTEGER PRIMARY KEY, a INT, b TEXT, c REAL, e TEXT"
PC = "CREATE TABLE p(id INTEGER PRIMARY KEY, name TEXT); CREATE TABLE c(id INTEGER PRIMARY KEY, pid INT)"
RISKS = [
    ("NOT NULL over NULLs",
     f"CREATE TABLE t({T.replace('b TEXT', 'b TEXT NOT NULL')}); {PC};",
     "SELECT count(*) FROM t WHERE b IS NULL"),
    ("UNIQUE over duplicate groups",
     f"CREATE TABLE t({T}); {PC}; CREATE UNIQUE INDEX t_e ON t(e);",
     "SELECT count(*) FROM (SELECT 1 FROM t WHERE e IS NOT NULL GROUP BY e HAVING count(*) > 1)"),
    ("CHECK violated",
     f"CREATE TABLE t({T}, CHECK (a < 90000)); {PC};",
     "SELECT count(*) FROM t WHERE NOT (a < 90000)"),
    ("foreign key orphans",
     f"CREATE TABLE t({T}); CREATE TABLE p(id INTEGER PRIMARY KEY, name TEXT); "
     "CREATE TABLE c(id INTEGER PRIMARY KEY, pid INT REFERENCES p(id));",
     "SELECT count(*) FROM c WHERE pid IS NOT NULL AND NOT EXISTS (SELECT 1 FROM p WHERE p.id = c.pid)"),
    ("dropped column values",
     f"CREATE TABLE t(id INTEGER PRIMARY KEY, a INT, c REAL, e TEXT); {PC};",
     "SELECT count(*) FROM t WHERE b IS NOT NULL"),
]


def cases(ctx):
    ctx.ensure_debian("sqlite3-tools", "sqldiff")
    a = make_db(ctx, "schema5000_a.db", 5000, 1)
    b = make_db(ctx, "schema5000_b.db", 5000, 1, 50)
    plan = ["sqlite3", ":memory:", f".load {ctx.ext}",
            f"SELECT count(*), sum(length(sql)) FROM devdb_diff('{a}', '{b}');"]
    yield Case("diff: full plan of two 5000-table schemas", plan,
               ["sh", "-c", f"sqlite3 {a} .schema >/dev/null && sqlite3 {b} .schema >/dev/null"],
               "sqlite3 .schema x2", goal=3.0, note="50 changed objects")
    if shutil.which("sqldiff"):
        yield Case("diff: the same against sqldiff --schema", plan,
                   ["sqldiff", "--schema", a, b], "sqldiff --schema", goal_min=50, runs=1,
                   note="sqldiff finds only table and column changes")

    rows, base = make_rows_db(ctx)
    work = os.path.join(ctx.data, "rebuild1m_work.db")
    target = ("CREATE TABLE t(id INTEGER PRIMARY KEY, a INT, b TEXT NOT NULL DEFAULT '', c REAL); "
              "CREATE INDEX t_a ON t(a); CREATE INDEX t_b ON t(b);")
    hand = """PRAGMA foreign_keys=OFF;
BEGIN;
CREATE TABLE new_t(id INTEGER PRIMARY KEY, a INT, b TEXT NOT NULL DEFAULT '', c REAL);
INSERT INTO new_t(id, a, b, c) SELECT id, a, coalesce(b, ''), c FROM t;
DROP TABLE t;
ALTER TABLE new_t RENAME TO t;
CREATE INDEX t_a ON t(a);
CREATE INDEX t_b ON t(b);
PRAGMA foreign_key_check;
COMMIT;
PRAGMA foreign_keys=ON;"""
    hand_sql = os.path.join(ctx.data, "rebuild1m_hand.sql")
    with open(hand_sql, "w") as f:
        f.write(hand)
    yield Case("apply: rebuild a 1M-row table with 2 indexes",
               ["sqlite3", work, f".load {ctx.ext}", f"SELECT length(devdb_apply('{target.replace(chr(39), chr(39) * 2)}'));"],
               ["sh", "-c", f"sqlite3 {work} < {hand_sql}"], "hand-written 12 steps", goal=1.0,
               setup=lambda: shutil.copyfile(base, work), note="NOT NULL DEFAULT on a column")

    for name, tgt, plain in RISKS:
        q = tgt.replace("'", "''")
        yield Case(f"risk count: {name}",
                   ["sqlite3", rows, f".load {ctx.ext}", f"SELECT risk FROM devdb_diff('main', '{q}');"],
                   ["sqlite3", rows, plain], "the plain aggregate", goal=1.2, note=f"{ROWS} rows")
