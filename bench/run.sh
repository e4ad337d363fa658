#!/usr/bin/env bash
# npm run bench [-- --quick]: installs or finds the peers, builds, runs bench/run.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-tools.sh   # b3sum, xxhsum (Debian) — the peers of case A
# Debian peers of cases D, E, I and J (nginx and versitygw come with install-test-tools.sh; wrk drives J's load)
peers=()
command -v age >/dev/null || peers+=(age)
command -v rclone >/dev/null || peers+=(rclone)
command -v restic >/dev/null || peers+=(restic)
command -v wrk >/dev/null || peers+=(wrk)
if [ ${#peers[@]} -gt 0 ] && [ "$(id -u)" -eq 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${peers[@]}" >/dev/null || echo "could not install ${peers[*]}: their rows will be missing"
fi
# npm peers outside the project's lock file (see bench/lib/peers.ts)
if [ ! -d bench/.peers/node_modules/@napi-rs/blake-hash ]; then
  mkdir -p bench/.peers && echo '{"private":true}' > bench/.peers/package.json
  npm install --prefix bench/.peers --no-save --no-audit --no-fund @napi-rs/blake-hash@1.3.6 >/dev/null
fi
# Node 24, for case A's start-up rows with and without Node's compile cache (Node 20 has none)
if node24=$(bash scripts/install-node24.sh | tail -1) && [ -x "$node24" ]; then
  export BENCH_NODE24="$node24"
else
  echo "Node 24 could not be installed: case A's compile-cache rows will be missing"
fi
release=()
if [[ " $* " == *" --quick "* ]]; then
  npm run --silent build            # smoke run: the debug addon is enough
else
  npm run --silent build:ts
  release=(bash scripts/with-release-addon.sh)   # the addon users install (LTO, stripped)
fi
"${release[@]}" node --import tsx bench/run.ts "$@"
