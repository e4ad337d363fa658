/**
 * hashFile against the reference tools (`b3sum`, `xxhsum -H2`) on files made at test
 * time, the CLI's output byte for byte against b3sum's, and the four hashing paths
 * (file, buffer, incremental, stream) against each other.
 */
import { createReadStream, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { createHasher, hashFile, HashStream, type HashResult } from '../lib/index'
import { cli, gibFile, hasTool, run, tempDir, writeRandomFile } from './support/fixtures'

const MiB = 1024 * 1024
const SIZES = [0, 1, 1023, 1024, 16383, 16384, 16385, MiB + 7, 64 * MiB + 3]
const tools = hasTool('b3sum') && hasTool('xxhsum')
const dir = tempDir()
const files = SIZES.map((size) => writeRandomFile(join(dir, `f${size}.bin`), size))

function refHash(tool: 'b3sum' | 'xxhsum', path: string): string {
  const args = tool === 'xxhsum' ? ['-H2', path] : [path]
  return run(tool, args).split('  ')[0]!
}

async function streamDigest(path: string, highWaterMark: number): Promise<HashResult> {
  const hs = new HashStream({ algorithms: ['blake3', 'xxh128'] })
  await pipeline(createReadStream(path, { highWaterMark }), hs, new Writable({ write: (_c, _e, cb) => cb() }))
  return hs.digests!
}

if (!tools) {
  console.warn(
    '\n  !!! SKIPPED: reference-tool cross-checks — install b3sum and xxhash (npm test does as root)\n',
  )
  test.skip('hashFile equals b3sum and xxhsum -H2', () => {})
} else {
  for (const path of [...files, 'BIG']) {
    test(`hashFile equals b3sum and xxhsum -H2; all paths agree (${path === 'BIG' ? '1 GiB + 5' : path.split('/').pop()})`, async () => {
      const file = path === 'BIG' ? gibFile() : path
      const r = await hashFile(file, { algorithms: ['blake3', 'xxh128'] })
      assert.is(r.blake3, refHash('b3sum', file), 'blake3 vs b3sum')
      assert.is(r.xxh128, refHash('xxhsum', file), 'xxh128 vs xxhsum -H2')
      assert.equal(await streamDigest(file, 64 * 1024), r, 'stream, 64 KiB chunks')
      if (path !== 'BIG') {
        const bytes = readFileSync(file)
        assert.equal(createHasher(['blake3', 'xxh128']).update(bytes).digest(), r, 'buffer')
        const inc = createHasher(['blake3', 'xxh128'])
        for (let i = 0; i < bytes.length; i += 7777) inc.update(bytes.subarray(i, i + 7777))
        assert.equal(inc.digest(), r, 'incremental')
      }
    })
  }

  test('CLI output is byte-identical to b3sum and xxhsum -H2 for the same files', () => {
    const names = files.map((f) => f.split('/').pop()!)
    const ours = cli(['hash', ...names], { cwd: dir })
    assert.is(ours.status, 0, ours.stderr)
    assert.is(ours.stdout, run('b3sum', names, { cwd: dir }))
    const ours128 = cli(['hash', '--algo', 'xxh128', ...names], { cwd: dir })
    assert.is(ours128.stdout, run('xxhsum', ['-H2', ...names], { cwd: dir }))
  })

  test('CLI escapes odd file names exactly as b3sum does', () => {
    const odd = ['back\\slash.jpg', 'new\nline.jpg']
    const d = tempDir()
    for (const n of odd) writeRandomFile(join(d, n), 10)
    assert.is(cli(['hash', ...odd], { cwd: d }).stdout, run('b3sum', odd, { cwd: d }))
  })
}

test.run()
