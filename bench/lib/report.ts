/** Results of a benchmark case and how they are written to RESULTS.md and an SVG chart. */
import type { Machine } from './machine'
import type { Timing } from './measure'

export interface Row {
  name: string
  /**
   * Seconds (or nanoseconds per call when `unit` is 'ns/call', bytes when 'bytes',
   * requests per second when 'req/s' — then `min` is the worst run —, milliseconds when 'ms').
   */
  median: number
  min: number
  unit: 's' | 'ns/call' | 'bytes' | 'req/s' | 'ms'
  /** Bytes processed per run, to show throughput. */
  bytes?: number
}

export interface Ratio {
  label: string
  value: number
  /** Human-readable target, e.g. "≤ 1.05". */
  target: string
  met: boolean
  /** A reference value (e.g. a ceiling set by the setup), not a target: never "missed". */
  reference?: boolean
}

export interface Table {
  title: string
  rows: Row[]
  ratios: Ratio[]
}

export interface CaseResult {
  id: string
  title: string
  tables: Table[]
  notes: string[]
}

export function rowsFrom(timings: Timing[], bytes?: number): Row[] {
  return timings.map((t) => ({
    name: t.name,
    median: t.median,
    min: t.min,
    unit: 's',
    ...(bytes ? { bytes } : {}),
  }))
}

export function find(rows: Row[], name: string): Row {
  const r = rows.find((x) => x.name === name)
  if (!r) throw new Error(`no row ${name}`)
  return r
}

/** `≤ target` ratio of a to b (lower is better). */
export function atMost(label: string, value: number, target: number): Ratio {
  return { label, value, target: `≤ ${target}`, met: value <= target }
}

/** A ratio shown for reference, such as the most any contender could reach in the setup. */
export function reference(label: string, value: number, note: string): Ratio {
  return { label, value, target: note, met: true, reference: true }
}

/** `≥ target` ratio (higher is better). */
export function atLeast(label: string, value: number, target: number): Ratio {
  return { label, value, target: `≥ ${target}`, met: value >= target }
}

function fmtRow(r: Row): string {
  if (r.unit === 'bytes')
    return `| ${r.name} | ${(r.median / 1024 ** 2).toFixed(1)} MiB | ${(r.min / 1024 ** 2).toFixed(1)} MiB |  |`
  if (r.unit === 'req/s')
    return `| ${r.name} | ${r.median.toFixed(0)} req/s | ${r.min.toFixed(0)} req/s (worst run) | ${r.bytes ? `${((r.median * r.bytes) / 1e9).toFixed(2)} GB/s` : ''} |`
  if (r.unit === 'ms') return `| ${r.name} | ${r.median.toFixed(1)} ms | ${r.min.toFixed(1)} ms |  |`
  const time =
    r.unit === 's'
      ? `${(r.median * 1000).toFixed(1)} ms | ${(r.min * 1000).toFixed(1)} ms`
      : `${r.median.toFixed(0)} ns | ${r.min.toFixed(0)} ns`
  const rate = r.bytes
    ? `${(r.bytes / (r.unit === 's' ? r.median : r.median / 1e9) / 1e9).toFixed(2)} GB/s`
    : ''
  return `| ${r.name} | ${time} | ${rate} |`
}

export function markdown(
  machine: Machine,
  cases: CaseResult[],
  meta: { date: string; quick: boolean; size: string },
): string {
  const lines: string[] = []
  lines.push('# Benchmark results', '')
  if (meta.quick)
    lines.push('**Smoke run (`--quick`): tiny inputs, one repetition, debug addon. Not a measurement.**', '')
  lines.push(
    `Date: ${meta.date}. Input scale (BENCH_SIZE): ${meta.size}. Produced by \`npm run bench\`; see bench/README.md.`,
    '',
  )
  lines.push('## Machine', '')
  lines.push(`- CPU: ${machine.cpu} (${machine.cores} cores); flags: ${machine.flags || 'none of note'}`)
  lines.push(
    `- Memory: ${machine.memory}; filesystem of bench/.work: ${machine.filesystem}; kernel: ${machine.kernel}`,
  )
  for (const [k, v] of Object.entries(machine.tools)) lines.push(`- ${k}: ${v}`)
  lines.push('')
  const missed: string[] = []
  for (const c of cases) {
    lines.push(`## ${c.id}. ${c.title}`, '')
    for (const t of c.tables) {
      lines.push(
        `### ${t.title}`,
        '',
        '| contender | median | min | throughput (median) |',
        '|---|---|---|---|',
      )
      for (const r of t.rows) lines.push(fmtRow(r))
      lines.push('')
      if (t.ratios.length) {
        lines.push('| ratio | value | target | met |', '|---|---|---|---|')
        for (const q of t.ratios) {
          lines.push(
            `| ${q.label} | ${q.value.toFixed(3)} | ${q.target} | ${q.reference ? '—' : q.met ? 'yes' : '**no**'} |`,
          )
          if (!q.met)
            missed.push(`${c.id} / ${t.title}: ${q.label} = ${q.value.toFixed(3)} (target ${q.target})`)
        }
        lines.push('')
      }
    }
    for (const n of c.notes) lines.push(`- ${n}`)
    if (c.notes.length) lines.push('')
  }
  lines.push('## Targets missed', '')
  if (missed.length === 0) lines.push('None.')
  for (const m of missed) lines.push(`- ${m}`)
  lines.push('')
  return lines.join('\n')
}

/** A horizontal bar chart of every ratio against its target (1.0 line drawn). */
export function svgChart(cases: CaseResult[]): string {
  const ratios = cases.flatMap((c) =>
    c.tables.flatMap((t) => t.ratios.map((r) => ({ ...r, label: `${c.id}: ${r.label}` }))),
  )
  const rowH = 22
  const labelW = 560
  const barW = 360
  const h = 40 + ratios.length * rowH
  const max = Math.max(2, ...ratios.map((r) => r.value))
  const x = (v: number) => labelW + (Math.min(v, max) / max) * barW
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelW + barW + 80}" height="${h}" font-family="sans-serif" font-size="12">`,
    `<text x="8" y="18" font-weight="bold">Ratios (green: target met, red: missed, grey: reference); line at 1.0</text>`,
  ]
  ratios.forEach((r, i) => {
    const y = 30 + i * rowH
    parts.push(`<text x="8" y="${y + 14}">${esc(r.label)} (${esc(r.target)})</text>`)
    parts.push(
      `<rect x="${labelW}" y="${y + 3}" width="${Math.max(1, x(r.value) - labelW)}" height="14" fill="${r.reference ? '#999999' : r.met ? '#3a9a4a' : '#c0392b'}"/>`,
    )
    parts.push(`<text x="${x(r.value) + 4}" y="${y + 14}">${r.value.toFixed(2)}</text>`)
  })
  parts.push(
    `<line x1="${x(1)}" y1="26" x2="${x(1)}" y2="${h - 4}" stroke="#333" stroke-dasharray="3,3"/>`,
    '</svg>',
    '',
  )
  return parts.join('\n')
}
