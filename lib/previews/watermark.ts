/**
 * Watermarks: a line of text (drawn as SVG by libvips with the system's fonts) or an
 * image (a PNG logo, say), scaled to a share of the preview's width, at a corner, the
 * centre, or tiled, with an opacity. Resolved once per run; drawn per preview.
 * @module
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'

import type sharp from 'sharp'

import { InvalidArgumentError } from '../errors'
import { escapeHtml } from '../text/html'
import { vips } from './libs'

/** Where a watermark goes on the preview. */
export type WatermarkPosition = 'center' | 'top-left' | 'top-right' | 'bottom-left' | 'bottom-right' | 'tile'

/** A watermark on every preview and thumbnail: `text` or `imageFile`. */
export interface WatermarkOptions {
  /** A line of text, e.g. `'© Ada Studio — proof'`. */
  text?: string
  /** An image file (PNG with transparency works best), drawn instead of text. */
  imageFile?: string
  /** 0 (invisible) to 1 (opaque); default 0.4. */
  opacity?: number
  /** Default `'bottom-right'`. */
  position?: WatermarkPosition
  /** The watermark's width as a share of the preview's width, 0.05 to 1; default 0.3. */
  scale?: number
}

/** A watermark checked and loaded, ready to draw on any size of picture. */
export interface ResolvedWatermark {
  text?: string
  image?: Buffer
  opacity: number
  position: WatermarkPosition
  scale: number
  /** Identifies this watermark in the settings that decide whether a preview is up to date. */
  key: string
}

const POSITIONS: readonly WatermarkPosition[] = [
  'center',
  'top-left',
  'top-right',
  'bottom-left',
  'bottom-right',
  'tile',
]

/** Checks the options and loads the image, once per run. */
export async function resolveWatermark(
  options: WatermarkOptions | undefined,
): Promise<ResolvedWatermark | undefined> {
  if (options === undefined) return undefined
  const { text, imageFile } = options
  if ((text === undefined) === (imageFile === undefined))
    throw new InvalidArgumentError('A watermark needs exactly one of text or imageFile')
  if (text !== undefined && (typeof text !== 'string' || text.trim() === '' || text.length > 200)) {
    throw new InvalidArgumentError('watermark.text must be 1 to 200 characters')
  }
  const opacity = options.opacity ?? 0.4
  if (typeof opacity !== 'number' || !(opacity >= 0 && opacity <= 1))
    throw new InvalidArgumentError(`watermark.opacity must be between 0 and 1, not ${String(opacity)}`)
  const position = options.position ?? 'bottom-right'
  if (!POSITIONS.includes(position))
    throw new InvalidArgumentError(
      `watermark.position must be one of ${POSITIONS.join(', ')}, not ${String(position)}`,
    )
  const scale = options.scale ?? 0.3
  if (typeof scale !== 'number' || !(scale >= 0.05 && scale <= 1))
    throw new InvalidArgumentError(`watermark.scale must be between 0.05 and 1, not ${String(scale)}`)
  let image: Buffer | undefined
  if (imageFile !== undefined) {
    try {
      image = await readFile(imageFile)
      await vips()(image).metadata()
    } catch (err) {
      throw new InvalidArgumentError(
        `The watermark image ${imageFile} could not be read as an image (${(err as Error).message}); give a PNG or JPEG file`,
      )
    }
  }
  const what = image ? 'image:' + createHash('sha256').update(image).digest('hex') : 'text:' + text
  const resolved: ResolvedWatermark = {
    opacity,
    position,
    scale,
    key: `${what}|${opacity}|${position}|${scale}`,
  }
  if (text !== undefined) resolved.text = text
  if (image) resolved.image = image
  return resolved
}

/** The watermark as a composite layer for a picture of `width` × `height`. */
export async function watermarkLayer(
  mark: ResolvedWatermark,
  width: number,
  height: number,
): Promise<sharp.OverlayOptions> {
  const markWidth = Math.max(8, Math.min(width, Math.round(width * mark.scale)))
  const overlay = mark.image
    ? await imageMark(mark.image, markWidth, height, mark.opacity)
    : textMark(mark.text!, markWidth, height, mark.opacity)
  const { width: w, height: h } = await vips()(overlay).metadata()
  if (mark.position === 'tile') return { input: overlay, tile: true, left: 0, top: 0 }
  const margin = Math.round(Math.min(width, height) * 0.03)
  const x = { left: margin, center: Math.round((width - w) / 2), right: width - w - margin }
  const y = { top: margin, center: Math.round((height - h) / 2), bottom: height - h - margin }
  const [vertical, horizontal] =
    mark.position === 'center'
      ? ['center', 'center']
      : (mark.position.split('-') as ['top' | 'bottom', 'left' | 'right'])
  return {
    input: overlay,
    left: Math.max(0, x[horizontal as keyof typeof x]),
    top: Math.max(0, y[vertical as keyof typeof y]),
  }
}

/** White text with a dark outline, so it reads on light and dark pictures alike. */
function textMark(text: string, markWidth: number, height: number, opacity: number): Buffer {
  // About 0.6 em per character for a bold sans-serif; no taller than a fifth of the picture.
  const fontSize = Math.max(6, Math.min(markWidth / (0.62 * Math.max(1, [...text].length)), height / 5))
  const h = Math.min(height, Math.ceil(fontSize * 1.5))
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${markWidth}" height="${h}">` +
    `<text x="50%" y="50%" text-anchor="middle" dominant-baseline="central" font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif" font-weight="bold" ` +
    `font-size="${fontSize.toFixed(1)}" fill="#ffffff" fill-opacity="${opacity}" stroke="#000000" stroke-opacity="${(opacity * 0.6).toFixed(3)}" stroke-width="${Math.max(1, fontSize / 24).toFixed(1)}">` +
    `${escapeHtml(text)}</text></svg>`
  return Buffer.from(svg)
}

async function imageMark(image: Buffer, markWidth: number, height: number, opacity: number): Promise<Buffer> {
  return vips()(image)
    .resize({ width: markWidth, height: Math.max(1, Math.round(height * 0.9)), fit: 'inside' })
    .ensureAlpha()
    .linear([1, 1, 1, opacity], [0, 0, 0, 0])
    .png()
    .toBuffer()
}
