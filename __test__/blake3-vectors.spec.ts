import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { createHasher, deriveKey, hashFile, HashStream, keyedHash } from '../lib/index'
import { tempDir, vectorsDir } from './support/fixtures'

const dir = vectorsDir()
const NAME =
  'official BLAKE3 vectors: hash, keyed_hash, derive_key through buffer, incremental, stream and file paths'

if (!dir) {
  console.warn(`\n  !!! SKIPPED: ${NAME} — ../shared/vectors is absent\n`)
  test.skip(NAME, () => {})
} else {
  test(NAME, async () => {
    const json = JSON.parse(readFileSync(join(dir, 'blake3_test_vectors.json'), 'utf8'))
    const key = Buffer.from(json.key as string, 'ascii')
    const context: string = json.context_string
    const tmp = tempDir()
    assert.ok(json.cases.length > 30)
    for (const c of json.cases as Array<Record<string, string | number>>) {
      const len = c.input_len as number
      const input = Buffer.alloc(len)
      for (let i = 0; i < len; i++) input[i] = i % 251
      const want = (field: string) => (c[field] as string).slice(0, 64)

      assert.is(createHasher().update(input).digest().blake3, want('hash'), `buffer ${len}`)

      const inc = createHasher()
      for (let i = 0; i < len; i += 1000) inc.update(input.subarray(i, i + 1000))
      assert.is(inc.digest().blake3, want('hash'), `incremental ${len}`)

      const hs = new HashStream()
      const chunks = Array.from({ length: Math.ceil(len / 4096) }, (_, i) =>
        input.subarray(i * 4096, (i + 1) * 4096),
      )
      await pipeline(Readable.from(chunks), hs, new Writable({ write: (_c, _e, cb) => cb() }))
      assert.is(hs.digests?.blake3, want('hash'), `stream ${len}`)

      const file = join(tmp, `v${len}`)
      writeFileSync(file, input)
      assert.is((await hashFile(file)).blake3, want('hash'), `file ${len}`)

      assert.is(keyedHash(key, input).toString('hex'), want('keyed_hash'), `keyed ${len}`)
      assert.is(deriveKey(context, input).toString('hex'), want('derive_key'), `derive_key ${len}`)
    }
  })
}

test.run()
