"""Python client test: Debian's /usr/bin/python3 loads build/devdb with
sqlite3's load_extension and uses it like any application would."""
import os
import sqlite3
import sys
import tempfile

B = os.environ.get("B", "build")
results = []


def check(name, cond, detail=""):
    print(("ok " if cond else "FAIL ") + name + ("" if cond else ": " + str(detail)))


def connect(path=":memory:"):
    conn = sqlite3.connect(path)
    conn.enable_load_extension(True)
    conn.load_extension(os.path.join(B, "devdb"))
    conn.enable_load_extension(False)
    return conn


conn = connect()
version = conn.execute("SELECT devdb_version()").fetchone()[0]
check("python-version", version.count(".") == 2, version)

conn.execute("CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE)")
rows = conn.execute(
    "SELECT kind, name, def FROM devdb_schema WHERE tbl = 'users' ORDER BY rowid").fetchall()
check("python-schema-rows", rows == [
    ("table", "users", ""),
    ("column", "id", "INTEGER"),
    ("column", "email", "TEXT NOT NULL"),
    ("primary_key", None, "PRIMARY KEY(id)"),
    ("unique", None, "UNIQUE(email)"),
], rows)

# Errors arrive as sqlite3 exceptions with devdb's message.
try:
    conn.execute("SELECT * FROM devdb_schema('nowhere')").fetchall()
    check("python-error", False, "no exception")
except sqlite3.OperationalError as e:
    check("python-error", "'nowhere'" in str(e), e)

# A file source given as a parameter, from another connection's file.
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "app.db")
    other = sqlite3.connect(path)
    other.execute("CREATE TABLE orders(id INTEGER PRIMARY KEY, total REAL)")
    other.commit()
    other.close()
    cols = [r[0] for r in conn.execute(
        "SELECT name FROM devdb_schema(?) WHERE kind = 'column'", (path,))]
    check("python-file-source", cols == ["id", "total"], cols)
    check("python-no-transaction-left", not conn.in_transaction)
conn.close()
