/** Case F: peak anonymous RSS (not mmap'd file pages) while hashing small and large inputs. */
import type { BenchContext } from '../lib/context'
import { formatSize, randomFile, warm } from '../lib/files'
import { peakAnonRss } from '../lib/rss'
import { atMost, type CaseResult, type Row } from '../lib/report'

export async function memoryCase(ctx: BenchContext): Promise<CaseResult> {
  const small = ctx.quick ? 8 * 1024 ** 2 : ctx.size
  const large = ctx.quick ? 64 * 1024 ** 2 : 8 * ctx.size
  const idle = await peakAnonRss(process.execPath, [ctx.cli, '--version'])
  const rows: Row[] = []
  const peaks: number[] = []
  for (const size of [small, large]) {
    const file = randomFile(`hash-${size}.bin`, size)
    warm(file)
    const peak = await peakAnonRss(process.execPath, [ctx.cli, 'hash', '--algo', 'blake3', '--algo', 'xxh128', file])
    peaks.push(peak)
    rows.push({ name: `A: ours CLI hash ${formatSize(size)} — peak RssAnon ${(peak / 1024 ** 2).toFixed(1)} MiB`, median: 0, min: 0, unit: 's' })
  }
  const extraMiB = (Math.max(...peaks) - idle) / 1024 ** 2
  return {
    id: 'F',
    title: 'Memory: peak anonymous RSS',
    tables: [
      {
        title: `hashing (CLI start-up alone: ${(idle / 1024 ** 2).toFixed(1)} MiB)`,
        rows,
        ratios: [
          atMost('A: extra MiB over start-up', extraMiB, 64),
          atMost(`A: growth ${formatSize(small)} → ${formatSize(large)}`, peaks[1]! / peaks[0]!, 1.05),
        ],
      },
    ],
    notes: [
      'Sampled every 5 ms from /proc/<pid>/status (RssAnon): the memory map of the input is file-backed and not counted.',
      'D (sealing) and E (verified copy) memory join when those cases are measured.',
    ],
  }
}
