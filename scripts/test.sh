#!/usr/bin/env bash
# Runs every check and test suite and ends with one line: `N passed, N failed[, N skipped]`.
# On a fresh machine it installs what the tests need first (Debian packages as root,
# Rust components). `npm test` runs this; `.ci/run` runs `npm ci && npm test`.
set -uo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/shutterproof/target}"
# NO_COLOR alone: Node 24 warns on every child process ("The 'NO_COLOR' env is ignored
# due to the 'FORCE_COLOR' env being set") when both are set, and tests read stderr.
export NO_COLOR=1 CARGO_TERM_COLOR=never
unset FORCE_COLOR

passed=0 failed=0 skipped=0
log_dir=$(mktemp -d)
trap 'rm -rf "$log_dir"' EXIT

note() { printf '\n== %s\n' "$*"; }
check() { # check NAME COMMAND... : one pass or fail for a whole command
  local name=$1; shift
  note "$name"
  if "$@"; then passed=$((passed + 1)); echo "ok: $name"; else failed=$((failed + 1)); echo "FAILED: $name"; fi
}

bash scripts/install-test-tools.sh || { echo "FAILED: installing test tools"; failed=$((failed + 1)); }

vectors_dir="${SHUTTERPROOF_VECTORS:-../shared/vectors}"
cargo_skip=()
if [ ! -d "$vectors_dir" ]; then
  echo "!!! SKIPPED: test vectors folder $vectors_dir is absent; every vectors_* test is skipped, not passed"
  cargo_skip=(--skip vectors_)
  skipped=$((skipped + 1))
fi

check "build the debug addon" npm run --silent build:native
if git rev-parse --git-dir >/dev/null 2>&1; then
  check "generated index.js / index.d.ts are committed and in sync" git diff --exit-code -- index.js index.d.ts
fi
check "build the TypeScript API (dist/)" npm run --silent build:ts
check "embedder examples type-check by the package name (examples/embedder: ESM and CJS, strict)" npx tsc -p examples/embedder
check "cargo fmt --check" cargo fmt --all -- --check
# The binding crate is checked without --all-targets: napi's macros register nothing
# under cfg(test), which would make every export look dead.
check "cargo clippy -D warnings (core, all targets)" cargo clippy -p shutterproof-core --all-targets --quiet -- -D warnings
check "cargo clippy -D warnings (binding)" cargo clippy -p shutterproof-node --quiet -- -D warnings
check "TypeScript type check" npx tsc --noEmit -p .
check "TypeScript formatting (prettier --check; npm run format fixes it)" npm run --silent format:check
check "API docs build with no warnings (npm run docs)" npm run --silent docs

check "benchmark harness smoke run (npm run bench -- --quick; no speed assertions)" npm run --silent bench -- --quick

note "cargo test"
# A Rust test that cannot run here (e.g. it needs root to mount) returns early, which cargo
# reports as passed; it also writes its name to this file, and counts as skipped instead.
export SHUTTERPROOF_SKIPPED_TESTS="$log_dir/cargo-skipped.txt"
: >"$SHUTTERPROOF_SKIPPED_TESTS"
cargo test --workspace -- "${cargo_skip[@]}" 2>&1 | tee "$log_dir/cargo.log"
cargo_status=${PIPESTATUS[0]}
read -r c_pass c_fail < <(awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } } END { print p+0, f+0 }' "$log_dir/cargo.log")
if [ "$cargo_status" -ne 0 ] && [ "$c_fail" -eq 0 ]; then c_fail=1; fi # did not build or crashed
c_skip=$(wc -l <"$SHUTTERPROOF_SKIPPED_TESTS")
sed 's/^/!!! SKIPPED (did not run): /' "$SHUTTERPROOF_SKIPPED_TESTS"
passed=$((passed + c_pass - c_skip)); failed=$((failed + c_fail)); skipped=$((skipped + c_skip))

# Every Rust fuzz target, briefly, from the vectors' seeds and a fixed seed (the
# TypeScript fuzz properties run with the uvu suites below). 77 = no nightly toolchain.
note "fuzz smoke: every Rust fuzz target (scripts/fuzz.sh --smoke)"
bash scripts/fuzz.sh --smoke
case $? in
  0) passed=$((passed + 1)); echo "ok: fuzz smoke" ;;
  77) skipped=$((skipped + 1)) ;;
  *) failed=$((failed + 1)); echo "FAILED: fuzz smoke" ;;
esac

note "uvu suites (__test__/*.spec.ts): on the machine's Node and on Node 24, two at a time (scripts/run-suites.mjs)"
node24=$(bash scripts/install-node24.sh | tail -1) && [ -x "$node24" ] || node24=""
read -r u_pass u_fail u_skip < <(node scripts/run-suites.mjs ${node24:+"$node24"} | tail -1)
# A runner that crashed before its summary line counts one failure.
passed=$((passed + ${u_pass:-0})); failed=$((failed + ${u_fail:-1})); skipped=$((skipped + ${u_skip:-0}))

echo
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
