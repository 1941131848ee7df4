#!/usr/bin/env bash
# make bench: installs the peers a benchmark compares against when missing,
# generates its data under build/bench, and prints each result as a ratio
# against the peer, measured side by side in the same run.
#   tests/bench/run.sh [CASE-PREFIX...]   run only cases whose name starts so
set -euo pipefail
cd "$(dirname "$0")/../.."
exec /usr/bin/python3 tests/bench/bench.py "$@"
