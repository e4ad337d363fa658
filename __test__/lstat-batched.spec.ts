/**
 * `lstatBatched` (lib/fs/lstat-batched.ts): what the card walk and the checks after an
 * ingest read of each entry, from the addon a batch at a time, must be what
 * `fs.promises.lstat` says — the same kinds, sizes and modification times to the bit, and
 * the same errors (code, errno, syscall, path, message) — whatever the batch holds.
 */
import { lstat, mkdir, symlink, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { pathsUnder } from '../lib/fs/at-once'
import { lstatBatched } from '../lib/fs/lstat-batched'
import { tempDir } from './support/fixtures'

async function fixture(): Promise<string[]> {
  const dir = tempDir('sp-lstat-')
  const file = join(dir, 'IMG_0001.CR3')
  await writeFile(file, 'raw bytes')
  // A time with nanoseconds that a double in ms does not hold exactly.
  await utimes(file, 1_700_000_000.123456, 1_700_000_000.987654)
  await mkdir(join(dir, 'DCIM'))
  await symlink(file, join(dir, 'link'))
  await writeFile(join(dir, 'ünïcødé 名前.JPG'), '')
  return [
    file,
    join(dir, 'DCIM'),
    join(dir, 'link'),
    join(dir, 'ünïcødé 名前.JPG'),
    '/dev/null',
    join(dir, 'gone'),
    join(file, 'under-a-file'),
  ]
}

const shape = (s: {
  size: number
  mtimeMs: number
  isFile(): boolean
  isDirectory(): boolean
  isSymbolicLink(): boolean
}) => ({
  size: s.size,
  mtimeMs: s.mtimeMs,
  file: s.isFile(),
  directory: s.isDirectory(),
  symlink: s.isSymbolicLink(),
})

const settled = <T>(p: Promise<T>) =>
  p.then(
    (value) => ({ value }),
    (err: NodeJS.ErrnoException) => ({
      error: { code: err.code, errno: err.errno, syscall: err.syscall, path: err.path, message: err.message },
    }),
  )

test('kinds, sizes, times and errors as fs.promises.lstat gives them, started together or alone', async () => {
  const paths = await fixture()
  const expected = await Promise.all(paths.map((p) => settled(lstat(p).then(shape))))
  // Together: one batch (several native tasks); then one at a time.
  const together = await Promise.all(paths.map((p) => settled(lstatBatched(p).then(shape))))
  assert.equal(together, expected)
  for (const [i, p] of paths.entries())
    assert.equal(await settled(lstatBatched(p).then(shape)), expected[i], p)
  assert.is((expected[5] as { error: { code: string } }).error.code, 'ENOENT')
  assert.is((expected[6] as { error: { code: string } }).error.code, 'ENOTDIR')
})

test('a batch larger than a native task, with failures among the files, answers each its own', async () => {
  const dir = tempDir('sp-lstat-many-')
  const names = Array.from({ length: 150 }, (_, i) => `IMG_${i}.JPG`)
  await Promise.all(names.map((n, i) => (i % 7 === 3 ? undefined : writeFile(join(dir, n), 'x'.repeat(i)))))
  const got = await Promise.all(names.map((n) => settled(lstatBatched(join(dir, n)).then((s) => s.size))))
  got.forEach((r, i) => {
    if (i % 7 === 3) assert.is((r as { error?: { code?: string } }).error?.code, 'ENOENT', names[i])
    else assert.equal(r, { value: i }, names[i])
  })
})

test('pathsUnder(dir)(rel) is join(dir, rel) for names and card-relative paths, the folder normalized once', () => {
  const dirs = ['/', '/a', '/a/b/', '/a//b', '/a/./b/..', 'rel/x', 'rel/', '.', '', '..', '../up', '/é/ü']
  const rels = ['x', 'a/b', 'é', '.hidden', 'x..y', '...', 'IMG 0001.CR3', 'a/b/c.d']
  for (const dir of dirs) {
    const under = pathsUnder(dir)
    for (const rel of rels) assert.is(under(rel), join(dir, rel), `${dir} + ${rel}`)
  }
})

test.run()
