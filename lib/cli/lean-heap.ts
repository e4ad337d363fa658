/**
 * V8 told to keep its heap close to what is live, for the commands whose work grows with
 * the card's file count (ingest, verify, safe-to-format, backup). What those keep is
 * small (a few tens of MB live for 20,000 files), but by default V8 lets the heap grow to
 * a few times its live size between full collections.
 * @module
 */
let lean = false

/**
 * Sets V8's heap growing factor to 1.2 once, before the command's work starts. Measured
 * on `safe-to-format` of 20,000 one-byte files against 2 sessions: 168 MiB peak RssAnon
 * without, 105 MiB with, no slower (`--optimize-for-size` went to 91–97 MiB but took
 * 40 % longer). Node calls flags changed after start-up unsupported in general; this one
 * is read each time V8 sizes its next heap limit.
 *
 * And keeps the young generation at its first size: by default V8 grows each semi-space
 * up to 16 MiB as soon as a command allocates briskly, ~30 MiB held for the whole run
 * whatever the card's size. Measured with the CLI on 2,000 one-byte files (issue #18):
 * peak RssAnon of ingest 73 → 45 MiB, verify 76 → 49, safe-to-format 57 → 30.
 * `--max-semi-space-size` would do the same but is read only at start-up; the growth
 * factor is read at each scavenge.
 *
 * And pins the C allocator's thresholds (below).
 */
export function leanHeap(): void {
  if (lean) return
  lean = true
  // node:v8 loaded here, not at the top: `ingest --help` and the like never need it.
  const { setFlagsFromString } = require('node:v8') as typeof import('node:v8')
  setFlagsFromString('--heap-growing-percent=20')
  setFlagsFromString('--semi-space-growth-factor=1')
  // The C heap too (glibc; a no-op elsewhere): its mmap and trim thresholds stay at their
  // initial 128 KiB, so that blocks of a few MiB freed during the run do not let every
  // thread's arena keep that much unused (crates/core/src/freed_memory.rs; issue #18:
  // ~20 MiB more at 20,000 files than at 2,000). The CLI is an application: the library
  // itself never changes the host's allocator settings.
  const { nativePinAllocatorThresholds } = require('../native') as typeof import('../native')
  nativePinAllocatorThresholds()
}
