/**
 * The offload report people read: one self-contained HTML page per ingest and session
 * folder, rendered from the JSON report (`.shutterproof/ingest-<time>.json`). No scripts,
 * fonts, images or other requests; a strict Content-Security-Policy whose only allowance
 * is this module's stylesheet, by hash; every name escaped; failures first; prints on A4.
 * @module
 */
import { createHash } from 'node:crypto'

import { InvalidArgumentError, type ReportedError } from '../errors'
import type { RecordDestination, RecordFile, RecordStatus, SessionRecord } from '../ingest/records'
import { escapeHtml } from '../text/html'
import { formatBytes, formatRate } from '../text/units'
import { throughputChart } from './chart'

const STYLE = `
:root{color-scheme:light}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f6f5f2;color:#1f1f1f}
main{max-width:78rem;margin:1.5rem auto;padding:0 1.25rem}
h1{font-size:1.45rem;margin:0 0 .15rem}
h2{font-size:1.1rem;margin:1.6rem 0 .5rem}
p.sub{margin:0 0 1rem;color:#555}
.banner{border-radius:8px;padding:.7rem 1rem;margin:0 0 1rem;font-weight:600;border:1px solid}
.banner.ok{background:#e6f4ea;border-color:#9fd3ad;color:#0d5b23}
.banner.fail{background:#fce8e6;border-color:#f1a9a3;color:#8c1d18}
.banner.warn{background:#fef3e0;border-color:#f0c27a;color:#6b3a00}
dl.summary{display:grid;grid-template-columns:max-content 1fr max-content 1fr;gap:.25rem 1rem;background:#fff;border:1px solid #ddd;border-radius:8px;padding:.8rem 1rem;margin:0}
dl.summary dt{color:#555}
dl.summary dd{margin:0;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #ddd}
th,td{text-align:left;padding:.3rem .5rem;border-top:1px solid #eee;vertical-align:top}
th{background:#efeee9;font-weight:600;white-space:nowrap}
td.num,th.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
td.path{overflow-wrap:anywhere;min-width:12rem}
tr.fail td{background:#fce8e6}
tr.warn td{background:#fff4d6}
.mark{display:inline-block;font-size:.75rem;font-weight:700;border-radius:4px;padding:0 .35rem;white-space:nowrap}
.mark.fail{background:#b3261e;color:#fff}
.mark.warn{background:#b06000;color:#fff}
.mark.ok{background:#1e7e34;color:#fff}
code{font:12px/1.3 ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace}
.m{color:#555;font-size:.85rem}
span.m{white-space:nowrap}
.err{color:#8c1d18;font-size:.85rem;overflow-wrap:anywhere}
.chart{max-width:100%;height:auto;background:#fff;border:1px solid #ddd;border-radius:8px}
.legend{color:#555;font-size:.85rem;margin:.4rem 0 0}
footer{color:#666;font-size:.8rem;margin:2rem 0 1rem}
details{margin:.75rem 0}
summary{cursor:pointer;font-weight:600;padding:.4rem 0;color:#0d5b23}
#files+details,#no-failed-files+details{margin-top:1rem}
details.page{margin:.25rem 0 .25rem 1rem}
details.page>summary{font-weight:400;color:#1f1f1f}
table.compact td{padding:.1rem .5rem;overflow-wrap:anywhere}
table.compact td:nth-last-child(2){text-align:right;white-space:nowrap}
table.compact td:last-child{font:12px/1.3 ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace}
@page{size:A4 landscape;margin:12mm}
@media print{
body{background:#fff;font-size:9pt}
main{max-width:none;margin:0;padding:0}
table{font-size:8pt}
thead{display:table-header-group}
tr{break-inside:avoid}
.chart,dl.summary,.banner{break-inside:avoid}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
details::details-content{content-visibility:visible;display:contents}
}
`

/** The Content-Security-Policy of the report page (also in its `<meta http-equiv>`). */
export const REPORT_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "img-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ')

const e = escapeHtml

function bytes(n: number | undefined): string {
  return n === undefined || !Number.isFinite(n) ? '—' : formatBytes(n)
}

/**
 * `n` with its digits grouped by three, as en-US writes counts ("12,345"). Whole numbers
 * (every count and size) are grouped here: the first `Intl.NumberFormat` of a process loads
 * ICU's number data, 15–20 ms of every ingest, and `toLocaleString` made one per call
 * (~20 ms a 2,000-file report; issue #18). Anything else goes to `Intl`, made when needed.
 */
function count(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) return (grouped ??= new Intl.NumberFormat('en-US')).format(n)
  const digits = String(n)
  let out = digits.slice(0, digits.length % 3 || 3)
  for (let i = out.length; i < digits.length; i += 3) out += `,${digits.slice(i, i + 3)}`
  return out
}
let grouped: Intl.NumberFormat | undefined

function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—'
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`
  const h = Math.floor(seconds / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = Math.round(seconds % 60)
  return h > 0 ? `${h} h ${m} min ${s} s` : `${m} min ${s} s`
}

/** A hash shortened to 8 hex digits, the full value in the tooltip. */
function shortHash(hex: string | undefined): string {
  if (!hex) return '<span class="m">—</span>'
  return `<code title="${e(hex)}">${e(hex.slice(0, 8))}…</code>`
}

/** Statuses that leave the file under its final name at that destination. */
const PRESENT: ReadonlySet<string> = new Set([
  'verified',
  'copied',
  'skipped-identical',
  'previously-verified',
])

/** One file at one destination, as the report shows it. */
export interface Cell {
  status: RecordStatus | 'ok' | 'unknown'
  method?: string
  error?: ReportedError
  note?: string
}

/** 0 failure, 1 warning (present but not proved on the device, or not copied because the run was cancelled), 2 fine. */
function severity(c: Cell): 0 | 1 | 2 {
  if (c.status === 'ok') return 2
  if (c.status === 'unknown' || c.status === 'aborted') return 1
  if (!PRESENT.has(c.status)) return 0
  return c.method === 'disk-direct' || c.method === 'disk-evicted' ? 2 : 1
}

/**
 * A destination is OK only when every file there was read back from the disk; one left
 * by a cancelled run, or holding copies never read back, is a warning, not an OK.
 */
function destSeverity(d: RecordDestination): 0 | 1 | 2 {
  if (d.status === 'failed' || d.error || d.failed > 0) return 0
  if (d.status === 'aborted' || d.aborted > 0 || d.copied > 0) return 1
  if (d.status !== 'completed') return 0
  return 2
}

function methodText(m: string | undefined): string {
  switch (m) {
    case 'disk-direct':
      return 'read back from disk (O_DIRECT)'
    case 'disk-evicted':
      return 'read back from disk (cache evicted)'
    case 'cache':
      return 'read back from the page cache only: does not prove the device holds it'
    case 'size':
      return 'sizes compared only'
    case 'none':
      return 'not read back'
    default:
      return m ?? ''
  }
}

/** At most `max` characters (whole code points), with an ellipsis when cut. */
function clip(text: string, max: number): string {
  const chars = [...text]
  return chars.length <= max ? text : chars.slice(0, max - 1).join('') + '…'
}

function cellHtml(c: Cell): string {
  const sev = severity(c)
  const mark = sev === 0 ? 'fail' : sev === 1 ? 'warn' : 'ok'
  const label = c.status === 'ok' ? 'ok' : c.status === 'aborted' ? 'not copied (cancelled)' : c.status
  let html = `<span class="mark ${mark}">${e(label)}</span>`
  if (c.method) html += ` <span class="m" title="${e(methodText(c.method))}">${e(c.method)}</span>`
  if (c.error)
    html += `<div class="err" title="${e(c.error.message)}">${e(c.error.code)}: ${e(clip(c.error.message, 90))}</div>`
  if (c.note) html += `<div class="m">${e(c.note)}</div>`
  return html
}

/** The destinations of a record: its run summary, or (older records) itself alone. */
function destinationsOf(r: SessionRecord): { list: RecordDestination[]; own: number } {
  if (Array.isArray(r.destinations) && r.destinations.length > 0) {
    const own =
      Number.isInteger(r.destinationIndex) &&
      r.destinationIndex! >= 0 &&
      r.destinationIndex! < r.destinations.length
        ? r.destinationIndex!
        : 0
    return { list: r.destinations, own }
  }
  const c = (s: RecordStatus) => r.files.filter((f) => f.status === s).length
  const d: RecordDestination = {
    root: r.root,
    sessionRoot: r.root,
    status: r.status,
    verified: c('verified'),
    copied: c('copied'),
    skippedIdentical: c('skipped-identical'),
    previouslyVerified: c('previously-verified'),
    failed: c('failed'),
    aborted: c('aborted'),
    bytesWritten: NaN,
    problems: [],
  }
  if (r.destinationError) d.error = r.destinationError
  return { list: [d], own: 0 }
}

/** Options of {@link renderOffloadReport}. */
export interface RenderOffloadReportOptions {
  /**
   * The other destinations' JSON reports of the same run (same `createdAt`); with them
   * each file shows its exact status and method at every destination. Without them
   * other destinations show what this report's run summary says (failures and counts).
   */
  siblings?: readonly SessionRecord[]
  /** The JSON report's file name, shown in the footer. */
  jsonName?: string
  /**
   * With more files than this verified at every destination, those rows go into a
   * collapsed `<details>` (expanded when printed); default 200. Failed files and files
   * to check are always shown.
   */
  collapseVerifiedAbove?: number
}

/**
 * What the page is rendered from: the record's header (its `files` may be left empty),
 * and its files by index, each with its cell at every destination. Lets an ingest render
 * the page straight from its results, without one record object per file and destination.
 * @internal
 */
export interface ReportView {
  report: SessionRecord
  /** Number of files. */
  count: number
  /** File `i` as this destination's record has it. */
  file(i: number): RecordFile
  /** File `i`'s path alone, when the view can give it without making the whole entry (sorting asks for it often). */
  path?(i: number): string
  /** File `i` at every destination of `destinationsOf(report).list`. */
  cells(i: number): Cell[]
  /** Whether every other destination's own record was read (else their cells come from the run summary). */
  exact: boolean
}

/**
 * Renders an ingest's JSON report (a {@link SessionRecord}) as one self-contained HTML
 * page: session, source and destinations; per-file sizes, XXH128 and BLAKE3 (shortened,
 * full value in the tooltip); per-destination status and verification method; timings
 * and throughput with an inline SVG chart; failures first, visibly marked. No scripts or
 * external resources; a strict CSP meta tag; every name escaped. Above
 * `collapseVerifiedAbove` files verified everywhere, those are listed compactly in
 * collapsed pages of 1,000 (path, size, XXH128), so that a 20,000-file card stays under
 * ~2 MB; the JSON report has every detail.
 *
 * @example
 * ```ts
 * import { readFileSync, writeFileSync } from 'node:fs'
 * import { renderOffloadReport } from 'shutterproof'
 * const record = JSON.parse(readFileSync('/Volumes/SSD1/2026-04-26_Ada_Wedding/.shutterproof/ingest-2026-04-26T10-00-00.000Z.json', 'utf8'))
 * writeFileSync('offload.html', renderOffloadReport(record))
 * ```
 * @throws {@link InvalidArgumentError} when `report` is not a session record
 */
export function renderOffloadReport(report: SessionRecord, options: RenderOffloadReportOptions = {}): string {
  return [...offloadReportChunks(recordView(report, options.siblings), options)].join('')
}

/** The view of a record and (optionally) its siblings of the same run. */
export function recordView(report: SessionRecord, siblings: readonly SessionRecord[] = []): ReportView {
  if (
    !report ||
    typeof report !== 'object' ||
    report.format !== 'shutterproof-session-record/1' ||
    !Array.isArray(report.files)
  ) {
    throw new InvalidArgumentError(
      'renderOffloadReport needs a session record (the JSON report of an ingest, format shutterproof-session-record/1)',
    )
  }
  const { list: dests, own } = destinationsOf(report)
  let exact = true
  // Per destination: a path → cell lookup.
  const lookups: Array<(f: RecordFile) => Cell> = dests.map((d, i) => {
    if (i === own) return ownCell
    const sib = siblings.find(
      (s) =>
        s !== report &&
        s.root === d.sessionRoot &&
        s.createdAt === report.createdAt &&
        Array.isArray(s.files),
    )
    if (sib) {
      const byPath = new Map(sib.files.map((f) => [f.path, f]))
      return (f) => {
        const x = byPath.get(f.path)
        return x ? ownCell(x) : { status: 'unknown', note: 'not in that destination\u2019s report' }
      }
    }
    exact = false
    const problems = new Map((d.problems ?? []).map((p) => [p.path, p]))
    return (f) => {
      const p = problems.get(f.path)
      if (p) {
        const err = p.error ?? d.error
        return { status: p.status, ...(err ? { error: err } : {}) }
      }
      return { status: 'ok' }
    }
  })
  return {
    report,
    count: report.files.length,
    file: (i) => report.files[i]!,
    cells: (i) => lookups.map((l) => l(report.files[i]!)),
    exact,
  }
}

/** A record entry as its own destination's cell. */
export function ownCell(f: Pick<RecordFile, 'status' | 'method' | 'error'>): Cell {
  return { status: f.status, method: f.method, ...(f.error ? { error: f.error } : {}) }
}

/** Files per collapsed page of the compact list. */
const PAGE = 1000
/** Files that failed or need checking shown in full; more are listed compactly like the verified ones. */
const OPEN_MAX = 1000

/** The page of {@link renderOffloadReport}, in pieces (one per table row), for writing straight to a file. */
export function* offloadReportChunks(
  view: ReportView,
  options: RenderOffloadReportOptions = {},
): Generator<string> {
  const { report } = view
  const { list: dests, own } = destinationsOf(report)
  // One pass for the severities and counts; rows are rendered later, one at a time.
  const sevs = new Uint8Array(view.count)
  let failedFiles = 0
  let warnFiles = 0
  let doneEverywhere = 0
  let sizes = 0
  for (let i = 0; i < view.count; i++) {
    const cells = view.cells(i)
    const sev = Math.min(2, ...cells.map(severity)) as 0 | 1 | 2
    sevs[i] = sev
    if (sev === 0) failedFiles++
    if (sev === 1) warnFiles++
    if (cells.every(doneThere)) doneEverywhere++
    sizes += view.file(i).size || 0
  }
  const pathOf = view.path ? (i: number) => view.path!(i) : (i: number) => view.file(i).path
  const byPath = (a: number, b: number) => {
    const pa = pathOf(a)
    const pb = pathOf(b)
    return pa < pb ? -1 : pa > pb ? 1 : 0
  }
  const order = Array.from({ length: view.count }, (_, i) => i).sort(
    (a, b) => sevs[a]! - sevs[b]! || byPath(a, b),
  )

  const destOrder = dests
    .map((d, i) => ({ d, i, sev: destSeverity(d) }))
    .sort((a, b) => a.sev - b.sev || a.i - b.i)
  const failedDests = destOrder.filter((x) => x.sev === 0).length
  const cancelled = report.status === 'aborted'

  const started = report.startedAt ? Date.parse(report.startedAt) : NaN
  const finished = Date.parse(report.createdAt)
  const seconds = (finished - started) / 1000
  const { svg, summary } = throughputChart(report.throughput)
  const totalBytes = report.bytesTotal ?? sizes
  const folder = report.session?.folder ?? report.root
  const problemsTotal = failedFiles + failedDests
  const name = (i: number) => `#${i + 1}`

  const banner = cancelled
    ? `<div class="banner warn" id="verdict">⚠ Cancelled: this ingest was stopped before it finished. ${count(doneEverywhere)} of ${count(view.count)} files were copied and read back at every destination${failedDests > 0 || failedFiles > 0 ? `; ${count(failedFiles)} failed` : ''}. Run the same ingest again to finish; until then the card is not safe to format.</div>`
    : problemsTotal > 0
      ? `<div class="banner fail" id="verdict">⚠ ${failedDests > 0 ? `${failedDests} of ${dests.length} destination${dests.length === 1 ? '' : 's'} failed` : ''}${failedDests > 0 && failedFiles > 0 ? '; ' : ''}${failedFiles > 0 ? `${count(failedFiles)} file${failedFiles === 1 ? '' : 's'} not copied everywhere` : ''}. Failures are listed first below.</div>`
      : `<div class="banner ok" id="verdict">✓ Every file is at every destination${warnFiles > 0 ? ` (${count(warnFiles)} without a read-back from the disk itself)` : ', read back from the disk'}.</div>`

  const summaryItems: Array<[string, string]> = [
    ['Session', e(folder)],
    [
      'Client / shoot / date',
      report.session
        ? `${e(report.session.client)} / ${e(report.session.shoot)} / ${e(report.session.date)}`
        : '—',
    ],
    ['Source (card)', report.source ? e(report.source) : '—'],
    ['This copy', `${e(report.root)} <span class="m">(destination ${name(own)})</span>`],
    ['This copy\u2019s status', e(report.status)],
    ['Verification', e(report.verifyMode ?? '—')],
    [
      'Files',
      `${count(view.count)}${report.skipped?.length ? ` <span class="m">(+${count(report.skipped.length)} skipped entries)</span>` : ''}`,
    ],
    ['Card size', bytes(totalBytes)],
    ['Read from the card', bytes(report.bytes)],
    ['Started', report.startedAt ? e(report.startedAt) : '—'],
    ['Finished', e(report.createdAt)],
    ['Duration', Number.isFinite(seconds) ? duration(seconds) : '—'],
    [
      'Average (whole run)',
      Number.isFinite(seconds) && seconds > 0 && report.bytes !== undefined
        ? formatRate(report.bytes / seconds)
        : '—',
    ],
    [
      'Copy average / peak',
      summary.points.length ? `${formatRate(summary.average)} / ${formatRate(summary.peak)}` : '—',
    ],
  ]

  const destRows = destOrder
    .map(({ d, i, sev }) => {
      const mark =
        sev === 0
          ? '<span class="mark fail">FAILED</span>'
          : sev === 1
            ? `<span class="mark warn">${d.status === 'aborted' ? 'CANCELLED' : 'CHECK'}</span>`
            : '<span class="mark ok">OK</span>'
      const err = [d.error, d.mhlError]
        .map((x) => (x ? `<div class="err">${e(x.code)}: ${e(x.message)}</div>` : ''))
        .join('')
      return `<tr class="${sev === 0 ? 'fail' : 'ok'}" data-destination="${i}"><td>${mark}</td><td class="num">${name(i)}${i === own ? ' <span class="m">(this copy)</span>' : ''}</td><td class="path">${e(d.sessionRoot)}${err}</td><td>${e(d.status)}</td><td class="num">${count(d.verified)}</td><td class="num">${count(d.skippedIdentical)}</td><td class="num">${count(d.previouslyVerified)}</td><td class="num">${count(d.copied)}</td><td class="num">${count(d.failed)}</td><td class="num">${count(d.aborted)}</td><td class="num">${bytes(d.bytesWritten)}</td></tr>`
    })
    .join('\n')

  const markOf = (i: number, cells: Cell[]): string => {
    const sev = sevs[i]
    return sev === 0
      ? '<span class="mark fail">FAILED</span>'
      : sev === 1
        ? `<span class="mark warn">${cells.some((c) => c.status === 'aborted') ? 'NOT COPIED' : 'CHECK'}</span>`
        : '<span class="mark ok">OK</span>'
  }
  const row = (i: number): string => {
    const f = view.file(i)
    const cells = view.cells(i)
    const sev = sevs[i]
    return `<tr class="${sev === 0 ? 'fail' : sev === 1 ? 'warn' : 'ok'}"><td>${markOf(i, cells)}</td><td class="path">${e(f.path)}</td><td class="num" title="${count(f.size)} bytes">${bytes(f.size)}</td><td>${shortHash(f.hashes?.xxh128)}</td><td>${shortHash(f.hashes?.blake3)}</td>${cells.map((c) => `<td>${cellHtml(c)}</td>`).join('')}</tr>`
  }
  // A compact row: path, size, short XXH128 (and the mark for a file that is not fine); end tags implied.
  const compactRow = (i: number): string => {
    const f = view.file(i)
    const mark = sevs[i] === 2 ? '' : `<td>${markOf(i, view.cells(i))}`
    return `<tr>${mark}<td>${e(f.path)}<td>${bytes(f.size)}<td>${e(f.hashes?.xxh128?.slice(0, 8) ?? '—')}</tr>\n`
  }
  const okCount = view.count - failedFiles - warnFiles
  const notOk = order.slice(0, failedFiles + warnFiles)
  const ok = order.slice(failedFiles + warnFiles)
  const head = `<thead><tr><th></th><th>File</th><th class="num">Size</th><th>XXH128</th><th>BLAKE3</th>${dests.map((d, i) => `<th title="${e(d.sessionRoot)}">${name(i)}${i === own ? ' (this copy)' : ''}</th>`).join('')}</tr></thead>`

  yield `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${e(REPORT_CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="generator" content="${e(`${report.tool?.name ?? 'shutterproof'} ${report.tool?.version ?? ''}`.trim())}">
<title>Offload report — ${e(folder)}</title>
<style>${STYLE}</style>
</head>
<body><main>
<h1>Offload report</h1>
<p class="sub">${e(folder)} · ${e(report.createdAt)}</p>
${banner}
<dl class="summary" id="summary">
${summaryItems.map(([k, v]) => `<dt>${e(k)}</dt><dd>${v}</dd>`).join('\n')}
</dl>
<h2>Destinations (${dests.length})</h2>
<table id="destinations"><thead><tr><th></th><th class="num">#</th><th>Session folder</th><th>Status</th><th class="num">Verified</th><th class="num">Identical</th><th class="num">Earlier</th><th class="num">Copied</th><th class="num">Failed</th><th class="num">Aborted</th><th class="num">Written</th></tr></thead>
<tbody>
${destRows}
</tbody></table>
<h2>Throughput</h2>
${svg}
<p class="legend">Bytes read from the card per interval between samples (about one every half second); the dashed line is the average over the copy.</p>
<h2>Files (${count(view.count)}${failedFiles ? `, ${count(failedFiles)} failed` : ''}${warnFiles ? `, ${count(warnFiles)} to check` : ''})</h2>
`
  // Many verified files go into collapsed pages (expanded when printing); failures and files to check stay open.
  const collapse = options.collapseVerifiedAbove ?? 200
  const paged = okCount > collapse
  const open = paged ? notOk.slice(0, OPEN_MAX) : order
  if (open.length > 0) {
    yield `<table id="files">${head}\n<tbody>\n`
    for (let k = 0; k < open.length; k++) yield (k > 0 ? '\n' : '') + row(open[k]!)
    yield '\n</tbody></table>\n'
  } else yield '<p id="no-failed-files">No file failed or needs checking.</p>\n'
  if (paged && notOk.length > OPEN_MAX)
    yield* pages(
      'more-problem-files',
      `${count(notOk.length - OPEN_MAX)} more file${notOk.length - OPEN_MAX === 1 ? '' : 's'} that failed or need checking (show)`,
      notOk.slice(OPEN_MAX),
      compactRow,
      true,
      (i) => view.file(i).path,
    )
  if (paged)
    yield* pages(
      'verified-files',
      `${count(okCount)} file${okCount === 1 ? '' : 's'} verified at every destination (show)`,
      ok,
      compactRow,
      false,
      (i) => view.file(i).path,
    )

  const skipped = report.skipped?.length
    ? `<h2>Not copied from the card (${count(report.skipped.length)})</h2><table id="skipped"><thead><tr><th>Entry</th><th>Why</th></tr></thead><tbody>${report.skipped
        .map(
          (s) =>
            `<tr><td class="path">${e(s.path)}</td><td>${e(s.reason)}${s.target ? ` → ${e(s.target)} <span class="m">(not followed)</span>` : ''}</td></tr>`,
        )
        .join('')}</tbody></table>`
    : ''

  const siblingsNote = view.exact
    ? ''
    : '<p class="legend">“ok” at another destination: not failed there according to this run\u2019s summary; that destination\u2019s own report has the method.</p>'

  yield `${siblingsNote}
<p class="legend">Methods: <b>disk-direct</b> / <b>disk-evicted</b> read the copy back from the device (the only proof a card may be formatted); <b>cache</b> read it from memory only; <b>size</b> compared sizes; <b>none</b> did not read it back. Hashes are shortened; hover for the full value (the JSON report and the ASC MHL history in <code>ascmhl/</code> have every hash).</p>
${skipped}
<footer>Written by ${e(report.tool?.name ?? 'shutterproof')} ${e(report.tool?.version ?? '')}${options.jsonName ? ` from <code>${e(options.jsonName)}</code>` : ''}. Algorithms: ${e((report.algorithms ?? []).join(', ') || '—')}.</footer>
</main></body>
</html>
`
}

/** Whether a file is copied and read back from the disk at that destination. */
function doneThere(c: Cell): boolean {
  return (
    c.status === 'ok' ||
    ((c.status === 'verified' || c.status === 'skipped-identical' || c.status === 'previously-verified') &&
      severity(c) === 2)
  )
}

/**
 * Files listed compactly in a collapsed section `id`, in collapsed pages of {@link PAGE}
 * (each named by its first and last path) that print in full: no scripts, the browser
 * renders only what is opened.
 */
function* pages(
  id: string,
  title: string,
  indexes: readonly number[],
  compactRow: (i: number) => string,
  marked: boolean,
  pathOf: (i: number) => string,
): Generator<string> {
  yield `<details id="${id}"><summary>${e(title)}</summary>\n`
  for (let p = 0; p < indexes.length; p += PAGE) {
    const page = indexes.slice(p, p + PAGE)
    const last = page[page.length - 1]!
    yield `<details class="page"><summary>${count(p + 1)}–${count(p + page.length)}: ${e(clip(pathOf(page[0]!), 60))} … ${e(clip(pathOf(last), 60))}</summary>\n<table class="compact${marked ? ' marked' : ''}"><thead><tr>${marked ? '<th></th>' : ''}<th>File</th><th>Size</th><th>XXH128</th></tr></thead>\n<tbody>\n`
    for (const i of page) yield compactRow(i)
    yield '</tbody></table></details>\n'
  }
  yield '</details>\n'
}
