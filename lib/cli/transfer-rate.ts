/**
 * Rate and time-left of a long transfer, for progress lines: bytes per second over the
 * last ten seconds (so a pause, or a run of unchanged files skipped at once, fades out),
 * and the bytes left at that rate.
 * @module
 */
import { formatBytes, formatRate } from '../text/units'

/** `1:02:03` or `4:05`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = String(s % 60).padStart(2, '0')
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`
}

export class TransferRate {
  readonly #samples: Array<{ t: number; bytes: number }> = []

  constructor(
    readonly windowMs = 10_000,
    readonly now: () => number = () => Date.now(),
  ) {}

  /** Records the bytes done so far; returns bytes per second over the window (0 until known). */
  update(bytes: number): number {
    const t = this.now()
    this.#samples.push({ t, bytes })
    while (this.#samples.length > 2 && t - this.#samples[1]!.t >= this.windowMs) this.#samples.shift()
    const first = this.#samples[0]!
    const dt = (t - first.t) / 1000
    return dt >= 0.5 ? Math.max(0, (bytes - first.bytes) / dt) : 0
  }

  /** `files 3/40  1.2 GB of 2.0 GB  19.8 MB/s  ETA 0:42` (sizes as everywhere on the screen: lib/text/units) */
  line(p: { files: number; filesTotal: number; bytes: number; bytesTotal: number }): string {
    const rate = this.update(p.bytes)
    const left = p.bytesTotal - p.bytes
    const eta = rate > 0 ? `ETA ${formatDuration(left / rate)}` : 'ETA …'
    return `files ${p.files}/${p.filesTotal}  ${formatBytes(p.bytes)} of ${formatBytes(p.bytesTotal)}  ${formatRate(rate)}  ${eta}`
  }
}
