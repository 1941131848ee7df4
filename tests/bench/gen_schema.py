"""Generate a large schema for benchmarks: N tables (with columns of every
affinity, CHECKs, foreign keys to earlier tables, UNIQUE constraints, one or
two indexes each) plus views and triggers: about 3.4 objects per table.
  gen_schema.py N SEED [CHANGES] > schema.sql
CHANGES > 0 alters that many objects (deterministically from SEED): the same
schema with CHANGES objects added, dropped or changed, for diff benchmarks."""
import random
import sys


def table_sql(i, rnd, variant=0):
    cols = [f"id INTEGER PRIMARY KEY",
            f"name TEXT NOT NULL DEFAULT ''",
            f"qty INT CHECK (qty >= 0)",
            f"price REAL",
            f"data BLOB",
            f"code VARCHAR(32) COLLATE NOCASE"]
    if i > 0:
        cols.append(f"parent_id INTEGER REFERENCES t{rnd.randrange(i)}(id) ON DELETE CASCADE")
    if variant == 1:
        cols.append("added TEXT")
    if variant == 2:
        cols[3] = "price NUMERIC"
    cons = ["UNIQUE (name, code)"]
    return f"CREATE TABLE t{i} (\n  " + ",\n  ".join(cols + cons) + "\n);"


def main():
    n, seed = int(sys.argv[1]), int(sys.argv[2])
    changes = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    rnd = random.Random(seed)
    changed = {}
    crnd = random.Random(seed + 1)
    for k in crnd.sample(range(n), changes):
        changed[k] = crnd.choice(["add_col", "type", "drop_index", "new_index", "view", "drop_table"])
    out = ["BEGIN;"]
    for i in range(n):
        c = changed.get(i)
        variant = 1 if c == "add_col" else 2 if c == "type" else 0
        tsql = table_sql(i, rnd, variant)
        if c == "drop_table":
            continue
        out.append(tsql)
        if c != "drop_index":
            out.append(f"CREATE INDEX t{i}_qty ON t{i}(qty);")
        if c == "new_index":
            out.append(f"CREATE INDEX t{i}_price ON t{i}(price DESC) WHERE price > 0;")
        if i % 3 == 0:
            out.append(f"CREATE INDEX t{i}_lower ON t{i}(lower(name));")
        if i % 5 == 0:
            where = "qty > 10" if c == "view" else "qty > 0"
            out.append(f"CREATE VIEW v{i} AS SELECT id, name FROM t{i} WHERE {where};")
        if i % 10 == 0:
            out.append(f"CREATE TRIGGER tr{i} AFTER UPDATE OF qty ON t{i} "
                       f"BEGIN UPDATE t{i} SET price = price WHERE id = NEW.id; END;")
    out.append("COMMIT;")
    print("\n".join(out))


main()
