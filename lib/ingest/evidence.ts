/**
 * The evidence of a session root: per path, the newest entry of our `.shutterproof/`
 * records that says something about the file under its final name (see
 * {@link latestEvidence}). Kept off the JS heap, in a temporary on-disk table
 * (lib/spill.ts): a card of 20,000 files costs the memory of one record entry at a time.
 * @module
 */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'

import { SpillTable } from '../spill/table'
import { DATA_FOLDER } from './plan'
import {
  EVIDENCE,
  newerEvidence,
  recordHead,
  scanRecordLines,
  type RecordFile,
  type SessionRecord,
} from './records'

/**
 * The newest record entry per path of one session root, read on demand from a temporary
 * table. Map-like where ingest needs it (`get`, `clear`); {@link Evidence.entries} lists
 * every entry sorted by path. `clear()` removes the table (it is removed anyway when the
 * process exits).
 */
export class Evidence {
  readonly #table: SpillTable

  /** @internal */
  constructor(table: SpillTable = new SpillTable()) {
    this.#table = table
  }

  /** The newest entry of `path`, or undefined when no record says anything of it (or after `clear()`). */
  get(path: string): RecordFile | undefined {
    const text = this.#table.get(path)
    return text === undefined ? undefined : (JSON.parse(text) as RecordFile)
  }

  /** Paths with an entry. */
  get size(): number {
    return this.#table.size
  }

  /** Every entry, sorted by path (JavaScript's string order), read a page at a time. */
  *entries(): Generator<RecordFile> {
    for (const [, text] of this.#table.entries()) yield JSON.parse(text) as RecordFile
  }

  /** Lets the entries go (removes the table); the evidence is empty afterwards. */
  clear(): void {
    this.#table.close()
  }

  /**
   * Adds one entry, newer than those added so far; `text`, when given, is `f` as JSON
   * (as read from the record). The first entry of a path is stored as it is, in one
   * write (a destination's first record: every entry; issue #18); a later one is merged
   * with what is stored.
   * @internal
   */
  add(f: RecordFile, text?: string): void {
    if (!EVIDENCE.has(f.status)) return
    if (this.#table.insert(f.path, text ?? JSON.stringify(f))) return
    const prev = this.#table.get(f.path)
    this.#table.set(
      f.path,
      JSON.stringify(newerEvidence(prev === undefined ? undefined : JSON.parse(prev), f)),
    )
  }

  /** Adds a whole record's entries, or none of them when `read` rejects. @internal */
  addAll(read: (add: (f: RecordFile, text?: string) => void) => Promise<void>): Promise<void> {
    return this.#table.atomically(() => read((f, text) => this.add(f, text)))
  }
}

/** What ingest reads of a destination's evidence (an {@link Evidence}, or a `Map` of entries). */
export interface EvidenceLookup {
  get(path: string): RecordFile | undefined
  clear(): void
}

const RECORD_NAME = /^(ingest|verify)-.*\.json$/

/** `ingest-…Z-2.json` → 2: records written in the same millisecond, in the order `writeRecord` named them. */
function nameRank(name: string): number {
  const m = /Z-(\d+)\.json$/.exec(name)
  return m ? Number(m[1]) : 1
}

/**
 * {@link latestEvidence} of a session root's records, read one entry at a time into an
 * {@link Evidence}: no record is ever whole in memory. Records are folded oldest first,
 * by the `createdAt` each says (then in the order `writeRecord` named them), whatever
 * their names; records that cannot be read are left out, as {@link readRecords} does.
 */
export async function readEvidence(root: string): Promise<Evidence> {
  const dir = join(root, DATA_FOLDER)
  const evidence = new Evidence()
  let names: string[]
  try {
    names = (await readdir(dir)).filter((n) => RECORD_NAME.test(n)).sort()
  } catch {
    return evidence
  }
  const order: Array<{ name: string; createdAt: string; rank: number }> = []
  for (const name of names) {
    const head = await recordHead(join(dir, name)).catch(() => undefined)
    if (head?.format !== 'shutterproof-session-record/1') continue
    order.push({ name, createdAt: head.createdAt, rank: nameRank(name) })
  }
  order.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.rank - b.rank))
  for (const { name } of order) await addRecord(evidence, join(dir, name))
  return evidence
}

/**
 * Adds one record file: read a line at a time when laid out as written, else parsed whole
 * (edited by hand, another tool's); left out when it is not a session record at all.
 */
async function addRecord(evidence: Evidence, path: string): Promise<void> {
  try {
    await evidence.addAll(async (add) => {
      const r = await scanRecordLines(path, add)
      check(r)
      // Laid out otherwise, the record came back whole and nothing was handed over.
      for (const f of r.files) add(f)
    })
    return
  } catch {
    // Not laid out as written (or damaged): parsed whole below.
  }
  await evidence
    .addAll(async (add) => {
      const r = JSON.parse(await readFile(path, 'utf8')) as SessionRecord
      check(r)
      for (const f of r.files) add(f)
    })
    .catch(() => {})
}

function check(r: SessionRecord): void {
  if (r?.format !== 'shutterproof-session-record/1' || !Array.isArray(r.files))
    throw new Error('not a session record')
}
