/**
 * makePreviews: real pictures made at run time (camera-like JPEGs and DNGs carrying GPS,
 * serial numbers, owner, location and an orientation), checked with Debian's exiftool
 * and by their pixels.
 */
import { createHash } from 'node:crypto'
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'

import sharp from 'sharp'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'

import { AbortError, CallbackError, ShutterproofError } from '../lib/errors'
import {
  makePreviews,
  type PreviewItem,
  type PreviewProgress,
  type PreviewsReport,
} from '../lib/previews/index'
import { orient } from '../lib/previews/render'
import { tempDir, vectorsDir } from './support/fixtures'
import {
  cameraDng,
  cameraJpeg,
  endFixtureExifTool,
  exifTags,
  exiftoolOk,
  fixtureExifTool,
  meanColour,
  privateTags,
  sessionIn,
} from './support/pictures'

const test = suite('previews')
const exifTest = exiftoolOk ? test : test.skip

const root = tempDir('sp-previews-')
const session = sessionIn(root)
let first: PreviewsReport

function item(r: PreviewsReport, source: string): PreviewItem {
  const found = r.items.find((i) => i.source === source)
  assert.ok(found, `${source} is listed: ${r.items.map((i) => i.source).join(', ')}`)
  return found!
}

/** No temporary or partial file anywhere under the previews folder. */
function assertNoTemporaries(folder: string) {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
      d.isDirectory() ? walk(join(dir, d.name)) : [join(dir, d.name)],
    )
  const left = walk(folder).filter((f) => /\.tmp$/.test(f))
  assert.equal(left, [], 'no temporary files left')
}

/** The picture's top band is the sky (bright), its bottom the dark hills, its left and right alike: it is upright. */
async function assertUpright(file: string) {
  const top = await meanColour(file, { left: 0, top: 0, width: 1, height: 0.2 })
  const bottom = await meanColour(file, { left: 0, top: 0.85, width: 1, height: 0.15 })
  const left = await meanColour(file, { left: 0, top: 0, width: 0.15, height: 1 })
  const right = await meanColour(file, { left: 0.85, top: 0, width: 0.15, height: 1 })
  const lum = (c: number[]) => c[0]! + c[1]! + c[2]!
  assert.ok(
    lum(top) > lum(bottom) + 120,
    `sky on top: top ${top.map(Math.round)} bottom ${bottom.map(Math.round)}`,
  )
  assert.ok(
    Math.abs(lum(left) - lum(right)) < 90,
    `left and right alike: ${left.map(Math.round)} vs ${right.map(Math.round)}`,
  )
}

test.before(async () => {
  await cameraJpeg(join(session, 'DCIM/100CANON/IMG_0001.JPG'), { index: 1, orientation: 6 })
  await cameraJpeg(join(session, 'DCIM/100CANON/IMG_0003.JPG'), {
    index: 3,
    orientation: 1,
    width: 1200,
    height: 800,
  })
  await cameraDng(join(session, 'DCIM/100CANON/IMG_0002.DNG'), { index: 2, orientation: 6 })
  writeFileSync(join(session, 'DCIM/100CANON/IMG_0002.xmp'), '<x:xmpmeta xmlns:x="adobe:ns:meta/"/>')
  writeFileSync(join(session, 'DCIM/100CANON/MVI_0004.MP4'), Buffer.alloc(4096, 7))
  first = await makePreviews(session)
})

test('a camera JPEG: an upright sRGB preview ≤ 2048 px and a ≈400 px thumbnail, in .shutterproof/previews, named after the photo', async () => {
  const i = item(first, 'DCIM/100CANON/IMG_0001.JPG')
  assert.is(i.status, 'made')
  assert.is(i.kind, 'jpeg')
  assert.is(i.preview, join(session, '.shutterproof/previews/DCIM/100CANON/IMG_0001.JPG.jpg'))
  assert.is(i.thumbnail, join(session, '.shutterproof/previews/DCIM/100CANON/IMG_0001.JPG.thumb.jpg'))
  const p = await sharp(i.preview!).metadata()
  assert.equal(
    [p.format, p.width, p.height],
    ['jpeg', 2048, 1365],
    'stored 2000×3000 with orientation 6 → upright 3:2 landscape at 2048',
  )
  assert.equal([i.width, i.height], [2048, 1365])
  const t = await sharp(i.thumbnail!).metadata()
  assert.equal([t.width, t.height], [400, 267])
  await assertUpright(i.preview!)
  await assertUpright(i.thumbnail!)
  assert.is(p.orientation, undefined, 'no orientation tag left: the pixels are upright')
  assert.ok(readFileSync(join(session, 'DCIM/100CANON/IMG_0001.JPG')).length > 0, 'the original is untouched')
})

exifTest(
  'nothing private leaks: exiftool finds no GPS, serial, owner, artist, maker notes, XMP/IPTC location or embedded thumbnail; sRGB profile attached',
  async () => {
    const original = join(session, 'DCIM/100CANON/IMG_0001.JPG')
    const before = privateTags(original)
    for (const t of [
      'GPS:GPSLatitude',
      'ExifIFD:SerialNumber',
      'ExifIFD:LensSerialNumber',
      'ExifIFD:OwnerName',
      'IFD0:Artist',
      'IFD0:Copyright',
      'IFD1:ThumbnailImage',
      'IPTC:City',
      'XMP-iptcCore:Location',
    ]) {
      assert.ok(before.includes(t), `the fixture carries ${t} (${before.join(', ')})`)
    }
    for (const source of [
      'DCIM/100CANON/IMG_0001.JPG',
      'DCIM/100CANON/IMG_0002.DNG',
      'DCIM/100CANON/IMG_0003.JPG',
    ]) {
      const i = item(first, source)
      for (const out of [i.preview!, i.thumbnail!]) {
        assert.equal(privateTags(out), [], `${out}: ${JSON.stringify(exifTags(out))}`)
        const tags = exifTags(out)
        assert.is(tags['ICC_Profile:ProfileDescription'], 'sRGB', `${out} carries the sRGB profile`)
        assert.match(String(tags['File:Comment']), /^shutterproof-preview\/1 /)
      }
    }
  },
)

test('a DNG: its embedded preview (no demosaicing), turned upright by the RAW\u2019s orientation', async () => {
  const i = item(first, 'DCIM/100CANON/IMG_0002.DNG')
  assert.is(i.status, 'made')
  assert.is(i.kind, 'raw')
  assert.is(i.embedded, 'PreviewImage')
  const p = await sharp(i.preview!).metadata()
  assert.equal(
    [p.width, p.height],
    [2048, 1365],
    'embedded 1600×2400 stored sideways, Orientation 6 on the RAW → upright landscape',
  )
  await assertUpright(i.preview!)
})

test('sidecars and videos are skipped and listed; the report counts add up', () => {
  assert.equal(item(first, 'DCIM/100CANON/IMG_0002.xmp'), {
    source: 'DCIM/100CANON/IMG_0002.xmp',
    status: 'skipped',
    reason: 'sidecar',
  })
  assert.equal(item(first, 'DCIM/100CANON/MVI_0004.MP4'), {
    source: 'DCIM/100CANON/MVI_0004.MP4',
    status: 'skipped',
    reason: 'video',
  })
  assert.is(first.status, 'completed')
  assert.equal([first.made, first.upToDate, first.skipped, first.failed], [3, 0, 2, 0])
  assert.is(first.folder, join(session, '.shutterproof/previews'))
})

test('idempotent: a second run redoes nothing; a changed source is redone, and only it; new settings redo all', async () => {
  const p1 = item(first, 'DCIM/100CANON/IMG_0001.JPG').preview!
  const p3 = item(first, 'DCIM/100CANON/IMG_0003.JPG').preview!
  const ino = statSync(p1).ino
  const again = await makePreviews(session)
  assert.equal([again.made, again.upToDate, again.failed], [0, 3, 0])
  assert.is(statSync(p1).ino, ino, 'not rewritten')
  assert.is(item(again, 'DCIM/100CANON/IMG_0001.JPG').width, 2048, 'sizes reported from the state')
  // A changed source (new content, new time) is redone.
  const src3 = join(session, 'DCIM/100CANON/IMG_0003.JPG')
  await cameraJpeg(src3, { index: 9, orientation: 1, width: 1000, height: 800 })
  utimesSync(src3, new Date(), new Date(Date.now() + 5000))
  const changed = await makePreviews(session)
  assert.is(item(changed, 'DCIM/100CANON/IMG_0003.JPG').status, 'made')
  assert.is(item(changed, 'DCIM/100CANON/IMG_0001.JPG').status, 'up-to-date')
  assert.equal([(await sharp(p3).metadata()).width, (await sharp(p3).metadata()).height], [1000, 800])
  // A preview removed by hand is made again.
  const t1 = item(first, 'DCIM/100CANON/IMG_0001.JPG').thumbnail!
  truncateSync(t1, 10)
  assert.is(item(await makePreviews(session), 'DCIM/100CANON/IMG_0001.JPG').status, 'made')
  // Other settings: everything is redone.
  const smaller = await makePreviews(session, { longEdge: 1024 })
  assert.equal([smaller.made, smaller.upToDate], [3, 0])
  assert.is((await sharp(p1).metadata()).width, 1024)
  assertNoTemporaries(first.folder)
  await makePreviews(session) // back to the defaults for the suites below
})

exifTest("keep: ['copyright'] keeps Artist and Copyright, and nothing else", async () => {
  const s = sessionIn(root, 'keep')
  copyFileSync(join(session, 'DCIM/100CANON/IMG_0001.JPG'), join(s, 'IMG_0001.JPG'))
  const r = await makePreviews(s, { keep: ['copyright'] })
  const out = item(r, 'IMG_0001.JPG').preview!
  const tags = exifTags(out)
  assert.is(tags['IFD0:Artist'], 'Ada Lovelace')
  // EXIF text is ASCII: libvips writes © as (C).
  assert.match(String(tags['IFD0:Copyright']), /^(©|\(C\)) 2026 Ada Lovelace Studio$/)
  assert.ok(
    [undefined, 1].includes(tags['IFD0:Orientation'] as number | undefined),
    'an orientation tag, if any, says 1: the pixels are upright',
  )
  assert.equal(
    privateTags(out).filter((t) => !['IFD0:Artist', 'IFD0:Copyright', 'IFD0:Orientation'].includes(t)),
    [],
    'no GPS, serial, owner or location beside them',
  )
  assert.is(r.settings.keep[0], 'copyright')
})

test('watermark: text and image marks change the chosen corner and leave the opposite one as it was', async () => {
  const s = sessionIn(root, 'watermark')
  copyFileSync(join(session, 'DCIM/100CANON/IMG_0003.JPG'), join(s, 'IMG_0003.JPG'))
  const plain = await sharp(
    item(await makePreviews(s, { into: join(root, 'wm-plain') }), 'IMG_0003.JPG').preview!,
  )
    .raw()
    .toBuffer({ resolveWithObject: true })
  const logo = join(root, 'logo.png')
  await sharp({
    create: { width: 300, height: 120, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 1 } },
  })
    .png()
    .toFile(logo)
  for (const watermark of [
    { text: '© Ada Studio — proof', opacity: 0.8 },
    { imageFile: logo, opacity: 0.6, scale: 0.25 },
  ]) {
    const r = await makePreviews(s, {
      watermark,
      into: join(root, 'wm-' + ('text' in watermark ? 'text' : 'image')),
    })
    const marked = await sharp(item(r, 'IMG_0003.JPG').preview!).raw().toBuffer({ resolveWithObject: true })
    assert.equal([marked.info.width, marked.info.height], [plain.info.width, plain.info.height])
    const diff = (x0: number, y0: number, x1: number, y1: number) => {
      let sum = 0
      for (let y = Math.floor(y0 * marked.info.height); y < y1 * marked.info.height; y++) {
        for (let x = Math.floor(x0 * marked.info.width); x < x1 * marked.info.width; x++) {
          const o = (y * marked.info.width + x) * 3
          sum +=
            Math.abs(marked.data[o]! - plain.data[o]!) +
            Math.abs(marked.data[o + 1]! - plain.data[o + 1]!) +
            Math.abs(marked.data[o + 2]! - plain.data[o + 2]!)
        }
      }
      return sum / ((x1 - x0) * (y1 - y0) * marked.info.width * marked.info.height)
    }
    const corner = diff(0.6, 0.75, 1, 1)
    const opposite = diff(0, 0, 0.4, 0.25)
    assert.ok(corner > 10, `${JSON.stringify(watermark)}: bottom-right changed (${corner.toFixed(1)})`)
    assert.ok(opposite < 2, `${JSON.stringify(watermark)}: top-left as it was (${opposite.toFixed(2)})`)
    assert.is(r.settings.watermark, true)
  }
  const bad = await makePreviews(s, { watermark: { text: 'x', opacity: 2 } }).catch((e: unknown) => e)
  assert.is((bad as ShutterproofError).code, 'E_INVALID_ARGUMENT')
})

test('colour: a Display P3 picture is converted to sRGB with its profile (not read as if it were sRGB)', async () => {
  const s = sessionIn(root, 'colour')
  const pixels = {
    create: { width: 64, height: 64, channels: 3 as const, background: { r: 40, g: 200, b: 60 } },
  }
  // The same pixel values, once untagged (sRGB) and once tagged Display P3 (profile attached by ExifTool, pixels untouched).
  await sharp(pixels).jpeg({ quality: 100 }).toFile(join(s, 'plain.jpg'))
  copyFileSync(join(s, 'plain.jpg'), join(s, 'p3.jpg'))
  await sharp(pixels).withIccProfile('p3').jpeg().toFile(join(root, 'has-p3.jpg'))
  await fixtureExifTool().extractBinaryTag('ICC_Profile', join(root, 'has-p3.jpg'), join(root, 'p3.icc'))
  await fixtureExifTool().write(
    join(s, 'p3.jpg'),
    {},
    { writeArgs: ['-overwrite_original', `-ICC_Profile<=${join(root, 'p3.icc')}`] },
  )
  const r = await makePreviews(s)
  const p3 = await meanColour(item(r, 'p3.jpg').preview!, { left: 0.25, top: 0.25, width: 0.5, height: 0.5 })
  const plain = await meanColour(item(r, 'plain.jpg').preview!, {
    left: 0.25,
    top: 0.25,
    width: 0.5,
    height: 0.5,
  })
  assert.ok(Math.abs(plain[1] - 200) < 4, `untagged stays: ${plain}`)
  assert.ok(
    p3[0] < plain[0] - 8 && p3[1] > plain[1] + 3,
    `P3 green is more saturated than sRGB's: ${p3.map(Math.round)} vs ${plain.map(Math.round)}`,
  )
})

test('other sources: PNG with transparency, 16-bit TIFF, WebP and AVIF (HEIF) become opaque sRGB JPEG previews', async () => {
  const s = sessionIn(root, 'formats')
  const picture = () =>
    sharp({
      create: { width: 1200, height: 900, channels: 4, background: { r: 30, g: 90, b: 160, alpha: 1 } },
    })
  await picture().png().toFile(join(s, 'logo.png'))
  await sharp({
    create: { width: 600, height: 400, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
  })
    .png()
    .toFile(join(s, 'clear.png'))
  await picture().toColourspace('rgb16').tiff({ compression: 'lzw' }).toFile(join(s, 'scan.tif'))
  await picture().webp().toFile(join(s, 'web.webp'))
  await picture().avif().toFile(join(s, 'phone.avif'))
  const r = await makePreviews(s)
  assert.is(r.status, 'completed', JSON.stringify(r.items))
  for (const [source, kind] of [
    ['logo.png', 'png'],
    ['clear.png', 'png'],
    ['scan.tif', 'tiff'],
    ['web.webp', 'webp'],
    ['phone.avif', 'heif'],
  ] as const) {
    const i = item(r, source)
    assert.equal([i.status, i.kind], ['made', kind], source)
    const meta = await sharp(i.preview!).metadata()
    assert.equal([meta.format, meta.channels, meta.hasAlpha, meta.space], ['jpeg', 3, false, 'srgb'], source)
  }
  // Transparent parts are laid on white, not black.
  const white = await meanColour(item(r, 'clear.png').preview!, { left: 0, top: 0, width: 1, height: 1 })
  assert.ok(
    white.every((c) => c > 250),
    `transparent → white: ${white}`,
  )
})

test('orientation of embedded RAW previews: each EXIF orientation 1–8 turns the pixels as libvips\u2019 autoOrient does', async () => {
  const base = await sharp({ create: { width: 6, height: 4, channels: 3, background: '#000' } })
    .composite([
      { input: { create: { width: 2, height: 1, channels: 3, background: '#fff' } }, left: 0, top: 0 },
      { input: { create: { width: 1, height: 2, channels: 3, background: '#f00' } }, left: 5, top: 2 },
    ])
    .removeAlpha()
    .png()
    .toBuffer()
  for (let o = 1; o <= 8; o++) {
    // A TIFF tagged by ExifTool (sharp's withExif does not keep Orientation).
    const tagged = join(root, `orient-${o}.tif`)
    await sharp(base).tiff({ compression: 'lzw' }).toFile(tagged)
    await fixtureExifTool().write(tagged, { 'Orientation#': o } as never, {
      writeArgs: ['-overwrite_original'],
    })
    assert.is((await sharp(tagged).metadata()).orientation ?? 1, o, `the TIFF says orientation ${o}`)
    const want = await sharp(tagged).autoOrient().raw().toBuffer({ resolveWithObject: true })
    const got = await orient(sharp(base), o).raw().toBuffer({ resolveWithObject: true })
    assert.equal(
      [got.info.width, got.info.height],
      [want.info.width, want.info.height],
      `orientation ${o}: size`,
    )
    assert.ok(got.data.equals(want.data), `orientation ${o}: pixels`)
  }
})

test('bad input: truncated JPEG, RAW without a preview, zero bytes, 100 MP PNG, unknown extension → per-file codes; the good file completes; nothing half-written', async () => {
  const s = sessionIn(root, 'bad')
  copyFileSync(join(session, 'DCIM/100CANON/IMG_0003.JPG'), join(s, 'good.JPG'))
  const jpeg = readFileSync(join(session, 'DCIM/100CANON/IMG_0001.JPG'))
  writeFileSync(join(s, 'truncated.JPG'), jpeg.subarray(0, Math.floor(jpeg.length / 2)))
  // A TIFF-based "RAW" with sensor data and no embedded JPEG at all.
  await sharp({ create: { width: 64, height: 48, channels: 3, background: '#345' } })
    .tiff()
    .toFile(join(s, 'nopreview.NEF'))
  writeFileSync(join(s, 'random.CR3'), Buffer.alloc(5000, 3))
  writeFileSync(join(s, 'text.NEF'), 'not a raw file '.repeat(50))
  writeFileSync(join(s, 'zero.JPG'), '')
  await sharp({ create: { width: 10_000, height: 10_000, channels: 3, background: '#888' } })
    .png({ compressionLevel: 1 })
    .toFile(join(s, 'huge.png'))
  writeFileSync(join(s, 'notes.docx'), 'not a picture')
  const r = await makePreviews(s)
  const code = (source: string) => item(r, source).error?.code
  assert.is(item(r, 'good.JPG').status, 'made')
  assert.is(code('truncated.JPG'), 'E_CORRUPT_IMAGE')
  assert.is(code('nopreview.NEF'), 'E_NO_PREVIEW')
  assert.is(code('random.CR3'), 'E_CORRUPT_IMAGE')
  assert.is(code('text.NEF'), 'E_CORRUPT_IMAGE')
  assert.match(
    item(r, 'text.NEF').error!.message,
    /is not a RAW file \(ExifTool reads it as TXT, text\/plain\)/,
  )
  assert.is(code('zero.JPG'), 'E_CORRUPT_IMAGE')
  assert.is(code('huge.png'), 'E_IMAGE_TOO_LARGE')
  assert.is(code('notes.docx'), 'E_UNSUPPORTED_FORMAT')
  assert.match(item(r, 'huge.png').error!.message, /10000×10000.*maxPixels/)
  assert.match(item(r, 'notes.docx').error!.message, /\.docx files are not a picture format/)
  assert.is(r.status, 'completed-with-errors')
  assert.equal([r.made, r.failed], [1, 7])
  for (const f of [
    'truncated.JPG',
    'nopreview.NEF',
    'random.CR3',
    'text.NEF',
    'zero.JPG',
    'huge.png',
    'notes.docx',
  ]) {
    assert.not.ok(existsSync(join(r.folder, f + '.jpg')), `no preview for ${f}`)
    assert.is(item(r, f).preview, undefined)
  }
  assertNoTemporaries(r.folder)
  // The limit is a setting: raised, the big PNG is previewed.
  const raised = await makePreviews(s, { files: ['huge.png'], maxPixels: 120_000_000 })
  assert.is(item(raised, 'huge.png').status, 'made')
})

test('abort: rejects with E_ABORTED, leaves no temporary or half-written preview, keeps what was made; the next run finishes', async () => {
  const s = sessionIn(root, 'abort')
  for (let i = 0; i < 6; i++)
    copyFileSync(join(session, 'DCIM/100CANON/IMG_0001.JPG'), join(s, `IMG_${i}.JPG`))
  const ac = new AbortController()
  const reason = new Error('the client changed their mind')
  const err = await makePreviews(s, {
    concurrency: 1,
    signal: ac.signal,
    onProgress: () => ac.abort(reason),
  }).catch((e: unknown) => e)
  assert.instance(err, AbortError)
  assert.is((err as AbortError).code, 'E_ABORTED')
  assert.is((err as AbortError).cause, reason)
  const partial = (err as AbortError<PreviewsReport>).partial!
  assert.is(partial.status, 'aborted')
  assert.ok(partial.made >= 1 && partial.made < 6, `the report so far: ${partial.made} made`)
  const folder = join(s, '.shutterproof/previews')
  assertNoTemporaries(folder)
  const made = readdirSync(folder).filter((f) => f.endsWith('.JPG.jpg'))
  assert.ok(made.length >= 1 && made.length < 6, `some made before the abort: ${made}`)
  for (const f of made) {
    const bytes = readFileSync(join(folder, f))
    assert.equal([bytes[bytes.length - 2], bytes[bytes.length - 1]], [0xff, 0xd9], `${f} is whole`)
  }
  assert.is(made.length, partial.made, 'the partial report lists what is on disk')
  const rest = await makePreviews(s)
  assert.equal([rest.upToDate, rest.made], [made.length, 6 - made.length])
  const early = await makePreviews(s, { signal: AbortSignal.abort() }).catch((e: unknown) => e)
  assert.is((early as ShutterproofError).code, 'E_ABORTED')
})

test('progress: the one shape (phase write), counts sources and bytes, names the file just done, never goes backwards, ends with everything done', async () => {
  const events: PreviewProgress[] = []
  await makePreviews(session, { concurrency: 1, onProgress: (p) => events.push(p) })
  assert.ok(events.length >= 1)
  const last = events[events.length - 1]!
  assert.is(last.files, last.filesTotal)
  assert.is(last.bytes, last.bytesTotal)
  assert.is(last.filesTotal, 5)
  for (const p of events) assert.is(p.phase, 'write')
  for (let i = 1; i < events.length; i++)
    assert.ok(events[i]!.files >= events[i - 1]!.files && events[i]!.bytes >= events[i - 1]!.bytes)
  assert.is(
    events[0]!.currentFile,
    'DCIM/100CANON/IMG_0001.JPG',
    'the first source done, by its path in the session',
  )
})

test('a throwing onProgress stops the run with E_CALLBACK (cause: what it threw), called once, nothing half-written', async () => {
  const s = sessionIn(root, 'callback')
  for (let i = 0; i < 4; i++)
    copyFileSync(join(session, 'DCIM/100CANON/IMG_0003.JPG'), join(s, `IMG_${i}.JPG`))
  const boom = new Error('boom')
  let calls = 0
  const err = await makePreviews(s, {
    concurrency: 1,
    onProgress: () => {
      calls++
      throw boom
    },
  }).catch((e: unknown) => e)
  assert.instance(err, CallbackError)
  assert.is((err as CallbackError).code, 'E_CALLBACK')
  assert.is((err as CallbackError).cause, boom)
  assert.is((err as CallbackError).callback, 'onProgress')
  assert.is(calls, 1)
  assertNoTemporaries(join(s, '.shutterproof/previews'))
})

test('files: only the named sources; one missing is a per-file ENOENT; a path outside the session is refused', async () => {
  const r = await makePreviews(session, {
    files: ['DCIM/100CANON/IMG_0003.JPG', join(session, 'DCIM/100CANON/missing.JPG')],
  })
  assert.equal(
    r.items.map((i) => [i.source, i.status]),
    [
      ['DCIM/100CANON/IMG_0003.JPG', 'up-to-date'],
      ['DCIM/100CANON/missing.JPG', 'failed'],
    ],
  )
  assert.is(item(r, 'DCIM/100CANON/missing.JPG').error!.code, 'ENOENT')
  const outside = await makePreviews(session, { files: [join(root, 'logo.png')] }).catch((e: unknown) => e)
  assert.is((outside as ShutterproofError).code, 'E_INVALID_ARGUMENT')
})

test('parallel over the cores: one picture per core by default; with concurrency 3 three are decoded at once, with 1 only one picture (its two encodes) at a time', async () => {
  assert.is(first.settings.concurrency, availableParallelism())
  const s = sessionIn(root, 'parallel')
  for (let i = 0; i < 3; i++)
    copyFileSync(join(session, 'DCIM/100CANON/IMG_0001.JPG'), join(s, `IMG_${i}.JPG`))
  /** The most libvips tasks running at one moment during `run` (sharp's own counters). */
  const peakTasks = async (run: () => Promise<PreviewsReport>) => {
    let peak = 0
    const timer = setInterval(() => (peak = Math.max(peak, sharp.counters().process)), 1)
    try {
      assert.is((await run()).made, 3)
    } finally {
      clearInterval(timer)
    }
    return peak
  }
  const three = await peakTasks(() => makePreviews(s, { concurrency: 3, into: join(root, 'parallel-3') }))
  const one = await peakTasks(() => makePreviews(s, { concurrency: 1, into: join(root, 'parallel-1') }))
  assert.ok(three >= 3, `concurrency 3: ${three} libvips tasks at once`)
  assert.ok(one <= 2, `concurrency 1: ${one} libvips tasks at once`)
})

test('never overwrites an original: into the session itself is refused; a photo whose preview name is taken by a file that is not a preview fails with E_EXISTS, the file untouched', async () => {
  const s = sessionIn(root, 'no-overwrite')
  copyFileSync(join(session, 'DCIM/100CANON/IMG_0003.JPG'), join(s, 'a.JPG'))
  copyFileSync(join(session, 'DCIM/100CANON/IMG_0003.JPG'), join(s, 'b.JPG'))
  // An original that sits where a.JPG's preview would go when previews are put into "picked/".
  mkdirSync(join(s, 'picked'))
  copyFileSync(join(session, 'DCIM/100CANON/IMG_0001.JPG'), join(s, 'picked/a.JPG.jpg'))
  const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex')
  const before = Object.fromEntries(['a.JPG', 'b.JPG', 'picked/a.JPG.jpg'].map((f) => [f, sha(join(s, f))]))
  const inside = await makePreviews(s, { into: s }).catch((e: unknown) => e)
  assert.is((inside as ShutterproofError).code, 'E_INVALID_ARGUMENT')
  assert.match((inside as Error).message, /must not be the session folder/)
  for (let run = 0; run < 2; run++) {
    const r = await makePreviews(s, { into: 'picked' })
    assert.is(item(r, 'a.JPG').error?.code, 'E_EXISTS', JSON.stringify(item(r, 'a.JPG')))
    assert.match(
      item(r, 'a.JPG').error!.message,
      /picked\/a\.JPG\.jpg already exists and is not a preview Shutterproof made/,
    )
    assert.is(item(r, 'b.JPG').status, run === 0 ? 'made' : 'up-to-date')
    assert.is(r.status, 'completed-with-errors')
    assertNoTemporaries(join(s, 'picked'))
  }
  for (const [f, h] of Object.entries(before)) assert.is(sha(join(s, f)), h, `${f} untouched`)
  assert.not.ok(existsSync(join(s, 'picked/a.JPG.thumb.jpg')), 'no thumbnail left for the refused photo')
})

const vectors = vectorsDir()
if (!vectors)
  console.warn(
    '\n!!! SKIPPED: ../shared/vectors is absent: previews of real camera files (CR2, CR3, NEF, DNG, RW2, RAF, HEIC, TIFF, GPS JPEG) are not checked\n',
  )
;(vectors && exiftoolOk ? test : test.skip)(
  'real camera files (ExifTool test images): RAW previews found or a coded error, GPS stripped, HEIC says whether this build decodes it',
  async () => {
    const images = join(vectors!, 'images')
    const s = sessionIn(root, 'vectors')
    for (const f of readdirSync(images).filter((f) => !f.startsWith('LICENSE')))
      copyFileSync(join(images, f), join(s, f))
    // Give CR2, NEF and DNG a real embedded JPEG (their own are placeholders), as the vectors' README says.
    const real = join(root, 'real-preview.jpg')
    await sharp({ create: { width: 1600, height: 1068, channels: 3, background: '#3a6ea5' } })
      .jpeg()
      .toFile(real)
    for (const f of ['CanonRaw.cr2', 'Nikon.nef', 'DNG.dng']) {
      await fixtureExifTool().write(
        join(s, f),
        {},
        { writeArgs: ['-overwrite_original', '-m', `-PreviewImage<=${real}`, `-JpgFromRaw<=${real}`] },
      )
    }
    const r = await makePreviews(s)
    for (const f of ['CanonRaw.cr2', 'Nikon.nef', 'DNG.dng']) {
      const i = item(r, f)
      assert.is(i.status, 'made', `${f}: ${JSON.stringify(i)}`)
      assert.equal([i.width, i.height], [1600, 1068], f)
    }
    for (const f of ['FujiFilm.raf', 'Panasonic.rw2'])
      assert.is(item(r, f).status, 'made', `${f}: ${JSON.stringify(item(r, f))}`)
    assert.is(
      item(r, 'CanonRaw.cr3').error?.code,
      'E_NO_PREVIEW',
      'CR3 previews of the stripped sample are placeholders',
    )
    const heic = item(r, 'QuickTime.heic')
    assert.ok(
      heic.status === 'made' ||
        heic.error?.code === 'E_UNSUPPORTED_FORMAT' ||
        heic.error?.code === 'E_CORRUPT_IMAGE',
      JSON.stringify(heic),
    )
    assert.is(item(r, 'PNG.png').status, 'made')
    assert.is(item(r, 'ExifTool.tif').status, 'made', JSON.stringify(item(r, 'ExifTool.tif')))
    const gps = item(r, 'GPS.jpg')
    assert.ok(
      Object.keys(exifTags(join(s, 'GPS.jpg'))).some((k) => k.startsWith('GPS:')),
      'the sample has GPS',
    )
    assert.equal(privateTags(gps.preview!), [])
    for (const i of r.items.filter((x) => x.status === 'made'))
      assert.equal(privateTags(i.preview!), [], i.source)
  },
)

test.after(async () => {
  await endFixtureExifTool()
})

test.run()
