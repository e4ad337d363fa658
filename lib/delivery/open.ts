/**
 * Unpacking an encrypted delivery safely: only regular files, only inside the chosen
 * folder, never over an existing file, and nothing under a final name until the whole
 * archive authenticated.
 * @module
 */
import { createReadStream } from 'node:fs'
import {
  lstat,
  mkdir,
  mkdtemp,
  open,
  realpath,
  rm,
  rmdir,
  stat,
  unlink,
  type FileHandle,
} from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { pipeline } from 'node:stream/promises'

import { extract as tarExtract, type Header } from 'tar-stream'

import { abortError, throwIfAborted } from '../abort'
import { deprecated } from '../deprecate'
import {
  FileSystemError,
  IntegrityError,
  InvalidArgumentError,
  ShutterproofError,
  UnsafeArchiveError,
} from '../errors'
import { syncFolder } from '../fs/durable'
import { toFsError } from '../fs/errors'
import type { OpenKey } from '../seal/keys'
import { createOpenStream } from '../seal/streams'
import type { DeliveryFile } from './create'
import { writeAll } from './handle-io'
import { nameTaken, placeNoOverwrite } from './place'
import { checkEntryName, confinedPath, NameSet, parentIsInside } from './safe-paths'
import { entryMtime } from './tar-mtime'

/** Caps on what one delivery may unpack. */
export interface DeliveryLimits {
  /** Entries (files and folders) at most; default 100,000. */
  maxEntries?: number
  /** Total bytes of the files at most; default 1 TiB. */
  maxBytes?: number
}

/** The default {@link DeliveryLimits}. */
export const DEFAULT_DELIVERY_LIMITS: Readonly<Required<DeliveryLimits>> = Object.freeze({
  maxEntries: 100_000,
  maxBytes: 2 ** 40,
})

/** Options of {@link openDelivery}. */
export interface OpenDeliveryOptions {
  /** Aborting rejects with `E_ABORTED`; nothing is left in the folder. */
  signal?: AbortSignal
  /** Caps on entry count and total size (`E_ARCHIVE_LIMIT` beyond them). */
  limits?: DeliveryLimits
}

/** What {@link openDelivery} wrote. */
export interface OpenedDelivery {
  /** The files written, in archive order, by their names relative to `dir`. */
  files: DeliveryFile[]
  /** The folder they were written into (absolute path). */
  dir: string
}

interface Staged {
  name: string
  size: number
  staged: string
}

const STAGING_PREFIX = '.shutterproof-unpack-'

const REFUSED_TYPES: Record<string, string> = {
  symlink: 'a symbolic link',
  link: 'a hard link',
  'character-device': 'a character device',
  'block-device': 'a block device',
  fifo: 'a fifo (named pipe)',
}

function unsafe(entry: string, why: string): UnsafeArchiveError {
  return new UnsafeArchiveError(
    'E_UNSAFE_ENTRY',
    `The delivery holds an entry that is never unpacked: "${entry}" ${why}. Nothing was unpacked; ask the sender for a delivery made by Shutterproof (createDelivery)`,
    { entry },
  )
}

function checkLimits(limits: DeliveryLimits | undefined): Required<DeliveryLimits> {
  const out = { ...DEFAULT_DELIVERY_LIMITS, ...limits }
  for (const [k, v] of Object.entries(out)) {
    if (!Number.isSafeInteger(v) || v < 0)
      throw new InvalidArgumentError(`limits.${k} must be a whole number ≥ 0`)
  }
  return out
}

/**
 * Opens a delivery made by {@link createDelivery} (any sealed tar) and writes its files
 * into `intoDir` (created if missing).
 *
 * Only regular files are written, each inside `intoDir`: absolute names, `..`, symbolic
 * and hard links, devices and fifos, duplicate names and caps exceeded are refused
 * (`E_UNSAFE_ENTRY`, `E_ARCHIVE_LIMIT`), and existing files are never replaced
 * (`E_EXISTS`). Files are unpacked into a hidden staging folder inside `intoDir` and
 * moved to their names only after the whole archive authenticated, so a wrong passphrase
 * (`E_BAD_PASSPHRASE`), a tampered archive (`E_AUTH`, `E_TRUNCATED`) or a refused entry
 * leaves nothing behind.
 *
 * @example
 * ```ts
 * const { files } = await openDelivery('ada-wedding.sealed', 'Downloads/ada-wedding', { passphrase })
 * for (const f of files) console.log(f.name, f.size)
 * ```
 * @throws `E_BAD_PASSPHRASE`, `E_AUTH`, `E_TRUNCATED`, `E_FORMAT`, `E_UNSAFE_ENTRY`,
 *   `E_ARCHIVE_LIMIT`, `E_EXISTS`, `ENOENT`, `E_NO_SPACE`, `E_ABORTED`
 */
export async function openDelivery(
  file: string,
  intoDir: string,
  options: OpenKey & OpenDeliveryOptions,
): Promise<OpenedDelivery>
/** @deprecated Use `openDelivery(file, intoDir, { passphrase, ...options })` (source, target, options); this form goes in 0.3. */
export async function openDelivery(
  file: string,
  key: OpenKey,
  intoDir: string,
  options?: OpenDeliveryOptions,
): Promise<OpenedDelivery>
export async function openDelivery(
  file: string,
  a: string | OpenKey,
  b?: string | (OpenKey & OpenDeliveryOptions),
  c?: OpenDeliveryOptions,
): Promise<OpenedDelivery> {
  if (typeof a === 'string') {
    if (!b || typeof b !== 'object')
      throw new InvalidArgumentError('openDelivery needs (file, intoDir, { passphrase })')
    const { signal, limits, ...key } = b
    return openInto(file, key as OpenKey, a, { ...(signal ? { signal } : {}), ...(limits ? { limits } : {}) })
  }
  deprecated(
    'SP_DEP_OPEN_DELIVERY_ARGS',
    'openDelivery(file, key, intoDir, options) is deprecated: use openDelivery(file, intoDir, { passphrase, ...options })',
  )
  return openInto(file, a, b as string, c ?? {})
}

async function openInto(
  file: string,
  key: OpenKey,
  intoDir: string,
  options: OpenDeliveryOptions,
): Promise<OpenedDelivery> {
  if (typeof file !== 'string' || file === '')
    throw new InvalidArgumentError('give the path of the delivery to open')
  if (typeof intoDir !== 'string' || intoDir === '')
    throw new InvalidArgumentError('give the folder to unpack into')
  const limits = checkLimits(options.limits)
  const signal = options.signal
  throwIfAborted(signal)
  const opener = createOpenStream(key)
  const source = await stat(file).catch((err: unknown) => {
    throw toFsError(err, file, 'read')
  })
  if (!source.isFile())
    throw new FileSystemError('EISDIR', `${file} is not a file; give the .sealed delivery`, { path: file })

  const dir = resolve(intoDir)
  const createdFrom = await mkdir(dir, { recursive: true }).catch((err: unknown) => {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EEXIST' || code === 'ENOTDIR')
      throw new InvalidArgumentError(`${dir} is not a folder; give a folder to unpack into`)
    throw toFsError(err, dir, 'create folder')
  })
  let succeeded = false
  let staging: string | undefined
  try {
    if (!(await stat(dir)).isDirectory())
      throw new InvalidArgumentError(`${dir} is not a folder; give a folder to unpack into`)
    const root = await realpath(dir)
    staging = await mkdtemp(join(root, STAGING_PREFIX)).catch((err: unknown) => {
      throw toFsError(err, root, 'create a staging folder in')
    })
    const staged = await extractAuthenticated(file, opener, root, staging, limits, signal)
    const files = await moveIntoPlace(root, staged)
    succeeded = true
    return { files, dir }
  } catch (err) {
    if (signal?.aborted) throw abortError(signal)
    throw err
  } finally {
    if (staging) await rm(staging, { recursive: true, force: true }).catch(() => undefined)
    if (!succeeded && createdFrom) await removeEmptyUpTo(dir, createdFrom)
  }
}

/** Removes `dir` and its parents up to `top` (the first folder we created), if empty. */
async function removeEmptyUpTo(dir: string, top: string): Promise<void> {
  for (let d = dir; d.length >= top.length; d = dirname(d)) {
    if (
      !(await rmdir(d).then(
        () => true,
        () => false,
      ))
    )
      return
    if (d === top) return
  }
}

/**
 * Streams the archive through the opener into the staging folder. Resolves only when the
 * sealed stream's final check passed and the tar ended cleanly.
 */
async function extractAuthenticated(
  file: string,
  opener: ReturnType<typeof createOpenStream>,
  root: string,
  staging: string,
  limits: Required<DeliveryLimits>,
  signal: AbortSignal | undefined,
): Promise<Staged[]> {
  const realStaging = await realpath(staging)
  const names = new NameSet()
  const staged: Staged[] = []
  let entries = 0
  let bytes = 0
  let failure: unknown
  let pending: Promise<void> = Promise.resolve()

  const handle = async (header: Header, body: AsyncIterable<Buffer>): Promise<void> => {
    if (++entries > limits.maxEntries) {
      throw new UnsafeArchiveError(
        'E_ARCHIVE_LIMIT',
        `The delivery holds more than ${limits.maxEntries} entries; nothing was unpacked. If you trust it, raise limits.maxEntries`,
      )
    }
    const raw = String(header.name)
    const type: string = header.type ?? 'unknown'
    const refused = REFUSED_TYPES[type]
    if (refused) throw unsafe(raw, `is ${refused}${header.linkname ? ` to "${header.linkname}"` : ''}`)
    if (type !== 'file' && type !== 'contiguous-file' && type !== 'directory')
      throw unsafe(raw, `has an unknown type (${type})`)
    const checked = checkEntryName(raw)
    if (!checked.ok) throw unsafe(raw, `is refused because ${checked.problem}`)
    if (checked.parts[0]!.startsWith(STAGING_PREFIX))
      throw unsafe(raw, `uses the name Shutterproof keeps for its staging folder (${STAGING_PREFIX}…)`)
    if (type === 'directory') {
      for await (const _ of body); // folders are made as their files need them
      return
    }
    const clash = names.add(checked.name)
    if (clash) throw unsafe(raw, `collides with another entry: ${clash}`)
    const size = header.size ?? 0
    if ((bytes += size) > limits.maxBytes) {
      throw new UnsafeArchiveError(
        'E_ARCHIVE_LIMIT',
        `The delivery holds more than ${limits.maxBytes} bytes; nothing was unpacked. If you trust it and have the space, raise limits.maxBytes`,
      )
    }
    const final = confinedPath(root, checked.name)
    if (await nameTaken(final)) throw existing(final)
    const path = confinedPath(realStaging, checked.name)
    await mkdir(dirname(path), { recursive: true })
    if (!(await parentIsInside(realStaging, path))) throw unsafe(raw, 'would be written outside the folder')
    let out: FileHandle | undefined = await open(path, 'wx')
    try {
      let written = 0
      for await (const chunk of body) {
        await writeAll(out, chunk)
        written += chunk.length
      }
      if (written !== size)
        throw new IntegrityError(
          'E_FORMAT',
          `The delivery's entry "${raw}" is shorter than its header says; ask the sender for a new delivery`,
        )
      // An empty file has no data to flush; its name is made durable by the folder's fsync.
      if (size > 0) await out.sync()
      const mtime = entryMtime(header)
      if (mtime) await out.utimes(mtime, mtime)
      await out.close()
      out = undefined
    } finally {
      await out?.close().catch(() => undefined)
    }
    staged.push({ name: checked.name, size, staged: path })
  }

  const extract = tarExtract()
  extract.on('entry', (header, body, next) => {
    // A refused entry destroys the extractor, which destroys this body with the same error;
    // that error is reported through the pipeline, and must not crash the process here.
    body.on('error', () => undefined)
    pending = handle(header, body as AsyncIterable<Buffer>).then(
      () => next(),
      (err: unknown) => {
        failure ??= err
        next(err as Error)
      },
    )
  })
  try {
    await pipeline(createReadStream(file), opener, extract, signal ? { signal } : {})
    await pending
    if (failure) throw failure
  } catch (err) {
    await pending.catch(() => undefined)
    throw explain(
      failure instanceof ShutterproofError && !(err instanceof ShutterproofError) ? failure : err,
      file,
    )
  }
  return staged
}

function existing(path: string): FileSystemError {
  return new FileSystemError(
    'E_EXISTS',
    `${path} already exists and is never overwritten; nothing was unpacked. Unpack into an empty folder, or move the existing file away`,
    { path },
  )
}

/** Errors from the tar parser or the file system, as typed errors. */
function explain(err: unknown, file: string): ShutterproofError {
  if (err instanceof ShutterproofError) return err
  const code = (err as NodeJS.ErrnoException)?.code
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return toFsError(err, file, 'unpack')
  const reason = err instanceof Error ? err.message : String(err)
  return new IntegrityError(
    'E_FORMAT',
    `${file} decrypted and authenticated, but is not a tar archive Shutterproof can read (${reason}); ask the sender for a delivery made by Shutterproof (createDelivery)`,
    { path: file, cause: err },
  )
}

/**
 * Moves authenticated files from staging to their names. Checks every name is free
 * first; refuses folders that are links; on any failure removes what it placed.
 */
async function moveIntoPlace(root: string, staged: Staged[]): Promise<DeliveryFile[]> {
  const finals = staged.map((s) => confinedPath(root, s.name))
  for (const f of finals) if (await nameTaken(f)) throw existing(f)
  const placed: string[] = []
  const madeDirs: string[] = []
  const parents = new Set<string>()
  try {
    for (const [i, s] of staged.entries()) {
      const final = finals[i]!
      await makeParents(root, s.name, madeDirs)
      if (!(await parentIsInside(root, final))) throw unsafe(s.name, 'would be written outside the folder')
      await placeNoOverwrite(
        s.staged,
        final,
        'nothing was unpacked; unpack into an empty folder, or move the existing file away',
      )
      placed.push(final)
      parents.add(dirname(final))
    }
    for (const p of parents) await syncFolder(p)
  } catch (err) {
    for (const p of placed.reverse()) await unlink(p).catch(() => undefined)
    for (const d of madeDirs.reverse()) await rmdir(d).catch(() => undefined)
    throw err
  }
  return staged.map((s) => ({ name: s.name, size: s.size }))
}

/** Creates the folders of `name` under `root` one by one, refusing any that is a link. */
async function makeParents(root: string, name: string, made: string[]): Promise<void> {
  const parts = name.split('/').slice(0, -1)
  let dir = root
  for (const part of parts) {
    dir = join(dir, part)
    try {
      await mkdir(dir)
      made.push(dir)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw toFsError(err, dir, 'create folder')
      const s = await lstat(dir)
      if (!s.isDirectory()) {
        throw new FileSystemError(
          'E_EXISTS',
          `${dir} exists and is not a folder (${s.isSymbolicLink() ? 'a symbolic link' : 'a file'}); nothing was unpacked. Unpack into an empty folder`,
          { path: dir },
        )
      }
    }
  }
}
