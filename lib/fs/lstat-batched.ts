/**
 * `lstat`s started in the same turn of the event loop, sent to the addon together
 * (`nativeLstatMany`): a few paths per task on libuv's pool instead of one request, one
 * promise and one `Stats` object per path. The card walk and the checks after an ingest
 * start 64 at a time (./at-once.ts); at 2,000 files × 3 that was ~80 ms of the main
 * thread and much of its garbage (issue #18).
 * @internal
 * @module
 */
import { getSystemErrorMap } from 'node:util'

import { nativeLstatMany } from '../native'

/** Paths per native task: a batch of 64 still spreads over the pool's threads, which a cold drive answers in parallel. */
const PATHS_PER_TASK = 16

/** Numbers per path in `nativeLstatMany`'s answer: kind, size, mtime (ms), errno. */
const FACTS_PER_PATH = 4
// Kinds, as crates/core/src/file_facts.rs numbers them.
const KIND_FILE = 1
const KIND_DIRECTORY = 2
const KIND_SYMLINK = 3

/** What is read of an entry, under the names `fs.Stats` gives them. */
export interface EntryFacts {
  readonly size: number
  readonly mtimeMs: number
  isFile(): boolean
  isDirectory(): boolean
  isSymbolicLink(): boolean
}

class Facts implements EntryFacts {
  constructor(
    private readonly kind: number,
    readonly size: number,
    readonly mtimeMs: number,
  ) {}

  isFile(): boolean {
    return this.kind === KIND_FILE
  }

  isDirectory(): boolean {
    return this.kind === KIND_DIRECTORY
  }

  isSymbolicLink(): boolean {
    return this.kind === KIND_SYMLINK
  }
}

interface Waiting {
  path: string
  resolve: (facts: EntryFacts) => void
  reject: (err: unknown) => void
}

let waiting: Waiting[] = []

/**
 * `lstat(path)`: the entry's kind, size and modification time, or an error shaped as
 * Node's (`code`, `errno`, `syscall`, `path`).
 */
export function lstatBatched(path: string): Promise<EntryFacts> {
  return new Promise((resolve, reject) => {
    // After the callers' synchronous code and promise reactions of this turn: every
    // lstat they start together goes in one batch.
    if (waiting.length === 0) process.nextTick(send)
    waiting.push({ path, resolve, reject })
  })
}

function send(): void {
  const all = waiting
  waiting = []
  for (let at = 0; at < all.length; at += PATHS_PER_TASK) {
    const some = all.slice(at, at + PATHS_PER_TASK)
    const failAll = (err: unknown) => some.forEach((w) => w.reject(err))
    // A call that throws at once (an argument the addon refuses) fails its batch; out of
    // a tick callback it would end the process.
    try {
      nativeLstatMany(some.map((w) => w.path)).then(
        (facts) => some.forEach((w, i) => settle(w, facts, i * FACTS_PER_PATH)),
        failAll,
      )
    } catch (err) {
      failAll(err)
    }
  }
}

function settle(w: Waiting, facts: Float64Array, at: number): void {
  const errno = facts[at + 3]!
  if (errno !== 0) w.reject(lstatError(w.path, errno))
  else w.resolve(new Facts(facts[at]!, facts[at + 1]!, facts[at + 2]!))
}

/** The error `fs.promises.lstat` gives for `errno`: "ENOENT: no such file or directory, lstat '…'". */
function lstatError(path: string, errno: number): Error {
  const [code, description] = getSystemErrorMap().get(-errno) ?? [`E${errno}`, 'unknown error']
  return Object.assign(new Error(`${code}: ${description}, lstat '${path}'`), {
    errno: -errno,
    code,
    syscall: 'lstat',
    path,
  })
}
