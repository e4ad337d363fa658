#!/usr/bin/env bash
# Builds the release addon (Cargo.toml [profile.release]: LTO, stripped, panics unwind into
# E_INTERNAL) for each target triple given — default: this machine's — into
# npm/<platform>/, the per-platform package that ships it, with the LICENSE beside it.
# Linux targets are built with cargo-zigbuild (zig from PyPI `ziglang`): gnu against glibc
# 2.17, so the addon loads on any distribution Node itself runs on, and musl; the same
# command cross-compiles them from any Linux host. Other targets (darwin, win32) build with
# plain cargo on their own OS (see .github/workflows/release.yml).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/shutterproof/target}"
host=$(rustc -vV | sed -n 's/^host: //p')
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("$host")
for t in "${targets[@]}"; do
  platform=$(node -p "require('@napi-rs/cli').parseTriple(process.argv[1]).platformArchABI" "$t")
  dir="npm/$platform"
  [ -f "$dir/package.json" ] || { echo "build-addon: no package $dir for $t (add it to napi.targets, then npx napi create-npm-dirs)" >&2; exit 1; }
  if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx "$t"; then rustup target add "$t" >&2; fi
  if [[ "$t" == *-linux-* ]] && ! command -v cargo-zigbuild >/dev/null; then
    # Without zig only this machine's own target can be built, for its own glibc: enough
    # for the demo and benchmarks, not for publishing (package.spec.ts checks the floor).
    [ "$t" = "$host" ] || { echo "build-addon: $t needs zig and cargo-zigbuild: bash scripts/install-zig.sh" >&2; exit 1; }
    echo "build-addon: cargo-zigbuild missing; building $t for this machine's glibc (bash scripts/install-zig.sh for glibc 2.17)" >&2
    cargo build -p shutterproof-node --release --target "$t"
  else
    case "$t" in
      *-linux-gnu) cargo zigbuild -p shutterproof-node --release --target "$t.2.17" ;;
      *-linux-musl) cargo zigbuild -p shutterproof-node --release --target "$t" ;;
      *) cargo build -p shutterproof-node --release --target "$t" ;;
    esac
  fi
  out="$CARGO_TARGET_DIR/$t/release"
  case "$t" in
    *-apple-darwin) lib="$out/libshutterproof_node.dylib" ;;
    *-windows-*) lib="$out/shutterproof_node.dll" ;;
    *) lib="$out/libshutterproof_node.so" ;;
  esac
  cp "$lib" "$dir/shutterproof.$platform.node"
  cp LICENSE "$dir/LICENSE"
  echo "build-addon: $dir/shutterproof.$platform.node ($(wc -c < "$dir/shutterproof.$platform.node") bytes)" >&2
done
