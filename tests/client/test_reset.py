"""Reset area through Python's sqlite3, with other processes at work:
backup while another process writes, restore while another connection
reads, a backup killed with SIGKILL halfway, snapshots of :memory:."""
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

B = os.environ.get("B", "build")
EXT = os.path.join(B, "devdb")


def check(name, cond, detail=""):
    print(("ok " if cond else "FAIL ") + name + ("" if cond else ": " + str(detail)))


def connect(path=":memory:", timeout=5.0):
    conn = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    conn.enable_load_extension(True)
    conn.load_extension(EXT)
    conn.enable_load_extension(False)
    return conn


def one(conn, sql, *args):
    return conn.execute(sql, args).fetchone()[0]


# A writer in another process moves money between accounts, one transaction
# per move: the total never changes in any committed state.
WRITER = r"""
import sqlite3, sys, random, time
conn = sqlite3.connect(sys.argv[1], timeout=10, isolation_level=None)
random.seed(1)
while True:
    a, b = random.randrange(200), random.randrange(200)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE account SET balance = balance - 1 WHERE id = ?", (a,))
    conn.execute("UPDATE account SET balance = balance + 1 WHERE id = ?", (b,))
    conn.execute("INSERT INTO log(note) VALUES (randomblob(200))")
    conn.execute("COMMIT")
    time.sleep(0.001)
"""


def make_bank(path, mode):
    conn = connect(path)
    conn.execute(f"PRAGMA journal_mode={mode}")
    conn.execute("CREATE TABLE account(id INTEGER PRIMARY KEY, balance INT)")
    conn.execute("CREATE TABLE log(id INTEGER PRIMARY KEY, note BLOB)")
    conn.execute("WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM n "
                 "WHERE i < 199) INSERT INTO account SELECT i, 100 FROM n")
    conn.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 5000) "
                 "INSERT INTO log(note) SELECT randomblob(300) FROM n")
    return conn


def backup_under_writes(d, mode):
    path = os.path.join(d, f"bank_{mode}.db")
    conn = make_bank(path, mode)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, path])
    try:
        time.sleep(0.2)
        ok = True
        for i in range(5):
            out = os.path.join(d, f"bank_{mode}_{i}.db")
            n = one(conn, "SELECT devdb_backup(?)", out)
            copy = sqlite3.connect(out)
            total = one(copy, "SELECT sum(balance) FROM account")
            qc = one(copy, "PRAGMA integrity_check")
            ok = ok and n == os.path.getsize(out) and total == 20000 and qc == "ok"
            copy.close()
        logs = one(conn, "SELECT count(*) FROM log")
    finally:
        writer.kill()
        writer.wait()
    check(f"client-backup-while-writing-{mode}", ok and logs > 5000, (ok, logs))
    conn.close()


def restore_while_reading(d):
    # WAL: a reader inside a transaction keeps its snapshot; the restore
    # goes through and the reader sees it when its transaction ends.
    path = os.path.join(d, "live_wal.db")
    conn = make_bank(path, "wal")
    one(conn, "SELECT devdb_backup(?)", os.path.join(d, "good.db"))
    conn.execute("UPDATE account SET balance = 0")
    reader = connect(path)
    reader.execute("BEGIN")
    before = one(reader, "SELECT sum(balance) FROM account")
    n = one(conn, "SELECT devdb_restore(?)", os.path.join(d, "good.db"))
    during = one(reader, "SELECT sum(balance) FROM account")
    reader.execute("COMMIT")
    after = one(reader, "SELECT sum(balance) FROM account")
    check("client-restore-while-reading-wal", (before, during, after) == (0, 0, 20000) and n > 0,
          (before, during, after, n))
    reader.close()
    conn.close()

    # Rollback journal: a reader's lock makes the restore fail cleanly,
    # and the database is unchanged.
    path = os.path.join(d, "live_delete.db")
    conn = make_bank(path, "delete")
    conn.execute("PRAGMA busy_timeout = 100")
    one(conn, "SELECT devdb_backup(?)", os.path.join(d, "good2.db"))
    conn.execute("UPDATE account SET balance = 0")
    reader = connect(path)
    reader.execute("BEGIN")
    one(reader, "SELECT sum(balance) FROM account")
    try:
        one(conn, "SELECT devdb_restore(?)", os.path.join(d, "good2.db"))
        check("client-restore-blocked-by-reader", False, "no error")
    except sqlite3.OperationalError as e:
        check("client-restore-blocked-by-reader", "locked" in str(e), e)
    reader.execute("COMMIT")
    check("client-restore-blocked-unchanged", one(conn, "SELECT sum(balance) FROM account") == 0)
    check("client-restore-no-transaction-left", not conn.in_transaction)
    reader.close()
    conn.close()


# A backup killed at a random moment leaves the old good backup, or the
# complete new one: never a broken or empty file under the final name.
KILLED = r"""
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
conn.enable_load_extension(True)
conn.load_extension(sys.argv[3])
print("start", flush=True)
conn.execute("SELECT devdb_backup(?)", (sys.argv[2],)).fetchone()
"""


def killed_backup(d):
    path = os.path.join(d, "big.db")
    conn = make_bank(path, "delete")
    conn.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 60000) "
                 "INSERT INTO log(note) SELECT randomblob(300) FROM n")
    out = os.path.join(d, "big_backup.db")
    conn.execute("INSERT INTO account VALUES (1000, 0)")
    one(conn, "SELECT devdb_backup(?)", out)  # the old good backup: 201 accounts
    conn.execute("INSERT INTO account VALUES (1001, 0)")
    random.seed(7)
    env = dict(os.environ)
    results = set()
    midway = 0
    for i in range(8):
        p = subprocess.Popen([sys.executable, "-c", KILLED, path, out, EXT],
                             stdout=subprocess.PIPE, env=env)
        p.stdout.readline()
        time.sleep(random.uniform(0, 0.12))
        p.send_signal(signal.SIGKILL)
        p.wait()
        temps = [f for f in os.listdir(d) if f.startswith("big_backup.db.tmp-")]
        midway += len(temps) > 0
        for f in temps:  # the next backup would remove them; keep the count honest
            os.remove(os.path.join(d, f))
        copy = sqlite3.connect(out)
        try:
            state = (one(copy, "PRAGMA integrity_check"), one(copy, "SELECT count(*) FROM account"))
        except sqlite3.DatabaseError as e:
            state = ("error", str(e))
        copy.close()
        results.add(state)
    check("client-killed-backup-old-or-new", results <= {("ok", 201), ("ok", 202)}, results)
    check("client-killed-backup-was-killed-midway", midway > 0, midway)
    conn.close()


def snapshots():
    conn = connect()
    conn.execute("CREATE TABLE t(x)")
    conn.execute("INSERT INTO t VALUES (1)")
    one(conn, "SELECT devdb_snapshot('py')")
    other = connect()
    for i in range(3):
        other.execute("CREATE TABLE IF NOT EXISTS junk(y)")
        one(other, "SELECT devdb_revert('py')")
    check("client-snapshot-other-connection", other.execute("SELECT x FROM t").fetchall() == [(1,)])
    check("client-snapshot-no-junk",
          one(other, "SELECT count(*) FROM sqlite_schema WHERE name='junk'") == 0)
    one(conn, "SELECT devdb_snapshot_drop('py')")
    conn.close()
    other.close()


with tempfile.TemporaryDirectory(dir=os.environ.get("TESTTMP")) as d:
    backup_under_writes(d, "delete")
    backup_under_writes(d, "wal")
    restore_while_reading(d)
    killed_backup(d)
    snapshots()
