#!/usr/bin/env bash
# Fuzzes every parser of untrusted input (docs/SECURITY.md, "Fuzzing").
#
#   scripts/fuzz.sh --smoke            short fixed-seed run of every Rust target (npm test)
#   npm run fuzz -- --minutes N        long run: each Rust target N minutes (or --runs R
#                                      executions), then every TypeScript property for
#                                      --cases C cases (default 100000)
#
# Options of the long run: --minutes N, --runs R, --cases C, --heavy-cases H (the TS
# properties that write files or talk HTTP per case; default C), --targets "a b", --specs
# REGEX (the TypeScript property files to run; default every __test__/fuzz-*.spec.ts), --no-ts,
# --no-rust, --out DIR (default fuzz-results/), --sanitizer address|none (default address:
# AddressSanitizer; `none` keeps libFuzzer's coverage and the targets' own checks but runs
# 3-4x faster, which is what puts 10^7 executions of the slow targets within an hour). It records per target the executions,
# coverage (libFuzzer's cov = edges, ft = features), corpus size and findings, in
# DIR/<date>.json and DIR/<date>.md, and keeps the corpora in $CARGO_TARGET_DIR/fuzz-corpus.
#
# Exit status: 0 clean, 1 a finding or a failure, 77 the Rust targets cannot be built here
# (no nightly toolchain or cargo-fuzz): the caller reports that as SKIPPED.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/shutterproof/target}"
fuzz_dir=crates/core/fuzz
TARGETS=(header inspect recovery_words vault_file open range mutate xml_tree)
# Memory caps every run enforces: the whole process (ASan's quarantine included) and any
# single allocation. An input of at most max_len bytes that makes the code under test ask
# for more than 64 MiB at once is a finding.
CAPS=(-rss_limit_mb=1024 -malloc_limit_mb=64 -max_len=70000 -timeout=10)

smoke=false minutes= runs= cases=100000 heavy_cases= ts=true rust=true out=fuzz-results sanitizer=address
specs='fuzz-.*\.spec\.ts$'
targets=("${TARGETS[@]}")
args="$*"
while [ $# -gt 0 ]; do
  case $1 in
    --smoke) smoke=true ;;
    --minutes) minutes=$2; shift ;;
    --runs) runs=$2; shift ;;
    --cases) cases=$2; shift ;;
    --heavy-cases) heavy_cases=$2; shift ;;
    --targets) read -r -a targets <<<"$2"; shift ;;
    --no-ts) ts=false ;;
    --no-rust) rust=false ;;
    --out) out=$2; shift ;;
    --sanitizer) sanitizer=$2; shift ;;
    --specs) specs=$2; shift ;;
    *) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
case $sanitizer in
  address) build_dir="$CARGO_TARGET_DIR/fuzz" ;;
  none) build_dir="$CARGO_TARGET_DIR/fuzz-no-sanitizer" ;;
  *) echo "fuzz.sh: --sanitizer is address or none, not $sanitizer" >&2; exit 2 ;;
esac
bin_dir="$build_dir/x86_64-unknown-linux-gnu/release"

have_toolchain() {
  cargo +nightly --version >/dev/null 2>&1 && cargo fuzz --version >/dev/null 2>&1
}

build() {
  echo "building the fuzz targets (cargo +nightly fuzz build, sanitizer: $sanitizer) into $build_dir"
  local log
  log=$(mktemp)
  if ! (cd "$fuzz_dir" && cargo +nightly fuzz build -O -s "$sanitizer" --target-dir "$build_dir") >"$log" 2>&1; then
    tail -40 "$log"
    rm -f "$log"
    return 1
  fi
  tail -1 "$log"
  rm -f "$log"
  [ -x "$bin_dir/header" ]
}

seed() { # seed DIR: the seed corpora from docs/vectors plus the committed regressions
  node scripts/fuzz-seeds.mjs "$1" >/dev/null || return 1
  for t in "${TARGETS[@]}"; do
    [ -d "$fuzz_dir/regressions/$t" ] && cp "$fuzz_dir/regressions/$t"/* "$1/$t/" 2>/dev/null
  done
  return 0
}

if $smoke || $rust; then
  if ! have_toolchain; then
    echo "!!! SKIPPED: the Rust fuzz targets need a nightly toolchain and cargo-fuzz (scripts/install-test-tools.sh installs both); they did not run"
    $smoke && exit 77
    rust=false
  elif ! build; then
    echo "FAILED: the fuzz targets did not build"
    exit 1
  fi
fi

if $smoke; then
  # Every committed finding replays, then each target runs from its seeds for a fixed
  # number of executions with a fixed seed: the same inputs on every machine.
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  seed "$work/corpus" || exit 1
  status=0
  for t in "${TARGETS[@]}"; do
    n=3000
    case $t in open) n=1500 ;; mutate) n=800 ;; esac
    if "$bin_dir/$t" "${CAPS[@]}" -seed=21 -runs=$n -artifact_prefix="$work/$t-" "$work/corpus/$t" >"$work/$t.log" 2>&1; then
      echo "ok: fuzz target $t ($(grep -o 'Done [0-9]* runs' "$work/$t.log" | tail -1), seed 21)"
    else
      status=1
      echo "FAILED: fuzz target $t; its log:"
      tail -40 "$work/$t.log"
    fi
  done
  exit $status
fi

# ---- the long run ----
if [ -z "$minutes" ] && [ -z "$runs" ]; then minutes=10; fi
stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
mkdir -p "$out"
json="$out/$stamp.json" md="$out/$stamp.md"
corpus_root="$CARGO_TARGET_DIR/fuzz-corpus"
artifacts="$out/$stamp-artifacts"
mkdir -p "$artifacts"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
results=()
findings=0

if $rust; then
  seed "$corpus_root" || exit 1
  for t in "${targets[@]}"; do
    limit=(); [ -n "$runs" ] && limit+=(-runs="$runs"); [ -n "$minutes" ] && limit+=(-max_total_time=$((minutes * 60)))
    log="$out/$stamp-$t.log"
    echo "== fuzzing $t (${limit[*]})"
    start=$(date +%s)
    nice -n 19 "$bin_dir/$t" "${CAPS[@]}" "${limit[@]}" -print_final_stats=1 -artifact_prefix="$artifacts/$t-" "$corpus_root/$t" >"$log" 2>&1
    rc=$?
    secs=$(( $(date +%s) - start ))
    execs=$(awk '/stat::number_of_executed_units/ { print $NF }' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -1)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last") ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$last")
    crashes=$(find "$artifacts" -name "$t-*" | wc -l)
    [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ] && crashes=1
    findings=$((findings + crashes))
    echo "   $t: ${execs:-0} executions in ${secs}s, cov $cov, ft $ft, corpus $corp, findings $crashes (exit $rc)"
    results+=("{\"target\":\"$t\",\"kind\":\"rust\",\"sanitizer\":\"$sanitizer\",\"executions\":${execs:-0},\"seconds\":$secs,\"cov\":${cov:-0},\"ft\":${ft:-0},\"corpus\":${corp:-0},\"findings\":$crashes}")
  done
fi

if $ts; then
  report="$out/$stamp-ts.jsonl"
  : >"$report"
  echo "== TypeScript properties, $cases cases each (__test__/ files matching $specs)"
  SHUTTERPROOF_FUZZ_RUNS=$cases SHUTTERPROOF_FUZZ_HEAVY_RUNS=${heavy_cases:-$cases} SHUTTERPROOF_FUZZ_REPORT="$repo/$report" nice -n 19 npx uvu -r tsx __test__ "$specs" >"$out/$stamp-ts.log" 2>&1
  rc=$?
  tail -5 "$out/$stamp-ts.log"
  [ "$rc" -ne 0 ] && findings=$((findings + 1))
  while IFS= read -r line; do
    results+=("$(node -e 'const l = JSON.parse(process.argv[1]); console.log(JSON.stringify({ target: l.property, kind: "ts", executions: l.cases, seconds: Math.round(l.ms / 1000), findings: l.failed ? 1 : 0, ...(l.failed ? { counterexample: l.counterexample, error: l.error } : {}) }))' "$line")")
  done <"$report"
fi

{
  # The command as JSON: a --specs regex holds backslashes.
  printf '{"date":"%s","commit":"%s","command":%s,"results":[' "$stamp" "$commit" \
    "$(node -e 'process.stdout.write(JSON.stringify(process.argv[1]))' "npm run fuzz -- $args")"
  (IFS=,; printf '%s' "${results[*]}")
  printf ']}\n'
} >"$json"
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))
const rows = r.results.map((x) => `| ${x.target} | ${x.kind} | ${x.executions.toLocaleString("en")} | ${x.kind === "rust" ? `cov ${x.cov}, ft ${x.ft}, corpus ${x.corpus}, sanitizer ${x.sanitizer}` : "—"} | ${x.seconds} s | ${x.findings} |`)
console.log([`Fuzz run ${r.date} on ${r.commit} (\`${r.command}\`)`, "", "| target | kind | executions / cases | coverage | time | findings |", "|---|---|---|---|---|---|", ...rows].join("\n"))
' "$json" | tee "$md"
echo "results: $json, $md; findings: $findings"
[ "$findings" -eq 0 ]
