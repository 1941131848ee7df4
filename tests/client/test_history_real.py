"""devdb_history on databases the real tools made: Django's migrate (Debian's
python3-django) and Alembic's upgrade (python3-alembic). Each tool runs in
its own process; a tool that is not installed is reported as skipped."""
import os
import sqlite3
import subprocess
import sys
import tempfile

B = os.environ.get("B", "build")
PY = "/usr/bin/python3"


def check(name, cond, detail=""):
    print(("ok " if cond else "FAIL ") + name + ("" if cond else ": " + str(detail)), flush=True)


def has_module(name):
    return subprocess.run([PY, "-c", "import " + name], capture_output=True).returncode == 0


def connect(path):
    conn = sqlite3.connect(path)
    conn.enable_load_extension(True)
    conn.load_extension(os.path.join(B, "devdb"))
    return conn


DJANGO = """
import sys, django
from django.conf import settings
settings.configure(DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": sys.argv[1]}},
                   INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth"], USE_TZ=True)
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
if len(sys.argv) > 2:
    call_command("migrate", "auth", sys.argv[2], verbosity=0)
"""


def test_django(tmp):
    if not has_module("django"):
        print("ok history-django skipped: python3-django not installed")
        return
    path = os.path.join(tmp, "django.db")
    subprocess.run([PY, "-c", DJANGO, path], check=True)
    conn = connect(path)
    want = conn.execute("SELECT app, name, applied FROM django_migrations ORDER BY id").fetchall()
    got = conn.execute("SELECT app, name, applied_at FROM devdb_history WHERE tool = 'django'").fetchall()
    check("history-django-rows", got == want and len(got) > 5, (got, want))
    states = conn.execute("SELECT DISTINCT tbl, state FROM devdb_history").fetchall()
    check("history-django-state", states == [("django_migrations", "applied")], states)
    ver = conn.execute("SELECT version FROM devdb_history WHERE name = '0001_initial' AND app = 'auth'").fetchall()
    check("history-django-version", ver == [("0001",)], ver)
    conn.close()
    # Django unapplies by deleting rows: devdb sees them gone.
    subprocess.run([PY, "-c", DJANGO, path, "0001"], check=True)
    conn = connect(path)
    n = conn.execute("SELECT count(*) FROM devdb_history WHERE app = 'auth'").fetchone()[0]
    check("history-django-unapplied", n == 1, n)
    conn.close()


ALEMBIC = """
import sys
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
tmp, db = sys.argv[1], sys.argv[2]
cfg = Config(tmp + "/alembic.ini")
cfg.set_main_option("script_location", tmp + "/alembic")
cfg.set_main_option("sqlalchemy.url", "sqlite:///" + db)
command.init(cfg, tmp + "/alembic")
command.revision(cfg, "create users")
command.revision(cfg, "add posts")
command.upgrade(cfg, "head")
print(ScriptDirectory.from_config(cfg).get_current_head())
"""


def test_alembic(tmp):
    if not has_module("alembic"):
        print("ok history-alembic skipped: python3-alembic not installed")
        return
    path = os.path.join(tmp, "alembic.db")
    head = subprocess.run([PY, "-c", ALEMBIC, tmp, path], check=True, capture_output=True,
                          text=True).stdout.split()[-1]
    conn = connect(path)
    rows = conn.execute("SELECT tool, tbl, version, state FROM devdb_history").fetchall()
    check("history-alembic-head", rows == [("alembic", "alembic_version", head, "head")], (rows, head))
    conn.close()


with tempfile.TemporaryDirectory() as tmp:
    test_django(tmp)
    test_alembic(tmp)
sys.exit(0)
