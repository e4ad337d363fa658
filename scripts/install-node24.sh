#!/usr/bin/env bash
# Node 24 for the second run of the JS suites (scripts/run-suites.mjs): the npm registry's
# node-linux-<arch> package (the official build, headers included), into a folder outside
# the clone that every user can reach (a test runs node as `nobody`; root's home is 0700).
# Prints the node binary's path; skips the download when it is there.
set -euo pipefail
version=24.22.3
default="$HOME/.cache/shutterproof/node24"
[ "$(id -u)" -ne 0 ] || default=/opt/shutterproof/node24
dir="${SHUTTERPROOF_NODE24_DIR:-$default}"
arch=$(node -p process.arch)
bin="$dir/node_modules/node-linux-$arch/bin/node"
if ! [ -x "$bin" ] || [ "$("$bin" --version)" != "v$version" ]; then
  echo "installing Node $version: npm install node-linux-$arch@$version into $dir" >&2
  npm install --prefix "$dir" --ignore-scripts --no-audit --no-fund "node-linux-$arch@$version" >&2
fi
echo "$bin"
