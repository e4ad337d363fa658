/**
 * The off-site backup store: a marker binding it to one vault, sealed content-addressed
 * objects, and sealed index snapshots. Names of clients, sessions and files appear only
 * inside sealed data.
 *
 * Layout (see docs/BACKUP.md):
 * ```
 * shutterproof-store.json          { format, keyId, createdAt }  (no names)
 * objects/ab/ab12…(64 hex)         a sealed file, named by keyed BLAKE3 of its plaintext
 * index/<time>-<random>.sealed     a sealed snapshot: session, files → object, size, mtime, BLAKE3
 * tests/<time>-<random>.sealed     a sealed restore-test record
 * locks/<random>.json              a running writer (see writers.ts)
 * ```
 * @module
 */
import { randomBytes } from 'node:crypto'

import {
  FileSystemError,
  IntegrityError,
  InvalidArgumentError,
  KeyError,
  type ReportedError,
  type ShutterproofError,
} from '../errors'
import type { Vault } from '../native'
import { LocalFolderBackend, type StoreBackend } from './backend'
import { isS3Location, openS3Backend, S3Backend, type S3StoreOptions } from './s3-backend'
import { sealFile } from '../seal/files'
import { ObjectSet } from './object-set'
import { openBytes, sealBytes } from './objects'
import { asWriter } from './writers'
import { mkdir, readdir } from 'node:fs/promises'

/** The file at a store's root that names its format and the vault key id it belongs to. */
export const MARKER = 'shutterproof-store.json'
const MARKER_FORMAT = 'shutterproof-store/1'
/** @internal */
export const SNAPSHOT_FORMAT = 'shutterproof-snapshot/1'
const TEST_FORMAT = 'shutterproof-restore-test/1'

/** One file of a snapshot. */
export interface SnapshotFile {
  /** Relative to the session folder, `/`-separated. */
  path: string
  /** Object name (64 hex). */
  object: string
  size: number
  mtimeMs: number
  blake3: string
}

/** A decrypted index snapshot. */
export interface Snapshot {
  format: typeof SNAPSHOT_FORMAT
  /** The session folder's name. */
  session: string
  createdAt: string
  files: SnapshotFile[]
}

/** A snapshot with the key it is stored under. */
export interface StoredSnapshot extends Snapshot {
  key: string
}

/** A decrypted restore-test record. */
export interface RestoreTestRecord {
  format: typeof TEST_FORMAT
  testedAt: string
  status: 'completed' | 'failed'
  /** Every file of every session was checked (absent in records of older versions: false). */
  full?: boolean
  sessions: Array<{ session: string; snapshot: string; checked: number; failures: number }>
  /** Snapshots that could not be read. */
  unreadableSnapshots: string[]
}

/** Options of {@link initStore} and {@link openStore}. */
export interface StoreOptions {
  /** The open vault: seals objects and index; its key id is bound to the store. */
  vault: Vault
  /** Another place for the bytes (default: a local folder at `location`, or the bucket of an `s3://` location). */
  backend?: StoreBackend
  /** Endpoint, region, profile, limits… of an `s3://BUCKET/PREFIX` location. */
  s3?: S3StoreOptions
}

/** @internal The backend a location names: `s3://…` a bucket, anything else a local folder. */
export async function backendFor(
  location: string,
  options: Pick<StoreOptions, 'backend' | 's3'> | undefined,
): Promise<StoreBackend> {
  if (options?.backend) return options.backend
  if (isS3Location(location)) return openS3Backend(location, options?.s3)
  return new LocalFolderBackend(location)
}

function objectKey(name: string): string {
  return `objects/${name.slice(0, 2)}/${name}`
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace('.', '')
}

function snapshotKey(createdAt: string): string {
  return `index/${stamp(new Date(createdAt))}-${randomBytes(4).toString('hex')}.sealed`
}

/** An open backup store. Get one from {@link initStore} or {@link openStore}. */
export class Store {
  /** @internal */
  constructor(
    readonly location: string,
    readonly backend: StoreBackend,
    readonly vault: Vault,
    readonly keyId: string,
  ) {}

  /** @internal */
  objectKey(name: string): string {
    return objectKey(name)
  }

  /** Object names present in the store. */
  async objectNames(): Promise<Set<string>> {
    return new Set(
      (await this.backend.list('objects'))
        .map((k) => k.slice(k.lastIndexOf('/') + 1))
        .filter((n) => /^[0-9a-f]{64}$/.test(n)),
    )
  }

  /**
   * @internal The object names present, kept compact (32 bytes each, outside the JS
   * heap): what a backup of many files asks about.
   */
  async objectSet(): Promise<ObjectSet> {
    const names = new ObjectSet()
    for (const k of await this.backend.list('objects')) names.add(k.slice(k.lastIndexOf('/') + 1))
    return names
  }

  /**
   * Every index snapshot, oldest first; snapshots that cannot be opened (damaged, foreign)
   * are listed apart, never thrown.
   */
  async snapshots(): Promise<{
    snapshots: StoredSnapshot[]
    unreadable: Array<{ key: string } & ReportedError>
  }> {
    const snapshots: StoredSnapshot[] = []
    const unreadable: Array<{ key: string } & ReportedError> = []
    for (const key of await this.backend.list('index')) {
      if (!key.endsWith('.sealed')) continue
      try {
        const plain = await openBytes(this.vault, await this.backend.getBytes(key), `${this.location}/${key}`)
        const s = JSON.parse(plain.toString('utf8')) as Snapshot
        if (s?.format !== SNAPSHOT_FORMAT || typeof s.session !== 'string' || !Array.isArray(s.files))
          throw new IntegrityError('E_FORMAT', 'not an index snapshot')
        snapshots.push({ ...s, key })
      } catch (err) {
        const e = err as ShutterproofError
        unreadable.push({ key, code: e.code ?? 'E_FORMAT', message: `${this.location}/${key}: ${e.message}` })
      }
    }
    snapshots.sort((a, b) =>
      a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.key < b.key ? -1 : 1,
    )
    return { snapshots, unreadable }
  }

  /** The newest snapshot of each session (by session name). */
  async latestSnapshots(): Promise<Map<string, StoredSnapshot>> {
    const out = new Map<string, StoredSnapshot>()
    for (const s of (await this.snapshots()).snapshots) out.set(s.session, s)
    return out
  }

  /** @internal Seals and publishes a snapshot (temp + fsync + rename); returns its key. */
  async publishSnapshot(s: Snapshot): Promise<string> {
    const key = snapshotKey(s.createdAt)
    await this.backend.putBytes(key, await sealBytes(this.vault, Buffer.from(JSON.stringify(s))))
    return key
  }

  /**
   * @internal Seals the JSON text of a snapshot made at `createdAt` from the local file
   * `plainPath` and publishes it; returns its key. The same sealed format as
   * {@link Store.publishSnapshot}, sealed by the native file sealer a chunk at a time, so
   * that a snapshot of many files is never whole in memory.
   */
  async publishSnapshotFile(createdAt: string, plainPath: string): Promise<string> {
    const key = snapshotKey(createdAt)
    await this.backend.putWith(key, async (dst) => {
      await sealFile(plainPath, dst, { vault: this.vault })
    })
    return key
  }

  /** @internal Seals and publishes a restore-test record, registered as a writer meanwhile. */
  async publishRestoreTest(r: RestoreTestRecord): Promise<string> {
    const key = `tests/${stamp(new Date(r.testedAt))}-${randomBytes(4).toString('hex')}.sealed`
    const sealed = await sealBytes(this.vault, Buffer.from(JSON.stringify(r)))
    await asWriter(this.backend, 'restore-test', () => this.backend.putBytes(key, sealed))
    return key
  }

  /** Restore-test records, oldest first (unreadable ones skipped). */
  async restoreTests(): Promise<RestoreTestRecord[]> {
    const out: RestoreTestRecord[] = []
    for (const key of await this.backend.list('tests')) {
      try {
        const r = JSON.parse(
          (await openBytes(this.vault, await this.backend.getBytes(key), key)).toString('utf8'),
        ) as RestoreTestRecord
        if (r?.format === TEST_FORMAT) out.push(r)
      } catch {
        /* a damaged record only loses its own history */
      }
    }
    return out.sort((a, b) => (a.testedAt < b.testedAt ? -1 : 1))
  }
}

/** @internal */
export interface Marker {
  format: string
  keyId: string
  createdAt: string
}

/** @internal The store marker, undefined when there is none (`E_FORMAT` when it is not one). */
export async function readMarker(backend: StoreBackend, location: string): Promise<Marker | undefined> {
  if (!(await backend.stat(MARKER))) return undefined
  try {
    const m = JSON.parse((await backend.getBytes(MARKER)).toString('utf8')) as Marker
    if (m?.format !== MARKER_FORMAT || typeof m.keyId !== 'string') throw new Error('bad marker')
    return m
  } catch {
    throw new IntegrityError(
      'E_FORMAT',
      `${location}/${MARKER} is not a Shutterproof store marker; is this the right folder?`,
      { path: location },
    )
  }
}

function checkVault(options: StoreOptions | undefined): Vault {
  const vault = options?.vault
  if (!vault || typeof vault.keyId !== 'string')
    throw new InvalidArgumentError('give the store an open vault: { vault }')
  if (vault.closed) throw new InvalidArgumentError('the vault is closed; open it again')
  return vault
}

/**
 * Creates a store at `location` (an empty or missing folder) bound to the vault.
 *
 * @example
 * ```ts
 * const vault = await openVault('studio.vault', { passphrase })
 * const store = await initStore('/Volumes/Offsite/shutterproof', { vault })
 * ```
 * @throws `E_EXISTS` when the folder already holds a store or other files.
 */
export async function initStore(location: string, options: StoreOptions): Promise<Store> {
  const vault = checkVault(options)
  const backend = await backendFor(location, options)
  location = backend instanceof S3Backend ? backend.location : location
  if (
    await readMarker(backend, location).catch((err: ShutterproofError) =>
      err.code === 'E_FORMAT' ? ({} as Marker) : Promise.reject(err),
    )
  ) {
    throw new FileSystemError(
      'E_EXISTS',
      `${location} already holds a Shutterproof store; open it with openStore`,
      { path: location },
    )
  }
  if (backend instanceof S3Backend && !(await backend.isEmpty())) {
    throw new FileSystemError(
      'E_EXISTS',
      `${location} is not empty; give an empty bucket or a new prefix for the store (s3://BUCKET/NEW-PREFIX)`,
      { path: location },
    )
  }
  if (backend instanceof LocalFolderBackend) {
    await mkdir(backend.location, { recursive: true })
    // A concurrent first run may be writing the marker (a temporary name) right now.
    const names = (await readdir(backend.location)).filter(
      (n) => n !== 'lost+found' && !/^\..+\.sptmp$/.test(n),
    )
    if (names.length > 0)
      throw new FileSystemError(
        'E_EXISTS',
        `${location} is not empty; give an empty or new folder for the store`,
        { path: location },
      )
  }
  const marker: Marker = { format: MARKER_FORMAT, keyId: vault.keyId, createdAt: new Date().toISOString() }
  await backend.putBytes(MARKER, Buffer.from(JSON.stringify(marker, null, 1) + '\n'))
  return new Store(location, backend, vault, vault.keyId)
}

/**
 * Opens an existing store. The vault must be the one the store was made for: otherwise
 * `E_WRONG_KEY`, before anything else is read or written.
 *
 * @example
 * ```ts
 * const store = await openStore('/Volumes/Offsite/shutterproof', { vault })
 * ```
 * @throws `E_WRONG_KEY` (another vault), `ENOENT` / `E_FORMAT` (not a store)
 */
export async function openStore(location: string, options: StoreOptions): Promise<Store> {
  const vault = checkVault(options)
  const backend = await backendFor(location, options)
  location = backend instanceof S3Backend ? backend.location : location
  const marker = await readMarker(backend, location)
  if (!marker)
    throw new FileSystemError(
      'ENOENT',
      `${location} holds no Shutterproof store (no ${MARKER}); create one with initStore()`,
      { path: location },
    )
  if (marker.keyId !== vault.keyId) {
    throw new KeyError(
      'E_WRONG_KEY',
      `${location} belongs to the vault with key id ${marker.keyId}, not ${vault.keyId}; open the store with its own vault key file`,
      { path: location },
    )
  }
  return new Store(location, backend, vault, marker.keyId)
}

/**
 * Opens the store at `location`, creating it first when the folder holds none. Two
 * first backups started at once both get the store: the one that loses the race to
 * create it opens the other's.
 */
export async function openOrInitStore(location: string, options: StoreOptions): Promise<Store> {
  checkVault(options)
  const backend = await backendFor(location, options)
  if (await backend.stat(MARKER)) return openStore(location, { ...options, backend })
  try {
    return await initStore(location, { ...options, backend })
  } catch (err) {
    const code = (err as { code?: string }).code
    if ((code === 'E_EXISTS' || code === 'EEXIST') && (await backend.stat(MARKER)))
      return openStore(location, { ...options, backend })
    throw err
  }
}
