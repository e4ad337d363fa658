/** Case C: the cost of one synchronous update() call at several buffer sizes. */
import { createHash, randomFillSync } from 'node:crypto'

import { createBLAKE3 } from 'hash-wasm'

import { createHasher } from '../../lib/index'
import native from '../../lib/native'
import type { BenchContext } from '../lib/context'
import { napiBlakeHash } from '../lib/peers'
import { formatSize } from '../lib/files'
import { inProcess, interleave } from '../lib/measure'
import { atMost, find, type CaseResult, type Row, type Table } from '../lib/report'

export async function perCallCase(ctx: BenchContext): Promise<CaseResult> {
  const tables: Table[] = []
  const wasm = await createBLAKE3()
  for (const size of [64, 16 * 1024, 64 * 1024, 1024 * 1024]) {
    const buf = randomFillSync(Buffer.alloc(size))
    const budget = ctx.quick ? 16 * 1024 ** 2 : 256 * 1024 ** 2
    // The same bytes per run at every size (at least 1000 calls): 20 000 calls of 1 MiB kept
    // node sha256 and hash-wasm busy for minutes without making the medians any steadier.
    const calls = Math.max(1_000, Math.floor(budget / size))
    const loop = (update: (b: Buffer) => unknown) => () => {
      for (let i = 0; i < calls; i++) update(buf)
    }
    const ours = createHasher(['blake3'])
    const raw = new native.NativeHasher(['blake3'])
    const sha = createHash('sha256')
    const napiBlake = new (napiBlakeHash().Blake3Hasher)()
    const timings = await interleave(
      [
        inProcess(
          'ours createHasher().update (blake3)',
          loop((b) => ours.update(b)),
        ),
        inProcess(
          'ours NativeHasher.update (the bare napi call, no staging)',
          loop((b) => raw.update(b)),
        ),
        inProcess(
          'node:crypto sha256 update',
          loop((b) => sha.update(b)),
        ),
        inProcess(
          '@napi-rs/blake-hash update',
          loop((b) => napiBlake.update(b)),
        ),
        inProcess(
          'hash-wasm blake3 update',
          loop((b) => wasm.update(b)),
        ),
      ],
      ctx.reps,
    )
    const rows: Row[] = timings.map((t) => ({
      name: t.name,
      median: (t.median / calls) * 1e9,
      min: (t.min / calls) * 1e9,
      unit: 'ns/call',
      bytes: size,
    }))
    tables.push({
      title: `${formatSize(size)} per call (${calls} calls per run)`,
      rows,
      ratios:
        size === 64
          ? [
              atMost(
                'ours ns per call at 64 B (bounds the fixed cost)',
                find(rows, 'ours createHasher().update (blake3)').median,
                200,
              ),
            ]
          : [],
    })
  }
  return {
    id: 'C',
    title: 'Per-call cost of update()',
    tables,
    notes: [
      'At 64 B the time of one call is almost all fixed cost (argument checks, the napi crossing); it bounds that cost from above.',
      'createHasher().update copies inputs of up to 2 KiB into a 16 KiB staging buffer and crosses into native code once per 16 KiB (or at digest()); larger inputs cross alone. The bare napi call is shown for what that staging saves.',
    ],
  }
}
