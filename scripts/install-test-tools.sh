#!/usr/bin/env bash
# Installs the reference tools the tests compare against, when they are missing:
# Debian packages (as root; chromium for the HTML report and share gallery suites, exiftool
# and image tools for previews, nginx and openssl for the share server behind a proxy), the
# reference ASC MHL tool and the SMTP test server aiosmtpd (pip), the Rust components for
# fmt / clippy, and a nightly toolchain with cargo-fuzz for the fuzz smoke (skipped, loudly,
# when they cannot be had).
set -euo pipefail
need=()
command -v b3sum >/dev/null || need+=(b3sum)
command -v xxhsum >/dev/null || need+=(xxhash)
command -v xmllint >/dev/null || need+=(libxml2-utils)
command -v fincore >/dev/null || need+=(util-linux)
# mkfs.ext4 for the loop-mounted ext4 image of safe-to-format-faults.spec.ts (root only).
command -v mkfs.ext4 >/dev/null || need+=(e2fsprogs)
# `script` runs the CLI in a real pseudo-terminal for the screen tests (80 and 100 columns).
command -v script >/dev/null || need+=(bsdutils)
# Headless Chromium for the HTML report and share gallery suites (driven by playwright-core, which never downloads a browser).
[ -x /usr/bin/chromium ] || need+=(chromium)
# Previews: Debian's exiftool checks what a preview carries; perl runs exiftool-vendored's ExifTool;
# vipsthumbnail, ImageMagick and exiv2 are the peers of benchmark case G.
command -v perl >/dev/null || need+=(perl)
command -v exiftool >/dev/null || need+=(libimage-exiftool-perl)
[ -x /usr/bin/vipsthumbnail ] || need+=(libvips-tools)
[ -x /usr/bin/convert ] || need+=(imagemagick)
command -v exiv2 >/dev/null || need+=(exiv2)
# The reverse proxy the share server is tested behind (the tests start and stop their own
# nginx on free ports; the package's own service is not used), and openssl for its
# throwaway certificate.
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v openssl >/dev/null || need+=(openssl)
command -v python3 >/dev/null || need+=(python3)   # delivery-browser.spec.ts reads the browser's ZIP with zipfile
command -v readelf >/dev/null || need+=(binutils)   # package.spec.ts reads the addon's ELF sections
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
# The SMTP server the share sign-in suites mail their codes to: Python's aiosmtpd (a real
# SMTP server with STARTTLS and AUTH, started per test by __test__/support/smtp-sink.py),
# for the python3 the tests run. Without it those suites say SKIPPED.
if command -v python3 >/dev/null && ! python3 -c 'import aiosmtpd' 2>/dev/null; then
  echo "installing the SMTP test server: python3 -m pip install aiosmtpd"
  python3 -m pip install -q 'aiosmtpd>=1.4,<2' 2>/dev/null \
    || python3 -m pip install -q --break-system-packages 'aiosmtpd>=1.4,<2' 2>/dev/null \
    || { [ "$(id -u)" -eq 0 ] && [ "$(command -v python3)" = /usr/bin/python3 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-aiosmtpd >/dev/null; } \
    || echo "could not install aiosmtpd: the share sign-in (SMTP) suites will be SKIPPED" >&2
fi
# The S3 server the object-storage suites run against: versitygw (Apache-2.0), built with Go
# into the cache (about 2 minutes cold). Without Go those suites say SKIPPED.
VERSITYGW_VERSION=v1.8.0
gw_bin="${SHUTTERPROOF_VERSITYGW:-$HOME/.cache/shutterproof/bin/versitygw}"
go_bin="$(command -v go || { [ -x /usr/local/go/bin/go ] && echo /usr/local/go/bin/go; } || true)"
# `go version -m` names the module version a binary was built from.
if [ ! -x "$gw_bin" ] || { [ -n "$go_bin" ] && ! "$go_bin" version -m "$gw_bin" 2>/dev/null | grep -q "versitygw.*$VERSITYGW_VERSION"; }; then
  if [ -n "$go_bin" ]; then
    echo "installing versitygw $VERSITYGW_VERSION (go install, once)"
    mkdir -p "$(dirname "$gw_bin")"
    GOBIN="$(dirname "$gw_bin")" "$go_bin" install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION" \
      || echo "could not build versitygw: the S3 suites will be skipped" >&2
  else
    echo "Go is missing: cannot build versitygw; the S3 suites will be skipped" >&2
  fi
fi
if command -v rustup >/dev/null; then
  rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
fi
# The fuzz targets (crates/core/fuzz) build with cargo-fuzz on a nightly toolchain.
if command -v rustup >/dev/null; then
  if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "installing a nightly Rust toolchain for the fuzz targets"
    rustup toolchain install nightly --profile minimal >/dev/null 2>&1 \
      || echo "could not install a nightly toolchain: the Rust fuzz smoke will be SKIPPED" >&2
  fi
  if cargo +nightly --version >/dev/null 2>&1 && ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz 0.13.2 (cargo install, from crates.io)"
    cargo install cargo-fuzz --version 0.13.2 --locked -q \
      || echo "could not install cargo-fuzz: the Rust fuzz smoke will be SKIPPED" >&2
  fi
fi
# zig + cargo-zigbuild build the release addon that package.spec.ts packs and installs.
bash "$(dirname "$0")/install-zig.sh"
