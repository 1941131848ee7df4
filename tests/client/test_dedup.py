"""Python client test of the dedup area: devdb_duplicates and devdb_dedup as
an application uses them through Debian's sqlite3 module: parameters,
exceptions, and no transaction left open after success or failure."""
import json
import os
import sqlite3

B = os.environ.get("B", "build")


def check(name, cond, detail=""):
    print(("ok " if cond else "FAIL ") + name + ("" if cond else ": " + str(detail)))


def connect():
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.enable_load_extension(True)
    conn.load_extension(os.path.join(B, "devdb"))
    conn.enable_load_extension(False)
    return conn


conn = connect()
conn.executescript("""
    CREATE TABLE enrollment(id INTEGER PRIMARY KEY, user_id INT, course_id INT, at TEXT);
    INSERT INTO enrollment VALUES (1, 7, 3, 'b'), (2, 7, 3, 'c'), (3, 8, 3, 'a'), (4, 7, 3, 'a');
    CREATE TABLE note(id INTEGER PRIMARY KEY, enrollment_id INT REFERENCES enrollment(id));
    INSERT INTO note VALUES (1, 2), (2, 4);
""")

rows = conn.execute("SELECT key, n, keep_rowid, drop_rowids FROM devdb_duplicates(?, ?, ?)",
                    ("enrollment", "user_id, course_id", "at DESC")).fetchall()
check("python-dedup-listing", rows == [("[7,3]", 3, 2, "[1,4]")], rows)
check("python-dedup-listing-json", json.loads(rows[0][3]) == [1, 4], rows)

# restrict (the default) refuses with a message naming the child table;
# nothing changed and no transaction is left open.
try:
    conn.execute("SELECT devdb_dedup('enrollment', 'user_id, course_id')").fetchall()
    check("python-dedup-restrict", False, "no exception")
except sqlite3.OperationalError as e:
    check("python-dedup-restrict", "2 rows of 'note' point at" in str(e), e)
check("python-dedup-restrict-no-transaction", not conn.in_transaction)
check("python-dedup-restrict-unchanged",
      conn.execute("SELECT count(*) FROM enrollment").fetchone()[0] == 4)

n = conn.execute("SELECT devdb_dedup('enrollment', 'user_id, course_id', 'at DESC', "
                 "'repoint')").fetchone()[0]
check("python-dedup-repoint", n == 2, n)
check("python-dedup-repoint-no-transaction", not conn.in_transaction)
notes = conn.execute("SELECT id, enrollment_id FROM note ORDER BY id").fetchall()
check("python-dedup-repoint-children", notes == [(1, 2), (2, 2)], notes)

# Inside the application's own transaction it is a savepoint: the
# application's ROLLBACK undoes it.
conn.execute("INSERT INTO enrollment VALUES (5, 8, 3, 'z')")
conn.execute("BEGIN")
n = conn.execute("SELECT devdb_dedup('enrollment', 'user_id, course_id')").fetchone()[0]
check("python-dedup-in-transaction", n == 1 and conn.in_transaction, n)
conn.execute("ROLLBACK")
check("python-dedup-rolled-back-by-caller",
      conn.execute("SELECT count(*) FROM enrollment").fetchone()[0] == 3)
