"""Dedup benchmarks (issue 5): devdb_duplicates and devdb_dedup on tables of
1,000,000 and 5,000,000 rows (id, user_id, course_id, created_at) in which
10% of the rows repeat the (user_id, course_id) of an earlier row, side by
side with the SQL a user would write instead:

  duplicates  SELECT user_id, course_id, count(*) ... GROUP BY user_id,
              course_id HAVING count(*) > 1, both wrapped in one aggregate
              over the columns they list, so printing costs neither side;
              "full listing" adds survivor and dropped ids on both sides
  dedup       DELETE ... WHERE rowid IN (SELECT rowid FROM (SELECT rowid,
              row_number() OVER (PARTITION BY user_id, course_id ORDER BY
              rowid) AS r FROM t) WHERE r > 1) on a fresh copy each run

At 5M rows each side also runs under /usr/bin/time: the note gives the peak
RSS of both processes and devdb's excess (goal: at most 64 MB above what
SQLite uses for the same job).
"""
import os
import shutil
import subprocess
import tempfile

from bench import Case

GEN = """PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;
CREATE TABLE t(id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL,
               course_id INTEGER NOT NULL, created_at TEXT NOT NULL);
WITH RECURSIVE c(i) AS (VALUES(1) UNION ALL SELECT i + 1 FROM c WHERE i < {n}),
  -- every tenth row copies the key of a random earlier row that is not a copy
  b(i, b) AS (SELECT i, CASE WHEN i % 10 = 9 AND i > 10
      THEN (((i * 2654435761) % 4294967296) % (i / 10 * 10)) / 10 * 10 + (i * 31) % 9
      ELSE i END FROM c)
INSERT INTO t SELECT i, (b * 1103515245 % 10000019) / 50 + 1,
  (b * 1103515245 % 10000019) % 50, datetime(1577836800 + i * 13, 'unixepoch') FROM b;
"""

KEY = "'t', 'user_id, course_id'"
DUPS = f"SELECT count(*), sum(n), sum(length(key)) FROM devdb_duplicates({KEY})"
HAVING = ("SELECT count(*), sum(n), sum(user_id), sum(course_id) FROM (SELECT user_id, "
          "course_id, count(*) AS n FROM t GROUP BY user_id, course_id HAVING count(*) > 1)")
DUPS_FULL = ("SELECT count(*), sum(n), sum(length(key)), sum(keep_rowid), "
             f"sum(length(drop_rowids)) FROM devdb_duplicates({KEY})")
HAVING_FULL = ("SELECT count(*), sum(n), sum(length(k)), sum(keep), sum(length(d)) FROM "
               "(SELECT json_array(user_id, course_id) AS k, count(*) AS n, min(id) AS keep, "
               "json_group_array(id) AS d FROM t GROUP BY user_id, course_id "
               "HAVING count(*) > 1)")
DEDUP = f"SELECT devdb_dedup({KEY})"
WINDOW = ("DELETE FROM t WHERE rowid IN (SELECT rowid FROM (SELECT rowid, row_number() "
          "OVER (PARTITION BY user_id, course_id ORDER BY rowid) AS r FROM t) WHERE r > 1)")


def make_db(ctx, n):
    path = os.path.join(ctx.data, f"dedup_{n}.db")
    if not os.path.exists(path):
        subprocess.run(["sqlite3", path + ".tmp"], input=GEN.format(n=n), text=True,
                       check=True, stdout=subprocess.DEVNULL)
        os.rename(path + ".tmp", path)
    return path


class PeakCase(Case):
    """A Case whose runs go through /usr/bin/time, keeping each side's
    largest peak RSS for the note."""

    def __init__(self, name, ours, peer, peer_name, **kw):
        self.rss = {"ours": 0, "peer": 0}
        super().__init__(name, self._timed("ours", ours), self._timed("peer", peer),
                         peer_name, **kw)

    def _timed(self, side, argv):
        def run():
            with tempfile.NamedTemporaryFile("r") as f:
                subprocess.run(["/usr/bin/time", "-o", f.name, "-f", "%M"] + argv, check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                self.rss[side] = max(self.rss[side], int(f.read().split()[-1]))
        return run

    @property
    def note(self):
        ours, peer = self.rss["ours"] / 1024, self.rss["peer"] / 1024
        mark = "ok" if ours - peer <= 64 else "MISS"
        return (f"peak RSS {ours:.0f} MB vs {peer:.0f} MB: +{ours - peer:.0f} MB, "
                f"goal <= +64 MB {mark}")

    @note.setter
    def note(self, value):
        pass


def cases(ctx):
    for n, label, runs in ((1000000, "1M", 5), (5000000, "5M", 3)):
        base = make_db(ctx, n)
        work = os.path.join(ctx.data, f"dedup_{n}_work.db")
        load = f".load {ctx.ext}"
        kind = PeakCase if n == 5000000 else Case

        def fresh(base=base, work=work):
            shutil.copyfile(base, work)

        yield kind(f"dedup: devdb_duplicates {label} rows",
                   ["sqlite3", base, load, DUPS], ["sqlite3", base, HAVING],
                   "GROUP BY HAVING", goal=0.2, runs=runs)
        yield Case(f"dedup: devdb_duplicates {label}, full listing",
                   ["sqlite3", base, load, DUPS_FULL], ["sqlite3", base, HAVING_FULL],
                   "GROUP BY + json", runs=runs)
        yield kind(f"dedup: devdb_dedup {label} rows",
                   ["sqlite3", work, load, DEDUP], ["sqlite3", work, WINDOW],
                   "row_number() DELETE", goal=0.35, setup=fresh, runs=runs)
