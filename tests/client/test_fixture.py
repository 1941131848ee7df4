"""Fixtures through Python's sqlite3: the dump of a database loads into an
empty one and dumps to the same text; and, with Django (Debian's
python3-django), a fixture written by Django's dumpdata loads with
devdb_load into the tables Django's migrate made, row for row what Django
itself holds."""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile

B = os.environ.get("B", "build")
EXT = os.path.join(B, "devdb")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DJANGO = os.path.join(ROOT, "fixtures", "fixture", "django")


def check(name, cond, detail=""):
    print(("ok " if cond else "FAIL ") + name + ("" if cond else ": " + str(detail)))


def connect(path=":memory:"):
    conn = sqlite3.connect(path, isolation_level=None)
    conn.enable_load_extension(True)
    conn.load_extension(EXT)
    conn.enable_load_extension(False)
    return conn


def dump_roundtrip(d):
    src = connect(os.path.join(d, "src.db"))
    src.executescript("""
        CREATE TABLE a(id INTEGER PRIMARY KEY AUTOINCREMENT, x TEXT, r REAL, b BLOB);
        CREATE TABLE plain(x, y);
        CREATE TABLE wr(k TEXT PRIMARY KEY, v) WITHOUT ROWID;
        CREATE TABLE django_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, app TEXT,
                                       name TEXT, applied TEXT);
        CREATE VIRTUAL TABLE notes USING fts5(body);
        CREATE INDEX a_x ON a(x);
        CREATE VIEW v AS SELECT x FROM a;
        CREATE TRIGGER t AFTER INSERT ON plain BEGIN SELECT 1; END;
        PRAGMA user_version = 9;
        PRAGMA application_id = 42;
    """)
    src.executemany("INSERT INTO a(x, r, b) VALUES (?, ?, ?)",
                    [("it's", 0.1, b"\x00\xff"), ("two\nlines", 1 / 3, None),
                     ("ünï", -0.0, b""), (None, 1e-310, b"x" * 3)])
    src.execute("DELETE FROM a WHERE id = 2")
    src.executemany("INSERT INTO plain(rowid, x, y) VALUES (?, ?, ?)", [(7, 1, 2), (99, None, "z")])
    src.execute("INSERT INTO wr VALUES ('k', 1)")
    src.execute("INSERT INTO django_migrations(app, name, applied) VALUES ('shop', '0001', 'now')")
    src.execute("INSERT INTO notes VALUES ('hello world')")
    src.execute("ANALYZE")
    text = src.execute("SELECT devdb_dump()").fetchone()[0]
    path = os.path.join(d, "dump.sql")
    with open(path, "w") as f:
        f.write(text)
    copy = connect(os.path.join(d, "copy.db"))
    copy.execute("SELECT devdb_load(?)", (path,)).fetchone()
    again = copy.execute("SELECT devdb_dump()").fetchone()[0]
    check("client-dump-roundtrip-same-text", again == text,
          "\n".join(l for l in again.splitlines() if l not in text.splitlines())[:500])
    same = all(src.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() ==
               copy.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()
               for t in ["a", "plain", "wr", "django_migrations", "sqlite_sequence"])
    check("client-dump-roundtrip-same-rows", same)
    check("client-dump-roundtrip-rowids",
          copy.execute("SELECT rowid FROM plain ORDER BY 1").fetchall() == [(7,), (99,)])
    check("client-dump-roundtrip-fts",
          copy.execute("SELECT body FROM notes WHERE notes MATCH 'hello'").fetchall() ==
          [("hello world",)])
    check("client-dump-roundtrip-header",
          copy.execute("PRAGMA user_version").fetchone()[0] == 9 and
          copy.execute("PRAGMA application_id").fetchone()[0] == 42)
    check("client-dump-roundtrip-integrity",
          copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok")


def have_django():
    r = subprocess.run(["/usr/bin/python3", "-c", "import django"], capture_output=True)
    return r.returncode == 0


def django_rows(conn, table):
    cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
    # JSON columns compare as JSON: Django writes them with Python's spacing
    sel = ", ".join(f"json({c})" if c == "meta" else c for c in cols)
    return conn.execute(f"SELECT {sel} FROM {table} ORDER BY 1").fetchall()


def django_live(d):
    manage = ["/usr/bin/python3", os.path.join(DJANGO, "manage.py")]
    ours_db, theirs_db = os.path.join(d, "ours.db"), os.path.join(d, "theirs.db")
    env = dict(os.environ, DEVDB_DJANGO_DB=theirs_db)
    subprocess.run(manage + ["migrate", "-v0"], env=env, check=True)
    subprocess.run(["/usr/bin/python3", os.path.join(DJANGO, "make.py"), "--populate"], env=env,
                   check=True)
    fixture = os.path.join(d, "shop.json")
    with open(fixture, "w") as f:
        subprocess.run(manage + ["dumpdata", "shop"], env=env, check=True, stdout=f)
    subprocess.run(manage + ["migrate", "-v0"], env=dict(env, DEVDB_DJANGO_DB=ours_db), check=True)
    ours = connect(ours_db)
    n = ours.execute("SELECT devdb_load(?)", (fixture,)).fetchone()[0]
    theirs = sqlite3.connect(theirs_db)
    tables = [r[0] for r in theirs.execute(
        "SELECT name FROM sqlite_schema WHERE type='table' AND name LIKE 'shop%' ORDER BY 1")]
    diff = [t for t in tables if django_rows(ours, t) != django_rows(theirs, t)]
    check("client-django-dumpdata-loads", n == len(json.load(open(fixture))), n)
    check("client-django-same-rows-as-django", tables and not diff,
          {t: (django_rows(ours, t), django_rows(theirs, t)) for t in diff})
    # and Django reads what devdb loaded
    r = subprocess.run(manage + ["shell", "-c",
                                 "from shop.models import Book; b = Book.objects.get(pk=1); "
                                 "print(b.published.isoformat(), b.price, sorted(t.name for t in "
                                 "b.tags.all()), b.meta['pages'])"],
                       env=dict(env, DEVDB_DJANGO_DB=ours_db), capture_output=True, text=True)
    check("client-django-reads-loaded-rows",
          r.stdout.strip() == "2001-02-03T04:05:06+00:00 9.99 ['classic', 'sf'] 412", r)


with tempfile.TemporaryDirectory(dir=os.environ.get("TESTTMP")) as d:
    dump_roundtrip(d)
    if have_django():
        django_live(d)
    else:
        print("# python3-django is not installed: the live Django test did not run")
