import { test } from 'uvu'
import * as assert from 'uvu/assert'

// The renderer alone (no native addon needed); the public exports are checked in report-ingest.spec.ts.
import type { RecordFile, SessionRecord } from '../lib/index'
import { summarizeThroughput, throughputChart } from '../lib/report/chart'
import { renderOffloadReport } from '../lib/report/html'

const HOSTILE = `DCIM/<script>alert("x")</script> & 'quote'.CR3`
const BIDI = 'DCIM/IMG_\u202eGPJ.exe'

function file(path: string, extra: Partial<RecordFile> = {}): RecordFile {
  return {
    path,
    size: 1000,
    mtimeMs: 0,
    hashes: { blake3: 'b'.repeat(64), xxh128: 'a'.repeat(32) },
    status: 'verified',
    method: 'disk-direct',
    checkedAt: '2026-04-26T10:00:10.000Z',
    ...extra,
  }
}

function record(): SessionRecord {
  return {
    format: 'shutterproof-session-record/1',
    kind: 'ingest',
    createdAt: '2026-04-26T10:00:10.000Z',
    startedAt: '2026-04-26T10:00:00.000Z',
    tool: { name: 'shutterproof', version: '0.1.0' },
    root: '/mnt/a/2026-04-26_Ada_<b>Wedding</b>',
    status: 'completed',
    session: {
      folder: '2026-04-26_Ada_<b>Wedding</b>',
      client: 'Ada & <Co>',
      shoot: '<b>Wedding</b>',
      date: '2026-04-26',
    },
    source: '/media/"CARD"',
    verifyMode: 'destination',
    algorithms: ['blake3', 'xxh128'],
    files: [
      file('DCIM/A.CR3', {
        hashes: { blake3: '0123456789abcdef'.repeat(4), xxh128: 'fedcba9876543210'.repeat(2) },
      }),
      file(HOSTILE),
      file(BIDI),
      file('DCIM/Z.JPG'),
    ],
    skipped: [{ path: 'DCIM/<link>', reason: 'symlink', target: '"../etc"' } as never],
    bytes: 4000,
    bytesTotal: 4000,
    throughput: [
      { t: 1, bytes: 0 },
      { t: 1.5, bytes: 1000 },
      { t: 2, bytes: 3000 },
      { t: 3, bytes: 4000 },
    ],
    destinations: [
      {
        root: '/mnt/a',
        sessionRoot: '/mnt/a/2026-04-26_Ada_<b>Wedding</b>',
        status: 'completed',
        verified: 4,
        copied: 0,
        skippedIdentical: 0,
        previouslyVerified: 0,
        failed: 0,
        aborted: 0,
        bytesWritten: 4000,
        problems: [],
      },
      {
        root: '/mnt/<full>',
        sessionRoot: '/mnt/<full>/2026-04-26_Ada_<b>Wedding</b>',
        status: 'failed',
        error: { code: 'E_NO_SPACE', message: '/mnt/<full>: no space left on the device' },
        verified: 1,
        copied: 0,
        skippedIdentical: 0,
        previouslyVerified: 0,
        failed: 3,
        aborted: 0,
        bytesWritten: 1000,
        problems: [
          { path: 'DCIM/Z.JPG', status: 'failed' },
          { path: HOSTILE, status: 'failed' },
          { path: BIDI, status: 'failed', error: { code: 'E_IO', message: 'I/O <error>' } },
        ],
      },
    ],
    destinationIndex: 0,
  }
}

/** The text between two markers. */
function section(html: string, from: string, to: string): string {
  const a = html.indexOf(from)
  assert.ok(a >= 0, from)
  return html.slice(a, html.indexOf(to, a))
}

test('hostile names are escaped everywhere; no markup or script gets through', () => {
  const html = renderOffloadReport(record())
  assert.not.ok(html.includes('<script'), 'no <script> at all')
  assert.not.ok(html.includes('<b>Wedding'), 'no injected markup')
  assert.not.ok(html.includes('<link'), 'no injected link')
  assert.not.ok(html.includes('<full>'))
  assert.ok(
    html.includes('DCIM/&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; &#39;quote&#39;.CR3'),
  )
  assert.ok(html.includes('Ada &#38; &#60;Co&#62;'))
  assert.ok(html.includes('/media/&#34;CARD&#34;'))
  assert.ok(html.includes('I/O &#60;error&#62;'))
  // A right-to-left override cannot reorder a file name: it is shown as an escape.
  assert.not.ok(html.includes('\u202e'))
  assert.ok(html.includes('IMG_\\u{202e}GPJ.exe'))
  // A strict CSP and nothing external.
  assert.match(
    html,
    /<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; style-src &#39;sha256-[A-Za-z0-9+/=]+&#39;/,
  )
  assert.not.match(html, /\b(src|href)=/)
  assert.not.ok(html.includes('frame-ancestors'), 'ignored (and logged) in a meta CSP')
})

test('failures first: the failed destination and the failed files head their tables, visibly marked', () => {
  const html = renderOffloadReport(record())
  const dests = section(html, '<table id="destinations">', '</table>')
  const destRows = dests.split('<tr').slice(2)
  assert.match(destRows[0]!, /class="fail"/)
  assert.match(destRows[0]!, /FAILED/)
  assert.match(destRows[0]!, /E_NO_SPACE/)
  assert.match(destRows[1]!, /class="ok"/)
  const files = section(html, '<table id="files">', '</table>')
  const rows = files.split('<tr').slice(2)
  assert.is(rows.length, 4)
  // Three failed at the full destination come first (by path), then the one that is fine everywhere.
  for (const r of rows.slice(0, 3)) assert.match(r, /class="fail"/)
  assert.match(rows[3]!, /class="ok"/)
  assert.match(rows[3]!, /DCIM\/A\.CR3/)
  // The destination's own error stands for files without one of their own; a file's own error wins.
  assert.match(
    rows.find((r) => r.includes('GPJ'))!,
    /E_IO: I\/O &#60;error&#62;/,
  )
  assert.match(
    rows.find((r) => r.includes('Z.JPG'))!,
    /E_NO_SPACE/,
  )
  assert.match(html, /id="verdict">⚠ 1 of 2 destinations failed; 3 files not copied everywhere/)
})

test('hashes are shortened with the full value in the tooltip; methods shown', () => {
  const html = renderOffloadReport(record())
  assert.ok(html.includes(`<code title="${'0123456789abcdef'.repeat(4)}">01234567…</code>`))
  assert.ok(html.includes(`<code title="${'fedcba9876543210'.repeat(2)}">fedcba98…</code>`))
  assert.match(html, /disk-direct/)
})

test('the SVG chart draws a polyline through the rates between samples; totals and timings', () => {
  const s = summarizeThroughput(record().throughput)
  assert.equal(s.points, [
    { t: 0.5, rate: 2000 },
    { t: 1, rate: 4000 },
    { t: 2, rate: 1000 },
  ])
  assert.is(s.bytes, 4000)
  assert.is(s.seconds, 2)
  assert.is(s.average, 2000)
  assert.is(s.peak, 4000)
  const { svg } = throughputChart(record().throughput)
  const points = /<polyline class="rate" points="([^"]+)"/.exec(svg)?.[1]
  assert.ok(points, 'a polyline')
  // A step line: two points per interval.
  assert.is(points!.split(' ').length, 6)
  const html = renderOffloadReport(record())
  assert.ok(html.includes('<svg'), 'inline SVG')
  assert.ok(html.includes('<polyline class="rate"'))
  assert.match(html, /<dt>Duration<\/dt><dd>10\.0 s<\/dd>/)
  assert.match(html, /<dt>Files<\/dt><dd>4 /)
  assert.match(html, /<dt>Card size<\/dt><dd>4\.0 kB<\/dd>/)
  assert.match(html, /<dt>Copy average \/ peak<\/dt><dd>2\.0 kB\/s \/ 4\.0 kB\/s<\/dd>/)
  // A long ingest (2 hours at 2 samples a second) stays a small SVG; the merged rates keep the total.
  const long = Array.from({ length: 14_401 }, (_, i) => ({ t: i / 2, bytes: i * 5e8 }))
  const big = throughputChart(long)
  const drawn = /<polyline class="rate" points="([^"]+)"/.exec(big.svg)![1]!.split(' ')
  assert.ok(drawn.length <= 1200 + 2, String(drawn.length))
  assert.ok(big.svg.length < 60_000, String(big.svg.length))
  assert.is(big.summary.average, 1e9)
  assert.match(big.svg, 'average 1.0 GB/s')
  // Bad samples (time or bytes going back, NaN) are dropped, never drawn.
  assert.is(
    summarizeThroughput([
      { t: 0, bytes: 0 },
      { t: NaN, bytes: 5 },
      { t: 1, bytes: 10 },
      { t: 0.5, bytes: 20 },
      { t: 2, bytes: 5 },
    ]).points.length,
    1,
  )
})

test('counts and sizes are grouped by three as en-US writes them, whatever their length', () => {
  const r = record()
  const big = { verified: 1234567, failed: 12, bytesWritten: 9007199254740991 }
  Object.assign(r.destinations![0]!, big)
  r.files = [file('DCIM/BIG.MOV', { size: 98765432101 })]
  const html = renderOffloadReport(r)
  const own = section(html, 'data-destination="0"', '</tr>')
  assert.match(own, />1,234,567</)
  assert.match(own, />12</)
  assert.match(html, /title="98,765,432,101 bytes"/)
})

test('older records (no throughput, no run summary) still render', () => {
  const r = record()
  delete r.throughput
  delete r.destinations
  delete r.destinationIndex
  delete r.startedAt
  r.files[1]!.status = 'failed'
  r.files[1]!.error = { code: 'E_IO', message: 'bad' }
  const html = renderOffloadReport(r)
  assert.match(html, /No throughput samples/)
  assert.not.ok(html.includes('<polyline'))
  const rows = section(html, '<table id="files">', '</table>').split('<tr').slice(2)
  assert.match(rows[0]!, /class="fail"/)
  assert.match(rows[0]!, /&#60;script&#62;/)
  assert.throws(
    () => renderOffloadReport({} as SessionRecord),
    (e: { code: string }) => e.code === 'E_INVALID_ARGUMENT',
  )
})

test('10,000 files render quickly: failures in the open table, verified files in collapsed compact pages', () => {
  const r = record()
  r.files = Array.from({ length: 10_000 }, (_, i) =>
    file(`DCIM/${100 + (i % 10)}CANON/IMG_${String(i).padStart(5, '0')}.JPG`),
  )
  r.destinations![1]!.problems = [{ path: 'DCIM/105CANON/IMG_07775.JPG', status: 'failed' }]
  const t = performance.now()
  const html = renderOffloadReport(r)
  const ms = performance.now() - t
  assert.ok(ms < 3000, `${ms} ms`)
  const rows = section(html, '<table id="files">', '</table>').split('<tr').slice(2)
  assert.is(rows.length, 1)
  assert.match(rows[0]!, /IMG_07775\.JPG/)
  assert.match(rows[0]!, /class="fail"/)
  assert.ok(html.indexOf('<table id="files">') < html.indexOf('<details id="verified-files">'))
  assert.match(html, /<summary>9,999 files verified at every destination/)
  // Pages of 1,000, each named by its first and last path; compact rows: path, size, short XXH128.
  const pages = html.split('<details class="page">').slice(1)
  assert.is(pages.length, 10)
  assert.match(pages[0]!, /<summary>1–1,000: DCIM\/100CANON\/IMG_00000\.JPG … /)
  assert.match(pages[9]!, /<summary>9,001–9,999: /)
  const ok = pages.flatMap((p) => section(p, '<tbody>', '</tbody>').split('<tr>').slice(1))
  assert.is(ok.length, 9_999)
  assert.ok(!ok.some((r) => r.includes('IMG_07775.JPG')), 'the failed file is not among the verified ones')
  assert.match(ok[0]!, /^<td>DCIM\/100CANON\/IMG_00000\.JPG<td>/)
  // Nothing failed: no open table, only the collapsed one; a small card is one open table.
  r.destinations![1]!.problems = []
  const clean = renderOffloadReport(r)
  assert.not.ok(clean.includes('<table id="files">'))
  assert.match(clean, /No file failed or needs checking/)
  const small = renderOffloadReport(record())
  assert.not.ok(small.includes('<details'))
})

test('20,000 verified files: the page stays under 2 MB; 1,500 failures: 1,000 in full, the rest compact', () => {
  const r = record()
  r.files = Array.from({ length: 20_000 }, (_, i) =>
    file(`DCIM/${100 + Math.floor(i / 1000)}CANON/IMG_${String(i).padStart(5, '0')}.JPG`),
  )
  const html = renderOffloadReport(r)
  assert.ok(Buffer.byteLength(html) < 2 * 1024 * 1024, `${Buffer.byteLength(html)} bytes`)
  assert.is(html.split('<details class="page">').length - 1, 20)
  r.destinations![1]!.problems = r.files
    .slice(0, 1500)
    .map((f) => ({ path: f.path, status: 'failed' as const }))
  const failing = renderOffloadReport(r)
  assert.is(section(failing, '<table id="files">', '</table>').split('<tr').slice(2).length, 1000)
  const more = section(failing, '<details id="more-problem-files">', '<details id="verified-files">')
  assert.match(more, /<summary>500 more files that failed or need checking/)
  assert.is(more.split('<tr><td><span class="mark fail">FAILED</span>').length - 1, 500)
  assert.ok(
    failing.indexOf('id="more-problem-files"') < failing.indexOf('id="verified-files"'),
    'failures first',
  )
})

test.run()
