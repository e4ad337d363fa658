/**
 * Off-site backup stores: sealed content-addressed objects and sealed index snapshots;
 * incremental verified backups, restore tests and restores.
 * @module
 */
export { initStore, openStore, openOrInitStore, Store, MARKER, type StoreOptions, type Snapshot, type SnapshotFile, type StoredSnapshot, type RestoreTestRecord } from './store'
export { LocalFolderBackend, type StoreBackend, type LocalObjectFile } from './backend'
export { backup, type BackupOptions, type BackupReport, type BackupProgress, type BackupFailure } from './run-backup'
export { restoreTest, type RestoreTestOptions, type RestoreTestReport, type RestoreTestFailure, type RestoreFailureKind } from './restore-test'
export { restore, type RestoreOptions, type RestoreSessionOptions, type RestoreReport } from './restore'
