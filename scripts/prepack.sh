#!/usr/bin/env bash
# prepack of the main package: a clean dist/ (no modules left from earlier builds, no source
# maps: lib/*.ts is not shipped) and the addon packages as optionalDependencies
# (scripts/pack-manifest.cjs; postpack restores package.json). The addons themselves are
# built by each npm/<platform> package's own prepack (scripts/build-addon.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf dist
npm run --silent build:ts # tsc, then commander bundled into dist/cli/commander.js
node scripts/pack-manifest.cjs add
