/**
 * What a store's earlier snapshots tell a backup, read one snapshot and one entry at a
 * time (issue #18): the objects they list (trusted: each was verified when written), and
 * the session's newest snapshot, its entries spilled to a file and read back beside the
 * walk. Snapshots that cannot be opened are skipped, as {@link Store.snapshots} lists
 * them apart.
 * @internal
 * @module
 */
import { createReadStream } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { StringDecoder } from 'node:string_decoder'

import { createOpenStream } from '../seal/streams'
import { ObjectSet } from './object-set'
import { SnapshotScanner } from './snapshot-scanner'
import { readLines, TextSpill } from '../spill/lines'
import { SNAPSHOT_FORMAT, type SnapshotFile, type Store } from './store'

/** The session's newest snapshot: its key, and its entries one JSON line each in `spill`. */
export interface PreviousSnapshot {
  key: string
  createdAt: string
  files: number
  spill: string
}

export interface PriorSnapshots {
  /** Objects listed by a readable snapshot (32 bytes per object of the store). */
  trusted: ObjectSet
  previous?: PreviousSnapshot
}

/** Reads every snapshot of the store; spill files go into `scratch`. */
export async function readPriorSnapshots(
  store: Store,
  session: string,
  scratch: string,
): Promise<PriorSnapshots> {
  const trusted = new ObjectSet()
  let previous: PreviousSnapshot | undefined
  let n = 0
  for (const key of await store.backend.list('index')) {
    if (!key.endsWith('.sealed')) continue
    const spill = join(scratch, `previous-${n++}.jsonl`)
    const read = await readSnapshot(store, key, session, spill).catch(() => undefined)
    if (!read) {
      await rm(spill, { force: true })
      continue
    }
    for (const o of read.objects.names()) trusted.add(o)
    // The newest wins, in the order Store.snapshots() sorts them (createdAt, then key).
    const newer =
      read.previous &&
      (!previous ||
        read.previous.createdAt > previous.createdAt ||
        (read.previous.createdAt === previous.createdAt && key > previous.key))
    if (newer) {
      if (previous) await rm(previous.spill, { force: true })
      previous = read.previous
    } else await rm(spill, { force: true })
  }
  return previous ? { trusted, previous } : { trusted }
}

/** One snapshot, decrypted and scanned as it streams; its entries spilled when it is the session's. */
async function readSnapshot(
  store: Store,
  key: string,
  session: string,
  spill: string,
): Promise<{ objects: ObjectSet; previous?: PreviousSnapshot }> {
  // Trusted only once the whole snapshot authenticated and proved one.
  const objects = new ObjectSet()
  const out = await TextSpill.create(spill)
  let mine = true
  const scanner = new SnapshotScanner((e) => {
    objects.add(e.object)
    // Entries of other sessions are not kept (a head that does not say yet: kept for now).
    const named = scanner.head?.session
    mine = named === undefined || named === session
    if (mine) out.line(JSON.stringify(e))
  })
  const local = await store.backend.localFile(key)
  try {
    const decoder = new StringDecoder('utf8')
    await pipeline(createReadStream(local.path), createOpenStream({ vault: store.vault }), async (plain) => {
      for await (const chunk of plain as AsyncIterable<Buffer>) {
        scanner.push(decoder.write(chunk))
        await out.spillIfFull()
      }
    })
    scanner.push(decoder.end())
  } finally {
    await out.close()
    await local.release()
  }
  const head = scanner.end()
  if (head.format !== SNAPSHOT_FORMAT || typeof head.session !== 'string' || !scanner.hasFiles)
    throw new Error('not an index snapshot')
  if (head.session !== session) return { objects }
  return {
    objects,
    previous: { key, createdAt: String(head.createdAt), files: out.lines, spill },
  }
}

/** `a` before `b` in the walk's order: folder by folder, names sorted as `Array.sort` does. */
export function compareWalkOrder(a: string, b: string): number {
  const x = a.split('/')
  const y = b.split('/')
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i]! < y[i]!) return -1
    if (x[i]! > y[i]!) return 1
  }
  return x.length - y.length
}

/**
 * The previous snapshot's entries read beside the walk: asked for the walk's paths in
 * order, it finds each one's entry and its place in the previous list. A list in
 * another order only finds fewer (those files are hashed again).
 */
export class PreviousFiles {
  readonly #lines: AsyncGenerator<string>
  #current: { entry: SnapshotFile; index: number } | undefined
  #read = 0
  #done = false

  constructor(spill: string) {
    this.#lines = readLines(spill)
  }

  async find(path: string): Promise<{ entry: SnapshotFile; index: number } | undefined> {
    for (;;) {
      if (!this.#current && !(await this.#advance())) return undefined
      const c = this.#current!
      const order = typeof c.entry.path === 'string' ? compareWalkOrder(c.entry.path, path) : -1
      if (order > 0) return undefined
      this.#current = undefined
      if (order === 0) return c
    }
  }

  async #advance(): Promise<boolean> {
    if (this.#done) return false
    const r = await this.#lines.next()
    if (r.done) {
      this.#done = true
      return false
    }
    this.#current = { entry: JSON.parse(r.value) as SnapshotFile, index: this.#read++ }
    return true
  }

  async close(): Promise<void> {
    await this.#lines.return(undefined)
  }
}
