/**
 * Rate and time-left of a long transfer, for progress lines: bytes per second over the
 * last ten seconds (so a pause, or a run of unchanged files skipped at once, fades out),
 * and the bytes left at that rate.
 * @module
 */

/** `1.5 GiB`, `20.0 MB`-style sizes (binary units, one decimal). */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024
    i++
  }
  return `${i === 0 ? n.toFixed(0) : n.toFixed(1)} ${units[i]}`
}

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

  /** `files 3/40  1.2 GiB of 2.0 GiB  19.8 MiB/s  ETA 0:42` */
  line(p: { files: number; filesTotal: number; bytes: number; bytesTotal: number }): string {
    const rate = this.update(p.bytes)
    const left = p.bytesTotal - p.bytes
    const eta = rate > 0 ? `ETA ${formatDuration(left / rate)}` : 'ETA …'
    return `files ${p.files}/${p.filesTotal}  ${formatBytes(p.bytes)} of ${formatBytes(p.bytesTotal)}  ${formatBytes(rate)}/s  ${eta}`
  }
}
