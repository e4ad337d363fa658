/**
 * The vocabulary of ingest: options, progress and reports.
 * @module
 */
import type { HashAlgorithm, HashResult } from '../hash'
import type { SkippedEntry } from './plan'
import type { RecordStatus, VerifyMethod } from './records'
import type { SafeToFormatReason } from './safe-to-format'
import type { SessionInfo } from './session'

/** How copies are checked: see docs of {@link IngestOptions.verify}. */
export type VerifyMode = 'destination' | 'source' | 'size'

/** Options of {@link ingest}. */
export interface IngestOptions {
  /** The card (mount point or folder). */
  source: string
  /** Existing folders (drives) to copy to; each receives the session folder. */
  destinations: readonly string[]
  session: SessionInfo
  /** Default `{date}_{client}_{shoot}`; every field is sanitized. */
  folderTemplate?: string
  /**
   * Hashes computed from the single read of the card; default `['blake3', 'xxh128']`.
   * BLAKE3 is always added (our reports key on it) and XXH128 too when no ASC MHL format
   * (xxh128, xxh64, xxh3, md5, sha1) is asked for.
   */
  algorithms?: readonly HashAlgorithm[]
  /**
   * `destination` (default): every copy is read back from the disk and re-hashed: the
   * only mode that can make a card safe to format. `source`: the card is read a second
   * time and must hash the same; copies are not read back. `size`: sizes compared only.
   */
  verify?: VerifyMode
  /** Copies needed per file for {@link IngestReport.safeToFormat}; default 2. */
  minCopies?: number
  /** Aborting stops at the next buffer; the report then says `aborted`. */
  signal?: AbortSignal
  /** Called at most ~20 times a second, and once at the end. */
  onProgress?: (progress: IngestProgress) => void
}

/** Where one destination is. */
export interface DestinationProgress {
  root: string
  bytesWritten: number
  filesDone: number
  state: 'copying' | 'failed' | 'finished'
  error?: { code: string; message: string }
}

/** A progress event of {@link ingest}. */
export interface IngestProgress {
  /** Bytes read from the card so far (including files already verified by an earlier run). */
  bytes: number
  bytesTotal: number
  files: number
  filesTotal: number
  /** Bytes per second read from the card, over the last few seconds. */
  throughput: number
  /** Seconds left at that rate; `undefined` while unknown. */
  etaSeconds: number | undefined
  destinations: DestinationProgress[]
}

/** One file at one destination. */
export interface FileAtDestination {
  status: RecordStatus
  method: VerifyMethod
  error?: { code: string; message: string }
}

/** One file of the card. */
export interface IngestFileResult {
  /** Relative to the card root and to each session root. */
  path: string
  size: number
  mtimeMs: number
  /** `read`, `source-changed`, `failed`, `not-read`, or `previously-verified` (not read this run). */
  sourceState: string
  sourceError?: { code: string; message: string }
  hashes?: Omit<HashResult, 'size'>
  /** In the order of `destinations`. */
  destinations: FileAtDestination[]
}

/** One destination's outcome. */
export interface DestinationReport {
  /** The destination folder as given. */
  root: string
  /** `root/<session folder>`. */
  sessionRoot: string
  status: 'completed' | 'completed-with-errors' | 'failed' | 'aborted'
  /** Why the whole destination failed (full, read-only, removed…). */
  error?: { code: string; message: string }
  verified: number
  copied: number
  skippedIdentical: number
  previouslyVerified: number
  failed: number
  aborted: number
  bytesWritten: number
  /** Stale temporary files of an interrupted earlier run, removed before copying. */
  removedPartials: string[]
  /** This run's JSON report, when it could be written. */
  reportPath?: string
  reportError?: { code: string; message: string }
  /** This run's self-contained HTML report (beside the JSON report), when it could be written. */
  htmlReportPath?: string
  /** Why the HTML report could not be written (the JSON report and the copies are unaffected). */
  htmlReportError?: { code: string; message: string }
  /** This run's ASC MHL manifest, when it could be written. */
  mhlManifest?: string
  mhlError?: { code: string; message: string }
}

/** What {@link ingest} resolves with. */
export interface IngestReport {
  /**
   * `completed`: every file is at every destination as `verify` asked. `failed`: an
   * integrity problem (a copy read back wrong, a file changed on the card during its
   * copy) or no destination usable. `completed-with-errors`: anything else went wrong
   * (each item is reported). `aborted`: stopped by the signal.
   */
  status: 'completed' | 'completed-with-errors' | 'failed' | 'aborted'
  session: { folder: string; client: string; shoot: string; date: string }
  /** The card root (resolved). */
  source: string
  files: IngestFileResult[]
  /** Entries of the card not copied (symbolic links, special files, system folders). */
  skipped: SkippedEntry[]
  /** Bytes read from the card by this run. */
  bytes: number
  /** Bytes of all files of the card. */
  bytesTotal: number
  perDestination: DestinationReport[]
  /** The verdict of {@link safeToFormat} over the destinations right after this run. */
  safeToFormat: boolean
  reasons: SafeToFormatReason[]
  startedAt: string
  finishedAt: string
}
