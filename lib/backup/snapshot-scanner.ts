/**
 * A snapshot's JSON text read in pieces: its head (format, session, createdAt) and then
 * each entry of `files`, one at a time, so that a snapshot of many files is never parsed
 * whole (issue #18). Snapshots are written as `JSON.stringify` lays them out, `files`
 * last; any other layout of the same JSON is parsed whole at the end instead.
 * @internal
 * @module
 */
import type { Snapshot, SnapshotFile } from './store'

/** Where the scanner is: before `files`, inside it, or past it. */
type Phase = 'head' | 'files' | 'tail'

const FILES_KEY = /"files"\s*:\s*$/

export class SnapshotScanner {
  #phase: Phase = 'head'
  /** Text not yet handed on: the head so far, or the current entry so far. */
  #text = ''
  #inString = false
  #escaped = false
  /** Nesting depth: of the whole document in the head, of the current entry inside `files`. */
  #depth = 0
  #head: Partial<Omit<Snapshot, 'files'>> | undefined

  /** `onEntry` gets each entry of `files` in order. */
  constructor(private readonly onEntry: (entry: SnapshotFile) => void) {}

  /**
   * The members before `files` once `files` begins (all of them as JSON.stringify lays a
   * snapshot out); {@link SnapshotScanner.end} gives the whole head.
   */
  get head(): Partial<Omit<Snapshot, 'files'>> | undefined {
    return this.#head
  }

  push(text: string): void {
    let start = 0
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (this.#inString) {
        if (this.#escaped) this.#escaped = false
        else if (c === 0x5c /* \ */) this.#escaped = true
        else if (c === 0x22 /* " */) this.#inString = false
        continue
      }
      if (c === 0x22) this.#inString = true
      else if (this.#phase === 'head') {
        if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
          if (c === 0x5b && this.#depth === 1 && FILES_KEY.test(this.#text + text.slice(start, i))) {
            this.#headDone(this.#text + text.slice(start, i + 1))
            start = i + 1
            continue
          }
          this.#depth++
        } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) this.#depth--
      } else if (this.#phase === 'files') {
        if (c === 0x7b || c === 0x5b) {
          if (this.#depth === 0) {
            this.#text = ''
            start = i
          }
          this.#depth++
        } else if (c === 0x7d || c === 0x5d) {
          if (this.#depth === 0) {
            // The end of `files`.
            this.#phase = 'tail'
            this.#text = ''
            start = i + 1
            continue
          }
          if (--this.#depth === 0) {
            this.onEntry(JSON.parse(this.#text + text.slice(start, i + 1)) as SnapshotFile)
            this.#text = ''
            start = i + 1
          }
        } else if (this.#depth === 0) start = i + 1 // commas and blanks between entries
      }
    }
    this.#text += text.slice(start)
  }

  /** Whether the text had a `files` list (known after {@link SnapshotScanner.end}). */
  hasFiles = false

  /** Called after the last piece; the whole head, whatever the layout. */
  end(): Partial<Omit<Snapshot, 'files'>> {
    if (this.#phase === 'files') throw new SyntaxError('the snapshot ends inside its file list')
    if (this.#phase === 'head') {
      // No `files` list at all: the text is all here, parse it whole.
      const { files, ...head } = (JSON.parse(this.#text) ?? {}) as Snapshot
      this.#head = head
      this.hasFiles = Array.isArray(files)
      if (this.hasFiles) for (const f of files) this.onEntry(f)
    } else {
      // Members after `files` (not as JSON.stringify lays a snapshot out): `,"k":v…}`.
      const rest = JSON.parse('{' + this.#text.replace(/^\s*,/, '')) as Partial<Snapshot>
      this.#head = { ...this.#head, ...rest }
      this.hasFiles = true
    }
    return this.#head
  }

  #headDone(text: string): void {
    // `{"format":…,"createdAt":…,"files":[` closed as an empty list.
    const { files: _, ...head } = JSON.parse(text + ']}') as Snapshot
    this.#head = head
    this.#phase = 'files'
    this.#text = ''
    this.#depth = 0
  }
}
