"""devdb benchmarks: each case times devdb and the alternative a user would
pick, side by side in one run (alternating, several runs, median), and prints
the ratio devdb/peer against the goal its issue names.

Cases live in tests/bench/bench_*.py: each module defines cases(ctx) that
yields Case objects. Data is generated under build/bench (kept between runs;
delete it to regenerate).
"""
import glob
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
B = os.path.join(ROOT, os.environ.get("B", "build"))
DATA = os.path.join(B, "bench")


class Case:
    """One comparison. ours and peer are argv lists (run as processes) or
    Python callables (returning nothing, or the seconds they measured
    themselves, for in-process timings); setup runs before every run of
    either (not timed). goal is the largest acceptable ours/peer ratio (or,
    with goal_min, the smallest acceptable peer/ours speed-up)."""

    def __init__(self, name, ours, peer, peer_name, goal=None, goal_min=None,
                 setup=None, runs=5, note=""):
        self.name, self.ours, self.peer, self.peer_name = name, ours, peer, peer_name
        self.goal, self.goal_min, self.setup, self.runs, self.note = goal, goal_min, setup, runs, note


def run_once(what, setup):
    if setup:
        setup()
    t0 = time.perf_counter()
    if callable(what):
        took = what()
        if isinstance(took, float):
            return took
    else:
        subprocess.run(what, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - t0


def measure(case):
    ours, peer = [], []
    run_once(case.ours, case.setup)  # warm the page cache for both
    run_once(case.peer, case.setup)
    for _ in range(case.runs):
        ours.append(run_once(case.ours, case.setup))
        peer.append(run_once(case.peer, case.setup))
    return statistics.median(ours), statistics.median(peer)


def ensure_debian(pkg, binary):
    """Install a Debian package when its binary is missing."""
    if shutil.which(binary):
        return True
    print(f"bench: installing {pkg}", file=sys.stderr)
    r = subprocess.run(["apt-get", "install", "-y", "-qq", pkg],
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return r.returncode == 0 and shutil.which(binary) is not None


def ensure_npm(pkg, binary):
    """Install an npm package under build/bench/node when missing; returns the
    path of its binary or None."""
    path = os.path.join(DATA, "node", "node_modules", ".bin", binary)
    if os.path.exists(path):
        return path
    os.makedirs(os.path.join(DATA, "node"), exist_ok=True)
    r = subprocess.run(["npm", "install", "--prefix", os.path.join(DATA, "node"), pkg],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return path if r.returncode == 0 and os.path.exists(path) else None


class Context:
    root, build, data = ROOT, B, DATA
    devdb = os.path.join(B, "devdb")
    ext = os.path.join(B, "devdb")
    ensure_debian = staticmethod(ensure_debian)
    ensure_npm = staticmethod(ensure_npm)


def load_cases(ctx):
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "bench", "bench_*.py"))):
        spec = importlib.util.spec_from_file_location(os.path.basename(path)[:-3], path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        yield from mod.cases(ctx)


def main(prefixes):
    os.makedirs(DATA, exist_ok=True)
    ctx = Context()
    print(f"{'case':44} {'devdb':>9} {'peer':>9} {'ratio':>7}  goal        peer")
    bad = 0
    for case in load_cases(ctx):
        if prefixes and not any(case.name.startswith(p) for p in prefixes):
            continue
        ours, peer = measure(case)
        ratio = ours / peer
        if case.goal_min is not None:
            ok = peer / ours >= case.goal_min
            goal = f">={case.goal_min:g}x faster"
        else:
            ok = case.goal is None or ratio <= case.goal
            goal = f"<={case.goal:g}" if case.goal is not None else "-"
        bad += not ok
        mark = "ok " if ok else "MISS"
        print(f"{case.name:44} {ours:8.3f}s {peer:8.3f}s {ratio:7.3f}  {goal:11} {case.peer_name} {mark}"
              + (f"  ({case.note})" if case.note else ""), flush=True)
    print(f"bench: {bad} goal(s) missed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
