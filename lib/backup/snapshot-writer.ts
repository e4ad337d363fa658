/**
 * The snapshot a backup builds, kept on the disk as it grows: its entries spilled in walk
 * order as files finish (in any order), then its JSON text written in pieces, byte for
 * byte what `JSON.stringify(snapshot)` gives, for the native sealer to read as a file.
 * Neither the list nor the text (~230 bytes per file) is ever whole in memory (issue #18).
 * @internal
 * @module
 */
import { readLines, TextSpill } from './spill'
import type { Snapshot, SnapshotFile } from './store'

export class SnapshotWriter {
  /** Entries finished ahead of an earlier file still in work, by their place in the walk. */
  readonly #ahead = new Map<number, SnapshotFile | undefined>()
  #next = 0
  #sameAsPrevious: boolean

  private constructor(
    private readonly entries: TextSpill,
    private readonly previous: readonly SnapshotFile[] | undefined,
  ) {
    this.#sameAsPrevious = previous !== undefined
  }

  /** Spills entries to `path` (a new file); `previous` is the session's newest snapshot's list. */
  static async create(path: string, previous: readonly SnapshotFile[] | undefined): Promise<SnapshotWriter> {
    return new SnapshotWriter(await TextSpill.create(path), previous)
  }

  /**
   * The entry of the `index`-th file of the walk, or `undefined` for a file that failed
   * (no snapshot is published then, but later entries must not wait for it).
   */
  async add(index: number, entry: SnapshotFile | undefined): Promise<void> {
    this.#ahead.set(index, entry)
    // Synchronous up to the spill's write, so that two workers never interleave entries.
    while (this.#ahead.has(this.#next)) {
      const e = this.#ahead.get(this.#next)
      this.#ahead.delete(this.#next)
      if (e) {
        this.#compare(this.#next, e)
        this.entries.line(JSON.stringify(e))
      }
      this.#next++
    }
    await this.entries.spillIfFull()
  }

  #compare(index: number, e: SnapshotFile): void {
    const p = this.previous?.[index]
    if (!p || p.path !== e.path || p.object !== e.object || p.size !== e.size || p.mtimeMs !== e.mtimeMs)
      this.#sameAsPrevious = false
  }

  /** Writes what is left; true when the list equals the previous snapshot's. */
  async finish(): Promise<boolean> {
    await this.entries.close()
    return this.#sameAsPrevious && this.previous!.length === this.entries.lines
  }

  /** Closes the spill without reading it (a run that publishes nothing). */
  async discard(): Promise<void> {
    await this.entries.close().catch(() => {})
  }

  /** Writes the snapshot's JSON text to `path` (a new file), the entries read back in order. */
  async writeText(path: string, head: Omit<Snapshot, 'files'>): Promise<void> {
    const out = await TextSpill.create(path)
    try {
      // The same keys in the same order as the snapshot object always had.
      const empty = JSON.stringify({
        format: head.format,
        session: head.session,
        createdAt: head.createdAt,
        files: [],
      })
      out.append(empty.slice(0, -2)) // up to and with `"files":[`
      let first = true
      for await (const line of readLines(this.entries.path)) {
        out.append(first ? line : ',' + line)
        first = false
        await out.spillIfFull()
      }
      out.append(']}')
    } finally {
      await out.close()
    }
  }
}
