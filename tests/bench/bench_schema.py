"""Schema model benchmarks (the foundation issue)."""
import os
import subprocess

from bench import Case


def make_db(ctx, name, n, seed, changes=0):
    path = os.path.join(ctx.data, name)
    if not os.path.exists(path):
        sql = subprocess.run(["/usr/bin/python3", os.path.join(ctx.root, "tests/bench/gen_schema.py"),
                              str(n), str(seed), str(changes)],
                             check=True, capture_output=True, text=True).stdout
        subprocess.run(["sqlite3", path + ".tmp"], input=sql, text=True, check=True)
        os.rename(path + ".tmp", path)
    return path


def cases(ctx):
    a = make_db(ctx, "schema5000_a.db", 5000, 1)
    b = make_db(ctx, "schema5000_b.db", 5000, 1, 50)
    yield Case("schema: load models of two 5000-table schemas",
               ["sqlite3", ":memory:", f".load {ctx.ext}",
                f"SELECT count(*) FROM devdb_schema('{a}');",
                f"SELECT count(*) FROM devdb_schema('{b}');"],
               ["sh", "-c", f"sqlite3 {a} .schema >/dev/null && sqlite3 {b} .schema >/dev/null"],
               "sqlite3 .schema x2", goal=2.0)
