# The demo (make demo) runs to its end and leaves the database healthy.
source tests/lib/check.sh
out=$(NO_COLOR=1 B=$B fixtures/demo/run.sh 2>&1); rc=$?
expect_status demo-runs 0 $rc
expect_match demo-lint-predicts 'error +will-fail-unique +enrollments\(user_id, course_id\)' "$out"
expect_match demo-dedup 'deleted 3 rows from enrollments' "$out"
expect_match demo-migrate 'applied +20240105000000' "$out"
expect_match demo-check-drift 'ok +drift +none' "$(printf '%s\n' "$out" | sed -n '/== 9/,$p')"
expect_match demo-rebuild 'rebuilt app.db: 5 migrations applied, 8 fixture rows loaded' "$out"
expect_match demo-rebuild-cached 'rebuilt app.db from the cache' "$out"
expect_match demo-ends-healthy 'migrations +db/migrations: 5 files, 5 applied$' "$(printf '%s\n' "$out" | tail -8)"
