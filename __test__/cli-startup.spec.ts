/**
 * CLI start-up loads what the command needs and nothing more: `--version`, `hash` and
 * `ingest --help` run without the SQLite catalog (better-sqlite3), tar-stream,
 * fast-xml-parser, saxes, the report/MHL/ingest engine, sharing, backup or previews code.
 * The CLI runs in a child process with a preload that lists every module it loaded; the
 * source CLI (through tsx) always, and the built one (dist/cli/bin.js, what `npm install`
 * gives) when dist/ is built and newer than lib/. How long start-up takes is measured in
 * bench case A, not asserted here.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { commandModulesFor } from '../lib/cli/main'
import { hashFile } from '../lib/hash'
import { REPO, tempDir, TSX } from './support/fixtures'

const RECORDER = join(REPO, '__test__/support/record-modules.cjs')
const DIST_BIN = join(REPO, 'dist/cli/bin.js')

/** What a short command must not load: heavy dependencies and other commands' engines. */
const HEAVY = [
  /\/node_modules\/(better-sqlite3|tar-stream|fast-xml-parser|saxes|nodemailer|sharp|exiftool-vendored|aws4fetch|cli-progress)\//,
  /\/(lib|dist)\/(report|mhl|ingest|share|backup|catalog|previews|delivery|seal|keys)\//,
  /\/(lib|dist)\/sqlite\.(ts|js)$/,
]

/**
 * What the built CLI must not load either: commander comes bundled into one file
 * (dist/cli/commander.js, scripts/bundle-commander.mjs) that requires `node:child_process`
 * only for executable subcommands; `node:fs/promises` (progress totals) and `node:v8` (the
 * lean heap of ingest's work) load when used. Run from source, tsx itself loads some.
 */
const HEAVY_BUILT = [/\/node_modules\/commander\//, /^node:(child_process|fs\/promises|v8)$/]

interface Run {
  status: number | null
  stdout: string
  stderr: string
  modules: string[]
}

type Cli = (args: string[]) => Run

/** Newest modification time of the TypeScript sources under lib/. */
function newestSource(dir = join(REPO, 'lib')): number {
  let newest = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p))
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs)
  }
  return newest
}

function runWith(nodeArgs: string[]): Cli {
  return (args) => {
    const out = join(tempDir('sp-startup-'), 'modules.txt')
    const r = spawnSync(process.execPath, ['-r', RECORDER, ...nodeArgs, ...args], {
      encoding: 'utf8',
      cwd: REPO,
      env: { ...process.env, SHUTTERPROOF_MODULES_OUT: out },
    })
    const modules = existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean) : []
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, modules }
  }
}

const fromSource = runWith(['--import', TSX, join(REPO, 'lib/cli/bin.ts')])
const distFresh = existsSync(DIST_BIN) && statSync(DIST_BIN).mtimeMs >= newestSource()
if (!distFresh)
  console.warn(
    '\n!!! SKIPPED: dist/ is not built or older than lib/ (npm run build:ts): the start-up checks of the built CLI are skipped, not passed\n',
  )
const fromDist = runWith([DIST_BIN])

function heavyIn(modules: string[], cli: Cli): string[] {
  const heavy = cli === fromDist ? [...HEAVY, ...HEAVY_BUILT] : HEAVY
  return modules.filter((m) => heavy.some((re) => re.test(m)))
}

const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }

for (const [name, cli, t] of [
  ['source (tsx)', fromSource, test],
  ['built (dist/cli/bin.js)', fromDist, distFresh ? test : test.skip],
] as const) {
  t(`${name}: --version prints the version and loads no command module and no native addon`, () => {
    const r = cli(['--version'])
    assert.is(r.status, 0, r.stderr)
    assert.is(r.stdout.trim(), version)
    assert.ok(r.modules.length > 0, 'the preload recorded the modules')
    assert.equal(heavyIn(r.modules, cli), [])
    assert.equal(
      r.modules.filter((m) => /\/cli\/[a-z-]+-command\.(ts|js)$/.test(m) || m.endsWith('.node')),
      [],
    )
  })

  t(`${name}: hash prints b3sum's line and loads the hasher only`, async () => {
    const dir = tempDir('sp-startup-')
    const file = join(dir, 'IMG_0001.CR3')
    writeFileSync(file, 'start-up\n')
    const r = cli(['hash', file])
    assert.is(r.status, 0, r.stderr)
    assert.is(r.stdout, `${(await hashFile(file)).blake3}  ${file}\n`)
    assert.equal(heavyIn(r.modules, cli), [])
    assert.equal(
      r.modules.filter((m) => /\/cli\/[a-z-]+-command\.(ts|js)$/.test(m)).map((m) => m.replace(/.*\//, '')),
      [`hash-command.${cli === fromDist ? 'js' : 'ts'}`],
    )
    // Built, it writes its lines to a file or pipe without process.stdout, and hashes by path
    // without HashStream: Node's stream modules never load (run from source, tsx loads them).
    if (cli === fromDist)
      assert.equal(
        r.modules.filter((m) => /^node:stream/.test(m)),
        [],
      )
  })

  t(`${name}: ingest --help shows ingest's options without loading the ingest engine`, () => {
    const r = cli(['ingest', '--help'])
    assert.is(r.status, 0, r.stderr)
    assert.match(r.stdout, /Usage: shutterproof ingest \[options\] <card> <destinations\.\.\.>/)
    assert.match(r.stdout, /--client <name>/)
    assert.equal(heavyIn(r.modules, cli), [])
    assert.equal(
      r.modules.filter((m) => m.endsWith('.node')),
      [],
    )
  })

  t(`${name}: the preload sees modules loaded when a command runs (verify loads the engine)`, () => {
    const r = cli(['verify', join(tempDir('sp-startup-'), 'missing')])
    assert.is.not(r.status, 0)
    assert.match(r.stderr, /missing/)
    assert.ok(
      r.modules.some((m) => /\/(lib|dist)\/ingest\/index\.(ts|js)$/.test(m)),
      'the ingest engine is loaded once verify runs',
    )
  })
}

test('the main help lists every command, and each loads only its own module', () => {
  const r = fromSource(['--help'])
  assert.is(r.status, 0, r.stderr)
  const listed = [
    ...r.stdout
      .split('Commands:')[1]!
      .split('\n\n')[0]!
      .matchAll(/^ {2}([a-z][a-z-]*)/gm),
  ].map((m) => m[1]!)
  assert.ok(
    listed.includes('ingest') && listed.includes('hash') && listed.includes('share'),
    listed.join(' '),
  )
  for (const name of listed.filter((n) => n !== 'help'))
    assert.is(commandModulesFor([name, '--help']).length, 1, `${name} is in main.ts's command table`)
  assert.is(commandModulesFor(['--version']).length, 0)
  assert.ok(commandModulesFor(['--help']).length > 1)
  assert.ok(commandModulesFor(['hsah']).length > 1, 'a mistyped command gets every module (and a suggestion)')
})

test.run()
