// Run after `tsc` (npm run build:ts, prepack): replaces dist/cli/commander.js — which tsc
// emits as a plain re-export of the `commander` package — with commander bundled into one
// file, whose `node:child_process` is required only when commander spawns an executable
// subcommand (the CLI has none, so never). Every CLI command parses its arguments with
// commander: as its seven files it cost about 4 ms of start-up in module resolution and
// loading, and `node:child_process`, which commander requires at its top, about 4 ms more
// (docs/CLI.md, "Start-up"). From source (tsx), lib/cli/commander.ts re-exports the package.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { build } from 'esbuild'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(join(root, 'package.json'))
const entry = require.resolve('commander')
const { version } = JSON.parse(readFileSync(join(dirname(entry), 'package.json'), 'utf8'))
const licence = readFileSync(join(dirname(entry), 'LICENSE'), 'utf8').trim()

/** `node:child_process` as a module that loads the real one on first use of any property. */
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      args.namespace === 'lazy'
        ? { path: 'node:child_process', external: true }
        : { path: 'child_process', namespace: 'lazy' },
    )
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, () => ({
      contents:
        "let real\nmodule.exports = new Proxy({}, { get: (_, key) => (real ??= require('node:child_process'))[key] })\n",
      loader: 'js',
    }))
  },
}

await build({
  entryPoints: [entry],
  outfile: join(root, 'dist/cli/commander.js'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  plugins: [lazyChildProcess],
  banner: {
    js: `/*\n * commander ${version}, bundled into one file by scripts/bundle-commander.mjs. Its licence:\n *\n${licence
      .split('\n')
      .map((l) => ` * ${l}`.trimEnd())
      .join('\n')}\n */`,
  },
  logLevel: 'warning',
})
