/**
 * The vocabulary of ingest: options, progress and reports.
 * @module
 */
import type { ReportedError } from '../errors'
import type { HashAlgorithm, HashResult } from '../hash'
import type { Progress, ProgressPhase } from '../progress'
import type { OperationStatus } from '../status'
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
  /**
   * Aborting stops at the next buffer: files not yet under their final name are dropped,
   * the reports and ASC MHL histories record what was done, and the promise rejects with
   * an `AbortError` whose `partial` is the {@link IngestReport} (status `aborted`). Run
   * the same ingest again to resume.
   */
  signal?: AbortSignal
  /**
   * Called when the copy starts, at most ~20 times a second while it runs, at once when
   * the card has been read (the checking phase begins, however short), then once per
   * destination while the reports are written (phase `records`), and a last time with
   * every file done right before the promise resolves. If it throws, the ingest stops as if aborted and rejects with
   * `E_CALLBACK` (`partial` as for an abort).
   */
  onProgress?: (progress: IngestProgress) => void
}

/** Where one destination is. */
export interface DestinationProgress {
  /** The destination folder as given. */
  root: string
  /** A short name for it: the drive's name or the folder's last component (`SSD1` for `/Volumes/SSD1`). */
  label: string
  /** `write` while copies are being written, `read-back` once only checks remain, `records` at the end. */
  phase: ProgressPhase
  /** Bytes written there by this run. */
  bytesWritten: number
  /** Source bytes of the files finished there (written, and read back when `verify` is `destination`). */
  bytesDone: number
  /** Files finished there (including files verified by an earlier run). */
  filesDone: number
  /** `aborted`: the run was cancelled before every file was finished there. */
  state: 'copying' | 'failed' | 'finished' | 'aborted'
  error?: ReportedError
}

/**
 * A progress event of {@link ingest}: the common {@link Progress} shape, where `bytes`
 * and `files` count what is finished at every destination (written and, with `verify`
 * `destination`, read back), so neither runs ahead of the other (only empty files can
 * leave `files` short once `bytes` is at its total); `bytesRead` is how
 * far the card has been read. `phase` is `read` while the card is read, then `read-back`
 * (or `write` with the other modes) while copies are checked, then `records`.
 */
export interface IngestProgress extends Progress {
  /** Bytes read from the card so far (including files verified by an earlier run). */
  bytesRead: number
  /** Bytes per second finished, over the last few seconds. */
  throughput: number
  /** Seconds left at that rate; `undefined` while unknown. */
  etaSeconds: number | undefined
  destinations: DestinationProgress[]
}

/** One file at one destination. */
export interface FileAtDestination {
  status: RecordStatus
  method: VerifyMethod
  error?: ReportedError
}

/** One file of the card. */
export interface IngestFileResult {
  /** Relative to the card root and to each session root. */
  path: string
  size: number
  mtimeMs: number
  /** `read`, `source-changed`, `failed`, `not-read`, or `previously-verified` (not read this run). */
  sourceState: 'read' | 'source-changed' | 'failed' | 'not-read' | 'previously-verified'
  sourceError?: ReportedError
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
  /**
   * `completed` only when every file is there and checked as `verify` asks (read back
   * from the disk in the default mode); `aborted` when the run was cancelled before
   * that (the counts say how far it got); `failed` when the destination itself failed;
   * otherwise `completed-with-errors`.
   */
  status: OperationStatus
  /** Why the whole destination failed (full, read-only, removed…). */
  error?: ReportedError
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
  reportError?: ReportedError
  /** This run's self-contained HTML report (beside the JSON report), when it could be written. */
  htmlReportPath?: string
  /** Why the HTML report could not be written (the JSON report and the copies are unaffected). */
  htmlReportError?: ReportedError
  /** This run's ASC MHL manifest, when it could be written. */
  mhlManifest?: string
  mhlError?: ReportedError
}

/** What {@link ingest} resolves with. */
export interface IngestReport {
  /**
   * `completed`: every file is at every destination as `verify` asked. `failed`: an
   * integrity problem (a copy read back wrong, a file changed on the card during its
   * copy) or no destination usable. `completed-with-errors`: anything else went wrong
   * (each item is reported). `aborted`: stopped by the signal (only in the `partial`
   * report of the `AbortError` the promise rejects with).
   */
  status: OperationStatus
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
