#!/usr/bin/python3
"""names.py: the names devdb gives its own temporary objects, one per line.

Read from the SQL text in ext/*.c, so a new temporary name is covered
without an edit: every name written after CREATE [TEMP] TABLE/INDEX/VIEW/
TRIGGER, RENAME TO, SAVEPOINT or INTO in a C string, and every word that
holds "devdb_" (or starts with "_" and holds "devdb") and is not a function or module devdb registers
(tests/inventory/expected.txt). Format directives (%w, %s, %q, %d...) are
replaced by the table name the fault harness uses ("items"), so
"_devdb_new_%w" becomes the name that collides with it.

tests/fault/fault.c --names FILE creates a table of each name beside the
operation under test and checks that the operation leaves it untouched
(reliability.md §6 F).
"""
import glob
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
DEFAULT_T = "items"

STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
AFTER = re.compile(
    r'(?:CREATE\s+(?:TEMP\s+|TEMPORARY\s+)?(?:TABLE|INDEX|VIEW|TRIGGER)'
    r'(?:\s+IF\s+NOT\s+EXISTS)?|RENAME\s+TO|SAVEPOINT|RELEASE|INTO)\s+'
    r'(?:(?:main|temp)\.)?(\\"[^"\\]*\\"|[A-Za-z_][A-Za-z0-9_%]*)', re.I)
DEVDB_WORD = re.compile(r'[a-z_%]*devdb_[a-z0-9_%]+|_[a-z_%]*devdb[a-z0-9_%]*')
DIRECTIVE = re.compile(r'%[-0-9.]*[a-zA-Z]')


def registered():
    """Names of the functions and modules devdb registers."""
    out = set()
    with open(os.path.join(ROOT, "tests/inventory/expected.txt")) as f:
        for line in f:
            parts = line.strip().split("|")
            if len(parts) >= 2:
                out.add(parts[1].lower())
    return out


def main():
    skip = registered()
    names = set()
    for path in sorted(glob.glob(os.path.join(ROOT, "ext", "*.c"))):
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        for lit in STRING.findall(text):
            if lit.startswith("CREATE TABLE x("):
                continue  # a virtual table's declaration, not an object
            found = [m.group(1) for m in AFTER.finditer(lit)]
            found += DEVDB_WORD.findall(lit)
            for name in found:
                name = name.replace('\\"', "")
                if not name or name == "%w" or name.lower() in skip:
                    continue
                name = DIRECTIVE.sub(DEFAULT_T, name)
                if re.fullmatch(r"[A-Za-z0-9_ ]+", name) and name.lower() not in skip:
                    names.add(name)
    for name in sorted(names):
        print(name)


if __name__ == "__main__":
    sys.exit(main())
