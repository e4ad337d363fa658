/**
 * Types of ASC MHL v2.0 histories: what {@link writeGeneration} takes and what
 * {@link readHistory} returns.
 * @module
 */

/** How the files of a generation got where they are (ASC MHL `<process>`). */
export type MhlProcess = 'in-place' | 'transfer' | 'flatten'

/** What a generation did with a file's hash (ASC MHL `action`). */
export type MhlAction = 'original' | 'verified' | 'failed'

/** The hash formats ASC MHL v2.0 can carry, in the order its schema wants them. */
export type MhlHashFormat = 'c4' | 'md5' | 'sha1' | 'xxh128' | 'xxh3' | 'xxh64'

/** Every ASC MHL hash format, in schema order. */
export const MHL_HASH_FORMATS: readonly MhlHashFormat[] = ['c4', 'md5', 'sha1', 'xxh128', 'xxh3', 'xxh64']

/**
 * Hashes of one file as lowercase hex (`c4` as a C4 ID, or as 128 hex digits of SHA-512
 * which are turned into one). XXH128 is big-endian, as `xxhsum -H2` and `hashFile` print it.
 */
export type MhlHashes = Partial<Record<MhlHashFormat, string>>

/** A person named in a manifest's `<creatorinfo>`. */
export interface MhlAuthor {
  name: string
  email?: string
  phone?: string
  role?: string
}

/** Who wrote a generation (ASC MHL `<creatorinfo>`). */
export interface MhlCreator {
  /** The tool's name, e.g. `'shutterproof'`. */
  tool: string
  /** The tool's version, e.g. `'0.1.0'`. */
  version?: string
  /** The machine's name; {@link writeGeneration} defaults it to `os.hostname()`. */
  hostName?: string
  /** Who ran the tool. */
  author?: string | MhlAuthor | readonly MhlAuthor[]
  /** Where, e.g. `'Set B, Lisbon'`. */
  location?: string
  /** Free text. */
  comment?: string
}

/** One file of a new generation, as given to {@link writeGeneration}. */
export interface MhlFileInput {
  /**
   * Path relative to the history's root, with `/` separators, exactly as the name is on
   * disk (the reference tool compares names byte for byte, so it is not normalized).
   */
  path: string
  /** Size in bytes. */
  size: number
  /** Last modification time (written to the second, in UTC). */
  lastModified: Date
  /** At least one ASC MHL hash. `size` may be present (a `HashResult`) and must then match. */
  hashes: MhlHashes
  /** `original` for a first record, `verified`/`failed` for a later check. */
  action: MhlAction
}

/** One hash as recorded in a manifest. */
export interface MhlHashRecord {
  /** Lowercase hex (a C4 ID for `c4`), as written. */
  value: string
  /** Absent only in manifests of other tools that leave it out. */
  action?: MhlAction
  hashDate?: Date
}

/** One `<hash>` entry of a manifest. */
export interface MhlFileEntry {
  path: string
  size?: number
  lastModified?: Date
  creationDate?: Date
  /** The path this file had before (ASC MHL `<previousPath>`), if it was renamed. */
  previousPath?: string
  hashes: Partial<Record<MhlHashFormat, MhlHashRecord>>
}

/** Content and structure hashes of a folder (ASC MHL `<directoryhash>` / `<roothash>`). */
export interface MhlDirectoryEntry {
  /** `'.'` for the root hash. */
  path: string
  lastModified?: Date
  content: Partial<Record<MhlHashFormat, MhlHashRecord>>
  structure: Partial<Record<MhlHashFormat, MhlHashRecord>>
}

/**
 * How a manifest compares with `ascmhl_chain.xml`: `ok` (same C4), `mismatch` (the
 * manifest changed after it was chained), `unlisted` (the chain does not list it, e.g. a
 * write interrupted between manifest and chain).
 */
export type MhlChainStatus = 'ok' | 'mismatch' | 'unlisted'

/** One generation of a history: a parsed manifest and its chain check. */
export interface MhlGeneration {
  /** Sequence number, from 1. */
  generation: number
  /** The manifest's file name, e.g. `0001_A002R2EC_2020-01-16_091500Z.mhl`. */
  fileName: string
  /** Absolute path of the manifest. */
  manifestPath: string
  /** C4 ID of the manifest file as it is now. */
  c4: string
  /** C4 ID the chain file records for it, if any. */
  chainC4?: string
  chain: MhlChainStatus
  creator: MhlCreator & { hostName: string; authors: MhlAuthor[]; creationDate: Date }
  process: MhlProcess
  /** Ignore patterns (gitignore syntax) in force for this generation. */
  ignore: string[]
  /** `<hash>` entries in manifest order. */
  files: MhlFileEntry[]
  /** `<directoryhash>` entries in manifest order (Shutterproof writes none). */
  directories: MhlDirectoryEntry[]
  /** `<roothash>`, if present. */
  rootHash?: MhlDirectoryEntry
}

/** A whole ASC MHL history, generations in ascending order. */
export interface MhlHistory {
  /** The folder holding `ascmhl/`. */
  root: string
  generations: MhlGeneration[]
}
