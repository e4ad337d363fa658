/**
 * Case B: hash a file through a Node stream (fs.createReadStream) with 64 KiB and 1 MiB
 * chunks: ours against node:crypto sha256, @napi-rs/blake-hash and hash-wasm.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

import { createBLAKE3, createXXHash128 } from 'hash-wasm'

import { createHasher, HashStream } from '../../lib/index'
import type { BenchContext } from '../lib/context'
import { napiBlakeHash } from '../lib/peers'
import { formatSize, randomFile, warm } from '../lib/files'
import { inProcess, interleave } from '../lib/measure'
import { atLeast, find, reference, rowsFrom, type CaseResult, type Table } from '../lib/report'

async function each(file: string, chunk: number, update: (b: Buffer) => void): Promise<void> {
  for await (const b of createReadStream(file, { highWaterMark: chunk })) update(b as Buffer)
}

export async function streamHashCase(ctx: BenchContext): Promise<CaseResult> {
  const size = ctx.quick ? 16 * 1024 ** 2 : Math.min(ctx.size, 1024 ** 3) / 2
  const file = randomFile(`stream-${size}.bin`, size)
  warm(file)
  const tables: Table[] = []
  for (const chunk of [64 * 1024, 1024 * 1024]) {
    const rows = rowsFrom(
      await interleave(
        [
          inProcess('read only (no hash)', () => each(file, chunk, () => {})),
          inProcess('ours blake3 (createHasher)', async () => {
            const h = createHasher(['blake3'])
            await each(file, chunk, (b) => h.update(b))
            return h.digest()
          }),
          inProcess('ours blake3 (HashStream in pipeline)', () =>
            pipeline(
              createReadStream(file, { highWaterMark: chunk }),
              new HashStream(),
              new Writable({ write: (_c, _e, cb) => cb() }),
            ),
          ),
          inProcess('ours xxh128', async () => {
            const h = createHasher(['xxh128'])
            await each(file, chunk, (b) => h.update(b))
            return h.digest()
          }),
          inProcess('node:crypto sha256', async () => {
            const h = createHash('sha256')
            await each(file, chunk, (b) => h.update(b))
            return h.digest('hex')
          }),
          inProcess('@napi-rs/blake-hash blake3', async () => {
            const h = new (napiBlakeHash().Blake3Hasher)()
            await each(file, chunk, (b) => h.update(b))
            return h.digest('hex')
          }),
          inProcess('hash-wasm blake3', async () => {
            const h = await createBLAKE3()
            await each(file, chunk, (b) => h.update(b))
            return h.digest()
          }),
          inProcess('hash-wasm xxh128', async () => {
            const h = await createXXHash128()
            await each(file, chunk, (b) => h.update(b))
            return h.digest()
          }),
        ],
        ctx.reps,
      ),
      size,
    )
    const ours = find(rows, 'ours blake3 (createHasher)').median
    const sha256 = find(rows, 'node:crypto sha256').median
    const k = chunk === 65536 ? '64 KiB' : '1 MiB'
    tables.push({
      title: `${formatSize(size)} file, ${k} chunks (in page cache)`,
      rows,
      ratios: [
        atLeast('speed: ours blake3 / node sha256', sha256 / ours, chunk === 65536 ? 2 : 3),
        reference(
          'ceiling: read only / node sha256',
          sha256 / find(rows, 'read only (no hash)').median,
          'the most any hasher can reach against sha256 through this stream',
        ),
        atLeast(
          'speed: ours blake3 / @napi-rs/blake-hash',
          find(rows, '@napi-rs/blake-hash blake3').median / ours,
          1,
        ),
        atLeast(
          'speed: ours xxh128 / hash-wasm xxh128',
          find(rows, 'hash-wasm xxh128').median / find(rows, 'ours xxh128').median,
          1,
        ),
      ],
    })
  }
  return {
    id: 'B',
    title: 'Hash through a Node stream',
    tables,
    notes: [
      'Every contender consumes the same fs.createReadStream loop; "read only" is the floor the stream itself sets, and the "ceiling" ratio is the best speed-up over sha256 that any hasher could show here: a target above it cannot be met by hashing faster.',
    ],
  }
}
