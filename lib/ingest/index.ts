/**
 * Verified card ingest: plan (walk the card), run (copy + verify + reports + MHL),
 * verify a session later, and the safe-to-format verdict.
 * @module
 */
export { ingest } from './run'
export { verify, type VerifyReport, type VerifyOptions, type VerifiedFile } from './verify'
export {
  safeToFormat,
  type SafeToFormatOptions,
  type SafeToFormatVerdict,
  type SafeToFormatReason,
} from './safe-to-format'
export { sessionFolderName, sanitizeName, DEFAULT_FOLDER_TEMPLATE, type SessionInfo } from './session'
export {
  planCard,
  SYSTEM_FOLDERS,
  type CardPlan,
  type PlannedFile,
  type SkippedEntry,
  type SkipReason,
} from './plan'
export {
  readRecords,
  type SessionRecord,
  type RecordFile,
  type RecordStatus,
  type VerifyMethod,
  type ThroughputSample,
  type RecordDestination,
} from './records'
export type {
  IngestOptions,
  IngestProgress,
  IngestReport,
  IngestFileResult,
  FileAtDestination,
  DestinationReport,
  DestinationProgress,
  VerifyMode,
} from './types'
