/**
 * A folder's entries looked at (`lstat`) many at a time, given back in order. Awaited one
 * at a time, each call waits its turn through libuv's thread pool and then the event
 * loop: walking a card of 20,000 files took half a second, and the checks after an ingest
 * (20,000 files × 2 destinations) spent about a second idle (issue #18).
 * @internal
 * @module
 */
import { join, sep } from 'node:path'

import { lstatBatched, type EntryFacts } from './lstat-batched'

/** How many per-file `lstat`s are started together: enough to keep the pool's threads busy, a few pages of `Stats` held. */
export const LSTATS_AT_ONCE = 64

/** One entry of a folder: its `Stats`, or why it could not be looked at. */
export type Looked = { name: string; abs: string } & ({ stats: EntryFacts } | { error: unknown })

/** `lstat` of each of `names` in `dir`, {@link LSTATS_AT_ONCE} at a time, in the names' order. */
export async function* lstatEach(dir: string, names: readonly string[]): AsyncGenerator<Looked> {
  const childOf = pathsUnder(dir)
  for (let at = 0; at < names.length; at += LSTATS_AT_ONCE) {
    const some = names.slice(at, at + LSTATS_AT_ONCE).map((name) => ({ name, abs: childOf(name) }))
    const looked = await Promise.all(
      some.map((e) =>
        lstatBatched(e.abs).then(
          (stats): Looked => ({ ...e, stats }),
          (error: unknown): Looked => ({ ...e, error }),
        ),
      ),
    )
    yield* looked
  }
}

/**
 * `join(dir, rel)` for each `rel` given to the function it returns, `dir` normalized once
 * rather than with every path (`path.join` re-normalizes the whole string: a few MiB of
 * garbage per 2,000-file ingest; issue #18). Each `rel` must be normalized and relative,
 * without `.` or `..` pieces: a name `readdir` gave, or a card-relative path made of them.
 */
export function pathsUnder(dir: string): (rel: string) => string {
  const base = join(dir, '.')
  // Elsewhere than POSIX, join also turns the card's `/` into `\`.
  if (base === '.' || sep !== '/') return (rel) => join(dir, rel)
  const prefix = base.endsWith(sep) ? base : base + sep
  return (rel) => prefix + rel
}
