"""Generate a migrations project for the runner benchmarks: N_TABLES tables
over about N_MIG migrations, with foreign keys, indexes, views and triggers,
written three equivalent ways:
  OUT/migrations/NNN_name.sql   dbmate files (-- migrate:up / down)
  OUT/all.sql                   the same DDL in one transaction
  OUT/django/                   a Django project whose app's migrations make
                                the same tables (CreateModel, AddIndex...)
  gen_migrations.py OUT [N_TABLES] [N_MIG]"""
import os
import random
import sys


def plan(n_tables, n_mig, rnd):
    """The migrations: each a list of (kind, table index, detail)."""
    migs = [[] for _ in range(n_mig)]
    # every table is created by one migration, in order; some get columns later
    for i in range(n_tables):
        m = i * n_mig // n_tables
        parent = rnd.randrange(i) if i > 0 else None
        migs[m].append(("table", i, parent))
    for i in range(0, n_tables, 10):
        m = min(n_mig - 1, i * n_mig // n_tables + 1)
        migs[m].append(("column", i, None))
    for i in range(5, n_tables, 10):
        m = min(n_mig - 1, i * n_mig // n_tables + 1)
        migs[m].append(("view", i, None))
    for i in range(7, n_tables, 20):
        m = min(n_mig - 1, i * n_mig // n_tables + 1)
        migs[m].append(("trigger", i, None))
    return migs


def sql_up(op):
    kind, i, parent = op
    if kind == "table":
        cols = ["id INTEGER PRIMARY KEY AUTOINCREMENT", "name VARCHAR(100) NOT NULL",
                "qty INTEGER NOT NULL DEFAULT 0", "price REAL NULL", "created_at DATETIME NULL"]
        if parent is not None:
            cols.append(f"parent_id INTEGER NULL REFERENCES t{parent}(id) DEFERRABLE INITIALLY DEFERRED")
        out = [f"CREATE TABLE t{i} ({', '.join(cols)});",
               f"CREATE INDEX t{i}_name ON t{i}(name);"]
        if parent is not None:
            out.append(f"CREATE INDEX t{i}_parent ON t{i}(parent_id);")
        return out
    if kind == "column":
        return [f"ALTER TABLE t{i} ADD COLUMN note TEXT NULL;"]
    if kind == "view":
        return [f"CREATE VIEW v{i} AS SELECT id, name, qty * price AS total FROM t{i};"]
    return [f"CREATE TRIGGER tr{i} AFTER UPDATE OF qty ON t{i} BEGIN "
            f"UPDATE t{i} SET price = coalesce(price, 0) WHERE id = NEW.id; END;"]


def sql_down(op):
    kind, i, _ = op
    return {"table": f"DROP TABLE t{i};", "column": f"ALTER TABLE t{i} DROP COLUMN note;",
            "view": f"DROP VIEW v{i};", "trigger": f"DROP TRIGGER tr{i};"}[kind]


def django_ops(op):
    kind, i, parent = op
    if kind == "table":
        fields = ["('id', models.AutoField(primary_key=True, serialize=False))",
                  "('name', models.CharField(max_length=100, db_index=True))",
                  "('qty', models.IntegerField(default=0))",
                  "('price', models.FloatField(null=True))",
                  "('created_at', models.DateTimeField(null=True))"]
        if parent is not None:
            fields.append(f"('parent', models.ForeignKey(null=True, on_delete=models.CASCADE, "
                          f"to='bench.t{parent}'))")
        return [f"migrations.CreateModel(name='T{i}', fields=[{', '.join(fields)}], "
                f"options={{'db_table': 't{i}'}})"]
    if kind == "column":
        return [f"migrations.AddField(model_name='t{i}', name='note', "
                f"field=models.TextField(null=True))"]
    if kind == "view":
        return [f"migrations.RunSQL('CREATE VIEW v{i} AS SELECT id, name, qty * price AS total "
                f"FROM t{i}', 'DROP VIEW v{i}')"]
    return [f"migrations.RunSQL('CREATE TRIGGER tr{i} AFTER UPDATE OF qty ON t{i} BEGIN "
            f"UPDATE t{i} SET price = coalesce(price, 0) WHERE id = NEW.id; END', "
            f"'DROP TRIGGER tr{i}')"]


def write_django(out, migs):
    app = os.path.join(out, "django", "bench")
    os.makedirs(os.path.join(app, "migrations"), exist_ok=True)
    open(os.path.join(app, "__init__.py"), "w").close()
    open(os.path.join(app, "models.py"), "w").close()
    open(os.path.join(app, "migrations", "__init__.py"), "w").close()
    with open(os.path.join(out, "django", "manage.py"), "w") as f:
        f.write("import sys, django\nfrom django.conf import settings\n"
                "settings.configure(DATABASES={'default': {'ENGINE': 'django.db.backends.sqlite3',"
                " 'NAME': sys.argv[1]}}, INSTALLED_APPS=['bench'], USE_TZ=True)\n"
                "django.setup()\nfrom django.core.management import call_command\n"
                "call_command('migrate', verbosity=0)\n")
    for m, ops in enumerate(migs):
        deps = f"[('bench', '{m:04d}_m{m - 1}')]" if m > 0 else "[]"
        body = ",\n        ".join(o for op in ops for o in django_ops(op))
        with open(os.path.join(app, "migrations", f"{m + 1:04d}_m{m}.py"), "w") as f:
            f.write("from django.db import migrations, models\n\n\n"
                    "class Migration(migrations.Migration):\n"
                    f"    initial = {m == 0}\n    dependencies = {deps}\n"
                    f"    operations = [\n        {body}\n    ]\n")


def main():
    out = sys.argv[1]
    n_tables = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    n_mig = int(sys.argv[3]) if len(sys.argv) > 3 else 220
    rnd = random.Random(1)
    migs = plan(n_tables, n_mig, rnd)
    d = os.path.join(out, "migrations")
    os.makedirs(d, exist_ok=True)
    all_sql = ["BEGIN;"]
    for m, ops in enumerate(migs):
        up = [s for op in ops for s in sql_up(op)]
        down = [sql_down(op) for op in reversed(ops)]
        all_sql += up
        with open(os.path.join(d, f"{20240101000000 + m:014d}_m{m}.sql"), "w") as f:
            f.write("-- migrate:up\n" + "\n".join(up) + "\n\n-- migrate:down\n" + "\n".join(down) + "\n")
    all_sql.append("COMMIT;")
    with open(os.path.join(out, "all.sql"), "w") as f:
        f.write("\n".join(all_sql) + "\n")
    write_django(out, migs)


if __name__ == "__main__":
    main()
