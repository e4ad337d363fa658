/**
 * Case F: peak anonymous RSS (not mmap'd file pages, not the page cache) of CLI runs over
 * small and large inputs: hashing (A), sealing (D) and verified copy (E).
 */
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'

import type { BenchContext } from '../lib/context'
import { formatSize, randomFile, warm, WORK } from '../lib/files'
import { median } from '../lib/measure'
import { peakAnonRss } from '../lib/rss'
import { atMost, type CaseResult, type Row, type Table } from '../lib/report'
import { sampleCard, singleFileCard } from './copy'
import { benchVault } from './seal'

const MiB = 1024 ** 2
const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`

export async function memoryCase(ctx: BenchContext): Promise<CaseResult> {
  const small = ctx.quick ? 8 * MiB : ctx.size
  const large = ctx.quick ? 64 * MiB : 8 * ctx.size
  const node = process.execPath
  // Peaks are taken from a few runs each (the median counts): one 5 ms sample can miss or catch a short spike.
  const runs = Math.min(ctx.reps, 3)
  /** Peak RssAnon of `runs` runs of `fn`: median and minimum. */
  const peaksOf = async (fn: () => Promise<number>) => {
    const xs: number[] = []
    for (let r = 0; r < runs; r++) xs.push(await fn())
    return { median: median(xs), min: Math.min(...xs) }
  }
  const idle = (await peaksOf(() => peakAnonRss(node, [ctx.cli, '--version']))).median
  const inputs = [small, large].map((size) => randomFile(`hash-${size}.bin`, size))
  const tables: Table[] = []

  /** One table: `run` per input size (1×, 8×) plus optional extra rows counted in the "extra MiB" bound. */
  const measure = async (
    id: string,
    title: string,
    label: string,
    run: (file: string, size: number) => Promise<number>,
    extra: Array<[string, () => Promise<number>]> = [],
  ) => {
    const rows: Row[] = []
    const peaks: number[] = []
    for (const [i, size] of [small, large].entries()) {
      const p = await peaksOf(() => run(inputs[i]!, size))
      peaks.push(p.median)
      rows.push({ name: `${id}: ${label} ${formatSize(size)} (peak RssAnon)`, ...p, unit: 'bytes' })
    }
    const all = [...peaks]
    for (const [name, fn] of extra) {
      const p = await peaksOf(fn)
      all.push(p.median)
      rows.push({ name: `${id}: ${name} (peak RssAnon)`, ...p, unit: 'bytes' })
    }
    tables.push({
      title,
      rows,
      ratios: [
        atMost(`${id}: extra MiB over start-up`, (Math.max(...all) - idle) / MiB, 64),
        atMost(`${id}: growth ${formatSize(small)} → ${formatSize(large)}`, peaks[1]! / peaks[0]!, 1.05),
      ],
    })
  }

  await measure('A', `hashing (CLI start-up alone: ${mib(idle)})`, 'ours CLI hash', (file) => {
    warm(file)
    return peakAnonRss(node, [ctx.cli, 'hash', '--algo', 'blake3', '--algo', 'xxh128', file])
  })

  const { vault, path: vaultPath, passphrase } = await benchVault()
  vault.close()
  const sealed = join(WORK, 'mem-sealed.bin')
  await measure(
    'D',
    'sealing (CLI seal, vault with a cheap Argon2; output fsynced)',
    'ours CLI seal',
    (file) => {
      rmSync(sealed, { force: true })
      return peakAnonRss(node, [ctx.cli, 'seal', file, '--vault', vaultPath, '-o', sealed], {
        SHUTTERPROOF_PASSPHRASE: passphrase,
      }).finally(() => rmSync(sealed, { force: true }))
    },
  )

  const dst = join(WORK, 'mem-dst')
  const ingestPeak = (card: string) => {
    rmSync(dst, { recursive: true, force: true })
    mkdirSync(dst, { recursive: true })
    return peakAnonRss(node, [
      ctx.cli,
      'ingest',
      card,
      dst,
      '--client',
      'bench',
      '--shoot',
      'f',
      '--date',
      '2026-01-01',
      '--quiet',
    ]).finally(() => rmSync(dst, { recursive: true, force: true }))
  }
  const card = sampleCard(ctx)
  await measure(
    'E',
    'verified copy (CLI ingest to 1 destination, every copy read back from disk)',
    'ours CLI ingest of a card holding one file of',
    (file, size) => ingestPeak(singleFileCard(file, size)),
    [[`ours CLI ingest of the sample card of case E (${card.description})`, () => ingestPeak(card.root)]],
  )

  return {
    id: 'F',
    title: 'Memory: peak anonymous RSS',
    tables,
    notes: [
      'Sampled every 5 ms from /proc/<pid>/status (RssAnon): memory maps of inputs and the page cache are file-backed and not counted.',
      `Each run is a child process (our CLI), run ${runs} times; the table shows the median and minimum of the peaks; "extra MiB" is the largest median peak of the table minus the CLI start-up alone (--version).`,
      'E uses cards holding one large file (a hard link to the hashing input) at 1× and 8× BENCH_SIZE rather than 8 sample cards: the copy engine\u2019s buffers do not depend on file count; the sample card row checks the many-files path.',
      ...(ctx.quick
        ? [
            '--quick: the 8 MiB input is smaller than the copy engine\u2019s buffer pool (6 × 4 MiB, allocated lazily), so E\u2019s growth ratio is not meaningful here.',
          ]
        : []),
    ],
  }
}
