import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { cli, tempDir } from './support/fixtures'

const dir = tempDir()
writeFileSync(join(dir, 'abc.txt'), 'abc')

test('hash: exit 0 and b3sum-style line', () => {
  const r = cli(['hash', 'abc.txt'], { cwd: dir })
  assert.is(r.status, 0)
  assert.is(r.stdout, '6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85  abc.txt\n')
})

test('hash --json: documented shape, errors per file, exit 3 when some failed', () => {
  const r = cli(['hash', '--json', '--algo', 'blake3', '--algo', 'md5', 'abc.txt', 'missing.txt'], {
    cwd: dir,
  })
  assert.is(r.status, 3)
  const doc = JSON.parse(r.stdout)
  assert.equal(doc, {
    files: [
      {
        path: 'abc.txt',
        size: 3,
        blake3: '6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85',
        md5: '900150983cd24fb0d6963f7d28e17f72',
      },
      {
        path: 'missing.txt',
        error: { code: 'ENOENT', message: 'missing.txt: no such file; check the path' },
      },
    ],
  })
})

test('usage errors exit 2: unknown algorithm, no files, unknown command', () => {
  assert.is(cli(['hash', '--algo', 'crc32', 'abc.txt'], { cwd: dir }).status, 2)
  assert.is(cli(['hash'], { cwd: dir }).status, 2)
  assert.is(cli(['frobnicate'], { cwd: dir }).status, 2)
})

test('--help lists examples and exits 0', () => {
  const r = cli(['hash', '--help'])
  assert.is(r.status, 0)
  assert.match(r.stdout, 'Examples:')
})

test.run()
