/**
 * Options and results of {@link makePreviews}.
 * @module
 */
import type { ErrorCode } from '../errors'
import type { Progress } from '../progress'
import type { PreviewSkipReason, SourceKind } from './formats'
import type { WatermarkOptions } from './watermark'

/**
 * Progress of {@link makePreviews}, in the one shape of every long operation: phase
 * `write` (previews being made), the sources done (made, up to date, skipped or failed)
 * and their bytes, and `currentFile`, the source just done (relative to the session).
 */
export type PreviewProgress = Progress

/** Options of {@link makePreviews}. */
export interface MakePreviewsOptions {
  /** Longest side of a preview in pixels, 64 to 8192 (default 2048). Smaller pictures are not enlarged. */
  longEdge?: number
  /** Longest side of a thumbnail in pixels, 32 to 1024 (default 400). */
  thumbnailEdge?: number
  /** JPEG quality, 1 to 100 (default 82). */
  quality?: number
  /** Draw a watermark on every preview and thumbnail. */
  watermark?: WatermarkOptions
  /**
   * Metadata to keep. By default nothing is kept; `['copyright']` keeps the owner's
   * Artist/Creator and Copyright/Rights (as EXIF Artist and Copyright), nothing else.
   */
  keep?: ReadonlyArray<'copyright'>
  /**
   * Where previews go (default `SESSION/.shutterproof/previews`; relative to the session).
   * Shares serve previews from the default folder only. Never the session folder itself;
   * in a folder of your choosing, a file that is not a preview Shutterproof made is never
   * replaced (`E_EXISTS` for that photo).
   */
  into?: string
  /** Only these sources (paths relative to the session, or absolute inside it), instead of every file of the session. */
  files?: readonly string[]
  /** Pictures at once (default: the number of cores). */
  concurrency?: number
  /** Refuse pictures with more pixels than this, a guard against decompression bombs (default 80,000,000). */
  maxPixels?: number
  /**
   * Abort: the run stops starting pictures, finishes or drops the ones under way (nothing
   * half-written), records what was made, and rejects with `E_ABORTED` (an `AbortError`
   * whose `cause` is the signal's reason and whose `partial` is the report so far, status
   * `aborted`).
   */
  signal?: AbortSignal
  /**
   * Called as sources are done (at most about 20 times a second), and once at the end with
   * everything done, right before the promise resolves. If it throws, the run stops as on
   * an abort and rejects with `E_CALLBACK` (the thrown error as `cause`).
   */
  onProgress?: (progress: PreviewProgress) => void
}

/** What became of one file of the session. */
export interface PreviewItem {
  /** The source, relative to the session folder (`/`-separated). */
  source: string
  /** `made` now, `up-to-date` (made by an earlier run from the same file and settings), `skipped` on purpose, or `failed`. */
  status: 'made' | 'up-to-date' | 'skipped' | 'failed'
  /** How the source was read, for pictures and RAW files. */
  kind?: SourceKind
  /** Absolute path of the preview (made or up to date). */
  preview?: string
  /** Absolute path of the thumbnail (made or up to date). */
  thumbnail?: string
  /** The preview's size in pixels. */
  width?: number
  height?: number
  /** For RAW files: the embedded image used (`JpgFromRaw`, `PreviewImage`, …). */
  embedded?: string
  /** Why a skipped file gets no preview. */
  reason?: PreviewSkipReason
  /** Why a failed file got none. */
  error?: { code: ErrorCode; message: string }
}

/** The result of {@link makePreviews}. */
export interface PreviewsReport {
  /**
   * `completed-with-errors` when a file failed (each one is listed with its error); skipped
   * files are not errors. `aborted` only in an abort's (or a throwing callback's) `partial`.
   */
  status: 'completed' | 'completed-with-errors' | 'aborted'
  /** The session folder (real path). */
  session: string
  /** The previews folder. */
  folder: string
  /** What the previews were made with; `concurrency` is how many pictures were worked on at once. */
  settings: {
    longEdge: number
    thumbnailEdge: number
    quality: number
    watermark: boolean
    keep: string[]
    concurrency: number
  }
  made: number
  upToDate: number
  skipped: number
  failed: number
  /** Every file considered, by source path. */
  items: PreviewItem[]
  seconds: number
}
