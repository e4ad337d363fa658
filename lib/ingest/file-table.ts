/**
 * An ingest's per-file results, kept compactly: one byte per status, digests as bytes in
 * one slab per algorithm, sizes and times in typed arrays, errors only for the files that
 * have one. A card costs ~150 bytes a file here (paths included), where one
 * {@link IngestFileResult} object with its hex strings cost ~500 (issue #18); the
 * objects are made one at a time, as the records, the MHL and the HTML page are written.
 * @module
 */
import type { ReportedError } from '../errors'
import { HASH_ALGORITHMS, type HashAlgorithm, type HashResult } from '../hash'
import type { CardFiles } from './plan'
import type { RecordStatus, VerifyMethod } from './records'
import type { FileAtDestination, IngestFileResult } from './types'

type Hashes = Omit<HashResult, 'size'>
type SourceState = IngestFileResult['sourceState']

const STATUSES: readonly RecordStatus[] = [
  'verified',
  'copied',
  'skipped-identical',
  'previously-verified',
  'failed',
  'aborted',
  'mismatch',
  'missing',
]
const METHODS: readonly VerifyMethod[] = ['disk-direct', 'disk-evicted', 'cache', 'size', 'none']
const SOURCE_STATES: readonly SourceState[] = [
  'read',
  'source-changed',
  'failed',
  'not-read',
  'previously-verified',
]

/** Bytes of each digest. */
const WIDTH: Record<HashAlgorithm, number> = {
  blake3: 32,
  xxh128: 16,
  xxh64: 8,
  xxh3: 8,
  md5: 16,
  sha1: 20,
  sha256: 32,
}

/** Bit of `hashMask` saying the file has a hashes object at all (possibly empty). */
const HAS_HASHES = 1 << HASH_ALGORITHMS.length

/** A word's number in its list; an unknown word is refused (the lists are the types'). */
function code<T>(list: readonly T[], word: T): number {
  const i = list.indexOf(word)
  if (i < 0) throw new TypeError(`unknown ingest result word ${String(word)}`)
  return i
}

/** Per card file (in the card's order), its result at each destination. */
export class FileTable {
  readonly card: CardFiles
  /** Number of destinations. */
  readonly width: number
  readonly #sizes: Float64Array
  readonly #mtimes: Float64Array
  readonly #source: Uint8Array
  readonly #status: Uint8Array
  readonly #method: Uint8Array
  readonly #hashMask: Uint16Array
  // Buffers, so that a file's digest is read and written in place: no view made per file
  // and hash (issue #18: ~16,000 of them per 2,000-file ingest, all garbage at once).
  readonly #digests = new Map<HashAlgorithm, Buffer>()
  readonly #sourceErrors = new Map<number, ReportedError>()
  readonly #errors: Array<Map<number, ReportedError>>
  /** Hashes that would not come back byte for byte from binary (not lowercase hex, other key order): kept as given. */
  readonly #oddHashes = new Map<number, Hashes>()
  /** Files whose `hashes` come before `destinations` in their result (found verified before), as results always laid them out. */
  readonly #hashesFirst: Uint8Array

  constructor(card: CardFiles, destinations: number) {
    const n = card.count
    this.card = card
    this.width = destinations
    this.#sizes = new Float64Array(n)
    this.#mtimes = new Float64Array(n)
    this.#source = new Uint8Array(n)
    this.#status = new Uint8Array(n * destinations)
    this.#method = new Uint8Array(n * destinations)
    this.#hashMask = new Uint16Array(n)
    this.#hashesFirst = new Uint8Array(n)
    this.#errors = Array.from({ length: destinations }, () => new Map<number, ReportedError>())
  }

  get count(): number {
    return this.card.count
  }

  path(i: number): string {
    return this.card.path(i)
  }

  size(i: number): number {
    return this.#sizes[i]!
  }

  mtimeMs(i: number): number {
    return this.#mtimes[i]!
  }

  sourceState(i: number): SourceState {
    return SOURCE_STATES[this.#source[i]!]!
  }

  sourceError(i: number): ReportedError | undefined {
    return this.#sourceErrors.get(i)
  }

  status(i: number, d: number): RecordStatus {
    return STATUSES[this.#status[i * this.width + d]!]!
  }

  method(i: number, d: number): VerifyMethod {
    return METHODS[this.#method[i * this.width + d]!]!
  }

  error(i: number, d: number): ReportedError | undefined {
    return this.#errors[d]!.get(i)
  }

  /** Whether every file has the same status, method and error at destinations `a` and `b`. */
  sameAt(a: number, b: number): boolean {
    for (let at = 0; at < this.#status.length; at += this.width) {
      if (this.#status[at + a] !== this.#status[at + b] || this.#method[at + a] !== this.#method[at + b])
        return false
    }
    const [ea, eb] = [this.#errors[a]!, this.#errors[b]!]
    if (ea.size !== eb.size) return false
    for (const [i, e] of ea) if (JSON.stringify(e) !== JSON.stringify(eb.get(i))) return false
    return true
  }

  /** Whether the file has hashes (an object, possibly empty). */
  hasHashes(i: number): boolean {
    return this.#oddHashes.has(i) || (this.#hashMask[i]! & HAS_HASHES) !== 0
  }

  /** The file's hashes as a new object (hex, in the order they were given), or undefined when it has none. */
  hashes(i: number): Hashes | undefined {
    const odd = this.#oddHashes.get(i)
    if (odd) return odd
    const mask = this.#hashMask[i]!
    if (!(mask & HAS_HASHES)) return undefined
    const out: Hashes = {}
    for (let k = 0; k < HASH_ALGORITHMS.length; k++) {
      if (!(mask & (1 << k))) continue
      const a = HASH_ALGORITHMS[k]!
      const w = WIDTH[a]
      out[a] = this.#digests.get(a)!.toString('hex', i * w, (i + 1) * w)
    }
    return out
  }

  /** Sets what is known of file `i` apart from its destinations. */
  setFile(
    i: number,
    f: { size: number; mtimeMs: number; sourceState: SourceState; sourceError?: ReportedError },
  ): void {
    this.#sizes[i] = f.size
    this.#mtimes[i] = f.mtimeMs
    this.#source[i] = code(SOURCE_STATES, f.sourceState)
    if (f.sourceError) this.#sourceErrors.set(i, f.sourceError)
  }

  /** Sets file `i` at destination `d`. */
  setAt(i: number, d: number, at: FileAtDestination): void {
    this.#status[i * this.width + d] = code(STATUSES, at.status)
    this.#method[i * this.width + d] = code(METHODS, at.method)
    if (at.error) this.#errors[d]!.set(i, at.error)
  }

  /**
   * Sets file `i`'s hashes (hex). `first`: its result lays `hashes` out before
   * `destinations` (a file verified before), as {@link result} gives it back.
   */
  setHashes(i: number, hashes: Hashes, first = false): void {
    if (first) this.#hashesFirst[i] = 1
    let mask = HAS_HASHES
    let k = 0
    const keys = Object.keys(hashes)
    for (let a = 0; a < HASH_ALGORITHMS.length; a++) {
      const alg = HASH_ALGORITHMS[a]!
      const hex = hashes[alg]
      if (hex === undefined) continue
      // In the canonical order and lowercase hex of the right width, or kept as given.
      if (keys[k++] !== alg || !isHex(hex, WIDTH[alg])) {
        this.#oddHashes.set(i, hashes)
        return
      }
      mask |= 1 << a
    }
    if (k !== keys.length) {
      this.#oddHashes.set(i, hashes)
      return
    }
    HASH_ALGORITHMS.forEach((alg, a) => {
      if (!(mask & (1 << a))) return
      const w = WIDTH[alg]
      let slab = this.#digests.get(alg)
      if (!slab) this.#digests.set(alg, (slab = Buffer.alloc(this.count * w)))
      slab.write(hashes[alg]!, i * w, w, 'hex')
    })
    this.#hashMask[i] = mask
  }

  /**
   * Sets file `i`'s digests from the copy engine's columns: `digests` lists, per
   * algorithm, `width` bytes per engine file (entry `k`) and whether entry `k` has one.
   */
  setDigests(
    i: number,
    k: number,
    digests: ReadonlyArray<{ algorithm: string; width: number; bytes: Uint8Array; present: Uint8Array }>,
  ): void {
    let mask = HAS_HASHES
    for (const c of digests) {
      if (!c.present[k]) continue
      const a = HASH_ALGORITHMS.indexOf(c.algorithm as HashAlgorithm)
      const alg = HASH_ALGORITHMS[a]
      if (alg === undefined || WIDTH[alg] !== c.width) throw new TypeError(`unknown digest ${c.algorithm}`)
      let slab = this.#digests.get(alg)
      if (!slab) this.#digests.set(alg, (slab = Buffer.alloc(this.count * c.width)))
      for (let b = 0; b < c.width; b++) slab[i * c.width + b] = c.bytes[k * c.width + b]!
      mask |= 1 << a
    }
    this.#hashMask[i] = mask
  }

  /** File `i` at every destination. */
  destinations(i: number): FileAtDestination[] {
    const out: FileAtDestination[] = []
    for (let d = 0; d < this.width; d++) {
      const x: FileAtDestination = { status: this.status(i, d), method: this.method(i, d) }
      const err = this.error(i, d)
      if (err) x.error = err
      out.push(x)
    }
    return out
  }

  /** File `i` as {@link IngestReport.files} has it (a new object each call). */
  result(i: number): IngestFileResult {
    const head = {
      path: this.path(i),
      size: this.size(i),
      mtimeMs: this.mtimeMs(i),
      sourceState: this.sourceState(i),
    }
    const hashes = this.hashes(i)
    // The key order results always had: found verified before, hashes then destinations.
    if (this.#hashesFirst[i]) return { ...head, hashes: hashes ?? {}, destinations: this.destinations(i) }
    const out: IngestFileResult = { ...head, destinations: this.destinations(i) }
    if (hashes) out.hashes = hashes
    const err = this.sourceError(i)
    if (err) out.sourceError = err
    return out
  }
}

/** Lowercase hex of `bytes` bytes: what `Buffer.toString('hex')` gives back unchanged. */
function isHex(s: string, bytes: number): boolean {
  return s.length === bytes * 2 && /^[0-9a-f]*$/.test(s)
}
