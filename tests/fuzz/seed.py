#!/usr/bin/python3
"""seed.py: (re)build the committed seed corpora of tests/fuzz/ from fixtures/.

  tests/fuzz/seed.py        writes tests/fuzz/corpus/<target>/<sha1>

fuzz_sql       every CREATE statement of the fixtures' .sql files, one a file
fuzz_source    each fixture as SQL text (first byte 0), as a .sql file (1), and
               as a small database image (2: page size 512, vacuumed)
fuzz_migration every migration file of fixtures/migrations/, under the name of
               its directory's format (first byte)
fuzz_fixture   every fixture of fixtures/fixture/ (first byte: csv, json, sql)

Only inputs derived from fixtures/ are written, so the corpora stay small;
what a fuzzing run discovers stays in build/ (tests/fuzz/run.sh).
"""
import glob
import hashlib
import os
import sqlite3
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")


def put(target, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def statements(text):
    """The statements of a SQL script, split where SQLite would."""
    out, cur = [], ""
    for line in text.splitlines(keepends=True):
        cur += line
        if sqlite3.complete_statement(cur):
            out.append(cur.strip())
            cur = ""
    return out


def db_image(sql):
    """A small database holding the schema of sql, as bytes (None if it fails)."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "seed.db")
        con = sqlite3.connect(path)
        try:
            con.execute("PRAGMA page_size=512")
            con.executescript(sql)
            con.commit()
            con.execute("VACUUM")
        except sqlite3.Error:
            return None
        finally:
            con.close()
        with open(path, "rb") as f:
            return f.read()


MIGRATION_FORMAT = {"dbmate": 0, "golang_migrate": 1, "goose": 2, "flyway": 3, "plain": 4}
FIXTURE_FORMAT = {".csv": 0, ".json": 1, ".sql": 2}


def seed_readers():
    """The migration files and the fixtures, each with its format byte."""
    for d, fmt in MIGRATION_FORMAT.items():
        for path in sorted(glob.glob(os.path.join(ROOT, "fixtures", "migrations", d, "*"))):
            with open(path, "rb") as f:
                put("fuzz_migration", bytes([fmt]) + f.read())
    for path in sorted(glob.glob(os.path.join(ROOT, "fixtures", "fixture", "**", "*"),
                                 recursive=True)):
        ext = os.path.splitext(path)[1]
        if ext in FIXTURE_FORMAT and "schema" not in os.path.basename(path):
            with open(path, "rb") as f:
                put("fuzz_fixture", bytes([FIXTURE_FORMAT[ext]]) + f.read())


def main():
    seed_readers()
    files = sorted(glob.glob(os.path.join(ROOT, "fixtures", "**", "*.sql"), recursive=True))
    for path in files:
        with open(path, "rb") as f:
            data = f.read()
        text = data.decode("utf-8", "replace")
        for stmt in statements(text):
            if "CREATE" in stmt.upper():
                put("fuzz_sql", stmt.encode())
        put("fuzz_source", b"\x00" + data)
        put("fuzz_source", b"\x01" + data)
        image = db_image(text)
        if image:
            put("fuzz_source", b"\x02" + image)


if __name__ == "__main__":
    main()
