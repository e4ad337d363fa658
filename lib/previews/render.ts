/**
 * One picture → a preview and a thumbnail, with libvips (sharp) on libuv's worker threads:
 * decoded (JPEG shrink-on-load where possible), turned upright (EXIF orientation, or the
 * RAW's own for an embedded preview), alpha flattened onto white, converted to sRGB with
 * the source's ICC profile, downscaled, watermarked, then encoded as baseline JPEG with
 * the sRGB profile attached (see icc.ts) and nothing else: no EXIF (so no GPS, serial numbers, owner
 * or maker notes), no XMP or IPTC, no embedded thumbnail, unless `copyright` asks for
 * Artist and Copyright. Both outputs carry the preview mark (see mark.ts).
 * @module
 */
import type sharp from 'sharp'

import { PreviewError } from '../errors'
import { vips } from './libs'
import { srgbProfileSegment } from './icc'
import { withPreviewMark } from './mark'
import { watermarkLayer, type ResolvedWatermark } from './watermark'

/** What every preview of a run is made with. */
export interface RenderSettings {
  longEdge: number
  thumbnailEdge: number
  quality: number
  maxPixels: number
  watermark?: ResolvedWatermark
}

/** Owner tags kept on request (`keep: ['copyright']`). */
export interface KeptTags {
  artist?: string
  copyright?: string
}

/** The encoded outputs of one picture. */
export interface Rendered {
  preview: Buffer
  thumbnail: Buffer
  width: number
  height: number
  thumbnailWidth: number
  thumbnailHeight: number
}

/** A picture to render: a file, or the bytes of a RAW's embedded JPEG with the RAW's orientation. */
export type RenderInput = { file: string } | { jpeg: Buffer; orientation: number }

/**
 * Renders `input` into a marked preview and thumbnail, or throws a {@link PreviewError}
 * (`E_CORRUPT_IMAGE`, `E_UNSUPPORTED_FORMAT`, `E_IMAGE_TOO_LARGE`) naming `path`.
 */
export async function render(
  input: RenderInput,
  settings: RenderSettings,
  path: string,
  kept?: KeptTags,
): Promise<Rendered> {
  const source = 'file' in input ? input.file : input.jpeg
  const open = () =>
    vips()(source, {
      limitInputPixels: false,
      failOn: 'warning',
      sequentialRead: true,
      autoOrient: 'file' in input,
    })
  let pixels: { data: Buffer; info: sharp.OutputInfo }
  try {
    const meta = await open().metadata()
    const megapixels = ((meta.width ?? 0) * (meta.height ?? 0)) / 1e6
    if (megapixels * 1e6 > settings.maxPixels) {
      throw new PreviewError(
        'E_IMAGE_TOO_LARGE',
        `${path} is ${meta.width}×${meta.height} (${megapixels.toFixed(0)} MP), over the limit of ${(settings.maxPixels / 1e6).toFixed(0)} MP that guards against decompression bombs; if you trust the file, raise the maxPixels option`,
        { path },
      )
    }
    let img = open()
    if ('jpeg' in input) img = orient(img, input.orientation)
    pixels = await img
      .flatten({ background: '#ffffff' })
      .resize({
        width: settings.longEdge,
        height: settings.longEdge,
        fit: 'inside',
        withoutEnlargement: true,
      })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true })
  } catch (err) {
    throw imageError(err, path)
  }
  const { width, height, channels } = pixels.info
  let base = vips()(pixels.data, { raw: { width, height, channels } })
  if (settings.watermark) {
    const layer = await watermarkLayer(settings.watermark, width, height)
    const marked = await base.composite([layer]).raw().toBuffer({ resolveWithObject: true })
    base = vips()(marked.data, { raw: { width, height, channels: marked.info.channels } })
  }
  const encode = (img: sharp.Sharp) => {
    let out = img
    if (kept && (kept.artist || kept.copyright)) {
      out = out.withExif({
        IFD0: {
          ...(kept.artist ? { Artist: kept.artist } : {}),
          ...(kept.copyright ? { Copyright: kept.copyright } : {}),
        },
      })
    }
    return out
      .jpeg({ quality: settings.quality, chromaSubsampling: '4:2:0' })
      .toBuffer({ resolveWithObject: true })
  }
  const icc = await srgbProfileSegment()
  const [preview, thumbnail] = await Promise.all([
    encode(base.clone()),
    encode(
      base.clone().resize({
        width: settings.thumbnailEdge,
        height: settings.thumbnailEdge,
        fit: 'inside',
        withoutEnlargement: true,
      }),
    ),
  ])
  return {
    preview: withPreviewMark(preview.data, icc),
    thumbnail: withPreviewMark(thumbnail.data, icc),
    width: preview.info.width,
    height: preview.info.height,
    thumbnailWidth: thumbnail.info.width,
    thumbnailHeight: thumbnail.info.height,
  }
}

/**
 * Applies an EXIF orientation (1–8) to the pixels, for embedded RAW previews that carry
 * none of their own. sharp mirrors (flop) before it rotates, whatever the call order.
 */
export function orient(img: sharp.Sharp, orientation: number): sharp.Sharp {
  switch (orientation) {
    case 2:
      return img.flop()
    case 3:
      return img.rotate(180)
    case 4:
      return img.flip()
    case 5:
      return img.rotate(270).flop()
    case 6:
      return img.rotate(90)
    case 7:
      return img.rotate(90).flop()
    case 8:
      return img.rotate(270)
    default:
      return img
  }
}

/** A libvips failure as the per-file error a person can act on. */
function imageError(err: unknown, path: string): PreviewError {
  if (err instanceof PreviewError) return err
  // libvips stacks its log lines before the reason; the last line is the one that says why.
  const message =
    String((err as Error)?.message ?? err)
      .split('\n')
      .filter((l) => l.trim() !== '')
      .pop() ?? 'unknown error'
  if (
    /compression format has not been built in|not built with|unsupported codec|No decoding plugin|heif: .*(unsupported|not supported)/i.test(
      message,
    )
  ) {
    return new PreviewError(
      'E_UNSUPPORTED_FORMAT',
      `${path} uses an image coding this machine's image library (libvips in sharp) cannot decode (${message}); export it as JPEG or TIFF first`,
      { path, cause: err },
    )
  }
  if (/pixel limit/i.test(message)) {
    return new PreviewError(
      'E_IMAGE_TOO_LARGE',
      `${path} is over the pixel limit (${message}); raise maxPixels if you trust the file`,
      { path, cause: err },
    )
  }
  return new PreviewError(
    'E_CORRUPT_IMAGE',
    `${path} could not be decoded as an image (${message}); the file may be truncated or damaged — copy it again from the card or a backup`,
    { path, cause: err },
  )
}
