#!/usr/bin/env bash
# Installs the reference tools the tests compare against, when they are missing:
# Debian packages (as root; chromium for the browser suites, exiftool and image tools for previews), the reference ASC MHL tool (pip) and the Rust components
# for fmt / clippy.
set -euo pipefail
need=()
command -v b3sum >/dev/null || need+=(b3sum)
command -v xxhsum >/dev/null || need+=(xxhash)
command -v xmllint >/dev/null || need+=(libxml2-utils)
command -v fincore >/dev/null || need+=(util-linux)
# mkfs.ext4 for the loop-mounted ext4 image of safe-to-format-faults.spec.ts (root only).
command -v mkfs.ext4 >/dev/null || need+=(e2fsprogs)
# Headless Chromium for the HTML report and share gallery suites (driven by playwright-core, which never downloads a browser).
[ -x /usr/bin/chromium ] || need+=(chromium)
# Previews: Debian's exiftool checks what a preview carries; perl runs exiftool-vendored's ExifTool;
# vipsthumbnail, ImageMagick and exiv2 are the peers of benchmark case G.
command -v perl >/dev/null || need+=(perl)
command -v exiftool >/dev/null || need+=(libimage-exiftool-perl)
[ -x /usr/bin/vipsthumbnail ] || need+=(libvips-tools)
[ -x /usr/bin/convert ] || need+=(imagemagick)
command -v exiv2 >/dev/null || need+=(exiv2)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing test tools: ${need[*]} (install them, e.g. sudo apt-get install -y ${need[*]})" >&2
    exit 1
  fi
  echo "installing Debian packages: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
# The reference ASC MHL tool (PyPI `ascmhl`; `ascmhl-debug verify` lives in the same package).
if ! command -v ascmhl-debug >/dev/null; then
  if command -v pip3 >/dev/null || command -v pip >/dev/null; then
    echo "installing the reference ASC MHL tool: pip install ascmhl"
    "$(command -v pip3 || command -v pip)" install -q ascmhl || echo "could not pip install ascmhl: the ASC MHL reference checks will be skipped" >&2
  elif command -v pipx >/dev/null; then
    pipx install ascmhl || echo "could not pipx install ascmhl: the ASC MHL reference checks will be skipped" >&2
  else
    echo "pip and pipx are missing: cannot install ascmhl; the ASC MHL reference checks will be skipped" >&2
  fi
fi
if command -v rustup >/dev/null; then
  rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
fi
