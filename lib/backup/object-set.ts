/**
 * A set of object names (64 hex digits) kept as sorted 32-byte binary names in one
 * buffer: 32 bytes per object rather than ~100 for a JS string in a `Set`, and outside
 * the JS heap. A backup asks it which objects the store holds and which earlier snapshots
 * list; a store of 20,000 objects costs 640 KB (issue #18).
 * @internal
 * @module
 */

const NAME_BYTES = 32
/** Names added since the last merge, kept as strings until there are this many. */
const RECENT_MAX = 1024

export class ObjectSet {
  /** Sorted, distinct binary names. */
  #sorted: Buffer = Buffer.alloc(0)
  #recent = new Set<string>()
  #removed = new Set<string>()

  /** Adds every name of `names` (anything that is not 64 hex digits is ignored). */
  static of(names: Iterable<string>): ObjectSet {
    const s = new ObjectSet()
    for (const n of names) s.add(n)
    return s
  }

  get size(): number {
    return this.#sorted.length / NAME_BYTES + this.#recent.size - this.#removed.size
  }

  add(name: string): void {
    if (!isName(name)) return
    this.#removed.delete(name)
    if (this.#inSorted(name)) return
    this.#recent.add(name)
    if (this.#recent.size >= RECENT_MAX) this.#merge()
  }

  has(name: string): boolean {
    if (!isName(name) || this.#removed.has(name)) return false
    return this.#recent.has(name) || this.#inSorted(name)
  }

  delete(name: string): void {
    if (this.#recent.delete(name)) return
    if (this.#inSorted(name)) this.#removed.add(name)
  }

  /** Every name, as hex (sorted ones first). */
  *names(): Generator<string> {
    for (let i = 0; i < this.#sorted.length; i += NAME_BYTES) {
      const n = this.#sorted.toString('hex', i, i + NAME_BYTES)
      if (!this.#removed.has(n)) yield n
    }
    yield* this.#recent
  }

  #inSorted(name: string): boolean {
    const key = Buffer.from(name, 'hex')
    let lo = 0
    let hi = this.#sorted.length / NAME_BYTES
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const c = this.#sorted.compare(key, 0, NAME_BYTES, mid * NAME_BYTES, (mid + 1) * NAME_BYTES)
      if (c === 0) return true
      if (c < 0) lo = mid + 1
      else hi = mid
    }
    return false
  }

  /** The recent names merged into the sorted buffer. */
  #merge(): void {
    const recent = [...this.#recent].sort().map((n) => Buffer.from(n, 'hex'))
    this.#recent.clear()
    const old = this.#sorted
    const out = Buffer.allocUnsafe(old.length + recent.length * NAME_BYTES)
    let i = 0
    let o = 0
    for (const r of recent) {
      // Hex sorts as its bytes do: older names before `r` go first.
      while (i < old.length && old.compare(r, 0, NAME_BYTES, i, i + NAME_BYTES) < 0) {
        old.copy(out, o, i, i + NAME_BYTES)
        i += NAME_BYTES
        o += NAME_BYTES
      }
      r.copy(out, o)
      o += NAME_BYTES
    }
    old.copy(out, o, i)
    this.#sorted = out
  }
}

const NAME = /^[0-9a-f]{64}$/

function isName(name: string): boolean {
  return NAME.test(name)
}
