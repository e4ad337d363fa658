/**
 * Used as other apps use it: pack the library with the addon for this platform, install
 * the tarball into an empty folder, and hash a file through ESM import, CommonJS require,
 * and a type-checked TypeScript consumer.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { REPO, run, tempDir } from './support/fixtures'

const ABC = '6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85'

test('npm pack → install in an empty folder → import, require and TypeScript types work', () => {
  assert.ok(existsSync(join(REPO, 'dist/index.js')), 'dist/ is missing: run `npm run build` first (npm test does)')
  const work = tempDir('sp-pack-')
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], { cwd: REPO }))[0]
  const names: string[] = packed.files.map((f: { path: string }) => f.path)
  assert.ok(names.some((n) => n.endsWith('.node')), 'the addon is inside the tarball')
  assert.ok(names.includes('dist/index.d.ts'))

  const app = join(work, 'app')
  mkdirSync(app)
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }))
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(work, packed.filename)], { cwd: app })
  writeFileSync(join(app, 'abc.txt'), 'abc')

  writeFileSync(join(app, 'esm.mjs'), "import { hashFile } from 'shutterproof'\nconsole.log((await hashFile('abc.txt')).blake3)\n")
  assert.is(run(process.execPath, ['esm.mjs'], { cwd: app }).trim(), ABC)

  writeFileSync(join(app, 'cjs.cjs'), "require('shutterproof').hashFile('abc.txt').then((r) => console.log(r.blake3))\n")
  assert.is(run(process.execPath, ['cjs.cjs'], { cwd: app }).trim(), ABC)

  writeFileSync(
    join(app, 'consumer.ts'),
    "import { hashFile, type HashResult, type ShutterproofError } from 'shutterproof'\n" +
      "const r: Promise<HashResult> = hashFile('abc.txt', { algorithms: ['xxh128'] })\n" +
      "r.catch((e: ShutterproofError) => e.code satisfies string)\n" +
      '// @ts-expect-error: unknown algorithm names do not type-check\n' +
      "hashFile('abc.txt', { algorithms: ['crc32'] })\n",
  )
  const tsc = join(REPO, 'node_modules/typescript/bin/tsc')
  run(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext',
    '--types', 'node', '--typeRoots', join(REPO, 'node_modules/@types'), 'consumer.ts'], { cwd: app })

  const bin = run(join(app, 'node_modules/.bin/shutterproof'), ['hash', 'abc.txt'], { cwd: app })
  assert.is(bin, `${ABC}  abc.txt\n`)
})

test.run()
