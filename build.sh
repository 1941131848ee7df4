#!/usr/bin/env bash
# build.sh: the only set-up step on a fresh machine. Installs what the build
# needs when it is missing (Debian packages, with apt-get), then runs make
# with any arguments given: `./build.sh` builds, `./build.sh demo` builds and
# runs the demo, `./build.sh test` builds and runs the tests.
set -euo pipefail
cd "$(dirname "$0")"

need=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for pkg in libsqlite3-dev sqlite3 gcc make; do
  have_pkg "$pkg" || need+=("$pkg")
done
# Optional: line editing in the REPL, Debian's python3 for the client tests, and
# Django and Alembic, whose real databases the history tests read.
for pkg in libedit-dev python3 python3-django python3-alembic; do
  have_pkg "$pkg" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "build.sh: installing ${need[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq || true
  if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"; then
    # The optional ones may be missing: build without them rather than fail.
    for opt in libedit-dev python3-django python3-alembic; do need=("${need[@]/$opt/}"); done
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq ${need[*]}
  fi
fi
exec make -j2 "$@"
