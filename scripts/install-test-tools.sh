#!/usr/bin/env bash
# Installs the reference tools the tests compare against, when they are missing:
# Debian packages (as root) and the Rust components for fmt / clippy.
set -euo pipefail
need=()
command -v b3sum >/dev/null || need+=(b3sum)
command -v xxhsum >/dev/null || need+=(xxhash)
command -v xmllint >/dev/null || need+=(libxml2-utils)
command -v fincore >/dev/null || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing test tools: ${need[*]} (install them, e.g. sudo apt-get install -y ${need[*]})" >&2
    exit 1
  fi
  echo "installing Debian packages: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
if command -v rustup >/dev/null; then
  rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
fi
