#!/usr/bin/env bash
# zig and cargo-zigbuild build the release addons (scripts/build-addon.sh): both come from
# PyPI (`ziglang`, `cargo-zigbuild`); `cargo install cargo-zigbuild` is the fallback for the
# latter. Skips what is already there.
set -euo pipefail
pip=$(command -v pip3 || command -v pip || true)
if ! python3 -m ziglang version >/dev/null 2>&1 && ! command -v zig >/dev/null; then
  [ -n "$pip" ] || { echo "install-zig: pip is missing: cannot install zig (pip install ziglang)" >&2; exit 1; }
  echo "installing zig: pip install ziglang"
  "$pip" install -q ziglang
fi
if ! command -v cargo-zigbuild >/dev/null; then
  echo "installing cargo-zigbuild"
  { [ -n "$pip" ] && "$pip" install -q cargo-zigbuild; } || cargo install --locked cargo-zigbuild
fi
