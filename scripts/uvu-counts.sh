# Sourced by scripts/test.sh and scripts/test-node24.sh. uvu_counts LOG STATUS prints
# "PASSED FAILED SKIPPED" from the summary uvu wrote to LOG, given uvu's exit STATUS: a run
# that failed without a failed test in its summary (it crashed before printing one, or a
# suite's before-hook threw) counts one failure, so it can never pass unseen.
uvu_counts() {
  local log=$1 status=$2 total pass skip fail
  total=$(awk '/Total:/ { print $2 }' "$log" | tail -1)
  pass=$(awk '/Passed:/ { print $2 }' "$log" | tail -1)
  skip=$(awk '/Skipped:/ { print $2 }' "$log" | tail -1)
  total=${total:-0} pass=${pass:-0} skip=${skip:-0}
  fail=$((total - pass))
  if [ "$status" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; fi
  echo "$pass $fail $skip"
}
