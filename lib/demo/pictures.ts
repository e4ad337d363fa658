/**
 * Real pictures for the demo, the tests and the benchmark, made on the spot: a landscape
 * scene drawn as SVG by sharp with film-like grain, saved as a camera would save it
 * (pixels stored sideways with an EXIF orientation, GPS position, body and lens serial
 * numbers, owner, maker notes-like private tags, an embedded EXIF thumbnail), as JPEG or
 * as a DNG with an embedded preview. ExifTool writes the metadata.
 * @internal
 * @module
 */
import { rm, writeFile } from 'node:fs/promises'

import type { ExifTool, WriteTags } from 'exiftool-vendored'
import sharp from 'sharp'

import { encodeDng } from './dng'

/** Private metadata a camera writes, which must never reach a client through a preview. */
export const PRIVATE_TAGS = {
  GPSLatitude: 48.85837,
  GPSLatitudeRef: 'N',
  GPSLongitude: 2.294481,
  GPSLongitudeRef: 'E',
  GPSAltitude: 35,
  SerialNumber: 'SP-BODY-0042917',
  LensSerialNumber: 'SP-LENS-7731',
  OwnerName: 'Ada Lovelace Studio',
  Artist: 'Ada Lovelace',
  Copyright: '© 2026 Ada Lovelace Studio',
  Make: 'Shutterproof',
  Model: 'Demo Camera DX',
  'XMP-iptcCore:Location': 'Rue de la Paix 7',
  'XMP-photoshop:City': 'Paris',
  'XMP-iptcExt:LocationShownCity': 'Paris',
  'IPTC:City': 'Paris',
  'IPTC:Sub-location': 'Tour Eiffel',
} as const

/** An upright picture as raw RGB pixels. */
export interface Scene {
  data: Buffer
  width: number
  height: number
}

/** The upright scene `index` (colours vary by index) as raw RGB pixels. */
export async function scene(index: number, width: number, height: number): Promise<Scene> {
  // Skies from blue to dusk, hills from green to teal: different enough to tell photos apart.
  const hue = 195 + ((index * 23) % 60)
  const land = 85 + ((index * 37) % 70)
  const sun = {
    x: width * (0.2 + ((index * 0.13) % 0.6)),
    y: height * 0.3,
    r: Math.min(width, height) * 0.08,
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
<defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="hsl(${hue},65%,42%)"/><stop offset="1" stop-color="hsl(${(hue + 150) % 360},75%,82%)"/></linearGradient></defs>
<rect width="100%" height="100%" fill="url(#sky)"/>
<circle cx="${sun.x}" cy="${sun.y}" r="${sun.r}" fill="#fff6c0"/>
<path d="M0 ${height * 0.62} Q ${width * 0.25} ${height * 0.45} ${width * 0.5} ${height * 0.6} T ${width} ${height * 0.55} V ${height} H 0 Z" fill="hsl(${land},40%,34%)"/>
<path d="M0 ${height * 0.8} Q ${width * 0.4} ${height * 0.68} ${width} ${height * 0.78} V ${height} H 0 Z" fill="hsl(${land + 20},35%,20%)"/>
<text x="${width * 0.04}" y="${height * 0.95}" font-family="DejaVu Sans, sans-serif" font-size="${height * 0.06}" fill="#ffffff" fill-opacity="0.85">IMG_${String(index).padStart(4, '0')}</text>
</svg>`
  const grain = await sharp({
    create: {
      width: 256,
      height: 256,
      channels: 3,
      background: '#808080',
      noise: { type: 'gaussian', mean: 128, sigma: 18 },
    },
  })
    .png()
    .toBuffer()
  const { data, info } = await sharp(Buffer.from(svg))
    .composite([{ input: grain, tile: true, blend: 'overlay' }])
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true })
  return { data, width: info.width, height: info.height }
}

/** Options of the sample writers. */
export interface SampleOptions {
  index: number
  /** The upright picture's size. */
  width: number
  height: number
  /** EXIF orientation; 6 stores the pixels turned a quarter to the left, as a camera held upright does. */
  orientation?: number
  quality?: number
  /** The scene already drawn (a RAW+JPEG pair shares one); drawn from index, width and height otherwise. */
  scene?: Scene
}

/** The stored pixels for an orientation: the upright scene turned so that applying `orientation` brings it back. */
function stored(img: sharp.Sharp, orientation: number): sharp.Sharp {
  switch (orientation) {
    case 3:
      return img.rotate(180)
    case 6:
      return img.rotate(270)
    case 8:
      return img.rotate(90)
    default:
      return img
  }
}

/** Camera metadata, with the orientation and everything private. */
async function tagFile(
  et: ExifTool,
  path: string,
  orientation: number,
  thumbnailFile?: string,
): Promise<void> {
  await et.write(
    path,
    { ...PRIVATE_TAGS, 'Orientation#': orientation, DateTimeOriginal: '2026:04:26 14:00:00' } as WriteTags,
    {
      writeArgs: ['-overwrite_original', ...(thumbnailFile ? [`-ThumbnailImage<=${thumbnailFile}`] : [])],
    },
  )
}

/** A camera-like JPEG of scene `index`, with GPS, serial numbers, owner, IPTC/XMP location and an EXIF thumbnail. */
export async function writeSampleJpeg(et: ExifTool, path: string, o: SampleOptions): Promise<void> {
  const orientation = o.orientation ?? 1
  const s = o.scene ?? (await scene(o.index, o.width, o.height))
  const raw = { raw: { width: s.width, height: s.height, channels: 3 as const } }
  await writeFile(
    path,
    await stored(sharp(s.data, raw), orientation)
      .jpeg({ quality: o.quality ?? 90 })
      .toBuffer(),
  )
  const thumb = await stored(sharp(s.data, raw), orientation)
    .resize(160, 160, { fit: 'inside' })
    .jpeg({ quality: 70 })
    .toBuffer()
  const thumbFile = `${path}.exif-thumb.tmp`
  await writeFile(thumbFile, thumb)
  try {
    await tagFile(et, path, orientation, thumbFile)
  } finally {
    await rm(thumbFile, { force: true })
  }
}

/**
 * A DNG of scene `index`: a 12-bit RGGB mosaic of `mosaicWidth` × `mosaicHeight` photosites
 * (upright; 2 bytes each on disk) and an embedded preview of the upright picture's size.
 */
export async function writeSampleDng(
  et: ExifTool,
  path: string,
  o: SampleOptions & { mosaicWidth: number; mosaicHeight: number; previewLongEdge?: number },
): Promise<void> {
  const orientation = o.orientation ?? 1
  const s = o.scene ?? (await scene(o.index, o.width, o.height))
  const raw = { raw: { width: s.width, height: s.height, channels: 3 as const } }
  // The camera stores the preview as it stores the sensor: sideways, orientation in the tag.
  const edge = o.previewLongEdge ?? Math.max(s.width, s.height)
  const preview = await stored(sharp(s.data, raw), orientation)
    .resize(edge, edge, { fit: 'inside', withoutEnlargement: true })
    .jpeg({ quality: o.quality ?? 88 })
    .toBuffer({ resolveWithObject: true })
  const sideways = orientation >= 5
  const [mw, mh] = sideways ? [o.mosaicHeight, o.mosaicWidth] : [o.mosaicWidth, o.mosaicHeight]
  // Each 2×2 RGGB block of photosites sees one pixel of the scene at half the mosaic's size.
  const sensor = await stored(sharp(s.data, raw), orientation)
    .resize(Math.ceil(mw / 2), Math.ceil(mh / 2), { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true })
  const sw = sensor.info.width
  const mosaic = new Uint16Array(mw * mh)
  for (let y = 0; y < mh; y++) {
    const row = (y >> 1) * sw * 3
    // RGGB: even rows R G R G…, odd rows G B G B…; 8 → 12 bits.
    const [even, odd] = (y & 1) === 0 ? [0, 1] : [1, 2]
    for (let x = 0, o = y * mw; x < mw; x++, o++)
      mosaic[o] = sensor.data[row + (x >> 1) * 3 + ((x & 1) === 0 ? even : odd)]! << 4
  }
  await writeFile(
    path,
    encodeDng({
      preview: preview.data,
      previewWidth: preview.info.width,
      previewHeight: preview.info.height,
      mosaic,
      width: mw,
      height: mh,
      orientation,
      make: PRIVATE_TAGS.Make,
      model: PRIVATE_TAGS.Model,
    }),
  )
  await tagFile(et, path, orientation)
}
