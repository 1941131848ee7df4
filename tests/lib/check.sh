# Helpers for shell-level tests: source this file, then call the checks.
# Each check prints "ok NAME" or "FAIL NAME: why".

# sqlite3 CLI with the extension loadable (sanitizer runtimes preloaded in
# the asan build).
host_sqlite3() {
  ASAN_OPTIONS=detect_leaks=0 LD_PRELOAD="$HOST_PRELOAD" sqlite3 "$@"
}

# expect_eq NAME EXPECTED ACTUAL
expect_eq() {
  if [ "$2" == "$3" ]; then echo "ok $1"; else
    printf 'FAIL %s\n--- expected\n%s\n--- got\n%s\n' "$1" "$2" "$3"
  fi
}

# expect_match NAME PATTERN ACTUAL (grep -E pattern)
expect_match() {
  if printf '%s\n' "$3" | grep -Eq -- "$2"; then echo "ok $1"; else
    printf 'FAIL %s\n--- expected to match\n%s\n--- got\n%s\n' "$1" "$2" "$3"
  fi
}

# expect_status NAME EXPECTED_CODE ACTUAL_CODE
expect_status() {
  if [ "$2" -eq "$3" ]; then echo "ok $1"; else
    echo "FAIL $1: exit status $3, expected $2"
  fi
}
