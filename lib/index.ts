/**
 * Shutterproof: keeps photographers' work safe from loss, theft and accidental sharing.
 *
 * @example
 * ```ts
 * import { hashFile } from 'shutterproof'
 * console.log((await hashFile('IMG_0001.CR3')).blake3)
 * ```
 * @module shutterproof
 */
export {
  hashFile,
  hashFiles,
  createHasher,
  HashStream,
  keyedHash,
  deriveKey,
  HASH_ALGORITHMS,
  type HashAlgorithm,
  type HashResult,
  type ByteProgress,
  type Progress,
  type ProgressPhase,
  type HashFileOptions,
  type HashFilesOptions,
  type HashFilesEntry,
  type Hasher,
  type HashStreamOptions,
} from './hash'
export {
  createVault,
  openVault,
  changePassphrase,
  Vault,
  type VaultUnlock,
  type CreateVaultOptions,
  type OpenVaultOptions,
  type ChangePassphraseOptions,
} from './keys/vault'
export { generatePassphrase, checkRecoveryKey, type GeneratedPassphrase } from './keys/passphrase'
export {
  passphraseStrength,
  STRONG_SCORE,
  STRONG_PASSPHRASE_ADVICE,
  type PassphraseStrength,
} from './keys/strength'
export type { RecoveryKit } from './keys/recovery-kit'
export type { KdfOptions } from './keys/kdf'
export {
  sealFile,
  openSealedFile,
  readSealedRange,
  inspectSealed,
  type SealFileCommonOptions,
  type SealResult,
  type SealedFileInfo,
} from './seal/files'
export { createSealStream, createOpenStream } from './seal/streams'
export type { SealKey, OpenKey } from './seal/keys'
export {
  ShutterproofError,
  IntegrityError,
  KeyError,
  FileSystemError,
  AbortError,
  CallbackError,
  ConflictError,
  isIntegrityError,
  isKeyError,
  INTEGRITY_CODES,
  InvalidArgumentError,
  InternalError,
  MhlError,
  ShareNotFoundError,
  TtlTooLongError,
  SchemaVersionError,
  UnsafeArchiveError,
  PreviewError,
  WeakPassphraseError,
  CloudError,
  PlatformError,
  DependencyError,
  type ErrorCode,
  type ReportedError,
} from './errors'
export { checkPassphraseStrength, estimatePassphraseStrength } from './keys/strength'
export type { OperationStatus } from './status'
/**
 * ASC MHL v2.0 histories (`ascmhl/` folders) for ingest destinations.
 *
 * @example
 * ```ts
 * import { latestHashes, readHistory, writeGeneration } from 'shutterproof'
 * await writeGeneration(root, { process: 'transfer', creator: { tool: 'shutterproof', version: '0.1.0' }, files })
 * const known = latestHashes(await readHistory(root))
 * ```
 */
export * from './mhl/index'
/**
 * Verified card ingest, later verification of a session, and the safe-to-format verdict.
 *
 * @example
 * ```ts
 * import { ingest, verify, safeToFormat } from 'shutterproof'
 * const r = await ingest({ source: '/media/CARD', destinations: ['/Volumes/A', '/Volumes/B'], session: { client: 'Ada', shoot: 'Wedding' } })
 * ```
 */
export {
  ingest,
  verify,
  safeToFormat,
  sessionFolderName,
  sanitizeName,
  planCard,
  readRecords,
  DEFAULT_FOLDER_TEMPLATE,
  SYSTEM_FOLDERS,
  type IngestOptions,
  type IngestProgress,
  type IngestReport,
  type IngestFileResult,
  type FileAtDestination,
  type DestinationReport,
  type DestinationProgress,
  type VerifyMode,
  type VerifyReport,
  type VerifyOptions,
  type VerifiedFile,
  type SafeToFormatOptions,
  type SafeToFormatVerdict,
  type SafeToFormatReason,
  type SessionInfo,
  type CardPlan,
  type PlannedFile,
  type SkippedEntry,
  type SkipReason,
  type SessionRecord,
  type RecordFile,
  type RecordStatus,
  type VerifyMethod,
  type ThroughputSample,
  type RecordDestination,
} from './ingest/index'
/**
 * The offload report: every ingest writes `.shutterproof/ingest-<time>.html` beside its
 * JSON report in each session folder — a self-contained page (no scripts or external
 * resources, strict CSP) with the session, source and destinations, every file's size,
 * XXH128 and BLAKE3, its verification at each destination, timings, a throughput chart,
 * and failures first. Render one yourself, or re-render a session folder's.
 *
 * @example
 * ```ts
 * import { readFileSync, writeFileSync } from 'node:fs'
 * import { renderOffloadReport, writeOffloadReport } from 'shutterproof'
 * // Re-render from the newest JSON report of a session folder:
 * const { path } = await writeOffloadReport('/Volumes/SSD1/2026-04-26_Ada_Wedding')
 * // Or render a JSON report you hold:
 * const record = JSON.parse(readFileSync('/Volumes/SSD1/2026-04-26_Ada_Wedding/.shutterproof/ingest-2026-04-26T10-00-00.000Z.json', 'utf8'))
 * writeFileSync('offload.html', renderOffloadReport(record))
 * ```
 */
export {
  renderOffloadReport,
  writeOffloadReport,
  throughputChart,
  summarizeThroughput,
  type RenderOffloadReportOptions,
  type WriteOffloadReportOptions,
  type WrittenOffloadReport,
  type ChartSummary,
  type RatePoint,
} from './report/index'
export {
  openShareRegistry,
  ShareRegistry,
  type ShareRegistryOptions,
  type CreateShareOptions,
  type CreatedShare,
  type ShareInfo,
  type ShareStatus,
  type ShareFilter,
  type AccessStatus,
  type AccessResult,
  type VerifyAccessOptions,
  type AccessLogEntry,
  type PruneAccessLogOptions,
  type PurgeExpiredOptions,
  type PasswordLockout,
  type ByteCharge,
  type ShareRecipient,
  type IssuedCode,
} from './share/registry'
export {
  createShareHandler,
  type ShareHandlerOptions,
  type ShareRequestHandler,
  type PasswordRateLimit,
  type SignInOptions,
  type SignInLimits,
} from './share/handler'
export { createShareMailer, type ShareMailer, type MailHealth, type MailMessage } from './share/mail/mailer'
export { smtpSettingsFrom, type SmtpSettings } from './share/mail/smtp-settings'
export { normalizeAddress } from './share/signin/address'
export { createShareServer, type ShareServerOptions } from './share/server'
export { loadTlsFiles, type TlsFiles } from './share/tls'
export { type ShareTimeouts } from './share/timeouts'
export { type TrustProxy } from './share/proxy'
export { publicUrlOf, loopbackWarning } from './share/public-url'
export { type ShareItem, type ShareItemInput, type ShareScope } from './share/items'
export { type ShareAudit, type AuditOptions, type ShareExposure, type RecipientAudit } from './share/audit'
export { sharePhotos, type SharePhotosOptions, type SharedPhotos } from './share/share-photos'
export { type GalleryOptions } from './share/gallery/index'
export {
  createDeliveryLink,
  type DeliveryLinkOptions,
  type CreatedDeliveryLink,
} from './share/delivery/create'
export { deliveryKeyWords } from './share/delivery/key'
export { type DeliveryListFile } from './share/delivery/list'
/**
 * Client previews: downscaled sRGB JPEGs and thumbnails of a session's pictures and RAW
 * files (their embedded previews), stripped of private metadata, optionally watermarked;
 * preview shares serve only these.
 *
 * @example
 * ```ts
 * import { makePreviews } from 'shutterproof'
 * const r = await makePreviews('/Volumes/SSD1/2026-04-26_Ada_Wedding', { longEdge: 2048, watermark: { text: '© Ada Studio' } })
 * console.log(r.made, r.upToDate, r.failed)
 * ```
 */
export {
  makePreviews,
  PREVIEWS_FOLDER,
  PREVIEW_MARK,
  type MakePreviewsOptions,
  type PreviewItem,
  type PreviewProgress,
  type PreviewsReport,
  type WatermarkOptions,
  type WatermarkPosition,
  type PreviewSkipReason,
  type SourceKind,
} from './previews/index'
export { systemClock, manualClock, type Clock, type ManualClock } from './share/clock'
export { parseDuration } from './share/duration'
/**
 * Off-site backup stores: incremental, verified backups of session folders as sealed
 * content-addressed objects, restore tests and restores.
 *
 * @example
 * ```ts
 * import { openVault, openOrInitStore, backup, restoreTest } from 'shutterproof'
 * const vault = await openVault('studio.vault', { passphrase })
 * const store = await openOrInitStore('/Volumes/Offsite/store', { vault })
 * console.log((await backup('/Volumes/SSD1/2026-04-26_Ada_Wedding', store)).status)
 * console.log((await restoreTest(store)).status)
 * ```
 */
export * from './backup/index'
/** The SQLite catalog: 3-2-1 status per session, rebuilt from reports and store indexes. */
export {
  openCatalog,
  Catalog,
  type OpenCatalogOptions,
  type DestinationSpec,
  type SessionStatus,
  type StoreStatus,
  type MediaKind,
  type Location,
} from './catalog/catalog'
/**
 * Encrypted client deliveries: one sealed tar of the chosen files, and safe unpacking.
 *
 * @example
 * ```ts
 * import { createDelivery, openDelivery } from 'shutterproof'
 * const d = await createDelivery(['IMG_0001.jpg', 'IMG_0002.jpg'], 'ada-wedding.sealed')
 * // send d.path, and d.passphrase through another channel
 * await openDelivery('ada-wedding.sealed', { passphrase: d.passphrase! }, 'ada-wedding')
 * ```
 */
export {
  createDelivery,
  type DeliveryInput,
  type CreateDeliveryOptions,
  type CreatedDelivery,
  type DeliveryFile,
} from './delivery/create'
export {
  openDelivery,
  DEFAULT_DELIVERY_LIMITS,
  type OpenDeliveryOptions,
  type OpenedDelivery,
  type DeliveryLimits,
} from './delivery/open'
