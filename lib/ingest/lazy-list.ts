/**
 * The per-file lists of a result (`IngestReport.files`, `VerifyReport.files`,
 * `SafeToFormatVerdict.copies`) kept packed and made into the array of objects the type
 * promises only when a caller reads the property ({@link defineLazyList}, the one way all
 * three are made lazy: issue #18). Until then the CLI writes its JSON from the packed rows
 * without building the array at all ({@link lazyRows}). An ingest's rows come from its
 * `FileTable`; the other two lists keep theirs in {@link PackedRows} — each path once in a
 * shared byte buffer, the rest of a row as the index of one of its few distinct shapes — so
 * a card of 20,000 files costs ~40 bytes per file instead of ~300.
 * @internal
 * @module
 */

/** Strings in one growing UTF-8 buffer: no string object per entry. */
class PackedStrings {
  #bytes = Buffer.alloc(4096)
  #ends = new Uint32Array(256)
  #used = 0
  length = 0

  push(s: string): void {
    const need = Buffer.byteLength(s)
    if (this.#used + need > this.#bytes.length) {
      const bigger = Buffer.alloc(Math.max(this.#bytes.length * 2, this.#used + need))
      this.#bytes.copy(bigger, 0, 0, this.#used)
      this.#bytes = bigger
    }
    this.#used += this.#bytes.write(s, this.#used)
    if (this.length === this.#ends.length) {
      const bigger = new Uint32Array(this.#ends.length * 2)
      bigger.set(this.#ends)
      this.#ends = bigger
    }
    this.#ends[this.length++] = this.#used
  }

  at(i: number): string {
    return this.#bytes.toString('utf8', i === 0 ? 0 : this.#ends[i - 1], this.#ends[i])
  }
}

/** Numbers in a growing Float64Array (NaN for none). */
class PackedNumbers {
  #values = new Float64Array(256)

  set(i: number, v: number | undefined): void {
    if (i >= this.#values.length) {
      const bigger = new Float64Array(Math.max(this.#values.length * 2, i + 1))
      bigger.set(this.#values)
      this.#values = bigger
    }
    this.#values[i] = v ?? NaN
  }

  at(i: number): number | undefined {
    const v = this.#values[i]!
    return Number.isNaN(v) ? undefined : v
  }
}

/**
 * Rows of (path, shape, optional number), in the order pushed. `shape` is anything JSON
 * can carry (a status and its algorithms, the destinations holding a copy); each distinct
 * shape is kept once and given back as a fresh copy.
 */
export class PackedRows<S> {
  readonly #paths = new PackedStrings()
  readonly #numbers = new PackedNumbers()
  #shapeOf = new Uint32Array(256)
  readonly #shapes: string[] = []
  readonly #shapeIndex = new Map<string, number>()

  get length(): number {
    return this.#paths.length
  }

  push(path: string, shape: S, n?: number): void {
    const i = this.#paths.length
    const key = JSON.stringify(shape)
    let s = this.#shapeIndex.get(key)
    if (s === undefined) {
      s = this.#shapes.push(key) - 1
      this.#shapeIndex.set(key, s)
    }
    if (i === this.#shapeOf.length) {
      const bigger = new Uint32Array(this.#shapeOf.length * 2)
      bigger.set(this.#shapeOf)
      this.#shapeOf = bigger
    }
    this.#shapeOf[i] = s
    this.#numbers.set(i, n)
    this.#paths.push(path)
  }

  /** Every row, in order, each a new object. */
  *rows(): Generator<{ path: string; shape: S; n: number | undefined }> {
    for (let i = 0; i < this.#paths.length; i++)
      yield {
        path: this.#paths.at(i),
        shape: JSON.parse(this.#shapes[this.#shapeOf[i]!]!) as S,
        n: this.#numbers.at(i),
      }
  }
}

const LAZY = Symbol('shutterproof.lazyRows')

interface Lazy {
  count: number
  rows: () => Iterable<unknown>
}

/**
 * Makes `target[key]` an enumerable property (so `JSON.stringify` and spreading include
 * it, in the place the key already had) whose array (`count` items, from `rows()`) is
 * built on first read and kept; assigning it replaces it. Until read, {@link lazyRows}
 * gives the items one at a time without building the array.
 */
export function defineLazyList<T>(target: object, key: string, count: number, rows: () => Iterable<T>): void {
  let lazy = (target as { [LAZY]?: Record<string, Lazy> })[LAZY]
  if (!lazy) {
    lazy = {}
    Object.defineProperty(target, LAZY, { value: lazy, enumerable: false })
  }
  lazy[key] = { count, rows }
  const settle = (value: unknown) => {
    delete lazy![key]
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true })
  }
  Object.defineProperty(target, key, {
    enumerable: true,
    configurable: true,
    get() {
      const value = [...rows()]
      settle(value)
      return value
    },
    set(value: unknown) {
      settle(value)
    },
  })
}

/** The items of `target[key]` and their count, without building the array; undefined once it is built or replaced. */
export function lazyRows(target: object, key: string): Lazy | undefined {
  return (target as { [LAZY]?: Record<string, Lazy> })[LAZY]?.[key]
}
