/**
 * Off-site backup stores: sealed content-addressed objects and sealed index snapshots;
 * incremental verified backups, restore tests and restores.
 * @module
 */
export {
  initStore,
  openStore,
  openOrInitStore,
  Store,
  MARKER,
  type StoreOptions,
  type Snapshot,
  type SnapshotFile,
  type StoredSnapshot,
  type RestoreTestRecord,
} from './store'
export { LocalFolderBackend, type StoreBackend, type LocalObjectFile, type PutWithOptions } from './backend'
export {
  backup,
  type BackupOptions,
  type BackupReport,
  type BackupProgress,
  type BackupFailure,
} from './run-backup'
export {
  restoreTest,
  type RestoreTestOptions,
  type RestoreTestReport,
  type RestoreTestFailure,
  type RestoreFailureKind,
} from './restore-test'
export { restore, type RestoreOptions, type RestoreSessionOptions, type RestoreReport } from './restore'
export {
  openS3Backend,
  S3Backend,
  type S3StoreOptions,
  type S3Settings,
  type PendingUploadInfo,
  type RetryEvent,
  type RetryPolicy,
} from './s3-backend'
export { copyStore, type CopyStoreOptions, type CopyStoreReport } from './copy-store'
export { collectGarbage, type GcOptions, type GcReport } from './gc'
