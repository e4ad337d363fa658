/**
 * Durable writes from pieces (lib/fs/durable.ts): whatever the pieces — many small ones,
 * text of 1 to 4 UTF-8 bytes per character, lone surrogates, byte arrays, pieces larger
 * than a batch — the file holds exactly their UTF-8 in order, `onBytes` sees every byte
 * once and in order, and a failing source leaves no file.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { writeChunksDurably } from '../lib/fs/durable'
import { readPieces } from '../lib/fs/read-pieces'
import { tempDir } from './support/fixtures'

/** Pieces of every kind, about `total` UTF-16 units in all, from a fixed seed. */
function pieces(total: number): Array<string | Uint8Array> {
  const alphabet = ['a', 'é', '€', '😀', '\u2028', '\uD800', '\n', '"']
  const out: Array<string | Uint8Array> = []
  let seed = 7
  const next = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n)
  for (let size = 0; size < total;) {
    const kind = next(10)
    if (kind === 0) {
      const bytes = new Uint8Array(next(5000))
      for (let i = 0; i < bytes.length; i++) bytes[i] = next(256)
      out.push(bytes)
      size += bytes.length
    } else {
      const length = kind === 1 ? 100_000 + next(300_000) : next(200)
      let s = ''
      for (let i = 0; i < length; i++) s += alphabet[next(alphabet.length)]
      out.push(s)
      size += s.length
    }
  }
  return out
}

const bytesOf = (chunks: Array<string | Uint8Array>) =>
  Buffer.concat(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c, 'utf8') : c)))

test('the file is the pieces’ bytes in order, and onBytes saw each byte once', async () => {
  const dir = tempDir('sp-durable-')
  for (const total of [0, 10, 70_000, 3_000_000]) {
    const chunks = pieces(total)
    const path = join(dir, `f-${total}`)
    const seen: Buffer[] = []
    await writeChunksDurably(path, chunks, (b) => seen.push(Buffer.from(b)))
    const want = bytesOf(chunks)
    assert.ok(readFileSync(path).equals(want), `${total}`)
    assert.ok(Buffer.concat(seen).equals(want), `${total}: onBytes`)
  }
  assert.equal(
    readdirSync(dir).filter((n) => n.startsWith('.')),
    [],
  )
})

test('a source that fails midway leaves neither the file nor its temporary', async () => {
  const dir = tempDir('sp-durable-')
  const path = join(dir, 'report.json')
  async function* failing() {
    yield 'x'.repeat(400_000)
    yield 'y'
    throw new Error('render failed')
  }
  await writeChunksDurably(path, failing()).then(
    () => assert.unreachable(),
    (err: Error) => assert.is(err.message, 'render failed'),
  )
  assert.not.ok(existsSync(path))
  assert.equal(readdirSync(dir), [])
})

test('a range of a file read in pieces that reuse one buffer copies exactly that range', async () => {
  const dir = tempDir('sp-durable-')
  const src = join(dir, 'src')
  const bytes = bytesOf(pieces(700_000).filter((c) => typeof c !== 'string'))
  const data = Buffer.concat([bytes, Buffer.from('x'.repeat(600_000))])
  writeFileSync(src, data)
  for (const [start, end] of [
    [0, undefined],
    [1, 262_145],
    [262_144, 524_289],
    [100, 100],
    [data.length - 3, data.length + 1000],
  ] as Array<[number, number | undefined]>) {
    const out = join(dir, `copy-${start}-${end}`)
    await writeChunksDurably(out, readPieces(src, start, end))
    assert.ok(readFileSync(out).equals(data.subarray(start, end)), `${start}-${end}`)
  }
})

test.run()
