#!/usr/bin/python3
"""hostile.py: databases whose schema calls devdb (reliability.md §2, §6 E).

Invariant N6, no escalation: a database is data someone can hand you, and
its views, triggers, DEFAULTs, CHECKs, generated columns and indexes run
whenever the tables are read or written. For every side-effect (DIRECTONLY)
function and every virtual table in tests/inventory/expected.txt, so that a
new one is covered without an edit, this builds one database per vector
(E1) and opens it in each host:

  python       Debian's python3 with devdb.so loaded, trusted_schema on
  python-ts0   the same with PRAGMA trusted_schema=OFF
  sqlite3      the stock sqlite3 CLI with .load (trusted_schema on, E2)
  devdb        the devdb shell

Each must refuse ("unsafe use of ...", or "malformed database schema" for a
CHECK, generated column or index), and afterwards the canary table is
byte-for-byte the same and no file appeared in the directory (the calls
are given arguments that would leave a trace: a table name, a file name).
E3: every INNOCUOUS function still works from a view with trusted_schema
OFF. E6: the devdb shell does not let SQL load an extension.

  hostile.py [--quick]     (--quick: the Python hosts only, for make test)

Prints "ok NAME" / "FAIL NAME: why" and "figure KEY N" lines. Needs B (the
build directory); in a sanitizer build HOST_PRELOAD is preloaded into the
hosts.
"""
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
B = os.path.join(ROOT, os.environ.get("B", "build"))
SO = os.path.join(B, "devdb.so")
SHELL = os.path.join(B, "devdb")
DIRECTONLY = 0x80000
INNOCUOUS = 0x200000
failures = 0


def inventory():
    """(side-effect functions, innocuous functions, modules) of devdb."""
    side, innocuous, modules = [], [], []
    with open(os.path.join(ROOT, "tests/inventory/expected.txt")) as f:
        for line in f:
            p = line.strip().split("|")
            if p[0] == "function":
                flags = int(p[3])
                if flags & DIRECTONLY:
                    side.append((p[1], int(p[2])))
                elif flags & INNOCUOUS:
                    innocuous.append((p[1], int(p[2])))
            elif p[0] == "module":
                modules.append(p[1])
    return side, innocuous, modules


# Arguments that would leave a trace if a call ever ran: a table to change,
# a column, a file name in the current directory.
TRACE_ARGS = ["'canary'", "'a'", "'pwned.db'", "'pwned'"]


def calls(name, narg):
    """The call expressions for a function of narg arguments."""
    counts = [narg] if narg >= 0 else [1, 2]
    return ["%s(%s)" % (name, ", ".join(TRACE_ARGS[:n])) for n in counts]


# Vectors: (name, schema SQL around {e}, the action that fires it). A
# function is called as an expression; a module is read in a subquery.
FUNCTION_VECTORS = [
    ("view", "CREATE VIEW hostile AS SELECT {e} AS x", "SELECT * FROM hostile"),
    ("trigger-insert", "CREATE TRIGGER hostile AFTER INSERT ON canary BEGIN SELECT {e}; END",
     "INSERT INTO canary(a) VALUES ('new')"),
    ("trigger-update", "CREATE TRIGGER hostile BEFORE UPDATE ON canary BEGIN SELECT {e}; END",
     "UPDATE canary SET a = a"),
    ("trigger-delete", "CREATE TRIGGER hostile AFTER DELETE ON canary BEGIN SELECT {e}; END",
     "DELETE FROM canary WHERE a = 'b'"),
    ("default", "CREATE TABLE hostile(a, b DEFAULT ({e}))", "INSERT INTO hostile(a) VALUES (1)"),
    # not "OR 1": SQLite folds that to true and never calls the function
    ("check", "CREATE TABLE hostile(a CHECK (({e}) IS NULL OR a IS NOT NULL))",
     "INSERT INTO hostile VALUES (1)"),
    ("generated-stored", "CREATE TABLE hostile(a, b AS ({e}) STORED)",
     "INSERT INTO hostile(a) VALUES (1)"),
    ("generated-virtual", "CREATE TABLE hostile(a, b AS ({e}) VIRTUAL)",
     "INSERT INTO hostile(a) VALUES (1); SELECT b FROM hostile"),
    ("index-expression", "CREATE INDEX hostile ON canary(({e}))",
     "INSERT INTO canary(a) VALUES ('new')"),
    ("index-partial", "CREATE INDEX hostile ON canary(a) WHERE ({e}) IS NOT NULL",
     "INSERT INTO canary(a) VALUES ('new')"),
]
MODULE_VECTORS = [
    ("view", "CREATE VIEW hostile AS SELECT * FROM {m}", "SELECT * FROM hostile"),
    ("view-argument", "CREATE VIEW hostile AS SELECT * FROM {m}('main')",
     "SELECT * FROM hostile"),
    ("trigger-insert",
     "CREATE TRIGGER hostile AFTER INSERT ON canary BEGIN "
     "INSERT INTO log SELECT count(*) FROM {m}; END",
     "INSERT INTO canary(a) VALUES ('new')"),
    ("trigger-update",
     "CREATE TRIGGER hostile BEFORE UPDATE ON canary BEGIN "
     "INSERT INTO log SELECT count(*) FROM {m}; END", "UPDATE canary SET a = a"),
    ("trigger-delete",
     "CREATE TRIGGER hostile AFTER DELETE ON canary BEGIN "
     "INSERT INTO log SELECT count(*) FROM {m}; END", "DELETE FROM canary WHERE a = 'b'"),
]
# SQLite's own refusals, and devdb's for a CHECK constraint (which SQLite
# 3.40 lets call a DIRECTONLY function): "devdb_x: unsafe use from a
# statement that writes".
# devdb_dup_scan, devdb's own helper, is not guarded but needs a pointer no
# schema can make: "for devdb's own use only".
REFUSED = ("unsafe use of", "malformed database schema", "unsafe use from a statement that writes",
           "for devdb's own use only")


def make_db(path, stubs, schema):
    """A database with the canary rows and one hostile object, built on a
    connection where devdb's names are harmless stubs."""
    con = sqlite3.connect(path)
    for name, narg in stubs:
        con.create_function(name, narg, lambda *a: None, deterministic=True)
    con.executescript(
        "CREATE TABLE canary(a UNIQUE, b DEFAULT 'keep');"
        "INSERT INTO canary(a) VALUES ('a'), ('a2'), ('b');"
        "CREATE TABLE log(n);" + schema + ";")
    con.close()


def digest(path):
    """The canary's rows and the directory's files: what must not change."""
    con = sqlite3.connect("file:%s?mode=ro&immutable=1" % path, uri=True)
    con.execute("PRAGMA writable_schema=ON")  # read the rows even when the schema is refused
    try:
        rows = con.execute("SELECT a, b FROM canary ORDER BY a").fetchall()
    except sqlite3.Error as e:
        rows = ["unreadable: %s" % e]
    con.close()
    d = os.path.dirname(path)
    files = sorted(f for f in os.listdir(d) if not f.endswith(("-journal", "-wal", "-shm")))
    return hashlib.sha1(repr((rows, files)).encode()).hexdigest()


def run_python(path, action, trusted):
    """Run action in Python with devdb loaded; returns the error or None."""
    con = sqlite3.connect(path)
    try:
        con.enable_load_extension(True)
        con.load_extension(SO)
        con.enable_load_extension(False)
        if not trusted:
            con.execute("PRAGMA trusted_schema=OFF")
        for stmt in (s for s in action.split(";") if s.strip()):
            con.execute(stmt).fetchall()
        con.commit()
        return None
    except sqlite3.Error as e:
        return str(e)
    finally:
        con.close()


def host_env():
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
    if os.environ.get("HOST_PRELOAD"):
        env["LD_PRELOAD"] = os.environ["HOST_PRELOAD"]
    return env


def run_cli(path, action):
    """Run action in the sqlite3 CLI with devdb loaded."""
    p = subprocess.run(["sqlite3", path, ".load %s" % SO[:-3], action], capture_output=True,
                       text=True, cwd=os.path.dirname(path), env=host_env(), timeout=60)
    return (p.stderr + p.stdout) if p.returncode != 0 or "Error" in p.stderr else None


def run_shell(path, action):
    """Run action in the devdb shell (SQL on stdin)."""
    p = subprocess.run([SHELL, path], input=action + ";\n", capture_output=True, text=True,
                       cwd=os.path.dirname(path), env=host_env(), timeout=60)
    return (p.stderr + p.stdout) if p.returncode != 0 else None


def check(label, path, action, hosts):
    """Each host must refuse action; nothing may change. Returns checks run."""
    global failures
    n = 0
    for host, run in hosts:
        before = digest(path)
        cwd = os.getcwd()
        os.chdir(os.path.dirname(path))
        try:
            err = run(path, action)
        finally:
            os.chdir(cwd)
        n += 1
        why = None
        if err is None:
            why = "it ran"
        elif not any(r in err for r in REFUSED):
            why = "refused, but not for being unsafe: " + err.strip().splitlines()[-1]
        elif digest(path) != before:
            why = "N6: the canary table or the directory changed"
        if why:
            failures += 1
            print("FAIL hostile %s [N6] in %s: %s" % (label, host, why))
            break
    else:
        print("ok hostile %s [N6] refused in %d hosts" % (label, n))
    return n


def innocuous_work(tmp, innocuous):
    """E3: INNOCUOUS functions still work from a view with trusted_schema off."""
    global failures
    for name, narg in innocuous:
        path = os.path.join(tmp, "innocuous.db")
        if os.path.exists(path):
            os.remove(path)
        args = ", ".join(["NULL"] * max(narg, 0))
        make_db(path, [(name, narg)], "CREATE VIEW v AS SELECT %s(%s) AS x" % (name, args))
        err = run_python(path, "SELECT * FROM v", False)
        if err:
            failures += 1
            print("FAIL hostile innocuous-%s [N6]: an INNOCUOUS function fails from a view "
                  "with trusted_schema off: %s" % (name, err))
        else:
            print("ok hostile innocuous-%s works from a view with trusted_schema off" % name)


def no_sql_load(tmp):
    """E6: SQL in the devdb shell cannot load an extension."""
    global failures
    path = os.path.join(tmp, "load.db")
    err = run_shell(path, "SELECT load_extension('%s');" % SO)
    if err is None or "not authorized" not in err:
        failures += 1
        print("FAIL hostile shell-load-extension [N6]: load_extension() from SQL in the "
              "devdb shell: %s" % (err or "it loaded"))
    else:
        print("ok hostile shell-load-extension [N6] not authorized")


def main():
    quick = "--quick" in sys.argv
    side, innocuous, modules = inventory()
    hosts = [("python", lambda p, a: run_python(p, a, True)),
             ("python-ts0", lambda p, a: run_python(p, a, False))]
    if not quick:
        hosts += [("sqlite3", run_cli), ("devdb", run_shell)]
    stubs = side + innocuous
    tmp = tempfile.mkdtemp(prefix="devdb-hostile.")
    objects = checks = 0
    try:
        cases = []
        for name, narg in side:
            for e in calls(name, narg):
                for vec, schema, action in FUNCTION_VECTORS:
                    cases.append(("%s-%s" % (e.split("(")[0], vec) + ("" if narg >= 0 else
                                  "-%d" % (e.count(",") + 1)), schema.format(e=e), action))
        for m in modules:
            for vec, schema, action in MODULE_VECTORS:
                cases.append(("%s-%s" % (m, vec), schema.format(m=m), action))
        for i, (label, schema, action) in enumerate(cases):
            d = os.path.join(tmp, "db%d" % i)
            os.mkdir(d)
            path = os.path.join(d, "hostile.db")
            make_db(path, stubs, schema)
            objects += 1
            checks += check(label, path, action, hosts)
        innocuous_work(tmp, innocuous)
        if not quick:
            no_sql_load(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("figure hostile-objects %d" % objects)
    print("figure hostile-checks %d" % checks)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
