#!/usr/bin/env bash
# with-release-addon.sh COMMAND…: runs COMMAND on the release addon (LTO, stripped) rather
# than the debug build the tests use: builds it for this machine (scripts/build-addon.sh,
# a no-op when up to date) and points the generated loader at it through
# NAPI_RS_NATIVE_LIBRARY_PATH. `npm run demo` and `npm run bench` run through here.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-addon.sh >&2
platform=$(node -p "require('@napi-rs/cli').parseTriple(process.argv[1]).platformArchABI" "$(rustc -vV | sed -n 's/^host: //p')")
export NAPI_RS_NATIVE_LIBRARY_PATH="$PWD/npm/$platform/shutterproof.$platform.node"
exec "$@"
