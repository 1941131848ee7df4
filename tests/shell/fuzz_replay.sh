# The fuzz targets of tests/fuzz/ over their committed corpora and every
# input that once crashed them (tests/fuzz/regress/TARGET/), without
# libFuzzer: a crash or a broken property here is a regression.
source tests/lib/check.sh
for bin in "$B"/replay-*; do
  [ -x "$bin" ] || continue
  t=${bin##*/replay-}
  out=$("$bin" tests/fuzz/corpus/"$t" tests/fuzz/regress/"$t" 2>&1)
  rc=$?
  if [ $rc -eq 0 ]; then echo "$out"; else
    printf 'FAIL replay %s: exit %d\n%s\n' "$t" $rc "$(printf '%s\n' "$out" | tail -20)"
  fi
done
