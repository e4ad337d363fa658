/**
 * Used as other apps use it: `npm pack` of the main package and of this machine's addon
 * package (each prepack builds what it ships: a clean dist/, the release addon), both
 * installed into an empty project and used through ESM import, CommonJS require, a
 * type-checked TypeScript consumer and the `shutterproof` command; what a user is told
 * when the addon is not installed or the platform has none.
 */
import { createHash } from 'node:crypto'
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { spawnSync } from 'node:child_process'
import { parseTriple } from '@napi-rs/cli'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { currentPlatform } from '../lib/platform'
import { REPO } from './support/fixtures'
import {
  elfSections,
  expectedFiles,
  glibcFloor,
  installApp,
  packBoth,
  sh,
  unversionedImports,
  type Packed,
} from './support/package'

const ABC = '6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85'
const PLATFORM = currentPlatform()
const MAX_UNPACKED = 8 * 1024 * 1024

const repoManifest = () => JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'))
const targets = (): string[] => repoManifest().napi.targets

function assertFileList(p: Packed, section: string): void {
  const expected = expectedFiles(section)
  const unexpected = p.files.filter((f) => !expected.some((e) => e.re.test(f)))
  assert.equal(unexpected, [], `${section} tarball holds files __test__/package-files.txt does not list`)
  const unmatched = expected.filter((e) => !p.files.some((f) => e.re.test(f))).map((e) => e.line)
  assert.equal(unmatched, [], `${section}: lines of __test__/package-files.txt that match nothing packed`)
}

/** lib/**.ts minus the demo (a repository tool, not the package's promise), as dist paths without extension. */
function libModules(dir = join(REPO, 'lib')): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(join(REPO, 'lib'), join(e.parentPath, e.name)).replace(/\.ts$/, ''))
    .filter((m) => !m.startsWith('demo/'))
    .sort()
}

test('npm pack: the main tarball holds exactly LICENSE, README, the loader and dist/ built from lib/ (no maps, no demo)', () => {
  const before = readFileSync(join(REPO, 'package.json'), 'utf8')
  const { main } = packBoth()
  assertFileList(main, 'shutterproof')
  const js = main.files
    .filter((f) => f.endsWith('.js') && f.startsWith('dist/'))
    .map((f) => f.slice(5, -3))
    .sort()
  const dts = main.files
    .filter((f) => f.endsWith('.d.ts') && f.startsWith('dist/'))
    .map((f) => f.slice(5, -5))
    .sort()
  assert.equal(js, libModules(), 'dist/*.js is lib/*.ts compiled, nothing stale, nothing missing')
  assert.equal(dts, libModules(), 'every module has its types')
  assert.is(
    readFileSync(join(REPO, 'package.json'), 'utf8'),
    before,
    'packing leaves the repository package.json as it was',
  )
})

test('the packed package.json: addon packages as optionalDependencies, engines, SQLite fallback as an optional peer', () => {
  const { main } = packBoth()
  const pkg = JSON.parse(sh('tar', ['-xzOf', main.file, 'package/package.json']))
  const want = Object.fromEntries(
    targets().map((t) => [`shutterproof-${parseTriple(t).platformArchABI}`, pkg.version]),
  )
  assert.equal(pkg.optionalDependencies, want)
  assert.is(
    repoManifest().optionalDependencies,
    undefined,
    'only the tarball lists them: npm ci needs every dependency of the repository in its lock file',
  )
  assert.is(pkg.engines.node, '>=20.17')
  assert.not.ok(
    pkg.dependencies['better-sqlite3'],
    'nothing compiles on install: better-sqlite3 is only the Node 20 fallback',
  )
  assert.equal(pkg.peerDependenciesMeta['better-sqlite3'], { optional: true })
  assert.is(pkg.bin.shutterproof, 'dist/cli/bin.js')
})

test('every napi target has its npm/<platform> package, restricted to its os/cpu/libc, built by its prepack', () => {
  for (const t of targets()) {
    const { platformArchABI, platform, arch, abi } = parseTriple(t)
    const pkg = JSON.parse(readFileSync(join(REPO, 'npm', platformArchABI, 'package.json'), 'utf8'))
    assert.is(pkg.name, `shutterproof-${platformArchABI}`)
    assert.is(pkg.version, repoManifest().version)
    assert.equal(pkg.os, [platform])
    assert.equal(pkg.cpu, [arch])
    if (platform === 'linux') assert.equal(pkg.libc, [abi === 'musl' ? 'musl' : 'glibc'])
    assert.is(pkg.main, `shutterproof.${platformArchABI}.node`)
    assert.is(pkg.scripts.prepack, `bash ../../scripts/build-addon.sh ${t}`)
  }
})

test(`the ${PLATFORM} addon tarball: release build (no debug sections, no symbols), LICENSE, under 8 MiB with the main package`, () => {
  const { main, addon } = packBoth()
  assertFileList(addon, `shutterproof-<platform>`)
  const binary = join(REPO, 'npm', PLATFORM, `shutterproof.${PLATFORM}.node`)
  const sections = elfSections(binary)
  assert.ok(sections.includes('.text'), `readelf read ${binary}`)
  assert.equal(
    sections.filter((s) => s.startsWith('.debug') || s === '.symtab'),
    [],
    'stripped release build',
  )
  if (PLATFORM.endsWith('-gnu')) {
    assert.is(glibcFloor(binary), '2.17', 'loads on glibc 2.17 and later')
    assert.equal(
      unversionedImports(binary),
      [],
      'no libc function outside the versioned 2.17 set (renameat2 goes through syscall)',
    )
  }
  const total = main.unpackedSize + addon.unpackedSize
  assert.ok(total < MAX_UNPACKED, `unpacked ${total} bytes`)
  console.log(`  main ${main.unpackedSize} B + ${PLATFORM} addon ${addon.unpackedSize} B unpacked`)
})

let app = ''

test('installed from the tarballs: ESM import, CommonJS require, TypeScript types and the command work on the release addon', () => {
  const { main, addon } = packBoth()
  app = installApp('app', [main.file, addon.file])
  writeFileSync(join(app, 'abc.txt'), 'abc')

  writeFileSync(
    join(app, 'esm.mjs'),
    "import { hashFile } from 'shutterproof'\nconsole.log((await hashFile('abc.txt')).blake3)\n",
  )
  assert.is(sh(process.execPath, ['esm.mjs'], { cwd: app }).trim(), ABC)

  writeFileSync(
    join(app, 'cjs.cjs'),
    "require('shutterproof').hashFile('abc.txt', { algorithms: ['md5'] }).then((r) => console.log(r.md5, JSON.stringify(Object.keys(require.cache).filter((k) => k.endsWith('.node')))))\n",
  )
  const [md5, loaded] = sh(process.execPath, ['cjs.cjs'], { cwd: app }).trim().split(' ')
  assert.is(md5, createHash('md5').update('abc').digest('hex'))
  assert.equal(JSON.parse(loaded!), [
    join(app, 'node_modules', `shutterproof-${PLATFORM}`, `shutterproof.${PLATFORM}.node`),
  ])

  writeFileSync(
    join(app, 'consumer.ts'),
    "import { hashFile, type HashResult, type ShutterproofError } from 'shutterproof'\n" +
      "const r: Promise<HashResult> = hashFile('abc.txt', { algorithms: ['xxh128'] })\n" +
      'r.catch((e: ShutterproofError) => e.code satisfies string)\n' +
      '// @ts-expect-error: unknown algorithm names do not type-check\n' +
      "hashFile('abc.txt', { algorithms: ['crc32'] })\n",
  )
  const tsc = join(REPO, 'node_modules/typescript/bin/tsc')
  sh(
    process.execPath,
    [
      tsc,
      '--noEmit',
      '--strict',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--types',
      'node',
      '--typeRoots',
      join(REPO, 'node_modules/@types'),
      'consumer.ts',
    ],
    { cwd: app },
  )

  assert.is(
    sh(join(app, 'node_modules/.bin/shutterproof'), ['hash', 'abc.txt'], { cwd: app }),
    `${ABC}  abc.txt\n`,
  )
})

test('installed: SQLite is node:sqlite from Node 22.13 on; on older Node, E_SQLITE_UNAVAILABLE says to add better-sqlite3', () => {
  assert.ok(app, 'the install test ran')
  writeFileSync(
    join(app, 'catalog.cjs'),
    "require('shutterproof').openCatalog('catalog.db').then((c) => { console.log(JSON.stringify({ ok: c.status().length })); c.close() },\n" +
      '  (e) => console.log(JSON.stringify({ code: e.code, message: e.message })))\n',
  )
  const r = JSON.parse(sh(process.execPath, ['catalog.cjs'], { cwd: app }))
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number]
  if (major > 22 || (major === 22 && minor >= 13)) {
    assert.equal(r, { ok: 0 }, 'node:sqlite, nothing installed')
  } else {
    assert.is(r.code, 'E_SQLITE_UNAVAILABLE')
    assert.match(r.message, /npm install better-sqlite3@12/)
    assert.match(r.message, /catalog\.db/)
  }
})

test('the main package without its addon package (e.g. --omit=optional): E_NATIVE_LOAD names the missing package and the fix', () => {
  const { main } = packBoth()
  const bare = installApp('bare', [main.file])
  const r = spawnSync(
    process.execPath,
    [
      '-e',
      "try { require('shutterproof') } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message, platform: e.platform })) }",
    ],
    { cwd: bare, encoding: 'utf8' },
  )
  const e = JSON.parse(r.stdout)
  assert.is(e.code, 'E_NATIVE_LOAD')
  assert.is(e.platform, PLATFORM)
  assert.match(e.message, `shutterproof-${PLATFORM} is not installed`)
  assert.match(e.message, '--omit=optional')
  assert.match(e.message, 'npm install')

  const cmd = spawnSync(join(bare, 'node_modules/.bin/shutterproof'), ['hash', 'x'], {
    cwd: bare,
    encoding: 'utf8',
  })
  assert.is(cmd.status, 1)
  assert.match(
    cmd.stderr,
    /^shutterproof: shutterproof could not load its native addon for .+ \[E_NATIVE_LOAD\]\n$/,
  )
})

test('an unsupported platform: E_UNSUPPORTED_PLATFORM names it, lists the supported ones and says how to build from source', () => {
  assert.ok(app, 'the install test ran')
  // The preload makes Node report another OS and CPU before anything loads.
  writeFileSync(
    join(app, 'freebsd.cjs'),
    "Object.defineProperty(process, 'platform', { value: 'freebsd' })\nObject.defineProperty(process, 'arch', { value: 'riscv64' })\n",
  )
  const r = spawnSync(
    process.execPath,
    [
      '-r',
      './freebsd.cjs',
      '-e',
      "try { require('shutterproof') } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message, platform: e.platform, supported: e.supported })) }",
    ],
    { cwd: app, encoding: 'utf8' },
  )
  const e = JSON.parse(r.stdout)
  assert.is(e.code, 'E_UNSUPPORTED_PLATFORM')
  assert.is(e.platform, 'freebsd-riscv64')
  const supported = targets().map((t) => parseTriple(t).platformArchABI)
  assert.equal(e.supported, supported)
  for (const p of supported) assert.ok(e.message.includes(p), `message lists ${p}`)
  assert.match(e.message, 'freebsd-riscv64')
  assert.match(e.message, 'npm run build:native:release')
  assert.match(e.message, 'NAPI_RS_NATIVE_LIBRARY_PATH')
  assert.match(e.message, 'shutterproof.freebsd-riscv64.node')

  const cmd = spawnSync(
    process.execPath,
    ['-r', './freebsd.cjs', join(app, 'node_modules/shutterproof/dist/cli/bin.js'), 'hash', 'abc.txt'],
    { cwd: app, encoding: 'utf8' },
  )
  assert.is(cmd.status, 1)
  assert.match(
    cmd.stderr,
    /^shutterproof: shutterproof has no prebuilt native addon for freebsd-riscv64 .+ \[E_UNSUPPORTED_PLATFORM\]\n$/,
  )
})

test('the platform names used at run time agree with napi-rs for every target', () => {
  // lib/platform.ts reads napi.targets without @napi-rs/cli (a dev dependency): same names.
  const { supportedPlatforms } = require('../lib/platform') as typeof import('../lib/platform')
  assert.equal(
    supportedPlatforms(),
    targets().map((t) => parseTriple(t).platformArchABI),
  )
})

test.run()
