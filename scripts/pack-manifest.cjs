// `npm pack` / `npm publish` of the main package (prepack: `add`, postpack: `restore`).
// The per-platform addon packages (npm/*) become optionalDependencies only in the packed
// package.json, napi-rs style: npm installs just the one matching the user's os/cpu/libc.
// They stay out of the repository's package.json because `npm ci` needs every dependency
// in the lock file, and these exist on the registry only once a release is published.
const { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs')
const { join } = require('node:path')
const { parseTriple } = require('@napi-rs/cli')

const root = join(__dirname, '..')
const manifest = join(root, 'package.json')
const saved = join(root, '.tmp', 'package.json.before-pack')

function restore() {
  if (existsSync(saved)) renameSync(saved, manifest)
}

function add() {
  restore() // a pack that failed before postpack left its edit behind
  const pkg = JSON.parse(readFileSync(manifest, 'utf8'))
  mkdirSync(join(root, '.tmp'), { recursive: true })
  copyFileSync(manifest, saved)
  pkg.optionalDependencies = Object.fromEntries(
    pkg.napi.targets.map((t) => [`${pkg.napi.packageName}-${parseTriple(t).platformArchABI}`, pkg.version]),
  )
  // Written beside and renamed over: a CLI under test reads package.json (its version)
  // while package.spec packs, and must never see it half-written.
  const next = join(root, '.tmp', 'package.json.packing')
  writeFileSync(next, JSON.stringify(pkg, null, 2) + '\n')
  renameSync(next, manifest)
}

const action = process.argv[2]
if (action === 'add') add()
else if (action === 'restore') restore()
else throw new Error(`usage: node scripts/pack-manifest.cjs add|restore (got ${action})`)
