/**
 * Where a backup store keeps its bytes: a small interface of immutable objects with
 * atomic publication, so that object storage (S3-compatible) can follow the local folder.
 * @module
 */
import { randomBytes } from 'node:crypto'
import { mkdir, readdir, readFile, rename, rm, stat, utimes } from 'node:fs/promises'
import type { Dirent } from 'node:fs'
import { dirname, join } from 'node:path'

import { syncFolder, writeSynced } from '../fs/durable'

/** A local file holding a store object, as {@link StoreBackend.localFile} lends it. */
export interface LocalObjectFile {
  /** The file's path. */
  path: string
  /** Called when the native reader is done with the file. */
  release: () => Promise<void>
}

/** Options of {@link StoreBackend.putWith}. */
export interface PutWithOptions {
  /**
   * Asked about a local file a crashed run left under the same key (object storage keeps
   * its staging files to resume uploads): true when it is still a good copy to publish.
   */
  reuse?: (localPath: string) => Promise<boolean>
  /** Bytes sent to the store as they pass (object storage). */
  onBytes?: (bytes: number) => void
  /** Stops an upload between its parts or mid-part; what was sent is kept for resuming. */
  signal?: AbortSignal
}

/**
 * Immutable objects under `/`-separated keys. Every put appears whole or not at all.
 *
 * @example
 * ```ts
 * const b = new LocalFolderBackend('/Volumes/Offsite/store')
 * await b.putBytes('index/2026-05-01.sealed', bytes)
 * ```
 */
export interface StoreBackend {
  /** A human-readable location for messages. */
  readonly location: string
  /** Files a backup works on at once unless told otherwise (default 2). */
  readonly defaultConcurrency?: number
  /** Size and last modification (the store's clock) of an object, or `undefined` when there is none. */
  stat(key: string): Promise<{ size: number; mtimeMs: number } | undefined>
  /** The bytes of an object (`ENOENT` when missing). */
  getBytes(key: string): Promise<Buffer>
  /** Publishes `data` under `key` atomically (temporary name, fsync, rename). */
  putBytes(key: string, data: Uint8Array, options?: { replace?: boolean }): Promise<void>
  /**
   * Publishes a file that `write(path)` creates atomically at a local `path` (e.g. a
   * native seal, which writes a temporary name and renames). A local folder hands out the
   * final path itself; object storage would hand out a staging file and upload it.
   */
  putWith(key: string, write: (localPath: string) => Promise<void>, options?: PutWithOptions): Promise<void>
  /** A local file holding the object, for native readers; `release` when done. */
  localFile(key: string): Promise<LocalObjectFile>
  /** Keys under `prefix` (recursively), sorted; temporary files are never listed. */
  list(prefix: string): Promise<string[]>
  /** Removes an object (no error when it is already gone). */
  delete(key: string): Promise<void>
  /** Sets an object's modification time to now (a writer's heartbeat). */
  touch(key: string): Promise<void>
  /**
   * Removes temporary files under `prefix` (recursively) last modified before
   * `modifiedBefore` (ms since the epoch, the store's clock): what killed writers left.
   * Resolves with how many were removed.
   */
  removeTemporaries(prefix: string, modifiedBefore: number): Promise<number>
}

/** Never listed: hidden files, among them the temporaries below. */
const TEMP = /^\.|\.sptmp$/
/** Temporaries made by this library (Rust seals and `putBytes`), the only files ever swept. */
const OUR_TEMPORARY = /^\..+\.sptmp$/

/**
 * Calls `visit` for every file under `dir` (none when it is missing) with its
 * `/`-separated key; hidden folders are not entered. Directory entry types say what is a
 * folder, so a store of many objects is listed without a stat per object.
 */
async function walkFiles(
  dir: string,
  rel: string,
  visit: (key: string, name: string, path: string) => void,
): Promise<void> {
  let entries: Dirent[]
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  for (const entry of entries) {
    const key = rel ? `${rel}/${entry.name}` : entry.name
    if (!entry.isDirectory()) visit(key, entry.name, join(dir, entry.name))
    else if (!entry.name.startsWith('.')) await walkFiles(join(dir, entry.name), key, visit)
  }
}

/** A folder on a local or mounted drive (e.g. an encrypted disk kept off-site). */
export class LocalFolderBackend implements StoreBackend {
  constructor(readonly location: string) {}

  #path(key: string): string {
    if (key.split('/').some((p) => p === '' || p === '.' || p === '..'))
      throw new Error(`bad store key ${key}`)
    return join(this.location, ...key.split('/'))
  }

  async stat(key: string) {
    try {
      const s = await stat(this.#path(key))
      return s.isFile() ? { size: s.size, mtimeMs: s.mtimeMs } : undefined
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
  }

  /** {@inheritDoc StoreBackend.getBytes} */
  getBytes(key: string): Promise<Buffer> {
    return readFile(this.#path(key))
  }

  async putBytes(key: string, data: Uint8Array, options: { replace?: boolean } = {}): Promise<void> {
    const final = this.#path(key)
    await mkdir(dirname(final), { recursive: true })
    const temp = join(dirname(final), `.${randomBytes(8).toString('hex')}.sptmp`)
    await writeSynced(temp, data)
    if (!options.replace && (await this.stat(key))) {
      await rm(temp, { force: true })
      throw Object.assign(new Error(`${final} already exists`), { code: 'EEXIST' })
    }
    await rename(temp, final)
    await syncFolder(dirname(final))
  }

  async putWith(key: string, write: (localPath: string) => Promise<void>): Promise<void> {
    const final = this.#path(key)
    await mkdir(dirname(final), { recursive: true })
    await write(final)
  }

  async localFile(key: string) {
    return {
      path: this.#path(key),
      /** Nothing to release for a local folder. */
      release: async () => {},
    }
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = []
    await walkFiles(this.#path(prefix), prefix, (key, name) => {
      if (!TEMP.test(name)) out.push(key)
    })
    return out.sort()
  }

  async removeTemporaries(prefix: string, modifiedBefore: number): Promise<number> {
    const temporaries: string[] = []
    await walkFiles(this.#path(prefix), prefix, (_key, name, path) => {
      if (OUR_TEMPORARY.test(name)) temporaries.push(path)
    })
    let removed = 0
    for (const path of temporaries) {
      // Gone meanwhile (renamed by its writer, or removed by another sweep): not ours to count.
      const s = await stat(path).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined
        throw err
      })
      if (!s || s.mtimeMs >= modifiedBefore) continue
      await rm(path, { force: true })
      removed++
    }
    return removed
  }

  /** {@inheritDoc StoreBackend.touch} */
  async touch(key: string): Promise<void> {
    const now = new Date()
    await utimes(this.#path(key), now, now)
  }

  /** {@inheritDoc StoreBackend.delete} */
  async delete(key: string): Promise<void> {
    await rm(this.#path(key), { force: true })
  }
}
