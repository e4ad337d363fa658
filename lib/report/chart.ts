/**
 * A small inline SVG chart of throughput over time, from the samples an ingest keeps in
 * its JSON report (`throughput: [{ t, bytes }]`). Presentation attributes only (no
 * `style` attributes, no scripts), so it renders under the report's strict CSP.
 * @module
 */
import type { ThroughputSample } from '../ingest/records'
import { formatRate } from '../text/units'

/** One point of the chart: the rate between two consecutive samples, placed at the later one. */
export interface RatePoint {
  /** Seconds since the first sample. */
  t: number
  /** Bytes per second over the interval ending at `t`. */
  rate: number
}

/** What {@link throughputChart} computed, besides the SVG. */
export interface ChartSummary {
  /** Rates between consecutive samples (empty with fewer than two usable samples). */
  points: RatePoint[]
  /** Bytes read between the first and the last sample. */
  bytes: number
  /** Seconds between the first and the last sample. */
  seconds: number
  /** `bytes / seconds`, or 0. */
  average: number
  /** Highest rate of any interval, or 0. */
  peak: number
}

/** Drops unusable samples: non-finite values, time going back, bytes going back. */
function usable(samples: readonly ThroughputSample[] | undefined): ThroughputSample[] {
  const out: ThroughputSample[] = []
  for (const s of samples ?? []) {
    if (!s || !Number.isFinite(s.t) || !Number.isFinite(s.bytes) || s.bytes < 0) continue
    const prev = out.at(-1)
    if (prev && (s.t <= prev.t || s.bytes < prev.bytes)) continue
    out.push({ t: s.t, bytes: s.bytes })
  }
  return out
}

/** Rates and totals of a sample list. */
export function summarizeThroughput(samples: readonly ThroughputSample[] | undefined): ChartSummary {
  const s = usable(samples)
  if (s.length < 2) return { points: [], bytes: 0, seconds: 0, average: 0, peak: 0 }
  const t0 = s[0]!.t
  const points: RatePoint[] = []
  for (let i = 1; i < s.length; i++) {
    const dt = s[i]!.t - s[i - 1]!.t
    points.push({ t: s[i]!.t - t0, rate: (s[i]!.bytes - s[i - 1]!.bytes) / dt })
  }
  const bytes = s.at(-1)!.bytes - s[0]!.bytes
  const seconds = s.at(-1)!.t - t0
  return {
    points,
    bytes,
    seconds,
    average: seconds > 0 ? bytes / seconds : 0,
    peak: Math.max(0, ...points.map((p) => p.rate)),
  }
}

/** A "nice" axis maximum ≥ `v` (1, 2, 2.5, 5 × 10^n). */
function niceCeil(v: number): number {
  if (!(v > 0)) return 1
  const p = 10 ** Math.floor(Math.log10(v))
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p
  return 10 * p
}

/**
 * At most `max` intervals for drawing: runs of consecutive intervals merged, each drawn
 * at its average rate (bytes over time), so a long ingest stays a small SVG.
 */
function downsample(points: readonly RatePoint[], max: number): RatePoint[] {
  if (points.length <= max) return [...points]
  const k = Math.ceil(points.length / max)
  const out: RatePoint[] = []
  let prevT = 0
  for (let i = 0; i < points.length; i += k) {
    const group = points.slice(i, i + k)
    let bytes = 0
    let t = prevT
    for (const p of group) {
      bytes += p.rate * (p.t - t)
      t = p.t
    }
    out.push({ t, rate: t > prevT ? bytes / (t - prevT) : 0 })
    prevT = t
  }
  return out
}

function n(x: number): string {
  return (Math.round(x * 10) / 10).toString()
}

/**
 * The throughput chart as an SVG element (a string), with a `<polyline>` through the
 * rates between consecutive samples (merged down to `maxPoints` intervals, default 600)
 * and an area under it. With fewer than two usable
 * samples it says so instead of drawing a line.
 */
export function throughputChart(
  samples: readonly ThroughputSample[] | undefined,
  options: { width?: number; height?: number; maxPoints?: number } = {},
): { svg: string; summary: ChartSummary } {
  const width = options.width ?? 720
  const height = options.height ?? 200
  const summary = summarizeThroughput(samples)
  const left = 64
  const right = 12
  const top = 12
  const bottom = 32
  const pw = width - left - right
  const ph = height - top - bottom
  const open = `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="system-ui, sans-serif" font-size="11">`
  if (summary.points.length === 0) {
    return {
      summary,
      svg: `${open}<title>No throughput samples</title><rect x="0.5" y="0.5" width="${width - 1}" height="${height - 1}" fill="none" stroke="#ccc"/><text x="${width / 2}" y="${height / 2}" text-anchor="middle" fill="#666">No throughput samples in this report (too short a run, or written by an older version)</text></svg>`,
    }
  }
  const tMax = Math.max(summary.seconds, 1e-3)
  const drawn = downsample(summary.points, options.maxPoints ?? 600)
  const yMax = niceCeil(Math.max(...drawn.map((p) => p.rate)))
  const x = (t: number) => left + (t / tMax) * pw
  const y = (r: number) => top + ph - (r / yMax) * ph
  // Each interval's rate is drawn flat over that interval (a step line): honest for averages.
  const pts: string[] = [`${n(x(0))},${n(y(drawn[0]!.rate))}`]
  let prevT = 0
  for (const p of drawn) {
    pts.push(`${n(x(prevT))},${n(y(p.rate))}`, `${n(x(p.t))},${n(y(p.rate))}`)
    prevT = p.t
  }
  const line = pts.slice(1).join(' ')
  const area = `M${n(x(0))},${n(y(0))} L${pts.slice(1).join(' L')} L${n(x(tMax))},${n(y(0))} Z`
  const grid: string[] = []
  for (let i = 0; i <= 4; i++) {
    const r = (yMax * i) / 4
    grid.push(`<line x1="${left}" x2="${left + pw}" y1="${n(y(r))}" y2="${n(y(r))}" stroke="#e3e3e3"/>`)
    grid.push(
      `<text x="${left - 6}" y="${n(y(r) + 4)}" text-anchor="end" fill="#555">${formatRate(r)}</text>`,
    )
  }
  const ticks = 5
  for (let i = 0; i <= ticks; i++) {
    const t = (tMax * i) / ticks
    grid.push(
      `<text x="${n(x(t))}" y="${height - bottom + 16}" text-anchor="middle" fill="#555">${t < 10 ? t.toFixed(1) : t.toFixed(0)} s</text>`,
    )
  }
  const avgY = n(y(summary.average))
  const svg =
    `${open}<title>Throughput over time: average ${formatRate(summary.average)}, peak ${formatRate(summary.peak)}</title>` +
    grid.join('') +
    `<path class="area" d="${area}" fill="#cfe0fb" stroke="none"/>` +
    `<polyline class="rate" points="${line}" fill="none" stroke="#0b57d0" stroke-width="1.5"/>` +
    `<line x1="${left}" x2="${left + pw}" y1="${avgY}" y2="${avgY}" stroke="#b06000" stroke-dasharray="4 3"/>` +
    `<text x="${left + pw}" y="${Number(avgY) - 4}" text-anchor="end" fill="#b06000">average ${formatRate(summary.average)}</text>` +
    `<line x1="${left}" x2="${left}" y1="${top}" y2="${top + ph}" stroke="#888"/><line x1="${left}" x2="${left + pw}" y1="${top + ph}" y2="${top + ph}" stroke="#888"/>` +
    `<text x="${left + pw / 2}" y="${height - 4}" text-anchor="middle" fill="#555">time since the copy started</text>` +
    `</svg>`
  return { svg, summary }
}
