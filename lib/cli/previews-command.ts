/**
 * `shutterproof previews SESSION`: client previews (downscaled, stripped, optionally
 * watermarked JPEGs and thumbnails) of a session's pictures and RAW files.
 * @module
 */
import { resolve } from 'node:path'

import type { Command } from 'commander'

import {
  makePreviews,
  type MakePreviewsOptions,
  type PreviewProgress,
  type PreviewsReport,
} from '../previews/index'
import type { WatermarkOptions, WatermarkPosition } from '../previews/watermark'
import type { CliContext } from './context'
import { exitForItems } from './exit-codes'

interface PreviewsCliOptions {
  longEdge?: string
  thumbnailEdge?: string
  quality?: string
  watermark?: string
  watermarkImage?: string
  watermarkOpacity?: string
  watermarkPosition?: string
  watermarkScale?: string
  keep?: string[]
  into?: string
  maxMegapixels?: string
  concurrency?: string
  json?: boolean
  quiet?: boolean
}

/** A whole number option, or a usage error naming it. */
function wholeOption(ctx: CliContext, value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n < 1) ctx.usageError(`${name} must be a whole number, not ${value}`)
  return n
}

function numberOption(ctx: CliContext, value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isFinite(n)) ctx.usageError(`${name} must be a number, not ${value}`)
  return n
}

/** The command line as {@link MakePreviewsOptions} (checked further by makePreviews itself). */
export function previewOptionsFrom(ctx: CliContext, opts: PreviewsCliOptions): MakePreviewsOptions {
  if (opts.watermark !== undefined && opts.watermarkImage !== undefined)
    ctx.usageError('give --watermark TEXT or --watermark-image FILE, not both')
  for (const k of opts.keep ?? [])
    if (k !== 'copyright') ctx.usageError(`--keep takes 'copyright' (Artist and Copyright only), not ${k}`)
  const out: MakePreviewsOptions = {}
  const longEdge = wholeOption(ctx, opts.longEdge, '--long-edge')
  const thumbnailEdge = wholeOption(ctx, opts.thumbnailEdge, '--thumbnail-edge')
  const quality = wholeOption(ctx, opts.quality, '--quality')
  const megapixels = numberOption(ctx, opts.maxMegapixels, '--max-megapixels')
  const concurrency = wholeOption(ctx, opts.concurrency, '--concurrency')
  if (longEdge !== undefined) out.longEdge = longEdge
  if (thumbnailEdge !== undefined) out.thumbnailEdge = thumbnailEdge
  if (quality !== undefined) out.quality = quality
  if (megapixels !== undefined) out.maxPixels = Math.round(megapixels * 1e6)
  if (concurrency !== undefined) out.concurrency = concurrency
  if (opts.keep?.length) out.keep = ['copyright']
  // A path on the command line is relative to where the command runs, as every other one is.
  if (opts.into !== undefined) out.into = resolve(opts.into)
  if (opts.watermark !== undefined || opts.watermarkImage !== undefined) {
    const mark: WatermarkOptions =
      opts.watermark !== undefined ? { text: opts.watermark } : { imageFile: opts.watermarkImage! }
    const opacity = numberOption(ctx, opts.watermarkOpacity, '--watermark-opacity')
    const scale = numberOption(ctx, opts.watermarkScale, '--watermark-scale')
    if (opacity !== undefined) mark.opacity = opacity
    if (scale !== undefined) mark.scale = scale
    if (opts.watermarkPosition !== undefined) mark.position = opts.watermarkPosition as WatermarkPosition
    out.watermark = mark
  } else if (opts.watermarkOpacity ?? opts.watermarkPosition ?? opts.watermarkScale) {
    ctx.usageError(
      '--watermark-opacity, --watermark-position and --watermark-scale need --watermark TEXT or --watermark-image FILE',
    )
  }
  return out
}

/** Adds the preview options to a command (also used by `share create`). */
export function withPreviewOptions(cmd: Command): Command {
  return cmd
    .option('--long-edge <px>', 'longest side of a preview (default 2048)')
    .option('--thumbnail-edge <px>', 'longest side of a thumbnail (default 400)')
    .option('--quality <1-100>', 'JPEG quality (default 82)')
    .option('--watermark <text>', 'draw this text on every preview')
    .option('--watermark-image <file>', 'draw this image (a PNG logo) on every preview')
    .option('--watermark-opacity <0-1>', 'watermark opacity (default 0.4)')
    .option(
      '--watermark-position <where>',
      'center | top-left | top-right | bottom-left | bottom-right | tile (default bottom-right)',
    )
    .option('--watermark-scale <0.05-1>', "watermark width as a share of the preview's (default 0.3)")
    .option(
      '--keep <what>',
      "keep 'copyright' (Artist and Copyright); nothing else is ever kept",
      (v: string, all: string[] = []) => [...all, v],
    )
    .option(
      '--max-megapixels <n>',
      'refuse pictures over this size, a guard against decompression bombs (default 80)',
    )
}

function progressReporter(ctx: CliContext, quiet: boolean): (p: PreviewProgress) => void {
  if (quiet) return () => {}
  let last = 0
  return (p) => {
    const now = Date.now()
    if (now - last < (process.stderr.isTTY ? 250 : 2000) && p.files < p.filesTotal) return
    last = now
    const line = `previews: ${p.files}/${p.filesTotal} files (${(p.bytes / 1e6).toFixed(1)} of ${(p.bytesTotal / 1e6).toFixed(1)} MB)`
    ctx.stderr(process.stderr.isTTY ? `\r${line}${p.files === p.filesTotal ? '\n' : ''}` : `${line}\n`)
  }
}

/** What to do about a per-file code, the command line's way (library messages name the API's option). */
const PER_FILE_HINTS: Partial<Record<string, string>> = {
  E_IMAGE_TOO_LARGE: 'if you trust the file: --max-megapixels N',
  E_EXISTS: 'give --into a folder of its own, or leave it out (SESSION/.shutterproof/previews)',
}

/** The human summary: counts, then every failure and the skipped files by reason. */
export function previewsSummary(r: PreviewsReport): string {
  const lines = [
    `${r.session}: ${r.status}; ${r.made} made, ${r.upToDate} up to date, ${r.skipped} skipped, ${r.failed} failed`,
    `  previews in ${r.folder}`,
  ]
  for (const i of r.items) {
    if (i.status !== 'failed') continue
    lines.push(`  FAILED ${i.source}: ${i.error!.code}: ${i.error!.message}`)
    const hint = PER_FILE_HINTS[i.error!.code]
    if (hint) lines.push(`    ${hint}`)
  }
  const skipped = new Map<string, number>()
  for (const i of r.items)
    if (i.status === 'skipped') skipped.set(i.reason!, (skipped.get(i.reason!) ?? 0) + 1)
  if (skipped.size > 0)
    lines.push(
      `  skipped: ${[...skipped].map(([reason, n]) => `${n} ${reason}`).join(', ')} (no preview on purpose)`,
    )
  return lines.join('\n') + '\n'
}

export function registerPreviews(program: Command, ctx: CliContext): void {
  withPreviewOptions(
    program
      .command('previews')
      .description(
        'Make client previews of a session: downscaled sRGB JPEGs and thumbnails without private metadata, optionally watermarked',
      )
      .argument('<session>', 'the session folder'),
  )
    .option(
      '--into <dir>',
      'where previews go (default SESSION/.shutterproof/previews; shares serve only that folder)',
    )
    .option('--concurrency <n>', 'pictures at once (default: the number of cores)')
    .option('--json', 'print the report as one JSON document on stdout')
    .option('--quiet', 'no progress output')
    .addHelpText(
      'after',
      '\nRAW files give their largest embedded JPEG. GPS, serial numbers, owner, maker notes, XMP/IPTC and\nembedded thumbnails are never copied. A preview up to date with its photo is not made again.\n\nExit codes: 0 completed, 3 some files failed (each is listed), 130 aborted (Ctrl-C), 2 usage.\n\nExamples:\n  shutterproof previews /Volumes/SSD1/2026-04-26_Ada_Wedding\n  shutterproof previews ~/Photos/2026-04-26_Smith --long-edge 1600 --watermark "© Ada Studio — proof" --json',
    )
    .action(async (session: string, opts: PreviewsCliOptions) => {
      const options = previewOptionsFrom(ctx, opts)
      const r = await makePreviews(session, {
        ...options,
        signal: ctx.signal,
        onProgress: progressReporter(ctx, opts.quiet === true || opts.json === true),
      })
      if (opts.json) ctx.stdout(JSON.stringify(r, null, 2) + '\n')
      else if (!opts.quiet || r.failed > 0) ctx.stdout(previewsSummary(r))
      ctx.exitCode = exitForItems(r.items.flatMap((i) => (i.error ? [i.error] : [])))
    })
}
