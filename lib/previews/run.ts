/**
 * {@link makePreviews}: every picture of a session → a preview and a thumbnail, in
 * parallel over the cores, redoing only what changed, one failing file never losing the
 * others.
 * @module
 */
import { createHash } from 'node:crypto'
import { constants } from 'node:fs'
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { realpath, stat } from 'node:fs/promises'

import {
  AbortError,
  FileSystemError,
  InvalidArgumentError,
  PreviewError,
  ShutterproofError,
  type ErrorCode,
} from '../errors'
import { CallbackGuard } from '../callbacks'
import { tempNameFor } from '../fs/durable'
import { toFsError } from '../fs/errors'
import { placeNoOverwrite } from '../delivery/place'
import { classify, RAW_EXTENSIONS } from './formats'
import { outputsFor, PREVIEWS_FOLDER } from './layout'
import { isMarkedPreview } from './mark'
import { ExifToolPool, rawContents, readOwnerTags } from './raw'
import { render, type KeptTags, type Rendered, type RenderSettings } from './render'
import { namedSources, walkSources, type MissingSource, type SourceFile } from './sources'
import { isUpToDate, readState, writeState, type PreviewState, type StateEntry } from './state'
import type { MakePreviewsOptions, PreviewItem, PreviewProgress, PreviewsReport } from './types'
import { resolveWatermark } from './watermark'

const DEFAULTS = { longEdge: 2048, thumbnailEdge: 400, quality: 82, maxPixels: 80_000_000 }
/** Progress events at most this often (the last one always comes). */
const PROGRESS_INTERVAL_MS = 50

/**
 * Makes sRGB JPEG previews (long edge 2048 px by default) and thumbnails (about 400 px)
 * of every picture in a session folder, into `SESSION/.shutterproof/previews/` (see
 * the layout module): JPEG, PNG, TIFF, WebP, HEIF/AVIF where libvips decodes them here,
 * and RAW files through their largest embedded JPEG. Orientation is applied to the
 * pixels, colour converted to sRGB, and no metadata is copied (see `keep`). A preview up
 * to date with its source is not redone. A file that cannot be previewed is listed with
 * its code (`E_NO_PREVIEW`, `E_UNSUPPORTED_FORMAT`, `E_CORRUPT_IMAGE`,
 * `E_IMAGE_TOO_LARGE`) while the others complete; sidecars, videos and camera files are
 * listed as skipped. Outputs appear under their final names only whole.
 *
 * @example
 * ```ts
 * import { makePreviews } from 'shutterproof'
 * const r = await makePreviews('/Volumes/SSD1/2026-04-26_Ada_Wedding', {
 *   longEdge: 2048,
 *   watermark: { text: '© Ada Studio — proof', opacity: 0.4, position: 'bottom-right' },
 *   signal, onProgress: ({ files, filesTotal }) => console.log(files, '/', filesTotal),
 * })
 * for (const item of r.items) if (item.status === 'failed') console.warn(item.source, item.error!.code)
 * ```
 */
export async function makePreviews(
  session: string,
  options: MakePreviewsOptions = {},
): Promise<PreviewsReport> {
  const started = performance.now()
  // The abort contract and the one callback guard (lib/callbacks.ts): a throwing onProgress
  // stops the run like an abort and it rejects with E_CALLBACK.
  const guard = new CallbackGuard(options.signal)
  guard.throwIfStopped()
  const { signal } = guard
  const onProgress = guard.wrap('onProgress', options.onProgress)
  const settings: RenderSettings = {
    longEdge: whole(options.longEdge, DEFAULTS.longEdge, 64, 8192, 'longEdge'),
    thumbnailEdge: whole(options.thumbnailEdge, DEFAULTS.thumbnailEdge, 32, 1024, 'thumbnailEdge'),
    quality: whole(options.quality, DEFAULTS.quality, 1, 100, 'quality'),
    maxPixels: whole(options.maxPixels, DEFAULTS.maxPixels, 1, Number.MAX_SAFE_INTEGER, 'maxPixels'),
  }
  const watermark = await resolveWatermark(options.watermark)
  if (watermark) settings.watermark = watermark
  const keep = [...new Set(options.keep ?? [])]
  for (const k of keep)
    if (k !== 'copyright')
      throw new InvalidArgumentError(`keep may only hold 'copyright', not ${JSON.stringify(k)}`)
  const concurrency = whole(options.concurrency, availableParallelism(), 1, 64, 'concurrency')

  let root: string
  try {
    root = await realpath(session)
    if (!(await stat(root)).isDirectory())
      throw new InvalidArgumentError(`${session} is not a folder; give the session folder`)
  } catch (err) {
    throw toFsError(err, session, 'open the session folder')
  }
  const folder = resolve(root, options.into ?? PREVIEWS_FOLDER)
  // Previews mixed in among the photos would be read as photos by the next run.
  if (folder === root)
    throw new InvalidArgumentError(
      `into must not be the session folder ${root} itself; give previews a folder of their own (the default is ${PREVIEWS_FOLDER})`,
    )
  const key = settingsKey(settings, keep)
  const found = options.files ? await namedSources(root, options.files) : await walkSources(root, folder)
  const state = await readState(folder)
  const updates: PreviewState = {}
  const items: PreviewItem[] = []
  const pool = new ExifToolPool(concurrency)
  const progress = progressEmitter(onProgress, found)

  const one = async (src: SourceFile | MissingSource): Promise<PreviewItem> => {
    if ('error' in src) return failed(src.rel, src.error)
    if (src.notAFile) return { source: src.rel, status: 'skipped', reason: 'link' }
    const what = classify(src.rel)
    if ('skip' in what) return { source: src.rel, status: 'skipped', reason: what.skip }
    if ('unknown' in what) return failed(src.rel, unsupported(src))
    const out = outputsFor(src.rel)
    const paths = { preview: join(folder, out.preview), thumbnail: join(folder, out.thumbnail) }
    const base: PreviewItem = { source: src.rel, status: 'made', kind: what.kind }
    if (await isUpToDate(state[src.rel], src, key, paths)) {
      const e = state[src.rel]!
      return {
        ...base,
        status: 'up-to-date',
        ...paths,
        width: e.preview.width,
        height: e.preview.height,
        ...(e.embedded ? { embedded: e.embedded } : {}),
      }
    }
    try {
      if (src.size === 0)
        throw new PreviewError(
          'E_CORRUPT_IMAGE',
          `${src.abs} is empty (0 bytes); copy it again from the card or a backup`,
          { path: src.abs },
        )
      const kept = keep.includes('copyright') ? await readOwnerTags(pool.tool, src.abs) : undefined
      const made: { rendered: Rendered; embedded?: string } =
        what.kind === 'raw'
          ? await fromRaw(pool, src.abs, settings, kept)
          : { rendered: await render({ file: src.abs }, settings, src.abs, kept) }
      // Aborted while this picture was under way: it is not written (nothing half-done remains).
      if (signal.aborted) throw new AbortError()
      await writeOutputs(made.rendered, paths, folder === resolve(root, PREVIEWS_FOLDER))
      const entry: StateEntry = {
        size: src.size,
        mtimeMs: src.mtimeMs,
        settings: key,
        kind: what.kind,
        preview: {
          size: made.rendered.preview.length,
          width: made.rendered.width,
          height: made.rendered.height,
        },
        thumbnail: {
          size: made.rendered.thumbnail.length,
          width: made.rendered.thumbnailWidth,
          height: made.rendered.thumbnailHeight,
        },
        ...(made.embedded ? { embedded: made.embedded } : {}),
      }
      updates[src.rel] = entry
      return {
        ...base,
        ...paths,
        width: made.rendered.width,
        height: made.rendered.height,
        ...(made.embedded ? { embedded: made.embedded } : {}),
      }
    } catch (err) {
      if (err instanceof AbortError) throw err
      return { ...failed(src.rel, err), kind: what.kind }
    }
  }

  let next = 0
  const worker = async () => {
    while (next < found.length && !signal.aborted) {
      const src = found[next++]!
      try {
        items.push(await one(src))
      } catch (err) {
        if (!(err instanceof AbortError)) throw err
      }
      progress.done(src.rel, 'size' in src ? src.size : 0)
    }
  }
  const report = (): PreviewsReport => {
    items.sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0))
    return reportOf(items, {
      root,
      folder,
      settings,
      watermark: watermark !== undefined,
      keep,
      concurrency,
      started,
    })
  }
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, found.length)) }, worker))
  } catch (err) {
    throw guard.failure(err, { ...report(), status: 'aborted' })
  } finally {
    await pool.end()
    // What was made is recorded even when the run was aborted or failed, so it is not redone.
    await writeState(folder, updates)
  }
  // Aborted (or a callback threw): what was done, as a report with status `aborted`, is the error's `partial`.
  if (guard.stopped) throw guard.stopError({ ...report(), status: 'aborted' })
  const done = report()
  progress.finish()
  return done
}

/** The report of a run from its items (sorted). */
function reportOf(
  items: PreviewItem[],
  run: {
    root: string
    folder: string
    settings: RenderSettings
    watermark: boolean
    keep: string[]
    concurrency: number
    started: number
  },
): PreviewsReport {
  const { root, folder, settings, watermark, keep, concurrency, started } = run
  const count = (s: PreviewItem['status']) => items.filter((i) => i.status === s).length
  return {
    status: count('failed') > 0 ? 'completed-with-errors' : 'completed',
    session: root,
    folder,
    settings: {
      longEdge: settings.longEdge,
      thumbnailEdge: settings.thumbnailEdge,
      quality: settings.quality,
      watermark,
      keep,
      concurrency,
    },
    made: count('made'),
    upToDate: count('up-to-date'),
    skipped: count('skipped'),
    failed: count('failed'),
    items,
    seconds: (performance.now() - started) / 1000,
  }
}

/** A RAW file's largest embedded JPEG that decodes, turned upright by the RAW's orientation. */
async function fromRaw(
  pool: ExifToolPool,
  path: string,
  settings: RenderSettings,
  kept: KeptTags | undefined,
): Promise<{ rendered: Rendered; embedded: string }> {
  const contents = await rawContents(pool.tool, path)
  const problems: string[] = []
  for (const image of contents.images) {
    try {
      return {
        rendered: await render(
          { jpeg: await image.jpeg(), orientation: contents.orientation },
          settings,
          `${path} (${image.tag})`,
          kept,
        ),
        embedded: image.tag,
      }
    } catch (err) {
      if (err instanceof PreviewError && err.code === 'E_IMAGE_TOO_LARGE') throw err
      problems.push(`${image.tag}: ${(err as Error).message}`)
    }
  }
  throw new PreviewError('E_NO_PREVIEW', `${path} has no usable embedded preview: ${problems.join('; ')}`, {
    path,
  })
}

/**
 * Writes both outputs under temporary names, then gives them their final names (the
 * preview last). Outside Shutterproof's own folder, a name already taken by anything but
 * a preview Shutterproof made (an original, when `into` points among the photos) is never
 * replaced: `E_EXISTS`.
 */
async function writeOutputs(
  rendered: Rendered,
  paths: { preview: string; thumbnail: string },
  ownFolder: boolean,
): Promise<void> {
  await mkdir(dirname(paths.preview), { recursive: true })
  const outputs = [
    { final: paths.thumbnail, bytes: rendered.thumbnail },
    { final: paths.preview, bytes: rendered.preview },
  ]
  // Shutterproof's own folder holds nothing else: a damaged preview there is simply remade.
  const replace = ownFolder
    ? outputs.map(() => true)
    : await Promise.all(outputs.map((o) => ownPreviewAt(o.final)))
  const temps = outputs.map((o) => tempNameFor(o.final))
  try {
    for (const [i, o] of outputs.entries()) await writeFile(temps[i]!, o.bytes, { flag: 'wx' })
    for (const [i, o] of outputs.entries()) {
      if (replace[i]) await rename(temps[i]!, o.final)
      else
        await placeNoOverwrite(
          temps[i]!,
          o.final,
          'it is not a preview Shutterproof made, so it is left alone; give previews a folder of their own (the default .shutterproof/previews)',
        )
    }
  } catch (err) {
    await Promise.all(temps.map((t) => rm(t, { force: true })))
    throw err instanceof ShutterproofError ? err : toFsError(err, paths.preview, 'write the preview')
  }
}

/**
 * Whether `path` holds an earlier preview of ours (to be replaced), or nothing (`false`).
 * Anything else there (an original, a folder, a link) is refused with `E_EXISTS`.
 */
async function ownPreviewAt(path: string): Promise<boolean> {
  let handle
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW)
    if ((await handle.stat()).isFile() && (await isMarkedPreview(handle))) return true
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return false
    if (code !== 'ELOOP' && code !== 'EISDIR') throw toFsError(err, path, 'check')
  } finally {
    await handle?.close()
  }
  throw new FileSystemError(
    'E_EXISTS',
    `${path} already exists and is not a preview Shutterproof made, so it is never overwritten; give previews a folder of their own (the default .shutterproof/previews)`,
    { path },
  )
}

function failed(source: string, err: unknown): PreviewItem {
  const e = err instanceof ShutterproofError ? err : toFsError(err, source, 'read')
  return { source, status: 'failed', error: { code: e.code as ErrorCode, message: e.message } }
}

function unsupported(src: SourceFile): PreviewError {
  const ext = /\.([^./]+)$/.exec(src.rel)?.[1]
  return new PreviewError(
    'E_UNSUPPORTED_FORMAT',
    `${src.abs}: ${ext ? `.${ext} files are` : 'a file without an extension is'} not a picture format Shutterproof previews (JPEG, PNG, TIFF, WebP, HEIF/AVIF, and RAW: ${RAW_EXTENSIONS.map((x) => x.toUpperCase()).join(', ')})`,
    { path: src.abs },
  )
}

/** The settings that decide whether an existing preview is up to date. */
function settingsKey(s: RenderSettings, keep: string[]): string {
  const text = JSON.stringify({
    v: 1,
    longEdge: s.longEdge,
    thumbnailEdge: s.thumbnailEdge,
    quality: s.quality,
    watermark: s.watermark?.key ?? null,
    keep: [...keep].sort(),
  })
  return createHash('sha256').update(text).digest('hex').slice(0, 32)
}

function whole(value: number | undefined, fallback: number, min: number, max: number, name: string): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw new InvalidArgumentError(
      `${name} must be a whole number from ${min} to ${max}, not ${String(value)}`,
    )
  return value
}

/**
 * The one place progress is reported, in the shape of every long operation (phase
 * `write`: previews being made; bytes and files of the sources done): throttled, never
 * backwards, a final event with everything done right before the promise resolves.
 */
function progressEmitter(
  onProgress: ((p: PreviewProgress) => void) | undefined,
  found: ReadonlyArray<SourceFile | MissingSource>,
) {
  const filesTotal = found.length
  const bytesTotal = found.reduce((n, f) => n + ('size' in f ? f.size : 0), 0)
  let files = 0
  let bytes = 0
  let last = 0
  return {
    done(currentFile: string, size: number) {
      files++
      bytes += size
      const now = performance.now()
      if (onProgress && now - last >= PROGRESS_INTERVAL_MS && files < filesTotal) {
        last = now
        onProgress({ phase: 'write', files, filesTotal, bytes, bytesTotal, currentFile })
      }
    },
    finish() {
      onProgress?.({ phase: 'write', files: filesTotal, filesTotal, bytes: bytesTotal, bytesTotal })
    },
  }
}
