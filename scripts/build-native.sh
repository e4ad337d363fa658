#!/usr/bin/env bash
# Builds the napi addon (debug unless --release) and regenerates index.js / index.d.ts.
# The cargo target folder lives outside the clone so rebuilds in fresh clones are fast.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/shutterproof/target}"
profile=()
if [ "${1:-}" = "--release" ]; then profile=(--release); fi
npx napi build --platform -p shutterproof-node -o . --js index.js --dts index.d.ts "${profile[@]}"
