#!/usr/bin/env bash
# The uvu suites again, on Node 24 (supported: Node 20.17+, 22, 24; scripts/test.sh runs
# them first on the machine's Node), all but the few named below. Child processes the tests start (node, npm, npx) find
# Node 24 first on PATH. uvu's output goes to stderr; the last stdout line is
# "PASSED FAILED SKIPPED" for scripts/test.sh to add up.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/uvu-counts.sh
if ! bin=$(bash scripts/install-node24.sh | tail -1) || ! [ -x "$bin" ]; then
  echo "!!! SKIPPED: Node 24 could not be installed (npm install node-linux-$(node -p process.arch)); the JS suites did not run on Node 24" >&2
  echo "0 0 1"
  exit 0
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "running the uvu suites on $("$bin" --version) ($bin)" >&2
# Without FORCE_COLOR (uvu sets it to 1 unless --no-color): beside NO_COLOR=1, Node 24
# warns on stderr ("The 'NO_COLOR' env is ignored…") in every child process, before
# anything the CLI says.
# Not re-run here, to keep a fresh clone's `npm test` near 30 minutes on 2 cores (#19): the
# suites whose cost is bulk bytes, injected faults or a browser drawing a static file, all
# through code the other suites also run on Node 24 — a 1 GiB delivery in Chromium, a 3 GiB
# ingest's memory, 1 GiB hashing, the whole demo, the copy engine's and S3's fault
# injection, and the HTML report in Chromium. They ran on the machine's Node above; the
# rest (about 85% of the tests, the Node-facing ones all in) run here.
NODE20_ONLY='^(delivery-browser|ingest-memory|large-file|demo|ingest-faults|s3-faults|report-ingest)\.spec\.ts$'
echo "not re-run on Node 24 (run on the machine's Node only): $(ls __test__ | grep -E "$NODE20_ONLY" | tr '\n' ' ')" >&2
env -u FORCE_COLOR PATH="$(dirname "$bin"):$PATH" "$bin" node_modules/uvu/bin.js --no-color -r tsx -i "$NODE20_ONLY" __test__ '\.spec\.ts$' 2>&1 | tee "$log" >&2
status=${PIPESTATUS[0]}
read -r pass fail skip < <(uvu_counts "$log" "$status")
echo "== Node 24 uvu suites: passed $pass, failed $fail, skipped $skip" >&2
echo "$pass $fail $skip"
