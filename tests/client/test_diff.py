"""Python client test of the schema diff: devdb_diff, devdb_apply and
devdb_add_column used from Debian's /usr/bin/python3 as an application would,
with Python's own transaction handling, and the diff's loading of a source
in a second thread while Python holds the connection."""
import os
import sqlite3
import tempfile
import threading

B = os.environ.get("B", "build")


def check(name, cond, detail=""):
    print(("ok " if cond else "FAIL ") + name + ("" if cond else ": " + str(detail)))


def connect(path):
    conn = sqlite3.connect(path)
    conn.enable_load_extension(True)
    conn.load_extension(os.path.join(B, "devdb"))
    conn.enable_load_extension(False)
    return conn


tmp = tempfile.mkdtemp(prefix="devdb-diff-")
db = os.path.join(tmp, "app.db")
conn = connect(db)
conn.executescript("""
    CREATE TABLE users(id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT);
    CREATE TABLE posts(id INTEGER PRIMARY KEY, user_id INT REFERENCES users(id) ON DELETE CASCADE);
    INSERT INTO users(email) VALUES ('a@x'), ('b@x'), (NULL);
    INSERT INTO posts(user_id) VALUES (1), (2), (3);
    PRAGMA foreign_keys = ON;
""")
target = os.path.join(tmp, "target.sql")
with open(target, "w") as f:
    f.write("""CREATE TABLE users(id INTEGER PRIMARY KEY AUTOINCREMENT,
                 email TEXT NOT NULL DEFAULT '' COLLATE NOCASE);
               CREATE TABLE posts(id INTEGER PRIMARY KEY,
                 user_id INT REFERENCES users(id) ON DELETE CASCADE);""")

rows = conn.execute("SELECT change, risk FROM devdb_diff('main', ?) ORDER BY seq",
                    (target,)).fetchall()
check("python-diff-rows", [r[0] for r in rows] == ["alter", "rebuild"], rows)
check("python-diff-cascade-hazard", "cascade-hazard" in (rows[1][1] or ""), rows)

# Python opens a transaction before DML: inside it, with foreign keys on, a
# rebuild of a parent is refused and nothing changes.
conn.execute("INSERT INTO users(email) VALUES ('c@x')")
check("python-in-transaction", conn.in_transaction)
try:
    conn.execute("SELECT devdb_apply(?)", (target,)).fetchone()
    check("python-apply-refused-in-transaction", False, "no error")
except sqlite3.OperationalError as e:
    check("python-apply-refused-in-transaction", "inside a transaction" in str(e), e)
conn.rollback()

out = conn.execute("SELECT devdb_apply(?)", (target,)).fetchone()[0]
check("python-apply", out.startswith("alter column email"), out)
check("python-apply-no-transaction-left", not conn.in_transaction)
check("python-apply-children-kept", conn.execute("SELECT count(*) FROM posts").fetchone()[0] == 3)
check("python-apply-foreign-keys-restored",
      conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1)
check("python-apply-filled", conn.execute(
    "SELECT group_concat(quote(email)) FROM users").fetchone()[0] == "'a@x','b@x',''")

added = conn.execute("SELECT devdb_add_column('users', 'age INT DEFAULT 0'), "
                     "devdb_add_column('users', 'age INT DEFAULT 0')").fetchone()
check("python-add-column", added == (1, 0), added)

# Loading sources in a second thread while other Python threads use other
# connections to the same file: every diff gives the same answer.
other = os.path.join(tmp, "other.db")
with connect(other) as c2:
    c2.executescript("CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT, city TEXT);")
answers = []


def worker():
    c = connect(db)
    for _ in range(20):
        answers.append(c.execute("SELECT count(*) FROM devdb_diff(?, 'main')",
                                 (other,)).fetchone()[0])
    c.close()


threads = [threading.Thread(target=worker) for _ in range(3)]
for t in threads:
    t.start()
for t in threads:
    t.join()
check("python-diff-threads", len(answers) == 60 and len(set(answers)) == 1, set(answers))
conn.close()
