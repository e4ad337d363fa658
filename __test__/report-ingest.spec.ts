import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { ingest, readRecords, renderOffloadReport, writeOffloadReport, type IngestReport } from '../lib/index'
import { chromiumMissing, launchChromium } from './support/chromium'
import { cli, tempDir } from './support/fixtures'
import { ingestArgs, makeCard, MB, mountTmpfs } from './support/ingest-fixtures'

const HOSTILE = `<img src=x onerror=alert(1)> & "q" 'x'.JPG`

const chromiumWhyNot = chromiumMissing()
const chromiumOk = !chromiumWhyNot
if (chromiumWhyNot)
  console.warn(`\n!!! SKIPPED: ${chromiumWhyNot}: the HTML report is not checked in a browser\n`)

const session = { client: 'Ada & <Co>', shoot: 'Report', date: '2026-04-26' }

/** A card with a hostile name, ingested to a good destination and a failing one. */
async function ingestWithAFailure(): Promise<{
  r: IngestReport
  good: string
  bad: string
  unmount: () => void
  fault: string
}> {
  const card = makeCard({ raws: 4, rawBytes: 48 * MB, jpegs: 2 })
  writeFileSync(join(card, 'DCIM', '100CANON', HOSTILE), 'hostile name')
  const good = tempDir('sp-good-')
  const full = mountTmpfs('1m')
  if (full) {
    const r = await ingest({ source: card, destinations: [good, full.dir], session })
    return { r, good, bad: full.dir, unmount: full.unmount, fault: 'E_NO_SPACE' }
  }
  // Without root: a different file under the same name at the second destination (E_EXISTS).
  const bad = tempDir('sp-clash-')
  const folder = '2026-04-26_Ada & -Co-_Report'
  spawnSync('mkdir', ['-p', join(bad, folder, 'DCIM', '100CANON')])
  writeFileSync(join(bad, folder, 'DCIM', '100CANON', 'IMG_0001.xmp'), 'a different file')
  const r = await ingest({ source: card, destinations: [good, bad], session })
  return { r, good, bad, unmount: () => {}, fault: 'E_EXISTS' }
}

;(chromiumOk ? test : test.skip)(
  'Chromium: the good destination\u2019s report opens with no console error, failure first, chart drawn, escaped names',
  async () => {
    const { r, bad, unmount, fault } = await ingestWithAFailure()
    try {
      assert.is(r.status, 'completed-with-errors')
      const d0 = r.perDestination[0]!
      assert.ok(d0.htmlReportPath, JSON.stringify(d0.htmlReportError))
      assert.is(d0.htmlReportPath, d0.reportPath!.replace(/\.json$/, '.html'))
      // The JSON report carries throughput samples and the run summary.
      const rec = (await readRecords(d0.sessionRoot)).records[0]!
      assert.ok(rec.throughput!.length >= 2, JSON.stringify(rec.throughput))
      assert.is(rec.throughput!.at(-1)!.bytes, r.bytes)
      for (let i = 1; i < rec.throughput!.length; i++)
        assert.ok(rec.throughput![i]!.t >= rec.throughput![i - 1]!.t)
      assert.is(rec.destinations!.length, 2)
      assert.is(rec.destinationIndex, 0)

      const browser = await launchChromium()
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
        const problems: string[] = []
        page.on('console', (m) => {
          if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`)
        })
        page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`))
        page.on('request', (req) => {
          if (!req.url().startsWith('file:')) problems.push(`request: ${req.url()}`)
        })
        await page.goto(pathToFileURL(d0.htmlReportPath!).href, { waitUntil: 'load' })
        const shots = tempDir('sp-report-shots-')
        const png = join(shots, 'offload-report.png')
        await page.screenshot({ path: png, fullPage: true })
        if (process.env.SHUTTERPROOF_KEEP_SCREENSHOT)
          writeFileSync(process.env.SHUTTERPROOF_KEEP_SCREENSHOT, readFileSync(png))
        const bytes = readFileSync(png)
        assert.ok(
          bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
          'a PNG',
        )
        assert.ok(bytes.length > 30_000, `screenshot of ${bytes.length} bytes`)

        const rows = page.locator('#files tbody tr')
        const destRow = page.locator('#destinations tbody tr').first()
        const dom = {
          destFirstClass: await destRow.getAttribute('class'),
          destFirstText: (await destRow.textContent()) ?? '',
          fileFirstClass: await rows.first().getAttribute('class'),
          fileFirstText: (await rows.first().textContent()) ?? '',
          fileClasses: await rows.evaluateAll((rows) =>
            rows.map((r) => (r as unknown as { className: string }).className),
          ),
          fileCount: await rows.count(),
          paths: await page.locator('#files tbody tr td.path').allTextContents(),
          imgs: await page.locator('img').count(),
          scripts: await page.locator('script').count(),
          polyline: (await page.locator('svg polyline.rate').getAttribute('points')) ?? '',
          verdict: (await page.locator('#verdict').textContent()) ?? '',
          // The stylesheet applied (the CSP allowed it by hash): failed rows are tinted.
          failBg: await page.evaluate<string>(
            "getComputedStyle(document.querySelector('#files tbody tr td')).backgroundColor",
          ),
        }
        assert.equal(problems, [], problems.join('\n'))
        if (fault === 'E_NO_SPACE') {
          assert.is(
            dom.destFirstClass,
            'fail',
            'the failed destination is the first row of the destinations table',
          )
          assert.ok(
            dom.destFirstText.includes(bad) && dom.destFirstText.includes('E_NO_SPACE'),
            dom.destFirstText,
          )
        }
        assert.is(dom.fileFirstClass, 'fail', 'a failed file is the first row of the files table')
        assert.match(dom.fileFirstText, 'FAILED')
        assert.match(dom.fileFirstText, fault)
        // Failures, then files to check (e.g. read back from tmpfs's cache only), then the rest.
        const rank = { fail: 0, warn: 1, ok: 2 } as Record<string, number>
        for (let i = 1; i < dom.fileClasses.length; i++)
          assert.ok(rank[dom.fileClasses[i]!]! >= rank[dom.fileClasses[i - 1]!]!, dom.fileClasses.join())
        if (fault === 'E_EXISTS') assert.is(dom.fileClasses.at(-1), 'ok')
        assert.is(dom.fileCount, r.files.length)
        assert.ok(dom.paths.includes(`DCIM/100CANON/${HOSTILE}`), 'the hostile name shows as text')
        assert.is(dom.imgs, 0)
        assert.is(dom.scripts, 0)
        assert.ok(dom.polyline.split(' ').length >= 2, dom.polyline)
        assert.match(dom.verdict, '⚠')
        assert.is(dom.failBg, 'rgb(252, 232, 230)')
        // It prints: a PDF of several kB comes out.
        const pdf = await page.pdf({ format: 'A4', landscape: true, printBackground: true })
        assert.ok(pdf.length > 20_000, `PDF of ${pdf.length} bytes`)
      } finally {
        await browser.close()
      }
    } finally {
      unmount()
    }
  },
)

;(chromiumOk ? test : test.skip)(
  'Chromium: 10,000 verified files are in collapsed pages on screen and printed in full',
  async () => {
    const card = tempDir('sp-card-')
    spawnSync('mkdir', ['-p', join(card, 'DCIM')])
    for (let i = 0; i < 10_000; i++)
      writeFileSync(join(card, 'DCIM', `IMG_${String(i).padStart(5, '0')}.JPG`), `f${i}`)
    const r = await ingest({ source: card, destinations: [tempDir('sp-d1-')], session, minCopies: 1 })
    assert.is(r.status, 'completed')
    const path = r.perDestination[0]!.htmlReportPath!
    const browser = await launchChromium()
    try {
      const page = await browser.newPage()
      const problems: string[] = []
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`)
      })
      page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`))
      await page.goto(pathToFileURL(path).href, { waitUntil: 'load' })
      assert.is(await page.locator('#verified-files table.compact tbody tr').count(), 10_000)
      assert.match(
        (await page.locator('#verified-files > summary').textContent()) ?? '',
        '10,000 files verified at every destination',
      )
      const row = page.locator('#verified-files table.compact tbody tr').nth(7777)
      assert.not.ok(await row.isVisible(), 'collapsed on screen')
      await page.emulateMedia({ media: 'print' })
      assert.ok(await row.isVisible(), 'expanded when printed')
      assert.equal(problems, [], problems.join('\n'))
    } finally {
      await browser.close()
    }
  },
)

test('the HTML is written at ingest beside every JSON report; re-rendering gives the same page', async () => {
  const card = makeCard({ raws: 1, rawBytes: MB, jpegs: 1 })
  writeFileSync(join(card, 'DCIM', '100CANON', HOSTILE), 'hostile name')
  const dests = [tempDir('sp-d1-'), tempDir('sp-d2-')]
  const r = await ingest({ source: card, destinations: dests, session })
  assert.is(r.status, 'completed')
  for (const d of r.perDestination) {
    assert.ok(d.htmlReportPath && existsSync(d.htmlReportPath))
    const names = readdirSync(join(d.sessionRoot, '.shutterproof'))
    assert.equal(
      names.filter((n) => n.endsWith('.tmp')),
      [],
      'no temporary file left',
    )
    const html = readFileSync(d.htmlReportPath!, 'utf8')
    assert.ok(html.includes('&#60;img src=x onerror=alert(1)&#62; &#38; &#34;q&#34; &#39;x&#39;.JPG'))
    // Same page from the JSON reports on disk (both destinations mounted).
    rmSync(d.htmlReportPath!)
    const w = await writeOffloadReport(d.sessionRoot)
    assert.is(w.path, d.htmlReportPath)
    assert.is(w.siblings.length, 1)
    assert.is(readFileSync(w.path, 'utf8'), html)
    const { records } = await readRecords(d.sessionRoot)
    assert.is(
      renderOffloadReport(records[0]!, { siblings: [], jsonName: 'x.json' }).includes(
        'not failed there according to this run',
      ),
      true,
    )
  }
})

test('CLI: shutterproof report SESSION [-o FILE] [--json] re-renders from the newest JSON report', async () => {
  const card = makeCard({ raws: 1, rawBytes: MB, jpegs: 1 })
  const dest = tempDir('sp-d1-')
  const ing = cli(ingestArgs(card, [dest], 'Cli', '--min-copies', '1'))
  assert.is(ing.status, 0, ing.stderr + ing.stdout)
  const root = join(dest, '2026-04-26_Ada_Cli')
  assert.match(ing.stdout, `report: ${join(root, '.shutterproof', 'ingest-')}`)
  const html = readdirSync(join(root, '.shutterproof')).filter((n) => n.endsWith('.html'))
  assert.is(html.length, 1)
  const first = join(root, '.shutterproof', html[0]!)
  const before = readFileSync(first, 'utf8')
  rmSync(first)

  const j = cli(['report', root, '--json'])
  assert.is(j.status, 0, j.stderr)
  const doc = JSON.parse(j.stdout)
  assert.is(doc.html, first)
  assert.is(doc.json, first.replace(/\.html$/, '.json'))
  assert.equal(doc.siblings, [])
  assert.is(readFileSync(first, 'utf8'), before)

  const out = join(tempDir('sp-out-'), 'offload.html')
  const o = cli(['report', root, '-o', out])
  assert.is(o.status, 0, o.stderr)
  assert.match(o.stdout, `wrote ${out}`)
  assert.ok(statSync(out).size > 1000)
  assert.match(readFileSync(out, 'utf8'), 'IMG_0001.CR3')

  // A second ingest run (a new file on the card): the newest report is rendered.
  writeFileSync(join(card, 'DCIM', '100CANON', 'NEW_0002.JPG'), 'new')
  assert.is(cli(ingestArgs(card, [dest], 'Cli', '--min-copies', '1', '--quiet')).status, 0)
  const again = cli(['report', root, '-o', out, '--json'])
  assert.is(again.status, 0, again.stderr)
  assert.match(readFileSync(out, 'utf8'), 'NEW_0002.JPG')

  const none = cli(['report', tempDir('sp-empty-')])
  assert.is(none.status, 1)
  assert.match(none.stderr, 'no readable ingest report')
  assert.is(cli(['report']).status, 2)
})

test.run()
