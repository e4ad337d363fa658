#!/usr/bin/env bash
# npm run bench [-- --quick]: installs or finds the peers, builds, runs bench/run.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-tools.sh   # b3sum, xxhsum (Debian) — the peers of case A
if [[ " $* " == *" --quick "* ]]; then
  npm run --silent build            # smoke run: the debug addon is enough
else
  npm run --silent build:native:release && npm run --silent build:ts
fi
node --import tsx bench/run.ts "$@"
