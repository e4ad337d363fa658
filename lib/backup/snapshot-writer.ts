/**
 * The snapshot a backup builds, kept on the disk as it grows: its entries spilled in walk
 * order as files finish (in any order), then its JSON text written in pieces, byte for
 * byte what `JSON.stringify(snapshot)` gives, for the native sealer to read as a file.
 * Neither the list nor the text (~230 bytes per file) is ever whole in memory (issue #18).
 * @internal
 * @module
 */
import { readLines, TextSpill } from '../spill/lines'
import type { Snapshot, SnapshotFile } from './store'

export class SnapshotWriter {
  /** Entries finished ahead of an earlier file still in work, by their place in the walk. */
  readonly #ahead = new Map<number, { entry: SnapshotFile | undefined; unchanged: boolean }>()
  #next = 0
  #allUnchanged = true

  private constructor(private readonly entries: TextSpill) {}

  /** Spills entries to `path` (a new file). */
  static async create(path: string): Promise<SnapshotWriter> {
    return new SnapshotWriter(await TextSpill.create(path))
  }

  /**
   * The entry of the `index`-th file of the walk, or `undefined` for a file that failed
   * (no snapshot is published then, but later entries must not wait for it); `unchanged`
   * when it equals the previous snapshot's entry at the same place.
   */
  async add(index: number, entry: SnapshotFile | undefined, unchanged: boolean): Promise<void> {
    this.#ahead.set(index, { entry, unchanged })
    // Synchronous up to the spill's write, so that two workers never interleave entries.
    while (this.#ahead.has(this.#next)) {
      const e = this.#ahead.get(this.#next)!
      this.#ahead.delete(this.#next)
      if (e.entry) this.entries.line(JSON.stringify(e.entry))
      if (!e.unchanged) this.#allUnchanged = false
      this.#next++
    }
    await this.entries.spillIfFull()
  }

  /**
   * Writes what is left; true when the list equals the previous snapshot's, which had
   * `previousFiles` entries (none: there is no previous snapshot).
   */
  async finish(previousFiles: number | undefined): Promise<boolean> {
    await this.entries.close()
    return previousFiles !== undefined && this.#allUnchanged && previousFiles === this.entries.lines
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
