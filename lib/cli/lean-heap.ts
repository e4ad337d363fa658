/**
 * V8 told to keep its heap close to what is live, for the commands whose work grows with
 * the card's file count (ingest, verify, safe-to-format, backup). What those keep is
 * small (a few tens of MB live for 20,000 files), but by default V8 lets the heap grow to
 * a few times its live size between full collections.
 * @module
 */
let lean = false

/** How many times longer than by default V8 profiles a function before optimizing it (see {@link leanHeap}). */
const OPTIMIZE_LATER = 16

/**
 * The V8 flag and value that make TurboFan wait {@link OPTIMIZE_LATER} times longer: V8 11
 * (Node 20) counts a budget of bytecode executed (`--interrupt-budget`, 66 KiB by
 * default), V8 12 and later (Node 22, 24) invocations (`--invocation-count-for-turbofan`,
 * 3,000). A flag V8 does not know is printed as an error, so only the right one is set.
 */
function optimizeLaterFlag(): string {
  const v8Major = Number(process.versions.v8.split('.')[0])
  return v8Major >= 12
    ? `--invocation-count-for-turbofan=${OPTIMIZE_LATER * 3000}`
    : `--interrupt-budget=${OPTIMIZE_LATER * 66 * 1024}`
}

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
 *
 * And makes V8 wait 16 times longer before it optimizes a function with TurboFan (read
 * when a function's feedback is set up, so set before the command's modules load). A run
 * of a few thousand files is over before most optimized code pays back its compile, which
 * runs on a second thread competing with the copy engine for this machine's two cores and
 * holds several MiB of compiler memory while it runs (issue #18, interleaved runs of a
 * 2,000-file ingest: +9 % files/s on a quiet machine, +45 % beside a CI run, peak RssAnon
 * 30 → 26 MiB; at 20,000 files no slower, the hot loops still get optimized). `--no-opt`
 * did as well at 2,000 files but was 30 % slower at 20,000.
 */
export function leanHeap(): void {
  if (lean) return
  lean = true
  // node:v8 loaded here, not at the top: `ingest --help` and the like never need it.
  const { setFlagsFromString } = require('node:v8') as typeof import('node:v8')
  setFlagsFromString('--heap-growing-percent=20')
  setFlagsFromString('--semi-space-growth-factor=1')
  setFlagsFromString(optimizeLaterFlag())
  // The C heap too (glibc; a no-op elsewhere): its mmap and trim thresholds stay at their
  // initial 128 KiB, so that blocks of a few MiB freed during the run do not let every
  // thread's arena keep that much unused (crates/core/src/freed_memory.rs; issue #18:
  // ~20 MiB more at 20,000 files than at 2,000). The CLI is an application: the library
  // itself never changes the host's allocator settings.
  const { nativePinAllocatorThresholds } = require('../native') as typeof import('../native')
  nativePinAllocatorThresholds()
}
