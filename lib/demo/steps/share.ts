/**
 * Demo step: a preview share link of six photos (JPEGs and RAW files, shared as their
 * previews), served on 127.0.0.1 for a moment and fetched like a client's browser would:
 * the privacy headers are checked, and two served pictures are compared with their
 * originals (sha256, size, pixels, and what ExifTool finds) to prove they are stripped,
 * downscaled previews. With `--keep`, a screenshot of the gallery (headless Chromium) is
 * saved beside the offload report. Then the link is revoked.
 */
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { basename, join } from 'node:path'

import { ExifTool } from 'exiftool-vendored'
import sharp from 'sharp'

import { createShareHandler } from '../../share/handler'
import { openShareRegistry } from '../../share/registry'
import { sharePhotos } from '../../share/share-photos'
import type { DemoContext } from '../context'

const REQUIRED_HEADERS = ['x-robots-tag', 'referrer-policy', 'cache-control', 'x-content-type-options']
const PRIVATE = /GPS|Serial|Owner|Artist|Copyright|Location|City|MakerNote/i
const CHROMIUM = '/usr/bin/chromium'

interface Facts {
  sha256: string
  bytes: number
  size: string
  private: string[]
}

async function facts(et: ExifTool, file: string, bytes: Buffer): Promise<Facts> {
  const meta = await sharp(bytes).metadata()
  const tags = (await et.readRaw(file, { readArgs: ['-a', '-G1', '-n'] })) as Record<string, unknown>
  // GPS and serial numbers first: they are what must never leak.
  const rank = (k: string) =>
    /GPSLatitude|GPSLongitude/.test(k) ? 0 : /Serial/.test(k) ? 1 : /Owner/.test(k) ? 2 : 3
  const found = Object.keys(tags)
    .filter((k) => !/^ICC/.test(k) && !/Ref$/.test(k) && PRIVATE.test(k.split(':').pop()!))
    .sort((a, b) => rank(a) - rank(b))
  const orientation = Number(tags['IFD0:Orientation'] ?? 1)
  const size =
    tags['File:FileType'] === 'DNG'
      ? `RAW (DNG)${orientation !== 1 ? `, orientation ${orientation}` : ''}`
      : `${meta.width}×${meta.height}${orientation !== 1 ? ` stored, orientation ${orientation}` : ''}`
  return {
    sha256: createHash('sha256').update(bytes).digest('hex'),
    bytes: bytes.length,
    size,
    private: found.map((k) => `${k.split(':').pop()}=${String(tags[k]).slice(0, 20)}`),
  }
}

/** Compares a served preview with its original; throws unless it is a different, smaller, stripped picture. */
async function prove(et: ExifTool, work: string, original: string, served: Buffer): Promise<string> {
  const o = await facts(et, original, readFileSync(original))
  const copy = join(work, `served-${basename(original)}.jpg`)
  writeFileSync(copy, served)
  const s = await facts(et, copy, served)
  const meta = await sharp(served).metadata()
  const line = (who: string, f: Facts) =>
    `    ${who.padEnd(8)} sha256 ${f.sha256.slice(0, 16)}…  ${String(f.bytes).padStart(10)} bytes  ${f.size}; ${f.private.length ? f.private.slice(0, 4).join(', ') : 'no GPS, serial, owner or location'}`
  console.log(`  ${basename(original)} → the link served:\n${line('original', o)}\n${line('served', s)}`)
  if (s.sha256 === o.sha256) throw new Error(`${basename(original)}: the link served the original`)
  if (Math.max(meta.width!, meta.height!) > 2048)
    throw new Error(`${basename(original)}: served ${meta.width}×${meta.height}, larger than a preview`)
  if (s.private.length > 0)
    throw new Error(`${basename(original)}: the served picture still carries ${s.private.join(', ')}`)
  if (o.private.length === 0)
    throw new Error(`${basename(original)}: the sample has no private tags to strip`)
  return `${basename(original)} ${o.size.split(/[ ,;]/)[0]} → ${s.size}`
}

/** A screenshot of the gallery, beside the offload report (`--keep` only). */
async function screenshot(url: string, session: string): Promise<string> {
  if (!existsSync(CHROMIUM)) return `no gallery screenshot (${CHROMIUM} is not installed)`
  let chromium: typeof import('playwright-core').chromium
  try {
    chromium = (require('playwright-core') as typeof import('playwright-core')).chromium
  } catch {
    return 'no gallery screenshot (playwright-core is not installed; npm ci brings it)'
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  })
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    await page.goto(url, { waitUntil: 'networkidle' })
    // Polled with evaluate: waitForFunction compiles its predicate in the page, which the gallery's CSP forbids.
    const loaded = `[...document.querySelectorAll('.g-grid img')].every((img) => img.complete && img.naturalWidth > 0)`
    for (let waited = 0; !(await page.evaluate<boolean>(loaded)); waited += 100) {
      if (waited > 30_000) throw new Error('the gallery\u2019s thumbnails did not load within 30 s')
      await new Promise((r) => setTimeout(r, 100))
    }
    const file = join(session, '.shutterproof', `gallery-${new Date().toISOString().replace(/:/g, '-')}.png`)
    await page.screenshot({ path: file, fullPage: true })
    return `gallery screenshot: ${file}`
  } finally {
    await browser.close()
  }
}

export async function shareStep(ctx: DemoContext): Promise<string> {
  const session = ctx.sessionRoots[0]!
  const card = ctx.card!
  const serverKey = randomBytes(32)
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const registry = await openShareRegistry({
    path: join(ctx.work, 'shares.db'),
    serverKey,
    baseUrl: `http://127.0.0.1:${port}`,
  })
  const et = new ExifTool({ maxProcs: 1 })
  try {
    server.on(
      'request',
      createShareHandler({ registry, serverKey, root: ctx.work, gallery: { photographer: 'Demo Studio' } }),
    )
    // Three JPEGs and three RAW files of other shots: the client sees six photos, all as previews.
    const files = [...card.jpegs.slice(0, 3), ...card.raws.slice(3, 6)]
    const share = await sharePhotos(registry, {
      session,
      scope: 'preview',
      files,
      previews: ctx.previewOptions,
      ttl: '7d',
      label: 'Demo selects',
    })
    console.log(`  link (expires ${share.expiresAt}): ${share.url}`)
    const page = await fetch(share.url)
    const missing = REQUIRED_HEADERS.filter((h) => !page.headers.get(h))
    const html = await page.text()
    if (page.status !== 200 || missing.length)
      throw new Error(`gallery page: HTTP ${page.status}, missing headers: ${missing.join(', ') || 'none'}`)
    const thumbnails = (html.match(/<img src="[^"]*\/t\/\d+"/g) ?? []).length
    if (thumbnails !== files.length)
      throw new Error(`the gallery shows ${thumbnails} thumbnails, not ${files.length}`)
    const proofs: string[] = []
    for (const i of [0, 3]) {
      const r = await fetch(`${share.url}/f/${i}`)
      if (r.status !== 200) throw new Error(`download ${i}: HTTP ${r.status}`)
      proofs.push(await prove(et, ctx.work, join(session, files[i]!), Buffer.from(await r.arrayBuffer())))
    }
    const shot = ctx.keep ? await screenshot(share.url, session) : 'gallery screenshot with --keep'
    console.log(`  ${shot}`)
    registry.revokeShare(share.id, 'demo finished')
    const after = await fetch(share.url)
    if (after.status !== 410) throw new Error(`a revoked link answered HTTP ${after.status}, not 410`)
    return `preview link for ${files.length} photos (${share.previews.reused} previews reused): gallery with ${thumbnails} thumbnails, noindex/no-referrer/no-store/nosniff; served pictures are stripped, downscaled previews (${proofs.join('; ')}); revoked (410)`
  } finally {
    await et.end()
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
    registry.close()
  }
}
