/**
 * Preview shares can never serve an original: made with the CLI from camera files
 * (JPEG with GPS and serial numbers, DNG), every item served is checked against its
 * original (different bytes, long edge within the limit, exiftool finds nothing private);
 * a tampered database or a preview replaced on disk by an original gets 404; the audit
 * counts what each link exposes.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'

import sharp from 'sharp'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'

import { createShareHandler } from '../lib/share/handler'
import { openShareRegistry, type ShareRegistry } from '../lib/share/registry'
import { sharePhotos } from '../lib/share/share-photos'
import { openDatabase } from '../lib/sqlite'
import { cli, tempDir } from './support/fixtures'
import {
  cameraDng,
  cameraJpeg,
  endFixtureExifTool,
  exiftoolOk,
  privateTags,
  sessionIn,
} from './support/pictures'

const test = suite('preview shares')

const root = tempDir('sp-share-previews-')
const session = sessionIn(root)
const home = join(root, 'home')
const ORIGINALS = ['DCIM/100CANON/IMG_0001.JPG', 'DCIM/100CANON/IMG_0002.DNG', 'DCIM/100CANON/IMG_0003.JPG']
let registry: ShareRegistry
let server: Server
let base = ''
/** What the preview link served (f/, v/, t/ of every item), kept for the exiftool check. */
const servedFiles: string[] = []

async function get(path: string): Promise<{ status: number; body: Buffer }> {
  const r = await fetch(base + path)
  return { status: r.status, body: Buffer.from(await r.arrayBuffer()) }
}

test.before(async () => {
  await cameraJpeg(join(session, ORIGINALS[0]!), { index: 1, orientation: 6 })
  await cameraDng(join(session, ORIGINALS[1]!), { index: 2, orientation: 6 })
  await cameraJpeg(join(session, ORIGINALS[2]!), { index: 3, orientation: 1, width: 1800, height: 1200 })
  writeFileSync(join(session, 'DCIM/100CANON/MVI_0004.MP4'), Buffer.alloc(2048, 1))
  // The CLI's state folder, then a server on it (as `share serve` would run).
  const made = cli(['share', 'list', '--home', home])
  assert.is(made.status, 0, made.stderr)
  registry = await openShareRegistry({
    path: join(home, 'shares.db'),
    serverKey: readFileSync(join(home, 'server.key')),
  })
  server = createServer(
    createShareHandler({ registry, serverKey: readFileSync(join(home, 'server.key')), root }),
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

test.after(async () => {
  server.closeAllConnections()
  await new Promise((r) => server.close(r))
  registry.close()
  await endFixtureExifTool()
})

test('share create --scope preview with originals: previews made, and every served item differs from its original and fits the long edge', async () => {
  const r = cli([
    'share',
    'create',
    session,
    ...ORIGINALS.map((o) => join(session, o)),
    '--long-edge',
    '1024',
    '--label',
    'Smith selects',
    '--json',
    '--home',
    home,
  ])
  assert.is(r.status, 0, r.stderr)
  const created = JSON.parse(r.stdout)
  assert.equal(created.previews, { made: 3, reused: 0 })
  assert.equal(
    created.items.map((i: { path: string }) => i.path),
    ORIGINALS.map((o) => `.shutterproof/previews/${o}.jpg`),
  )
  const path = new URL(created.url).pathname
  for (const [i, original] of ORIGINALS.entries()) {
    const originalBytes = readFileSync(join(session, original))
    for (const route of ['f', 'v', 't']) {
      const served = await get(`${path}/${route}/${i}`)
      assert.is(served.status, 200, `${route}/${i}`)
      assert.not.ok(served.body.equals(originalBytes), `${route}/${i} is not the original`)
      const meta = await sharp(served.body).metadata()
      assert.is(meta.format, 'jpeg')
      assert.ok(
        Math.max(meta.width!, meta.height!) <= (route === 't' ? 400 : 1024),
        `${route}/${i}: ${meta.width}×${meta.height}`,
      )
      servedFiles.push(join(root, `served-${i}-${route}.jpg`))
      writeFileSync(servedFiles[servedFiles.length - 1]!, served.body)
    }
  }
  assert.is((await get(`${path}/all.tar`)).status, 404, 'no "download all" for previews')
  // Again: the previews are reused, not made again.
  const again = JSON.parse(
    cli([
      'share',
      'create',
      session,
      join(session, ORIGINALS[0]!),
      '--long-edge',
      '1024',
      '--json',
      '--home',
      home,
    ]).stdout,
  )
  assert.equal(again.previews, { made: 0, reused: 1 })
})

// Without Debian's exiftool this check is counted as skipped (support/pictures.ts says so loudly).
;(exiftoolOk ? test : test.skip)(
  'what the preview link served carries nothing private: exiftool finds no GPS, serial, owner or location in any of it',
  () => {
    assert.is(servedFiles.length, ORIGINALS.length * 3)
    for (const file of servedFiles) assert.equal(privateTags(file), [], file)
  },
)

test('a file that cannot be previewed: no share is created, the code is named', () => {
  const before = registry.listShares().length
  const r = cli([
    'share',
    'create',
    session,
    join(session, 'DCIM/100CANON/MVI_0004.MP4'),
    '--json',
    '--home',
    home,
  ])
  assert.is(r.status, 1, r.stderr)
  assert.is(r.stdout, '')
  assert.match(
    r.stderr,
    /No share was created: 1 file\(s\) could not be previewed.*MVI_0004\.MP4: a video file has no preview.*\[E_UNSUPPORTED_FORMAT\]/,
  )
  assert.is(registry.listShares().length, before)
})

test('never an original: a tampered database item, or a preview replaced on disk by an original, answers 404 on every route', async () => {
  const s = await sharePhotos(registry, {
    session,
    scope: 'preview',
    files: [ORIGINALS[2]!],
    label: 'tamper',
  })
  const path = new URL(s.url).pathname
  assert.is((await get(`${path}/f/0`)).status, 200)
  // The database edited behind the registry's back: the item now names the original.
  const db = openDatabase(join(home, 'shares.db'))
  db.prepare('UPDATE share_items SET path = ? WHERE share_id = ?').run(ORIGINALS[2], s.id)
  db.close()
  for (const route of ['f', 'v', 't'])
    assert.is((await get(`${path}/${route}/0`)).status, 404, `${route}: original refused`)
  assert.ok(
    registry.accessLog(s.id).some((e) => e.outcome === 'not_a_preview'),
    'the refusal is logged',
  )
  // A preview file overwritten by an original JPEG on disk.
  const t = await sharePhotos(registry, {
    session,
    scope: 'preview',
    files: [ORIGINALS[0]!],
    label: 'swapped',
  })
  const preview = join(session, t.items[0]!.path)
  copyFileSync(join(session, ORIGINALS[2]!), preview)
  copyFileSync(join(session, ORIGINALS[2]!), preview.replace(/\.jpg$/, '.thumb.jpg'))
  const tp = new URL(t.url).pathname
  for (const route of ['f', 'v', 't'])
    assert.is((await get(`${tp}/${route}/0`)).status, 404, `${route}: swapped file refused`)
  await sharePhotos(registry, { session, scope: 'preview', files: [ORIGINALS[0]!] }) // remade for the tests below
})

test('a full share: the originals download (and "download all"), while its thumbnails and lightbox pictures are generated previews', async () => {
  const s = await sharePhotos(registry, {
    session,
    scope: 'full',
    files: [ORIGINALS[1]!, ORIGINALS[0]!],
    label: 'full set',
  })
  const path = new URL(s.url).pathname
  const raw = await get(`${path}/f/0`)
  assert.ok(raw.body.equals(readFileSync(join(session, ORIGINALS[1]!))), 'the RAW itself')
  const thumb = await get(`${path}/t/0`)
  assert.is(thumb.status, 200)
  assert.is((await sharp(thumb.body).metadata()).format, 'jpeg')
  assert.ok((await sharp(thumb.body).metadata()).width! <= 400)
  assert.is((await get(`${path}/all.tar`)).status, 200)
})

test('share audit counts what each active link exposes: previews, originals, RAW', () => {
  const audit = registry.auditShares()
  const full = audit.exposure.find((e) => e.label === 'full set')!
  assert.equal(
    { ...full, id: '' },
    { id: '', label: 'full set', scope: 'full', previews: 0, originals: 2, raw: 1 },
  )
  const selects = audit.exposure.find((e) => e.label === 'Smith selects')!
  assert.equal([selects.previews, selects.originals, selects.raw], [3, 0, 0])
  const text = cli(['share', 'audit', '--home', home])
  assert.is(text.status, 0, text.stderr)
  const previews = audit.exposure.reduce((n, e) => n + e.previews, 0)
  assert.match(
    text.stdout,
    `what active links expose: ${previews} previews, 2 full-resolution originals (1 RAW)`,
  )
  const json = JSON.parse(cli(['share', 'audit', '--json', '--home', home]).stdout)
  assert.is(json.exposure.length, audit.exposure.length)
})

test.run()
